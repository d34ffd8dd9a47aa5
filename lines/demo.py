"""Demo offers and services on the demo lines, and the installation sites of fixed lines.
The invoices of the demo charge exactly these (seed_demo hands them to billing's demo)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accounts.models import Company, Contract, Line, User
from lines.models import LineService, Plan, PortInState, ServiceKind
from lines.orders import DeliveryData, OrderedSimData, PortInData, order_create
from lines.portability import port_in_move

T = Line.Technology

# Monthly fees of the mobile tariffs the consumption demo gives each SIM (by plan name).
TARIFF_FEES = {
    "Business Unlimited 100 GB": Decimal("29.00"),
    "Business Smart 20 GB": Decimal("15.00"),
}
# The option that makes roaming outside the EU (the demo's Switzerland) free.
ROAMING_OPTION = "roaming-europa"
MOBILE_EXTRAS = [
    (ROAMING_OPTION, "Roaming Europa Plus", ServiceKind.OPTION, Decimal("5.00"), 4),
    ("segreteria", "Segreteria telefonica", ServiceKind.SERVICE, Decimal("0.00"), 1),
]
# A Dual Billing line's personal profile: billed to its holder, on their own invoices.
PERSONAL_PROFILE = ("dual-billing", "Dual Billing: profilo personale", Decimal("2.00"))
# Each fixed line has one access offer, the one its technology can carry.
ACCESS_OFFERS = {
    T.FTTH: ("fibra-1g", "Fibra Business 1 Gbit/s", Decimal("45.00")),
    T.FTTC: ("fibra-200m", "Fibra Business 200 Mbit/s", Decimal("35.00")),
    T.ADSL: ("adsl-20m", "ADSL Business 20 Mbit/s", Decimal("25.00")),
}
FIXED_SERVICES = [("ip-statico", "IP statico", ServiceKind.SERVICE, Decimal("5.00"))]
SITES = [
    ("Via Appia Nuova 1024", "00178", "Roma", "RM"),
    ("Via Appia Nuova 1024", "00178", "Roma", "RM"),
    ("Via Tiburtina 1180", "00156", "Roma", "RM"),
]


def _service(
    line: Line,
    code: str,
    name: str,
    kind: ServiceKind,
    fee: Decimal,
    since: date | None = None,
) -> None:
    LineService.objects.update_or_create(
        line=line,
        code=code,
        until__isnull=True,
        defaults={
            "name": name,
            "kind": kind,
            "monthly_fee": fee,
            "since": since or line.activated_on,
        },
    )


def seed_line_services(
    mobile: list[Line],
    fixed: list[Line],
    *,
    tariffs: dict[int, str],
    sites: list[tuple[str, str, str, str]] | None = None,
    dual_billing_since: date | None = None,
) -> None:
    """`tariffs` names each mobile line's tariff (the consumption plan), by line id; a Dual
    Billing line gets its personal profile from `dual_billing_since`; fixed lines get the
    access offer of their technology and, when given, their sites."""
    for index, line in enumerate(mobile):
        tariff = tariffs[line.pk]
        _service(line, "tariffa", tariff, ServiceKind.OFFER, TARIFF_FEES[tariff])
        for code, name, kind, fee, every in MOBILE_EXTRAS:
            if index % every == 0:
                _service(line, code, name, kind, fee)
        if line.dual_billing:
            code, name, fee = PERSONAL_PROFILE
            _service(line, code, name, ServiceKind.SERVICE, fee, since=dual_billing_since)
    for line in fixed:
        code, name, fee = ACCESS_OFFERS[T(line.technology)]
        # One access offer a line: another one (the demo's before the line had a
        # technology) goes.
        others = [other for other, _name, _fee in ACCESS_OFFERS.values() if other != code]
        LineService.objects.filter(line=line, code__in=others, until__isnull=True).delete()
        _service(line, code, name, ServiceKind.OFFER, fee)
        for code, name, kind, fee in FIXED_SERVICES:
            _service(line, code, name, kind, fee)
    for line, (street, postal_code, city, province) in zip(fixed, sites or [], strict=False):
        if not line.site_street:
            line.site_street, line.site_postal_code = street, postal_code
            line.site_city, line.site_province = city, province
            line.save(
                update_fields=["site_street", "site_postal_code", "site_city", "site_province"]
            )


S = Company.Segment
# The catalogue of plans new SIMs are ordered with (ampliamento): code, name, description,
# monthly fee, GB a month (None: unlimited), segments.
PLANS = [
    ("start-10", "Business Start 10 GB", "Minuti e SMS illimitati, 10 GB in Italia e UE.",
     Decimal("7.99"), 10, [S.SOHO]),
    ("smart-50", "Business Smart 50 GB", "Minuti e SMS illimitati, 50 GB in Italia e UE.",
     Decimal("12.00"), 50, [S.SOHO, S.SME, S.CORPORATE]),
    ("pro-150", "Business Pro 150 GB", "Minuti e SMS illimitati, 150 GB, 5 GB in roaming extra UE.",
     Decimal("19.00"), 150, [S.SME, S.CORPORATE]),
    ("unlimited", "Business Unlimited", "Minuti, SMS e giga illimitati in Italia, 30 GB in UE.",
     Decimal("29.00"), None, [S.SME, S.CORPORATE]),
    ("corporate-fleet", "Corporate Fleet 100 GB", "Per flotte aziendali: 100 GB e giga condivisi.",
     Decimal("16.50"), 100, [S.CORPORATE]),
]  # fmt: skip
DEMO_ORDER_KEY = "demo-order-rossi-1"


def seed_plan_catalogue() -> None:
    for code, name, description, fee, data_gb, segments in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "monthly_fee": fee,
                "data_gb": data_gb,
                "segments": [str(segment) for segment in segments],
                "is_active": True,
            },
        )


def seed_order(requester: User, contract: Contract) -> None:
    """An order of two SIMs by `requester`, one bringing a number from TIM that the donor
    has accepted: the order's page, its portability and the back office's forms to try."""
    company = contract.company
    tracked = order_create(
        company=company,
        requester=requester,
        contract=contract,
        plan=Plan.objects.get(code="smart-50"),
        sim_kind="PHYSICAL",
        sims=[
            OrderedSimData(assignee=requester, port_in=None),
            OrderedSimData(
                assignee=None,
                port_in=PortInData(
                    number="+393401234567",
                    donor="TIM",
                    iccid="8939010000000009992",
                    holder_tax_code=company.tax_code,
                ),
            ),
        ],
        delivery=DeliveryData(
            recipient=requester.get_full_name(),
            street=company.legal_street,
            postal_code=company.legal_postal_code,
            city=company.legal_city,
            province=company.legal_province,
            contact_phone=requester.phone,
        ),
        external_id=DEMO_ORDER_KEY,
    )
    ported = tracked.sim_order.sims.get(position=2)
    if ported.port_state == PortInState.REQUESTED:
        port_in_move(ordered_sim=ported, to_state=PortInState.ACCEPTED, actor=None)
