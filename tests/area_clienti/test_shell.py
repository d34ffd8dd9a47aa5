"""The shell of every page: name and profile top right, language, error pages."""

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.access import PASSWORD_CONFIRMED_AT
from accounts.roles import Profile
from tests.conftest import World, sign_in


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
    sign_in(client, person)
    page = client.get(path).content.decode()
    assert (
        f'<p class="user-name mb-0">{person.get_full_name()}</p>\n'
        f'    <p class="user-profile mb-0">{label}</p>'
    ) in page


def test_profile_change_shows_on_the_next_request(world: World) -> None:
    client = Client()
    sign_in(client, world.user)
    assert client.get("/fatture/").status_code == 403
    world.user.profile = Profile.FULL
    world.user.save(update_fields=["profile"])
    assert client.get("/fatture/").status_code == 200
    assert "Amministratore Full" in client.get("/").content.decode()


def test_italian_by_default_whatever_the_browser_says(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    sign_in(client, world.lr)
    page = client.get("/").content.decode()
    assert '<html lang="it">' in page
    assert "Fatture e pagamenti" in page


def test_language_switch_to_english_and_back(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
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
    sign_in(client, world.user)
    response = client.get("/tracking/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accesso non consentito" in page
    assert 'href="/consumi/"' in page  # the menu is still there


def test_not_found_page_in_the_same_look(world: World) -> None:
    client = Client()
    sign_in(client, world.user)
    response = client.get("/non-esiste/")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()
    assert "Utilizzatore" in response.content.decode()


def test_dashboard_lists_only_what_the_profile_can_do(world: World) -> None:
    client = Client()
    sign_in(client, world.light)
    page = client.get("/").content.decode()
    assert "Segnalare un guasto su una linea" in page
    assert "Inviare una richiesta ai nostri esperti" not in page


def test_no_inline_scripts_and_a_strict_csp(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page = response.content.decode()
    assert "<script>" not in page and "style=" not in page


def test_staff_land_on_the_back_office(world: World) -> None:
    client = Client()
    sign_in(client, world.staff)
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


# The header, the menu and the breadcrumbs (issue 15, "Phone and small screens").


def _crumbs(html: str) -> list[str]:
    """The breadcrumbs' texts, in order; [] when the page has none."""
    nav = re.search(
        r'<nav class="breadcrumbs" aria-label="(?:Percorso|Breadcrumb)">(.*?)</nav>', html, re.S
    )
    if nav is None:
        return []
    items = re.findall(r'<li class="breadcrumb-item[^"]*"[^>]*>(.*?)</li>', nav.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


def _page(person: Any, path: str) -> str:
    client = Client()
    sign_in(client, person)
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = int(time.time())  # the e-mail page asks for it
    session.save()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def _deep_pages(world: World) -> dict[Profile, tuple[str, list[str]]]:
    sim = world.lr_line.number
    return {
        Profile.LR: (
            reverse("lines:sim-block", args=[world.lr_line.pk]),
            ["Linee e servizi", f"Linea {sim}", f"Blocca la SIM {sim}"],
        ),
        Profile.FULL: (
            reverse("billing:invoice-detail", args=[world.invoice.pk]),
            ["Fatture e pagamenti", f"Fattura {world.invoice.number}"],
        ),
        Profile.LIGHT: (
            reverse("billing:invoice-detail", args=[world.personal_invoice.pk]),
            [
                "Fatture e pagamenti",
                "Fatture personali",
                f"Fattura {world.personal_invoice.number}",
            ],
        ),
        Profile.USER: (
            reverse("accounts:personal-email"),
            ["Visualizza profilo e dati azienda", "Dati personali", "La tua e-mail"],
        ),
    }


@pytest.mark.parametrize("profile", list(Profile))
def test_a_deep_page_shows_its_path_from_the_home(profile: Profile, world: World) -> None:
    path, expected = _deep_pages(world)[profile]
    html = _page(world.by_profile(profile), path)
    crumbs = _crumbs(html)
    # The first crumb is the home, whatever the catalogue calls it ("Pagina iniziale").
    assert crumbs[1:] == expected
    assert re.search(r'<li class="breadcrumb-item"><a href="/">', html)
    # The last crumb is the page itself, as the browser tab names it.
    assert f"<title>{expected[-1]} · Area Clienti Business</title>" in html
    assert re.search(
        rf'<li class="breadcrumb-item active" aria-current="page">{re.escape(expected[-1])}</li>',
        html,
    )


def test_the_path_follows_the_language(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
    client.post(reverse("set-language"), {"language": "en", "next": "/"})
    html = client.get(reverse("accounts:employees")).content.decode()
    assert _crumbs(html)[1:] == ["View profile and company data", "Employees and web profiles"]


def test_a_section_page_shows_home_and_its_title_only(world: World) -> None:
    assert _crumbs(_page(world.lr, reverse("billing:index")))[1:] == ["Fatture e pagamenti"]
    assert _crumbs(_page(world.lr, reverse("accounts:password-change")))[1:] == [
        "Modifica password"
    ]


def test_no_breadcrumbs_on_the_home_nor_on_error_pages(world: World) -> None:
    assert _crumbs(_page(world.lr, "/")) == []
    client = Client()
    sign_in(client, world.user)
    assert _crumbs(client.get("/tracking/").content.decode()) == []  # 403
    assert _crumbs(client.get("/non-esiste/").content.decode()) == []  # 404
    assert _crumbs(client.get(reverse("accounts:login")).content.decode()) == []


def test_the_back_office_path_starts_at_the_back_office(world: World) -> None:
    html = _page(world.staff, reverse("backoffice:chat-list"))
    assert _crumbs(html) == ["Back office", "Chat aperte"]
    assert _crumbs(_page(world.staff, reverse("backoffice:index"))) == []


def _section_links(html: str) -> dict[str, str]:
    menu = re.search(r'<nav class="section-nav" aria-label="Sezioni">(.*?)</nav>', html, re.S)
    assert menu is not None
    return {
        href: attrs
        for attrs, href in re.findall(r'<a (class="[^"]*" href="([^"]+)"[^>]*)>', menu.group(1))
    }


def test_the_menu_highlights_the_section_of_a_sub_page(world: World) -> None:
    links = _section_links(_page(world.lr, reverse("accounts:employees")))
    assert 'class="nav-link active"' in links["/profilo/"]
    assert "aria-current" not in links["/profilo/"]  # a section's page, not this page
    assert all("active" not in attrs for href, attrs in links.items() if href != "/profilo/")

    links = _section_links(_page(world.lr, reverse("accounts:profile")))
    assert 'class="nav-link active"' in links["/profilo/"]
    assert 'aria-current="page"' in links["/profilo/"]

    links = _section_links(_page(world.lr, reverse("lines:sim-block", args=[world.lr_line.pk])))
    assert 'class="nav-link active"' in links["/linee/"]


def test_the_password_page_belongs_to_no_section(world: World) -> None:
    links = _section_links(_page(world.lr, reverse("accounts:password-change")))
    assert not any("active" in attrs for attrs in links.values())


def test_the_menu_the_person_and_the_language_collapse_behind_one_button(
    world: World,
) -> None:
    html = _page(world.full, reverse("billing:index"))
    button = re.search(r'<button type="button" class="[^"]*site-menu-toggle[^"]*"[^>]*>', html)
    assert button is not None
    for attribute in (
        'data-bs-toggle="collapse"',
        'data-bs-target="#site-menu"',
        'aria-controls="site-menu"',
        'aria-expanded="false"',
    ):
        assert attribute in button.group(0)
    assert re.search(r"</span>Menu\s*</button>", html)
    panel = html[html.index('<div class="collapse site-menu" id="site-menu">') :]
    panel = panel[: panel.index("</header>")]
    name = world.full.get_full_name()
    for part in ('aria-label="Sezioni"', name, ">Esci</button>", 'id="language-select"'):
        assert part in panel


def test_the_logo_and_the_favicon(world: World) -> None:
    from django.contrib.staticfiles import finders

    html = _page(world.user, "/")
    assert '<img src="/static/img/logo.svg" alt="Area Clienti Business"' in html
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert '<link rel="icon" href="/static/img/favicon-32.png" type="image/png"' in html
    for name in ("img/logo.svg", "img/favicon.svg", "img/favicon-32.png", "img/favicon.ico"):
        assert finders.find(name), name

    response = Client().get("/favicon.ico")  # asked by browsers, signed in or not
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"


def test_child_block_renders_the_most_derived_block_with_its_super() -> None:
    from django.template import engines

    engine = engines["django"].engine  # type: ignore[attr-defined]
    parent = engine.from_string(
        '{% load shell %}{% block title %}Base{% endblock %}|{% child_block "title" as t %}'
        '[{{ t }}]{% child_block "absent" as a %}[{{ a }}]'
    )
    child = engine.from_string(
        "{% extends parent %}{% block title %}{{ block.super }} › <b>{{ name }}</b>{% endblock %}"
    )
    from django.template import Context

    rendered = child.render(Context({"parent": parent, "name": "<i>"}))
    assert rendered == "Base › <b>&lt;i&gt;</b>|[Base › <b>&lt;i&gt;</b>][]"
