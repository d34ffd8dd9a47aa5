"""Every URL × every profile, anonymous and staff, against each view's declaration, which
comes from the role matrix; plus another company's objects, which must answer 404."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.access import PASSWORD_CONFIRMED_AT, access_of
from accounts.models import Company, Contract, CostCentre, Invitation, Line
from accounts.roles import Profile
from billing.models import Invoice, Payment
from offers.models import Offer
from security.middleware import ALLOWED_WHILE_PENDING, STEP_PAGE
from security.models import UserSession
from security.two_factor import PENDING_SECOND_FACTOR, PendingStep
from support.models import Attachment, Conversation
from tests.authz.urls import Route, walk
from tests.conftest import World, client_for, sign_in
from tests.factories import ContractFactory, InvitationFactory, LineFactory, OfferFactory
from tracking.models import Request, RequestKind, RequestState, Shipment
from tracking.services import request_create

# Sample arguments for URLs that take some, from the personas of tests/conftest.py.
# A URL that takes arguments and is missing here makes the sweep fail.
SAMPLE_KWARGS: dict[str, Callable[[World], dict[str, Any]]] = {
    "accounts:password-reset-confirm": lambda w: {"uidb64": "MQ", "token": "set-password"},
    "accounts:employee-edit": lambda w: {"pk": w.full.pk},
    "accounts:invitation-resend": lambda w: {"pk": invitation_of(w.company).pk},
    "accounts:invitation-revoke": lambda w: {"pk": invitation_of(w.company).pk},
    "accounts:email-confirm": lambda w: {"token": "not-a-signed-token"},
    "accounts:invitation-accept": lambda w: {"token": "not-an-invitation"},
    "accounts:registration-verify": lambda w: {"pk": w.lr.pk, "token": "not-a-token"},
    "billing:invoice-detail": lambda w: {"pk": w.invoice.pk},
    "billing:invoice-pdf": lambda w: {"pk": w.invoice.pk},
    "billing:invoice-xml": lambda w: {"pk": w.invoice.pk},
    "billing:invoice-rows-export": lambda w: {"pk": w.invoice.pk},
    "billing:invoice-pay": lambda w: {"pk": w.invoice.pk},
    "billing:payment-cancel": lambda w: {"pk": w.invoice.pk},
    "billing:payment-result": lambda w: {"reference": payment_of(w.invoice).provider_reference},
    "billing:payment-webhook": lambda w: {"provider": "sandbox"},
    "billing:sandbox-checkout": lambda w: {"reference": payment_of(w.invoice).provider_reference},
    "lines:sim-block": lambda w: {"pk": w.lr_line.pk},
    "lines:sim-unblock": lambda w: {"pk": w.lr_line.pk},
    "lines:sim-change": lambda w: {"pk": w.lr_line.pk},
    "lines:relocation": lambda w: {"pk": w.fixed_line.pk},
    "lines:theft-case": lambda w: theft_case_of(w.lr_line, w.lr),
    "lines:theft-report-download": lambda w: theft_case_of(w.lr_line, w.lr, report=True),
    "lines:theft-device-block": lambda w: theft_case_of(w.lr_line, w.lr),
    "lines:theft-replacement": lambda w: theft_case_of(w.lr_line, w.lr),
    "offers:detail": lambda w: {"code": OfferFactory(segments=[w.company.segment]).code},
    "offers:choose": lambda w: {"code": OfferFactory(segments=[w.company.segment]).code},
    "offers:summary": lambda w: {"code": OfferFactory(segments=[w.company.segment]).code},
    "offers:activate": lambda w: {"code": OfferFactory(segments=[w.company.segment]).code},
    "backoffice:request-detail": lambda w: {"pk": request_of(w.company).pk},
    "backoffice:shipment": lambda w: {"pk": shipment_of(w.company).pk},
    "backoffice:shipment-new": lambda w: {"pk": request_of(w.company).pk},
    "backoffice:port-in-move": lambda w: {"pk": ported_sim_of(w).pk},
    "lines:order-detail": lambda w: {"reference": order_of(w.company, w.full).reference},
    "tracking:detail": lambda w: {"reference": request_of(w.company).reference},
    "tracking:approval-detail": lambda w: {"reference": awaiting_of(w.company).reference},
    "tracking:request-withdraw": lambda w: {"reference": awaiting_of(w.company).reference},
    "api:request-detail": lambda w: {"reference": request_of(w.company).reference},
    "api:request-transition": lambda w: {"reference": request_of(w.company).reference},
    "api:shipment-transition": lambda w: {
        "reference": request_of(w.company).reference,
        "shipment_id": 1,
    },
    "api:port-in-transition": lambda w: {
        "reference": request_of(w.company).reference,
        "position": 1,
    },
    "backoffice:chat": lambda w: {"pk": conversation_of(w.user).pk},
    "backoffice:chat-messages": lambda w: {"pk": conversation_of(w.user).pk},
    "backoffice:chat-take": lambda w: {"pk": conversation_of(w.user).pk},
    "backoffice:chat-close": lambda w: {"pk": conversation_of(w.user).pk},
    "backoffice:attachment": lambda w: {"pk": attachment_of(w.lr).pk},
    "security:employee-reset": lambda w: {"pk": w.full.pk},
    "security:session-end": lambda w: {"pk": session_of(w.lr).pk},
    "costs:threshold-edit": lambda w: {"pk": threshold_of(w.lr_line).pk},
    "costs:threshold-delete": lambda w: {"pk": threshold_of(w.lr_line).pk},
    "costs:cost-centre-detail": lambda w: {"pk": cost_centre_of(w.company).pk},
    "costs:cost-centre-edit": lambda w: {"pk": cost_centre_of(w.company).pk},
    "costs:cost-centre-delete": lambda w: {"pk": cost_centre_of(w.company).pk},
    "costs:cost-centre-choose": lambda w: {"pk": cost_centre_of(w.company).pk},
    "costs:cost-centre-upload": lambda w: {"pk": cost_centre_of(w.company).pk},
    "costs:cost-centre-remove-line": lambda w: {"pk": cost_centre_of(w.company).pk},
}

# For objects in the user's own scope (OWN): one the persona may see.
PERSONAL_SAMPLES: dict[str, Callable[[World, Any], dict[str, Any]]] = {
    "consumption:sim-usage": lambda w, user: {"pk": own_sim(w, user).pk},
    "lines:detail": lambda w, user: {"pk": own_sim(w, user).pk},
    # The person's own order waiting for approval: only its requester may change it.
    "lines:order-edit": lambda w, user: {
        "reference": order_of(w.company, customer_or(w, user), awaiting=True).reference
    },
    "support:chat": lambda w, user: {"pk": conversation_of(customer_or(w, user)).pk},
    "support:chat-messages": lambda w, user: {"pk": conversation_of(customer_or(w, user)).pk},
    "support:chat-close": lambda w, user: {"pk": conversation_of(customer_or(w, user)).pk},
    "support:request-detail": lambda w, user: {
        "reference": request_of(w.company, requester=customer_or(w, user)).reference
    },
    "support:attachment": lambda w, user: {"pk": attachment_of(customer_or(w, user)).pk},
    "support:request-reply": lambda w, user: {
        "reference": request_of(w.company, requester=customer_or(w, user)).reference
    },
    "consumption:top-up": lambda w, user: {"pk": own_sim(w, user).pk},
    # An archive is only for the person who asked for it (anonymous: the LR's).
    "billing:archive-download": lambda w, user: {"pk": archive_of(w.company, user or w.lr).pk},
    # The person's own passkey (anonymous: the LR's); someone else's is in OUTSIDER_KWARGS.
    "security:passkey-rename": lambda w, user: {"pk": passkey_of(user or w.lr).pk},
    "security:passkey-remove": lambda w, user: {"pk": passkey_of(user or w.lr).pk},
    "consumption:top-up-result": lambda w, user: {
        "reference": top_up_of(own_sim(w, user)).payment.provider_reference
    },
    # The person's own notification (anonymous: the LR's); someone else's in OUTSIDER_KWARGS.
    "costs:notification-open": lambda w, user: {"pk": notification_of(user or w.lr).pk},
}


def archive_of(company: Company, requester: Any) -> Any:
    from billing.models import InvoiceArchive

    archive = InvoiceArchive.objects.create(
        company=company,
        requested_by=requester,
        period_start="2026-10-01",
        period_end="2026-10-31",
        status=InvoiceArchive.Status.READY,
        expires_at="2999-01-01T00:00Z",
    )
    archive.file.save("sweep.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    return archive


def top_up_of(line: Any) -> Any:
    from consumption.models import TopUp

    payment = Payment.objects.create(
        purpose=Payment.Purpose.TOP_UP,
        amount=10,
        provider="sandbox",
        provider_reference=f"sbx_{uuid.uuid4().hex}",
        idempotency_key=uuid.uuid4().hex,
    )
    return TopUp.objects.create(line=line, amount=10, payment=payment)


def theft_case_of(line: Line, actor: Any, *, report: bool = False) -> dict[str, Any]:
    """The URL arguments of the line's theft case (blocked for theft once, then reused),
    with the police report's copy when `report`."""
    from lines.models import TheftCase
    from lines.services import sim_block
    from lines.theft import police_report_attach

    case = TheftCase.objects.filter(line=line).first()
    if case is None:
        case = TheftCase.objects.get(block_event=sim_block(actor=actor, line=line, reason="THEFT"))
    if report and not case.has_report:
        pdf = SimpleUploadedFile("denuncia.pdf", b"%PDF-1.4\n%%EOF\n")
        case = police_report_attach(
            case=case, actor=actor, upload=pdf, content_type="application/pdf"
        )
    return {"pk": line.pk, "case_pk": case.pk}


