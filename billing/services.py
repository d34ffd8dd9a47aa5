"""Writes about invoices: import from the billing system; the billing requests (B4-B6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Contract, Line, User
from accounts.selectors import actor_company_id
from billing.calculations import invoice_totals, to_cents
from billing.fatturapa import PEC_ONLY_CODE, valid_sdi_code
from billing.models import (
    BillingProfile,
    Invoice,
    InvoiceDocument,
    InvoiceItem,
    InvoiceVat,
    PaymentMethod,
)
from billing.payments import payments_cancel_for_invoice
from core.exceptions import ActionRefused
from tracking.models import Request, RequestKind
from tracking.services import on_completion, request_create_once

# SDI's Numero (String20): a longer number could not be sent as an electronic invoice.
NUMBER_MAX_LENGTH = 20


class InvoiceDataError(ValueError):
    """A record from the billing system that cannot be loaded, and why."""


@dataclass(frozen=True)
class ImportOutcome:
    invoice: Invoice
    created: bool
    changed: bool


def _date(record: dict[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(str(record[key]))
    except (KeyError, ValueError) as exc:
        raise InvoiceDataError(f"{key}: expected a date as YYYY-MM-DD") from exc


def _decimal(value: Any, key: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvoiceDataError(f"{key}: not a number: {value!r}") from exc
    if not number.is_finite():
        raise InvoiceDataError(f"{key}: not a number: {value!r}")
    return number


@transaction.atomic
def invoice_import(record: dict[str, Any]) -> ImportOutcome:
    """Load one invoice as the billing system sends it (see docs in README). Idempotent on
    the invoice number: the same record again changes nothing; a corrected record replaces
    an open invoice's items and bumps its revision; a paid invoice is never rewritten."""
    number = str(record.get("number", "")).strip()
    if not number:
        raise InvoiceDataError("number: missing")
    if len(number) > NUMBER_MAX_LENGTH:
        raise InvoiceDataError(
            f"number: at most {NUMBER_MAX_LENGTH} characters (FatturaPA's Numero)"
        )
    company = Company.objects.filter(vat_number=str(record.get("company_vat_number", ""))).first()
    if company is None:
        raise InvoiceDataError("company_vat_number: no such customer")
    contract = Contract.objects.filter(company=company, number=record.get("contract")).first()
    if contract is None:
        raise InvoiceDataError("contract: not a contract of that customer")
    lines = {line.number: line for line in Line.objects.filter(contract__company=company)}
    personal_line = None
    if record.get("personal_line"):
        personal_line = lines.get(str(record["personal_line"]))
        if personal_line is None or not personal_line.dual_billing:
            raise InvoiceDataError("personal_line: not a Dual Billing line of that customer")
    named = _person_billed(record, company, personal_line)
    method = str(record.get("payment_method", PaymentMethod.BANK_TRANSFER))
    if method not in PaymentMethod.values:
        raise InvoiceDataError(f"payment_method: one of {', '.join(PaymentMethod.values)}")
    period_start, period_end = _date(record, "period_start"), _date(record, "period_end")
    if period_end < period_start:
        raise InvoiceDataError("period_end: before period_start")
    fields: dict[str, Any] = {
        "company": company,
        "contract": contract,
        "personal_line": personal_line,
        "issue_date": _date(record, "issue_date"),
        "period_start": period_start,
        "period_end": period_end,
        "due_date": _date(record, "due_date"),
        "payment_method": method,
    }
    items = [_item(raw, position, lines) for position, raw in enumerate(record.get("items") or [])]
    if not items:
        raise InvoiceDataError("items: an invoice has at least one item")
    totals = invoice_totals((item.amount, item.vat_rate) for item in items)
    amounts = {
        "taxable": totals.taxable,
        "vat": totals.vat,
        "out_of_scope": totals.out_of_scope,
        "total": totals.total,
    }

    invoice = Invoice.objects.select_for_update().filter(number=number).first()
    if invoice is not None:
        if invoice.company_id != company.pk:
            # Whose invoice it is stays unsaid: a client system may act for one customer.
            raise InvoiceDataError("number: already used by another invoice")
        if _same(invoice, fields, amounts, items) and (
            named is None or invoice.billed_to_id == named.pk
        ):
            return ImportOutcome(invoice, created=False, changed=False)
        if invoice.status == Invoice.Status.PAID:
            raise InvoiceDataError("number: the invoice is paid and cannot change")
        if named is not None:
            invoice.billed_to = named
        elif invoice.personal_line_id != (personal_line.pk if personal_line else None):
            invoice.billed_to = personal_line.assignee if personal_line else None
        # Otherwise a correction stays the person's it was issued to, whoever holds the
        # line now.
        for key, value in {**fields, **amounts}.items():
            setattr(invoice, key, value)
        invoice.revision += 1
        invoice.save()
        # A checkout opened on the old revision is for an amount no longer owed.
        payments_cancel_for_invoice(invoice=invoice)
        # A correction keeps the cost centres the invoice was issued with.
        issued_with = dict(
            invoice.items.filter(line__isnull=False).values_list("line_id", "cost_centre_id")
        )
        for item in items:
            if item.line_id in issued_with:
                item.cost_centre_id = issued_with[item.line_id]
        invoice.items.all().delete()
        invoice.vat_lines.all().delete()
        created = False
    else:
        # Without the billing system's word, the line's holder at the time of import.
        billed_to = named or (personal_line.assignee if personal_line else None)
        invoice = Invoice.objects.create(number=number, billed_to=billed_to, **fields, **amounts)
        created = True
    for item in items:
        item.invoice = invoice
    InvoiceItem.objects.bulk_create(items, batch_size=2000)
    InvoiceVat.objects.bulk_create(
        InvoiceVat(invoice=invoice, rate=v.rate, taxable=v.taxable, vat=v.vat)
        for v in totals.vat_lines
    )
    return ImportOutcome(invoice, created=created, changed=True)


