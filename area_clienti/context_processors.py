from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from area_clienti.navigation import section_of, sections_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """The sections the signed-in user may enter, for the menu of every page, and the one
    the page belongs to (highlighted in the menu, named in the breadcrumbs)."""
    return {
        "nav_sections": SimpleLazyObject(lambda: sections_for(request.user)),
        "nav_current": section_of(getattr(request, "resolver_match", None)),
    }