def own_sim(world: World, user: Any) -> Any:
    mine = {world.user.pk: world.user_line, world.light.pk: world.light_line}
    return mine.get(getattr(user, "pk", None), world.lr_line)


# Another company's objects, for every URL that shows one: (method, kwargs naming the
# outsider's object), asked by our LR with the password just confirmed.
OUTSIDER_KWARGS: dict[str, tuple[str, Callable[[World], dict[str, Any]]]] = {
    "accounts:employee-edit": ("get", lambda w: {"pk": w.outsider_lr.pk}),
    "accounts:invitation-resend": ("post", lambda w: {"pk": invitation_of(w.outsider_company).pk}),
    "accounts:invitation-revoke": ("post", lambda w: {"pk": invitation_of(w.outsider_company).pk}),
    "billing:invoice-detail": ("get", lambda w: {"pk": w.outsider_invoice.pk}),
    "billing:invoice-pdf": ("get", lambda w: {"pk": w.outsider_invoice.pk}),
    "billing:invoice-xml": ("get", lambda w: {"pk": w.outsider_invoice.pk}),
    "billing:invoice-rows-export": ("get", lambda w: {"pk": w.outsider_invoice.pk}),
    "billing:archive-download": (
        "get",
        lambda w: {"pk": archive_of(w.outsider_company, w.outsider_lr).pk},
    ),
    "billing:invoice-pay": ("post", lambda w: {"pk": w.outsider_invoice.pk}),
    "billing:payment-cancel": ("post", lambda w: {"pk": w.outsider_invoice.pk}),
    "consumption:sim-usage": ("get", lambda w: {"pk": w.outsider_line.pk}),
    "consumption:top-up": ("post", lambda w: {"pk": w.outsider_line.pk}),
    "consumption:top-up-result": (
        "get",
        lambda w: {"reference": top_up_of(w.outsider_line).payment.provider_reference},
    ),
    "billing:payment-result": (
        "get",
        lambda w: {"reference": payment_of(w.outsider_invoice).provider_reference},
    ),
    "lines:detail": ("get", lambda w: {"pk": w.outsider_line.pk}),
    "lines:sim-block": ("post", lambda w: {"pk": w.outsider_line.pk}),
    "lines:sim-unblock": ("post", lambda w: {"pk": w.outsider_line.pk}),
    "lines:sim-change": ("post", lambda w: {"pk": w.outsider_line.pk}),
    "lines:relocation": ("post", lambda w: {"pk": outsider_fixed_line(w).pk}),
    "lines:theft-case": ("get", lambda w: theft_case_of(w.outsider_line, w.outsider_lr)),
    "lines:theft-report-download": (
        "get",
        lambda w: theft_case_of(w.outsider_line, w.outsider_lr, report=True),
    ),
    "lines:theft-device-block": ("post", lambda w: theft_case_of(w.outsider_line, w.outsider_lr)),
    "lines:theft-replacement": ("post", lambda w: theft_case_of(w.outsider_line, w.outsider_lr)),
    # Offers reserved to another segment are not the company's to see.
    "offers:detail": ("get", lambda w: {"code": offer_for_others(w).code}),
    "offers:choose": ("post", lambda w: {"code": offer_for_others(w).code}),
    "offers:summary": ("get", lambda w: {"code": offer_for_others(w).code}),
    "offers:activate": ("post", lambda w: {"code": offer_for_others(w).code}),
    "tracking:detail": ("get", lambda w: {"reference": request_of(w.outsider_company).reference}),
    "lines:order-detail": (
        "get",
        lambda w: {"reference": order_of(w.outsider_company, w.outsider_lr).reference},
    ),
    "lines:order-edit": (
        "post",
        lambda w: {
            "reference": order_of(w.outsider_company, w.outsider_lr, awaiting=True).reference
        },
    ),
    "tracking:approval-detail": (
        "get",
        lambda w: {"reference": awaiting_of(w.outsider_company).reference},
    ),
    "tracking:request-withdraw": (
        "post",
        lambda w: {"reference": awaiting_of(w.outsider_company, w.outsider_lr).reference},
    ),
    "support:chat": ("get", lambda w: {"pk": conversation_of(w.outsider_lr).pk}),
    "support:chat-messages": ("get", lambda w: {"pk": conversation_of(w.outsider_lr).pk}),
    "support:chat-close": ("post", lambda w: {"pk": conversation_of(w.outsider_lr).pk}),
    "support:request-detail": (
        "get",
        lambda w: {"reference": request_of(w.outsider_company, requester=w.outsider_lr).reference},
    ),
    "support:attachment": ("get", lambda w: {"pk": attachment_of(w.outsider_lr).pk}),
    "support:request-reply": (
        "post",
        lambda w: {"reference": request_of(w.outsider_company, requester=w.outsider_lr).reference},
    ),
    "security:employee-reset": ("post", lambda w: {"pk": w.outsider_lr.pk}),
    "security:session-end": ("post", lambda w: {"pk": session_of(w.outsider_lr).pk}),
    "security:passkey-rename": ("post", lambda w: {"pk": passkey_of(w.outsider_lr).pk}),
    "security:passkey-remove": ("post", lambda w: {"pk": passkey_of(w.outsider_lr).pk}),
    "costs:threshold-edit": ("get", lambda w: {"pk": threshold_of(w.outsider_line).pk}),
    "costs:threshold-delete": ("post", lambda w: {"pk": threshold_of(w.outsider_line).pk}),
    "costs:cost-centre-detail": ("get", lambda w: {"pk": cost_centre_of(w.outsider_company).pk}),
    "costs:cost-centre-edit": ("get", lambda w: {"pk": cost_centre_of(w.outsider_company).pk}),
    "costs:cost-centre-delete": ("post", lambda w: {"pk": cost_centre_of(w.outsider_company).pk}),
    "costs:cost-centre-choose": ("post", lambda w: {"pk": cost_centre_of(w.outsider_company).pk}),
    "costs:cost-centre-upload": ("post", lambda w: {"pk": cost_centre_of(w.outsider_company).pk}),
    "costs:cost-centre-remove-line": (
        "post",
        lambda w: {"pk": cost_centre_of(w.outsider_company).pk},
    ),
    "costs:notification-open": ("post", lambda w: {"pk": notification_of(w.outsider_lr).pk}),
}
# URLs whose arguments name no company object (links sent by e-mail carry their own proof).
NO_OBJECT_ARGUMENTS = {
    "billing:payment-webhook",  # a provider's name
    "billing:sandbox-checkout",  # the provider's page, reached by its unguessable reference
    "accounts:password-reset-confirm",
    "accounts:email-confirm",
    "accounts:invitation-accept",
    "accounts:registration-verify",
    "backoffice:request-detail",  # staff work every company's requests
    "backoffice:shipment",
    "backoffice:shipment-new",
    "backoffice:port-in-move",
    "api:request-detail",  # by token, not session: tests/api/test_api_scopes.py (404)
    "api:request-transition",
    "api:shipment-transition",  # tests/api/test_shipments.py (404)
    "api:port-in-transition",  # tests/api/test_port_in.py (404)
    "backoffice:chat",
    "backoffice:chat-messages",
    "backoffice:chat-take",
    "backoffice:chat-close",
    "backoffice:attachment",
}


