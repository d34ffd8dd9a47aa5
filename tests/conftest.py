"""Personas: one user per profile in one company, and an outsider company with its own LR."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from guardian.shortcuts import assign_perm

from accounts.models import Company, Contract, Line, User
from accounts.roles import Profile
from billing.models import Invoice
from security.two_factor import PENDING_SECOND_FACTOR
from tests.factories import (
    CompanyFactory,
    ContractFactory,
    InvoiceFactory,
    LineFactory,
    SimFactory,
    StaffFactory,
    UserFactory,
)

PASSWORD = "Password-di-prova-1"


@dataclass
class World:
    company: Company
    lr: User
    full: User
    light: User
    user: User
    mobile: Contract
    fixed: Contract
    lr_line: Line
    full_line: Line
    light_line: Line  # Dual Billing, assigned to the LIGHT admin
    user_line: Line
    delegated_line: Line  # the LIGHT admin is Referente for it
    spare_line: Line  # nobody's
    fixed_line: Line  # assigned to the USER
    outsider_company: Company
    outsider_lr: User
    outsider_line: Line
    staff: User
    invoice: Invoice  # open, of the mobile contract
    personal_invoice: Invoice  # of the LIGHT admin's Dual Billing line
    outsider_invoice: Invoice

    def by_profile(self, profile: Profile | str) -> User:
        return {
            Profile.LR: self.lr,
            Profile.FULL: self.full,
            Profile.LIGHT: self.light,
            Profile.USER: self.user,
        }[Profile(profile)]


def client_for(user: User) -> Client:
    """A browser session signed in as `user` (see `sign_in`)."""
    client = Client()
    sign_in(client, user)
    return client


def sign_in(client: Client, user: User) -> None:
    """Sign `client` in as `user`, both steps: a person who owes a second factor (staff, or
    someone who has one) has given it. Tests of the second step itself sign in with
    `force_login` and stop there."""
    client.force_login(user)
    if client.session.get(PENDING_SECOND_FACTOR):
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True).first()
            or WebAuthnCredential.objects.filter(user=user, confirmed=True).first()
            or TOTPDevice.objects.create(user=user, name="App", confirmed=True)
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        del session[PENDING_SECOND_FACTOR]
        session.save()


def build_world() -> World:
    company = CompanyFactory(name="Acme Telecomunicazioni S.r.l.")
    people = {
        profile: UserFactory(company=company, profile=profile, username=f"acme-{profile.lower()}")
        for profile in Profile
    }
    mobile = ContractFactory(company=company, kind=Contract.Kind.MOBILE)
    fixed = ContractFactory(company=company, kind=Contract.Kind.FIXED)

    def sim_line(assignee: User | None = None, **kwargs: object) -> Line:
        line = LineFactory(contract=mobile, assignee=assignee, **kwargs)
        SimFactory(line=line)
        return line

    light = people[Profile.LIGHT]
    delegated = sim_line()
    assign_perm("accounts.act_as_referente", light, delegated)
    outsider_company = CompanyFactory(name="Concorrente S.p.A.")
    outsider_lr = UserFactory(company=outsider_company, profile=Profile.LR, username="altra-lr")
    outsider_contract = ContractFactory(company=outsider_company)
    outsider_line = LineFactory(contract=outsider_contract, assignee=outsider_lr)
    SimFactory(line=outsider_line)
    lines = {
        "lr_line": sim_line(people[Profile.LR]),
        "full_line": sim_line(people[Profile.FULL]),
        "light_line": sim_line(light, dual_billing=True),
        "user_line": sim_line(people[Profile.USER]),
    }
    return World(
        company=company,
        lr=people[Profile.LR],
        full=people[Profile.FULL],
        light=light,
        user=people[Profile.USER],
        mobile=mobile,
        fixed=fixed,
        **lines,
        delegated_line=delegated,
        spare_line=sim_line(),
        fixed_line=LineFactory(
            contract=fixed, assignee=people[Profile.USER], number="+39061234567"
        ),
        outsider_company=outsider_company,
        outsider_lr=outsider_lr,
        outsider_line=outsider_line,
        staff=StaffFactory(username="operatore-test"),
        invoice=InvoiceFactory(company=company, contract=mobile),
        personal_invoice=InvoiceFactory(
            company=company, contract=mobile, personal_line=lines["light_line"]
        ),
        outsider_invoice=InvoiceFactory(company=outsider_company, contract=outsider_contract),
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # Argon2 is deliberately slow; tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Rate-limit counters live in the cache: each test starts with none.
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings: object, tmp_path: object) -> None:
    # Generated files (invoice PDFs) never land in the working tree.
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
