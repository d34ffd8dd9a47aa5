from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from area_clienti.navigation import sections_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """The sections the signed-in user may enter, for the menu of every page."""
    return {"nav_sections": SimpleLazyObject(lambda: sections_for(request.user))}