def cost_centre_of(company: Company) -> CostCentre:
    return CostCentre.objects.get_or_create(company=company, code="SWEEP", name="Sweep")[0]


def request_of(company: Company, requester: Any = None) -> Request:
    return request_create(
        company=company, kind=RequestKind.EXPANSION, summary="Nuove SIM", requester=requester
    )


def awaiting_of(company: Company, requester: Any = None) -> Request:
    """A request waiting for the company's validatori (as the company's rules would make it)."""
    tracked = request_of(company, requester=requester)
    Request.objects.filter(pk=tracked.pk).update(state=RequestState.AWAITING_APPROVAL)
    return tracked


def shipment_of(company: Company) -> Shipment:
    return Shipment.objects.create(
        request=request_of(company),
        street="Via Roma 1",
        postal_code="00184",
        city="Roma",
        province="RM",
    )


def order_of(company: Company, requester: Any, *, awaiting: bool = False) -> Request:
    """An order of one new SIM on the company's mobile contract, by `requester`; with
    `awaiting`, held for the company's validatori (as its rules would make it)."""
    from lines.orders import OrderedSimData, PortInData, order_create
    from tests.factories import PlanFactory, _codice_fiscale, _iccid

    port_in = PortInData(
        number=f"+39340{Request.objects.count():07d}",
        donor="TIM",
        iccid=_iccid(999),
        holder_tax_code=_codice_fiscale(3),
    )
    tracked = order_create(
        company=company,
        requester=requester,
        contract=Contract.objects.filter(company=company, kind=Contract.Kind.MOBILE).first(),
        plan=PlanFactory(),
        sim_kind="ESIM",
        sims=[OrderedSimData(assignee=None, port_in=port_in)],
        delivery=None,
        esim_email="it@example.it",
    )
    if awaiting:
        Request.objects.filter(pk=tracked.pk).update(state=RequestState.AWAITING_APPROVAL)
    return tracked


