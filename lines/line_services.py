"""The services on lines as other sections see them: offers asks which lines have one and
adds its own when an activation completes."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Line
from lines.models import LineEvent, LineService, ServiceKind
from tracking.models import Request


def has_service(code: str) -> Exists:
    """Whether the line of the outer query (`OuterRef("pk")`) has the service `code` active,
    for filters and annotations over lines."""
    return Exists(LineService.objects.filter(line=OuterRef("pk"), code=code, until__isnull=True))


def line_services_add(
    *,
    lines: QuerySet[Line],
    code: str,
    name: str,
    kind: ServiceKind,
    monthly_fee: Decimal,
    request: Request | None = None,
) -> list[LineService]:
    """Activate a service on each of `lines` from today, each with its history entry, in
    the same few queries for one line or thousands; a line that has it active keeps it as
    it is. Returns the services added."""
    targets = list(lines.exclude(has_service(code)).order_by("pk").values_list("pk", flat=True))
    today = timezone.localdate()
    services = LineService.objects.bulk_create(
        LineService(
            line_id=pk,
            code=code,
            name=name,
            kind=kind,
            monthly_fee=monthly_fee,
            since=today,
            request=request,
        )
        for pk in targets
    )
    actor_name = _("Servizio clienti")
    details = {"service": name, "request": request.reference if request else ""}
    LineEvent.objects.bulk_create(
        LineEvent(
            line_id=pk,
            kind=LineEvent.Kind.SERVICE_ACTIVATED,
            actor_name=actor_name,
            details=details,
        )
        for pk in targets
    )
    return services
