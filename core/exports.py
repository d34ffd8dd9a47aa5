"""The one writer of every CSV and XLSX export: a spreadsheet never runs what someone typed.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel and LibreOffice (OWASP, "CSV Injection"), so a person named `=HYPERLINK(...)` would be
a live link in the admin's spreadsheet. In CSV such a cell is prefixed with a single quote;
in XLSX every text is written as a string, in a workbook that turns no string into a formula,
a link or a number. Numbers stay numbers: `int` and `Decimal` are numbers in XLSX and, in
CSV, written with the decimal comma and `;` between cells, as Italian spreadsheets read them.
The CSV starts with a byte order mark (Excel reads UTF-8 without one as Windows-1252, "€"
and accents broken) and writes dates as 31/12/2026; an `Euro` cell is an amount in euro,
with two decimals in CSV and the € format in XLSX.

Both stream: the CSV row by row, the XLSX through a temporary file in xlsxwriter's
constant-memory mode, so thousands of rows never sit in memory at once.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header


class Euro(Decimal):
    """An amount in euro: two decimals, shown with € in XLSX."""

    def __new__(cls, value: Decimal | int | str = "0") -> Euro:
        return super().__new__(cls, Decimal(value).quantize(Decimal("0.01")))


Cell = str | int | Decimal | date | None
BOM = "\ufeff"
SHEET_NAME_FORBIDDEN = re.compile(r"[/\\?*\[\]:]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "in_memory": False,
    # xlsxwriter's write() would turn "=..." into a formula, "http://..." into a link and
    # "+39..." into a number; every text is written as text instead.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def as_text(value: str) -> str:
    """A text a spreadsheet shows as it is, never evaluates (for CSV)."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def csv_value(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return as_text(cell)
    if isinstance(cell, Decimal):
        return format(cell, "f").replace(".", ",")
    if isinstance(cell, datetime):
        local = timezone.localtime(cell) if timezone.is_aware(cell) else cell
        return f"{local:%d/%m/%Y %H:%M}"
    if isinstance(cell, date):
        return f"{cell:%d/%m/%Y}"
    return str(cell)


class _Echo:
    """A file whose write() gives back the line, for csv.writer to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    yield BOM + writer.writerow([as_text(title) for title in header])
    for row in rows:
        yield writer.writerow([csv_value(cell) for cell in row])


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> StreamingHttpResponse:
    """A streamed CSV download (the rows are read as they are sent)."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.bold = workbook.add_format({"bold": True})
        self.day = workbook.add_format({"num_format": "dd/mm/yyyy"})
        self.moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.euro = workbook.add_format({"num_format": '#,##0.00 "€"'})
        self.decimals: dict[int, Any] = {}

    def decimal(self, value: Decimal) -> Any:
        """As many decimals as the value has (amounts in euro show their cents)."""
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places not in self.decimals:
            pattern = "#,##0." + "0" * places if places else "#,##0"
            self.decimals[places] = self.workbook.add_format({"num_format": pattern})
        return self.decimals[places]


def _write(sheet: Any, row: int, column: int, cell: Cell, formats: _Formats) -> None:
    if cell is None:
        return
    if isinstance(cell, str):
        sheet.write_string(row, column, cell)
    elif isinstance(cell, Euro):
        sheet.write_number(row, column, float(cell), formats.euro)
    elif isinstance(cell, Decimal):
        sheet.write_number(row, column, float(cell), formats.decimal(cell))
    elif isinstance(cell, datetime):
        local = timezone.localtime(cell) if timezone.is_aware(cell) else cell
        sheet.write_datetime(row, column, local.replace(tzinfo=None), formats.moment)
    elif isinstance(cell, date):
        sheet.write_datetime(row, column, cell, formats.day)
    else:
        sheet.write_number(row, column, cell)


def sheet_name(name: str) -> str:
    """`name` as Excel takes a sheet's name: none of / \\ ? * [ ] : (each becomes "-"), no
    apostrophe at either end, at most 31 characters, not empty."""
    name = SHEET_NAME_FORBIDDEN.sub("-", name)[:31].strip("'")
    return name or "Foglio1"


def xlsx_write(
    file: IO[bytes], *, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> None:
    """Write one sheet to `file`, row by row (constant memory)."""
    workbook = xlsxwriter.Workbook(file, WORKBOOK_OPTIONS)
    worksheet = workbook.add_worksheet(sheet_name(sheet))
    formats = _Formats(workbook)
    for column, title in enumerate(header):
        # Wide enough for the header; set before any row (constant-memory mode).
        worksheet.set_column(column, column, max(12, len(title) + 2))
    worksheet.freeze_panes(1, 0)
    for column, title in enumerate(header):
        worksheet.write_string(0, column, title, formats.bold)
    for index, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            _write(worksheet, index, column, cell, formats)
    workbook.close()


def xlsx_response(
    *, filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> FileResponse:
    """An XLSX download written row by row to a temporary file (constant memory)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    try:
        xlsx_write(spool, sheet=sheet, header=header, rows=rows)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