def ported_sim_of(world: World) -> Any:
    return order_of(world.company, world.full).sim_order.sims.get()


def session_of(user: Any) -> UserSession:
    return UserSession.objects.create(user=user, session_key=uuid.uuid4().hex)


def passkey_of(user: Any) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user, name="Telefono", credential_id=uuid.uuid4().bytes, public_key=b""
    )


def threshold_of(line: Line) -> Any:
    from consumption.models import Threshold

    return Threshold.objects.get_or_create(
        line=line,
        metric=Threshold.Metric.ROAMING_SPEND,
        defaults={"company": line.contract.company, "limit": 50},
    )[0]


def notification_of(user: Any) -> Any:
    from accounts.models import Notification

    return Notification.objects.create(recipient=user, kind="test", title="Avviso", url="/")


def customer_or(world: World, user: Any) -> Any:
    """`user` when a customer, else (anonymous, staff) the LR: whose object to ask for."""
    return user if user is not None and user.company_id else world.lr


def conversation_of(user: Any) -> Conversation:
    # Closed, so that several in one test do not clash with "one open chat per person".
    return Conversation.objects.create(
        company=user.company, customer=user, topic="Roaming", state=Conversation.State.CLOSED
    )


def attachment_of(user: Any) -> Attachment:
    tracked = request_of(user.company, requester=user)
    attachment = Attachment(
        request=tracked, original_name="a.pdf", content_type="application/pdf", size=9, sha256=""
    )
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return attachment


