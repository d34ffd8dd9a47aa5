"""The ZIP of a period's invoices (B8): made by the worker with its progress on the page, an
e-mail and a notification when ready, downloadable for 7 days by the person who asked."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from billing import archives as archives_module
from billing.archives import archive_build, archive_request, archives_purge_expired
from billing.fatturapa import InvalidFatturaPA
from billing.models import InvoiceArchive, InvoiceDocument
from core.exceptions import ActionRefused
from tests.concurrency import twice_while_locked
from tests.conftest import World, client_for
from tests.factories import InvoiceFactory

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
OCTOBER = {"since": "2026-10-01", "until": "2026-10-31"}


def ready_archive(world: World, user: Any = None, **fields: Any) -> InvoiceArchive:
    archive = InvoiceArchive.objects.create(
        company=world.company,
        requested_by=user or world.lr,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        status=InvoiceArchive.Status.READY,
        done=1,
        total=1,
        expires_at=timezone.now() + timedelta(days=7),
        **fields,
    )
    archive.file.save("prova.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    return archive


@pytest.fixture
def immediate_tasks(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = IMMEDIATE


def test_a_periods_archive_end_to_end(
    world: World,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
    mailoutbox: list[Any],
) -> None:
    for day in (3, 28):
        InvoiceFactory(company=world.company, contract=world.mobile, issue_date=date(2026, 10, day))
    InvoiceFactory(company=world.company, contract=world.mobile, issue_date=date(2026, 11, 1))
    client = client_for(world.full)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("billing:archives"), OCTOBER)
    assert response.status_code == 302
    archive = InvoiceArchive.objects.get()
    assert archive.requested_by == world.full and archive.status == InvoiceArchive.Status.PENDING
    assert timedelta(days=6, hours=23) < archive.expires_at - timezone.now() <= timedelta(days=7)
    # While it waits the page polls, and says so to screen readers.
    waiting = client.get(reverse("billing:archives"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    assert "<html" not in waiting  # the fragment only
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:  # the worker's turn
            callback()
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    assert (archive.done, archive.total) == (3, 3)  # October's company invoices only
    assert archive.finished_at is not None
    ready = client.get(reverse("billing:archives"), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in ready  # polling stops
    download_url = reverse("billing:archive-download", args=[archive.pk])
    assert download_url in ready
    response = client.get(download_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as bundle:
        names = bundle.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        xmls = [n for n in names if n.endswith(".xml")]
        assert len(pdfs) == 3 and len(xmls) == 3
        assert f"pdf/fattura-{world.invoice.number}-{world.invoice.pk}.pdf" in names
        assert bundle.read(pdfs[0]).startswith(b"%PDF")
        assert b"FatturaElettronica" in bundle.read(xmls[0])
        assert world.personal_invoice.number not in " ".join(names)
    # Told by e-mail and in the app, once.
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [world.full.email] and "Archivio delle fatture pronto" in mail.subject
    assert reverse("billing:archives") in mail.body
    notification = Notification.objects.get(recipient=world.full)
    assert notification.kind == "archive_ready" and notification.key == f"archive:{archive.pk}"
    # Run again (a retried task): nothing changes, nobody is told twice.
    archive_build(archive.pk)
    assert Notification.objects.count() == 1


def test_the_page_shows_a_ready_archive_to_its_requester_only(world: World) -> None:
    archive = ready_archive(world)
    page = client_for(world.lr).get(reverse("billing:archives")).content.decode()
    assert reverse("billing:archive-download", args=[archive.pk]) in page
    assert "hx-trigger" not in page
    other = client_for(world.full).get(reverse("billing:archives")).content.decode()
    assert reverse("billing:archive-download", args=[archive.pk]) not in other


def test_download_only_by_the_requester(world: World) -> None:
    archive = ready_archive(world)
    url = reverse("billing:archive-download", args=[archive.pk])
    assert client_for(world.lr).get(url).status_code == 200
    assert client_for(world.full).get(url).status_code == 404  # a colleague
    assert client_for(world.outsider_lr).get(url).status_code == 404  # another company
    assert client_for(world.user).get(url).status_code == 403  # no B8


def test_after_seven_days_it_is_gone(world: World) -> None:
    archive = ready_archive(world)
    InvoiceArchive.objects.filter(pk=archive.pk).update(expires_at=timezone.now())
    response = client_for(world.lr).get(reverse("billing:archive-download", args=[archive.pk]))
    assert response.status_code == 410
    assert "Archivio scaduto" in response.content.decode()
    path = archive.file.path
    call_command("purge_archives")
    assert not InvoiceArchive.objects.exists()
    assert not os.path.exists(path)
    assert archives_purge_expired() == 0


def test_a_failed_archive_says_so_and_stops_polling(world: World) -> None:
    archive = ready_archive(world, file="")
    InvoiceArchive.objects.filter(pk=archive.pk).update(status=InvoiceArchive.Status.FAILED)
    page = client_for(world.lr).get(reverse("billing:archives")).content.decode()
    assert "Non siamo riusciti" in unescape(page) and "hx-trigger" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"since": "2025-01-01", "until": "2026-01-01"}, "al massimo 12 mesi"),
        ({"since": "2026-10-31", "until": "2026-10-01"}, "viene prima"),
        ({"since": "", "until": "2026-10-01"}, "obbligatorio"),
        # Far in the future the month arithmetic overflowed (a 500): dates are bounded.
        ({"since": "9999-12-01", "until": "9999-12-31"}, "non successiva a oggi"),
        ({"since": "2026-10-01", "until": "9999-12-31"}, "non successiva a oggi"),
        ({"since": "1999-12-31", "until": "2000-06-30"}, "dal 01/01/2000 in poi"),
        ({"since": "0001-01-01", "until": "0001-02-01"}, "dal 01/01/2000 in poi"),
    ],
)
def test_bad_periods_are_refused(data: dict[str, str], message: str, world: World) -> None:
    response = client_for(world.lr).post(reverse("billing:archives"), data)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not InvoiceArchive.objects.exists()


def test_twelve_months_are_allowed(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        data = {"since": "2025-01-01", "until": "2025-12-31"}
        assert client_for(world.lr).post(reverse("billing:archives"), data).status_code == 302
    assert InvoiceArchive.objects.count() == 1


def test_archives_need_the_capability(world: World) -> None:
    client = client_for(world.user)
    assert client.get(reverse("billing:archives")).status_code == 403
    assert client.post(reverse("billing:archives"), OCTOBER).status_code == 403


def test_the_archive_page_has_a_query_bar(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(8):
        ready_archive(world)
    client = client_for(world.lr)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("billing:archives"), HTTP_HX_REQUEST="true").content.decode()
    assert page.count("Scarica lo ZIP") == 8


# --- Review fixes (issue 17) ----------------------------------------------------------------


def pending_archive(world: World, user: Any = None, **fields: Any) -> InvoiceArchive:
    return InvoiceArchive.objects.create(
        company=world.company,
        requested_by=user or world.lr,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        expires_at=timezone.now() + timedelta(days=7),
        **fields,
    )


@pytest.mark.parametrize("status", [InvoiceArchive.Status.PENDING, InvoiceArchive.Status.RUNNING])
def test_one_archive_at_a_time_per_person(
    status: str, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    pending_archive(world, status=status)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(world.lr).post(reverse("billing:archives"), OCTOBER)
    assert response.status_code == 200
    assert "Stiamo già preparando un tuo archivio" in unescape(response.content.decode())
    assert InvoiceArchive.objects.count() == 1 and not callbacks
    # A colleague is not held up by it.
    with django_capture_on_commit_callbacks(execute=False):
        assert client_for(world.full).post(reverse("billing:archives"), OCTOBER).status_code == 302


def test_an_archive_the_worker_lost_holds_nobody_up(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    lost = pending_archive(world)
    InvoiceArchive.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=False):
        assert client_for(world.lr).post(reverse("billing:archives"), OCTOBER).status_code == 302
    assert InvoiceArchive.objects.count() == 2


def test_the_service_refuses_a_second_one_too(world: World) -> None:
    pending_archive(world)
    with pytest.raises(ActionRefused):
        archive_request(
            user=world.lr,
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            base_url="",
        )


def test_archives_are_limited_per_person_per_day(
    world: World, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "archives": "2/d"}
    client = client_for(world.lr)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=False):
            assert client.post(reverse("billing:archives"), OCTOBER).status_code == 302
        InvoiceArchive.objects.update(status=InvoiceArchive.Status.READY)
    response = client.post(reverse("billing:archives"), OCTOBER)
    assert response.status_code == 200
    assert "Oggi hai già chiesto molti archivi" in unescape(response.content.decode())
    assert InvoiceArchive.objects.count() == 2
    # Per person: a colleague still may.
    with django_capture_on_commit_callbacks(execute=False):
        assert client_for(world.full).post(reverse("billing:archives"), OCTOBER).status_code == 302


def test_a_revisions_pdf_is_rendered_once_and_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[int] = []
    real = archives_module.invoice_pdf

    def counting(invoice: Any) -> bytes:
        rendered.append(invoice.pk)
        return real(invoice)

    monkeypatch.setattr(archives_module, "invoice_pdf", counting)
    first, second = pending_archive(world), pending_archive(world, user=world.full)
    archive_build(first.pk)
    archive_build(second.pk)
    assert rendered == [world.invoice.pk]  # October's one company invoice, once
    document = InvoiceDocument.objects.get(invoice=world.invoice)
    assert document.status == InvoiceDocument.Status.READY
    assert document.revision == world.invoice.revision
    assert document.file.read().startswith(b"%PDF")


def test_zip_entry_names_never_collide(world: World) -> None:
    for number in ("2026/1", "2026-1", "2026 1"):
        InvoiceFactory(company=world.company, contract=world.mobile, number=number)
    archive = pending_archive(world)
    archive_build(archive.pk)
    archive.refresh_from_db()
    with zipfile.ZipFile(archive.file.open("rb")) as bundle:
        names = bundle.namelist()
    assert len(names) == len(set(names)) == 2 * 4


def test_an_invalid_xml_is_left_out_of_the_archive_and_said(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def invalid(invoice: Any) -> bytes:
        raise InvalidFatturaPA(invoice.number, ["cap: value must be 5 digits"])

    monkeypatch.setattr(archives_module, "invoice_fatturapa", invalid)
    archive = pending_archive(world)
    archive_build(archive.pk)
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    with zipfile.ZipFile(archive.file.open("rb")) as bundle:
        names = bundle.namelist()
        notes = bundle.read("LEGGIMI.txt").decode()
    assert not [name for name in names if name.endswith(".xml")]
    assert world.invoice.number in notes
    assert any(
        record.levelname == "ERROR" and world.invoice.number in record.getMessage()
        for record in caplog.records
    )


def test_a_late_failure_leaves_no_orphaned_file(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("notifications are down")

    monkeypatch.setattr(archives_module, "notify", broken)
    archive = pending_archive(world)
    with pytest.raises(RuntimeError):
        archive_build(archive.pk)
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.FAILED and not archive.file
    folder = os.path.join(settings.MEDIA_ROOT, "archives")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_commit_keeps_the_ready_archive(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def send(*args: Any, **kwargs: Any) -> None:
        transaction.on_commit(lambda: 1 / 0)  # a callback that raises once committed

    monkeypatch.setattr(archives_module, "send_templated_email", send)
    archive = pending_archive(world)
    archive_build(archive.pk)  # logged, not raised: the archive is made
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    assert archive.file and os.path.exists(archive.file.path)


def test_a_late_run_leaves_the_ready_archive_alone(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
    mailoutbox: list[Any],
) -> None:
    # The job run again (its worker thought lost): this run read the archive unfinished,
    # and the other run made it READY before this one came to work on it.
    archive = pending_archive(world)
    invoices_of = archives_module.archive_invoices

    def the_other_run_finishes_first(of: InvoiceArchive) -> Any:
        monkeypatch.setattr(archives_module, "archive_invoices", invoices_of)
        archive_build(archive.pk)
        return invoices_of(of)

    monkeypatch.setattr(archives_module, "archive_invoices", the_other_run_finishes_first)
    with django_capture_on_commit_callbacks(execute=True):
        archive_build(archive.pk)
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    assert archive.done == archive.total == 1
    assert os.path.exists(archive.file.path)
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_archive(
    world: World, settings: Any, mailoutbox: list[Any]
) -> None:
    archive = pending_archive(world)
    answers = twice_while_locked(
        lambda: archive_build(archive.pk), InvoiceArchive.objects.filter(pk=archive.pk)
    )
    assert answers == [None, None]
    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    assert archive.done == archive.total == 1  # the page never says "2 of 1"
    assert os.listdir(os.path.join(settings.MEDIA_ROOT, "archives")) == [
        os.path.basename(archive.file.path)
    ]
    assert len(mailoutbox) == 1


def test_the_live_region_stays_while_htmx_swaps_what_is_inside(world: World) -> None:
    pending_archive(world)
    client = client_for(world.lr)
    page = client.get(reverse("billing:archives")).content.decode()
    assert re.search(
        r'<div id="archive-status" aria-live="polite">\s*<div id="archive-list"[^>]*'
        r'hx-swap="outerHTML"',
        page,
    )
    fragment = client.get(reverse("billing:archives"), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="archive-list"')
    assert "aria-live" not in fragment and "archive-status" not in fragment


def test_polling_stops_after_ten_minutes_pending(world: World) -> None:
    archive = pending_archive(world)
    client = client_for(world.lr)
    assert 'hx-trigger="every 2s"' in client.get(reverse("billing:archives")).content.decode()
    InvoiceArchive.objects.filter(pk=archive.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    page = unescape(client.get(reverse("billing:archives")).content.decode())
    assert "hx-trigger" not in page
    assert "La preparazione sta richiedendo più del previsto" in page
    # A RUNNING one moves: it is still followed.
    InvoiceArchive.objects.filter(pk=archive.pk).update(status=InvoiceArchive.Status.RUNNING)
    assert "hx-trigger" in client.get(reverse("billing:archives")).content.decode()
