"""Linee e servizi: block and unblock a SIM, SIM change, relocation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Line, Sim, User
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from lines.models import BlockReason, LineEvent, TheftCase
from tracking.models import Request, RequestKind, RequestState, Shipment
from tracking.services import (
    CompletionRefused,
    on_completion,
    request_create_once,
    request_transition,
)
from tracking.shipments import ShipmentRefused, on_delivery

# After a theft or loss the police report (denuncia) is due within this many days.
POLICE_REPORT_DAYS = 10
# A relocation needs time to plan the technician's visit.
RELOCATION_NOTICE_DAYS = 10
RELOCATION_HORIZON_DAYS = 180


def _record(line: Line, kind: LineEvent.Kind, actor: User | None, **details: Any) -> LineEvent:
    return LineEvent.objects.create(
        line=line,
        kind=kind,
        actor=actor,
        actor_name=(actor.get_full_name() or actor.username) if actor else _("Servizio clienti"),
        details=details,
    )


def notify_block(
    line: Line, event: LineEvent, actor: User, *, case: TheftCase | None = None
) -> None:
    """The person who acted and the line's holder both hear of it; after a theft or loss,
    with the link to the case's page, where the police report's copy is uploaded."""
    recipients = {person.email for person in (actor, line.assignee) if person and person.email}
    if recipients:
        case_url = ""
        if case is not None:
            path = reverse("lines:theft-case", args=[line.pk, case.pk])
            case_url = f"{settings.SITE_URL}{path}"
        send_templated_email(
            "lines/email/sim_block",
            {"line": line, "event": event, "actor": actor, "case": case, "case_url": case_url},
            sorted(recipients),
        )


def police_report_due(reason: str, blocked_on: date) -> date | None:
    """When the denuncia is due after blocking for `reason`, if one is needed at all."""
    if reason in (BlockReason.THEFT, BlockReason.LOSS):
        return blocked_on + timedelta(days=POLICE_REPORT_DAYS)
    return None


@transaction.atomic
def sim_block(
    *,
    actor: User,
    line: Line,
    reason: str,
    note: str = "",
    report_date: date | None = None,
    report_authority: str = "",
    notify: bool = True,
) -> LineEvent:
    """Block a SIM at once: outgoing traffic stops, the line and its contract stay active.
    A theft or loss opens its case (lines.theft), whose police report's copy is due by
    police_report_due even when the report's date is given: the case needs the file.
    Without `notify` the caller sends the e-mail (notify_block)."""
    locked = Line.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=line.pk)
    if locked.is_blocked:
        raise ActionRefused(_("La SIM è già bloccata."))
    if not locked.can_block:
        raise ActionRefused(_("Si può bloccare solo una SIM attiva."))
    locked.state = Line.State.BLOCKED
    locked.save(update_fields=["state"])
    due = police_report_due(reason, timezone.localdate())
    event = _record(
        locked,
        LineEvent.Kind.BLOCKED,
        actor,
        reason=reason,
        note=note,
        report_date=report_date.isoformat() if report_date else "",
        report_authority=report_authority,
        report_due=due.isoformat() if due else "",
    )
    case = None
    if due is not None:  # a theft or loss: followed from here to the new SIM (lines.theft)
        case = TheftCase.objects.create(
            line=locked, block_event=event, reason=reason, report_due=due
        )
    if notify:
        notify_block(locked, event, actor, case=case)
    return event


@transaction.atomic
def sim_unblock(*, actor: User, line: Line) -> LineEvent:
    locked = Line.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=line.pk)
    if not locked.can_unblock:
        raise ActionRefused(_("La SIM non è bloccata."))
    locked.state = Line.State.ACTIVE
    locked.save(update_fields=["state"])
    event = _record(locked, LineEvent.Kind.UNBLOCKED, actor)
    notify_block(locked, event, actor)
    return event


def sim_change_request(
    *, actor: User, line: Line, reason: str, sim_kind: str, details: dict[str, Any]
) -> Request:
    """Ask for a new SIM for `line`: number, plan and options stay."""
    if line.is_ceased:
        raise ActionRefused(_("La linea è cessata."))
    kind_label = Sim.Kind(sim_kind).label
    return request_create_once(
        company=line.contract.company,
        kind=RequestKind.SIM_CHANGE,
        line=line,
        requester=actor,
        summary=_("Cambio SIM della linea %(number)s (%(kind)s)")
        % {"number": line.number, "kind": kind_label},
        details={"reason": reason, "sim_kind": sim_kind, **details},
    )


@on_completion(RequestKind.SIM_CHANGE)
def _apply_sim_change(tracked: Request) -> None:
    """The back office supplied the new SIM's ICCID and PUK: it replaces the old one, and a
    line blocked after a theft or loss works again with it."""
    if tracked.line_id is None:
        return  # opened by another channel without a line: nothing to apply here
    if not tracked.details.get("new_iccid") or not tracked.details.get("new_puk"):
        raise CompletionRefused(
            _("Per completare il cambio SIM servono ICCID e PUK della nuova SIM.")
        )
    line = Line.objects.select_for_update().get(pk=tracked.line_id)
    old = line.sims.filter(is_active=True).first()
    line.sims.filter(is_active=True).update(is_active=False)
    new = Sim.objects.create(
        line=line,
        iccid=tracked.details["new_iccid"],
        puk=tracked.details["new_puk"],
        kind=tracked.details.get("sim_kind", Sim.Kind.PHYSICAL),
        activated_on=timezone.localdate(),
    )
    if line.is_blocked:
        line.state = Line.State.ACTIVE
        line.save(update_fields=["state"])
    _record(
        line,
        LineEvent.Kind.SIM_CHANGED,
        None,
        request=tracked.reference,
        old_iccid=old.iccid if old else "",
        new_iccid=new.iccid,
    )


@on_delivery(RequestKind.SIM_CHANGE)
def _sim_change_delivered(shipment: Shipment) -> None:
    """The new SIM reached its holder: the change completes, in the delivery's transaction,
    and _apply_sim_change activates the card that was shipped (its ICCID and PUK)."""
    tracked = shipment.request  # read under its row lock by shipment_move
    if tracked.state == RequestState.COMPLETED:
        return  # completed by hand meanwhile (the SIM collected in a shop): nothing left
    if tracked.state == RequestState.WAITING_CUSTOMER:
        raise ShipmentRefused(
            _(
                "La richiesta %(reference)s attende una risposta del cliente: registra la "
                "consegna quando torna in lavorazione."
            )
            % {"reference": tracked.reference}
        )
    if tracked.state != RequestState.IN_PROGRESS:
        raise ShipmentRefused(
            _("La richiesta %(reference)s è «%(state)s»: la consegna non la completa.")
            % {"reference": tracked.reference, "state": tracked.get_state_display()}
        )
    request_transition(
        request=tracked,
        to_state=RequestState.COMPLETED,
        actor=None,
        note=_("Nuova SIM consegnata e attivata."),
        notify=False,  # the delivery's own e-mail (tracking.shipments) says the SIM works
    )


def relocation_request(
    *, actor: User, line: Line, address: dict[str, str], preferred_date: date, phone: str
) -> Request:
    if line.is_ceased:
        raise ActionRefused(_("La linea è cessata."))
    return request_create_once(
        company=line.contract.company,
        kind=RequestKind.RELOCATION,
        line=line,
        requester=actor,
        summary=_("Trasloco della linea %(number)s in %(street)s, %(city)s")
        % {"number": line.number, "street": address["street"], "city": address["city"]},
        details={
            "address": address,
            "preferred_date": preferred_date.isoformat(),
            "contact_phone": phone,
        },
    )


@on_completion(RequestKind.RELOCATION)
def _apply_relocation(tracked: Request) -> None:
    address = tracked.details.get("address")
    if tracked.line_id is None or not address:
        return  # opened by another channel without line or address: nothing to apply here
    line = Line.objects.select_for_update().get(pk=tracked.line_id)
    previous = line.site_address
    line.site_street = address["street"]
    line.site_postal_code = address["postal_code"]
    line.site_city = address["city"]
    line.site_province = address["province"]
    line.save(update_fields=["site_street", "site_postal_code", "site_city", "site_province"])
    _record(
        line,
        LineEvent.Kind.RELOCATED,
        None,
        request=tracked.reference,
        old_address=previous,
        new_address=line.site_address,
    )
