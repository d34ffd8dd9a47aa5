"""Offerte per te: the company's exclusive offers, their detail and activation (LR).

Activation takes three steps: the offer's page chooses the lines (search, pages of
PAGE_SIZE, "all the lines found"; the choice is kept in the session, see
lines/chooser.py), the summary shows the count and the costs, the confirmation opens
the request. Each runs a fixed number of queries, whatever the number of lines."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import requires, requires_any, user_of
from accounts.models import Company, Line, User
from accounts.roles import Capability, can, section_capabilities
from accounts.selectors import company_id_of
from core.exceptions import ActionRefused
from lines.chooser import ChooserStep, chooser_submit
from lines.search import LineSearchForm, filter_lines
from offers import selectors, services
from offers.forms import PAGE_SIZE, ChooserAction, LineChooserForm, OfferTermsForm
from offers.models import Offer
from offers.selection import LineSelection
from tracking.models import Request
from tracking.pages import sent_message_for

C = Capability
A = ChooserAction
# Lines the summary names one by one; the rest it counts.
SUMMARY_LINES = 20


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


def _activators(user: User) -> dict[str, Any]:
    profiles, colleagues = selectors.offer_activators(user=user)
    return {
        "profiles": [str(p.label) for p in profiles],
        "people": [person.get_full_name() or person.username for person in colleagues],
    }


def _detail_context(
    request: HttpRequest,
    user: User,
    offer: Offer,
    *,
    pending: list[Request],
    query: str = "",
    page_number: int | str | None = None,
    chooser: LineChooserForm | None = None,
) -> dict[str, Any]:
    """The offer's page: its open activations and, for those who may activate it, the line
    chooser on the eligible lines matching `query`, at `page_number`."""
    context: dict[str, Any] = {
        "offer": offer,
        "valid_today": offer.is_valid_on(timezone.localdate()),
        "pending": _pending_rows(pending),
    }
    if not can(user, C.ACTIVATE_OFFER):
        context["activators"] = _activators(user)
        return context
    eligible = selectors.eligible_lines(user=user, offer=offer, pending=pending)
    page = Paginator(filter_lines(eligible, query=query), PAGE_SIZE).get_page(page_number)
    selection = LineSelection(request.session, offer)
    context.update(
        chooser_shown=True,
        chooser_url=reverse("offers:choose", args=[offer.code]),
        search=LineSearchForm({"q": query}),
        chooser=chooser,
        query=query,
        page=page,
        rows=[(line, line.pk in selection) for line in page],
        chosen_count=len(selection),
    )
    return context


def _eligible(user: User, offer: Offer) -> tuple[list[Request], QuerySet[Line]]:
    pending = selectors.pending_activations(company=company_id_of(user), offer=offer)
    return pending, selectors.eligible_lines(user=user, offer=offer, pending=pending)


@requires(C.VIEW_OFFERS)
def offer_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = user_of(request)
    offer = selectors.offer_get_for_user(user=user, code=code)
    pending = selectors.pending_activations(company=company_id_of(user), offer=offer)
    search = LineSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    context = _detail_context(
        request, user, offer, pending=pending, query=query, page_number=request.GET.get("pagina")
    )
    return render(request, "offers/offer_detail.html", context)


def _chooser_url(offer: Offer, step: ChooserStep | None = None) -> str:
    return (step or ChooserStep()).url(reverse("offers:detail", args=[offer.code]))


@requires(C.ACTIVATE_OFFER)
@require_POST
def offer_choose(request: HttpRequest, code: str) -> HttpResponseBase:
    """A page of the line chooser was submitted: its ticks are recorded, then the button's
    action is done and the browser sent on (to a page of the chooser, or to the summary)."""
    user = user_of(request)
    offer = selectors.offer_get_for_user(user=user, code=code)
    pending, eligible = _eligible(user, offer)
    form = LineChooserForm(request.POST, eligible=eligible)
    if not form.is_valid():
        return _chooser_refused(request, user, offer, pending, form)
    selection = LineSelection(request.session, offer)
    step = chooser_submit(request, form, selection, eligible=eligible)
    selection.save()
    if step.action == A.SUMMARY:
        if not selection:
            form.add_error(None, _("Scegli almeno una linea."))
            return _chooser_refused(request, user, offer, pending, form)
        return redirect("offers:summary", code=offer.code)
    return redirect(_chooser_url(offer, step))


def _chooser_refused(
    request: HttpRequest, user: User, offer: Offer, pending: list[Request], form: LineChooserForm
) -> HttpResponse:
    """The chooser's page again, with what was wrong; the choice is as it was before."""
    data = form.cleaned_data
    context = _detail_context(
        request,
        user,
        offer,
        pending=pending,
        query=data.get("searched") or "",
        page_number=data.get("pagina"),
        chooser=form,
    )
    return render(request, "offers/offer_detail.html", context, status=400)