def _person_billed(
    record: dict[str, Any], company: Company, personal_line: Line | None
) -> User | None:
    """The person a personal invoice was issued to, as the billing system names them
    (`billed_to_tax_code`, their codice fiscale): one of the company's people, whoever holds
    the line today. None when the record does not say."""
    code = str(record.get("billed_to_tax_code") or "").strip().upper()
    if not code:
        return None
    if personal_line is None:
        raise InvoiceDataError("billed_to_tax_code: only for a personal invoice (personal_line)")
    people = list(User.objects.filter(company=company, tax_code__iexact=code)[:2])
    if len(people) != 1:
        # Looked up among that customer's people only: nothing is told about anyone else.
        raise InvoiceDataError(
            "billed_to_tax_code: not a person of that customer"
            if not people
            else "billed_to_tax_code: more than one person of that customer has it"
        )
    return people[0]


def _item(raw: dict[str, Any], position: int, lines: dict[str, Line]) -> InvoiceItem:
    where = f"items[{position}]"
    category = str(raw.get("category", ""))
    if category not in InvoiceItem.Category.values:
        raise InvoiceDataError(f"{where}.category: one of {', '.join(InvoiceItem.Category.values)}")
    line = None
    if raw.get("line"):
        line = lines.get(str(raw["line"]))
        if line is None:
            raise InvoiceDataError(f"{where}.line: not a line of that customer")
    rate = None if raw.get("vat_rate") is None else _decimal(raw["vat_rate"], f"{where}.vat_rate")
    if rate is not None and rate <= 0:
        # FatturaPA: a 0 rate needs a Natura; ours is null, out of the scope of VAT (N1).
        raise InvoiceDataError(
            f"{where}.vat_rate: greater than 0, or null when out of the scope of VAT"
        )
    service = str(raw.get("service", "")).strip()
    if not service:
        raise InvoiceDataError(f"{where}.service: missing")
    return InvoiceItem(
        line=line,
        cost_centre_id=line.cost_centre_id if line is not None else None,
        category=category,
        service=service[:120],
        quantity=_decimal(raw.get("quantity", 1), f"{where}.quantity"),
        amount=to_cents(_decimal(raw.get("amount"), f"{where}.amount")),
        vat_rate=rate,
    )


