"""ZIP archives of a period's invoices (PDF and FatturaPA XML), made by the task worker for
the person who asked and theirs to download for ARCHIVE_LIFETIME.

The ZIP is written invoice by invoice to a temporary file, so memory holds one invoice's
documents at a time whatever the period; progress (`done` of `total`) is saved after each
invoice in its own short write, so the page that polls it sees it move."""

from __future__ import annotations

import logging
import re
import tempfile
import zipfile
from datetime import date, datetime, timedelta

from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notify
from accounts.selectors import actor_company_id, company_id_of
from billing.fatturapa import InvalidFatturaPA, invoice_fatturapa
from billing.models import Invoice, InvoiceArchive, InvoiceDocument
from billing.pdf import InvoiceChanged, invoice_pdf
from billing.services import invoice_document_store
from core.exceptions import ActionRefused
from core.italy import date_with_article
from core.mail import send_templated_email

logger = logging.getLogger(__name__)

ARCHIVE_LIFETIME = timedelta(days=7)
MAX_PERIOD_MONTHS = 12
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
IN_PROGRESS = (InvoiceArchive.Status.PENDING, InvoiceArchive.Status.RUNNING)
# A PENDING archive the worker has not started after this long: the page stops polling.
PENDING_PATIENCE = timedelta(minutes=10)
NOTES_NAME = "LEGGIMI.txt"


def archive_invoices(archive: InvoiceArchive) -> QuerySet[Invoice]:
    """The company's invoices (not the personal ones) issued in the archive's period."""
    return Invoice.objects.filter(
        company_id=archive.company_id,
        personal_line__isnull=True,
        issue_date__gte=archive.period_start,
        issue_date__lte=archive.period_end,
    ).order_by("issue_date", "id")


def archives_of(*, user: User) -> QuerySet[InvoiceArchive]:
    """The archives `user` asked for and may still download (or see being made)."""
    return InvoiceArchive.objects.filter(
        requested_by=user, company_id=company_id_of(user), expires_at__gt=timezone.now()
    )


def archive_request(
    *, user: User, period_start: date, period_end: date, base_url: str
) -> InvoiceArchive:
    """Ask the worker for a ZIP of the period's invoices; `base_url` is for the e-mail's link."""
    from billing.tasks import make_invoice_archive

    with transaction.atomic():
        # One at a time per person: the worker makes each ZIP invoice by invoice, and a
        # queue of one person's archives would hold everybody else's up.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if archive_in_progress(user=user):
            raise ActionRefused(
                _("Stiamo già preparando un tuo archivio: quando è pronto puoi chiederne un altro.")
            )
        archive = InvoiceArchive.objects.create(
            company_id=actor_company_id(user),
            requested_by=user,
            period_start=period_start,
            period_end=period_end,
            expires_at=timezone.now() + ARCHIVE_LIFETIME,
        )
        archive_id = archive.pk
        transaction.on_commit(lambda: make_invoice_archive.enqueue(archive_id, base_url))
    return archive


# An archive still unmade after this long no longer holds its person's next one up: the
# worker was down or lost it, and waiting for its expiry (7 days) would help nobody.
IN_PROGRESS_AT_MOST = timedelta(hours=1)


def archive_in_progress(*, user: User) -> bool:
    """Whether one of the person's archives is being made (or queued) now."""
    return (
        archives_of(user=user)
        .filter(
            status__in=IN_PROGRESS,
            created_at__gt=timezone.now() - IN_PROGRESS_AT_MOST,
        )
        .exists()
    )


def download_name(archive: InvoiceArchive) -> str:
    """The ZIP's name, without its extension: its period."""
    return f"fatture-{archive.period_start:%Y%m%d}-{archive.period_end:%Y%m%d}"


def _safe(name: str) -> str:
    return UNSAFE.sub("-", name).strip("-") or "fattura"


def archive_stale(archive: InvoiceArchive, *, now: datetime | None = None) -> bool:
    """Still PENDING after PENDING_PATIENCE: the worker is late, the page stops polling."""
    now = now or timezone.now()
    return (
        archive.status == InvoiceArchive.Status.PENDING
        and archive.created_at < now - PENDING_PATIENCE
    )


def _pdf_of(invoice: Invoice) -> bytes:
    """The invoice's PDF at its latest revision: an import may replace its items after the
    archive's query read it, or while its PDF is rendered."""
    try:
        return _pdf_of_revision(invoice)
    except InvoiceChanged:
        invoice.refresh_from_db()
        return _pdf_of_revision(invoice)


def _pdf_of_revision(invoice: Invoice) -> bytes:
    """The PDF of the invoice's revision: the one stored, or a new one, then stored as
    billing.tasks.make_invoice_document stores it (InvoiceDocument), so a revision's PDF is
    rendered once whether the archive or the invoice page asks first."""
    document = InvoiceDocument.objects.filter(invoice=invoice, revision=invoice.revision).first()
    if document is not None and document.status == InvoiceDocument.Status.READY and document.file:
        with document.file.open("rb") as stored:
            content: bytes = stored.read()
            return content
    content = invoice_pdf(invoice)
    if document is None or document.status != InvoiceDocument.Status.PENDING:
        # A PENDING one is the worker's (make_invoice_document): it stores its own.
        _store_pdf(invoice, content)
    return content


