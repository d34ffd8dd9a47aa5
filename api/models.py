"""Client systems of the operator (billing, shops, agents' tools) that call the JSON API."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from tracking.models import Channel

# The customer area itself is the WEB channel; client systems speak for the others.
API_CHANNELS = [choice for choice in Channel.choices if choice[0] != Channel.WEB]


class ApiScope(models.TextChoices):
    """What a client system may call: one scope for each kind of endpoint."""

    INVOICES_WRITE = "invoices:write", _("Caricare le fatture")
    USAGE_WRITE = "usage:write", _("Caricare il traffico")
    REQUESTS_READ = "requests:read", _("Leggere le richieste")
    REQUESTS_WRITE = "requests:write", _("Aprire e far avanzare le richieste")


class ApiClient(models.Model):
    """A client system and what it may do. Least privilege: a new client may call nothing,
    open requests for no channel and act for no customer until it is given them; every
    customer at once only when `all_companies` says so (a billing system)."""

    name = models.CharField(_("nome"), max_length=100, unique=True)
    # Only a hash of the token is kept; the token is shown once, when the client is made.
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("attivo"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Lists of values (JSON, so the SQLite demo keeps them too), checked by clean().
    scopes = models.JSONField(_("ambiti"), default=list, blank=True)
    channels = models.JSONField(
        _("canali"),
        default=list,
        blank=True,
        help_text=_("I canali per cui il sistema apre richieste."),
    )
    all_companies = models.BooleanField(
        _("tutti i clienti"),
        default=False,
        help_text=_("Solo per i sistemi che servono ogni cliente, come la fatturazione."),
    )
    companies = models.ManyToManyField(
        Company, blank=True, related_name="+", verbose_name=_("clienti")
    )

    class Meta:
        verbose_name = _("sistema client dell'API")
        verbose_name_plural = _("sistemi client dell'API")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.scopes, list) or set(self.scopes) - set(ApiScope.values):
            errors["scopes"] = _("Ambiti ammessi: %(allowed)s.") % {
                "allowed": ", ".join(ApiScope.values)
            }
        channels = [value for value, _label in API_CHANNELS]
        if not isinstance(self.channels, list) or set(self.channels) - set(channels):
            errors["channels"] = _("Canali ammessi: %(allowed)s.") % {
                "allowed": ", ".join(channels)
            }
        if errors:
            raise ValidationError(errors)

    def allows(self, scope: ApiScope) -> bool:
        return scope.value in self.scopes

    def opens_for(self, channel: str) -> bool:
        return channel in self.channels

    def customers(self) -> QuerySet[Company]:
        """The companies the client acts for; any other is, to it, absent."""
        if self.all_companies:
            return Company.objects.all()
        return Company.objects.filter(pk__in=self.companies.values("pk"))
