"""Italian copy that reads right (issue 15, "Forms and copy"): a greeting that does not assume
gender, dates with their article ("entro l'11/12"), "linee mobili/fisse", and the menu naming
"Visualizza profilo e dati azienda" as the operator's help page does."""

import re
from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.models import Company, Contract
from core.italy import date_with_article
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import OfferFactory


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    return unescape(client.get(url).content.decode())


@pytest.mark.django_db
def test_the_home_greets_by_name_without_assuming_gender(world: World) -> None:
    world.user.first_name = "Sara"
    world.user.save(update_fields=["first_name"])
    html = page(signed_in(world.user), reverse("dashboard"))
    assert "Ciao, Sara" in html and "Benvenut" not in html


@pytest.mark.parametrize(
    ("day", "preposition", "written"),
    [
        (date(2026, 12, 11), "", "l'11/12/2026"),
        (date(2026, 3, 8), "", "l'08/03/2026"),
        (date(2026, 12, 10), "", "il 10/12/2026"),
        (date(2026, 12, 1), "", "il 01/12/2026"),
        (date(2026, 12, 11), "da", "dall'11/12/2026"),
        (date(2026, 12, 10), "da", "dal 10/12/2026"),
        (date(2026, 12, 11), "a", "all'11/12/2026"),
        (date(2026, 12, 11), "di", "dell'11/12/2026"),
    ],
)
def test_a_date_takes_its_article_in_italian(day: date, preposition: str, written: str) -> None:
    with translation.override("it"):
        assert date_with_article(day, preposition=preposition) == written


def test_a_datetime_is_written_in_rome_time_with_its_article(settings) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(2026, 12, 11, 8, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override("it"):
        assert date_with_article(moment) == "l'11/12/2026 09:30"


def test_entro_reads_entro_l_11_in_italian_and_by_in_english() -> None:
    template = Template(
        "{% load i18n italian %}"
        '{% blocktranslate with due=due|date:"SHORT_DATE_FORMAT"|with_article %}'
        "Invia copia della denuncia al Servizio Clienti entro {{ due }}.{% endblocktranslate %}"
    )
    context = Context({"due": date(2026, 12, 11)})
    with translation.override("it"):
        assert template.render(context).endswith("entro l'11/12/2026.")
    with translation.override("en"):
        assert template.render(context).endswith("by 11/12/2026.")


def test_the_filter_takes_dates_and_leaves_nothing_as_nothing() -> None:
    template = Template("{% load italian %}{{ day|with_article }} · {{ none|with_article }}")
    with translation.override("it"):
        assert template.render(Context({"day": date(2026, 12, 11), "none": None})) == (
            "l'11/12/2026 · "
        )


@pytest.mark.django_db
def test_offers_are_for_linee_mobili_or_fisse(world: World) -> None:
    mobile = OfferFactory(name="Giga", segments=[Company.Segment.SME])
    fixed = OfferFactory(
        name="Fibra", line_kind=Contract.Kind.FIXED, segments=[Company.Segment.SME]
    )
    client = signed_in(world.lr)
    catalogue = page(client, reverse("offers:index"))
    assert "per linee mobili" in catalogue and "per linee fisse" in catalogue
    assert "linee mobile" not in catalogue and "linee fisso" not in catalogue
    detail = page(client, reverse("offers:detail", args=[mobile.code]))
    assert re.search(r"Per linee</dt><dd[^>]*>mobili</dd>", detail)
    detail = page(client, reverse("offers:detail", args=[fixed.code]))
    assert re.search(r"Per linee</dt><dd[^>]*>fisse</dd>", detail)


@pytest.mark.django_db
def test_the_menu_names_the_page_as_the_operators_help_does(world: World) -> None:
    html = page(signed_in(world.user), reverse("dashboard"))
    menu = re.search(r'<nav class="section-nav" aria-label="Sezioni">(.*?)</nav>', html, re.S)
    assert menu is not None
    assert "Visualizza profilo e dati azienda" in menu.group(1)
    assert "Dati aziendali" not in menu.group(1)


def test_the_filter_escapes_what_it_is_given() -> None:
    template = Template("{% load italian %}{{ text|with_article }}")
    with translation.override("it"):
        assert template.render(Context({"text": "11 <b>"})) == "l'11 &lt;b&gt;"