def _store_pdf(invoice: Invoice, content: bytes) -> None:
    with transaction.atomic():
        document, _created = InvoiceDocument.objects.select_for_update().get_or_create(
            invoice=invoice, revision=invoice.revision
        )
        if document.status == InvoiceDocument.Status.READY and document.file:
            return
        document.invoice = invoice  # its number names the file: no query for it
        invoice_document_store(document, content)


def _entry_name(invoice: Invoice) -> str:
    """Unique within the ZIP: the number made safe, then the id ("2026/1" and "2026-1" are
    both "2026-1" once safe)."""
    return f"fattura-{_safe(invoice.number)}-{invoice.pk}"


def archive_build(archive_id: int, *, base_url: str = "") -> None:
    """Write the archive's ZIP and, when it is there, tell the person who asked for it."""
    archive = InvoiceArchive.objects.select_related("requested_by").get(pk=archive_id)
    if archive.status == InvoiceArchive.Status.READY:
        return
    invoices = archive_invoices(archive).select_related("contract", "company")
    total = invoices.count()
    # Another run of this job (its worker thought lost) may finish at any moment: no update
    # here touches a READY archive, and one that is READY already is left to it.
    unfinished = InvoiceArchive.objects.filter(pk=archive_id).exclude(
        status=InvoiceArchive.Status.READY
    )
    if not unfinished.update(status=InvoiceArchive.Status.RUNNING, done=0, total=total):
        return
    saved = ""
    try:
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                without_xml: list[str] = []
                for done, invoice in enumerate(invoices.iterator(chunk_size=100), 1):
                    name = _entry_name(invoice)
                    bundle.writestr(f"pdf/{name}.pdf", _pdf_of(invoice))
                    try:
                        bundle.writestr(f"xml/{name}.xml", invoice_fatturapa(invoice))
                    except InvalidFatturaPA as invalid:
                        logger.error(
                            "Archive %s: FatturaPA of invoice %s left out, invalid: %s",
                            archive_id,
                            invoice.number,
                            "; ".join(invalid.errors),
                        )
                        without_xml.append(invoice.number)
                    # This run's own count: two runs at once must not add up to twice the total.
                    unfinished.update(done=done)
                if without_xml:
                    bundle.writestr(NOTES_NAME, _notes(without_xml))
            spool.seek(0)
            filename = f"{download_name(archive)}-{archive.pk}.zip"
            with transaction.atomic():
                # Another run of this job (its worker thought lost) may have finished first.
                archive.refresh_from_db(from_queryset=InvoiceArchive.objects.select_for_update())
                if archive.status == InvoiceArchive.Status.READY:
                    return
                archive.file.save(filename, File(spool), save=False)
                saved = archive.file.name or ""
                archive.status = InvoiceArchive.Status.READY
                archive.finished_at = timezone.now()
                archive.save(update_fields=["file", "status", "finished_at"])
                _announce(archive, base_url=base_url)
    except Exception:
        logger.exception("Invoice archive %s failed", archive_id)
        if InvoiceArchive.objects.filter(
            pk=archive_id, status=InvoiceArchive.Status.READY
        ).exists():
            return  # committed: the ZIP is there, only what came after failed
        if saved:  # saved, but its row rolled back: no file without its archive
            archive.file.storage.delete(saved)
        unfinished.update(status=InvoiceArchive.Status.FAILED, finished_at=timezone.now())
        raise


def _notes(without_xml: list[str]) -> str:
    return "\n".join(
        [
            _(
                "Le fatture elettroniche (XML) di queste fatture non sono nell'archivio: i "
                "loro dati vanno verificati e ce ne stiamo occupando. Trovi il PDF nella "
                "cartella pdf."
            ),
            "",
            *without_xml,
            "",
        ]
    )


def _announce(archive: InvoiceArchive, *, base_url: str) -> None:
    person = archive.requested_by
    url = reverse("billing:archives")
    context = {"person": person, "archive": archive, "url": base_url + url}
    if person.email:
        send_templated_email("billing/email/archive_ready", context, [person.email])
    notify(
        recipients=[person],
        kind="archive_ready",
        title=_("Archivio delle fatture pronto"),
        body=_("Le fatture emesse %(start)s %(end)s sono pronte: puoi scaricarle per 7 giorni.")
        % {
            "start": date_with_article(archive.period_start, preposition="da"),
            "end": date_with_article(archive.period_end, preposition="a"),
        },
        url=url,
        key=f"archive:{archive.pk}",
    )


def archives_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the expired archives and their files; how many were deleted."""
    now = now or timezone.now()
    expired = InvoiceArchive.objects.filter(expires_at__lte=now)
    count = 0
    for archive in expired.iterator():
        if archive.file:
            archive.file.delete(save=False)
        archive.delete()
        count += 1
    return count
