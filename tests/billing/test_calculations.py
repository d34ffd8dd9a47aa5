"""Invoice arithmetic: totals and VAT always add up (property-based)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing.calculations import invoice_totals, to_cents

amounts = st.decimals(min_value=Decimal("-500"), max_value=Decimal("5000"), places=2)
rates = st.sampled_from([Decimal("22"), Decimal("10"), Decimal("4"), None])
items = st.lists(st.tuples(amounts, rates), min_size=1, max_size=200)


@given(items)
def test_totals_add_up(items: list[tuple[Decimal, Decimal | None]]) -> None:
    totals = invoice_totals(items)
    assert totals.total == totals.taxable + totals.vat + totals.out_of_scope
    assert totals.taxable + totals.out_of_scope == sum((amount for amount, _ in items), Decimal(0))
    for line in totals.vat_lines:
        assert line.taxable == sum((a for a, r in items if r == line.rate), Decimal(0))
        # VAT once per rate, rounded to the cent: never more than half a cent off.
        assert abs(line.vat - line.taxable * line.rate / 100) <= Decimal("0.005")
        assert line.vat == to_cents(line.vat)


@given(items)
def test_order_of_items_does_not_matter(items: list[tuple[Decimal, Decimal | None]]) -> None:
    assert invoice_totals(items) == invoice_totals(list(reversed(items)))


def test_a_known_invoice() -> None:
    totals = invoice_totals(
        [(Decimal("15.00"), Decimal("22"))] * 3
        + [(Decimal("12.91"), None)] * 3
        + [(Decimal("0.05"), Decimal("22"))]
    )
    assert totals.taxable == Decimal("45.05")
    assert totals.vat == Decimal("9.91")  # 45.05 × 22% = 9.911
    assert totals.out_of_scope == Decimal("38.73")
    assert totals.total == Decimal("93.69")
