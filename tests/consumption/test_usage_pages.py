"""Usage pages: each profile sees its scope; every SIM for LR and FULL; exports."""

import csv
import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.roles import Profile
from consumption.services import usage_import_csv
from tests.conftest import World, client_for

HEADER = "record_id,number,started_at,kind,roaming,quantity,cost\n"


@pytest.fixture
def usage(world: World) -> World:
    moment = datetime(2026, 10, 12, 10, 0, tzinfo=ZoneInfo("Europe/Rome")).isoformat()
    rows = []
    for n, line in enumerate(
        [
            world.lr_line,
            world.user_line,
            world.light_line,
            world.delegated_line,
            world.outsider_line,
        ]
    ):
        rows += [
            f"v{n},{line.number},{moment},voice,0,{600 * (n + 1)},0",
            f"d{n},{line.number},{moment},data,1,{1024 * 1024 * (n + 1)},{n}.50",
        ]
    usage_import_csv(io.StringIO(HEADER + "\n".join(rows) + "\n"))
    return world


def sim_url(line) -> str:  # type: ignore[no-untyped-def]
    return reverse("consumption:sim-usage", args=[line.pk])


def test_a_user_sees_only_their_sim(usage: World) -> None:
    client = client_for(usage.user)
    page = client.get(reverse("consumption:index")).content.decode()
    assert usage.user_line.number in page and usage.lr_line.number not in page
    detail = client.get(sim_url(usage.user_line), {"month": "2026-10"})
    assert detail.status_code == 200
    text = detail.content.decode()
    assert ">20<" in text  # 1,200 seconds = 20 minutes
    assert "2,00 GB" in text  # roaming data
    assert client.get(sim_url(usage.lr_line)).status_code == 404


def test_a_light_admin_sees_own_and_delegated_sims(usage: World) -> None:
    client = client_for(usage.light)
    for line in (usage.light_line, usage.delegated_line):
        assert client.get(sim_url(line)).status_code == 200
    for line in (usage.user_line, usage.spare_line):
        assert client.get(sim_url(line)).status_code == 404


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL])
def test_admins_see_any_sim_of_the_company_but_not_others(profile: Profile, usage: World) -> None:
    client = client_for(usage.by_profile(profile))
    assert client.get(sim_url(usage.user_line)).status_code == 200
    assert client.get(sim_url(usage.outsider_line)).status_code == 404
    assert client.get(sim_url(usage.fixed_line)).status_code == 404  # not a SIM


def test_periods_and_bad_periods(usage: World) -> None:
    client = client_for(usage.lr)
    empty = client.get(sim_url(usage.lr_line), {"month": "2026-09"}).content.decode()
    assert "Nessun consumo nel periodo" in empty
    custom = client.get(sim_url(usage.lr_line), {"since": "2026-10-01", "until": "2026-10-31"})
    assert "usage-chart-data" in custom.content.decode()
    for bad in (
        {"month": "2026-13"},
        {"since": "2026-10-31", "until": "2026-10-01"},
        {"since": "2024-01-01", "until": "2026-01-01"},
        {"since": "2026-10-01"},
    ):
        response = client.get(sim_url(usage.lr_line), bad)
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode(), bad


@pytest.mark.parametrize("profile", [Profile.LIGHT, Profile.USER])
def test_only_lr_and_full_see_every_sim(profile: Profile, usage: World) -> None:
    assert (
        client_for(usage.by_profile(profile)).get(reverse("consumption:all-sims")).status_code
        == 403
    )


def test_all_sims_search_sort_and_totals(usage: World) -> None:
    client = client_for(usage.full)
    url = reverse("consumption:all-sims")
    page = client.get(url, {"month": "2026-10", "sort": "-data"}).content.decode()
    assert page.index(usage.delegated_line.number) < page.index(usage.lr_line.number)
    assert usage.outsider_line.number not in page
    found = client.get(url, {"month": "2026-10", "q": usage.user.last_name}).content.decode()
    assert usage.user_line.number in found and usage.lr_line.number not in found


def test_csv_export(usage: World) -> None:
    response = client_for(usage.lr).get(
        reverse("consumption:all-sims"), {"month": "2026-10", "formato": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content)
    # Excel reads UTF-8 as such only after a byte order mark.
    assert raw.startswith(b"\xef\xbb\xbf")
    # Italian spreadsheets: `;` between cells, the decimal comma, Italian headers.
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Numero",
        "Assegnatario",
        "Voce (minuti)",
        "SMS",
        "Dati (MB)",
        "Costo extra (€)",
        "Credito residuo (€)",
        "Stato",
    ]
    # "+39…" is written as text ('+39…): a spreadsheet would make it a number, or a formula.
    by_number = {row[0].removeprefix("'"): row for row in rows[1:]}
    assert by_number[usage.user_line.number][0] == "'" + usage.user_line.number
    # The units the page shows: 1,200 seconds are 20 minutes, 2 GB are 2048 MB, euro cents.
    assert by_number[usage.user_line.number][2:] == [
        "20",
        "0",
        "2048,0",
        "1,50",
        "0,00",
        "Attiva",
    ]
    assert usage.outsider_line.number not in by_number
    assert len(by_number) == 6  # every SIM of the company, used or not


def test_csv_rounds_voice_up_and_data_to_a_tenth_of_mb() -> None:
    from consumption.exports import megabytes, minutes

    assert [minutes(0), minutes(1), minutes(60), minutes(61)] == [0, 1, 1, 2]
    assert str(megabytes(1536)) == "1.5" and str(megabytes(0)) == "0.0"


def test_xlsx_export(usage: World) -> None:
    response = client_for(usage.lr).get(
        reverse("consumption:all-sims"), {"month": "2026-10", "formato": "xlsx"}
    )
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        styles = workbook.read("xl/styles.xml").decode()
        # Constant-memory mode writes strings inline; read the shared table if there is one.
        names = workbook.namelist()
        shared = "xl/sharedStrings.xml"
        strings = workbook.read(shared).decode() if shared in names else ""
    text = sheet + strings
    assert usage.user_line.number in text and "Voce (minuti)" in text
    assert "<v>20</v>" in sheet and "<v>2048</v>" in sheet  # minutes and MB, as numbers
    assert usage.outsider_line.number not in text
    # Amounts carry the euro format; the header row stays in view.
    assert "#,##0.00 &quot;€&quot;" in styles or '#,##0.00 "€"' in styles
    assert 'state="frozen"' in sheet