@requires(C.ACTIVATE_OFFER)
def offer_summary(request: HttpRequest, code: str) -> HttpResponse:
    """The chosen lines' count and costs, a few of them by number, and the confirmation.
    Lines chosen that can no longer have the offer (it was activated or requested meanwhile,
    the line was blocked) leave the choice here, and the page says so."""
    user = user_of(request)
    offer = selectors.offer_get_for_user(user=user, code=code)
    _pending, eligible = _eligible(user, offer)
    selection = LineSelection(request.session, offer)
    chosen_ids = []
    if selection:
        chosen_ids = list(eligible.filter(pk__in=selection.ids).values_list("pk", flat=True))
    dropped = len(selection) - len(chosen_ids)
    if dropped:
        selection.ids = set(chosen_ids)
        selection.save()
    shown = list(eligible.filter(pk__in=chosen_ids[:SUMMARY_LINES])) if chosen_ids else []
    count = len(chosen_ids)
    context = {
        "offer": offer,
        "valid_today": offer.is_valid_on(timezone.localdate()),
        "count": count,
        "lines": shown,
        "more": count - len(shown),
        "dropped": dropped,
        "fingerprint": selection.fingerprint(),
        "terms_form": OfferTermsForm(initial={"terms_version": offer.terms_version}),
        **offer.totals_for(count),
    }
    return render(request, "offers/offer_confirm.html", context)


@requires(C.ACTIVATE_OFFER)
@require_POST
def offer_activate(request: HttpRequest, code: str) -> HttpResponseBase:
    """Open the request on the chosen lines, provided they are the ones the summary showed."""
    user = user_of(request)
    offer = selectors.offer_get_for_user(user=user, code=code)
    selection = LineSelection(request.session, offer)
    if not selection:
        messages.error(request, _("Scegli almeno una linea."))
        return redirect(_chooser_url(offer))
    if request.POST.get("fingerprint") != selection.fingerprint():
        messages.warning(
            request,
            _(
                "La scelta delle linee è cambiata dopo il riepilogo (forse in un'altra "
                "finestra): controlla il riepilogo e conferma di nuovo."
            ),
        )
        return redirect("offers:summary", code=offer.code)
    terms = OfferTermsForm(request.POST)
    if not terms.is_valid():
        messages.error(request, _("Per attivare l'offerta accetta le condizioni."))
        return redirect("offers:summary", code=offer.code)
    if terms.cleaned_data["terms_version"] != offer.terms_version:
        messages.warning(
            request,
            _("Le condizioni dell'offerta sono cambiate: leggile e accettale di nuovo."),
        )
        return redirect("offers:summary", code=offer.code)
    try:
        tracked = services.offer_activation_request(
            actor=user, offer=offer, line_ids=selection.ids, terms_accepted=True
        )
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        selection.clear()
        selection.save()
        messages.success(
            request,
            sent_message_for(
                tracked,
                _(
                    "Richiesta %(reference)s inviata: l'offerta comparirà tra i servizi delle "
                    "linee quando sarà attiva."
                ),
            ),
        )
    return redirect("offers:detail", code=offer.code)
