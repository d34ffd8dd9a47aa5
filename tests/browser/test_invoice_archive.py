"""The ZIP archive of a period in a real browser (issue 17): asked on its page, made by the
task worker while the page follows its progress (htmx polling, announced through
aria-live), then downloaded by the person who asked for it."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_an_archive_is_asked_followed_and_downloaded(
    page: Page, demo_site: str, settings: Any
) -> None:
    from billing.models import InvoiceArchive

    # The worker is the project's own (django-tasks' database backend), run below by hand.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo_site, "legale")
    page.goto(f"{demo_site}/fatture/")
    page.get_by_role("link", name="Archivio ZIP delle fatture di un periodo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Archivio ZIP delle fatture")
    today = timezone.localdate()
    page.get_by_label("Fatture emesse dal").fill(f"{today - timedelta(days=75):%Y-%m-%d}")
    page.get_by_label("Fatture emesse fino al").fill(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="Prepara l'archivio").click()
    expect(page.get_by_text("ti scriveremo quando è pronto")).to_be_visible()

    # Queued: the list polls, inside a live region that htmx never replaces.
    progress = page.locator("#archive-status > #archive-list")
    expect(progress).to_have_attribute("hx-trigger", "every 2s")
    expect(page.locator("#archive-status")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_text("In coda: inizia tra poco")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "legale-invoice-archive-queued")

    call_command("db_worker", batch=True, reload=False, startup_delay=False)
    archive = InvoiceArchive.objects.get()
    assert archive.status == InvoiceArchive.Status.READY and archive.done == archive.total > 0

    # The page finds out by itself, and stops asking.
    download = page.get_by_role("link", name="Scarica lo ZIP")
    expect(download).to_be_visible(timeout=10_000)
    expect(page.locator("#archive-list")).not_to_have_attribute("hx-trigger", "every 2s")
    expect(page.locator("#archive-status")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_text(f"Pronto: {archive.total} fattur")).to_be_visible()
    with page.expect_download() as started:
        download.click()
    assert started.value.suggested_filename.endswith(".zip")
