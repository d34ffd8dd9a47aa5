"""Empty lists say what to do next (issue 15): a sentence and the next step, a link that is
there only for a person who may take it."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from accounts.models import Invitation
from billing.models import Invoice
from tests.conftest import World, client_for
from tracking.models import Request


def page_of(client: object, url: str) -> str:
    response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return unescape(response.content.decode())


def link(url: str, text: str) -> str:
    return f'<a href="{url}">{text}</a>'


def test_invoices_filtered_to_nothing_offer_to_reset_the_filters(world: World) -> None:
    index = reverse("billing:index")
    page = page_of(client_for(world.full), f"{index}?status=PAID")
    assert "Nessuna fattura con questi filtri." in page
    assert link(index, "Azzera i filtri e mostra tutte le fatture") in page

    everything = page_of(client_for(world.full), index)
    assert world.invoice.number in everything
    assert "Azzera i filtri e mostra tutte le fatture" not in everything


def test_a_company_with_no_invoice_yet_is_told_when_the_first_comes(world: World) -> None:
    Invoice.objects.filter(contract__company=world.company).delete()
    page = page_of(client_for(world.lr), reverse("billing:index"))
    assert "Non ci sono ancora fatture" in page
    assert "Azzera i filtri e mostra tutte le fatture" not in page


def test_a_search_of_lines_or_sims_with_no_match_offers_to_show_them_all(world: World) -> None:
    lines = reverse("lines:index")
    page = page_of(client_for(world.lr), f"{lines}?q=nessuna-linea-cosi")
    assert "Nessuna linea trovata." in page
    assert link(lines, "Azzera la ricerca e mostra tutte le linee") in page

    sims = reverse("consumption:all-sims")
    page = page_of(client_for(world.lr), f"{sims}?q=nessuna-sim-cosi")
    assert "Nessuna SIM trovata." in page
    assert link(sims, "Azzera la ricerca e mostra tutte le SIM") in page


def test_no_requests_yet_points_to_the_support_page(world: World) -> None:
    Request.objects.filter(company=world.company).delete()
    tracking = reverse("tracking:index")
    page = page_of(client_for(world.lr), tracking)
    assert "Nessuna richiesta trovata." in page
    assert link(reverse("support:index"), "Vai all'Assistenza online") in page

    filtered = page_of(client_for(world.lr), f"{tracking}?state=OPEN")
    assert link(tracking, "Azzera i filtri e mostra tutte le richieste") in filtered


def test_no_top_up_yet_points_to_the_sims_to_top_up(world: World) -> None:
    page = page_of(client_for(world.user), reverse("consumption:top-up-history"))
    assert "Nessuna ricarica." in page
    assert link(reverse("consumption:index"), "Scegli la SIM") in page


def test_no_invitation_waiting_offers_to_register_an_employee(world: World) -> None:
    Invitation.objects.filter(company=world.company).delete()
    page = page_of(client_for(world.lr), reverse("accounts:employees"))
    assert "Nessun invito in attesa." in page
    assert link(reverse("accounts:invite"), "Registra un dipendente") in page


def test_no_chat_yet_leads_to_the_form_that_starts_one(world: World) -> None:
    page = page_of(client_for(world.user), reverse("support:chat-list"))
    assert "Non hai ancora chattato con noi." in page
    assert link("#id_topic", "Scrivi l'argomento qui sopra e inizia la tua prima chat.") in page


@pytest.mark.parametrize(
    ("persona", "offered"),
    [("lr", True), ("full", False), ("light", False)],  # S2: the LR alone asks for a call
)
def test_no_offer_offers_a_callback_only_to_who_may_ask_for_one(
    world: World, persona: str, offered: bool
) -> None:
    page = page_of(client_for(getattr(world, persona)), reverse("offers:index"))
    assert "Al momento non ci sono offerte esclusive per la tua azienda." in page
    callback = link(
        reverse("support:callback"), "Fatti richiamare da un consulente per un'offerta su misura"
    )
    assert (callback in page) is offered
