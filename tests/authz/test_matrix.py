"""The role matrix in code is the table of docs/role-matrix.md, to the letter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.backends import RoleMatrixBackend
from accounts.roles import MATRIX, PROFILE_COLUMNS, Capability, Profile, Scope, scope_for
from area_clienti.navigation import SECTIONS
from tests.conftest import World, sign_in

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "role-matrix.md"
CELL = {"✓": Scope.YES, "all": Scope.ALL, "own": Scope.OWN, "–": None, "-": None}


def document_rows() -> dict[str, tuple[Scope | None, ...]]:
    rows = {}
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| [A-Z]\d+ \| `([a-z_.]+)` \|[^|]+\|(.+)\|$", line)
        if match:
            cells = [cell.strip() for cell in match.group(2).split("|")]
            rows[match.group(1)] = tuple(CELL[cell] for cell in cells)
    return rows


def test_matrix_matches_the_documents_table() -> None:
    rows = document_rows()
    assert len(rows) == 41  # the help page's 31; D7, D8 (two-factor); B8, K1–K4 (cost control);
    # D9, L5, T2 (orders and approvals)
    assert set(rows) == {cap.value for cap in Capability}
    for cap, cells in MATRIX.items():
        assert cells == rows[cap.value], cap


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("cap", list(Capability))
def test_has_perm_follows_the_matrix(profile: Profile, cap: Capability, world: World) -> None:
    user = world.by_profile(profile)
    assert user.has_perm(cap.value) is (scope_for(profile, cap) is not None)
    # Object checks are django-guardian's, never the matrix's.
    assert RoleMatrixBackend().has_perm(user, cap.value, world.lr_line) is False


def test_object_checks_come_from_guardian(world: World) -> None:
    assert world.light.has_perm("accounts.act_as_referente", world.delegated_line)
    assert not world.light.has_perm("accounts.act_as_referente", world.spare_line)
    assert not world.lr.has_perm("accounts.act_as_referente", world.delegated_line)


def test_staff_and_outsiders_hold_no_customer_capability(world: World) -> None:
    assert not any(world.staff.has_perm(cap.value) for cap in Capability)


def test_profile_columns_cover_every_profile() -> None:
    assert set(PROFILE_COLUMNS) == set(Profile)


EXPECTED_MENUS = {
    Profile.LR: {
        "billing",
        "consumption",
        "costs",
        "company",
        "lines",
        "offers",
        "support",
        "tracking",
    },
    Profile.FULL: {
        "billing",
        "consumption",
        "costs",
        "company",
        "lines",
        "offers",
        "support",
        "tracking",
    },
    Profile.LIGHT: {"billing", "consumption", "company", "lines", "offers", "support"},
    Profile.USER: {"consumption", "company", "support"},
}


@pytest.mark.parametrize("profile", list(Profile))
def test_menu_and_dashboard_show_exactly_the_allowed_sections(
    profile: Profile, world: World
) -> None:
    client = Client()
    sign_in(client, world.by_profile(profile))
    page = client.get(reverse("dashboard")).content.decode()
    for section in SECTIONS:
        link = f'href="{section.url}"'
        assert (link in page) is (section.key in EXPECTED_MENUS[profile]), section.key
