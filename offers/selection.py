"""The lines an LR is choosing for an offer's activation, kept across searches and pages.

The choice lives in the session, one list of line ids per offer: the pages stay plain GET
links (search, pagination, the back button all work without JavaScript), each POST of the
chooser records the ticks of the page it showed and redirects, and "all the lines found"
adds thousands of ids without thousands of form fields (5,000 lines are some 40 KB of
session data, held only while choosing). Ids get in only after a check that the lines are
eligible; the summary drops those that stopped being so meanwhile, and its fingerprint makes
the confirmation apply exactly the choice it showed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.contrib.sessions.backends.base import SessionBase

from offers.models import Offer


class LineSelection:
    def __init__(self, session: SessionBase, offer: Offer) -> None:
        self._session = session
        self._key = f"offers.selection.{offer.code}"
        self.ids: set[int] = set(session.get(self._key, []))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, line_id: object) -> bool:
        return line_id in self.ids

    def replace_page(self, *, shown: Iterable[int], ticked: Iterable[int]) -> None:
        """A page of the chooser was submitted: of the lines it `shown`, exactly the
        `ticked` ones are chosen now; the choices made on other pages stay."""
        self.ids.difference_update(shown)
        self.ids.update(ticked)

    def add(self, line_ids: Iterable[int]) -> None:
        self.ids.update(line_ids)

    def remove(self, line_ids: Iterable[int]) -> None:
        self.ids.difference_update(line_ids)

    def clear(self) -> None:
        self.ids.clear()

    def save(self) -> None:
        if self.ids:
            self._session[self._key] = sorted(self.ids)
        else:
            self._session.pop(self._key, None)

    def fingerprint(self) -> str:
        """Changes whenever the choice does: the summary sends it with the confirmation."""
        text = ",".join(str(line_id) for line_id in sorted(self.ids))
        return hashlib.sha256(text.encode()).hexdigest()[:32]
