"""The shell of every page: name and profile top right, language, error pages."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Profile
from tests.conftest import World


@pytest.mark.parametrize(
    ("profile", "label"),
    [
        (Profile.LR, "Rappresentante Legale"),
        (Profile.FULL, "Amministratore Full"),
        (Profile.LIGHT, "Amministratore Light"),
        (Profile.USER, "Utilizzatore"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/profilo/", "/assistenza/", "/password/modifica/"])
def test_every_page_shows_name_and_profile_under_it(
    profile: Profile, label: str, path: str, world: World
) -> None:
    person = world.by_profile(profile)
    client = Client()
    client.force_login(person)
    page = client.get(path).content.decode()
    assert (
        f'<p class="user-name mb-0">{person.get_full_name()}</p>\n'
        f'    <p class="user-profile mb-0">{label}</p>'
    ) in page


def test_profile_change_shows_on_the_next_request(world: World) -> None:
    client = Client()
    client.force_login(world.user)
    assert client.get("/fatture/").status_code == 403
    world.user.profile = Profile.FULL
    world.user.save(update_fields=["profile"])
    assert client.get("/fatture/").status_code == 200
    assert "Amministratore Full" in client.get("/").content.decode()


def test_italian_by_default_whatever_the_browser_says(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(world.lr)
    page = client.get("/").content.decode()
    assert '<html lang="it">' in page
    assert "Fatture e pagamenti" in page


def test_language_switch_to_english_and_back(world: World) -> None:
    client = Client()
    client.force_login(world.lr)
    response = client.post(reverse("set-language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Invoices and payments" in page
    assert "Legal Representative" in page
    client.post(reverse("set-language"), {"language": "it", "next": "/"})
    assert "Fatture e pagamenti" in client.get("/").content.decode()


def test_forbidden_page_has_the_shell_and_a_way_back(world: World) -> None:
    client = Client()
    client.force_login(world.user)
    response = client.get("/tracking/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accesso non consentito" in page
    assert 'href="/consumi/"' in page  # the menu is still there


def test_not_found_page_in_the_same_look(world: World) -> None:
    client = Client()
    client.force_login(world.user)
    response = client.get("/non-esiste/")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()
    assert "Utilizzatore" in response.content.decode()


def test_dashboard_lists_only_what_the_profile_can_do(world: World) -> None:
    client = Client()
    client.force_login(world.light)
    page = client.get("/").content.decode()
    assert "Segnalare un guasto su una linea" in page
    assert "Inviare una richiesta ai nostri esperti" not in page


def test_no_inline_scripts_and_a_strict_csp(world: World) -> None:
    client = Client()
    client.force_login(world.lr)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page = response.content.decode()
    assert "<script>" not in page and "style=" not in page


def test_staff_land_on_the_back_office(world: World) -> None:
    client = Client()
    client.force_login(world.staff)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:index")
    assert client.get(response["Location"]).status_code == 200


def test_the_english_catalogue_is_complete() -> None:
    from pathlib import Path

    from babel.messages.pofile import read_po
    from django.conf import settings

    path = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        catalogue = read_po(po)
    untranslated = [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert not untranslated


def test_the_can_tag_reads_the_matrix(world: World, rf) -> None:  # type: ignore[no-untyped-def]
    from django.template import Context, Template

    template = Template(
        '{% load area %}{% can "billing.pay_invoice" as allowed %}{{ allowed|yesno:"sì,no" }}'
    )
    for person, expected in [(world.light, "sì"), (world.user, "no"), (world.staff, "no")]:
        request = rf.get("/")
        request.user = person
        assert template.render(Context({"request": request})) == expected
