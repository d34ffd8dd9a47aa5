"""Company data (D1), contact e-mail (D2) and legal seat (D3)."""

import re
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, Company
from accounts.roles import Profile
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_transition


@pytest.mark.parametrize("profile", list(Profile))
def test_every_profile_sees_the_company_data_and_the_lr(profile: Profile, world: World) -> None:
    page = signed_in(world.by_profile(profile)).get(reverse("accounts:profile")).content.decode()
    company = world.company
    for value in (
        company.name,
        company.vat_number,
        company.customer_code,
        company.legal_city,
        company.contact_email,
        company.legal_rep_name,
        world.mobile.number,
        world.fixed.number,
    ):
        assert value in unescape(page), value


def test_change_links_follow_the_matrix(world: World) -> None:
    lr = signed_in(world.lr).get(reverse("accounts:profile")).content.decode()
    full = signed_in(world.full).get(reverse("accounts:profile")).content.decode()
    user = signed_in(world.user).get(reverse("accounts:profile")).content.decode()
    address, email = reverse("accounts:legal-address"), reverse("accounts:contact-email")
    assert address in lr and email in lr
    assert address not in full and email in full
    assert address not in user and email not in user


# --- D2 -----------------------------------------------------------------------------


def request_contact_email(client: Client, address: str, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(reverse("accounts:contact-email"), {"new_email": address})


def link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL])
def test_contact_email_changes_only_after_the_link(
    profile: Profile,
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    old = world.company.contact_email
    client = signed_in(world.by_profile(profile))
    response = request_contact_email(
        client, "nuova@azienda.example.it", django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    world.company.refresh_from_db()
    assert world.company.contact_email == old  # not yet
    [confirm] = mail.outbox
    assert confirm.to == ["nuova@azienda.example.it"]
    link = link_in(confirm)
    anonymous = Client()
    assert anonymous.get(link).status_code == 200  # a mail scanner opening it changes nothing
    world.company.refresh_from_db()
    assert world.company.contact_email == old
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymous.post(link).status_code == 200
    world.company.refresh_from_db()
    assert world.company.contact_email == "nuova@azienda.example.it"
    notice = mail.outbox[-1]
    assert notice.to == [old] and "nuova@azienda.example.it" in notice.body
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONTACT_EMAIL_CHANGED).count() == 1
    # The same link a second time changes nothing and says so.
    response = anonymous.post(link)
    assert response.status_code == 410
    assert "già stato usato" in unescape(response.content.decode())


@pytest.mark.parametrize("profile", [Profile.LIGHT, Profile.USER])
def test_contact_email_is_for_lr_and_full_only(profile: Profile, world: World) -> None:
    client = signed_in(world.by_profile(profile))
    assert (
        client.post(reverse("accounts:contact-email"), {"new_email": "x@y.it"}).status_code == 403
    )
    assert not mail.outbox


def test_a_bad_email_address_is_refused_clearly(world: World) -> None:
    response = signed_in(world.lr).post(
        reverse("accounts:contact-email"), {"new_email": "non-valida"}
    )
    assert response.status_code == 200
    assert "Inserisci un indirizzo email valido" in response.content.decode()
    assert not mail.outbox


def test_a_tampered_or_expired_link_is_refused(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    from accounts import tokens

    token = tokens.email_change_token(
        target="company",
        object_id=world.company.pk,
        old=world.company.contact_email,
        new="a@b.it",
        nonce=world.company.contact_email_nonce,
        requester_id=world.lr.pk,
    )
    client = Client()
    assert client.post(reverse("accounts:email-confirm", args=[token + "x"])).status_code == 410
    settings.SECRET_KEY = settings.SECRET_KEY  # same key: still valid until it expires
    import time

    real_time = time.time
    try:
        time.time = lambda: real_time() + tokens.EMAIL_CHANGE_MAX_AGE + 60  # type: ignore[assignment]
        response = client.post(reverse("accounts:email-confirm", args=[token]))
    finally:
        time.time = real_time  # type: ignore[assignment]
    assert response.status_code == 410
    assert "scaduto" in response.content.decode()
    assert Company.objects.get(pk=world.company.pk).contact_email != "a@b.it"


# --- D3 -----------------------------------------------------------------------------

ADDRESS = {"street": "Via Nazionale 10", "postal_code": "00184", "city": "Roma", "province": "RM"}


def test_lr_requests_a_new_legal_seat_the_back_office_completes_it(world: World) -> None:
    response = signed_in(world.lr).post(reverse("accounts:legal-address"), ADDRESS)
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.LEGAL_ADDRESS)
    assert tracked.requester == world.lr and tracked.company == world.company
    world.company.refresh_from_db()
    assert world.company.legal_street != ADDRESS["street"]  # verified first
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LEGAL_ADDRESS_REQUESTED).exists()

    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    request_transition(request=tracked, to_state=RequestState.COMPLETED, actor=world.staff)
    world.company.refresh_from_db()
    assert world.company.legal_address == "Via Nazionale 10, 00184 Roma (RM)"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LEGAL_ADDRESS_CHANGED)
    assert entry.changes["request"] == tracked.reference


