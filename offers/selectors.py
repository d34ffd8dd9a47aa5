from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.models import Company, Line, User
from accounts.roles import Capability, Profile, scope_for
from accounts.selectors import company_id_of, lines_for_user
from lines.line_services import has_service
from offers.models import ActivationLine, Offer
from tracking.models import OPEN_STATES, Request, RequestKind


def offers_for_company(*, company: Company, today: date) -> list[Offer]:
    """The offers the company may take today: valid now and reserved to its segment."""
    current = Offer.objects.filter(valid_from__lte=today, valid_until__gte=today)
    return [offer for offer in current.order_by("valid_until", "name") if offer.is_for(company)]


def offer_get_for_user(*, user: User, code: str) -> Offer:
    """An offer of the user's company's segment (expired ones too, so an old link explains
    itself); offers reserved to other segments answer 404."""
    company = Company.objects.get(pk=company_id_of(user))
    offer = Offer.objects.filter(code=code).first()
    if offer is None or not offer.is_for(company):
        raise Http404
    return offer


def eligible_lines(*, user: User, offer: Offer, pending: list[Request]) -> QuerySet[Line]:
    """Active lines of the offer's kind in `user`'s scope that neither have it nor wait for
    it in one of the `pending` activations (see `pending_activations`)."""
    lines = (
        lines_for_user(user=user, capability=Capability.ACTIVATE_OFFER)
        .filter(contract__kind=offer.line_kind, state=Line.State.ACTIVE)
        .exclude(has_service(offer.code))
    )
    if pending:
        lines = lines.exclude(Exists(waiting_lines(pending).filter(line=OuterRef("pk"))))
    return lines.select_related("contract", "assignee").order_by("number")


def waiting_lines(pending: list[Request]) -> QuerySet[ActivationLine]:
    """The lines of the `pending` activation requests."""
    return ActivationLine.objects.filter(request__in=[request.pk for request in pending])


def pending_activations(*, company: Company | int, offer: Offer) -> list[Request]:
    """The company's open activation requests of `offer`."""
    requests = Request.objects.filter(
        company=company,
        kind=RequestKind.OFFER,
        state__in=OPEN_STATES,
        details__offer_code=offer.code,
    )
    return list(requests.order_by("created_at"))


def offer_activators(*, user: User) -> tuple[list[Profile], QuerySet[User]]:
    """Who may activate offers, from the matrix: the profiles holding the capability, and
    the active colleagues of `user` who hold one of them."""
    profiles = [p for p in Profile if scope_for(p, Capability.ACTIVATE_OFFER) is not None]
    colleagues = User.objects.filter(
        company_id=company_id_of(user), profile__in=profiles, is_active=True
    ).order_by("last_name", "first_name", "pk")
    return profiles, colleagues
