"""Offerte per te: the company's exclusive offers, their detail and activation (LR)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import requires, requires_any, user_of
from accounts.exceptions import ActionRefused
from accounts.models import Company, User
from accounts.roles import Capability, can, section_capabilities
from accounts.selectors import company_id_of
from offers import selectors, services
from offers.forms import OfferActivationForm
from offers.models import Offer
from tracking.models import Request

C = Capability


@requires_any(*section_capabilities("offers"))
def offer_list(request: HttpRequest) -> HttpResponse:
    company = get_object_or_404(Company, pk=company_id_of(user_of(request)))
    offers = selectors.offers_for_company(company=company, today=timezone.localdate())
    return render(request, "offers/offer_list.html", {"company": company, "offers": offers})


def _pending_rows(pending: list[Request]) -> list[dict[str, Any]]:
    """The open activations as the page states them: their lines by number when the
    request lists them all, else how many."""
    rows = []
    for tracked in pending:
        numbers = tracked.details.get("line_numbers") or []
        count = tracked.details.get("line_count", len(numbers))
        listed = numbers if len(numbers) == count and count <= services.LISTED_LINES else []
        rows.append({"request": tracked, "numbers": listed, "count": count})
    return rows


def _detail_context(user: User, offer: Offer, data: QueryDict | None = None) -> dict[str, Any]:
    """The offer's page: its open activations, and the activation form (bound to `data`)
    for those who may activate it."""
    pending = selectors.pending_activations(company=company_id_of(user), offer=offer)
    context: dict[str, Any] = {
        "offer": offer,
        "valid_today": offer.is_valid_on(timezone.localdate()),
        "pending": _pending_rows(pending),
    }
    if can(user, C.ACTIVATE_OFFER):
        lines = selectors.eligible_lines(user=user, offer=offer, pending=pending)
        context["form"] = OfferActivationForm(data, lines=lines)
    return context


@requires(C.VIEW_OFFERS)
def offer_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = user_of(request)
    offer = selectors.offer_get_for_user(user=user, code=code)
    return render(request, "offers/offer_detail.html", _detail_context(user, offer))


@requires(C.ACTIVATE_OFFER)
@require_POST
def offer_activate(request: HttpRequest, code: str) -> HttpResponseBase:
    """The lines chosen, then a summary of the cost to confirm; confirming opens the request."""
    user = user_of(request)
    offer = selectors.offer_get_for_user(user=user, code=code)
    context = _detail_context(user, offer, request.POST)
    form = context["form"]
    if not form.is_valid():
        return render(request, "offers/offer_detail.html", context, status=400)
    lines = list(form.cleaned_data["lines"])
    if not request.POST.get("confirmed"):
        context = {"offer": offer, "form": form, "lines": lines, **offer.totals_for(len(lines))}
        return render(request, "offers/offer_confirm.html", context)
    try:
        tracked = services.offer_activation_request(
            actor=user, offer=offer, line_ids=[line.pk for line in lines]
        )
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _(
                "Richiesta %(reference)s inviata: l'offerta comparirà tra i servizi delle linee "
                "quando sarà attiva."
            )
            % {"reference": tracked.reference},
        )
    return redirect("offers:detail", code=offer.code)
