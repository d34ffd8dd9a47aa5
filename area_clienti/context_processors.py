from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, cached_property

from accounts.models import User
from accounts.notifications import unread_count
from area_clienti.navigation import section_of, sections_for
from tracking.approvals import pending_count


class Inbox:
    """The signed-in person's notifications as the header's bell shows them: counted once
    (one COUNT query), and only on a page that shows the bell."""

    def __init__(self, user: object) -> None:
        self._user = user

    @cached_property
    def unread(self) -> int:
        if not isinstance(self._user, User) or not self._user.is_authenticated:
            return 0
        return unread_count(self._user)

    @cached_property
    def approvals(self) -> int:
        """The requests waiting for this person's approval: one COUNT, for validators only."""
        if not isinstance(self._user, User) or not self._user.is_authenticated:
            return 0
        return pending_count(user=self._user)


def shell(request: HttpRequest) -> dict[str, Any]:
    """The sections the signed-in user may enter, for the menu of every page, and the one
    the page belongs to (highlighted in the menu, named in the breadcrumbs)."""
    return {
        "nav_sections": SimpleLazyObject(lambda: sections_for(request.user)),
        "nav_current": section_of(getattr(request, "resolver_match", None)),
        "inbox": Inbox(request.user),
    }
