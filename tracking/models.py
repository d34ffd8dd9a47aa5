"""Tracked requests: whatever a customer asks the operator to do, from any channel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class RequestKind(models.TextChoices):
    ACTIVATION = "ACTIVATION", _("Attivazione")
    EXPANSION = "EXPANSION", _("Ampliamento")
    OFFER = "OFFER", _("Attivazione offerta")
    OPTION = "OPTION", _("Opzione")
    RELOCATION = "RELOCATION", _("Trasloco linea")
    SIM_CHANGE = "SIM_CHANGE", _("Cambio SIM")
    SIM_BLOCK = "SIM_BLOCK", _("Blocco SIM")
    DIRECT_DEBIT = "DIRECT_DEBIT", _("Domiciliazione")
    PAPERLESS = "PAPERLESS", _("NoCarta")
    SHIPPING_ADDRESS = "SHIPPING_ADDRESS", _("Indirizzo di spedizione")
    E_INVOICING = "E_INVOICING", _("Recapito della fattura elettronica")
    LEGAL_ADDRESS = "LEGAL_ADDRESS", _("Indirizzo della sede legale")
    FAULT = "FAULT", _("Segnalazione guasto")
    CALLBACK = "CALLBACK", _("Richiesta di ricontatto")
    EXPERT = "EXPERT", _("Richiesta agli esperti")
    TOP_UP = "TOP_UP", _("Ricarica")
    EMPLOYEE_REGISTRATION = "EMPLOYEE_REGISTRATION", _("Registrazione dipendente")
    PROFILE_CHANGE = "PROFILE_CHANGE", _("Cambio del profilo web")
    DEVICE_BLOCK = "DEVICE_BLOCK", _("Blocco del dispositivo (IMEI)")


class Channel(models.TextChoices):
    WEB = "WEB", _("Area Clienti")
    PHONE = "PHONE", _("Servizio clienti 191")
    SHOP = "SHOP", _("Negozio")
    AGENT = "AGENT", _("Agente")


class RequestState(models.TextChoices):
    # Waiting for a second person of the company (tracking.approvals): the back office
    # neither sees nor moves it until it is approved.
    AWAITING_APPROVAL = "AWAITING_APPROVAL", _("In approvazione")
    SUBMITTED = "SUBMITTED", _("Inviata")
    IN_PROGRESS = "IN_PROGRESS", _("In lavorazione")
    WAITING_CUSTOMER = "WAITING_CUSTOMER", _("In attesa di riscontro del cliente")
    COMPLETED = "COMPLETED", _("Completata")
    REJECTED = "REJECTED", _("Respinta")
    CANCELLED = "CANCELLED", _("Annullata")


S = RequestState
# The one place that says how a request may move; anything else is refused.
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    # Approved: to the back office (SUBMITTED), or COMPLETED at once for what the area
    # applies itself (a profile change). Only tracking.approvals moves it from here.
    S.AWAITING_APPROVAL: frozenset({S.SUBMITTED, S.COMPLETED, S.REJECTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.WAITING_CUSTOMER, S.COMPLETED, S.REJECTED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATES = frozenset(state for state, targets in TRANSITIONS.items() if targets)
# Only the company's approvers move a request from these (tracking.approvals); the back
# office and other channels neither see them among their work nor move them.
APPROVAL_STATES = frozenset({S.AWAITING_APPROVAL})
BACK_OFFICE_STATES = OPEN_STATES - APPROVAL_STATES

# What the LR may submit to an approval (tracking.approvals), in the company page's words.
APPROVABLE_KINDS: dict[RequestKind, StrOrPromise] = {
    RequestKind.EXPANSION: _("Ordini di nuove SIM"),
    RequestKind.OFFER: _("Attivazione di offerte"),
    RequestKind.SIM_CHANGE: _("Cambio SIM"),
    RequestKind.DIRECT_DEBIT: _("Domiciliazione e cambio dell'IBAN"),
    RequestKind.PROFILE_CHANGE: _("Profilo Amministratore Full dato a un dipendente"),
}


class Request(models.Model):
    reference = models.CharField(_("numero pratica"), max_length=16, unique=True)
    company = models.ForeignKey(
        "accounts.Company",
        verbose_name=_("azienda"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    kind = models.CharField(_("tipo"), max_length=30, choices=RequestKind.choices)
    channel = models.CharField(
        _("canale"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("richiedente"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    line = models.ForeignKey(
        "accounts.Line",
        verbose_name=_("linea"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    state = models.CharField(
        _("stato"), max_length=20, choices=RequestState.choices, default=RequestState.SUBMITTED
    )
    summary = models.CharField(_("oggetto"), max_length=200)
    details: models.JSONField[dict[str, Any]] = models.JSONField(
        _("dettagli"), default=dict, blank=True
    )
    # The request's identifier in the channel's own system (a shop's ticket; on the web, the
    # key of the form that sent it): a channel that sends the same request twice gets the
    # first one back.
    external_id = models.CharField(_("riferimento esterno"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("creata il"), auto_now_add=True)
    updated_at = models.DateTimeField(_("aggiornata il"), auto_now=True)

    class Meta:
        verbose_name = _("richiesta")
        verbose_name_plural = _("richieste")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"]),
            models.Index(fields=["company", "kind", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=RequestState.values), name="request_state_known"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="request_channel_known"
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="request_external_id_once_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RequestEvent(models.Model):
    """One step of a request's history; the first is its submission (from_state empty)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("da"), max_length=20, choices=RequestState.choices, blank=True)
    to_state = models.CharField(_("a"), max_length=20, choices=RequestState.choices)
    at = models.DateTimeField(_("data e ora"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.TextField(_("nota"), blank=True)
    # The key of the form that sent a customer's answer: the same answer sent twice (a double
    # click, a retry) finds the first one instead of adding another.
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("evento della richiesta")
        verbose_name_plural = _("eventi della richiesta")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="request_event_key_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.from_state or '-'} → {self.to_state}"

    @property
    def is_customer_reply(self) -> bool:
        """The customer's answer to a request that waited for them (the note is their
        message): a person of the company moved it back to the operator."""
        return (
            self.from_state == RequestState.WAITING_CUSTOMER
            and self.to_state == RequestState.IN_PROGRESS
            and self.actor is not None
            and self.actor.company_id is not None
        )


class ApprovalPolicy(models.Model):
    """Which of the company's requests need a second person's approval, and who gives it:
    the LR (when `legal_rep_approves`) and the named Amministratori Full. Set by the LR."""

    company = models.OneToOneField(
        "accounts.Company", on_delete=models.CASCADE, related_name="approval_policy"
    )
    # RequestKind values among APPROVABLE_KINDS.
    kinds: models.JSONField[list[str]] = models.JSONField(_("richieste da approvare"), default=list)
    legal_rep_approves = models.BooleanField(_("approva il Rappresentante Legale"), default=True)
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("validatori"), blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("regola di approvazione")
        verbose_name_plural = _("regole di approvazione")

    def __str__(self) -> str:
        return f"{self.company_id}: {', '.join(self.kinds) or '-'}"


class ApprovalDecision(models.Model):
    """The one decision on a request that waited for approval: who, which way, why, and the
    fingerprint of exactly what they saw (tracking.approvals.fingerprint)."""

    request = models.OneToOneField(
        Request, on_delete=models.CASCADE, related_name="approval_decision"
    )
    approved = models.BooleanField(_("approvata"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decider_name = models.CharField(_("validatore"), max_length=300)
    note = models.TextField(_("nota"), blank=True)
    fingerprint = models.CharField(max_length=64)
    at = models.DateTimeField(_("data e ora"), auto_now_add=True)

    class Meta:
        verbose_name = _("decisione di approvazione")
        verbose_name_plural = _("decisioni di approvazione")

    def __str__(self) -> str:
        return f"{self.request_id}: {'approved' if self.approved else 'rejected'}"


class ShipmentState(models.TextChoices):
    PREPARING = "PREPARING", _("In preparazione")
    SHIPPED = "SHIPPED", _("Spedita")
    DELIVERED = "DELIVERED", _("Consegnata")
    RETURNED = "RETURNED", _("Restituita al mittente")


SS = ShipmentState
SHIPMENT_TRANSITIONS: dict[ShipmentState, frozenset[ShipmentState]] = {
    SS.PREPARING: frozenset({SS.SHIPPED}),
    SS.SHIPPED: frozenset({SS.DELIVERED, SS.RETURNED}),
    SS.DELIVERED: frozenset(),
    SS.RETURNED: frozenset(),
}


class Carrier(models.TextChoices):
    BRT = "BRT", "BRT"
    GLS = "GLS", "GLS"
    SDA = "SDA", "SDA"
    POSTE = "POSTE", "Poste Italiane"
    DHL = "DHL", "DHL"
    UPS = "UPS", "UPS"


class Shipment(models.Model):
    """A physical SIM on its way to the customer (a new order, a SIM change): created when
    the back office takes the request, moved along SHIPMENT_TRANSITIONS only."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="shipments")
    state = models.CharField(
        _("stato"), max_length=10, choices=ShipmentState.choices, default=ShipmentState.PREPARING
    )
    carrier = models.CharField(_("corriere"), max_length=10, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField(_("numero di spedizione"), max_length=40, blank=True)
    recipient = models.CharField(_("destinatario"), max_length=200)
    street = models.CharField(_("indirizzo"), max_length=200)
    postal_code = models.CharField(_("CAP"), max_length=5)
    city = models.CharField(_("comune"), max_length=100)
    province = models.CharField(_("provincia"), max_length=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("spedizione")
        verbose_name_plural = _("spedizioni")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ShipmentState.values), name="shipment_state_known"
            ),
            # Shipped means handed to a carrier with a number to follow it by.
            models.CheckConstraint(
                condition=models.Q(state=ShipmentState.PREPARING)
                | (~models.Q(carrier="") & ~models.Q(tracking_number="")),
                name="shipment_shipped_has_tracking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.state}"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city} ({self.province})"


class ShipmentEvent(models.Model):
    """One step of a shipment, for the request's timeline."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10, choices=ShipmentState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=ShipmentState.choices)
    at = models.DateTimeField(_("data e ora"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.TextField(_("nota"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.from_state or '-'} → {self.to_state}"
