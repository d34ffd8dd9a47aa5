"""Italian copy that reads right (issue 15, "Forms and copy"): a greeting that does not assume
gender, dates with their article ("entro l'11/12"), "linee mobili/fisse", and the menu naming
"Visualizza profilo e dati azienda" as the operator's help page does."""

import calendar
import io
import os
import re
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation.template import templatize

from accounts.models import Company, Contract
from core.italy import date_with_article
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import InvitationFactory, InvoiceFactory, OfferFactory


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
        "Sporgi denuncia ai Carabinieri o alla Polizia e carica qui la copia entro {{ due }}."
        "{% endblocktranslate %}"
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


# --- The catalogue: every message, both languages (issue 15, "Proofread every message") ---


def _catalogue() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(Italian msgid forms, English msgstr forms) of every entry of the English catalogue."""

    path = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        catalogue = read_po(po)
    return [
        (
            message.id if isinstance(message.id, tuple) else (message.id,),
            message.string if isinstance(message.string, tuple) else (message.string,),
        )
        for message in catalogue
        if message.id
    ]


def _source_messages() -> set[tuple[str, str | None]]:
    """(msgid, context) of every message the code and the templates translate, extracted as
    `makemessages` does (Django's templatize, then gettext's keywords), without touching the
    catalogue."""

    keywords = {
        **DEFAULT_KEYWORDS,
        "gettext_lazy": None,
        "gettext_noop": None,
        "ngettext_lazy": (1, 2),
        "pgettext": ((1, "c"), 2),
        "pgettext_lazy": ((1, "c"), 2),
        "npgettext": ((1, "c"), 2, 3),
        "npgettext_lazy": ((1, "c"), 2, 3),
    }
    root = Path(settings.BASE_DIR)
    skipped = {"node_modules", "tests", "bench", "load", "locale", "test-artifacts", "scripts"}
    found: set[tuple[str, str | None]] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skipped and not d.startswith(".")]
        for name in files:
            path = Path(folder) / name
            if path.suffix == ".py":
                data = path.read_bytes()
            elif path.suffix in (".html", ".txt") and "templates" in path.parts:
                data = templatize(path.read_text(encoding="utf-8"), origin=str(path)).encode()
            else:
                continue
            for _line, message, _comments, context in extract(
                "python", io.BytesIO(data), keywords=keywords
            ):
                found.add((message[0] if isinstance(message, tuple) else message, context))
    return found


def test_every_message_of_the_source_is_in_the_catalogue_and_nothing_else() -> None:

    path = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        catalogue = {
            (m.id[0] if isinstance(m.id, tuple) else m.id, m.context) for m in read_po(po) if m.id
        }
    source = _source_messages()
    assert sorted(source - catalogue, key=str) == [], "messages with no English"
    assert sorted(catalogue - source, key=str) == [], "obsolete entries no source uses"


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
_TAG = re.compile(r"</?[a-z]+[^>]*>")


def test_placeholders_and_markup_are_the_same_in_both_languages() -> None:
    for italian, english in _catalogue():
        for source, translation_ in zip(italian, english, strict=False):
            assert sorted(_PLACEHOLDER.findall(source)) == sorted(
                _PLACEHOLDER.findall(translation_)
            ), source
            assert sorted(_TAG.findall(source)) == sorted(_TAG.findall(translation_)), source


def test_no_accent_typed_as_an_apostrophe_and_no_stray_spaces() -> None:
    # "perche'", "e'", "piu'" for "perché", "è", "più": an elision is followed by a letter or a
    # digit ("l'11", "un'e-mail"), a missing accent by a space, a stop or the end.
    missing_accent = re.compile(r"(?<!\bpo)[aeiouAEIOU]'(?=[\s.,;:!?)»]|$)")
    space_before = re.compile(r"\s[,.;:!?)]")
    for italian, english in _catalogue():
        for text in (*italian, *english):
            assert not missing_accent.search(text), text
            assert not space_before.search(text), text
            assert "  " not in text and text == text.strip(), text


def test_quotes_are_guillemets_in_italian_and_curly_in_english() -> None:
    outside_tags = re.compile(r"<[^>]*>")
    for italian, english in _catalogue():
        for text in italian:
            assert not re.search(r"[\"“”]", outside_tags.sub("", text)), text
        for source, translation_ in zip(italian, english, strict=False):
            assert "«" not in translation_ and '"' not in outside_tags.sub("", translation_)
            assert source.count("«") == translation_.count("“"), source


def test_the_italian_uses_the_products_words() -> None:
    """The operator's help page says "utenza", not "account"; "e-mail" is
    feminine ("un'e-mail"); months are lower case; "servizio clienti" too, as in most
    messages; no greeting or past participle addressed to the reader assumes a gender."""
    months = "Gennaio|Febbraio|Marzo|Aprile|Maggio|Giugno|Luglio|Agosto|Settembre|Ottobre"
    forbidden = [
        r"\baccount\b",
        r"\buna e-mail\b",
        rf"(?<!^)\b(?:{months}|Novembre|Dicembre)\b",
        r"Servizio Clienti",
        r"\bBenvenut[oa]\b",
        r"\bsei stat[oa] tu\b",
        r"\bti ha (?:registrat|invitat)[oa]\b",
        r"\bessere richiamat[oa]\b",
    ]
    for italian, _english in _catalogue():
        for text in italian:
            for pattern in forbidden:
                assert not re.search(pattern, text), (pattern, text)


def test_the_english_is_british_throughout() -> None:
    american = re.compile(
        r"\b(?:authori|organi|recogni|reali|customi|minimi|maximi|prioriti|finali|summari"
        r"|categori|synchroni|normali|initiali)z(?:e|ed|es|ing|ation)\b"
        r"|\bcanceled\b|\bcolor\b|\bcenter\b|\bcatalog\b|\bfavor\b|\bbehavior\b"
        r"|\bzip code\b|\bcustomer area\b",
        re.IGNORECASE,
    )
    for _italian, english in _catalogue():
        for text in english:
            assert not american.search(text.replace("Area Clienti", "")), text


# --- The phrases the issue names, on their pages --------------------------------------

ROME = ZoneInfo("Europe/Rome")
MESI = "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
MESI += "dicembre"


@pytest.mark.django_db
def test_the_home_writes_its_dates_with_their_article(world: World) -> None:
    InvoiceFactory(company=world.company, contract=world.mobile, due_date=date(2025, 11, 11))
    InvitationFactory(company=world.company, sent_at=datetime(2025, 11, 8, 10, 0, tzinfo=ROME))
    html = page(signed_in(world.lr), reverse("dashboard"))
    assert "scaduta l'11/11/2025" in html and "scaduta il l" not in html
    assert "invito inviato l'08/11/2025" in html and "invitato il" not in html


@pytest.mark.django_db
def test_month_names_are_lower_case_in_italian_and_capitalised_in_english(
    world: World,
) -> None:
    due = timezone.localdate() + timedelta(days=10)
    InvoiceFactory(company=world.company, contract=world.mobile, due_date=due)
    client = signed_in(world.lr)
    italian = page(client, reverse("dashboard"))
    mese = MESI.split()[due.month - 1]
    assert f"Prossima scadenza: {due.day} {mese} {due.year}." in italian
    assert re.search(rf"Consumi di ({'|'.join(MESI.split())}) \d{{4}}", italian)
    client.post(reverse("set-language"), {"language": "en", "next": "/"})
    english = page(client, reverse("dashboard"))
    assert f"Next due date: {due.day} {calendar.month_name[due.month]} {due.year}." in english
    assert re.search(r"Usage in [A-Z][a-z]+ \d{4}", english)


def test_the_month_filters_follow_the_language() -> None:
    template = Template("{% load italian %}{{ day|long_date }} · {{ day|month_year }}")
    context = Context({"day": date(2026, 12, 8)})
    with translation.override("it"):
        assert template.render(context) == "8 dicembre 2026 · dicembre 2026"
    with translation.override("en"):
        assert template.render(context) == "8 December 2026 · December 2026"


@pytest.mark.django_db
def test_usage_ranges_read_dall_11_al_20(world: World) -> None:
    period = {"since": "2026-10-11", "until": "2026-10-20"}
    url = reverse("consumption:sim-usage", args=[world.user_line.pk])
    sim = unescape(signed_in(world.user).get(url, period).content.decode())
    assert "dall'11/10/2026 al 20/10/2026" in sim and "dal 11/10" not in sim
    every = signed_in(world.lr).get(reverse("consumption:all-sims"), period)
    assert "Dall'11/10/2026 al 20/10/2026." in unescape(every.content.decode())
    english = signed_in(world.user)
    english.post(reverse("set-language"), {"language": "en", "next": "/"})
    sim = unescape(english.get(url, period).content.decode())
    assert "from 11/10/2026 to 20/10/2026" in sim


@pytest.mark.django_db
def test_the_lines_filter_reads_linee_mobili_and_fisse(world: World) -> None:
    html = page(signed_in(world.lr), reverse("lines:index"))
    assert '<option value="" selected>Tutte le linee</option>' in html
    assert '<option value="MOBILE">Linee mobili</option>' in html
    assert '<option value="FIXED">Linee fisse</option>' in html
    filtered = page(signed_in(world.lr), reverse("lines:index") + "?kind=FIXED")
    assert world.fixed_line.number in filtered and world.user_line.number not in filtered


@pytest.mark.django_db
def test_the_password_reset_email_does_not_assume_a_gender(world: World, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    Client().post(reverse("accounts:password-reset"), {"email": world.user.email})
    (message,) = mailoutbox
    assert "Se non l'hai chiesto tu, ignora questo messaggio" in message.body
    assert "stato tu" not in message.body
