from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count, QuerySet, Window
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.roles import Capability, can
from accounts.selectors import company_id_of, lines_for_user
from tracking.models import OPEN_STATES, Request, RequestKind, RequestState


def requests_for_user(*, user: User, company_wide: bool) -> QuerySet[Request]:
    """With `company_wide`, the company's requests from every channel (T1 holders only);
    otherwise the ones the user made."""
    requests = Request.objects.filter(company_id=company_id_of(user))
    if not (company_wide and can(user, Capability.VIEW_REQUESTS)):
        requests = requests.filter(requester=user)
    return requests.select_related("requester", "line")


def filter_requests(
    requests: QuerySet[Request],
    *,
    kind: str = "",
    state: str = "",
    channel: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Request]:
    if kind:
        requests = requests.filter(kind=kind)
    if state == "OPEN":
        requests = requests.filter(state__in=OPEN_STATES)
    elif state:
        requests = requests.filter(state=state)
    if channel:
        requests = requests.filter(channel=channel)
    if since:
        requests = requests.filter(created_at__date__gte=since)
    if until:
        requests = requests.filter(created_at__date__lte=until)
    return requests.order_by("-created_at", "-id")


def request_get_for_user(*, user: User, reference: str, company_wide: bool) -> Request:
    """One request the user may follow (see `requests_for_user`); 404 for anything else."""
    requests = requests_for_user(user=user, company_wide=company_wide)
    return get_object_or_404(requests, reference=reference)


def open_requests_summary(*, user: User, limit: int = 5) -> tuple[Sequence[Request], int]:
    """The user's open requests (the company's for T1 holders), the last changed first, and
    how many there are: one query, whatever their number."""
    requests = requests_for_user(user=user, company_wide=True).filter(state__in=OPEN_STATES)
    rows = list(requests.annotate(total=Window(Count("pk"))).order_by("-updated_at", "-id")[:limit])
    return rows, int(rows[0].total) if rows else 0


C = Capability
# The capability a request of each kind takes on the web: whoever answers the operator's
# question about a request must still hold it (least privilege: the answer may change what
# is asked). Activations, expansions and options are contractual acts like activating an
# offer (O2); other channels open them.
KIND_CAPABILITIES: dict[RequestKind, Capability] = {
    RequestKind.ACTIVATION: C.ACTIVATE_OFFER,
    RequestKind.EXPANSION: C.ORDER_SIMS,
    RequestKind.OFFER: C.ACTIVATE_OFFER,
    RequestKind.OPTION: C.ACTIVATE_OFFER,
    RequestKind.RELOCATION: C.REQUEST_RELOCATION,
    RequestKind.SIM_CHANGE: C.CHANGE_SIM,
    RequestKind.SIM_BLOCK: C.BLOCK_SIM,
    RequestKind.DIRECT_DEBIT: C.REQUEST_DIRECT_DEBIT,
    RequestKind.PAPERLESS: C.REQUEST_PAPERLESS,
    RequestKind.SHIPPING_ADDRESS: C.CHANGE_SHIPPING_ADDRESS,
    RequestKind.E_INVOICING: C.CHANGE_SHIPPING_ADDRESS,
    RequestKind.LEGAL_ADDRESS: C.CHANGE_LEGAL_ADDRESS,
    RequestKind.FAULT: C.REPORT_FAULT,
    RequestKind.CALLBACK: C.CONTACT_OPERATOR,
    RequestKind.EXPERT: C.ASK_EXPERT,
    RequestKind.TOP_UP: C.TOP_UP,
    RequestKind.EMPLOYEE_REGISTRATION: C.REGISTER_EMPLOYEES,
    RequestKind.PROFILE_CHANGE: C.CHANGE_PROFILES,
    RequestKind.DEVICE_BLOCK: C.BLOCK_SIM,
}


def may_answer(*, user: User, request: Request) -> bool:
    """Whether `user`, who may see `request`, may answer the operator's question about it
    (docs/role-matrix.md, "Decisions"): they hold the capability its kind takes, for its
    line when it has one, and they made it; a request nobody of the company made (another
    channel's) or whose maker's account is closed is answered by a T1 holder with that
    capability. The request's state is not asked here: the service refuses the others."""
    capability = KIND_CAPABILITIES[RequestKind(request.kind)]
    if not can(user, capability) or request.company_id != user.company_id:
        return False
    if request.line_id is not None:
        in_scope = lines_for_user(user=user, capability=capability).filter(pk=request.line_id)
        if not in_scope.exists():
            return False
    if request.requester_id == user.pk:
        return True
    maker = request.requester
    orphaned = maker is None or not maker.is_active or maker.company_id != request.company_id
    return orphaned and can(user, Capability.VIEW_REQUESTS)


def waiting_for(*, user: User, request: Request) -> bool:
    """The request waits for an answer `user` may give (the page shows the form)."""
    return request.state == RequestState.WAITING_CUSTOMER and may_answer(user=user, request=request)


def requests_awaiting_answer(*, user: User) -> list[Request]:
    """The requests `user` made that wait for their answer, oldest question first: «Le mie
    richieste» shows them above the activity list, where a months-old request would sink."""
    waiting = requests_for_user(user=user, company_wide=False).filter(
        state=RequestState.WAITING_CUSTOMER
    )
    return list(waiting.order_by("updated_at"))
