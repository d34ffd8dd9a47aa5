"""Theft and loss, followed in one place (TheftCase): the block that opens the case
(lines.services.sim_block), the police report's copy, the reminder before it is due, the
device's IMEI block and the replacement SIM, both tracked requests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Line, Sim, User
from accounts.roles import Profile
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from core.uploads import EXTENSIONS, sha256_of
from lines import services
from lines.models import BlockReason, LineEvent, SimChangeReason, TheftCase
from tracking.models import Request, RequestKind, RequestState, Shipment
from tracking.services import open_request_of, request_create_once

# The reminder goes out this many days before the report is due (day 7 of 10).
REMINDER_DAYS_BEFORE_DUE = 3
# A case that needs nothing more stays on the line's page this long after the block.
STORY_DAYS = 30
# A request closed so: the case may ask again (a new IMEI block, a new SIM).
UNSUCCESSFUL = frozenset({RequestState.REJECTED, RequestState.CANCELLED})


def standing(tracked: Request | None) -> Request | None:
    """The case's request unless it was rejected or cancelled: then the case asks again."""
    return tracked if tracked is not None and tracked.state not in UNSUCCESSFUL else None


@transaction.atomic
def sim_block_with_report(
    *,
    actor: User,
    line: Line,
    reason: str,
    note: str = "",
    report_date: date | None = None,
    report_authority: str = "",
    report: UploadedFile[bytes] | None = None,
    report_type: str = "",
) -> tuple[LineEvent, TheftCase | None]:
    """Block the SIM and, for a theft or loss, keep the police report's copy given with the
    block (checked by the form, `report_type` detected from its content): one transaction,
    so a refused block keeps no file record. The block's e-mail follows the file, so that
    it asks for the copy only when it is still missing."""
    event = services.sim_block(
        actor=actor,
        line=line,
        reason=reason,
        note=note,
        report_date=report_date,
        report_authority=report_authority,
        notify=False,
    )
    case = TheftCase.objects.filter(block_event=event).first()
    if case is not None and report is not None:
        case = police_report_attach(case=case, actor=actor, upload=report, content_type=report_type)
    services.notify_block(event.line, event, actor, case=case)
    return event, case


@transaction.atomic
def police_report_attach(
    *, case: TheftCase, actor: User, upload: UploadedFile[bytes], content_type: str
) -> TheftCase:
    """Keep the copy of the police report (checked by the form; `content_type` detected
    from its content) on the case, once. A copy after the due date is still taken: the
    line's history says it came late."""
    locked = TheftCase.objects.select_for_update().select_related("line").get(pk=case.pk)
    if locked.has_report:
        raise ActionRefused(_("La copia della denuncia è già stata caricata."))
    now = timezone.now()
    late = timezone.localdate(now) > locked.report_due
    locked.report_original_name = (upload.name or "denuncia")[:200]
    locked.report_content_type = content_type
    locked.report_size = upload.size or 0
    locked.report_sha256 = sha256_of(upload)
    locked.report_uploaded_at = now
    locked.report_uploaded_by = actor
    # A name of ours on disk: the customer's file name is kept only as data.
    locked.report_file.save(
        f"denuncia-{locked.line_id}-{locked.pk}.{EXTENSIONS[content_type]}", upload, save=False
    )
    locked.save()
    services._record(locked.line, LineEvent.Kind.POLICE_REPORT, actor, case=locked.pk, late=late)
    return locked


def report_is_late(case: TheftCase) -> bool:
    """Uploaded after its due date, or still missing past it."""
    if case.report_uploaded_at is not None:
        return timezone.localdate(case.report_uploaded_at) > case.report_due
    return timezone.localdate() > case.report_due


