"""seed_demo: the demo companies and accounts of spec/product.md, idempotent."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Q, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import Company, Contract, Line, Sim, User
from accounts.roles import Capability, Profile
from accounts.selectors import lines_for_user
from billing.models import Invoice, InvoiceItem
from consumption.models import UsageDaily, UsageMonthly
from lines.models import LineService
from tracking.models import Request, RequestState

DEMO_PASSWORD = "Demo-2026!"


def counts() -> tuple[int, ...]:
    models = (Company, User, Contract, Line, Sim, Request, Invoice, InvoiceItem, LineService)
    return tuple(m.objects.count() for m in models)


@pytest.fixture
def demo(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    call_command("seed_demo")


def test_seed_demo_is_idempotent(demo: None) -> None:
    before = counts()
    call_command("seed_demo")
    assert counts() == before


def test_seed_demo_refuses_with_debug_off(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    call_command("seed_demo", force=True)
    assert Company.objects.count() == 3


def test_demo_companies_and_people(demo: None) -> None:
    rossi = Company.objects.get(name="Rossi Costruzioni S.r.l.")
    rossi.full_clean()  # valid Partita IVA and codice fiscale
    assert rossi.legal_rep_name == "Mario Rossi"
    profiles = dict(User.objects.filter(company=rossi).values_list("username", "profile"))
    assert profiles == {
        "legale": Profile.LR,
        "full": Profile.FULL,
        "light": Profile.LIGHT,
        "utente": Profile.USER,
    }
    lines = Line.objects.filter(contract__company=rossi)
    assert lines.filter(contract__kind=Contract.Kind.MOBILE).count() == 25
    assert lines.filter(contract__kind=Contract.Kind.FIXED).count() == 3
    assert Request.objects.filter(company=rossi).values("state").distinct().count() >= 4
    assert User.objects.get(username="bianchi").profile == Profile.LR
    operator = User.objects.get(username="operatore")
    assert operator.is_staff and operator.company is None


def test_demo_scopes(demo: None) -> None:
    light = User.objects.get(username="light")
    scoped = lines_for_user(user=light, capability=Capability.VIEW_USAGE)
    assert scoped.count() == 6  # own Dual Billing SIM + Referente for five
    assert scoped.filter(dual_billing=True, assignee=light).count() == 1
    utente = User.objects.get(username="utente")
    assert lines_for_user(user=utente, capability=Capability.VIEW_USAGE).count() == 1


@pytest.mark.parametrize(
    ("username", "sections"),
    [
        ("legale", 8),
        ("full", 8),
        ("light", 6),
        ("utente", 3),
        ("bianchi", 8),
    ],
)
def test_demo_accounts_sign_in_with_the_demo_password(
    demo: None, username: str, sections: int
) -> None:
    client = Client()
    response = client.post("/accedi/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert page.count('class="tile"') == sections


# --- One story: what the line pages, the usage pages and the invoices say agrees ----------


def months_in(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def invoices_by_period(line: Line) -> dict[tuple[date, date], list[Invoice]]:
    """The invoices that charge `line`: its contract's, and its own if Dual Billing."""
    invoices = Invoice.objects.filter(contract=line.contract).filter(
        Q(personal_line__isnull=True) | Q(personal_line=line)
    )
    periods: dict[tuple[date, date], list[Invoice]] = defaultdict(list)
    for invoice in invoices:
        periods[invoice.period_start, invoice.period_end].append(invoice)
    return periods


def demo_lines() -> list[Line]:
    return list(Line.objects.filter(contract__company__name__in=DEMO_CUSTOMERS))


DEMO_CUSTOMERS = ["Rossi Costruzioni S.r.l.", "Bianchi Logistica S.p.A."]


def check_the_invoices_charge_the_fees_the_line_pages_show() -> None:
    checked = 0
    for line in demo_lines():
        priced = LineService.objects.filter(line=line, until__isnull=True, monthly_fee__gt=0)
        assert priced.exists(), f"{line} shows no offer, yet its invoices charge it"
        for (start, end), invoices in invoices_by_period(line).items():
            months = len(months_in(start, end))
            charged = sorted(
                InvoiceItem.objects.filter(
                    invoice__in=invoices, line=line, category=InvoiceItem.Category.FEE
                ).values_list("service", "amount")
            )
            shown = sorted(
                (service.name, service.monthly_fee * months)
                for service in priced
                if service.since <= end
            )
            assert charged == shown, (line.number, start)
            checked += 1
    assert checked > 300


