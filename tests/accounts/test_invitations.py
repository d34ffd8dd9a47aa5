"""Registering employees by invitation (D4, LR only)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Invitation, User
from accounts.roles import Profile
from accounts.services import (
    INVITATION_ALREADY_PENDING,
    INVITATION_ALREADY_REGISTERED,
    invitation_accept,
)
from accounts.tokens import hash_token
from core.exceptions import ActionRefused
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import InvitationFactory, UserFactory, _codice_fiscale

NEW_PASSWORD = "Benvenuta-in-Acme-2026"


def invite_data(world: World, **overrides: object) -> dict[str, object]:
    return {
        "first_name": "Giulia",
        "last_name": "Neri",
        "email": "giulia.neri@acme.example.it",
        "tax_code": _codice_fiscale(4242).lower(),
        "profile": Profile.USER,
        "assigned-lines": [],
        "lines": [world.spare_line.pk],
        **overrides,
    }


def invite(world: World, capture, **overrides: object):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return signed_in(world.lr).post(reverse("accounts:invite"), invite_data(world, **overrides))


def link_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/invito/\S+/)", message.body)
    assert match is not None
    return match.group(1)


def accept(path: str, username: str = "giulia", password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return Client().post(path, {"username": username, "password1": password, "password2": password})


def test_lr_invites_an_employee_who_opens_the_account(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = invite(world, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.profile == Profile.USER and invitation.tax_code.isupper()
    assert list(invitation.lines.all()) == [world.spare_line]
    [message] = mail.outbox
    assert message.to == ["giulia.neri@acme.example.it"] and world.company.name in message.subject
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EMPLOYEE_INVITED).exists()

    path = link_path(message)
    assert "Giulia" in Client().get(path).content.decode()
    assert accept(path).status_code == 302
    person = User.objects.get(username="giulia")
    assert (person.company, person.profile, person.is_active) == (world.company, Profile.USER, True)
    world.spare_line.refresh_from_db()
    assert world.spare_line.assignee == person
    login = Client().post("/accedi/", {"username": "giulia", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EMPLOYEE_REGISTERED).exists()
    # Single use.
    assert Client().get(path).status_code == 410


def test_the_default_profile_is_user(world: World) -> None:
    page = signed_in(world.lr).get(reverse("accounts:invite")).content.decode()
    assert '<option value="USER" selected>' in page


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_only_the_lr_registers_employees(profile: Profile, world: World) -> None:
    client = signed_in(world.by_profile(profile))
    assert client.get(reverse("accounts:invite")).status_code == 403
    assert client.post(reverse("accounts:invite"), invite_data(world)).status_code == 403
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_code", "RSSMRA70A01H501X", "Codice fiscale non valido"),
        ("tax_code", "01234567897", "Codice fiscale non valido"),
        ("email", "giulia@", "Inserisci un indirizzo email valido"),
        ("profile", Profile.LR, "LR non è tra quelle disponibili"),
        ("first_name", "", "obbligatorio"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(
    field: str,
    value: str,
    message: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = invite(world, django_capture_on_commit_callbacks, **{field: value})
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_line_of_another_company_is_refused(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    response = invite(world, django_capture_on_commit_callbacks, lines=[world.outsider_line.pk])
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def refusal(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert not Invitation.objects.filter(email__iexact="giulia.neri@acme.example.it").exists()
    return " ".join(response.context["form"].non_field_errors())


@pytest.mark.parametrize("same", ["email", "tax_code"])
def test_a_colleague_already_registered_is_refused_by_name(
    same: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """The company's own people are on the LR's employees page anyway: the refusal says why."""
    existing = {"email": world.user.email.upper(), "tax_code": world.user.tax_code.lower()}[same]
    response = invite(world, django_capture_on_commit_callbacks, **{same: existing})
    assert refusal(response) == str(INVITATION_ALREADY_REGISTERED)
    assert "già registrata nella tua azienda" in unescape(response.content.decode())
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.mark.parametrize("same", ["email", "tax_code"])
def test_a_person_already_invited_here_is_refused_by_name(
    same: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    other = {"email": "altro.indirizzo@acme.example.it", "tax_code": _codice_fiscale(4444)}
    response = invite(
        world, django_capture_on_commit_callbacks, **{k: v for k, v in other.items() if k != same}
    )
    assert response.status_code == 200
    assert " ".join(response.context["form"].non_field_errors()) == str(INVITATION_ALREADY_PENDING)
    assert "rinvialo" in unescape(response.content.decode())
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


# --- Issue 13, item 11: another company's people are invisible to the LR ------------------


def lr_answer(world: World, capture, email: str, tax_code: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Everything the LR sees of an invitation they send: the answer to the form, the
    message on the next page, the pending invitation as listed, the audit entry. The
    address itself is blanked out, so two answers compare as wholes."""
    with capture(execute=True):
        response = signed_in(world.lr).post(
            reverse("accounts:invite"),
            invite_data(world, email=email, tax_code=tax_code),
            follow=True,
        )
    invitation = Invitation.objects.get(company=world.company, email=email)
    page = response.content.decode()
    [listed] = [
        item
        for item in re.findall(r'<li class="invitation">.*?</li>', page, flags=re.DOTALL)
        if email in item
    ]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EMPLOYEE_INVITED).latest("pk")

    def blank(text: str) -> str:
        text = text.replace(email, "<e-mail>").replace(f"/{invitation.pk}/", "/<pk>/")
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "<csrf>", text)
        return re.sub(r"scade (il |l')[^<]*", "scade <data>", text)

    return {
        "redirects": response.redirect_chain,
        "status": response.status_code,
        "messages": [blank(str(m)) for m in response.context["messages"]],
        "listed": blank(listed),
        "validity": invitation.expires_at - invitation.sent_at,
        "lines": list(invitation.lines.all()),
        "profile": invitation.profile,
        "audit": (entry.actor, entry.company, entry.action, blank(str(entry.changes))),
    }