def test_a_rejected_legal_seat_request_changes_nothing(world: World) -> None:
    signed_in(world.lr).post(reverse("accounts:legal-address"), ADDRESS)
    tracked = Request.objects.get(kind=RequestKind.LEGAL_ADDRESS)
    request_transition(
        request=tracked, to_state=RequestState.REJECTED, actor=world.staff, note="Visura assente"
    )
    world.company.refresh_from_db()
    assert world.company.legal_street == "Via Roma 1"


def test_a_second_legal_seat_request_while_one_is_open_is_refused(world: World) -> None:
    client = signed_in(world.lr)
    client.post(reverse("accounts:legal-address"), ADDRESS)
    page = client.get(reverse("accounts:legal-address")).content.decode()
    assert Request.objects.get().reference in page
    response = client.post(reverse("accounts:legal-address"), ADDRESS)
    assert response.status_code == 200
    assert "già una richiesta" in unescape(response.content.decode())
    assert Request.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postal_code", "0018", "5 cifre"),
        ("postal_code", "ABCDE", "5 cifre"),
        ("province", "XX", "Scegli un"),
        ("city", "1234", "nome del comune"),
        ("street", "", "obbligatorio"),
    ],
)
def test_italian_address_checks(field: str, value: str, message: str, world: World) -> None:
    response = signed_in(world.lr).post(
        reverse("accounts:legal-address"), {**ADDRESS, field: value}
    )
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not Request.objects.exists()


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.LIGHT, Profile.USER])
def test_legal_seat_is_exclusive_to_the_lr(profile: Profile, world: World) -> None:
    response = signed_in(world.by_profile(profile)).post(reverse("accounts:legal-address"), ADDRESS)
    assert response.status_code == 403
    assert not Request.objects.exists()


# --- Review S1: a contact-e-mail link works once, and only while its requester may use it ----


def ask_contact_email(person, address: str, capture) -> str:  # type: ignore[no-untyped-def]
    response = request_contact_email(signed_in(person), address, capture)
    assert response.status_code == 302
    assert mail.outbox[-1].to == [address]
    return link_in(mail.outbox[-1])


def test_a_used_contact_email_link_cannot_be_replayed_after_the_change_is_undone(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    contract_address = world.company.contact_email
    first = ask_contact_email(
        world.full, "attaccante@example.com", django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(first).status_code == 200
    back = ask_contact_email(world.lr, contract_address, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(back).status_code == 200
    assert Company.objects.get(pk=world.company.pk).contact_email == contract_address

    replay = Client().post(first)
    assert replay.status_code == 410
    assert "già stato usato" in unescape(replay.content.decode())
    assert Company.objects.get(pk=world.company.pk).contact_email == contract_address
    actors = AuditEntry.objects.filter(action=AuditEntry.Action.CONTACT_EMAIL_CHANGED).values_list(
        "actor", flat=True
    )
    assert sorted(actors) == sorted([world.full.pk, world.lr.pk])  # who asked, each time


def test_only_the_latest_contact_email_link_works(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    earlier = ask_contact_email(
        world.full, "prima@azienda.example.it", django_capture_on_commit_callbacks
    )
    later = ask_contact_email(
        world.lr, "seconda@azienda.example.it", django_capture_on_commit_callbacks
    )
    assert Client().post(earlier).status_code == 410
    assert Client().post(later).status_code == 200
    assert Company.objects.get(pk=world.company.pk).contact_email == "seconda@azienda.example.it"


def _loses_the_capability(world: World) -> None:
    world.full.profile = Profile.USER
    world.full.save(update_fields=["profile"])


def _leaves_the_company(world: World) -> None:
    world.full.company = world.outsider_company
    world.full.save(update_fields=["company"])


def _is_deactivated(world: World) -> None:
    world.full.is_active = False
    world.full.save(update_fields=["is_active"])


@pytest.mark.parametrize("change", [_loses_the_capability, _leaves_the_company, _is_deactivated])
def test_a_contact_email_link_dies_with_its_requesters_right(
    change,  # type: ignore[no-untyped-def]
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    old = world.company.contact_email
    link = ask_contact_email(
        world.full, "nuova@azienda.example.it", django_capture_on_commit_callbacks
    )
    change(world)
    response = Client().post(link)
    assert response.status_code == 410
    assert "non può più" in unescape(response.content.decode())
    assert Company.objects.get(pk=world.company.pk).contact_email == old
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.CONTACT_EMAIL_CHANGED).exists()