def check_the_invoices_bill_the_traffic_the_usage_pages_add_up() -> None:
    billed_lines = 0
    for line in demo_lines():
        for (start, end), invoices in invoices_by_period(line).items():
            billed = InvoiceItem.objects.filter(
                invoice__in=invoices, line=line, category=InvoiceItem.Category.TRAFFIC
            ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            used = UsageDaily.objects.filter(line=line, day__range=(start, end)).aggregate(
                total=Sum("cost")
            )["total"] or Decimal("0")
            assert billed == used, (line.number, start, billed, used)
            monthly = UsageMonthly.objects.filter(
                line=line, month__in=months_in(start, end)
            ).aggregate(total=Sum("cost"))["total"] or Decimal("0")
            assert monthly == used
            billed_lines += billed > 0
    assert billed_lines > 10  # traffic is billed, not only absent on both sides


def check_no_invoice_is_issued_in_the_future_or_paid_before_it_was_issued() -> None:
    today = timezone.localdate()
    assert not Invoice.objects.filter(issue_date__gt=today).exists()
    assert not Invoice.objects.filter(period_end__gte=F("issue_date")).exists()
    paid = Invoice.objects.filter(status=Invoice.Status.PAID)
    assert paid.count() > 20
    assert not paid.filter(paid_at__gt=timezone.now()).exists()
    for invoice in paid:
        assert timezone.localtime(invoice.paid_at).date() >= invoice.issue_date, invoice.number
    rossi = Invoice.objects.filter(company__name=DEMO_CUSTOMERS[0], personal_line__isnull=True)
    assert rossi.filter(contract__kind=Contract.Kind.MOBILE).count() == 24
    open_ = rossi.filter(status=Invoice.Status.OPEN)
    assert open_.count() >= 2 and any(invoice.is_overdue for invoice in open_)


def check_saras_requests_are_on_her_own_line() -> None:
    sara = User.objects.get(username="utente")
    own = set(Line.objects.filter(assignee=sara).values_list("pk", flat=True))
    assert len(own) == 1
    requests = Request.objects.filter(requester=sara)
    assert requests.exists()
    assert set(requests.values_list("line_id", flat=True)) <= own


def check_every_rejected_request_says_why() -> None:
    rejected = Request.objects.filter(state=RequestState.REJECTED)
    assert rejected.exists()
    for tracked in rejected:
        event = tracked.events.get(to_state=RequestState.REJECTED)
        assert event.note.strip(), tracked.reference


def check_fixed_lines_have_their_access_technology() -> None:
    rossi_fixed = Line.objects.filter(
        contract__company__name=DEMO_CUSTOMERS[0], contract__kind=Contract.Kind.FIXED
    )
    technologies = set(rossi_fixed.values_list("technology", flat=True))
    assert {Line.Technology.FTTH, Line.Technology.FTTC} <= technologies and "" not in technologies
    assert not Line.objects.filter(contract__kind=Contract.Kind.MOBILE).exclude(technology="")
    for line in Line.objects.all():
        line.full_clean()
    # What the access offer on the line's page promises fits its technology.
    fttc = rossi_fixed.filter(technology=Line.Technology.FTTC).first()
    assert fttc is not None
    assert not LineService.objects.filter(line=fttc, name__contains="1 Gbit/s").exists()


def test_the_demo_tells_one_story(demo: None) -> None:
    """Issue 15. One test, one seeding (the demo takes seconds to load): each check names
    the invariant it holds."""
    check_the_invoices_charge_the_fees_the_line_pages_show()
    check_the_invoices_bill_the_traffic_the_usage_pages_add_up()
    check_no_invoice_is_issued_in_the_future_or_paid_before_it_was_issued()
    check_saras_requests_are_on_her_own_line()
    check_every_rejected_request_says_why()
    check_fixed_lines_have_their_access_technology()


def test_the_demo_has_thresholds_and_one_crossed(demo: None) -> None:
    """Thresholds on a few SIMs of Rossi's, for the LR and the FULL admin; one is crossed,
    so their bell counts an unread notification."""
    from accounts.models import Notification
    from consumption.models import Threshold, ThresholdAlert

    legale = User.objects.get(username="legale")
    assert Threshold.objects.filter(company=legale.company).count() >= 3
    assert ThresholdAlert.objects.filter(threshold__company=legale.company).exists()
    assert Notification.objects.filter(recipient=legale, read_at__isnull=True).exists()
    call_command("seed_demo")
    assert ThresholdAlert.objects.filter(threshold__company=legale.company).count() == len(
        {(a.threshold_id, a.month) for a in ThresholdAlert.objects.all()}
    )
