"""What is active on each line, and what happened to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    OFFER = "OFFER", _("Offerta")
    OPTION = "OPTION", _("Opzione")
    SERVICE = "SERVICE", _("Servizio")


class LineService(models.Model):
    """An offer, option or service on a line: active while `until` is empty."""

    line = models.ForeignKey(
        "accounts.Line", verbose_name=_("linea"), on_delete=models.CASCADE, related_name="services"
    )
    code = models.CharField(_("codice"), max_length=30)
    name = models.CharField(_("nome"), max_length=100)
    kind = models.CharField(_("tipo"), max_length=7, choices=ServiceKind.choices)
    monthly_fee = models.DecimalField(_("canone mensile"), max_digits=8, decimal_places=2)
    since = models.DateField(_("attiva dal"))
    until = models.DateField(_("cessata il"), null=True, blank=True)
    # The request (an offer activation) that brought it, when it came from one.
    request = models.ForeignKey(
        "tracking.Request", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("servizio della linea")
        verbose_name_plural = _("servizi delle linee")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "code"],
                condition=Q(until__isnull=True),
                name="line_service_active_once",
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee__gte=0), name="line_service_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ServiceKind.values), name="line_service_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.name}"


class BlockReason(models.TextChoices):
    THEFT = "THEFT", _("Furto")
    LOSS = "LOSS", _("Smarrimento")
    OTHER = "OTHER", _("Altro motivo")


class SimChangeReason(models.TextChoices):
    THEFT_LOSS = "THEFT_LOSS", _("Furto o smarrimento (con denuncia)")
    LOST_PIN_PUK = "LOST_PIN_PUK", _("PIN o PUK dimenticato")
    FAULTY = "FAULTY", _("SIM guasta")
    BROKEN = "BROKEN", _("SIM danneggiata")
    FORMAT = "FORMAT", _("Formato diverso")


class LineEvent(models.Model):
    """One entry of a line's history. The actor's name is copied so it outlives them."""

    class Kind(models.TextChoices):
        BLOCKED = "BLOCKED", _("SIM bloccata")
        UNBLOCKED = "UNBLOCKED", _("SIM sbloccata")
        SIM_CHANGED = "SIM_CHANGED", _("SIM sostituita")
        RELOCATED = "RELOCATED", _("Linea traslocata")
        SERVICE_ACTIVATED = "SERVICE_ACTIVATED", _("Servizio attivato")

    line = models.ForeignKey(
        "accounts.Line", verbose_name=_("linea"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("evento"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("data e ora"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("autore"), max_length=300)
    details: models.JSONField[dict[str, Any]] = models.JSONField(
        _("dettagli"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("evento della linea")
        verbose_name_plural = _("storico delle linee")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["line", "-at"])]

    def __str__(self) -> str:
        return f"{self.line_id} {self.kind}"

    @property
    def reason_label(self) -> str:
        reason = self.details.get("reason")
        return str(BlockReason(reason).label) if reason in BlockReason.values else ""

    @property
    def report_due(self) -> date | None:
        """When the police report is due after a block for theft or loss without one."""
        due = self.details.get("report_due")
        return date.fromisoformat(due) if due else None