def outsider_fixed_line(world: World) -> Line:
    contract = ContractFactory(company=world.outsider_company, kind=Contract.Kind.FIXED)
    return LineFactory(contract=contract, assignee=world.outsider_lr)


def offer_for_others(world: World) -> Offer:
    others = [code for code in Company.Segment.values if code != world.company.segment]
    return OfferFactory(segments=others)


def invitation_of(company: Company) -> Invitation:
    return InvitationFactory(company=company)


def payment_of(invoice: Invoice) -> Payment:
    return Payment.objects.create(
        invoice=invoice,
        invoice_revision=invoice.revision,
        amount=invoice.total,
        provider="sandbox",
        provider_reference=f"sbx_{uuid.uuid4().hex}",
        idempotency_key=uuid.uuid4().hex,
    )


ROUTES = [route for route in walk() if route.name]
PERSONAS = ["anonymous", "staff", *[p.value for p in Profile]]


def _user(world: World, persona: str) -> Any:
    if persona == "anonymous":
        return None
    if persona == "staff":
        return world.staff
    return world.by_profile(persona)


def _url(route: Route, world: World, user: Any) -> str:
    if route.name in PERSONAL_SAMPLES:
        kwargs = PERSONAL_SAMPLES[route.name](world, user)
    else:
        kwargs = SAMPLE_KWARGS[route.name](world) if route.params else {}
    return reverse(route.name, kwargs=kwargs)


