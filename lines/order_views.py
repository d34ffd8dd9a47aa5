"""Ordina nuove SIM (L5): the company's orders, a new order in two steps, an order's page,
and its change by whoever made it while it waits for approval."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import requires, user_of
from accounts.models import Sim, User
from accounts.roles import Capability
from core.exceptions import ActionRefused
from core.pagination import paginate
from lines import order_selectors, orders
from lines.order_forms import (
    DeliveryForm,
    EsimForm,
    OrderKeyForm,
    OrderStartForm,
    order_sim_formset,
)
from tracking.models import Request, RequestState

C = Capability
PAGE_SIZE = 25


@requires(C.ORDER_SIMS)
def order_list(request: HttpRequest) -> HttpResponse:
    page, query = paginate(
        request, order_selectors.orders_for_user(user=user_of(request)), PAGE_SIZE
    )
    return render(request, "lines/order_list.html", {"page": page, "query": query})


@requires(C.ORDER_SIMS)
def order_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = user_of(request)
    tracked = order_selectors.order_get_for_user(user=user, reference=reference)
    context = {
        "tracked": tracked,
        "order": tracked.sim_order,
        "sims": tracked.sim_order.sims.all(),
        "events": tracked.events.select_related("actor").order_by("at", "id"),
        "shipments": tracked.shipments.all(),
        "can_edit": tracked.state == RequestState.AWAITING_APPROVAL
        and tracked.requester_id == user.pk,
    }
    return render(request, "lines/order_detail.html", context)


@requires(C.ORDER_SIMS)
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    return _order_form_page(request, user=user_of(request), tracked=None)


@requires(C.ORDER_SIMS)
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, reference: str) -> HttpResponseBase:
    user = user_of(request)
    tracked = order_selectors.order_get_for_user(user=user, reference=reference)
    if tracked.requester_id != user.pk:
        raise PermissionDenied  # a colleague's order is theirs to change
    if tracked.state != RequestState.AWAITING_APPROVAL:
        messages.info(
            request,
            _(
                "L'ordine %(reference)s non è più in approvazione: non si può modificare. "
                "Se serve altro, fai un nuovo ordine."
            )
            % {"reference": tracked.reference},
        )
        return redirect("lines:order-detail", reference=tracked.reference)
    return _order_form_page(request, user=user, tracked=tracked)


def _initial(user: User, tracked: Request | None) -> dict[str, Any]:
    """What the forms start from: the order being changed, or the person and company."""
    company = user.company
    assert company is not None
    if tracked is None:
        return {
            "start": {},
            "rows": None,
            "delivery": {
                "recipient": user.get_full_name(),
                "street": company.legal_street,
                "postal_code": company.legal_postal_code,
                "city": company.legal_city,
                "province": company.legal_province,
                "contact_phone": user.phone,
            },
            "esim": {"esim_email": user.email},
        }
    order = tracked.sim_order
    return {
        "start": {
            "contract": order.contract_id,
            "plan": order.plan_id,
            "quantity": order.quantity,
            "sim_kind": order.sim_kind,
        },
        "rows": [
            {
                "assignee": sim.assignee_id,
                "port": sim.ports_in,
                "number": sim.port_number,
                "donor": sim.port_donor,
                "iccid": sim.port_iccid,
                "holder_tax_code": sim.port_holder_tax_code,
            }
            for sim in order.sims.all()
        ],
        "delivery": {
            "recipient": order.recipient or user.get_full_name(),
            "street": order.street or company.legal_street,
            "postal_code": order.postal_code or company.legal_postal_code,
            "city": order.city or company.legal_city,
            "province": order.province or company.legal_province,
            "contact_phone": order.contact_phone or user.phone,
        },
        "esim": {"esim_email": order.esim_email or user.email},
    }


def _order_form_page(request: HttpRequest, *, user: User, tracked: Request | None) -> HttpResponse:
    """Step 1 (what), then step 2 (each SIM, and where it goes), which carries step 1's
    answers as hidden fields; "Indietro" goes back to step 1 with them. Without any
    JavaScript: each step is a form the server checks."""
    company = user.company
    assert company is not None
    initial = _initial(user, tracked)
    context: dict[str, Any] = {"tracked": tracked}
    posted = request.POST if request.method == "POST" else None
    start = OrderStartForm(posted, company=company, initial=initial["start"])
    context["start"] = start
    if posted is None or "back" in posted or not start.is_valid():
        return render(request, "lines/order_start.html", context)
    quantity: int = start.cleaned_data["quantity"]
    physical = start.cleaned_data["sim_kind"] == Sim.Kind.PHYSICAL
    second = posted.get("step") == "2"  # else step 1 was just sent: step 2 starts unbound
    rows_initial = (initial["rows"] or [])[:quantity] if tracked else None
    rows = order_sim_formset(
        quantity, company=company, data=posted if second else None, initial=rows_initial
    )
    where = (
        DeliveryForm(posted if second else None, initial=initial["delivery"])
        if physical
        else EsimForm(posted if second else None, initial=initial["esim"])
    )
    key = OrderKeyForm(posted if second else None, initial={"idempotency_key": uuid.uuid4().hex})
    context.update(
        rows=rows,
        where=where,
        key=key,
        physical=physical,
        plan=start.cleaned_data["plan"],
        quantity=quantity,
    )
    if second and rows.is_valid() and where.is_valid() and key.is_valid():
        shape: dict[str, Any] = {
            "contract": start.cleaned_data["contract"],
            "plan": start.cleaned_data["plan"],
            "sim_kind": start.cleaned_data["sim_kind"],
            "sims": rows.sims(),
            "delivery": where.delivery() if isinstance(where, DeliveryForm) else None,
            "esim_email": "" if physical else where.cleaned_data["esim_email"],
        }
        try:
            if tracked is None:
                sent = orders.order_create(
                    company=company,
                    requester=user,
                    external_id=key.cleaned_data["idempotency_key"],
                    **shape,
                )
            else:
                sent = orders.order_update(request=tracked, actor=user, **shape)
        except ActionRefused as refusal:
            context["refusal"] = str(refusal)
        else:
            messages.success(request, _sent_message(sent, changed=tracked is not None))
            return redirect("lines:order-detail", reference=sent.reference)
    return render(request, "lines/order_sims.html", context)


def _sent_message(sent: Request, *, changed: bool) -> str:
    if changed:
        return _("Ordine %(reference)s modificato: va approvato di nuovo.") % {
            "reference": sent.reference
        }
    if sent.state == RequestState.AWAITING_APPROVAL:
        return _(
            "Ordine %(reference)s inviato: è in approvazione e arriva al servizio clienti "
            "quando viene approvato."
        ) % {"reference": sent.reference}
    return _("Ordine %(reference)s inviato: ne segui lo stato da questa pagina.") % {
        "reference": sent.reference
    }
