"""Client systems of the operator (billing, shops, agents' tools) that call the JSON API."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    name = models.CharField(_("nome"), max_length=100, unique=True)
    # Only a hash of the token is kept; the token is shown once, when the client is made.
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("attivo"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sistema client dell'API")
        verbose_name_plural = _("sistemi client dell'API")

    def __str__(self) -> str:
        return self.name
