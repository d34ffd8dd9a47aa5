"""The lines an LR is choosing for an offer's activation, kept across searches and pages
(lines/chooser.py keeps them). The summary drops those that stopped being eligible
meanwhile, and its fingerprint makes the confirmation apply exactly the choice it showed."""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase

from lines import chooser
from offers.models import Offer


class LineSelection(chooser.LineSelection):
    """One list of line ids per offer."""

    def __init__(self, session: SessionBase, offer: Offer) -> None:
        super().__init__(session, f"offers.selection.{offer.code}")
