"""Invoice list, detail and PDF: who sees what, filters, totals, Italian formats."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.roles import Profile
from billing.models import Invoice, InvoiceDocument
from billing.pdf import StaticOnlyFetcher
from tests.conftest import World, client_for
from tests.factories import InvoiceFactory


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL, Profile.LIGHT])
def test_admins_see_the_company_invoices(profile: Profile, world: World) -> None:
    page = client_for(world.by_profile(profile)).get(reverse("billing:index")).content.decode()
    assert world.invoice.number in page
    assert world.personal_invoice.number not in page  # personal, not the company's
    assert world.outsider_invoice.number not in page
    assert "122,00\xa0€" in page


def test_users_have_no_invoices(world: World) -> None:
    client = client_for(world.user)
    assert client.get(reverse("billing:index")).status_code == 403
    url = reverse("billing:invoice-detail", args=[world.invoice.pk])
    assert client.get(url).status_code == 403


def test_another_companys_invoice_and_pdf_are_404(world: World) -> None:
    client = client_for(world.lr)
    for name in ("billing:invoice-detail", "billing:invoice-pdf"):
        assert client.get(reverse(name, args=[world.outsider_invoice.pk])).status_code == 404


def test_filters_and_totals(world: World) -> None:
    today = timezone.localdate()
    InvoiceFactory(
        company=world.company,
        contract=world.fixed,
        number="OVERDUE-1",
        due_date=today - timedelta(days=3),
        total=Decimal("244.00"),
        taxable=Decimal("200.00"),
        vat=Decimal("44.00"),
    )
    InvoiceFactory(
        company=world.company,
        contract=world.mobile,
        number="PAID-1",
        status="PAID",
        paid_at=timezone.now(),
    )
    client = client_for(world.lr)
    overdue = client.get(reverse("billing:index"), {"status": "OVERDUE"}).content.decode()
    assert "OVERDUE-1" in overdue and "PAID-1" not in overdue and "Scaduta" in overdue
    paid = client.get(reverse("billing:index"), {"status": "PAID"}).content.decode()
    assert "PAID-1" in paid and "OVERDUE-1" not in paid
    fixed = client.get(reverse("billing:index"), {"contract": world.fixed.pk}).content.decode()
    assert "OVERDUE-1" in fixed and world.invoice.number not in fixed
    everything = client.get(reverse("billing:index")).content.decode()
    assert "3 fatture per 488,00\xa0€, di cui da pagare 366,00\xa0€." in everything


def test_bad_filters_are_told(world: World) -> None:
    response = client_for(world.lr).get(
        reverse("billing:index"), {"since": "2026-10-10", "until": "2026-01-01", "contract": "x"}
    )
    assert response.status_code == 200
    assert "viene prima di quella iniziale" in response.content.decode()


def test_detail_by_line_and_by_service(world: World) -> None:
    page = (
        client_for(world.full)
        .get(reverse("billing:invoice-detail", args=[world.invoice.pk]))
        .content.decode()
    )
    assert "Dettaglio per linea" in page and "Dettaglio per servizio" in page
    assert "100,00\xa0€" in page and "22,00\xa0€" in page and "22%" in page


def test_personal_invoices_only_for_the_holder_of_the_dual_billing_line(world: World) -> None:
    holder = client_for(world.light)
    listing = holder.get(reverse("billing:personal-invoices")).content.decode()
    assert world.personal_invoice.number in listing
    url = reverse("billing:invoice-detail", args=[world.personal_invoice.pk])
    assert holder.get(url).status_code == 200
    assert (
        holder.get(reverse("billing:invoice-pdf", args=[world.personal_invoice.pk])).status_code
        == 200
    )
    # Nobody else, not even the LR: they are the person's own invoices.
    lr = client_for(world.lr)
    assert (
        world.personal_invoice.number
        not in lr.get(reverse("billing:personal-invoices")).content.decode()
    )
    assert lr.get(url).status_code == 404


def test_pdf_is_a_real_italian_invoice(world: World) -> None:
    response = client_for(world.lr).get(reverse("billing:invoice-pdf", args=[world.invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        world.invoice.number,
        world.company.name,
        world.company.vat_number,
        "Area Business Telecomunicazioni S.p.A.",
        "122,00\xa0€",
        "22%",
        "25/10/2026",
        f"Pagina 1 di {len(reader.pages)}",
    ):
        assert expected in text, expected


def test_the_pdf_fetcher_refuses_files_and_the_network() -> None:
    fetcher = StaticOnlyFetcher()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.com/x.css",
        "static:../settings.py",
    ):
        with pytest.raises(ValueError, match="Refused"):
            fetcher.fetch(url)
    assert b"@page" in fetcher.fetch("static:css/invoice-pdf.css").read()


def test_large_invoices_are_made_in_the_background(
    world: World,
    settings,
    django_capture_on_commit_callbacks,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from billing import views

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(views, "CHUNKED_FROM_ROWS", 0)
    client = client_for(world.lr)
    url = reverse("billing:invoice-pdf", args=[world.invoice.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pending = client.get(url)
    assert pending.status_code == 202 and "PDF in preparazione" in pending.content.decode()
    for callback in callbacks:  # the worker's turn
        callback()
    document = InvoiceDocument.objects.get()
    assert document.status == InvoiceDocument.Status.READY
    ready = client.get(url)
    assert ready.status_code == 200
    assert b"".join(ready.streaming_content).startswith(b"%PDF")
    # A change of the invoice makes a new one.
    Invoice.objects.filter(pk=world.invoice.pk).update(revision=2)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.get(url).status_code == 202
    assert InvoiceDocument.objects.count() == 2
