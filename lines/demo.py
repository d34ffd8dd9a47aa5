"""Demo offers and services on the demo lines, and the installation sites of fixed lines."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Line
from lines.models import LineService, ServiceKind

# Monthly fees of the mobile tariffs the consumption demo gives each SIM (by plan name).
TARIFF_FEES = {
    "Business Unlimited 100 GB": Decimal("29.00"),
    "Business Smart 20 GB": Decimal("15.00"),
}
MOBILE_EXTRAS = [
    ("roaming-europa", "Roaming Europa Plus", ServiceKind.OPTION, Decimal("5.00"), 4),
    ("segreteria", "Segreteria telefonica", ServiceKind.SERVICE, Decimal("0.00"), 1),
]
FIXED_SERVICES = [
    ("fibra-1g", "Fibra Business 1 Gbit/s", ServiceKind.OFFER, Decimal("45.00")),
    ("ip-statico", "IP statico", ServiceKind.SERVICE, Decimal("5.00")),
]
SITES = [
    ("Via Appia Nuova 1024", "00178", "Roma", "RM"),
    ("Via Appia Nuova 1024", "00178", "Roma", "RM"),
    ("Via Tiburtina 1180", "00156", "Roma", "RM"),
]


def _service(line: Line, code: str, name: str, kind: ServiceKind, fee: Decimal) -> None:
    LineService.objects.update_or_create(
        line=line,
        code=code,
        until__isnull=True,
        defaults={"name": name, "kind": kind, "monthly_fee": fee, "since": line.activated_on},
    )


def seed_line_services(mobile: list[Line], fixed: list[Line], *, tariffs: dict[int, str]) -> None:
    """`tariffs` names each mobile line's tariff (the consumption plan), by line id."""
    for index, line in enumerate(mobile):
        tariff = tariffs[line.pk]
        _service(line, "tariffa", tariff, ServiceKind.OFFER, TARIFF_FEES[tariff])
        for code, name, kind, fee, every in MOBILE_EXTRAS:
            if index % every == 0:
                _service(line, code, name, kind, fee)
    for line, (street, postal_code, city, province) in zip(fixed, SITES, strict=False):
        for code, name, kind, fee in FIXED_SERVICES:
            _service(line, code, name, kind, fee)
        if not line.site_street:
            line.site_street, line.site_postal_code = street, postal_code
            line.site_city, line.site_province = city, province
            line.save(
                update_fields=["site_street", "site_postal_code", "site_city", "site_province"]
            )
