"""Pages run a number of SQL queries that does not grow with the data."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.access import PASSWORD_CONFIRMED_AT
from accounts.audit import audit_record
from accounts.roles import Profile
from support.models import Conversation
from tests.conftest import World, sign_in
from tests.factories import LineFactory, LineServiceFactory, OfferFactory, UserFactory
from tracking.models import RequestKind
from tracking.services import request_create

# The shell costs the session read, the user, the session's renewal (an UPDATE inside a
# savepoint) and the bell's count of unread notifications; pages add their own few queries
# on top.
PAGES = {
    # The LR approves (T2): the header counts their pending approvals, one query a page.
    "/": 18,  # the home: a card per section, each a fixed few queries
    "/fatture/": 10,
    "/fatture/personali/": 8,
    "/consumi/": 8,
    "/consumi/tutte-le-sim/": 8,
    "/linee/": 8,
    "/offerte/": 7,
    "/assistenza/": 8,
    "/assistenza/richieste/": 8,
    "/assistenza/chat/": 8,
    "/tracking/": 8,
    "/profilo/": 8,
    "/profilo/dipendenti/": 10,  # and the FULL profiles waiting for approval
    "/profilo/registro-attivita/": 8,
    "/profilo/dati-personali/": 6,
}


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("path", "most"), PAGES.items())
def test_pages_run_a_fixed_number_of_queries(path: str, most: int, world: World) -> None:
    audit_record(actor=world.lr, action="PROFILE_CHANGED", company=world.company)
    # One of each listed thing already: an empty list skips its page query.
    request_create(
        company=world.company, kind=RequestKind.FAULT, summary="Guasto", requester=world.lr
    )
    client = Client()
    sign_in(client, world.lr)
    client.get(path)
    small = queries_for(client, path)
    assert small <= most
    for _ in range(30):
        person = UserFactory(company=world.company, profile=Profile.USER)
        LineServiceFactory(line=LineFactory(contract=world.mobile, assignee=person))
        OfferFactory()
        request_create(
            company=world.company, kind=RequestKind.FAULT, summary="Guasto", requester=world.lr
        )
        Conversation.objects.create(
            company=world.company, customer=world.lr, topic="Chat", state=Conversation.State.CLOSED
        )
        audit_record(actor=world.lr, action="PROFILE_CHANGED", company=world.company, target=person)
    assert queries_for(client, path) == small


def test_employee_page_runs_a_fixed_number_of_queries(world: World, rf) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, world.lr)
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = 2**40  # far in the future: no re-authentication
    session.save()
    path = f"/profilo/dipendenti/{world.light.pk}/modifica/"
    client.get(path)  # the first page renews the session: not the page's own queries
    small = queries_for(client, path)
    for _ in range(30):
        LineFactory(contract=world.mobile, assignee=UserFactory(company=world.company))
    assert queries_for(client, path) == small


def test_offer_activation_pages_run_a_fixed_number_of_queries(world: World) -> None:
    """The offer's page with its line chooser, and the summary of the choice: the same
    queries for a few lines as for a company of hundreds, chosen or pending."""
    from tests.offers.helpers import activate, bulk_lines, choose, confirm

    offer = OfferFactory()
    client = Client()
    sign_in(client, world.lr)
    assert activate(client, offer, [world.lr_line]).status_code == 302  # an open request
    choose(client, offer, [world.full_line])
    pages = [f"/offerte/{offer.code}/", f"/offerte/{offer.code}/riepilogo/"]
    small = [queries_for(client, path) for path in pages]
    bulk_lines(world.mobile, 100, label="Cantiere")
    bulk_lines(world.mobile, 300, label="Flotta", start=1000)
    # Another open request, of a hundred lines, and three hundred lines chosen.
    choose(client, offer, [], action="clear")
    choose(client, offer, [], action="select_found", searched="cantiere")
    assert confirm(client, offer).status_code == 302
    choose(client, offer, [], action="select_found", searched="flotta")
    assert len(client.session[f"offers.selection.{offer.code}"]) == 300
    assert [queries_for(client, path) for path in pages] == small
    assert queries_for(client, f"/offerte/{offer.code}/?q=flotta&pagina=3") == small[0]