def mail_to(address: str) -> mail.EmailMessage:
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def html_of(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(html, _)] = message.alternatives
    return str(html)


@pytest.mark.parametrize("case", ["account by e-mail", "account by codice fiscale"])
def test_another_companys_person_gets_the_answer_of_a_free_address(
    case: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 13, item 11: for a person with an account in another company the LR sees
    exactly what a free address gets; only the address's owner is told, with no link."""
    free = lr_answer(
        world, django_capture_on_commit_callbacks, "libera@acme.example.it", _codice_fiscale(4343)
    )
    email, tax_code = {
        "account by e-mail": (world.outsider_lr.email, _codice_fiscale(4444)),
        "account by codice fiscale": ("giulia.neri@acme.example.it", world.outsider_lr.tax_code),
    }[case]
    taken = lr_answer(world, django_capture_on_commit_callbacks, email, tax_code)

    assert taken == free
    assert free["messages"] == ["Invito inviato a <e-mail>: vale 7 giorni."]
    assert "/profilo/inviti/<pk>/reinvia/" in str(free["listed"])
    # The free address got its link, the taken one a notice without any.
    assert link_path(mail_to("libera@acme.example.it"))
    notice = mail_to(email)
    for text in (notice.subject, notice.body, html_of(notice)):
        assert world.company.name in unescape(text)
    for text in (notice.body, html_of(notice)):
        assert "/invito/" not in text and "://" not in text
        assert "191" in text and world.outsider_company.name not in text
    already = "Questo indirizzo e-mail ha però già un'utenza"
    assert (already in notice.body) == (case == "account by e-mail")
    # Nobody else is written to (the other company's LR only as the address's owner).
    assert len(mail.outbox) == 2


def test_another_companys_open_invitation_gets_the_answer_of_a_free_address(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    elsewhere = InvitationFactory(
        company=world.outsider_company,
        email="invitata@concorrente.example.it",
        tax_code=_codice_fiscale(4444),
    )
    free = lr_answer(
        world, django_capture_on_commit_callbacks, "libera@acme.example.it", _codice_fiscale(4343)
    )
    for email, tax_code in [
        (elsewhere.email, _codice_fiscale(4545)),
        ("altra@acme.example.it", elsewhere.tax_code),
    ]:
        assert lr_answer(world, django_capture_on_commit_callbacks, email, tax_code) == free
        # Nobody has an account yet: the person gets both links and opens one of them.
        assert link_path(mail_to(email))
    assert elsewhere.company == world.outsider_company
    assert Invitation.objects.filter(email=elsewhere.email, accepted_at__isnull=True).count() == 2


@pytest.mark.parametrize("same", ["email", "tax_code"])
def test_two_companies_invite_the_same_person_and_the_second_acceptance_is_refused(
    same: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    person = invite_data(world)
    with django_capture_on_commit_callbacks(execute=True):
        outsider = signed_in(world.outsider_lr).post(
            reverse("accounts:invite"),
            {
                **person,
                "lines": [],
                **({"email": "g.neri@altrove.example.it"} if same == "tax_code" else {}),
                **({"tax_code": _codice_fiscale(4444)} if same == "email" else {}),
            },
        )
    assert outsider.status_code == 302
    assert invite(world, django_capture_on_commit_callbacks).status_code == 302
    theirs, ours = (link_path(message) for message in mail.outbox)
    assert ours != theirs

    assert accept(theirs, username="giulia-altrove").status_code == 302
    # The person who opens our link owns the address: they are told why, by company name.
    page = Client().get(ours)
    assert page.status_code == 410
    text = unescape(page.content.decode())
    assert "risulta già associato a un'utenza" in text and world.company.name in text
    response = accept(ours)
    assert response.status_code == 410
    assert "risulta già associato a un'utenza" in unescape(response.content.decode())
    assert not User.objects.filter(username="giulia").exists()
    assert not User.objects.filter(company=world.company, tax_code=str(person["tax_code"]).upper())


def test_the_service_refuses_an_invitation_whose_person_has_an_account(world: World) -> None:
    """Refused with words, not a duplicate account nor an IntegrityError, whichever
    company's invitation made the account first."""
    ours = InvitationFactory(company=world.company, token_hash=hash_token("nostro"))
    InvitationFactory(
        company=world.outsider_company, email=ours.email, token_hash=hash_token("loro")
    )
    invitation_accept(token="loro", username="prima", password=NEW_PASSWORD)
    with pytest.raises(ActionRefused, match="già associato a un'utenza"):
        invitation_accept(token="nostro", username="seconda", password=NEW_PASSWORD)
    assert User.objects.filter(email=ours.email).count() == 1
    ours.refresh_from_db()
    assert ours.is_open


def test_one_open_invitation_per_address_in_each_company(world: World) -> None:
    first = InvitationFactory(company=world.company, email="doppio@example.it")
    InvitationFactory(company=world.outsider_company, email=first.email)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(company=world.company, email=first.email)


def test_resend_to_an_address_that_has_an_account_by_now_sends_the_notice(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    old_path = link_path(mail.outbox[0])
    invitation = Invitation.objects.get()
    UserFactory(company=world.outsider_company, email=invitation.email.upper())
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.lr).post(
            reverse("accounts:invitation-resend", args=[invitation.pk]), follow=True
        )
    assert [str(m) for m in response.context["messages"]] == [
        f"Invito inviato di nuovo a {invitation.email}."
    ]
    notice = mail.outbox[1]
    assert notice.to == [invitation.email] and "/invito/" not in notice.body
    assert "già un'utenza" in notice.body
    assert Client().get(old_path).status_code == 410
    assert AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_RESENT).exists()


def test_an_expired_invitation_cannot_be_used(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = accept(link_path(mail.outbox[0]))
    assert response.status_code == 410
    assert "scaduto" in response.content.decode()
    assert not User.objects.filter(username="giulia").exists()


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "x", "non coincidono"),
        ("12345678901", "12345678901", "interamente numerica"),
        ("corta", "corta", "La password è troppo corta: deve contenere almeno 10 caratteri"),
    ],
)
def test_the_new_password_is_checked(
    password1: str,
    password2: str,
    message: str,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    response = Client().post(
        link_path(mail.outbox[0]),
        {"username": "giulia", "password1": password1, "password2": password2},
    )
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not User.objects.filter(username="giulia").exists()


def test_a_taken_username_is_refused(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    response = accept(link_path(mail.outbox[0]), username=world.full.username)
    assert response.status_code == 200
    assert "già in uso" in unescape(response.content.decode())
    assert Invitation.objects.get().is_open


def test_resend_gives_a_new_link_and_the_old_one_dies(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    old_path = link_path(mail.outbox[0])
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.lr).post(
            reverse("accounts:invitation-resend", args=[invitation.pk])
        )
    assert response.status_code == 302
    new_path = link_path(mail.outbox[1])
    assert new_path != old_path
    assert Client().get(old_path).status_code == 410
    assert Client().get(new_path).status_code == 200


def test_revoke_kills_the_link(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    invite(world, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    signed_in(world.lr).post(reverse("accounts:invitation-revoke", args=[invitation.pk]))
    assert Client().get(link_path(mail.outbox[0])).status_code == 410
    assert AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_REVOKED).exists()
    # The person can be invited again.
    assert invite(world, django_capture_on_commit_callbacks).status_code == 302


def test_pending_invitations_are_listed(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    invite(world, django_capture_on_commit_callbacks)
    page = signed_in(world.lr).get(reverse("accounts:employees")).content.decode()
    assert "giulia.neri@acme.example.it" in page