def test_every_url_is_named_and_declares_its_access() -> None:
    unnamed = [route.pattern for route in walk() if not route.name]
    assert not unnamed, f"URL patterns without a name: {unnamed}"
    undeclared = [route.name for route in ROUTES if access_of(route.callback) is None]
    assert not undeclared, f"views without @public/@signed_in/@staff/@requires: {undeclared}"


def test_every_url_with_arguments_has_samples() -> None:
    missing = [
        r.name
        for r in ROUTES
        if r.params and r.name not in SAMPLE_KWARGS and r.name not in PERSONAL_SAMPLES
    ]
    assert not missing, f"add sample arguments to SAMPLE_KWARGS for: {missing}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_url_answers_as_declared(route: Route, world: World) -> None:
    """Each persona in turn, in one world per route: building the world is most of a
    request's cost here, and GETs leave it as it was."""
    wrong = [
        f"{persona}: {problem}"
        for persona in PERSONAS
        if (problem := _answer_problem(route, persona, world))
    ]
    assert not wrong, "\n".join(wrong)


def _answer_problem(route: Route, persona: str, world: World) -> str:
    """What is wrong with how `route` answers `persona`; "" when it answers as declared."""
    access = access_of(route.callback)
    assert access is not None
    user = _user(world, persona)
    url = _url(route, world, user)  # its objects first: a passkey is given at sign-in
    client = client_for(user) if user is not None else Client()
    response = client.get(url)
    status, location = response.status_code, response.get("Location", "")
    login_url = reverse("accounts:login")
    # Invoices, PDFs, attachments, PUKs: no page or download is kept by a cache.
    if "no-store" not in response.get("Cache-Control", ""):
        return f"Cache-Control {response.get('Cache-Control')!r}"

    if access.kind == "api":
        # Client systems only, by token: a person's session is not enough.
        return "" if status == 401 else f"{status}, expected 401"
    if access.kind == "public":
        # 410: a sample token that is not a valid link
        if status not in {200, 302, 405, 410} or location.startswith(login_url):
            return f"{status} {location}, expected a public answer"
        return ""
    if user is None:
        if status == 302 and location.startswith(login_url + "?next="):
            return ""
        return f"{status} {location}, expected the sign-in page"
    if access.allows(user):
        # 302: staff sent from the dashboard to the back office, or a sensitive page asking
        # for the password again, or a security page with nothing to show (no code
        # pending, nothing owed); 405: a GET on an action that takes only POST.
        allowed_redirect = location.startswith(
            (
                reverse("backoffice:index"),
                reverse("accounts:confirm-password"),
                reverse("security:overview"),
            )
        ) or (route.name == "security:verify" and location == "/")
        if status in {200, 405} or (status == 302 and allowed_redirect):
            return ""
        return f"{status} {location}, expected to be let in"
    if status == 403 and "Accesso non consentito" in response.content.decode():
        return ""
    return f"{status}, expected 403"


