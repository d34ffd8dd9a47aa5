"""People, companies, contracts and lines: the ownership every section scopes by."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from accounts.roles import Profile
from accounts.validators import (
    validate_codice_fiscale,
    validate_iccid,
    validate_partita_iva,
    validate_personal_codice_fiscale,
    validate_province,
)
from core.italy import validate_cap, validate_municipality, validate_phone_number


class TwoFactorPolicy(models.TextChoices):
    """Who of a company must sign in with a second factor (set by the LR)."""

    NOBODY = "NOBODY", _("Nessuno: ognuno sceglie")
    ADMINS = (
        "ADMINS",
        _("Gli amministratori (Rappresentante Legale, Amministratore Full e Amministratore Light)"),
    )
    EVERYONE = "EVERYONE", _("Tutti")


class Company(models.Model):
    """A customer company. The contract names its legal representative (LR) here; the LR's
    web account, when registered, is the one user of the company with profile LR."""

    class Segment(models.TextChoices):
        SOHO = "SOHO", _("Piccola impresa e professionisti")
        SME = "SME", _("PMI")
        CORPORATE = "CORPORATE", _("Grande azienda")

    name = models.CharField(_("ragione sociale"), max_length=200)
    vat_number = models.CharField(
        _("Partita IVA"), max_length=11, unique=True, validators=[validate_partita_iva]
    )
    tax_code = models.CharField(
        _("codice fiscale"), max_length=16, validators=[validate_codice_fiscale]
    )
    customer_code = models.CharField(_("codice cliente"), max_length=20, unique=True)
    segment = models.CharField(
        _("segmento"), max_length=10, choices=Segment.choices, default=Segment.SME
    )
    legal_street = models.CharField(_("indirizzo della sede legale"), max_length=200)
    legal_postal_code = models.CharField(_("CAP"), max_length=5, validators=[validate_cap])
    legal_city = models.CharField(_("comune"), max_length=100, validators=[validate_municipality])
    legal_province = models.CharField(_("provincia"), max_length=2, validators=[validate_province])
    contact_email = models.EmailField(_("e-mail per le comunicazioni"))
    legal_rep_first_name = models.CharField(_("nome del rappresentante legale"), max_length=100)
    legal_rep_last_name = models.CharField(_("cognome del rappresentante legale"), max_length=100)
    legal_rep_tax_code = models.CharField(
        _("codice fiscale del rappresentante legale"),
        max_length=16,
        validators=[validate_personal_codice_fiscale],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on every request, confirmation or staff change of contact_email: a confirmation
    # link carries the value it was issued with, so it works once and only if it is the latest.
    contact_email_nonce = models.PositiveIntegerField(default=0, editable=False)
    two_factor_policy = models.CharField(
        _("verifica in due passaggi obbligatoria per"),
        max_length=10,
        choices=TwoFactorPolicy.choices,
        default=TwoFactorPolicy.NOBODY,
    )

    class Meta:
        verbose_name = _("azienda")
        verbose_name_plural = _("aziende")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vat_number__regex=r"^\d{11}$"), name="company_vat_number_11_digits"
            ),
            models.CheckConstraint(
                condition=Q(legal_postal_code__regex=r"^\d{5}$"), name="company_cap_5_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def requires_second_factor(self, profile: str | None) -> bool:
        """Whether the company's policy asks a person of `profile` for a second factor."""
        if self.two_factor_policy == TwoFactorPolicy.EVERYONE:
            return True
        return self.two_factor_policy == TwoFactorPolicy.ADMINS and profile in {
            Profile.LR,
            Profile.FULL,
            Profile.LIGHT,
        }

    @property
    def legal_rep_name(self) -> str:
        return f"{self.legal_rep_first_name} {self.legal_rep_last_name}"

    @property
    def legal_address(self) -> str:
        return (
            f"{self.legal_street}, {self.legal_postal_code} {self.legal_city} "
            f"({self.legal_province})"
        )


