"""Invoice arithmetic, kept pure so it can be checked property by property."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    vat_lines: tuple[VatLine, ...]
    out_of_scope: Decimal

    @property
    def taxable(self) -> Decimal:
        return sum((line.taxable for line in self.vat_lines), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.vat_lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.taxable + self.vat + self.out_of_scope


def invoice_totals(items: Iterable[tuple[Decimal, Decimal | None]]) -> Totals:
    """Totals of (amount, VAT rate) items. As on Italian invoices, VAT is computed once per
    rate on the sum of that rate's taxable amounts, rounded half up to the cent; items
    with no rate are out of the scope of VAT and add to the total as they are."""
    by_rate: dict[Decimal, Decimal] = defaultdict(lambda: Decimal("0.00"))
    out_of_scope = Decimal("0.00")
    for amount, rate in items:
        if rate is None:
            out_of_scope += to_cents(amount)
        else:
            by_rate[rate] += to_cents(amount)
    vat_lines = tuple(
        VatLine(rate=rate, taxable=taxable, vat=to_cents(taxable * rate / 100))
        for rate, taxable in sorted(by_rate.items(), reverse=True)
    )
    return Totals(vat_lines=vat_lines, out_of_scope=out_of_scope)