def test_another_companys_objects_answer_404(world: World) -> None:
    object_routes = {r.name for r in ROUTES if r.params} - NO_OBJECT_ARGUMENTS
    assert object_routes == set(OUTSIDER_KWARGS), "add the route to OUTSIDER_KWARGS"
    client = Client()
    sign_in(client, world.lr)
    session = client.session
    session[PASSWORD_CONFIRMED_AT] = int(time.time())
    session.save()
    for name, (method, kwargs) in OUTSIDER_KWARGS.items():
        response = getattr(client, method)(reverse(name, kwargs=kwargs(world)))
        assert response.status_code == 404, name


PENDING_STEPS = [PendingStep.VERIFY, PendingStep.ENROL]


@pytest.mark.parametrize("step", PENDING_STEPS)
def test_a_second_factor_owed_leads_every_url_to_its_step(step: PendingStep, world: World) -> None:
    """After the password, a person who owes a second factor (they have one: "verify"; the
    company requires one they lack: "enrol") reaches only that step's pages; client systems
    (the API, by token) answer as always. Every URL of the resolver, in one session."""
    person = world.full
    if step == PendingStep.VERIFY:
        TOTPDevice.objects.create(user=person, name="App", confirmed=True)
    else:
        world.company.two_factor_policy = "ADMINS"
        world.company.save()
    client = Client()
    client.force_login(person)
    assert client.session[PENDING_SECOND_FACTOR] == step
    step_page = reverse(STEP_PAGE[step])
    wrong = []
    for route in ROUTES:
        response = client.get(_url(route, world, person))
        access = access_of(route.callback)
        assert access is not None
        location = response.get("Location", "")
        if route.name in ALLOWED_WHILE_PENDING[step] or route.pattern.startswith("api/"):
            if location.startswith(step_page) or (
                access.kind == "api" and response.status_code != 401
            ):
                wrong.append(f"{route.name}: {response.status_code} {location}")
        elif response.status_code != 302 or not location.startswith(step_page + "?next="):
            wrong.append(f"{route.name}: {response.status_code} {location}")
        # A step page's own visit may not have settled anything.
        assert client.session[PENDING_SECOND_FACTOR] == step, route.name
    assert not wrong, "\n".join(wrong)
