from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from billing.models import InvoiceDocument
from billing.pdf import invoice_pdf


@task()
def make_invoice_document(document_id: int) -> None:
    """Render a large invoice's PDF in a worker (`manage.py db_worker`), not the web one."""
    document = InvoiceDocument.objects.select_related("invoice").get(pk=document_id)
    if document.status == InvoiceDocument.Status.READY:
        return
    try:
        content = invoice_pdf(document.invoice)
    except Exception:
        InvoiceDocument.objects.filter(pk=document_id).update(
            status=InvoiceDocument.Status.FAILED, finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        document.file.save(
            f"{document.invoice.number}-r{document.revision}.pdf", ContentFile(content), save=False
        )
        document.status = InvoiceDocument.Status.READY
        document.finished_at = timezone.now()
        document.save(update_fields=["file", "status", "finished_at"])
