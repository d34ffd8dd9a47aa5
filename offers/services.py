"""Offer activation: a request the back office completes, which adds the offer to the lines."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exceptions import ActionRefused
from accounts.models import Company, Line, User
from accounts.selectors import company_id_of
from lines.models import LineService, ServiceKind
from lines.services import line_service_add
from offers.models import Offer
from offers.selectors import pending_activations
from tracking.models import Request, RequestKind
from tracking.services import on_completion, request_create


@transaction.atomic
def offer_activation_request(*, actor: User, offer: Offer, lines: list[Line]) -> Request:
    """Ask to activate `offer` on `lines`. Refused when the offer is not for the company or
    not valid today, when a line cannot have it, has it already, or is in an activation of
    the same offer still open. The company's row lock makes concurrent submissions queue."""
    company = Company.objects.select_for_update().get(pk=company_id_of(actor))
    if not offer.is_for(company):
        raise ActionRefused(_("Questa offerta non è riservata alla tua azienda."))
    if not offer.is_valid_on(timezone.localdate()):
        raise ActionRefused(_("L'offerta non è più valida: non si può attivare."))
    if not lines:
        raise ActionRefused(_("Scegli almeno una linea."))
    for line in lines:
        if (
            line.contract.company_id != company.pk
            or line.contract.kind != offer.line_kind
            or line.state != Line.State.ACTIVE
        ):
            raise ActionRefused(
                _("L'offerta non si può attivare sulla linea %(number)s.") % {"number": line.number}
            )
    active = LineService.objects.filter(line__in=lines, code=offer.code, until__isnull=True)
    if already := active.select_related("line").first():
        raise ActionRefused(
            _("L'offerta è già attiva sulla linea %(number)s.") % {"number": already.line.number}
        )
    chosen = {line.pk for line in lines}
    for pending in pending_activations(company=company, offer=offer):
        if chosen & set(pending.details.get("line_ids", [])):
            raise ActionRefused(
                _(
                    "C'è già una richiesta di attivazione di questa offerta in lavorazione per "
                    "alcune delle linee scelte (%(reference)s)."
                )
                % {"reference": pending.reference}
            )
    totals = offer.totals_for(len(lines))
    return request_create(
        company=company,
        kind=RequestKind.OFFER,
        requester=actor,
        line=lines[0] if len(lines) == 1 else None,
        summary=_("Attivazione dell'offerta «%(name)s» su %(count)d linee")
        % {"name": offer.name, "count": len(lines)},
        details={
            "offer_code": offer.code,
            "offer_name": offer.name,
            "service_kind": offer.service_kind,
            "line_ids": sorted(chosen),
            "line_numbers": sorted(line.number for line in lines),
            "monthly_fee": str(offer.monthly_fee),
            "activation_fee": str(offer.activation_fee),
            "monthly_total": str(totals["monthly"]),
            "activation_total": str(totals["activation"]),
        },
    )


@on_completion(RequestKind.OFFER)
def _apply_offer(tracked: Request) -> None:
    """The offer joins the services of each line, at the price the customer was shown."""
    details = tracked.details
    if "offer_code" not in details:
        return  # opened by another channel without the catalogue's data: nothing to apply
    lines = Line.objects.filter(pk__in=details["line_ids"], contract__company=tracked.company_id)
    for line in lines.order_by("pk"):
        line_service_add(
            line=line,
            code=details["offer_code"],
            name=details["offer_name"],
            kind=ServiceKind(details["service_kind"]),
            monthly_fee=Decimal(details["monthly_fee"]),
            request=tracked,
        )