@transaction.atomic
def device_block_request(*, actor: User, case: TheftCase, imei: str, device: str = "") -> Request:
    """Ask the operator to block the stolen or lost device on every network by its IMEI
    (checked by the form): one request per case, or a new one when it was rejected or
    cancelled."""
    locked = (
        TheftCase.objects.select_for_update(of=("self",))
        .select_related("line__contract", "device_request")
        .get(pk=case.pk)
    )
    if standing(locked.device_request) is not None:
        raise ActionRefused(_("Il blocco del dispositivo è già stato chiesto per questo caso."))
    line = locked.line
    tracked = request_create_once(
        company=line.contract.company,
        kind=RequestKind.DEVICE_BLOCK,
        line=line,
        requester=actor,
        summary=_("Blocco del dispositivo con IMEI %(imei)s (linea %(number)s)")
        % {"imei": imei, "number": line.number},
        details={"imei": imei, "device": device, "reason": locked.reason},
    )
    locked.device_request = tracked
    locked.save(update_fields=["device_request"])
    return tracked


@transaction.atomic
def replacement_request(
    *, actor: User, case: TheftCase, sim_kind: str, details: dict[str, Any]
) -> Request:
    """The new SIM for the case's line (a SIM change for theft or loss, shipped to the
    address in `details["delivery"]` or sent as an eSIM): one per case, or a new one when
    it was rejected or cancelled. A SIM change for theft or loss already open on the line
    (asked from the line's page) is the case's: linked, not asked twice."""
    locked = (
        TheftCase.objects.select_for_update(of=("self",))
        .select_related("line__contract", "replacement_request")
        .get(pk=case.pk)
    )
    if standing(locked.replacement_request) is not None:
        raise ActionRefused(_("La nuova SIM è già stata richiesta per questo caso."))
    line = locked.line
    tracked = open_request_of(company=line.contract.company, kind=RequestKind.SIM_CHANGE, line=line)
    if tracked is not None and tracked.details.get("reason") == SimChangeReason.THEFT_LOSS:
        # An older case of the line may hold it: the newest block is the one it answers.
        TheftCase.objects.filter(replacement_request=tracked).update(replacement_request=None)
    else:
        tracked = services.sim_change_request(
            actor=actor,
            line=line,
            reason=SimChangeReason.THEFT_LOSS,
            sim_kind=sim_kind,
            details=details,
        )
    locked.replacement_request = tracked
    locked.save(update_fields=["replacement_request"])
    return tracked


def police_report_reminders_send(*, today: date | None = None) -> int:
    """E-mail, once per case, the person who blocked the SIM and the company's LR when the
    report's copy is still missing REMINDER_DAYS_BEFORE_DUE days before it is due (or later).
    The case is marked in the transaction that reads it under a skipping lock, so two runs
    at once, or one run twice, send each reminder once. Returns how many cases were
    reminded."""
    today = today or timezone.localdate()
    with transaction.atomic():
        cases = list(
            TheftCase.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                report_uploaded_at__isnull=True,
                reminder_sent_at__isnull=True,
                report_due__lte=today + timedelta(days=REMINDER_DAYS_BEFORE_DUE),
            )
            # A lost SIM found again (unblocked) needs no police report.
            .exclude(Q(reason=BlockReason.LOSS) & Exists(_unblocked_since_block()))
            .select_related("line__contract__company", "block_event__actor")
            .order_by("id")
        )
        now = timezone.now()
        for case in cases:
            _remind(case)
        TheftCase.objects.filter(pk__in=[case.pk for case in cases]).update(reminder_sent_at=now)
    return len(cases)


def _unblocked_since_block() -> QuerySet[LineEvent]:
    return LineEvent.objects.filter(
        line_id=OuterRef("line_id"),
        kind=LineEvent.Kind.UNBLOCKED,
        at__gte=OuterRef("block_event__at"),
    )


def _remind(case: TheftCase) -> None:
    company = case.line.contract.company
    who = Q(company=company, profile=Profile.LR, is_active=True)
    if case.block_event.actor_id is not None:
        who |= Q(pk=case.block_event.actor_id, is_active=True)
    recipients = sorted(
        set(User.objects.filter(who).exclude(email="").values_list("email", flat=True))
    )
    if not recipients:
        return
    path = reverse("lines:theft-case", args=[case.line_id, case.pk])
    send_templated_email(
        "lines/email/police_report_reminder",
        {"case": case, "line": case.line, "url": f"{settings.SITE_URL}{path}"},
        recipients,
    )


