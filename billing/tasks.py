from django.db import transaction
from django.utils import timezone
from django_tasks import task

from billing.models import InvoiceDocument
from billing.pdf import InvoiceChanged, invoice_pdf
from billing.services import invoice_document_store


@task()
def make_invoice_document(document_id: int) -> None:
    """Render a large invoice's PDF in a worker, not the web one. Safe to run twice, even at
    once (RQ runs a job again when its worker is lost, and a lost worker's job may still be
    running): the first run to finish stores the document, a later one keeps nothing.
    A document whose invoice got a new revision is obsolete and left unmade: the invoice's
    page asks for the new revision's (billing.services.invoice_document_request)."""
    document = InvoiceDocument.objects.select_related("invoice").get(pk=document_id)
    if document.status == InvoiceDocument.Status.READY:
        return
    if document.invoice.revision != document.revision:
        return
    try:
        content = invoice_pdf(document.invoice)
    except InvoiceChanged:
        return
    except Exception:
        InvoiceDocument.objects.filter(pk=document_id).exclude(
            status=InvoiceDocument.Status.READY
        ).update(status=InvoiceDocument.Status.FAILED, finished_at=timezone.now())
        raise
    with transaction.atomic():
        stored = InvoiceDocument.objects.select_for_update().only("status").get(pk=document_id)
        if stored.status != InvoiceDocument.Status.READY:
            invoice_document_store(document, content)


@task()
def refund_payment(payment_id: int) -> None:
    """Ask the provider to refund a payment that paid nothing (REFUND_DUE); until it
    confirms, ask again later (the backend permitting), and `manage.py retry_refunds`
    catches whatever a lost task left behind."""
    from billing.models import Payment
    from billing.payments import payment_refund, refund_retry_delay

    payment = payment_refund(payment_id=payment_id)
    if payment.status != Payment.Status.REFUND_DUE:
        return
    if refund_payment.get_backend().supports_defer:
        run_after = timezone.now() + refund_retry_delay(payment)
        refund_payment.using(run_after=run_after).enqueue(payment_id)


@task()
def make_invoice_archive(archive_id: int, base_url: str = "") -> None:
    """Write a period's ZIP of invoices (PDF and XML) in a worker; see billing.archives."""
    from billing.archives import archive_build

    archive_build(archive_id, base_url=base_url)
