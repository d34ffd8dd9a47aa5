"""Offer activation: a request the back office completes, which adds the offer to the lines."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Company, Line, User
from accounts.selectors import actor_company_id, company_lines
from core.exceptions import ActionRefused
from lines.line_services import has_service, line_services_add
from lines.models import ServiceKind
from offers.models import ActivationLine, Offer
from offers.selectors import pending_activations, waiting_lines
from tracking.approvals import lines_of
from tracking.models import Request, RequestKind
from tracking.services import on_completion, request_create

# A request lists its lines' numbers in its details when there are at most this many, for
# the people who read it; its lines themselves are its ActivationLine rows.
LISTED_LINES = 20


@lines_of(RequestKind.OFFER)
def _activation_lines(tracked: Request) -> list[str]:
    """The numbers of the lines an activation covers, for its approvers (a few hundred at
    most: a company's lines)."""
    return list(
        Line.objects.filter(pk__in=ActivationLine.objects.filter(request=tracked).values("line"))
        .order_by("number")
        .values_list("number", flat=True)
    )


@transaction.atomic
def offer_activation_request(
    *,
    actor: User,
    offer: Offer,
    line_ids: Collection[int],
    terms_accepted: bool = False,
) -> Request:
    """Ask to activate `offer` on the lines `line_ids`, all or none. Refused when the offer
    is not for the company or not valid today, when a line is not the company's, cannot have
    it, has it already, or is in an activation of the same offer still open. The company's
    row lock makes concurrent submissions queue. A fixed number of queries, whatever the
    number of lines."""
    company = Company.objects.select_for_update().get(pk=actor_company_id(actor))
    if not offer.is_for(company):
        raise ActionRefused(_("Questa offerta non è riservata alla tua azienda."))
    if not offer.is_valid_on(timezone.localdate()):
        raise ActionRefused(_("L'offerta non è più valida: non si può attivare."))
    chosen = set(line_ids)
    if not chosen:
        raise ActionRefused(_("Scegli almeno una linea."))
    pending = pending_activations(company=company, offer=offer)
    waiting_in = waiting_lines(pending).filter(line=OuterRef("pk")).values("request__reference")
    lines = list(
        company_lines(company=company)
        .filter(pk__in=chosen)
        .annotate(has_it=has_service(offer.code), waiting_in=Subquery(waiting_in[:1]))
        .values_list("pk", "number", "contract__kind", "state", "has_it", "waiting_in")
        .order_by("number")
    )
    if len(lines) != len(chosen):
        raise ActionRefused(_("Una delle linee scelte non è tra quelle della tua azienda."))
    for _pk, number, kind, state, has_offer, waiting_in_reference in lines:
        if kind != offer.line_kind or state != Line.State.ACTIVE:
            raise ActionRefused(
                _("L'offerta non si può attivare sulla linea %(number)s.") % {"number": number}
            )
        if has_offer:
            raise ActionRefused(
                _("L'offerta è già attiva sulla linea %(number)s.") % {"number": number}
            )
        if waiting_in_reference:
            raise ActionRefused(
                _(
                    "C'è già una richiesta di attivazione di questa offerta in lavorazione per "
                    "alcune delle linee scelte (%(reference)s)."
                )
                % {"reference": waiting_in_reference}
            )
    count = len(lines)
    totals = offer.totals_for(count)
    details = {
        "offer_code": offer.code,
        "offer_name": offer.name,
        "service_kind": offer.service_kind,
        "line_count": count,
        "monthly_fee": str(offer.monthly_fee),
        "activation_fee": str(offer.activation_fee),
        "monthly_total": str(totals["monthly"]),
        "activation_total": str(totals["activation"]),
    }
    if terms_accepted:
        # Who accepted which terms, and when: the text they were shown, and its version.
        details["terms_acceptance"] = {
            "by": actor.pk,
            "by_name": actor.get_full_name() or actor.username,
            "at": timezone.now().isoformat(),
            "version": offer.terms_version,
            "text": "\n".join(offer.terms()),
        }
    if count <= LISTED_LINES:
        details["line_numbers"] = [number for _pk, number, *_rest in lines]
    single = Line.objects.select_related("contract").get(pk=lines[0][0]) if count == 1 else None
    tracked = request_create(
        company=company,
        kind=RequestKind.OFFER,
        requester=actor,
        line=single,
        summary=ngettext(
            "Attivazione dell'offerta «%(name)s» su %(count)d linea",
            "Attivazione dell'offerta «%(name)s» su %(count)d linee",
            count,
        )
        % {"name": offer.name, "count": count},
        details=details,
    )
    ActivationLine.objects.bulk_create(
        ActivationLine(request=tracked, line_id=pk) for pk, *_rest in lines
    )
    return tracked


@on_completion(RequestKind.OFFER)
def _apply_offer(tracked: Request) -> None:
    """The offer joins the services of each line, at the price the customer was shown."""
    details = tracked.details
    if "offer_code" not in details:
        return  # opened by another channel without the catalogue's data: nothing to apply
    chosen = ActivationLine.objects.filter(request=tracked).values("line")
    line_services_add(
        lines=company_lines(company=tracked.company_id).filter(pk__in=chosen),
        code=details["offer_code"],
        name=details["offer_name"],
        kind=ServiceKind(details["service_kind"]),
        monthly_fee=Decimal(details["monthly_fee"]),
        request=tracked,
    )
