"""Tracked requests: whatever a customer asks the operator to do, from any channel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Channel(models.TextChoices):
    WEB = "WEB", _("Area Clienti")
    PHONE = "PHONE", _("Servizio clienti 191")
    SHOP = "SHOP", _("Negozio")
    AGENT = "AGENT", _("Agente")


class RequestState(models.TextChoices):
    SUBMITTED = "SUBMITTED", _("Inviata")
    IN_PROGRESS = "IN_PROGRESS", _("In lavorazione")
    WAITING_CUSTOMER = "WAITING_CUSTOMER", _("In attesa di riscontro del cliente")
    COMPLETED = "COMPLETED", _("Completata")
    REJECTED = "REJECTED", _("Respinta")
    CANCELLED = "CANCELLED", _("Annullata")


S = RequestState
# The one place that says how a request may move; anything else is refused.
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.SUBMITTED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.WAITING_CUSTOMER, S.COMPLETED, S.REJECTED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATES = frozenset(state for state, targets in TRANSITIONS.items() if targets)


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
