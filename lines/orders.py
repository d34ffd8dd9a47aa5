"""Orders of new SIMs (ampliamento): a tracked EXPANSION request whose SimOrder and
OrderedSim rows say what it asks; completing it creates the lines on the contract.

`request.details` carry the same as the rows, for the approvers (the fingerprint covers
them) and the other channels; the rows are what completion, portability and the pages read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Company, Contract, Line, Sim, User
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from lines.models import (
    MAX_ORDER_QUANTITY,
    LineEvent,
    LineService,
    OrderedSim,
    Plan,
    PortInEvent,
    PortInState,
    ServiceKind,
    SimOrder,
)
from lines.provisioning import provisioning
from tracking.approval_policy import announce_to_approvers
from tracking.approvals import fingerprint
from tracking.models import OPEN_STATES, Channel, Request, RequestEvent, RequestKind, RequestState
from tracking.services import CompletionRefused, on_completion, request_create

# A portability still on its way: the line cannot be created before the number is ours.
PORT_IN_PENDING = frozenset({PortInState.REQUESTED, PortInState.ACCEPTED, PortInState.SCHEDULED})


@dataclass(frozen=True)
class PortInData:
    number: str
    donor: str
    iccid: str
    holder_tax_code: str


@dataclass(frozen=True)
class OrderedSimData:
    assignee: User | None
    port_in: PortInData | None


@dataclass(frozen=True)
class DeliveryData:
    recipient: str
    street: str
    postal_code: str
    city: str
    province: str
    contact_phone: str


@dataclass(frozen=True)
class _Shape:
    """What an order asks, as every step from the check to the rows reads it."""

    contract: Contract
    plan: Plan
    sim_kind: str
    sims: Sequence[OrderedSimData]
    delivery: DeliveryData | None
    esim_email: str


def plans_for(company: Company) -> list[Plan]:
    """The plans the company may order: in the catalogue and for its segment."""
    return [
        plan for plan in Plan.objects.filter(is_active=True) if company.segment in plan.segments
    ]


def _check_order(company: Company, shape: _Shape, *, editing: Request | None = None) -> None:
    """The invariants every channel's order keeps (formats are the forms' to check), read
    under the company's row lock so two orders cannot both claim a number to port; an
    order being edited (`editing`) does not conflict with itself."""
    contract, plan, sim_kind, sims = shape.contract, shape.plan, shape.sim_kind, shape.sims
    delivery, esim_email = shape.delivery, shape.esim_email
    if not 1 <= len(sims) <= MAX_ORDER_QUANTITY:
        raise ActionRefused(
            _("Puoi ordinare da 1 a %(max)s SIM per volta.") % {"max": MAX_ORDER_QUANTITY}
        )
    if contract.company_id != company.pk or contract.kind != Contract.Kind.MOBILE:
        raise ActionRefused(_("Scegli un contratto mobile dell'azienda."))
    if not plan.is_active or company.segment not in plan.segments:
        raise ActionRefused(_("Il piano scelto non è disponibile per la tua azienda."))
    if sim_kind not in Sim.Kind.values:
        raise ActionRefused(_("Scegli il tipo di SIM."))
    if sim_kind == Sim.Kind.PHYSICAL and (delivery is None or esim_email):
        raise ActionRefused(_("Per le SIM fisiche indica l'indirizzo di spedizione."))
    if sim_kind == Sim.Kind.ESIM and (delivery is not None or not esim_email):
        raise ActionRefused(_("Per le eSIM indica l'e-mail a cui inviarle."))
    for entry in sims:
        person = entry.assignee
        if person is not None and (person.company_id != company.pk or not person.is_active):
            raise ActionRefused(
                _("Le SIM possono essere assegnate solo a persone attive dell'azienda.")
            )
    numbers = [entry.port_in.number for entry in sims if entry.port_in is not None]
    if len(set(numbers)) != len(numbers):
        raise ActionRefused(_("Lo stesso numero da portare compare in più SIM dell'ordine."))
    ours = list(Line.objects.filter(number__in=numbers).values_list("number", flat=True))
    if ours:
        raise ActionRefused(
            _("Il numero %(number)s è già una linea dell'operatore: non serve portarlo.")
            % {"number": ours[0]}
        )
    claimed = (
        OrderedSim.objects.filter(port_number__in=numbers, order__request__state__in=OPEN_STATES)
        .exclude(port_state=PortInState.REFUSED)
        .exclude(order__request=editing)
        .values_list("port_number", flat=True)
        .first()
    )
    if claimed:
        raise ActionRefused(
            _("Il numero %(number)s è già in portabilità in un altro ordine aperto.")
            % {"number": claimed}
        )


def _details(shape: _Shape) -> dict[str, Any]:
    contract, plan, sim_kind, sims = shape.contract, shape.plan, shape.sim_kind, shape.sims
    delivery, esim_email = shape.delivery, shape.esim_email
    details: dict[str, Any] = {
        "contract": contract.number,
        "plan": plan.code,
        "plan_name": plan.name,
        "sim_kind": sim_kind,
        "quantity": len(sims),
        "sims": [
            {
                "position": position,
                "assignee": entry.assignee.username if entry.assignee else None,
                "port_in": None
                if entry.port_in is None
                else {
                    "number": entry.port_in.number,
                    "donor": entry.port_in.donor,
                    "iccid": entry.port_in.iccid,
                    "holder_tax_code": entry.port_in.holder_tax_code,
                },
            }
            for position, entry in enumerate(sims, start=1)
        ],
    }
    if delivery is not None:
        details["delivery"] = {
            "recipient": delivery.recipient,
            "street": delivery.street,
            "postal_code": delivery.postal_code,
            "city": delivery.city,
            "province": delivery.province,
            "contact_phone": delivery.contact_phone,
        }
    else:
        details["esim_email"] = esim_email
    return details


def _summary(plan: Plan, quantity: int) -> str:
    return ngettext(
        "Ordine di %(count)s SIM %(plan)s",
        "Ordine di %(count)s SIM %(plan)s",
        quantity,
    ) % {"count": quantity, "plan": plan.name}


def _store_rows(order: SimOrder, shape: _Shape, *, actor: User | None) -> None:
    """The order's typed rows, written anew; each portability starts REQUESTED."""
    contract, plan, sim_kind, sims = shape.contract, shape.plan, shape.sim_kind, shape.sims
    delivery, esim_email = shape.delivery, shape.esim_email
    order.contract = contract
    order.plan = plan
    order.sim_kind = sim_kind
    order.quantity = len(sims)
    order.recipient = delivery.recipient if delivery else ""
    order.street = delivery.street if delivery else ""
    order.postal_code = delivery.postal_code if delivery else ""
    order.city = delivery.city if delivery else ""
    order.province = delivery.province if delivery else ""
    order.contact_phone = delivery.contact_phone if delivery else ""
    order.esim_email = "" if delivery else esim_email
    order.save()
    order.sims.all().delete()
    for position, entry in enumerate(sims, start=1):
        port = entry.port_in
        ordered = OrderedSim.objects.create(
            order=order,
            position=position,
            assignee=entry.assignee,
            port_number=port.number if port else "",
            port_donor=port.donor if port else "",
            port_iccid=port.iccid if port else "",
            port_holder_tax_code=port.holder_tax_code if port else "",
            port_state=PortInState.REQUESTED if port else "",
        )
        if port is not None:
            PortInEvent.objects.create(
                ordered_sim=ordered, from_state="", to_state=PortInState.REQUESTED, actor=actor
            )


