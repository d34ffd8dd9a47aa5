"""Driving the activation's three steps as a browser does: the line chooser, the summary,
the confirmation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from html import unescape
from typing import Any

from django.test import Client
from django.urls import reverse

from accounts.models import Contract, Line
from offers.models import Offer


def html(response: Any) -> str:
    return unescape(response.content.decode())


def choose(
    client: Client,
    offer: Offer,
    ticked: Iterable[Line | int],
    *,
    shown: Iterable[Line | int] | None = None,
    action: str = "save",
    **fields: Any,
) -> Any:
    """Submit a page of the chooser that showed `shown` (by default the `ticked` ones) with
    `ticked` ticked, pressing the button `action`."""
    ticked_ids = [_pk(line) for line in ticked]
    shown_ids = ticked_ids if shown is None else [_pk(line) for line in shown]
    data = {"shown": shown_ids, "lines": ticked_ids, "action": action, **fields}
    return client.post(reverse("offers:choose", args=[offer.code]), data)


def summary(client: Client, offer: Offer) -> Any:
    return client.get(reverse("offers:summary", args=[offer.code]))


def confirmation(page: Any) -> dict[str, Any]:
    """What the summary's form posts when its terms are accepted."""
    return {
        "fingerprint": page.context["fingerprint"],
        "accept_terms": "on",
        "terms_version": page.context["offer"].terms_version,
    }


def confirm(client: Client, offer: Offer) -> Any:
    """Confirm what the summary shows, accepting the offer's terms, as its button does."""
    return client.post(
        reverse("offers:activate", args=[offer.code]), confirmation(summary(client, offer))
    )


def activate(client: Client, offer: Offer, lines: list[Line], confirmed: bool = True) -> Any:
    """Choose `lines`, ask for the summary and, if `confirmed`, confirm it. Returns the
    first answer that is not the expected redirect, else the last one."""
    response = choose(client, offer, lines, action="summary")
    if response.status_code != 302:
        return response
    if not confirmed:
        return summary(client, offer)
    return confirm(client, offer)


def chosen_ids(client: Client, offer: Offer) -> set[int]:
    return set(client.session.get(f"offers.selection.{offer.code}", []))


def bulk_lines(contract: Contract, count: int, *, label: str = "", start: int = 0) -> list[Line]:
    """`count` active lines of `contract` in one INSERT, numbered +39340… from `start`."""
    return Line.objects.bulk_create(
        Line(
            contract=contract,
            number=f"+39340{start + n:07d}",
            label=label,
            activated_on=date(2022, 1, 1),
        )
        for n in range(count)
    )


def _pk(line: Line | int) -> int:
    return line if isinstance(line, int) else line.pk
