"""What is active on each line, and what happened to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Sim

# The most SIMs one order may ask for: a larger roll-out is a project for the sales team.
MAX_ORDER_QUANTITY = 100


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
        ACTIVATED = "ACTIVATED", _("Linea attivata")
        POLICE_REPORT = "POLICE_REPORT", _("Denuncia caricata")

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


class Plan(models.Model):
    """A mobile plan of the operator's catalogue, for companies of some segments: what a new
    SIM of an order (ampliamento) comes with."""

    code = models.SlugField(_("codice"), max_length=30, unique=True)
    name = models.CharField(_("nome"), max_length=100)
    description = models.CharField(_("descrizione"), max_length=300)
    monthly_fee = models.DecimalField(_("canone mensile"), max_digits=8, decimal_places=2)
    # Gigabytes a month; empty: unlimited.
    data_gb = models.PositiveIntegerField(_("GB al mese"), null=True, blank=True)
    segments: models.JSONField[list[str]] = models.JSONField(_("segmenti"), default=list)
    is_active = models.BooleanField(_("in catalogo"), default=True)

    class Meta:
        verbose_name = _("piano")
        verbose_name_plural = _("piani")
        ordering = ["monthly_fee", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="plan_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class SimOrder(models.Model):
    """What an order of new SIMs (an EXPANSION request) asks: how many, on which plan and
    contract, physical (shipped to the address) or eSIM (sent to the e-mail)."""

    request = models.OneToOneField(
        "tracking.Request", on_delete=models.CASCADE, related_name="sim_order"
    )
    contract = models.ForeignKey(
        "accounts.Contract", verbose_name=_("contratto"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(Plan, verbose_name=_("piano"), on_delete=models.PROTECT)
    sim_kind = models.CharField(_("tipo di SIM"), max_length=8, choices=Sim.Kind.choices)
    quantity = models.PositiveSmallIntegerField(_("quantità"))
    recipient = models.CharField(_("destinatario"), max_length=200, blank=True)
    street = models.CharField(_("indirizzo"), max_length=200, blank=True)
    postal_code = models.CharField(_("CAP"), max_length=5, blank=True)
    city = models.CharField(_("comune"), max_length=100, blank=True)
    province = models.CharField(_("provincia"), max_length=2, blank=True)
    contact_phone = models.CharField(_("telefono per il corriere"), max_length=16, blank=True)
    esim_email = models.EmailField(_("e-mail per le eSIM"), blank=True)

    class Meta:
        verbose_name = _("ordine di SIM")
        verbose_name_plural = _("ordini di SIM")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=MAX_ORDER_QUANTITY),
                name="sim_order_quantity_in_range",
            ),
            # A physical SIM needs an address to ship to, an eSIM an e-mail to arrive at.
            models.CheckConstraint(
                condition=(Q(sim_kind="PHYSICAL") & ~Q(street="") & Q(esim_email=""))
                | (Q(sim_kind="ESIM") & ~Q(esim_email="") & Q(street="")),
                name="sim_order_delivery_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.quantity} × {self.plan_id}"


class DonorOperator(models.TextChoices):
    TIM = "TIM", "TIM"
    VODAFONE = "VODAFONE", "Vodafone"
    WINDTRE = "WINDTRE", "WINDTRE"
    ILIAD = "ILIAD", "Iliad"
    FASTWEB = "FASTWEB", "Fastweb"
    POSTE = "POSTE", "PosteMobile"
    HO = "HO", "ho. Mobile"
    KENA = "KENA", "Kena Mobile"
    VERY = "VERY", "Very Mobile"
    COOP = "COOP", "CoopVoce"
    OTHER = "OTHER", _("Altro operatore")


class PortInState(models.TextChoices):
    REQUESTED = "REQUESTED", _("Richiesta")
    ACCEPTED = "ACCEPTED", _("Accettata dall'operatore di provenienza")
    SCHEDULED = "SCHEDULED", _("Data di passaggio fissata")
    DONE = "DONE", _("Completata")
    REFUSED = "REFUSED", _("Rifiutata")


P = PortInState
PORT_IN_TRANSITIONS: dict[PortInState, frozenset[PortInState]] = {
    P.REQUESTED: frozenset({P.ACCEPTED, P.REFUSED}),
    P.ACCEPTED: frozenset({P.SCHEDULED, P.REFUSED}),
    P.SCHEDULED: frozenset({P.DONE, P.REFUSED}),
    P.DONE: frozenset(),
    P.REFUSED: frozenset(),
}


class OrderedSim(models.Model):
    """One SIM of an order: who it is for and, with number portability, the number it keeps
    (with its own states). `line` is the line its order's completion created."""

    order = models.ForeignKey(SimOrder, on_delete=models.CASCADE, related_name="sims")
    position = models.PositiveSmallIntegerField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assegnatario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    line = models.OneToOneField(
        "accounts.Line", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    port_number = models.CharField(_("numero da portare"), max_length=16, blank=True)
    port_donor = models.CharField(
        _("operatore di provenienza"), max_length=10, choices=DonorOperator.choices, blank=True
    )
    port_iccid = models.CharField(_("ICCID della SIM attuale"), max_length=20, blank=True)
    port_holder_tax_code = models.CharField(
        _("codice fiscale dell'intestatario"), max_length=16, blank=True
    )
    port_state = models.CharField(
        _("stato della portabilità"), max_length=10, choices=PortInState.choices, blank=True
    )
    port_cutover_date = models.DateField(_("data di passaggio"), null=True, blank=True)
    port_refusal_reason = models.CharField(_("motivo del rifiuto"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("SIM ordinata")
        verbose_name_plural = _("SIM ordinate")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="ordered_sim_position_once"),
            # Portability is all or nothing: number, donor, ICCID, holder and a state.
            models.CheckConstraint(
                condition=(
                    Q(port_number="")
                    & Q(port_donor="")
                    & Q(port_iccid="")
                    & Q(port_holder_tax_code="")
                    & Q(port_state="")
                )
                | (
                    ~Q(port_number="")
                    & ~Q(port_donor="")
                    & ~Q(port_iccid="")
                    & ~Q(port_holder_tax_code="")
                    & Q(port_state__in=PortInState.values)
                ),
                name="ordered_sim_port_in_whole",
            ),
            models.CheckConstraint(
                condition=~Q(port_state=PortInState.REFUSED) | ~Q(port_refusal_reason=""),
                name="ordered_sim_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(port_state__in=[PortInState.SCHEDULED, PortInState.DONE])
                | Q(port_cutover_date__isnull=False),
                name="ordered_sim_scheduled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.position}"

    @property
    def ports_in(self) -> bool:
        return bool(self.port_number)


class PortInEvent(models.Model):
    """One step of a number's portability, for the order's timeline."""

    ordered_sim = models.ForeignKey(OrderedSim, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10, choices=PortInState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=PortInState.choices)
    at = models.DateTimeField(_("data e ora"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("nota"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ordered_sim_id}: {self.from_state or '-'} → {self.to_state}"


class TheftCase(models.Model):
    """A SIM blocked for theft or loss, followed to the end: the police report (uploaded at
    the block or within POLICE_REPORT_DAYS, a reminder before), the device's IMEI block and
    the replacement SIM, both tracked requests. MEDIA_ROOT is never served directly: the
    report leaves only through a view that checks who asks."""

    line = models.ForeignKey("accounts.Line", on_delete=models.CASCADE, related_name="theft_cases")
    block_event = models.OneToOneField(LineEvent, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("motivo"), max_length=10, choices=BlockReason.choices)
    report_due = models.DateField(_("denuncia da inviare entro"))
    report_file = models.FileField(upload_to="police-reports/%Y/%m/", blank=True)
    report_original_name = models.CharField(_("nome del file"), max_length=200, blank=True)
    report_content_type = models.CharField(max_length=50, blank=True)
    report_size = models.PositiveIntegerField(null=True, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    report_uploaded_at = models.DateTimeField(_("denuncia caricata il"), null=True, blank=True)
    report_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    device_request = models.OneToOneField(
        "tracking.Request", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replacement_request = models.OneToOneField(
        "tracking.Request", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("furto o smarrimento")
        verbose_name_plural = _("furti e smarrimenti")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=[BlockReason.THEFT, BlockReason.LOSS]),
                name="theft_case_reason_theft_or_loss",
            ),
        ]
        indexes = [
            # The daily reminder looks for reports still missing.
            models.Index(
                fields=["report_due"],
                condition=Q(report_uploaded_at__isnull=True, reminder_sent_at__isnull=True),
                name="theft_case_report_missing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.reason}"

    @property
    def has_report(self) -> bool:
        return self.report_uploaded_at is not None
