"""Assistenza online: chats with an operator and the files attached to requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import download_name


class Conversation(models.Model):
    """A customer's chat with the operator. One open at a time per person."""

    class State(models.TextChoices):
        WAITING = "WAITING", _("In attesa di un operatore")
        ACTIVE = "ACTIVE", _("Con un operatore")
        CLOSED = "CLOSED", _("Chiusa")

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="conversations"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    topic = models.CharField(_("argomento"), max_length=150)
    state = models.CharField(_("stato"), max_length=8, choices=State.choices, default=State.WAITING)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("iniziata il"), auto_now_add=True)
    closed_at = models.DateTimeField(_("chiusa il"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chat")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["customer", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=~Q(state="CLOSED"),
                name="one_open_conversation_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["WAITING", "ACTIVE", "CLOSED"]),
                name="conversation_state_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.topic}"

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_operator = models.BooleanField(default=False)
    body = models.TextField(_("messaggio"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("messaggio")
        verbose_name_plural = _("messaggi")
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"])]

    def __str__(self) -> str:
        return self.body[:50]


class Attachment(models.Model):
    """A file sent with a request. MEDIA_ROOT is never served directly: files leave only
    through a view that checks who asks."""

    request = models.ForeignKey(
        "tracking.Request", on_delete=models.CASCADE, related_name="attachments"
    )
    # The customer's answer it came with (empty: sent with the request itself), so the
    # timeline shows each file beside the message that explains it.
    event = models.ForeignKey(
        "tracking.RequestEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("nome del file"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allegato")
        verbose_name_plural = _("allegati")

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """Derived when served, so files stored before this rule are named safely too."""
        return download_name(self.original_name, self.content_type)
