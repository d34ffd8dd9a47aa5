"""Controllo costi's own records: the monthly reports people subscribe to. Cost centres
(accounts) and thresholds (consumption) live where the lines and the usage import use them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportSubscription(models.Model):
    """A person's monthly e-mail of reports for the accounts (K4): which reports, and
    whether as XLSX attachments or as links to the same downloads in the customer area."""

    class Delivery(models.TextChoices):
        ATTACHMENTS = "ATTACHMENTS", _("File XLSX allegati all'e-mail")
        LINKS = "LINKS", _("Link per scaricarli dall'Area Clienti")

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscription"
    )
    invoices = models.BooleanField(_("fatture del mese"), default=True)
    usage = models.BooleanField(_("consumi di ogni SIM"), default=True)
    cost_centres = models.BooleanField(_("riepilogo per centro di costo"), default=True)
    delivery = models.CharField(
        _("formato"), max_length=12, choices=Delivery.choices, default=Delivery.ATTACHMENTS
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("iscrizione ai report mensili")
        verbose_name_plural = _("iscrizioni ai report mensili")
        constraints = [
            models.CheckConstraint(
                condition=Q(invoices=True) | Q(usage=True) | Q(cost_centres=True),
                name="report_subscription_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=["ATTACHMENTS", "LINKS"]),
                name="report_delivery_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.delivery}"


class ReportDelivery(models.Model):
    """A month's reports sent to a person: at most one per person and month, however many
    times the sender runs (two senders at once too), and whether they unsubscribe and
    subscribe again meanwhile."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_deliveries"
    )
    period = models.DateField()  # the month's first day
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period"], name="one_report_delivery_per_month"
            ),
            models.CheckConstraint(
                condition=Q(period__day=1), name="report_period_is_its_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period:%Y-%m}"
