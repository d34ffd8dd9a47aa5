"""Links: for the rows of a list page, and the site's own address as a request shows it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.urls import reverse


def pk_urls(url_name: str) -> Callable[[int], str]:
    """The URLs of `url_name` for many objects at the cost of one reverse(): list pages
    link every row, and reverse() is the dearest part of rendering a 50-row table."""
    sample = 918273645  # a pk no URL would otherwise contain
    pattern = reverse(url_name, args=[sample]).replace(str(sample), "{pk}")
    return lambda pk: pattern.format(pk=pk)


def base_url(request: HttpRequest) -> str:
    """The scheme and host the request came to: for links in e-mails sent from it, and the
    page a payment provider sends the customer back to."""
    return f"{request.scheme}://{request.get_host()}"
