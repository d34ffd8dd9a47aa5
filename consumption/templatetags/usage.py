from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def minutes(seconds: int | None) -> str:
    """Voice usage as whole minutes, rounded up as operators bill it."""
    return number_format(-(-(seconds or 0) // 60), force_grouping=True)


@register.filter
def data_size(kilobytes: int | None) -> str:
    """Data usage in MB, or GB from 1,000 MB, in the reader's number format."""
    megabytes = (kilobytes or 0) / 1024
    if megabytes >= 1000:
        return f"{number_format(megabytes / 1024, 2, force_grouping=True)} GB"
    return f"{number_format(megabytes, 0, force_grouping=True)} MB"


@register.filter
def count(value: int | None) -> str:
    return number_format(value or 0, force_grouping=True)
