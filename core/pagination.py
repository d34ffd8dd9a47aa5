"""One way to paginate a list page: `?pagina=N`, the other filters kept in the links."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination

T = TypeVar("T")

PAGE_PARAMETER = "pagina"


def paginate(
    request: HttpRequest, items: _SupportsPagination[T], per_page: int
) -> tuple[Page[T], str]:
    """The page the request asks for (the last one past the end, the first one for
    nonsense) and the query string of every other parameter, for the links of
    `partials/pagination.html` (`page` and `query` in its context)."""
    page = Paginator(items, per_page).get_page(request.GET.get(PAGE_PARAMETER))
    query = request.GET.copy()
    query.pop(PAGE_PARAMETER, None)
    return page, query.urlencode()