class UserManager(DjangoUserManager["User"]):
    def get(self, *args: Any, **kwargs: Any) -> User:
        """`User.objects.get(pk=...)`, as every signed-in request reads its person (Django's
        authentication backends), is one plain query on PostgreSQL: building it through the
        ORM cost twice as much as running it (0.69 ms against 0.23 ms a read, measured on
        the bench database). Any other read is the ORM's: another lookup, a key that is an
        expression, SQLite (the demo, whose values need converting) and the managers Django
        derives from this one for relations (`company.users`), whose filter this would skip."""
        using = self.db
        connection = connections[using]
        if (
            type(self) is not UserManager
            or args
            or kwargs.keys() != {"pk"}
            or not isinstance(kwargs["pk"], int | str)
            or connection.vendor != "postgresql"
        ):
            return super().get(*args, **kwargs)
        fields = self.model._meta.concrete_fields
        pk = self.model._meta.pk
        quote = connection.ops.quote_name
        columns = ", ".join(quote(cast(str, field.column)) for field in fields)
        table, key = quote(self.model._meta.db_table), quote(cast(str, pk.column))
        query = f"SELECT {columns} FROM {table} WHERE {key} = %s"  # noqa: S608 - the model's own
        with connection.cursor() as cursor:
            cursor.execute(query, [pk.get_db_prep_value(kwargs["pk"], connection)])
            row = cursor.fetchone()
        if row is None:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return self.model.from_db(using, [field.attname for field in fields], row)