def _same(
    invoice: Invoice,
    fields: dict[str, Any],
    amounts: dict[str, Decimal],
    items: list[InvoiceItem],
) -> bool:
    if any(getattr(invoice, key) != value for key, value in {**fields, **amounts}.items()):
        return False
    stored = list(
        invoice.items.order_by("id").values_list(
            "line_id", "category", "service", "quantity", "amount", "vat_rate"
        )
    )
    incoming = [
        (i.line.pk if i.line else None, i.category, i.service, i.quantity, i.amount, i.vat_rate)
        for i in items
    ]
    return stored == incoming


def invoice_document_store(document: InvoiceDocument, content: bytes) -> None:
    """Keep a rendered PDF as the document of its invoice's revision, ready to serve (in the
    caller's transaction)."""
    document.file.save(
        f"{document.invoice.number}-r{document.revision}.pdf", ContentFile(content), save=False
    )
    document.status = InvoiceDocument.Status.READY
    document.finished_at = timezone.now()
    document.save(update_fields=["file", "status", "finished_at"])


def invoice_document_request(invoice: Invoice) -> InvoiceDocument:
    """The background PDF of a large invoice at its current revision; asks a worker to make
    it unless it is ready or already on its way."""
    from billing.tasks import make_invoice_document

    with transaction.atomic():
        document, created = InvoiceDocument.objects.get_or_create(
            invoice=invoice, revision=invoice.revision
        )
        if not created and document.status == InvoiceDocument.Status.FAILED:
            InvoiceDocument.objects.filter(pk=document.pk).update(
                status=InvoiceDocument.Status.PENDING, finished_at=None
            )
            document.status = InvoiceDocument.Status.PENDING
            created = True
        if created:
            document_id = document.pk
            transaction.on_commit(lambda: make_invoice_document.enqueue(document_id))
    return document


# --- Billing requests (B4-B6): tracked; completing them changes the billing profile ------


@transaction.atomic
def _billing_request_open(
    *, user: User, kind: RequestKind, summary: str, details: dict[str, Any]
) -> Request:
    """Open a billing request, unless one of the same kind is still open."""
    company = Company.objects.get(pk=actor_company_id(user))
    return request_create_once(
        company=company, kind=kind, summary=summary, requester=user, details=details
    )


def shipping_address_request(
    *, user: User, address: dict[str, str], traffic_documentation: bool
) -> Request:
    """Ask for invoices (and, if asked, the traffic documentation) to go to `address`."""
    return _billing_request_open(
        user=user,
        kind=RequestKind.SHIPPING_ADDRESS,
        summary=_("Nuovo indirizzo di spedizione: %(street)s, %(city)s")
        % {"street": address["street"], "city": address["city"]},
        details={"address": address, "traffic_documentation": traffic_documentation},
    )


def e_invoicing_request(*, user: User, sdi_code: str, pec: str) -> Request:
    """Ask for the electronic invoices to be delivered through SDI to `sdi_code` or, with no
    code, to the PEC address `pec` (one of the two)."""
    if bool(sdi_code) == bool(pec):
        raise ActionRefused(_("Indica il codice destinatario oppure la PEC."))
    return _billing_request_open(
        user=user,
        kind=RequestKind.E_INVOICING,
        summary=(
            _("Fattura elettronica al codice destinatario %(code)s") % {"code": sdi_code}
            if sdi_code
            else _("Fattura elettronica alla PEC %(pec)s") % {"pec": pec}
        ),
        details={"sdi_code": sdi_code, "pec": pec},
    )