# --- Reads: the story a case tells, on its page and on the line's ------------------------


@dataclass(frozen=True)
class TheftStory:
    case: TheftCase
    report_late: bool
    shipment: Shipment | None  # the replacement SIM's latest one
    sim_changed: LineEvent | None  # the new SIM, once active
    unblocked: LineEvent | None  # the SIM unblocked (found again) instead

    @property
    def report_needed(self) -> bool:
        """The copy is still to come: a lost SIM found again (unblocked) needs none."""
        found = self.case.reason == BlockReason.LOSS and self.unblocked is not None
        return not self.case.has_report and not found

    @property
    def is_open(self) -> bool:
        """Something is left to do: the report's copy, or the line still without a SIM."""
        return self.report_needed or (self.sim_changed is None and self.unblocked is None)

    @property
    def device_request(self) -> Request | None:
        return standing(self.case.device_request)

    @property
    def replacement_request(self) -> Request | None:
        return standing(self.case.replacement_request)

    @property
    def may_ask_replacement(self) -> bool:
        return (
            self.replacement_request is None
            and self.sim_changed is None
            and (self.unblocked is None)
        )


def cases_with_story() -> QuerySet[TheftCase]:
    return TheftCase.objects.select_related(
        "block_event", "device_request", "replacement_request", "report_uploaded_by"
    )


def story_of(case: TheftCase) -> TheftStory:
    """What happened since the block, in two queries."""
    # Asked even before a replacement exists (then it finds none): the page costs the same
    # queries at every step of the story.
    shipment = (
        Shipment.objects.filter(Q(request_id=case.replacement_request_id)).order_by("-id").first()
    )
    after = LineEvent.objects.filter(
        line_id=case.line_id,
        kind__in=[LineEvent.Kind.SIM_CHANGED, LineEvent.Kind.UNBLOCKED],
        at__gte=case.block_event.at,
    ).order_by("at", "id")
    sim_changed = unblocked = None
    for event in after:
        if event.kind == LineEvent.Kind.SIM_CHANGED and sim_changed is None:
            sim_changed = event
        elif event.kind == LineEvent.Kind.UNBLOCKED and unblocked is None:
            unblocked = event
    story = TheftStory(
        case=case,
        report_late=False,
        shipment=shipment,
        sim_changed=sim_changed,
        unblocked=unblocked,
    )
    late = report_is_late(case) if case.has_report or story.report_needed else False
    return dataclasses.replace(story, report_late=late)


def latest_story(line: Line) -> TheftStory | None:
    """The line's latest theft or loss, told from the block to the new SIM, while the case
    is open or for STORY_DAYS after the block."""
    case = cases_with_story().filter(line=line).first()
    if case is None:
        return None
    case.line = line
    story = story_of(case)
    recent = timezone.now() - case.block_event.at <= timedelta(days=STORY_DAYS)
    return story if story.is_open or recent else None


def replacement_initial(case: TheftCase, user: User) -> dict[str, Any]:
    """The replacement SIM's form, filled with what is known: the report given at the block,
    the company's address, the line's holder (or the person asking) as recipient."""
    line = case.line
    company = line.contract.company
    holder = line.assignee or user
    block = case.block_event.details
    initial: dict[str, Any] = {
        "sim_kind": Sim.Kind.PHYSICAL,
        "recipient": holder.get_full_name(),
        "street": company.legal_street,
        "postal_code": company.legal_postal_code,
        "city": company.legal_city,
        "province": company.legal_province,
        "esim_email": holder.email,
    }
    if block.get("report_date"):
        initial["report_date"] = block["report_date"]
        initial["report_authority"] = block.get("report_authority", "")
    return initial