@transaction.atomic
def order_create(
    *,
    company: Company,
    requester: User | None,
    contract: Contract,
    plan: Plan,
    sim_kind: str,
    sims: Sequence[OrderedSimData],
    delivery: DeliveryData | None,
    esim_email: str = "",
    channel: Channel = Channel.WEB,
    external_id: str = "",
) -> Request:
    """Open an order of `len(sims)` new SIMs on `contract`, refused (ActionRefused, in
    Italian) when it breaks an invariant. `external_id` (the web form's key, a client
    system's identifier) makes it once: the same one again returns the order it opened."""
    if external_id and (sent := _order_sent(company, channel, external_id)) is not None:
        return sent
    shape = _Shape(contract, plan, sim_kind, sims, delivery, esim_email)
    # The lock request_create_once takes: orders of the company queue here, so the check
    # that a number is not being ported already sees the other order's rows.
    Company.objects.select_for_update().get(pk=company.pk)
    _check_order(company, shape)
    try:
        tracked = request_create(
            company=company,
            kind=RequestKind.EXPANSION,
            requester=requester,
            channel=channel,
            summary=_summary(plan, len(sims)),
            details=_details(shape),
            external_id=external_id,
        )
    except IntegrityError:  # the same key, submitted twice at the same moment
        if external_id and (sent := _order_sent(company, channel, external_id)) is not None:
            return sent
        raise
    _store_rows(SimOrder(request=tracked), shape, actor=requester)
    return tracked


