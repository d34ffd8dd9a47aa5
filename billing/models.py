"""Invoices of the company (and personal ones of Dual Billing lines) and their payments.
Money is Decimal in euro cents precision everywhere; never float."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class _Money(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _Money = {"max_digits": 14, "decimal_places": 2}


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "BANK_TRANSFER", _("Bonifico")
    DIRECT_DEBIT = "DIRECT_DEBIT", _("Domiciliazione bancaria (SEPA)")
    CARD = "CARD", _("Carta di pagamento")
    POSTAL = "POSTAL", _("Bollettino postale")


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "OPEN", _("Da pagare")
        PAID = "PAID", _("Pagata")

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.PROTECT, related_name="invoices"
    )
    contract = models.ForeignKey(
        "accounts.Contract", on_delete=models.PROTECT, related_name="invoices"
    )
    # Set for the personal invoices of a Dual Billing line: billed to its holder.
    personal_line = models.ForeignKey(
        "accounts.Line",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_invoices",
    )
    # Who a personal invoice was issued to: the line's holder when it was imported. It stays
    # theirs (and only theirs) whoever holds the line later.
    billed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="personal_invoices",
        verbose_name=_("intestatario"),
    )
    number = models.CharField(_("numero"), max_length=30, unique=True)
    issue_date = models.DateField(_("data di emissione"))
    period_start = models.DateField(_("periodo dal"))
    period_end = models.DateField(_("periodo al"))
    due_date = models.DateField(_("scadenza"))
    taxable = models.DecimalField(_("imponibile"), **MONEY)
    vat = models.DecimalField(_("IVA"), **MONEY)
    out_of_scope = models.DecimalField(
        _("importi fuori campo IVA"), default=Decimal("0.00"), **MONEY
    )
    total = models.DecimalField(_("totale"), **MONEY)
    status = models.CharField(
        _("stato"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    payment_method = models.CharField(
        _("modalità di pagamento"), max_length=20, choices=PaymentMethod.choices
    )
    paid_at = models.DateTimeField(_("pagata il"), null=True, blank=True)
    # Bumped whenever the invoice's content changes, so a generated PDF can tell it is stale.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("fattura")
        verbose_name_plural = _("fatture")
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["company", "-issue_date"]),
            models.Index(fields=["company", "status", "due_date"]),
        ]
        constraints = [
            # Round(): exact on PostgreSQL's numeric; absorbs SQLite's floating point.
            models.CheckConstraint(
                condition=Q(
                    total=Round(models.F("taxable") + models.F("vat") + models.F("out_of_scope"), 2)
                ),
                name="invoice_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="invoice_period_order"
            ),
            models.CheckConstraint(
                condition=Q(status="OPEN", paid_at__isnull=True)
                | Q(status="PAID", paid_at__isnull=False),
                name="invoice_paid_iff_paid_at",
            ),
            models.CheckConstraint(
                condition=Q(personal_line__isnull=False) | Q(billed_to__isnull=True),
                name="invoice_billed_to_only_personal",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date < timezone.localdate()

    @property
    def status_label(self) -> str:
        return str(_("Scaduta")) if self.is_overdue else str(self.get_status_display())


class InvoiceVat(models.Model):
    """The VAT summary of an invoice, one row per rate (riepilogo IVA)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vat_lines")
    rate = models.DecimalField(_("aliquota"), max_digits=5, decimal_places=2)
    taxable = models.DecimalField(_("imponibile"), **MONEY)
    vat = models.DecimalField(_("imposta"), **MONEY)

    class Meta:
        ordering = ["-rate"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "rate"], name="one_vat_line_per_rate")
        ]

    def __str__(self) -> str:
        return f"{self.rate}%: {self.taxable} + {self.vat}"