def mandate_reference(signed_on: date) -> str:
    """A new SEPA mandate's unique reference (SEPA allows up to 35 characters)."""
    return f"ACB-{signed_on:%Y%m%d}-{uuid.uuid4().hex[:12].upper()}"


def direct_debit_request(*, user: User, iban: str, holder: str, holder_tax_code: str) -> Request:
    """Ask for invoices to be debited to `iban`, under a SEPA Core mandate signed today."""
    today = timezone.localdate()
    return _billing_request_open(
        user=user,
        kind=RequestKind.DIRECT_DEBIT,
        summary=_("Domiciliazione delle fatture sul conto %(iban)s")
        % {"iban": f"{iban[:4]} •••• {iban[-4:]}"},
        details={
            "iban": iban,
            "holder": holder,
            "holder_tax_code": holder_tax_code,
            "mandate_reference": mandate_reference(today),
            "mandate_signed_on": today.isoformat(),
        },
    )


def paperless_request(*, user: User, enable: bool = True) -> Request:
    """Ask to switch NoCarta on (`enable`) or off; refused when it is already in that state."""
    profile = BillingProfile.objects.filter(company_id=actor_company_id(user)).first()
    active = bool(profile and profile.paperless)
    if enable and active:
        raise ActionRefused(_("NoCarta è già attivo: non serve una nuova richiesta."))
    if not enable and not active:
        raise ActionRefused(_("NoCarta non è attivo: non c'è nulla da disattivare."))
    return _billing_request_open(
        user=user,
        kind=RequestKind.PAPERLESS,
        summary=(
            _("Attivazione del servizio NoCarta")
            if enable
            else _("Disattivazione del servizio NoCarta")
        ),
        details={"enable": enable},
    )


@on_completion(RequestKind.SHIPPING_ADDRESS)
def _apply_shipping_address(tracked: Request) -> None:
    profile = BillingProfile.objects.select_for_update().get_or_create(company=tracked.company)[0]
    address = tracked.details["address"]
    profile.shipping_name = address.get("name", "")
    profile.shipping_street = address["street"]
    profile.shipping_postal_code = address["postal_code"]
    profile.shipping_city = address["city"]
    profile.shipping_province = address["province"]
    profile.traffic_documentation = bool(tracked.details.get("traffic_documentation"))
    profile.save()


@on_completion(RequestKind.DIRECT_DEBIT)
def _apply_direct_debit(tracked: Request) -> None:
    profile = BillingProfile.objects.select_for_update().get_or_create(company=tracked.company)[0]
    profile.direct_debit_iban = tracked.details["iban"]
    profile.direct_debit_holder = tracked.details["holder"]
    profile.mandate_reference = tracked.details["mandate_reference"]
    profile.mandate_signed_on = date.fromisoformat(tracked.details["mandate_signed_on"])
    profile.save()


@on_completion(RequestKind.PAPERLESS)
def _apply_paperless(tracked: Request) -> None:
    profile = BillingProfile.objects.select_for_update().get_or_create(company=tracked.company)[0]
    profile.paperless = bool(tracked.details.get("enable", True))
    profile.save()


@on_completion(RequestKind.E_INVOICING)
def _apply_e_invoicing(tracked: Request) -> None:
    code = str(tracked.details.get("sdi_code") or "").strip().upper()
    # A PEC goes with the code "0000000", which the XML writes when the code is blank.
    code = "" if code == PEC_ONLY_CODE else code
    pec = "" if code else str(tracked.details.get("pec") or "").strip()
    if code and not valid_sdi_code(code):
        raise ValueError("sdi_code: 7 letters or digits")
    if not code:
        try:
            validate_email(pec)
        except ValidationError as exc:
            raise ValueError("pec: an e-mail address, or an sdi_code") from exc
    profile = BillingProfile.objects.select_for_update().get_or_create(company=tracked.company)[0]
    profile.sdi_code, profile.pec = code, pec
    profile.save()
