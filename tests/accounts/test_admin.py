"""Back office: the Django admin is staff-only and the only place the LR changes."""

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.admin import CompanyAdminForm
from accounts.models import AuditEntry, Company, User
from accounts.roles import Profile
from accounts.services import company_change_legal_representative
from tests.conftest import World


def operator_client(world: World) -> Client:
    world.staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["accounts", "tracking"])
    )
    client = Client()
    client.force_login(world.staff)
    return client


def test_customers_cannot_enter_the_admin(world: World) -> None:
    client = Client()
    client.force_login(world.lr)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_operator_changes_the_lr_and_the_audit_log_says_who(world: World) -> None:
    client = operator_client(world)
    company = world.company
    data = {
        field: getattr(company, field)
        for field in CompanyAdminForm.Meta.fields
        # The legal representative's fields are read-only once the company exists.
        if not field.startswith("legal_rep_")
    }
    data |= {
        "legal_rep_account": world.full.pk,
        "contracts-TOTAL_FORMS": "0",
        "contracts-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:accounts_company_change", args=[company.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.lr.refresh_from_db()
    world.full.refresh_from_db()
    company.refresh_from_db()
    assert (world.full.profile, world.lr.profile) == (Profile.LR, Profile.USER)
    assert company.legal_rep_tax_code == world.full.tax_code
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LEGAL_REP_CHANGED)
    assert entry.actor == world.staff and entry.target == world.full
    assert entry.changes["previous_legal_rep_id"] == world.lr.pk


def test_lr_change_refuses_a_person_of_another_company(world: World) -> None:
    import pytest

    from accounts.services import LegalRepresentativeError

    with pytest.raises(LegalRepresentativeError):
        company_change_legal_representative(
            company=world.company, new_legal_rep=world.outsider_lr, actor=world.staff
        )
    assert (
        Company.objects.get(pk=world.company.pk).legal_rep_tax_code
        == world.company.legal_rep_tax_code
    )


def test_the_user_admin_never_offers_the_lr_profile(world: World) -> None:
    client = operator_client(world)
    page = client.get(reverse("admin:accounts_user_change", args=[world.full.pk])).content.decode()
    assert 'value="FULL"' in page and 'value="LR"' not in page
    lr_page = client.get(reverse("admin:accounts_user_change", args=[world.lr.pk])).content.decode()
    assert 'name="profile"' not in lr_page  # read-only for the LR


def test_profile_changes_in_the_admin_are_audited(world: World) -> None:
    client = operator_client(world)
    url = reverse("admin:accounts_user_change", args=[world.user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in {"groups", "user_permissions", "last_login", "date_joined"}
    }
    data |= {
        "profile": Profile.LIGHT,
        "company": world.company.pk,
        "date_joined_0": "01/01/2026",
        "date_joined_1": "10:00:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=world.user.pk).profile == Profile.LIGHT
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PROFILE_CHANGED)
    assert entry.changes == {"from": Profile.USER, "to": Profile.LIGHT}
    assert entry.actor == world.staff
