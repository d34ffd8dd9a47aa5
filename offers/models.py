"""The catalogue of exclusive offers for business customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, Contract
from lines.models import ServiceKind


class Offer(models.Model):
    """An offer for companies of some segments, on lines of one kind, within its validity.
    Activated on a line, it becomes one of the line's services."""

    code = models.SlugField(_("codice"), max_length=30, unique=True)
    name = models.CharField(_("nome"), max_length=100)
    summary = models.CharField(_("in breve"), max_length=200)
    description = models.TextField(_("descrizione"))
    service_kind = models.CharField(
        _("tipo"), max_length=7, choices=ServiceKind.choices, default=ServiceKind.OPTION
    )
    line_kind = models.CharField(_("per linee"), max_length=6, choices=Contract.Kind.choices)
    # Segment codes of Company.Segment the offer is reserved to.
    segments: models.JSONField[list[str]] = models.JSONField(_("segmenti"), default=list)
    monthly_fee = models.DecimalField(_("canone mensile"), max_digits=8, decimal_places=2)
    activation_fee = models.DecimalField(
        _("costo di attivazione"), max_digits=8, decimal_places=2, default=0
    )
    min_duration_months = models.PositiveSmallIntegerField(
        _("durata minima (mesi)"), default=0, help_text=_("0: nessuna durata minima.")
    )
    early_termination_fee = models.DecimalField(
        _("costo di recesso anticipato"), max_digits=8, decimal_places=2, default=0
    )
    # Raised whenever the terms above change: an acceptance names the version it accepted.
    terms_version = models.PositiveIntegerField(_("versione delle condizioni"), default=1)
    valid_from = models.DateField(_("valida dal"))
    valid_until = models.DateField(_("valida fino al"))

    class Meta:
        verbose_name = _("offerta")
        verbose_name_plural = _("offerte")
        ordering = ["valid_until", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="offer_validity_ordered"
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee__gte=0, activation_fee__gte=0), name="offer_fees_positive"
            ),
            models.CheckConstraint(
                condition=Q(early_termination_fee__gte=0), name="offer_termination_fee_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def is_for(self, company: Company) -> bool:
        return company.segment in self.segments

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = set(self.segments) - set(Company.Segment.values)
        if not self.segments or unknown:
            raise ValidationError({"segments": _("Indica uno o più segmenti validi.")})

    def terms(self) -> list[str]:
        """The offer's terms, one sentence each, as the customer accepts them before the
        activation (the same text is stored with the request)."""

        def euro(value: Decimal) -> str:
            return f"{number_format(value, 2, use_l10n=True)} €"

        months = self.min_duration_months
        return [
            gettext("Canone mensile per linea: %(fee)s (IVA esclusa).")
            % {"fee": euro(self.monthly_fee)},
            gettext("Costo di attivazione per linea: %(fee)s, una volta sola.")
            % {"fee": euro(self.activation_fee)},
            (
                ngettext(
                    "Durata minima: %(months)d mese.", "Durata minima: %(months)d mesi.", months
                )
                % {"months": months}
                if months
                else gettext("Nessuna durata minima.")
            ),
            (
                gettext("Costo di recesso anticipato per linea: %(fee)s.")
                % {"fee": euro(self.early_termination_fee)}
                if self.early_termination_fee
                else gettext("Nessun costo di recesso anticipato.")
            ),
        ]

    def totals_for(self, line_count: int) -> dict[str, Any]:
        return {
            "monthly": self.monthly_fee * line_count,
            "activation": self.activation_fee * line_count,
        }


class ActivationLine(models.Model):
    """A line chosen in an offer activation request. One row a line rather than a list in
    the request's details: a request on thousands of SIMs is one bulk insert, and "already
    waiting for this offer" is an indexed join instead of a list read back and sent again."""

    # The unique constraint's index, led by the request, serves the request's lookups.
    request = models.ForeignKey(
        "tracking.Request", on_delete=models.CASCADE, related_name="offer_lines", db_index=False
    )
    line = models.ForeignKey("accounts.Line", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("linea dell'attivazione")
        verbose_name_plural = _("linee dell'attivazione")
        constraints = [
            models.UniqueConstraint(fields=["request", "line"], name="activation_line_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.line_id}"
