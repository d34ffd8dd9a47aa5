"""The worker's PDF of a large invoice when its job runs twice at once (RQ runs a job again
when its worker is lost, while the lost worker's render may still be going): one document,
the first finished, and a late failure does not undo it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from billing import tasks
from billing.models import InvoiceDocument
from billing.services import invoice_document_store
from tests.conftest import World


def other_run_finishes_first(document: InvoiceDocument, *, then: bytes | None):  # type: ignore[no-untyped-def]
    """A renderer during which the other run of the job stores its PDF."""

    def render(invoice):  # type: ignore[no-untyped-def]
        invoice_document_store(InvoiceDocument.objects.get(pk=document.pk), b"%PDF first")
        if then is None:
            raise MemoryError
        return then

    return render


@pytest.mark.parametrize("late", [b"%PDF second", None], ids=["late-success", "late-failure"])
def test_a_job_run_twice_keeps_the_first_document(
    world: World, monkeypatch: pytest.MonkeyPatch, late: bytes | None
) -> None:
    document = InvoiceDocument.objects.create(
        invoice=world.invoice, revision=world.invoice.revision
    )
    monkeypatch.setattr(tasks, "invoice_pdf", other_run_finishes_first(document, then=late))
    if late is None:
        with pytest.raises(MemoryError):
            tasks.make_invoice_document.call(document.pk)
    else:
        tasks.make_invoice_document.call(document.pk)
    document.refresh_from_db()
    assert document.status == InvoiceDocument.Status.READY
    assert document.file.read() == b"%PDF first"
    assert len(list(Path(settings.MEDIA_ROOT, "invoices").iterdir())) == 1
