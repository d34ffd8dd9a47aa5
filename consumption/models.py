"""Usage of SIMs as the billing system records it: raw records, and the daily and monthly
aggregates that pages read (never the raw rows)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UsageKind(models.TextChoices):
    VOICE = "VOICE", _("Voce")  # quantity in seconds
    SMS = "SMS", _("SMS")  # quantity in messages
    DATA = "DATA", _("Dati")  # quantity in kilobytes


class Plan(models.Model):
    """A mobile plan's monthly allowances; None means unlimited."""

    name = models.CharField(_("nome"), max_length=100, unique=True)
    voice_minutes = models.PositiveIntegerField(_("minuti"), null=True, blank=True)
    sms = models.PositiveIntegerField(_("SMS"), null=True, blank=True)
    data_mb = models.PositiveIntegerField(_("dati (MB)"), null=True, blank=True)

    class Meta:
        verbose_name = _("piano tariffario")
        verbose_name_plural = _("piani tariffari")

    def __str__(self) -> str:
        return self.name


class LinePlan(models.Model):
    line = models.OneToOneField("accounts.Line", on_delete=models.CASCADE, related_name="plan")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.line}: {self.plan}"


class UsageRecord(models.Model):
    """One record from the billing system. `record_id` is the system's own id and the
    primary key: loading the same record twice stores it once.

    The import writes a row here for every record it stores, so the table keeps the one
    index its idempotency needs: no surrogate id beside record_id, no LIKE index for it
    (migration 0008), and no index on the line (no page reads raw records, only the
    aggregates; deleting a line scans them, a rare staff action)."""

    record_id = models.CharField(max_length=64, primary_key=True)
    # No database constraint: the import only stores lines it has just looked up (a row of
    # an unknown number is refused), and PostgreSQL's deferred check of a million records
    # cost about a fifth of the import. Django still cascades a line's deletion.
    line = models.ForeignKey(
        "accounts.Line",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    started_at = models.DateTimeField()
    kind = models.CharField(max_length=5, choices=UsageKind.choices)
    roaming = models.BooleanField(default=False)
    quantity = models.BigIntegerField()
    cost = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="usage_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.record_id


class UsageDaily(models.Model):
    """The records of a line for a day (Europe/Rome), a kind and national/roaming."""

    # Lookups by line use the unique constraint's index, which starts with it. No database
    # constraint, as for UsageRecord.line: the import writes only the lines of the records
    # it has just stored, and checking each aggregate at commit cost as much again.
    line = models.ForeignKey(
        "accounts.Line",
        on_delete=models.CASCADE,
        related_name="daily_usage",
        db_index=False,
        db_constraint=False,
    )
    day = models.DateField()
    kind = models.CharField(max_length=5, choices=UsageKind.choices)
    roaming = models.BooleanField(default=False)
    quantity = models.BigIntegerField()
    cost = models.DecimalField(max_digits=14, decimal_places=4)
    records = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["line", "day", "kind", "roaming"], name="one_aggregate_per_line_day_kind"
            )
        ]
        # No (day, line) index: every query of the daily aggregates names the line, and the
        # import kept that index up for nothing.

    def __str__(self) -> str:
        return f"{self.line_id} {self.day} {self.kind}"


class UsageMonthly(models.Model):
    """The daily aggregates of a line for a calendar month, a kind and national/roaming:
    what the all-SIMs page reads for whole months (a row a month instead of thirty)."""

    # Lookups by line use the unique constraint's index, which starts with it.
    line = models.ForeignKey(
        "accounts.Line", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()  # its first day
    kind = models.CharField(max_length=5, choices=UsageKind.choices)
    roaming = models.BooleanField(default=False)
    quantity = models.BigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
    records = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["line", "month", "kind", "roaming"],
                name="one_aggregate_per_line_month_kind",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="usage_month_is_its_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.month:%Y-%m} {self.kind}"


class SimCredit(models.Model):
    """The remaining credit of a SIM (for traffic outside the plan)."""

    line = models.OneToOneField("accounts.Line", on_delete=models.CASCADE, related_name="credit")
    balance = models.DecimalField(_("credito residuo"), max_digits=10, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.line}: {self.balance}"


class TopUp(models.Model):
    """An online top-up of a SIM: credited once, when its payment succeeds."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("In attesa del pagamento")
        CREDITED = "CREDITED", _("Accreditata")
        FAILED = "FAILED", _("Non riuscita")

    AMOUNTS = (5, 10, 15, 25, 50, 100)

    line = models.ForeignKey("accounts.Line", on_delete=models.PROTECT, related_name="top_ups")
    amount = models.DecimalField(_("importo"), max_digits=8, decimal_places=2)
    status = models.CharField(
        _("stato"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.PROTECT, related_name="top_up"
    )
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("richiesta il"), auto_now_add=True)
    credited_at = models.DateTimeField(_("accreditata il"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__in=[5, 10, 15, 25, 50, 100]), name="top_up_fixed_amounts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line} +{self.amount}"


class ThresholdMetric(models.TextChoices):
    DATA_PERCENT = "DATA_PERCENT", _("Dati usati nel mese (percentuale del traffico incluso)")
    ROAMING_SPEND = "ROAMING_SPEND", _("Spesa in roaming nel mese (€)")
    EXTRA_SPEND = "EXTRA_SPEND", _("Spesa extra totale nel mese (€)")


class Threshold(models.Model):
    """A monthly limit on a SIM or on a cost centre's SIMs. The usage import evaluates
    every threshold its records touch; one crossed alerts once per month (ThresholdAlert)."""

    Metric = ThresholdMetric

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="thresholds"
    )
    line = models.ForeignKey(
        "accounts.Line", on_delete=models.CASCADE, null=True, blank=True, related_name="thresholds"
    )
    cost_centre = models.ForeignKey(
        "accounts.CostCentre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="thresholds",
    )
    metric = models.CharField(_("indicatore"), max_length=15, choices=ThresholdMetric.choices)
    # A percentage for DATA_PERCENT, euro otherwise.
    limit = models.DecimalField(_("soglia"), max_digits=12, decimal_places=2)
    recipients = models.ManyToManyField(
        "accounts.User", verbose_name=_("destinatari"), related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("soglia")
        verbose_name_plural = _("soglie")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line__isnull=False, cost_centre__isnull=True)
                | Q(line__isnull=True, cost_centre__isnull=False),
                name="threshold_on_a_line_or_a_cost_centre",
            ),
            models.UniqueConstraint(
                fields=["line", "metric"],
                condition=Q(line__isnull=False),
                name="one_threshold_per_line_metric",
            ),
            models.UniqueConstraint(
                fields=["cost_centre", "metric"],
                condition=Q(cost_centre__isnull=False),
                name="one_threshold_per_cost_centre_metric",
            ),
            models.CheckConstraint(condition=Q(limit__gt=0), name="threshold_limit_positive"),
            models.CheckConstraint(
                condition=Q(metric__in=ThresholdMetric.values), name="threshold_metric_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.limit}"


class ThresholdAlert(models.Model):
    """A threshold crossed in a month: at most one per month, whatever re-imports and
    retries do; its notifications and e-mails go out once, with it."""

    threshold = models.ForeignKey(Threshold, on_delete=models.CASCADE, related_name="alerts")
    month = models.DateField()  # its first day
    value = models.DecimalField(_("valore"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when its e-mails have gone out: a task run again (its worker lost) skips it.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["threshold", "month"], name="one_alert_per_threshold_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="alert_month_is_its_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.threshold_id} {self.month:%Y-%m}"
