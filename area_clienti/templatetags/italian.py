"""Dates as an Italian sentence writes them, with their article: "entro {{ due|with_article }}",
"{{ start|with_article:"da" }} {{ end|with_article:"a" }}" ("dall'08/03/2026 al 10/03/2026")."""

import re
from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core import italy
from core.italy import article_before_day, date_with_article

register = template.Library()

# A date already formatted (`|date:"SHORT_DATE_FORMAT"`) starts with its day in Italian.
_DAY = re.compile(r"\d{1,2}\b")


@register.filter(expects_localtime=True)
def with_article(value: Any, preposition: str = "") -> SafeString:
    """A date, or a date already formatted, after its article in Italian; alone otherwise."""
    # The article's apostrophe is ours, not data: the date is escaped here, the article not.
    if isinstance(value, date):
        # Digits, slashes and our article only.
        return mark_safe(date_with_article(value, preposition=preposition))  # noqa: S308
    text = "" if value is None else str(value)
    day = _DAY.match(text)
    article = article_before_day(int(day.group()), preposition) if day else ""
    return format_html("{}{}", mark_safe(article), text)  # noqa: S308 - our own article


@register.filter
def long_date(value: date | None) -> str:
    """ "8 dicembre 2026" in Italian, "8 December 2026" in English; nothing for nothing."""
    return "" if value is None else italy.long_date(value)


@register.filter
def month_year(value: date | None) -> str:
    """ "dicembre 2026" in Italian, "December 2026" in English; nothing for nothing."""
    return "" if value is None else italy.month_year(value)
