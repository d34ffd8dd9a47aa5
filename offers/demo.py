"""The demo catalogue: offers for each segment, one expired, one for fixed lines."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Company, Contract
from lines.models import ServiceKind
from offers.models import Offer

S = Company.Segment


def seed_offers() -> dict[str, Offer]:
    today = timezone.localdate()
    year_end = date(today.year, 12, 31)
    catalogue: list[dict[str, Any]] = [
        dict(
            code="giga-extra-50",
            name="Giga Extra 50 GB",
            summary="50 GB in più ogni mese in Italia, per chi lavora in mobilità.",
            description=(
                "50 GB di traffico dati nazionale in più ogni mese, che si sommano a quelli "
                "del piano.\nI giga non usati non si accumulano. Disattivabile in ogni momento "
                "senza costi."
            ),
            service_kind=ServiceKind.OPTION,
            line_kind=Contract.Kind.MOBILE,
            segments=[S.SOHO, S.SME, S.CORPORATE],
            monthly_fee=Decimal("6.00"),
            activation_fee=Decimal("0.00"),
            valid_from=today - timedelta(days=60),
            valid_until=year_end + timedelta(days=90),
        ),
        dict(
            code="roaming-mondo",
            name="Roaming Mondo Business",
            summary="Chiamate e 10 GB al mese in 60 paesi extra UE.",
            description=(
                "300 minuti di chiamate e 10 GB di dati al mese in 60 paesi fuori dall'Unione "
                "Europea, tra cui Stati Uniti, Svizzera e Regno Unito.\nSi rinnova ogni mese."
            ),
            service_kind=ServiceKind.OPTION,
            line_kind=Contract.Kind.MOBILE,
            segments=[S.SME, S.CORPORATE],
            monthly_fee=Decimal("15.00"),
            activation_fee=Decimal("5.00"),
            valid_from=today - timedelta(days=30),
            valid_until=year_end,
        ),
        dict(
            code="centralino-cloud",
            name="Centralino Cloud",
            summary="Il centralino in cloud con risponditore automatico e code di attesa.",
            description=(
                "Risponditore automatico, code di attesa, inoltro su cellulare e app per PC. "
                "Configurazione da remoto inclusa."
            ),
            service_kind=ServiceKind.SERVICE,
            line_kind=Contract.Kind.FIXED,
            segments=[S.SME, S.CORPORATE],
            monthly_fee=Decimal("20.00"),
            activation_fee=Decimal("49.00"),
            min_duration_months=24,
            early_termination_fee=Decimal("99.00"),
            valid_from=today - timedelta(days=90),
            valid_until=year_end + timedelta(days=180),
        ),
        dict(
            code="partita-iva-start",
            name="Partita IVA Start",
            summary="Per professionisti: 100 GB e minuti illimitati a prezzo bloccato.",
            description="Riservata a piccole imprese e professionisti.",
            service_kind=ServiceKind.OFFER,
            line_kind=Contract.Kind.MOBILE,
            segments=[S.SOHO],
            monthly_fee=Decimal("12.00"),
            activation_fee=Decimal("0.00"),
            min_duration_months=12,
            early_termination_fee=Decimal("30.00"),
            valid_from=today - timedelta(days=30),
            valid_until=year_end,
        ),
        dict(
            code="estate-business",
            name="Estate Business",
            summary="L'offerta estiva, ormai scaduta.",
            description="Era attivabile solo in estate.",
            service_kind=ServiceKind.OPTION,
            line_kind=Contract.Kind.MOBILE,
            segments=[S.SOHO, S.SME, S.CORPORATE],
            monthly_fee=Decimal("4.00"),
            activation_fee=Decimal("0.00"),
            valid_from=date(today.year - 1, 6, 1),
            valid_until=date(today.year - 1, 9, 30),
        ),
    ]
    return {
        fields["code"]: Offer.objects.update_or_create(code=fields["code"], defaults=fields)[0]
        for fields in catalogue
    }
