"""The home: each profile sees the cards its capabilities allow, with its own figures, and
the page's queries do not grow with the company."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AuditEntry, Line
from accounts.roles import MATRIX, Capability, Profile
from area_clienti.templatetags.area import money
from billing.models import BillingProfile, Invoice
from consumption.models import LinePlan, Plan, SimCredit, UsageMonthly
from support.models import Conversation
from tests.conftest import World, client_for
from tests.factories import InvitationFactory, InvoiceFactory, LineFactory, SimFactory
from tracking.models import RequestKind, RequestState
from tracking.services import request_create

CARDS = ("card-billing", "card-usage", "card-requests", "card-people")
EXPECTED_CARDS = {
    Profile.LR: {"card-billing", "card-usage", "card-requests", "card-people"},
    Profile.FULL: {"card-billing", "card-usage", "card-requests"},
    Profile.LIGHT: {"card-billing", "card-usage", "card-requests"},
    Profile.USER: {"card-usage", "card-requests"},
}


def home(user: object) -> str:
    response = client_for(user).get(reverse("dashboard"))  # type: ignore[arg-type]
    assert response.status_code == 200
    return response.content.decode()


def use(line: Line, kind: str, quantity: int, *, roaming: bool = False) -> None:
    UsageMonthly.objects.create(
        line=line,
        month=timezone.localdate().replace(day=1),
        kind=kind,
        roaming=roaming,
        quantity=quantity,
        cost=0,
        records=1,
    )


@pytest.fixture
def busy(world: World) -> World:
    """Usage, credit, requests, a chat, invitations and profile changes, inside the company
    and outside it."""
    plan = Plan.objects.create(name="Test 100", voice_minutes=100, sms=10, data_mb=1000)
    for line in (world.lr_line, world.user_line, world.spare_line, world.outsider_line):
        LinePlan.objects.create(line=line, plan=plan)
    use(world.user_line, "VOICE", 85 * 60)  # 85% of the minutes
    use(world.lr_line, "DATA", 100 * 1024)  # 10% of the data
    use(world.spare_line, "SMS", 1, roaming=True)
    use(world.outsider_line, "VOICE", 99 * 60)
    SimCredit.objects.create(line=world.user_line, balance=Decimal("7.50"))
    SimCredit.objects.create(line=world.lr_line, balance=Decimal("10.00"))
    SimCredit.objects.create(line=world.outsider_line, balance=Decimal("99.00"))
    request_create(
        company=world.company, kind=RequestKind.FAULT, summary="Guasto", requester=world.user
    )
    request_create(
        company=world.company, kind=RequestKind.SIM_CHANGE, summary="SIM", requester=world.lr
    )
    done = request_create(
        company=world.company, kind=RequestKind.OFFER, summary="Offerta", requester=world.lr
    )
    done.state = RequestState.COMPLETED
    done.save()
    request_create(
        company=world.outsider_company,
        kind=RequestKind.FAULT,
        summary="Altrui",
        requester=world.outsider_lr,
    )
    Conversation.objects.create(company=world.company, customer=world.user, topic="SIM muta")
    InvitationFactory(company=world.company, first_name="Giulia", last_name="Neri")
    InvitationFactory(company=world.outsider_company, first_name="Marco", last_name="Esterno")
    for company, name, days in (
        (world.company, "Fulvio Recente", 2),
        (world.company, "Vecchio Cambio", 40),
        (world.outsider_company, "Esterno Cambiato", 1),
    ):
        entry = AuditEntry.objects.create(
            company=company,
            actor_name="LR",
            action=AuditEntry.Action.PROFILE_CHANGED,
            target_name=name,
            changes={"from": "LIGHT", "to": "FULL"},
        )
        AuditEntry.objects.filter(pk=entry.pk).update(at=timezone.now() - timedelta(days=days))
    return world


@pytest.mark.parametrize("profile", list(Profile))
def test_each_profile_sees_exactly_the_cards_its_capabilities_allow(
    profile: Profile, busy: World
) -> None:
    page = home(busy.by_profile(profile))
    shown = {card for card in CARDS if f'id="{card}"' in page}
    assert shown == EXPECTED_CARDS[profile]


def test_the_billing_card_counts_the_companys_invoices_only(busy: World) -> None:
    InvoiceFactory(
        company=busy.company,
        contract=busy.mobile,
        due_date=timezone.localdate() + timedelta(days=10),
        total=Decimal("244.00"),
        taxable=Decimal("200.00"),
        vat=Decimal("44.00"),
    )
    paid = InvoiceFactory(company=busy.company, contract=busy.mobile)
    Invoice.objects.filter(pk=paid.pk).update(status="PAID", paid_at=timezone.now())
    page = home(busy.lr)
    assert money(Decimal("366.00")) in page  # 122 overdue + 244 due; not the personal one
    assert "2 fatture da pagare" in page
    next_due = timezone.localdate() + timedelta(days=10)
    assert f"Prossima scadenza: {next_due.day} " in page
    assert "1 fattura scaduta" in page
    assert busy.invoice.number in page
    assert busy.outsider_invoice.number not in page
    assert busy.personal_invoice.number not in page
    assert reverse("billing:invoice-pay", args=[busy.invoice.pk]) in page
    assert "Domiciliazione non attiva." in page
    assert reverse("billing:direct-debit") in page


def test_direct_debit_status(busy: World) -> None:
    BillingProfile.objects.create(
        company=busy.company, direct_debit_iban="IT60X0542811101000000123456"
    )
    page = home(busy.full)
    assert "Domiciliazione attiva sul conto IT60 •••• 3456" in page


def test_the_pay_button_only_with_b3(busy: World, monkeypatch: pytest.MonkeyPatch) -> None:
    pay = reverse("billing:invoice-pay", args=[busy.invoice.pk])
    assert pay in home(busy.light)
    monkeypatch.setitem(MATRIX, Capability.PAY_INVOICE, (None, None, None, None))
    page = home(busy.light)
    assert busy.invoice.number in page  # still listed (B1), not payable
    assert pay not in page and ">Paga</button>" not in page


def test_nothing_to_pay_says_so(world: World) -> None:
    Invoice.objects.filter(pk=world.invoice.pk).update(status="PAID", paid_at=timezone.now())
    page = home(world.lr)
    assert "Nessuna fattura da pagare" in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]  # not the session's dialog
    assert "scadut" not in main


def test_the_usage_card_of_the_lr_covers_the_company(busy: World) -> None:
    page = home(busy.lr)
    assert "6 SIM" in page
    assert '<progress value="28" max="100"' in page  # 85 of 300 minutes
    assert "85 di 300 (28%)" in page
    assert "100 di 3.000 (3%)" in page  # MB
    assert "2 SIM da tenere d'occhio" in page
    assert busy.user_line.number in page and busy.spare_line.number in page
    assert "85% di una soglia" in page and "in roaming" in page
    assert busy.outsider_line.number not in page
    assert money(Decimal("17.50")) in page
    assert money(Decimal("116.50")) not in page


def test_the_usage_card_of_a_user_covers_their_own_sim(busy: World) -> None:
    page = home(busy.user)
    assert "1 SIM," in page
    assert "85 di 100 (85%)" in page
    assert reverse("consumption:sim-usage", args=[busy.user_line.pk]) in page
    assert busy.spare_line.number not in page and busy.lr_line.number not in page
    assert money(Decimal("7.50")) in page


def test_before_the_months_first_import_the_card_shows_the_last_month_used(
    busy: World,
) -> None:
    """On the 1st the month under way is empty: the card shows the last month that has usage,
    named, as Consumi opens on it; never a month of zeros."""
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    UsageMonthly.objects.filter(month=this_month).update(month=last_month)
    page = home(busy.user)
    assert "85 di 100 (85%)" in page
    assert date_format(last_month, "F Y").lower() in page
    assert date_format(this_month, "F Y").lower() not in page


def test_sims_without_plans_or_usage_say_so(busy: World) -> None:
    page = home(busy.light)
    assert "2 SIM," in page
    assert "Nessuna soglia da controllare" in page
    assert "Nessuna SIM oltre l'80%" in page


def test_open_requests_their_own_or_the_companys_with_t1(busy: World) -> None:
    lr_page, user_page, light_page = home(busy.lr), home(busy.user), home(busy.light)
    assert lr_page.count("ultimo aggiornamento") == 2  # both open ones, not the completed
    assert "Segnalazione guasto" in lr_page and "Cambio SIM" in lr_page
    assert "Richieste aperte dell'azienda" in lr_page
    assert user_page.count("ultimo aggiornamento") == 1 and "Cambio SIM" not in user_page
    assert "Le tue richieste aperte" in user_page
    assert 'href="/tracking/' not in user_page
    assert "Nessuna richiesta aperta" in light_page


def test_the_open_chat(busy: World) -> None:
    chat = Conversation.objects.get(customer=busy.user)
    assert reverse("support:chat", args=[chat.pk]) in home(busy.user)
    lr_page = home(busy.lr)
    assert "Nessuna chat aperta" in lr_page and "SIM muta" not in lr_page


def test_the_lr_sees_invitations_and_recent_profile_changes(busy: World) -> None:
    page = home(busy.lr)
    assert "Giulia Neri" in page and "Marco Esterno" not in page
    assert "Fulvio Recente" in page
    assert "Vecchio Cambio" not in page and "Esterno Cambiato" not in page
    assert "Amministratore Light → Amministratore Full" in page


def test_no_card_names_another_companys_data(busy: World) -> None:
    page = home(busy.lr)
    for text in ("Concorrente", "Altrui", "Marco Esterno", "Esterno Cambiato"):
        assert text not in page


def _grow(world: World, sims: int, invoices: int) -> None:
    plan = Plan.objects.create(name=f"Grow {sims}", voice_minutes=10, sms=10, data_mb=10)
    for _n in range(sims):
        line = LineFactory(contract=world.mobile, assignee=world.user)
        SimFactory(line=line)
        LinePlan.objects.create(line=line, plan=plan)
        use(line, "VOICE", 9 * 60)
        SimCredit.objects.create(line=line, balance=Decimal("1.00"))
    for _ in range(invoices):
        InvoiceFactory(company=world.company, contract=world.mobile)
    for n in range(invoices):
        InvitationFactory(company=world.company, first_name=f"Persona{n}")


def _queries(user: object) -> int:
    client = client_for(user)  # type: ignore[arg-type]
    client.get(reverse("dashboard"))  # the session's first touch is not the page's
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("profile", [Profile.LR, Profile.USER])
def test_queries_do_not_grow_with_the_company(
    profile: Profile, busy: World, django_assert_max_num_queries: object
) -> None:
    user = busy.by_profile(profile)
    _grow(busy, sims=2, invoices=2)
    small = _queries(user)
    _grow(busy, sims=20, invoices=20)
    large = _queries(user)
    assert small == large
    client = client_for(user)
    client.get(reverse("dashboard"))
    # 19: the home's 17, the header bell's count of unread notifications and, for who may
    # approve (T2), the count of the requests waiting for them.
    with django_assert_max_num_queries(19):  # type: ignore[operator]
        client.get(reverse("dashboard"))
