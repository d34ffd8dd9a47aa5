"""Notifiche: the person's in-app notifications (the bell in the header), newest first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.access import signed_in, user_of
from accounts.models import Notification
from core.pagination import paginate

PER_PAGE = 25


@signed_in
def notification_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    notes = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    page, query = paginate(request, notes, PER_PAGE)
    return render(
        request,
        "costs/notifications.html",
        {"page": page, "query": query},
    )


@signed_in
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("costs:notifications")


@signed_in
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Mark one read and go where it points: only a path of this site, never elsewhere."""
    note = get_object_or_404(Notification, pk=pk, recipient=user_of(request))
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    target = note.url
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return redirect(target)
    return redirect("costs:notifications")
