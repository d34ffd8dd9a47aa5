"""seed_demo: the demo companies and accounts of spec/product.md, idempotent."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Company, Contract, Line, Sim, User
from accounts.roles import Capability, Profile
from accounts.selectors import lines_for_user
from tracking.models import Request

DEMO_PASSWORD = "Demo-2026!"


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Company, User, Contract, Line, Sim, Request))


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
        ("legale", 7),
        ("full", 7),
        ("light", 6),
        ("utente", 3),
        ("bianchi", 7),
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
