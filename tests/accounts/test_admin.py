"""Back office: the Django admin is staff-only and the only place the LR changes."""

import re
from html import unescape

from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.admin import CompanyAdminForm
from accounts.models import AuditEntry, Company, User
from accounts.roles import Profile
from accounts.services import company_change_legal_representative
from area_clienti.management.commands.seed_demo import BACK_OFFICE_GROUP, Command
from tests.accounts.helpers import signed_in
from tests.conftest import World, sign_in
from tests.factories import StaffFactory


def operator_client(world: World) -> Client:
    world.staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["accounts", "tracking"])
    )
    client = Client()
    sign_in(client, world.staff)
    return client


def test_customers_cannot_enter_the_admin(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
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


# --- Issue 13, item 2: an operator who is not a superuser cannot escalate or take over ----

FORBIDDEN_FIELDS = ["is_superuser", "is_staff", "groups", "user_permissions", "password"]


def back_office_client(world: World) -> Client:
    """The operator as the demo sets them up: the back-office group, not a superuser."""
    Command().operator()
    world.staff.groups.set(Group.objects.filter(name=BACK_OFFICE_GROUP))
    client = Client()
    sign_in(client, world.staff)
    return client


def superuser_client(world: World) -> tuple[Client, User]:
    admin_user = StaffFactory(username="amministratore", is_superuser=True)
    client = Client()
    sign_in(client, admin_user)
    return client, admin_user


def change_data(client: Client, url: str) -> dict[str, object]:
    """What the change form would post back unchanged."""
    form = client.get(url).context["adminform"].form
    data: dict[str, object] = {}
    for name in form.fields:
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [item.pk for item in value]
        elif name in {"last_login", "date_joined"} and value is not None:
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%d/%m/%Y"), "10:00:00"
        elif value is not None:
            data[name] = value
    return data


def test_an_operator_sees_no_permission_password_or_sign_in_field(world: World) -> None:
    client = back_office_client(world)
    response = client.get(reverse("admin:accounts_user_change", args=[world.user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert not set(FORBIDDEN_FIELDS) & set(form.fields)
    page = response.content.decode()
    for name in [*FORBIDDEN_FIELDS, "username", "email", "company"]:
        assert f'name="{name}"' not in page
    password_url = reverse("admin:auth_user_password_change", args=[world.user.pk])
    assert password_url not in page
    assert world.user.email in page  # shown, read-only


def test_a_forged_post_changes_no_permission_and_no_sign_in_data(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_user_change", args=[world.user.pk])
    data = change_data(client, url) | {
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name=BACK_OFFICE_GROUP).pk],
        "user_permissions": [Permission.objects.get(codename="change_user").pk],
        "password": "md5$salt$forged",
        "username": "preso",
        "email": "attaccante@example.com",
        "company": world.outsider_company.pk,
    }
    before = User.objects.get(pk=world.user.pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    after = User.objects.get(pk=world.user.pk)
    assert (after.is_superuser, after.is_staff, after.password) == (False, False, before.password)
    assert (after.username, after.email, after.company_id) == (
        before.username,
        before.email,
        world.company.pk,
    )
    assert not after.groups.exists() and not after.user_permissions.exists()
    assert not AuditEntry.objects.exists()  # nothing changed, nothing to record


def test_an_operator_cannot_reach_staff_accounts_their_own_included(world: World) -> None:
    client = back_office_client(world)
    _, admin_user = superuser_client(world)
    for person in (world.staff, admin_user):
        url = reverse("admin:accounts_user_change", args=[person.pk])
        assert client.get(url).status_code == 302  # "does not exist", back to the index
        client.post(url, {"is_superuser": "on", "is_staff": "on", "email": "x@example.com"})
    world.staff.refresh_from_db()
    admin_user.refresh_from_db()
    assert not world.staff.is_superuser
    assert admin_user.email != "x@example.com"
    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert world.user.username in listing and admin_user.username not in listing


def test_an_operator_cannot_set_passwords_or_add_users(world: World) -> None:
    client = back_office_client(world)
    password_url = reverse("admin:auth_user_password_change", args=[world.lr.pk])
    before = User.objects.get(pk=world.lr.pk).password
    assert client.get(password_url).status_code == 403
    forged = {"password1": "Presa-2026-xyz", "password2": "Presa-2026-xyz"}
    assert client.post(password_url, forged | {"usable_password": "true"}).status_code == 403
    assert User.objects.get(pk=world.lr.pk).password == before
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403


def test_the_lr_profile_and_tax_code_are_read_only_for_operators(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_user_change", args=[world.lr.pk])
    data = change_data(client, url) | {"profile": Profile.USER, "tax_code": "RSSMRA80A01H501U"}
    assert client.post(url, data).status_code == 302
    world.lr.refresh_from_db()
    assert world.lr.profile == Profile.LR and world.lr.tax_code != "RSSMRA80A01H501U"


def test_an_operators_change_is_audited_and_the_lr_sees_it(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_user_change", args=[world.user.pk])
    old_phone = world.user.phone
    response = client.post(url, change_data(client, url) | {"phone": "+393409999999"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert (entry.actor, entry.target, entry.company) == (world.staff, world.user, world.company)
    assert entry.changes["phone"]["from"] == old_phone
    assert entry.changes["phone"]["to"] == "+393409999999"
    page = unescape(signed_in(world.lr).get(reverse("accounts:audit-log")).content.decode())
    assert "Utenza modificata dal servizio clienti" in page and "Telefono" in page


def test_a_superusers_changes_are_audited_and_the_old_address_told(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client, admin_user = superuser_client(world)
    url = reverse("admin:accounts_user_change", args=[world.full.pk])
    old_email = world.full.email
    data = change_data(client, url)
    assert "is_superuser" in client.get(url).context["adminform"].form.fields  # full power
    data |= {"email": "laura.nuova@example.it", "is_staff": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.full.refresh_from_db()
    assert world.full.email == "laura.nuova@example.it" and world.full.is_staff
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert entry.actor == admin_user and entry.target == world.full
    assert entry.changes["email"] | {"label": ""} == {
        "label": "",
        "from": old_email,
        "to": "laura.nuova@example.it",
    }
    assert entry.changes["is_staff"]["to"] is True
    [notice] = mail.outbox
    assert notice.to == [old_email] and "laura.nuova@example.it" in notice.body


def test_a_superusers_password_change_is_audited_and_told(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client, admin_user = superuser_client(world)
    url = reverse("admin:auth_user_password_change", args=[world.user.pk])
    new = {"password1": "Nuova-Pass-2026-x", "password2": "Nuova-Pass-2026-x"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, new | {"usable_password": "true"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.user.pk).check_password("Nuova-Pass-2026-x")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_CHANGED)
    assert (entry.actor, entry.target) == (admin_user, world.user)
    [notice] = mail.outbox
    assert notice.to == [world.user.email] and "servizio clienti ha modificato" in notice.body


def test_a_customer_without_a_profile_is_a_message_not_a_500(world: World) -> None:
    client, _ = superuser_client(world)
    url = reverse("admin:accounts_user_change", args=[world.user.pk])
    response = client.post(url, change_data(client, url) | {"profile": ""})
    assert response.status_code == 200
    assert "Un cliente ha un&#x27;azienda e un profilo web" in response.content.decode()
    assert User.objects.get(pk=world.user.pk).profile == Profile.USER


# --- Review A1: the company and line pages are no way around the audited flows -----------------


def _form_data(form) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What one (unbound) admin form would post back unchanged, with its prefix."""
    data: dict[str, object] = {}
    for name in form.fields:
        value = form.initial.get(name)
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list):
            data[key] = [item.pk for item in value]
        elif hasattr(value, "strftime"):
            data[key] = value.strftime("%d/%m/%Y")
        elif hasattr(value, "pk"):
            data[key] = value.pk
        elif value is not None:
            data[key] = value
    return data


def admin_change_data(client: Client, url: str) -> dict[str, object]:
    """What a change page with inlines would post back unchanged."""
    response = client.get(url)
    assert response.status_code == 200
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data |= {management.add_prefix(k): v for k, v in management.initial.items()}
        for form in formset.forms:
            data |= _form_data(form)
            if form.instance.pk is not None:
                data[form.add_prefix("id")] = form.instance.pk
    return data


def test_an_operator_cannot_change_the_contact_email_in_the_admin(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_company_change", args=[world.company.pk])
    old = world.company.contact_email
    page = client.get(url).content.decode()
    assert 'name="contact_email"' not in page and old in page  # shown, read-only
    data = admin_change_data(client, url) | {"contact_email": "attaccante@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Company.objects.get(pk=world.company.pk).contact_email == old
    assert not AuditEntry.objects.exists() and not mail.outbox  # nothing changed


def test_a_superusers_contact_email_change_is_audited_and_told_to_the_old_address(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client, admin_user = superuser_client(world)
    url = reverse("admin:accounts_company_change", args=[world.company.pk])
    old = world.company.contact_email
    data = admin_change_data(client, url) | {"contact_email": "nuova@azienda.example.it"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Company.objects.get(pk=world.company.pk).contact_email == "nuova@azienda.example.it"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CONTACT_EMAIL_CHANGED)
    assert (entry.actor, entry.company) == (admin_user, world.company)
    assert entry.changes == {"from": old, "to": "nuova@azienda.example.it"}
    [notice] = mail.outbox
    assert notice.to == [old] and "nuova@azienda.example.it" in notice.body


def test_an_operators_company_change_is_audited_and_the_lr_sees_it(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_company_change", args=[world.company.pk])
    old_name = world.company.name
    response = client.post(url, admin_change_data(client, url) | {"name": "Acme Nuova S.r.l."})
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action=AuditEntry.Action.COMPANY_CHANGED)
    assert (entry.actor, entry.company) == (world.staff, world.company)
    assert entry.changes["name"] | {"label": ""} == {
        "label": "",
        "from": old_name,
        "to": "Acme Nuova S.r.l.",
    }
    page = unescape(signed_in(world.lr).get(reverse("accounts:audit-log")).content.decode())
    assert "Dati aziendali modificati dal servizio clienti" in page and "Ragione sociale" in page


def test_a_contract_changed_inside_the_company_page_is_audited(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_company_change", args=[world.company.pk])
    data = admin_change_data(client, url)
    index = next(i for i in range(2) if data[f"contracts-{i}-id"] == world.mobile.pk)
    data[f"contracts-{index}-started_on"] = "01/02/2020"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action=AuditEntry.Action.COMPANY_CHANGED)
    [change] = entry.changes.values()
    assert change["label"].endswith(str(world.mobile)) and "started_on" in change["changes"]


def test_a_contract_cannot_be_moved_to_another_company(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_contract_change", args=[world.mobile.pk])
    data = _form_data(client.get(url).context["adminform"].form)
    response = client.post(url, data | {"company": world.outsider_company.pk})
    assert response.status_code == 302
    world.mobile.refresh_from_db()
    assert world.mobile.company == world.company  # its lines' people stay in their company


def test_the_line_admin_refuses_an_assignee_of_another_company(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_line_change", args=[world.spare_line.pk])
    data = admin_change_data(client, url) | {"assignee": world.outsider_lr.pk}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "La linea può essere assegnata solo a persone dell" in unescape(
        response.content.decode()
    )
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee is None
    assert not AuditEntry.objects.exists()


def test_a_person_holding_lines_cannot_be_moved_to_another_company(world: World) -> None:
    """The other way to give a line a person of another company: move the person."""
    client, _ = superuser_client(world)
    url = reverse("admin:accounts_user_change", args=[world.user.pk])
    response = client.post(url, change_data(client, url) | {"company": world.outsider_company.pk})
    assert response.status_code == 200
    assert "Questa persona ha linee assegnate" in unescape(response.content.decode())
    world.user.refresh_from_db()
    assert world.user.company == world.company
    assert world.user_line.contract.company == world.company


def test_a_line_assigned_in_the_admin_is_audited_like_the_lrs_assignments(world: World) -> None:
    client = back_office_client(world)
    url = reverse("admin:accounts_line_change", args=[world.user_line.pk])
    response = client.post(url, admin_change_data(client, url) | {"assignee": world.full.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.user_line.refresh_from_db()
    assert world.user_line.assignee == world.full
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LINES_ASSIGNED)
    assert (entry.actor, entry.target, entry.company) == (world.staff, world.full, world.company)
    assert entry.changes["added"] == [world.user_line.number]
    assert entry.changes["from"] == str(world.user)
    page = unescape(signed_in(world.lr).get(reverse("accounts:audit-log")).content.decode())
    assert f"+ {world.user_line.number}" in page


def test_sim_changes_in_the_line_admin_are_audited_without_the_puk(world: World) -> None:
    client = back_office_client(world)
    sim = world.user_line.sims.get()
    url = reverse("admin:accounts_line_change", args=[world.user_line.pk])
    data = admin_change_data(client, url) | {"sims-0-puk": "87654321"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    sim.refresh_from_db()
    assert sim.puk == "87654321"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LINE_CHANGED)
    assert (entry.actor, entry.company) == (world.staff, world.company)
    assert entry.changes["line"] == world.user_line.number
    [change] = entry.changes["changes"].values()
    assert change["changes"]["puk"]["changed"] is True
    assert "87654321" not in str(entry.changes)
    page = unescape(signed_in(world.lr).get(reverse("accounts:audit-log")).content.decode())
    assert "Linea modificata dal servizio clienti" in page and world.user_line.number in page


def test_a_link_asked_for_before_a_staff_change_of_the_email_dies_with_it(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Staff move the address away and back: the customer's older link must not apply."""
    original = world.user.email
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(world.user).post(
            reverse("accounts:personal-email"), {"new_email": "vecchia-richiesta@example.it"}
        )
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body)
    assert link is not None
    client, _ = superuser_client(world)
    url = reverse("admin:accounts_user_change", args=[world.user.pk])
    for address in ("temporanea@example.it", original):
        response = client.post(url, change_data(client, url) | {"email": address})
        assert response.status_code == 302, response.context["adminform"].form.errors
    assert Client().post(link.group(1)).status_code == 410
    assert User.objects.get(pk=world.user.pk).email == original
