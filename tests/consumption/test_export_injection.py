"""Exports never carry a live formula: what people typed stays text, amounts stay numbers."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import InvoiceItem
from consumption.services import usage_import_csv
from core.exports import Euro, csv_value
from tests.conftest import World, sign_in

HYPERLINK = '=HYPERLINK("http://x","y")'
PHONE_LIKE = "+39 335 1234567"
AT_SIGN = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3"
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture
def hostile(world: World) -> World:
    """People whose names a spreadsheet would run, and some billed traffic."""
    for person, name in [
        (world.user, HYPERLINK),
        (world.light, PHONE_LIKE),
        (world.full, AT_SIGN),
        (world.lr, MINUS),
    ]:
        person.first_name, person.last_name = name, ""
        person.save()
    world.full_line.assignee = world.full
    world.full_line.save()
    usage_import_csv(
        io.StringIO(
            "record_id,number,started_at,kind,roaming,quantity,cost\n"
            f"d1,{world.user_line.number},2026-10-12T10:00:00+02:00,data,1,2048,1.50\n"
        )
    )
    return world


def export(world: World, formato: str) -> bytes:
    client = Client()
    sign_in(client, world.lr)
    response = client.get(reverse("consumption:all-sims"), {"month": "2026-10", "formato": formato})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_csv_writes_names_that_look_like_formulas_as_text(hostile: World) -> None:
    rows = list(csv.reader(io.StringIO(export(hostile, "csv").decode("utf-8-sig")), delimiter=";"))
    by_number = {row[0].removeprefix("'"): row for row in rows[1:]}
    assert by_number[hostile.user_line.number][1] == "'" + HYPERLINK
    assert by_number[hostile.light_line.number][1] == "'" + PHONE_LIKE
    assert by_number[hostile.full_line.number][1] == "'" + AT_SIGN
    assert by_number[hostile.lr_line.number][1] == "'" + MINUS
    # Amounts are still numbers to an Italian spreadsheet: no quote, a decimal comma.
    assert by_number[hostile.user_line.number][5] == "1,50"
    assert by_number[hostile.user_line.number][4] == "2,0"  # MB


def sheet_cells(content: bytes) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        root = ElementTree.fromstring(workbook.read("xl/worksheets/sheet1.xml"))  # noqa: S314
        shared = []
        if "xl/sharedStrings.xml" in workbook.namelist():
            strings = ElementTree.fromstring(workbook.read("xl/sharedStrings.xml"))  # noqa: S314
            shared = ["".join(t.itertext()) for t in strings.findall("x:si", NS)]
    cells = {}
    for cell in root.iter(f"{{{NS['x']}}}c"):
        if cell.get("t") == "s":  # a shared string: resolve it for the assertions
            cell.set("text", shared[int(cell.findtext("x:v", namespaces=NS) or "0")])
        elif cell.get("t") == "inlineStr":
            cell.set("text", "".join(cell.find("x:is", NS).itertext()))  # type: ignore[union-attr]
        cells[cell.get("r") or ""] = cell
    return cells


def test_the_xlsx_writes_names_that_look_like_formulas_as_text(hostile: World) -> None:
    cells = sheet_cells(export(hostile, "xlsx"))
    assert not [ref for ref, cell in cells.items() if cell.find("x:f", NS) is not None]
    by_number = {cell.get("text"): ref[1:] for ref, cell in cells.items() if ref.startswith("A")}
    for line, name in [
        (hostile.user_line, HYPERLINK),
        (hostile.light_line, PHONE_LIKE),
        (hostile.full_line, AT_SIGN),
        (hostile.lr_line, MINUS),
    ]:
        assignee = cells[f"B{by_number[line.number]}"]
        assert assignee.get("t") in {"s", "inlineStr", "str"}
        assert assignee.get("text") == name  # shown exactly as typed, never run
    row = by_number[hostile.user_line.number]
    # Numbers stay numbers: no type attribute, the value itself.
    assert cells[f"F{row}"].get("t") is None
    assert cells[f"F{row}"].findtext("x:v", namespaces=NS) == "1.5"
    assert cells[f"E{row}"].get("t") is None
    assert cells[f"E{row}"].findtext("x:v", namespaces=NS) == "2"  # MB
    # No hyperlink relation either (xlsxwriter's strings_to_urls).
    with zipfile.ZipFile(io.BytesIO(export(hostile, "xlsx"))) as workbook:
        assert not any("hyperlink" in name.lower() for name in workbook.namelist())


def test_the_billed_report_writes_service_names_as_text(world: World) -> None:
    InvoiceItem.objects.create(
        invoice=world.invoice,
        line=world.user_line,
        category="TRAFFIC",
        service="=cmd|' /C calc'!A0",
        amount=Decimal("-2.50"),
        vat_rate=22,
    )
    client = Client()
    sign_in(client, world.lr)
    response = client.get(reverse("consumption:billed-report"), {"formato": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1][5] == "'=cmd|' /C calc'!A0"
    assert rows[1][6] == "-2,50"  # a negative amount is a number, not text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+39 02 1234567", "'+39 02 1234567"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Mario Rossi", "Mario Rossi"),
        ("", ""),
        (Decimal("-1234.50"), "-1234,50"),
        (42, "42"),
        (None, ""),
        # Italian dates and euro amounts with their cents, as Italian spreadsheets read them.
        (date(2026, 12, 31), "31/12/2026"),
        (datetime(2026, 12, 31, 23, 5, tzinfo=ZoneInfo("Europe/Rome")), "31/12/2026 23:05"),
        (Euro(Decimal("3.5")), "3,50"),
        (Euro(0), "0,00"),
    ],
)
def test_csv_cells(value: object, written: str) -> None:
    assert csv_value(value) == written  # type: ignore[arg-type]
