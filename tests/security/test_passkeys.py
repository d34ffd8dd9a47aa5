"""Passkeys: registration (named, audited, e-mailed; the first one settles enrolment),
sign-in as the second step or the whole of it, rename and remove with their refusals, the
relying party and the deployment check. A software authenticator (an ES256 key, attestation
"none") answers the ceremonies as a browser's would."""

from __future__ import annotations

import hashlib
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import AuditEntry, TwoFactorPolicy, User
from security.checks import check_passkey_origins
from security.passkeys import PasskeyHelper, default_name
from security.two_factor import PENDING_SECOND_FACTOR, PendingStep
from tests.conftest import World, client_for
from tests.security.helpers import password_step, recently_confirmed

ORIGIN = "http://testserver"  # Django's test client
CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _origins(settings: Any) -> None:
    settings.OTP_WEBAUTHN_RP_ID = ""  # the request's host: testserver
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Authenticator:
    """One discoverable passkey at a time, with user verification."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = b""
    count: int = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": False}
        return json.dumps(data).encode()

    def _auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        self.count += 1
        rp_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + self.count.to_bytes(4, "big") + attested

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        self.user_handle = unb64(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = (
            bytes(16)  # AAGUID
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + cbor2.dumps(cose)
        )
        auth_data = self._auth_data(options["rp"]["id"], 0x45, attested)  # UP, UV, AT
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(self._client_data("webauthn.create", options["challenge"])),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(self, options: dict[str, Any]) -> dict[str, Any]:
        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = self._auth_data(options["rpId"], 0x05)  # UP, UV
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(self.user_handle),
            },
            "clientExtensionResults": {},
        }


def post_json(client: Client, name: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(
        reverse(name), json.dumps(data or {}), content_type="application/json", **extra
    )


def register(
    client: Client, authenticator: Authenticator, name: str = "Portatile", **extra: Any
) -> Any:
    options = post_json(client, "security:passkey-register-begin", **extra).json()
    answer = {**authenticator.create(options), "name": name}
    return post_json(client, "security:passkey-register-complete", answer, **extra)


def sign_in(client: Client, authenticator: Authenticator, next_url: str = "") -> Any:
    options = post_json(client, "security:passkey-login-begin").json()
    complete = reverse("security:passkey-login-complete")
    if next_url:
        complete += f"?next={next_url}"
    return client.post(complete, json.dumps(authenticator.get(options)), "application/json")


def with_passkey(user: User, name: str = "Telefono") -> Authenticator:
    """A person who registered a passkey earlier (and so has recovery codes too)."""
    authenticator = Authenticator()
    client = client_for(user)
    assert register(client, authenticator, name).status_code == 200
    return authenticator


# --- Registration ----------------------------------------------------------------------


def test_a_signed_in_person_adds_a_named_passkey(
    world: World,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(world.full)
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, Authenticator(), "  Chiavetta   blu ")
    assert response.status_code == 200
    passkey = WebAuthnCredential.objects.get(user=world.full)
    assert passkey.name == "Chiavetta blu" and passkey.discoverable
    # A first method without recovery codes: the codes page comes next and makes them.
    assert response.json()["redirect_url"] == reverse("security:recovery-codes")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SECOND_FACTOR_ADDED)
    assert entry.target == world.full and "Chiavetta blu" in entry.changes["method"]
    assert [message.to for message in mail.outbox] == [[world.full.email]]
    page = client.get(reverse("security:overview")).content.decode()
    assert "Passkey «Chiavetta blu» aggiunta." in page and "Chiavetta blu" in page


def test_without_a_name_the_browser_and_system_name_it(world: World) -> None:
    client = client_for(world.light)
    assert register(client, Authenticator(), "", HTTP_USER_AGENT=CHROME_ON_LINUX).status_code == 200
    assert WebAuthnCredential.objects.get(user=world.light).name == "Chrome su Linux"


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (CHROME_ON_LINUX, "Chrome su Linux"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
            "Safari su iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
            "Edge su Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Mobile Safari/537.36",
            "Chrome su Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:131.0) Gecko/20100101 Firefox/131.0",
            "Firefox su macOS",
        ),
        ("", "Passkey"),
    ],
)
def test_default_names(user_agent: str, name: str) -> None:
    assert default_name(user_agent) == name


def test_several_passkeys_each_with_its_name(world: World) -> None:
    client = client_for(world.full)
    first = register(client, Authenticator(), "Portatile")
    client.get(first.json()["redirect_url"])  # the recovery codes, made once
    second = register(client, Authenticator(), "Telefono")
    assert second.json()["redirect_url"] == reverse("security:overview")
    names = WebAuthnCredential.objects.filter(user=world.full).values_list("name", flat=True)
    assert sorted(names) == ["Portatile", "Telefono"]
    page = client.get(reverse("security:overview")).content.decode()
    assert "Portatile" in page and "Telefono" in page


def test_the_same_authenticator_is_not_registered_twice(world: World) -> None:
    client = client_for(world.full)
    authenticator = Authenticator()
    register(client, authenticator)
    options = post_json(client, "security:passkey-register-begin").json()
    # The browser is told which ones exist, so it refuses to make a second one.
    assert [item["id"] for item in options["excludeCredentials"]] == [
        b64(authenticator.credential_id)
    ]


def test_registering_needs_a_signed_in_person(db: None) -> None:
    for name in ("security:passkey-register-begin", "security:passkey-register-complete"):
        response = post_json(Client(), name)
        assert response.status_code == 302 and response["Location"].startswith("/accedi/")
    assert not WebAuthnCredential.objects.exists()


def test_a_completion_without_its_beginning_is_refused(world: World) -> None:
    client = client_for(world.full)
    options = post_json(client, "security:passkey-register-begin").json()
    answer = Authenticator().create(options)
    assert post_json(client, "security:passkey-register-complete", answer).status_code == 200
    # The same answer again: the challenge was used up.
    again = post_json(client, "security:passkey-register-complete", answer)
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"
    assert WebAuthnCredential.objects.filter(user=world.full).count() == 1


def test_an_answer_from_another_site_is_refused(world: World, settings: Any) -> None:
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://area-clienti.example.it"]
    response = register(client_for(world.full), Authenticator())
    assert response.status_code == 422
    assert not WebAuthnCredential.objects.exists()


def test_a_first_passkey_settles_the_enrolment_step(world: World) -> None:
    company = world.company
    company.two_factor_policy = TwoFactorPolicy.EVERYONE
    company.save()
    client = password_step(world.user)
    assert client.session[PENDING_SECOND_FACTOR] == PendingStep.ENROL
    assert client.get(reverse("dashboard")).status_code == 302  # to the enrolment page
    response = register(client, Authenticator())
    assert response.json()["redirect_url"] == reverse("security:recovery-codes")
    codes_page = client.get(reverse("security:recovery-codes"))
    assert codes_page.status_code == 200 and len(codes_page.context["codes"]) == 10
    assert PENDING_SECOND_FACTOR not in client.session
    assert client.get(reverse("dashboard")).status_code == 200


# --- Signing in ------------------------------------------------------------------------


def test_a_passkey_alone_signs_in(world: World) -> None:
    authenticator = with_passkey(world.full)
    client = Client()
    options = post_json(client, "security:passkey-login-begin").json()
    # Nobody named yet: any passkey of the site, with the person's PIN or fingerprint.
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    complete = reverse("security:passkey-login-complete") + "?next=/fatture/"
    response = client.post(complete, json.dumps(authenticator.get(options)), "application/json")
    assert response.status_code == 200 and response.json()["redirect_url"] == "/fatture/"
    assert int(client.session["_auth_user_id"]) == world.full.pk
    assert PENDING_SECOND_FACTOR not in client.session  # both steps at once
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_passkey_is_the_second_step_after_the_password(world: World) -> None:
    authenticator = with_passkey(world.full)
    client = password_step(world.full)
    assert client.session[PENDING_SECOND_FACTOR] == PendingStep.VERIFY
    assert client.get(reverse("dashboard")).status_code == 302
    options = post_json(client, "security:passkey-login-begin").json()
    assert [item["id"] for item in options["allowCredentials"]] == [
        b64(authenticator.credential_id)
    ]
    response = client.post(
        reverse("security:passkey-login-complete"),
        json.dumps(authenticator.get(options)),
        "application/json",
    )
    assert response.status_code == 200 and response.json()["redirect_url"] == "/"
    assert PENDING_SECOND_FACTOR not in client.session
    assert client.get(reverse("dashboard")).status_code == 200


def test_someone_elses_passkey_is_no_second_step(world: World) -> None:
    with_passkey(world.full)
    colleagues = with_passkey(world.light)
    client = password_step(world.full)
    response = sign_in(client, colleagues)
    assert response.status_code == 403
    assert client.session[PENDING_SECOND_FACTOR] == PendingStep.VERIFY


def test_a_removed_passkey_signs_nobody_in(world: World) -> None:
    authenticator = with_passkey(world.full)
    WebAuthnCredential.objects.filter(user=world.full).delete()
    client = Client()
    response = sign_in(client, authenticator)
    assert response.status_code == 404 and response.json()["code"] == "credential_not_found"
    assert "_auth_user_id" not in client.session


def test_a_deactivated_person_cannot_sign_in_with_a_passkey(world: World) -> None:
    authenticator = with_passkey(world.full)
    User.objects.filter(pk=world.full.pk).update(is_active=False)
    client = Client()
    assert sign_in(client, authenticator).status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_next_page_must_be_ours(world: World) -> None:
    authenticator = with_passkey(world.full)
    response = sign_in(Client(), authenticator, next_url="https://evil.example.com/")
    assert response.json()["redirect_url"] == "/"


def test_the_sign_in_page_offers_a_passkey(db: None) -> None:
    page = Client().get(reverse("accounts:login")).content.decode()
    assert "Accedi con una passkey" in page
    assert reverse("security:passkey-login-begin") in page
    assert "<script>" not in page and " style=" not in page


# --- Rename and remove -----------------------------------------------------------------


def test_a_passkey_is_renamed(world: World) -> None:
    with_passkey(world.full, "Telefono")
    passkey = WebAuthnCredential.objects.get(user=world.full)
    client = client_for(world.full)
    url = reverse("security:passkey-rename", args=[passkey.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": ""}).status_code == 200  # required: the form again
    response = client.post(url, {"name": "Telefono di lavoro"})
    assert response.status_code == 302 and response["Location"] == reverse("security:overview")
    passkey.refresh_from_db()
    assert passkey.name == "Telefono di lavoro"


def test_someone_elses_passkey_cannot_be_renamed_or_removed(world: World) -> None:
    with_passkey(world.outsider_lr)
    passkey = WebAuthnCredential.objects.get(user=world.outsider_lr)
    client = client_for(world.lr)
    recently_confirmed(client)
    for name in ("security:passkey-rename", "security:passkey-remove"):
        url = reverse(name, args=[passkey.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Mia"}).status_code == 404
    passkey.refresh_from_db()
    assert passkey.name == "Telefono"


def test_removing_asks_for_the_password_and_tells_the_person(
    world: World,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with_passkey(world.full, "Telefono")
    passkey = WebAuthnCredential.objects.get(user=world.full)
    client = client_for(world.full)
    url = reverse("security:passkey-remove", args=[passkey.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

    recently_confirmed(client)
    assert "«Telefono»" in client.get(url).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "Passkey «Telefono» rimossa." in response.content.decode()
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    # The last method gone: the recovery codes go with it.
    assert not StaticDevice.objects.filter(user=world.full).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SECOND_FACTOR_REMOVED)
    assert entry.target == world.full and "Telefono" in entry.changes["method"]
    assert [message.to for message in mail.outbox] == [[world.full.email]]


def test_the_last_second_factor_stays_when_the_company_requires_one(world: World) -> None:
    with_passkey(world.full)
    world.company.two_factor_policy = TwoFactorPolicy.ADMINS
    world.company.save()
    passkey = WebAuthnCredential.objects.get(user=world.full)
    client = client_for(world.full)
    recently_confirmed(client)
    url = reverse("security:passkey-remove", args=[passkey.pk])
    page = client.post(url, follow=True).content.decode()
    assert "Non puoi rimuovere l&#x27;ultimo metodo di verifica" in page
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    # With the app beside it, the passkey may go.
    TOTPDevice.objects.create(user=world.full, name="App", confirmed=True)
    client.post(url)
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


# --- Relying party and deployment ------------------------------------------------------


def helper_for(host: str, secure: bool = False) -> PasskeyHelper:
    request = RequestFactory().get("/", HTTP_HOST=host, secure=secure)
    return PasskeyHelper(request=request)


def test_the_configured_domain_and_origins_win(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.OTP_WEBAUTHN_RP_ID = "area-clienti.example.it"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://area-clienti.example.it"]
    helper = helper_for("evil.example.com")
    assert helper.get_relying_party_domain() == "area-clienti.example.it"
    assert helper.get_allowed_origins() == ["https://area-clienti.example.it"]


def test_the_demo_takes_the_host_the_browser_asked_for(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = []
    settings.DEMO = True
    helper = helper_for("localhost:8001")
    assert helper.get_relying_party_domain() == "localhost"
    assert helper.get_allowed_origins() == ["http://localhost:8001"]


def test_without_configuration_outside_the_demo_no_origin_is_allowed(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = []
    settings.DEMO = settings.DEBUG = False
    assert helper_for("localhost:8001").get_allowed_origins() == []


@pytest.mark.parametrize(
    ("demo", "rp_id", "origins", "errors"),
    [
        (False, "", [], ["security.E001"]),
        (False, "area-clienti.example.it", [], ["security.E001"]),
        (False, "area-clienti.example.it", ["https://area-clienti.example.it"], []),
        (True, "", [], []),
    ],
)
def test_a_deployment_must_say_where_passkeys_live(
    settings: Any, demo: bool, rp_id: str, origins: list[str], errors: list[str]
) -> None:
    settings.DEMO = demo
    settings.OTP_WEBAUTHN_RP_ID = rp_id
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = origins
    assert [error.id for error in check_passkey_origins()] == errors


def test_removing_the_method_that_verified_the_session_keeps_it_verified(world: World) -> None:
    with_passkey(world.full)
    TOTPDevice.objects.create(user=world.full, name="App", confirmed=True)
    client = recently_confirmed(client_for(world.full))  # verified with the app
    client.post(reverse("security:totp-remove"))
    assert not TOTPDevice.objects.filter(user=world.full).exists()
    # Still verified (by the passkey left): another passkey can be added, no second step.
    assert register(client, Authenticator(), "Chiavetta").status_code == 200
    assert client.get(reverse("security:overview")).status_code == 200
