"""Invoices from the billing system: idempotent on the number, bad records explained."""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from billing.models import Invoice
from billing.services import InvoiceDataError, invoice_import
from tests.conftest import World


def record(world: World, **overrides: object) -> dict[str, object]:
    return {
        "number": "FT-2026-000123",
        "company_vat_number": world.company.vat_number,
        "contract": world.mobile.number,
        "issue_date": "2026-10-05",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "due_date": "2026-10-25",
        "payment_method": "BANK_TRANSFER",
        "items": [
            {
                "line": world.lr_line.number,
                "category": "FEE",
                "service": "Canone",
                "amount": "15.00",
                "vat_rate": "22",
            },
            {
                "line": world.lr_line.number,
                "category": "TAX",
                "service": "TCG",
                "amount": "12.91",
                "vat_rate": None,
            },
            {"category": "ONE_OFF", "service": "Attivazione", "amount": "30.00", "vat_rate": "22"},
        ],
        **overrides,
    }


def test_import_computes_the_totals(world: World) -> None:
    outcome = invoice_import(record(world))
    invoice = outcome.invoice
    assert outcome.created
    assert (invoice.taxable, invoice.vat, invoice.out_of_scope, invoice.total) == (
        Decimal("45.00"),
        Decimal("9.90"),
        Decimal("12.91"),
        Decimal("67.81"),
    )
    assert invoice.items.count() == 3
    assert list(invoice.vat_lines.values_list("rate", "vat")) == [
        (Decimal("22.00"), Decimal("9.90"))
    ]


def test_the_same_record_twice_changes_nothing(world: World) -> None:
    first = invoice_import(record(world))
    second = invoice_import(record(world))
    assert not second.created and not second.changed
    assert second.invoice.revision == first.invoice.revision
    assert Invoice.objects.filter(number="FT-2026-000123").count() == 1


def test_a_corrected_open_invoice_is_replaced_with_a_new_revision(world: World) -> None:
    invoice_import(record(world))
    corrected = record(world)
    corrected["items"] = corrected["items"][:1]  # type: ignore[index]
    outcome = invoice_import(corrected)
    assert outcome.changed and outcome.invoice.revision == 2
    assert outcome.invoice.items.count() == 1 and outcome.invoice.total == Decimal("18.30")


def test_a_paid_invoice_never_changes(world: World) -> None:
    from django.utils import timezone

    invoice = invoice_import(record(world)).invoice
    Invoice.objects.filter(pk=invoice.pk).update(status="PAID", paid_at=timezone.now())
    changed = record(world)
    changed["due_date"] = "2026-11-30"
    with pytest.raises(InvoiceDataError, match="paid"):
        invoice_import(changed)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"company_vat_number": "00000000000"}, "company_vat_number"),
        ({"contract": "NOPE"}, "contract"),
        ({"issue_date": "05/10/2026"}, "issue_date"),
        ({"period_end": "2026-08-01"}, "period_end"),
        ({"items": []}, "items"),
        (
            {"items": [{"category": "FEE", "service": "X", "amount": "abc", "vat_rate": "22"}]},
            "amount",
        ),
        (
            {"items": [{"category": "XYZ", "service": "X", "amount": "1", "vat_rate": "22"}]},
            "category",
        ),
        ({"payment_method": "CASH"}, "payment_method"),
    ],
)
def test_bad_records_are_refused_with_the_reason(
    overrides: dict[str, object], message: str, world: World
) -> None:
    with pytest.raises(InvoiceDataError, match=message):
        invoice_import(record(world, **overrides))
    assert not Invoice.objects.filter(number="FT-2026-000123").exists()


def test_a_line_of_another_company_is_refused(world: World) -> None:
    bad = record(world)
    bad["items"][0]["line"] = world.outsider_line.number  # type: ignore[index]
    with pytest.raises(InvoiceDataError, match="line"):
        invoice_import(bad)


def test_the_command_loads_good_rows_and_reports_bad_ones(world: World, tmp_path: Path) -> None:
    path = tmp_path / "fatture.jsonl"
    good = record(world)
    other = record(world, number="FT-2026-000124")
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps(record(world, number="X", contract="NO")),
                json.dumps(other),
                json.dumps(good),
            ]
        )
    )
    out, err = StringIO(), StringIO()
    call_command("import_invoices", str(path), stdout=out, stderr=err)
    assert "line 2" in err.getvalue() and "line 3" in err.getvalue()
    assert "2 created, 0 updated, 1 unchanged, 2 refused" in out.getvalue()
    assert Invoice.objects.filter(number__startswith="FT-2026-").count() == 2