def _order_sent(company: Company, channel: str, external_id: str) -> Request | None:
    return Request.objects.filter(
        company=company, kind=RequestKind.EXPANSION, channel=channel, external_id=external_id
    ).first()


@transaction.atomic
def order_update(
    *,
    request: Request,
    actor: User,
    contract: Contract,
    plan: Plan,
    sim_kind: str,
    sims: Sequence[OrderedSimData],
    delivery: DeliveryData | None,
    esim_email: str = "",
) -> Request:
    """The requester changes their order while it waits for approval: rows and details
    together, and a history entry. The request's fingerprint changes with its details, so
    a decision taken on the page of the old order is refused (tracking.approvals), and the
    approvers hear of the new one."""
    # The company's row first, as order_create takes it: the numbers to port are checked
    # against the other orders under the same lock.
    Company.objects.select_for_update().get(pk=request.company_id)
    locked = Request.objects.select_for_update().select_related("company").get(pk=request.pk)
    if locked.requester_id != actor.pk:
        raise ActionRefused(_("Solo chi ha fatto l'ordine può modificarlo."))
    if locked.state != RequestState.AWAITING_APPROVAL:
        raise ActionRefused(
            _("L'ordine %(reference)s non è più in approvazione: non si può modificare.")
            % {"reference": locked.reference}
        )
    order = SimOrder.objects.select_for_update().get(request=locked)
    shape = _Shape(contract, plan, sim_kind, sims, delivery, esim_email)
    _check_order(locked.company, shape, editing=locked)
    locked.details = _details(shape)
    locked.summary = _summary(plan, len(sims))
    locked.save(update_fields=["details", "summary", "updated_at"])
    _store_rows(order, shape, actor=actor)
    RequestEvent.objects.create(
        request=locked,
        from_state=locked.state,
        to_state=locked.state,
        actor=actor,
        note=_("Ordine modificato"),
    )
    # A new key for each version: the notification of the old one must not swallow it.
    announce_to_approvers(locked, revision=fingerprint(locked)[:12])
    return locked


