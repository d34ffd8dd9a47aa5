"""Issue 16, item 5: what a person typed survives an expired session, server-side, never
with passwords, card data, IBANs or codes, given back once and never after a day; the
expiry warning's requests (stay signed in, keep a draft) and which of them renew the
session."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from security.drafts import (
    MAX_FIELDS,
    MAX_VALUE_CHARS,
    draft_fields_filtered,
    draft_path_valid,
    draft_save,
)
from security.models import FormDraft
from security.two_factor import PENDING_SECOND_FACTOR
from tests.conftest import World, client_for

PAGE = reverse("accounts:personal-data")
SAVE = reverse("security:draft-save")
DISCARD = reverse("security:draft-discard")
KEEPALIVE = reverse("security:session-keepalive")


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def restored(response: Any) -> dict[str, Any] | None:
    """The draft a page gives back to its script, as the script reads it."""
    html = response.content.decode()
    marker = '<script id="form-draft" type="application/json">'
    if marker not in html:
        return None
    payload = json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])
    fields: dict[str, Any] = payload["fields"]
    return fields


# --- What is kept ---------------------------------------------------------------------------


def test_passwords_card_data_ibans_and_codes_are_never_kept_by_name() -> None:
    denied = [
        "password",
        "new_password1",
        "old_password",
        "card_number",
        "cc-number",
        "cvc",
        "CVV",
        "iban",
        "holder_iban",
        "otp_token",
        "code",
        "promo_code",
        "pin",
        "new_puk",
        "pan",
        "client_secret",
        "csrfmiddlewaretoken",
    ]
    kept = ["first_name", "company_name", "shipping_address", "account", "new_iccid", "notes"]
    fields = draft_fields_filtered({name: "x" for name in denied + kept})
    assert sorted(fields) == sorted(kept)


def test_card_numbers_and_ibans_are_never_kept_whatever_the_field() -> None:
    fields = draft_fields_filtered(
        {
            "message": "La mia carta è 4111 1111 1111 1111, scade a breve",
            "note": "Addebitate su IT60 X054 2811 1010 0000 0123 456 per favore",
            "iccid": "8939100000000000017",  # a SIM's number (Luhn too), not a card
            "phone": "+39 333 123 4567",
        }
    )
    assert fields == {"iccid": "8939100000000000017", "phone": "+39 333 123 4567"}


def test_size_is_capped() -> None:
    many = draft_fields_filtered({f"field_{n}": "x" for n in range(MAX_FIELDS + 10)})
    assert len(many) == MAX_FIELDS
    long = draft_fields_filtered(
        {"note": "a" * (MAX_VALUE_CHARS + 1), "name": "Anna", "lines": ["1", "2"], "n": 3}
    )
    assert long == {"name": "Anna", "lines": ["1", "2"]}


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/profilo/dati-personali/", True),
        ("/consumi/?pagina=2", True),
        ("https://evil.example/profilo/", False),
        ("//evil.example/profilo/", False),
        ("/\\evil.example/", False),
        ("javascript:alert(1)", False),
        ("/profilo/dati-personali/#nome", False),
        ("/non-esiste/", False),
        ("/api/v1/richieste/", False),
        ("/profilo/" + "a" * 300, False),
        (None, False),
    ],
)
def test_only_same_site_page_paths_are_drafts(db: None, path: Any, valid: bool) -> None:
    assert draft_path_valid(path) is valid


def test_one_draft_per_person_and_page(world: World) -> None:
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Anna"})
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Annalisa"})
    draft_save(user=world.full, path=PAGE, fields={"first_name": "Marco"})
    mine = FormDraft.objects.get(user=world.lr)
    assert mine.path == PAGE
    assert mine.data == {"fields": {"first_name": "Annalisa"}}
    assert FormDraft.objects.count() == 2


def test_a_form_with_nothing_to_keep_leaves_no_draft(world: World) -> None:
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Anna"})
    draft_save(user=world.lr, path=PAGE, fields={"password": "Segreta-2026!"})
    assert not FormDraft.objects.exists()


# --- Given back once, to its person, within a day -----------------------------------------


def test_after_signing_in_again_the_page_gets_its_draft_once(world: World) -> None:
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Annalisa", "phone": "3331234567"})
    client = client_for(world.lr)  # a new session: the person signed in again
    assert restored(client.get(PAGE)) == {"first_name": "Annalisa", "phone": "3331234567"}
    assert not FormDraft.objects.exists()
    assert restored(client.get(PAGE)) is None


def test_another_persons_draft_is_never_given(world: World) -> None:
    draft_save(user=world.full, path=PAGE, fields={"first_name": "Marco"})
    assert restored(client_for(world.lr).get(PAGE)) is None
    assert FormDraft.objects.filter(user=world.full).exists()


def test_a_draft_older_than_a_day_is_never_given(world: World) -> None:
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Annalisa"})
    FormDraft.objects.update(saved_at=timezone.now() - timedelta(days=1, minutes=1))
    assert restored(client_for(world.lr).get(PAGE)) is None


def test_old_drafts_are_purged_on_save_and_by_the_command(world: World) -> None:
    draft_save(user=world.full, path=PAGE, fields={"first_name": "Marco"})
    FormDraft.objects.update(saved_at=timezone.now() - timedelta(days=2))
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Anna"})
    assert list(FormDraft.objects.values_list("user", flat=True)) == [world.lr.pk]
    FormDraft.objects.update(saved_at=timezone.now() - timedelta(days=2))
    call_command("purge_drafts")
    assert not FormDraft.objects.exists()


def test_a_draft_saved_during_this_session_is_not_given_back_in_it(world: World) -> None:
    client = client_for(world.lr)
    client.get(PAGE)
    post_json(client, SAVE, {"path": PAGE, "fields": {"first_name": "Anna"}})
    assert restored(client.get(PAGE)) is None
    assert FormDraft.objects.exists()  # for the next sign-in, should this session expire


def test_pages_without_a_draft_cost_no_query_for_drafts(world: World) -> None:
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Anna"})
    client = client_for(world.lr)
    client.get(reverse("dashboard"))  # the session's first page looks them up, once
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:profile"))
    assert not [query for query in queries if "security_formdraft" in query["sql"]]
    assert restored(client.get(PAGE)) == {"first_name": "Anna"}


def test_a_form_sent_back_with_errors_keeps_what_was_sent(world: World) -> None:
    draft_save(user=world.lr, path=PAGE, fields={"first_name": "Annalisa"})
    response = client_for(world.lr).post(PAGE, {"first_name": "", "last_name": ""})
    assert response.status_code == 200
    assert restored(response) is None


# --- The warning's requests ---------------------------------------------------------------


def test_the_warning_is_on_signed_in_pages_only(world: World) -> None:
    page = client_for(world.lr).get(PAGE).content.decode()
    assert 'id="session-expiry"' in page
    assert 'data-seconds="1800"' in page
    assert 'id="session-expiry"' not in Client().get(reverse("accounts:login")).content.decode()


def test_no_warning_while_the_second_factor_is_owed(world: World) -> None:
    client = client_for(world.lr)
    session = client.session
    session[PENDING_SECOND_FACTOR] = "verify"
    session.save()
    assert 'id="session-expiry"' not in client.get(reverse("security:verify")).content.decode()


def test_a_draft_is_saved_for_the_signed_in_person(world: World) -> None:
    client = client_for(world.lr)
    response = post_json(
        client, SAVE, {"path": PAGE, "fields": {"first_name": "Anna", "password": "x"}}
    )
    assert response.json() == {"saved": True}
    assert FormDraft.objects.get(user=world.lr, path=PAGE).data == {
        "fields": {"first_name": "Anna"}
    }


def test_a_nul_character_is_dropped_not_a_server_error(world: World) -> None:
    client = client_for(world.lr)
    fields = {
        "first_name": "An\u0000na",
        "notes": ["a", "b\u0000"],
        "ok\u0000": "x",
        "city": "Roma",
    }
    response = post_json(client, SAVE, {"path": PAGE, "fields": fields})
    assert response.status_code == 200
    assert FormDraft.objects.get(user=world.lr).data == {"fields": {"city": "Roma"}}


def test_card_expiry_is_never_kept() -> None:
    assert draft_fields_filtered({"expiry": "12/29", "scadenza_carta": "12/29"}) == {}


def test_a_draft_for_another_site_is_refused(world: World) -> None:
    response = post_json(
        client_for(world.lr),
        SAVE,
        {"path": "https://evil.example/", "fields": {"first_name": "Anna"}},
    )
    assert response.status_code == 400
    assert not FormDraft.objects.exists()


@pytest.mark.parametrize("url", [SAVE, DISCARD, KEEPALIVE])
def test_anonymous_requests_store_nothing(db: None, url: str) -> None:
    response = post_json(Client(), url, {"path": PAGE, "fields": {"first_name": "Anna"}})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not FormDraft.objects.exists()


@pytest.mark.parametrize("url", [SAVE, DISCARD, KEEPALIVE])
def test_the_warnings_requests_are_posts(world: World, url: str) -> None:
    assert client_for(world.lr).get(url).status_code == 405


@pytest.fixture
def db_sessions(settings: Any) -> None:
    """Sessions in the database, whose rows show their expiry: with REDIS_URL they live in
    the cache, where the renewal middleware decides alike whether to save them."""
    settings.SESSION_ENGINE = "core.sessions"


def idle_session(client: Client) -> Session:
    """The client's session as after 25 idle minutes: its renewal and last-seen marks old,
    five minutes left."""
    session = client.session
    for key in list(session.keys()):
        if key in {"renewed_at", "security_seen_at"}:
            session[key] = 0
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    return Session.objects.get(session_key=session.session_key)


def test_saving_a_draft_does_not_renew_the_session(world: World, db_sessions: None) -> None:
    client = client_for(world.lr)
    before = idle_session(client)
    post_json(client, SAVE, {"path": PAGE, "fields": {"first_name": "Anna"}})
    post_json(client, DISCARD, {"path": PAGE})
    after = Session.objects.get(session_key=before.session_key)
    assert after.expire_date == before.expire_date
    assert after.session_data == before.session_data


def test_a_page_or_staying_signed_in_renews_the_session(world: World, db_sessions: None) -> None:
    client = client_for(world.lr)
    for request in (lambda: client.get(PAGE), lambda: post_json(client, KEEPALIVE, {})):
        before = idle_session(client)
        assert request().status_code == 200
        after = Session.objects.get(session_key=before.session_key)
        assert after.expire_date > timezone.now() + timedelta(minutes=29)


def test_staying_signed_in_drops_the_pages_draft(world: World) -> None:
    client = client_for(world.lr)
    post_json(client, SAVE, {"path": PAGE, "fields": {"first_name": "Anna"}})
    draft_save(user=world.full, path=PAGE, fields={"first_name": "Marco"})
    response = post_json(client, KEEPALIVE, {"path": PAGE})
    assert response.json() == {"seconds": 1800}
    assert list(FormDraft.objects.values_list("user", flat=True)) == [world.full.pk]


def test_discarding_drops_only_ones_own_draft(world: World) -> None:
    draft_save(user=world.full, path=PAGE, fields={"first_name": "Marco"})
    client = client_for(world.lr)
    post_json(client, SAVE, {"path": PAGE, "fields": {"first_name": "Anna"}})
    post_json(client, DISCARD, {"path": PAGE})
    assert list(FormDraft.objects.values_list("user", flat=True)) == [world.full.pk]