class InvoiceItem(models.Model):
    """One charge: a line's fee, its traffic, a one-off, or a contract-level item."""

    class Category(models.TextChoices):
        FEE = "FEE", _("Canoni")
        TRAFFIC = "TRAFFIC", _("Traffico")
        ONE_OFF = "ONE_OFF", _("Una tantum")
        TAX = "TAX", _("Tasse e imposte")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")
    line = models.ForeignKey(
        "accounts.Line", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    category = models.CharField(_("categoria"), max_length=10, choices=Category.choices)
    service = models.CharField(_("servizio"), max_length=120)
    quantity = models.DecimalField(_("quantità"), max_digits=12, decimal_places=3, default=1)
    amount = models.DecimalField(_("importo"), **MONEY)
    # None: out of the scope of VAT (e.g. the tassa di concessione governativa).
    vat_rate = models.DecimalField(
        _("aliquota IVA"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # The line's cost centre when the invoice was issued: moving the line later does not
    # rewrite this invoice. A centre named by invoices cannot be deleted.
    cost_centre = models.ForeignKey(
        "accounts.CostCentre",
        verbose_name=_("centro di costo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["invoice", "line"])]

    def __str__(self) -> str:
        return f"{self.service}: {self.amount}"


# How long a checkout stays payable at the provider (Stripe's shortest session, 30 minutes).
CHECKOUT_LIFETIME = timedelta(minutes=30)


def checkout_deadline() -> datetime:
    return timezone.now() + CHECKOUT_LIFETIME


class Payment(models.Model):
    """One attempt to pay through the gateway: an invoice, or for another section (a SIM
    top-up). At most one succeeds per invoice."""

    class Purpose(models.TextChoices):
        INVOICE = "INVOICE", _("Fattura")
        # Several invoices in one checkout: which ones, and for how much, in PaymentInvoice.
        INVOICES = "INVOICES", _("Più fatture")
        TOP_UP = "TOP_UP", _("Ricarica")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("In corso")
        SUCCEEDED = "SUCCEEDED", _("Riuscito")
        FAILED = "FAILED", _("Non riuscito")
        # Given up before the customer paid (by them, or because the invoice changed).
        CANCELLED = "CANCELLED", _("Annullato")
        # Charged but not applied (already paid, the invoice changed, the checkout had
        # expired or was cancelled): to give back, until the provider confirms the refund.
        REFUND_DUE = "REFUND_DUE", _("Da rimborsare")
        REFUNDED = "REFUNDED", _("Rimborsato")

    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.INVOICE)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    description = models.CharField(_("causale"), max_length=200, blank=True)
    # Where the customer lands after the provider's page (the section's result page).
    return_path = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(_("importo"), **MONEY)
    provider = models.CharField(max_length=20)
    provider_reference = models.CharField(max_length=100, unique=True)
    # One per click on "Paga": a double submit or a reload finds the same attempt. A key
    # belongs to one purpose and one `subject` ("invoice:12", "line:7"): used for another,
    # it is refused, never answered with this attempt.
    idempotency_key = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=40, blank=True)
    # The invoice's revision the checkout was opened on: settling compares it (and the
    # amount) with the invoice's current one.
    invoice_revision = models.PositiveIntegerField(null=True, blank=True)
    # The provider's page, to take the customer back to it ("Riprendi il pagamento"),
    # until the provider's checkout expires.
    checkout_url = models.CharField(max_length=2000, blank=True)
    expires_at = models.DateTimeField(_("scade il"), default=checkout_deadline)
    status = models.CharField(
        _("stato"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.CharField(_("motivo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    refund_reference = models.CharField(_("riferimento del rimborso"), max_length=100, blank=True)
    refund_attempts = models.PositiveIntegerField(_("tentativi di rimborso"), default=0)
    refund_error = models.CharField(_("ultimo errore del rimborso"), max_length=300, blank=True)
    refund_tried_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(_("rimborsato il"), null=True, blank=True)

    class Meta:
        verbose_name = _("pagamento")
        verbose_name_plural = _("pagamenti")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status="SUCCEEDED"), name="one_success_per_invoice"
            ),
            models.CheckConstraint(
                condition=Q(purpose="INVOICE", invoice__isnull=False)
                | (~Q(purpose="INVOICE") & Q(invoice__isnull=True)),
                name="payment_invoice_iff_invoice_purpose",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(purpose="INVOICE", invoice_revision__isnull=False)
                | ~Q(purpose="INVOICE"),
                name="payment_invoice_revision_known",
            ),
        ]
        indexes = [
            models.Index(
                fields=["refund_tried_at"],
                condition=Q(status="REFUND_DUE"),
                name="payment_refund_due",
            )
        ]

    def __str__(self) -> str:
        return self.provider_reference

    @property
    def is_open(self) -> bool:
        """Pending and not yet expired at the provider: the customer may still pay it."""
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()


class PaymentInvoice(models.Model):
    """One invoice of a payment of several (Purpose.INVOICES), with the amount and revision
    it was opened on: settling checks each against the invoice, and pays all or none."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="covered")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="grouped_payments")
    amount = models.DecimalField(_("importo"), **MONEY)
    invoice_revision = models.PositiveIntegerField()

    class Meta:
        ordering = ["invoice__issue_date", "invoice_id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="one_row_per_paid_invoice"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_invoice_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.invoice_id}"


class GatewayEvent(models.Model):
    """Callbacks already processed, by the provider's event id: a retry is a no-op."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="one_event_per_id")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class InvoiceDocument(models.Model):
    """The PDF of a large invoice, made in the background and kept while the invoice is at
    the same revision."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("In preparazione")
        READY = "READY", _("Pronto")
        FAILED = "FAILED", _("Non riuscito")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="documents")
    revision = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="invoices/", blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "revision"], name="one_document_per_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number} r{self.revision}"


class BillingProfile(models.Model):
    """How the company is billed: where paper documents go, direct debit, NoCarta. It
    changes only when the back office completes the customer's request."""

    company = models.OneToOneField(
        "accounts.Company", on_delete=models.CASCADE, related_name="billing_profile"
    )
    shipping_name = models.CharField(_("presso"), max_length=200, blank=True)
    shipping_street = models.CharField(_("indirizzo di spedizione"), max_length=200, blank=True)
    shipping_postal_code = models.CharField(_("CAP"), max_length=5, blank=True)
    shipping_city = models.CharField(_("comune"), max_length=100, blank=True)
    shipping_province = models.CharField(_("provincia"), max_length=2, blank=True)
    traffic_documentation = models.BooleanField(
        _("documentazione del traffico cartacea"), default=False
    )
    paperless = models.BooleanField(_("NoCarta"), default=False)
    direct_debit_iban = models.CharField(_("IBAN di addebito"), max_length=34, blank=True)
    direct_debit_holder = models.CharField(_("intestatario del conto"), max_length=200, blank=True)
    mandate_reference = models.CharField(
        _("riferimento del mandato SEPA"), max_length=35, blank=True
    )
    mandate_signed_on = models.DateField(
        _("data di sottoscrizione del mandato"), null=True, blank=True
    )
    # Where the Sistema di Interscambio delivers the electronic invoice (FatturaPA): the
    # recipient code, or "0000000" with a PEC address.
    sdi_code = models.CharField(_("codice destinatario SDI"), max_length=7, blank=True)
    pec = models.EmailField(_("PEC per la fatturazione elettronica"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profilo di fatturazione")
        verbose_name_plural = _("profili di fatturazione")

    def __str__(self) -> str:
        return str(self.company)

    @property
    def shipping_address(self) -> str:
        if not self.shipping_street:
            return ""
        return (
            f"{self.shipping_street}, {self.shipping_postal_code} {self.shipping_city} "
            f"({self.shipping_province})"
        )

    @property
    def masked_iban(self) -> str:
        iban = self.direct_debit_iban
        return f"{iban[:4]} •••• {iban[-4:]}" if iban else ""


class InvoiceArchive(models.Model):
    """A ZIP of the PDFs and electronic invoices of a period, built by the task worker for
    the person who asked, and theirs to download until `expires_at`."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("In coda")
        RUNNING = "RUNNING", _("In preparazione")
        READY = "READY", _("Pronto")
        FAILED = "FAILED", _("Non riuscito")

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="invoice_archives"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoice_archives"
    )
    period_start = models.DateField(_("dal"))
    period_end = models.DateField(_("al"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="archives/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("scade il"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="archive_period_order"
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="archive_progress_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.period_start}–{self.period_end}"