class User(AbstractUser):
    """A person with a web account. Customers belong to one company and hold one profile;
    back-office staff belong to none."""

    objects: ClassVar[UserManager] = UserManager()

    company = models.ForeignKey(
        Company,
        verbose_name=_("azienda"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # NULL, not "", for staff: the check constraint below pairs it with company.
    profile = models.CharField(  # noqa: DJ001
        _("profilo web"), max_length=5, choices=Profile.choices, null=True, blank=True
    )
    tax_code = models.CharField(
        _("codice fiscale"),
        max_length=16,
        blank=True,
        validators=[validate_personal_codice_fiscale],
    )
    phone = models.CharField(
        _("telefono"), max_length=16, blank=True, validators=[validate_phone_number]
    )
    # As Company.contact_email_nonce, for the personal e-mail (a sign-in identifier).
    email_change_nonce = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("utente")
        verbose_name_plural = _("utenti")
        constraints = [
            # A customer has a company and a profile; staff have neither.
            models.CheckConstraint(
                condition=Q(company__isnull=True, profile__isnull=True)
                | Q(company__isnull=False, profile__isnull=False),
                name="user_company_iff_profile",
            ),
            models.CheckConstraint(
                condition=Q(profile__isnull=True) | Q(profile__in=Profile.values),
                name="user_profile_known",
            ),
            # The contract names one legal representative: at most one LR account each.
            models.UniqueConstraint(
                fields=["company"], condition=Q(profile=Profile.LR), name="one_lr_per_company"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Contract(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "MOBILE", _("Mobile")
        FIXED = "FIXED", _("Fisso")

    company = models.ForeignKey(
        Company, verbose_name=_("azienda"), on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField(_("numero contratto"), max_length=20, unique=True)
    kind = models.CharField(_("tipo"), max_length=6, choices=Kind.choices)
    started_on = models.DateField(_("data di attivazione"))

    class Meta:
        verbose_name = _("contratto")
        verbose_name_plural = _("contratti")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_kind_display()})"


class LineState(models.TextChoices):
    ACTIVE = "ACTIVE", _("Attiva")
    BLOCKED = "BLOCKED", _("Bloccata")
    SUSPENDED = "SUSPENDED", _("Sospesa")
    CEASED = "CEASED", _("Cessata")


class LineTechnology(models.TextChoices):
    """How a fixed line reaches the exchange: what its diagnosis can measure depends on it
    (light on a fibre, noise and attenuation on a copper pair)."""

    FTTH = "FTTH", _("Fibra ottica fino all'ufficio (FTTH)")
    FTTC = "FTTC", _("Fibra misto rame (FTTC)")
    ADSL = "ADSL", _("ADSL su rame")


class Line(models.Model):
    """A fixed line or a mobile SIM line. It belongs to its company through its contract."""

    State = LineState
    Technology = LineTechnology

    contract = models.ForeignKey(
        Contract, verbose_name=_("contratto"), on_delete=models.PROTECT, related_name="lines"
    )
    number = models.CharField(
        _("numero"), max_length=16, unique=True, validators=[validate_phone_number]
    )
    label = models.CharField(_("descrizione"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        User,
        verbose_name=_("assegnatario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_lines",
    )
    state = models.CharField(_("stato"), max_length=10, choices=State.choices, default=State.ACTIVE)
    dual_billing = models.BooleanField(_("Dual Billing"), default=False)
    activated_on = models.DateField(_("data di attivazione"))
    # The access technology of a fixed line; empty for mobile lines (Line.clean).
    technology = models.CharField(
        _("tecnologia di accesso"), max_length=4, choices=Technology.choices, blank=True
    )
    # Where a fixed line is installed; a relocation moves it. Empty for mobile lines.
    site_street = models.CharField(_("indirizzo di installazione"), max_length=200, blank=True)
    site_postal_code = models.CharField(
        _("CAP"), max_length=5, blank=True, validators=[validate_cap]
    )
    site_city = models.CharField(
        _("comune"), max_length=100, blank=True, validators=[validate_municipality]
    )
    site_province = models.CharField(
        _("provincia"), max_length=2, blank=True, validators=[validate_province]
    )
    # Moved only through costs.services.lines_assign, which also writes the history
    # (LineCostCentreChange) that past months' usage rolls up by.
    cost_centre = models.ForeignKey(
        "CostCentre",
        verbose_name=_("centro di costo"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lines",
    )

    class Meta:
        verbose_name = _("linea")
        verbose_name_plural = _("linee")
        ordering = ["number"]
        permissions = [("act_as_referente", "Referente della linea")]
        constraints = [
            # Personal invoices of a Dual Billing line go to the person it is assigned to.
            models.CheckConstraint(
                condition=Q(dual_billing=False) | Q(assignee__isnull=False),
                name="line_dual_billing_needs_assignee",
            ),
            models.CheckConstraint(
                condition=Q(state__in=LineState.values), name="line_state_known"
            ),
            # Whether a line is fixed is its contract's: a check cannot see it, Line.clean does.
            models.CheckConstraint(
                condition=Q(technology__in=[*LineTechnology.values, ""]),
                name="line_technology_known",
            ),
        ]
        indexes = [models.Index(fields=["contract", "number"])]

    def __str__(self) -> str:
        return self.number

    @property
    def kind(self) -> str:
        return self.contract.kind

    @property
    def is_mobile(self) -> bool:
        return self.contract.kind == Contract.Kind.MOBILE

    # What the state allows, asked by templates and services alike (never the state's code).
    # The line list's plain rows carry the same answers: lines.selectors.line_rows.

    @property
    def is_active(self) -> bool:
        return self.state == LineState.ACTIVE

    @property
    def is_blocked(self) -> bool:
        return self.state == LineState.BLOCKED

    @property
    def state_badge(self) -> str:
        """The Bootstrap badge class its state shows with (partials/line_state.html)."""
        if self.is_active:
            return "text-bg-success"
        if self.is_blocked:
            return "text-bg-danger"
        return "text-bg-secondary"

    @property
    def is_ceased(self) -> bool:
        return self.state == LineState.CEASED

    @property
    def can_block(self) -> bool:
        """A SIM is blocked while active; a suspended or ceased one has no traffic to stop."""
        return self.is_active

    @property
    def can_unblock(self) -> bool:
        return self.is_blocked

    @property
    def can_top_up(self) -> bool:
        return self.is_active

    @property
    def state_label(self) -> str:
        return str(self.get_state_display())

    @property
    def technology_label(self) -> str:
        return str(self.get_technology_display())

    @property
    def site_address(self) -> str:
        if not self.site_street:
            return ""
        return (
            f"{self.site_street}, {self.site_postal_code} {self.site_city} ({self.site_province})"
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        assignee = self.assignee
        if (
            assignee is not None
            and self.contract_id is not None
            and assignee.company_id != self.contract.company_id
        ):
            raise ValidationError(
                {"assignee": _("La linea può essere assegnata solo a persone dell'azienda.")}
            )
        if self.contract_id is not None:
            if self.is_mobile and self.technology:
                raise ValidationError(
                    {"technology": _("Una linea mobile non ha una tecnologia di accesso fissa.")}
                )
            # Required of new fixed lines; lines from before the field keep working (their
            # diagnosis shows sync and speed only) until an operator records it.
            if not self.is_mobile and not self.technology and self._state.adding:
                raise ValidationError(
                    {"technology": _("Indica la tecnologia di accesso della linea fissa.")}
                )


class Sim(models.Model):
    """The SIM card in a mobile line; after a SIM change the old one stays as history."""

    class Kind(models.TextChoices):
        PHYSICAL = "PHYSICAL", _("SIM fisica")
        ESIM = "ESIM", _("eSIM")

    line = models.ForeignKey(
        Line, verbose_name=_("linea"), on_delete=models.CASCADE, related_name="sims"
    )
    iccid = models.CharField(_("ICCID"), max_length=20, unique=True, validators=[validate_iccid])
    puk = models.CharField(_("PUK"), max_length=8)
    kind = models.CharField(_("tipo"), max_length=8, choices=Kind.choices, default=Kind.PHYSICAL)
    is_active = models.BooleanField(_("in uso"), default=True)
    activated_on = models.DateField(_("data di attivazione"))

    class Meta:
        verbose_name = _("SIM")
        verbose_name_plural = _("SIM")
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(is_active=True), name="one_active_sim_per_line"
            ),
            models.CheckConstraint(condition=Q(puk__regex=r"^\d{8}$"), name="sim_puk_8_digits"),
        ]

    def __str__(self) -> str:
        return self.iccid


class CostCentre(models.Model):
    """A company's cost centre: lines are assigned to it, and invoices and usage roll up by
    it. Invoice rows keep the centre their line had when the invoice was issued."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="cost_centres")
    code = models.CharField(_("codice"), max_length=20)
    name = models.CharField(_("nome"), max_length=100)
    manager = models.ForeignKey(
        User,
        verbose_name=_("responsabile"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("centro di costo")
        verbose_name_plural = _("centri di costo")
        ordering = ["code"]
        constraints = [
            # Codes are stored upper-case (the form normalises them): one per company.
            models.UniqueConstraint(
                fields=["company", "code"], name="one_cost_centre_code_per_company"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="cost_centre_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class LineCostCentreChange(models.Model):
    """From `since` on, `line` belongs to `cost_centre` (None: to none). A month's usage
    rolls up by the centre the line had at the month's end, so moving a line does not
    rewrite past months."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="cost_centre_changes")
    cost_centre = models.ForeignKey(
        CostCentre, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    since = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-since", "-id"]
        indexes = [models.Index(fields=["line", "-since"])]

    def __str__(self) -> str:
        return f"{self.line_id} → {self.cost_centre_id} ({self.since:%Y-%m-%d})"


class Notification(models.Model):
    """A message in the person's in-app list (the bell in the header), e.g. a crossed
    threshold or an export ready. `key` makes the same event notify a person once."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    title = models.CharField(_("titolo"), max_length=200)
    body = models.TextField(_("testo"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("data e ora"), default=timezone.now)
    read_at = models.DateTimeField(_("letta il"), null=True, blank=True)

    class Meta:
        verbose_name = _("notifica")
        verbose_name_plural = _("notifiche")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="one_notification_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LineUserObjectPermission(UserObjectPermissionBase):
    """Referente delegations: direct foreign keys instead of guardian's generic table."""

    content_object = models.ForeignKey(Line, on_delete=models.CASCADE)


class AuditEntry(models.Model):
    """Who changed what, and when. Names are copied so the record outlives the people."""

    class Action(models.TextChoices):
        PROFILE_CHANGED = "PROFILE_CHANGED", _("Profilo web modificato")
        LEGAL_REP_CHANGED = "LEGAL_REP_CHANGED", _("Rappresentante Legale cambiato")
        PASSWORD_CHANGED = "PASSWORD_CHANGED", _("Password modificata")
        CONTACT_EMAIL_CHANGED = "CONTACT_EMAIL_CHANGED", _("E-mail aziendale modificata")
        LEGAL_ADDRESS_REQUESTED = "LEGAL_ADDRESS_REQUESTED", _("Cambio della sede legale richiesto")
        LEGAL_ADDRESS_CHANGED = "LEGAL_ADDRESS_CHANGED", _("Sede legale modificata")
        EMPLOYEE_INVITED = "EMPLOYEE_INVITED", _("Dipendente invitato")
        INVITATION_RESENT = "INVITATION_RESENT", _("Invito inviato di nuovo")
        INVITATION_REVOKED = "INVITATION_REVOKED", _("Invito revocato")
        EMPLOYEE_REGISTERED = "EMPLOYEE_REGISTERED", _("Dipendente registrato")
        LEGAL_REP_REGISTERED = "LEGAL_REP_REGISTERED", _("Rappresentante Legale registrato")
        LINES_ASSIGNED = "LINES_ASSIGNED", _("Linee assegnate")
        REFERENTE_CHANGED = "REFERENTE_CHANGED", _("Linee da Referente modificate")
        PERSONAL_DATA_CHANGED = "PERSONAL_DATA_CHANGED", _("Dati personali modificati")
        EMAIL_CHANGED = "EMAIL_CHANGED", _("E-mail personale modificata")
        ACCOUNT_CHANGED = "ACCOUNT_CHANGED", _("Utenza modificata dal servizio clienti")
        COMPANY_CHANGED = "COMPANY_CHANGED", _("Dati aziendali modificati dal servizio clienti")
        LINE_CHANGED = "LINE_CHANGED", _("Linea modificata dal servizio clienti")
        TWO_FACTOR_POLICY_CHANGED = (
            "TWO_FACTOR_POLICY_CHANGED",
            _("Obbligo di verifica in due passaggi modificato"),
        )
        SECOND_FACTOR_ADDED = "SECOND_FACTOR_ADDED", _("Metodo di verifica aggiunto")
        SECOND_FACTOR_REMOVED = "SECOND_FACTOR_REMOVED", _("Metodo di verifica rimosso")
        RECOVERY_CODES_REGENERATED = (
            "RECOVERY_CODES_REGENERATED",
            _("Codici di recupero generati di nuovo"),
        )
        SECOND_FACTOR_RESET = "SECOND_FACTOR_RESET", _("Verifica in due passaggi azzerata")
        APPROVAL_POLICY_CHANGED = "APPROVAL_POLICY_CHANGED", _("Regole di approvazione modificate")
        REQUEST_APPROVED = "REQUEST_APPROVED", _("Richiesta approvata")
        REQUEST_REJECTED = "REQUEST_REJECTED", _("Richiesta respinta in approvazione")

    at = models.DateTimeField(_("data e ora"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("autore"), max_length=300)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    action = models.CharField(_("azione"), max_length=30, choices=Action.choices)
    target = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_name = models.CharField(_("interessato"), max_length=300, blank=True)
    changes: models.JSONField[dict[str, Any]] = models.JSONField(
        _("modifiche"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("voce del registro attività")
        verbose_name_plural = _("registro attività")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class Invitation(models.Model):
    """The LR's invitation of an employee: a single-use link that expires, through which the
    employee chooses username and password. Only a hash of the link's token is stored."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    first_name = models.CharField(_("nome"), max_length=150)
    last_name = models.CharField(_("cognome"), max_length=150)
    email = models.EmailField(_("e-mail"))
    tax_code = models.CharField(
        _("codice fiscale"), max_length=16, validators=[validate_personal_codice_fiscale]
    )
    profile = models.CharField(
        _("profilo web"), max_length=5, choices=Profile.choices, default=Profile.USER
    )
    lines = models.ManyToManyField(Line, verbose_name=_("linee"), blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    sent_at = models.DateTimeField(_("inviato il"))
    expires_at = models.DateTimeField(_("scade il"))
    accepted_at = models.DateTimeField(_("accettato il"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocato il"), null=True, blank=True)
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )

    class Meta:
        verbose_name = _("invito")
        verbose_name_plural = _("inviti")
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address in each company; the LR cannot be invited.
            # Per company, not global: a global one would make a second company's
            # invitation fail, and that failure would tell its LR that someone else
            # invited the address (issue 13, item 11).
            models.UniqueConstraint(
                fields=["company", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_company_email",
            ),
            models.CheckConstraint(
                condition=~Q(profile=Profile.LR), name="invitation_profile_not_lr"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
