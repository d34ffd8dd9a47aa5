"""Demo data for shipments (seed_demo): a SIM sent by courier, shipped with the card in
the envelope and delivered, which completes its request, as the back office would."""

from __future__ import annotations

from tracking.models import Carrier, Request, RequestState, ShipmentEvent, ShipmentState
from tracking.shipments import shipment_move


def deliver(tracked: Request, *, card: dict[str, str], tracking_number: str) -> None:
    """Ship `tracked`'s prepared shipment with `card` (new_iccid, new_puk) and deliver it."""
    shipment = tracked.shipments.get()
    shipment_move(
        shipment=shipment,
        to_state=ShipmentState.SHIPPED,
        actor=None,
        carrier=Carrier.BRT,
        tracking_number=tracking_number,
        details=card,
    )
    shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=None)


def backdate_shipments(tracked: Request) -> None:
    """Spread each shipment's steps between the day the back office took the request and
    its last step, once the request's own history has been backdated."""
    events = list(tracked.events.order_by("at", "id"))
    taken = next((e.at for e in events if e.to_state == RequestState.IN_PROGRESS), None)
    if taken is None:
        return
    end = events[-1].at
    for shipment in tracked.shipments.all():
        steps = list(shipment.events.order_by("id"))
        gap = (end - taken) / max(len(steps) - 1, 1)
        for index, step in enumerate(steps):
            ShipmentEvent.objects.filter(pk=step.pk).update(at=taken + gap * index)