@on_completion(RequestKind.EXPANSION)
def _complete_order(tracked: Request) -> None:
    """One line per ordered SIM that has none yet (a retry adds nothing): on the order's
    contract, for its assignee, with the ported number once its portability is done, else a
    new one; the SIM and its plan. Numbers and SIMs a client system supplied in
    details["sims"] ({"position", "number", "iccid", "puk"}) win over the provisioning's."""
    order = SimOrder.objects.filter(request=tracked).select_related("plan", "contract").first()
    if order is None:
        return  # an expansion another channel described in words only: nothing to create
    ordered = list(order.sims.select_for_update(of=("self",)).select_related("assignee"))
    waiting = [sim for sim in ordered if sim.port_state in PORT_IN_PENDING]
    if waiting:
        raise CompletionRefused(
            _("La portabilità del numero %(number)s è ancora in corso: completala prima.")
            % {"number": waiting[0].port_number}
        )
    todo = [sim for sim in ordered if sim.line_id is None]
    supplied = {
        entry.get("position"): entry
        for entry in tracked.details.get("sims", [])
        if isinstance(entry, dict) and entry.get("iccid")
    }
    source = provisioning()
    needs_number = [
        sim
        for sim in todo
        if sim.port_state != PortInState.DONE and not supplied.get(sim.position, {}).get("number")
    ]
    new_numbers = iter(source.numbers(len(needs_number)))
    numbers = {sim.pk: next(new_numbers) for sim in needs_number}
    needs_card = [sim for sim in todo if sim.position not in supplied]
    new_cards = iter(source.sim_cards(len(needs_card), kind=order.sim_kind))
    last = tracked.events.order_by("-at", "-id").first()
    actor = last.actor if last is not None else None
    today = timezone.localdate()
    created: list[Line] = []
    unassigned: list[str] = []
    for sim in todo:
        given = supplied.get(sim.position, {})
        ported = sim.port_state == PortInState.DONE
        number = sim.port_number if ported else given.get("number") or numbers[sim.pk]
        if given:
            iccid, puk = str(given["iccid"]), str(given.get("puk", ""))
        else:
            card = next(new_cards)
            iccid, puk = card.iccid, card.puk
        # Whoever left the company (or was deactivated) since the order gets no line: the
        # line starts unassigned and the customer is told so.
        assignee = sim.assignee if _may_hold(sim.assignee, order.contract) else None
        dropped = sim.assignee if assignee is None else None
        # The unique indexes decide (a look-up first would race another completion); each
        # insert in its own savepoint so the refusal names what was taken.
        try:
            with transaction.atomic():
                line = Line.objects.create(
                    contract=order.contract,
                    number=number,
                    assignee=assignee,
                    state=Line.State.ACTIVE,
                    activated_on=today,
                )
        except IntegrityError:
            raise CompletionRefused(
                _("Il numero %(number)s è già di un'altra linea.") % {"number": number}
            ) from None
        try:
            with transaction.atomic():
                Sim.objects.create(
                    line=line, iccid=iccid, puk=puk, kind=order.sim_kind, activated_on=today
                )
        except IntegrityError:
            raise CompletionRefused(
                _("L'ICCID %(iccid)s appartiene già a un'altra SIM.") % {"iccid": iccid}
            ) from None
        LineService.objects.create(
            line=line,
            code=order.plan.code,
            name=order.plan.name,
            kind=ServiceKind.OFFER,
            monthly_fee=order.plan.monthly_fee,
            since=today,
            request=tracked,
        )
        LineEvent.objects.create(
            line=line,
            kind=LineEvent.Kind.ACTIVATED,
            actor=actor,
            actor_name=(actor.get_full_name() or actor.username)
            if actor
            else _("Servizio clienti"),
            details={"request": tracked.reference, "ported": ported}
            | ({"assignee_dropped": dropped.username} if dropped else {}),
        )
        if dropped is not None:
            unassigned.append(
                _(
                    "La linea %(number)s non è assegnata: %(person)s non è più una persona "
                    "attiva dell'azienda. Assegnala dalla pagina della linea."
                )
                % {"number": number, "person": dropped.get_full_name() or dropped.username}
            )
        sim.line = line
        sim.save(update_fields=["line"])
        created.append(line)
    if unassigned and last is not None:
        # The completion's own history entry (tracking.services._move wrote it just now).
        last.note = "\n".join([last.note, *unassigned]) if last.note else "\n".join(unassigned)
        last.save(update_fields=["note"])
    if created and order.sim_kind == Sim.Kind.ESIM and order.esim_email:
        send_templated_email(
            "lines/email/esim_activation",
            {
                "request": tracked,
                "lines": created,
                "order_url": settings.SITE_URL
                + reverse("lines:order-detail", args=[tracked.reference]),
            },
            [order.esim_email],
        )


def _may_hold(person: User | None, contract: Contract) -> bool:
    return person is not None and person.is_active and person.company_id == contract.company_id
