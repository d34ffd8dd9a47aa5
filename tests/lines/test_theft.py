"""Theft and loss end to end (L3): the case a block opens, the police report's copy (at the
block or later, checked by content, downloaded only through the case), the device's IMEI
block, the replacement SIM, and the story on the line's page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pytest_django import DjangoAssertNumQueries

from accounts.models import Line, Sim
from lines import services
from lines.models import LineEvent, TheftCase
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import _iccid
from tracking.models import Request, RequestKind, RequestState, ShipmentState
from tracking.services import request_transition
from tracking.shipments import shipment_move, shipment_restart

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
VALID_IMEI = "490154203237518"
ADDRESS = {
    "sim_kind": "PHYSICAL",
    "recipient": "Mario Rossi",
    "street": "Via Roma 10",
    "postal_code": "00184",
    "city": "Roma",
    "province": "RM",
}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode())


def case_of(world: World, line: Line | None = None, reason: str = "THEFT") -> TheftCase:
    event = services.sim_block(actor=world.full, line=line or world.user_line, reason=reason)
    return TheftCase.objects.get(block_event=event)


def case_url(case: TheftCase, name: str = "lines:theft-case") -> str:
    return reverse(name, args=[case.line_id, case.pk])


def upload(client: Client, case: TheftCase, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(case_url(case), {"report_file": SimpleUploadedFile(name, content)})


# --- The block opens the case and takes the report's copy on its confirmation step ------


def confirm_block(client: Client, line: Line, **extra: object):  # type: ignore[no-untyped-def]
    data = {"reason": "THEFT", "note": "", "report_date": "", "report_authority": ""}
    return client.post(reverse("lines:sim-block", args=[line.pk]), {**data, **extra})


def test_the_confirmation_step_asks_for_the_report_for_a_theft_not_for_other_reasons(
    world: World,
) -> None:
    client = signed_in(world.lr)
    page = text(confirm_block(client, world.user_line))
    assert "Copia della denuncia (facoltativa)" in page and 'enctype="multipart/form-data"' in page
    other = text(confirm_block(client, world.user_line, reason="OTHER", note="Guasto"))
    assert "Conferma il blocco" in other and "Copia della denuncia" not in other


def test_a_theft_block_with_the_report_keeps_it_on_the_case_and_leads_to_the_case(
    world: World,
) -> None:
    report = SimpleUploadedFile("Denuncia furto.pdf", PDF, content_type="application/pdf")
    response = confirm_block(
        signed_in(world.lr), world.user_line, confirmed="1", report_file=report
    )
    case = TheftCase.objects.get()
    line_url = reverse("lines:detail", args=[world.user_line.pk])
    assert response.status_code == 302 and response["Location"] == line_url
    assert case.reason == "THEFT" and case.line == world.user_line
    assert case.report_due == timezone.localdate() + timedelta(days=10)
    assert case.has_report and case.report_content_type == "application/pdf"
    assert case.report_size == len(PDF) and len(case.report_sha256) == 64
    assert case.report_uploaded_by == world.lr
    assert LineEvent.objects.filter(kind=LineEvent.Kind.POLICE_REPORT, line=case.line).exists()
    page = text(signed_in(world.lr).get(response["Location"]))
    assert "Richiedi subito la nuova SIM" in page and "Blocca anche il dispositivo" in page


def test_a_bad_report_at_the_block_is_refused_and_nothing_is_blocked(world: World) -> None:
    fake = SimpleUploadedFile("denuncia.pdf", b"MZ\x90\x00 not a pdf")
    response = confirm_block(signed_in(world.lr), world.user_line, confirmed="1", report_file=fake)
    assert response.status_code == 200
    page = text(response)
    assert "Si possono allegare solo PDF e immagini" in page and "Conferma il blocco" in page
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE and not TheftCase.objects.exists()


def test_a_block_without_the_report_opens_the_case_all_the_same(world: World) -> None:
    confirm_block(signed_in(world.full), world.user_line, reason="LOSS", confirmed="1")
    case = TheftCase.objects.get()
    assert case.reason == "LOSS" and not case.has_report


def test_a_block_for_another_reason_opens_no_case(world: World) -> None:
    response = confirm_block(
        signed_in(world.lr), world.user_line, reason="OTHER", note="Prova", confirmed="1"
    )
    assert response["Location"] == reverse("lines:detail", args=[world.user_line.pk])
    assert not TheftCase.objects.exists()


# --- The case page: the trio, and the report's copy later ------------------------------

PAGES = ["lines:theft-case", "lines:theft-device-block", "lines:theft-replacement"]


@pytest.mark.parametrize("name", PAGES)
def test_case_pages_are_for_lr_and_full_only(world: World, name: str) -> None:
    case = case_of(world)
    for person in (world.lr, world.full):
        assert signed_in(person).get(case_url(case, name)).status_code == 200
    for person in (world.light, world.user):
        assert signed_in(person).get(case_url(case, name)).status_code == 403


@pytest.mark.parametrize("name", [*PAGES, "lines:theft-report-download"])
def test_another_companys_case_or_another_lines_case_is_404(world: World, name: str) -> None:
    theirs = TheftCase.objects.get(
        block_event=services.sim_block(
            actor=world.outsider_lr, line=world.outsider_line, reason="LOSS"
        )
    )
    ours = case_of(world)
    client = signed_in(world.lr)
    assert client.get(case_url(theirs, name)).status_code == 404
    assert client.get(reverse(name, args=[world.lr_line.pk, ours.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("foto denuncia.png", png(), "image/png"), ("denuncia.pdf", PDF, "application/pdf")],
)
def test_the_report_is_uploaded_later_and_downloaded_by_who_may(
    world: World, name: str, content: bytes, content_type: str
) -> None:
    case = case_of(world)
    client = signed_in(world.full)
    response = upload(client, case, name, content)
    assert response.status_code == 302
    assert "Copia della denuncia caricata." in text(client.get(response["Location"]))
    case.refresh_from_db()
    assert case.report_content_type == content_type and case.report_uploaded_by == world.full
    download = signed_in(world.lr).get(case_url(case, "lines:theft-report-download"))
    assert download.status_code == 200 and download["Content-Type"] == content_type
    assert b"".join(download.streaming_content) == content  # type: ignore[attr-defined]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert (
        ".." not in download["Content-Disposition"]
        and " " not in download["Content-Disposition"].split("filename=")[1]
    )
    assert (
        signed_in(world.light).get(case_url(case, "lines:theft-report-download")).status_code == 403
    )


def test_no_report_no_download(world: World) -> None:
    case = case_of(world)
    assert signed_in(world.lr).get(case_url(case, "lines:theft-report-download")).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("denuncia.pdf", b"<html><script>alert(1)</script></html>", "Si possono allegare solo PDF"),
        ("foto.png", b"\x89PNG\r\n\x1a\n" + b"broken image", "L'immagine è danneggiata"),
    ],
)
def test_a_fake_report_is_refused_with_the_reason(
    world: World, name: str, content: bytes, message: str
) -> None:
    case = case_of(world)
    response = upload(signed_in(world.lr), case, name, content)
    assert response.status_code == 200 and message in text(response)
    case.refresh_from_db()
    assert not case.has_report


def test_a_report_over_the_size_limit_is_refused(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ATTACHMENT_MAX_BYTES = 10
    case = case_of(world)
    response = upload(signed_in(world.lr), case, "denuncia.pdf", PDF)
    assert "Il file è troppo grande" in text(response)
    case.refresh_from_db()
    assert not case.has_report


def test_an_upload_with_no_file_says_so(world: World) -> None:
    case = case_of(world)
    response = signed_in(world.lr).post(case_url(case), {})
    assert response.status_code == 200 and "Questo campo è obbligatorio" in text(response)


def test_a_late_report_is_taken_and_marked_late(world: World) -> None:
    case = case_of(world)
    TheftCase.objects.filter(pk=case.pk).update(report_due=timezone.localdate() - timedelta(days=1))
    page = text(signed_in(world.lr).get(case_url(case)))
    assert "copia non ancora caricata" in page
    upload(signed_in(world.lr), case, "denuncia.pdf", PDF)
    case.refresh_from_db()
    assert case.has_report
    event = LineEvent.objects.get(kind=LineEvent.Kind.POLICE_REPORT)
    assert event.details["late"] is True
    assert "in ritardo" in text(signed_in(world.lr).get(case_url(case)))


def test_a_second_report_is_refused(world: World) -> None:
    case = case_of(world)
    client = signed_in(world.lr)
    upload(client, case, "denuncia.pdf", PDF)
    response = upload(client, case, "altra.pdf", PDF)
    assert "già stata caricata" in text(client.get(response["Location"]))
    assert LineEvent.objects.filter(kind=LineEvent.Kind.POLICE_REPORT).count() == 1


# --- The device's IMEI ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imei", "message"),
    [
        ("490154203237517", "L'IMEI non è valido"),  # last digit off: Luhn fails
        ("49015420323751", "L'IMEI è formato da 15 cifre."),
        ("49015420323751A", "L'IMEI è formato da 15 cifre."),
    ],
)
def test_a_wrong_imei_is_refused(world: World, imei: str, message: str) -> None:
    case = case_of(world)
    response = signed_in(world.lr).post(case_url(case, "lines:theft-device-block"), {"imei": imei})
    assert response.status_code == 200 and message in text(response)
    assert not Request.objects.filter(kind=RequestKind.DEVICE_BLOCK).exists()


def test_the_device_block_is_a_tracked_request_once_per_case(world: World) -> None:
    case = case_of(world)
    url = case_url(case, "lines:theft-device-block")
    data = {"imei": "49-015420-323751-8", "make": "Fairphone", "model": "5"}
    response = signed_in(world.lr).post(url, data)
    assert response.status_code == 302 and response["Location"] == case_url(case)
    tracked = Request.objects.get(kind=RequestKind.DEVICE_BLOCK)
    assert tracked.line == world.user_line and tracked.requester == world.lr
    assert tracked.details["imei"] == VALID_IMEI and tracked.details["device"] == "Fairphone 5"
    case.refresh_from_db()
    assert case.device_request == tracked
    again = signed_in(world.full).post(url, {"imei": VALID_IMEI})
    assert again.status_code == 200  # the page shows the request made, not a second form
    assert Request.objects.filter(kind=RequestKind.DEVICE_BLOCK).count() == 1
    assert tracked.reference in text(signed_in(world.full).get(case_url(case)))


# --- The replacement SIM --------------------------------------------------------------


def test_the_replacement_form_is_prefilled_and_the_request_is_linked(world: World) -> None:
    services_event = services.sim_block(
        actor=world.full,
        line=world.user_line,
        reason="THEFT",
        report_date=timezone.localdate(),
        report_authority="Carabinieri di Roma",
    )
    case = TheftCase.objects.get(block_event=services_event)
    url = case_url(case, "lines:theft-replacement")
    page = text(signed_in(world.lr).get(url))
    assert world.company.legal_street in page and "Carabinieri di Roma" in page
    assert world.user.get_full_name() in page
    response = signed_in(world.lr).post(url, ADDRESS)
    assert response.status_code == 302 and response["Location"] == case_url(case)
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE)
    assert tracked.details["reason"] == "THEFT_LOSS"
    assert tracked.details["delivery"]["city"] == "Roma" and tracked.line == world.user_line
    case.refresh_from_db()
    assert case.replacement_request == tracked


def test_a_blocked_line_takes_a_replacement_without_the_report_and_only_one(world: World) -> None:
    case = case_of(world)
    url = case_url(case, "lines:theft-replacement")
    assert signed_in(world.lr).post(url, ADDRESS).status_code == 302
    again = signed_in(world.full).post(url, ADDRESS)
    assert again.status_code == 200
    assert Request.objects.filter(kind=RequestKind.SIM_CHANGE).count() == 1


def test_the_replacement_needs_an_address_for_a_physical_sim(world: World) -> None:
    case = case_of(world)
    data = {**ADDRESS, "street": "", "postal_code": "0018"}
    response = signed_in(world.lr).post(case_url(case, "lines:theft-replacement"), data)
    page = text(response)
    assert "Serve per spedire la nuova SIM." in page and "Il CAP è formato da 5 cifre." in page
    assert not Request.objects.exists()


# --- The story on the line's page ------------------------------------------------------


def test_the_line_page_tells_the_story_from_the_block_to_the_new_sim(
    world: World,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    case = case_of(world)
    line_url = reverse("lines:detail", args=[world.user_line.pk])
    page = text(signed_in(world.lr).get(line_url))
    assert "Furto della SIM" in page and "copia da caricare entro" in page
    assert "Richiedi subito la nuova SIM" in page
    upload(signed_in(world.lr), case, "denuncia.pdf", PDF)
    signed_in(world.lr).post(case_url(case, "lines:theft-device-block"), {"imei": VALID_IMEI})
    signed_in(world.lr).post(case_url(case, "lines:theft-replacement"), ADDRESS)
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE)
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    shipment = tracked.shipments.get()
    new_iccid = _iccid(4242)
    shipment_move(
        shipment=shipment,
        to_state=ShipmentState.SHIPPED,
        actor=world.staff,
        carrier="BRT",
        tracking_number="BRT123456",
        details={"new_iccid": new_iccid, "new_puk": "12345678"},
    )
    page = text(signed_in(world.lr).get(line_url))
    assert "copia caricata" in page and VALID_IMEI in page
    assert tracked.reference in page and "Spedizione: Spedita" in page and "BRT123456" in page
    shipment_move(shipment=shipment, to_state=ShipmentState.DELIVERED, actor=world.staff)
    client = signed_in(world.lr)
    with django_assert_max_num_queries(40):
        page = text(client.get(line_url))
    assert "SIM sostituita" in page and "la linea funziona di nuovo" in page
    world.user_line.refresh_from_db()
    assert world.user_line.state == Line.State.ACTIVE
    assert Sim.objects.get(line=world.user_line, is_active=True).iccid == new_iccid


def test_the_holder_sees_the_story_without_the_actions(world: World) -> None:
    case = case_of(world, line=world.light_line)
    upload(signed_in(world.lr), case, "denuncia.pdf", PDF)
    page = text(signed_in(world.light).get(reverse("lines:detail", args=[world.light_line.pk])))
    assert "Furto della SIM" in page and "copia caricata" in page
    assert case_url(case, "lines:theft-report-download") not in page
    assert case_url(case) not in page


def test_case_page_query_count_does_not_grow_with_the_story(world: World) -> None:
    case = case_of(world)
    client = signed_in(world.lr)
    url = case_url(case)
    client.get(url)  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    empty = count()
    upload(client, case, "denuncia.pdf", PDF)
    client.post(case_url(case, "lines:theft-device-block"), {"imei": VALID_IMEI})
    client.post(case_url(case, "lines:theft-replacement"), ADDRESS)
    tracked = Request.objects.get(kind=RequestKind.SIM_CHANGE)
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    first = shipment_move(
        shipment=tracked.shipments.get(),
        to_state=ShipmentState.SHIPPED,
        actor=world.staff,
        carrier="BRT",
        tracking_number="BRT123456",
        details={"new_iccid": _iccid(4343), "new_puk": "12345678"},
    )
    shipment_move(shipment=first, to_state=ShipmentState.RETURNED, actor=world.staff)
    shipment_move(
        shipment=shipment_restart(request=tracked),
        to_state=ShipmentState.SHIPPED,
        actor=world.staff,
        carrier="GLS",
        tracking_number="GLS654321",
    )
    page = text(client.get(url))
    assert "copia caricata" in page and VALID_IMEI in page and "GLS654321" in page
    assert count() == empty


# --- A request rejected or cancelled is asked again; one already open is linked ---------


def test_a_rejected_device_block_can_be_asked_again(world: World) -> None:
    case = case_of(world)
    client = signed_in(world.lr)
    url = case_url(case, "lines:theft-device-block")
    client.post(url, {"imei": VALID_IMEI})
    first = Request.objects.get(kind=RequestKind.DEVICE_BLOCK)
    request_transition(
        request=first, to_state=RequestState.REJECTED, actor=world.staff, note="IMEI errato"
    )
    page = text(client.get(case_url(case)))
    assert url in page and "Respinta" in page
    response = client.post(url, {"imei": "356938035643809"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.device_request is not None and case.device_request != first
    assert case.device_request.details["imei"] == "356938035643809"


def test_a_cancelled_replacement_can_be_asked_again(world: World) -> None:
    case = case_of(world)
    client = signed_in(world.lr)
    url = case_url(case, "lines:theft-replacement")
    client.post(url, ADDRESS)
    first = Request.objects.get(kind=RequestKind.SIM_CHANGE)
    Request.objects.filter(pk=first.pk).update(state=RequestState.CANCELLED)
    assert "Richiedi subito la nuova SIM" in text(client.get(case_url(case)))
    assert 'name="recipient"' in text(client.get(url))
    assert client.post(url, ADDRESS).status_code == 302
    case.refresh_from_db()
    assert case.replacement_request is not None and case.replacement_request != first
    assert case.replacement_request.state == RequestState.SUBMITTED


def test_a_sim_change_for_theft_already_open_on_the_line_is_linked(world: World) -> None:
    case = case_of(world)
    open_change = services.sim_change_request(
        actor=world.full,
        line=world.user_line,
        reason="THEFT_LOSS",
        sim_kind=Sim.Kind.ESIM,
        details={"esim_email": "nuova@example.it"},
    )
    response = signed_in(world.lr).post(case_url(case, "lines:theft-replacement"), ADDRESS)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.replacement_request == open_change
    assert Request.objects.filter(kind=RequestKind.SIM_CHANGE).count() == 1


# --- The report's copy is uploaded on the case page, due on one date ---------------------


def test_a_report_dated_at_the_block_still_asks_for_its_copy_on_the_case_page(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = signed_in(world.lr)
    dated = {"report_date": timezone.localdate().isoformat(), "report_authority": "Polizia"}
    page = text(confirm_block(client, world.user_line, **dated))
    assert "Serve anche la copia della denuncia" in page and "servizio clienti" not in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        confirm_block(client, world.user_line, confirmed="1", **dated)
    case = TheftCase.objects.get()
    assert (
        case.report_due == case.block_event.report_due == timezone.localdate() + timedelta(days=10)
    )
    [message] = mail.outbox
    assert "Serve anche la copia della denuncia" in message.body
    assert f"{django_settings.SITE_URL}{case_url(case)}" in message.body
    assert "servizio clienti entro" not in message.body
    line_url = reverse("lines:detail", args=[world.user_line.pk])
    page = text(client.get(line_url))
    assert "Ricorda di caricare la copia della denuncia" in page and case_url(case) in page
    upload(client, case, "denuncia.pdf", PDF)
    assert "Ricorda di caricare" not in text(client.get(line_url))


def test_the_block_email_does_not_ask_for_a_copy_given_with_the_block(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    report = SimpleUploadedFile("denuncia.pdf", PDF, content_type="application/pdf")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        confirm_block(signed_in(world.lr), world.user_line, confirmed="1", report_file=report)
    [message] = mail.outbox
    assert "copia della denuncia" not in message.body


# --- When the case ends ----------------------------------------------------------------


def test_a_lost_sim_found_again_needs_no_report(world: World) -> None:
    case = case_of(world, reason="LOSS")
    TheftCase.objects.filter(pk=case.pk).update(report_due=timezone.localdate() - timedelta(days=1))
    services.sim_unblock(actor=world.full, line=world.user_line)
    line_url = reverse("lines:detail", args=[world.user_line.pk])
    page = text(signed_in(world.lr).get(line_url))
    assert "Smarrimento della SIM" in page and "copia non ancora caricata" not in page
    assert "non serve: la SIM smarrita è stata ritrovata" in page
    assert 'name="report_file"' not in text(signed_in(world.lr).get(case_url(case)))
    LineEvent.objects.filter(pk=case.block_event_id).update(at=timezone.now() - timedelta(days=31))
    assert "Smarrimento della SIM" not in text(signed_in(world.lr).get(line_url))


def test_an_open_case_stays_on_the_line_page_after_30_days(world: World) -> None:
    case = case_of(world)
    LineEvent.objects.filter(pk=case.block_event_id).update(at=timezone.now() - timedelta(days=31))
    line_url = reverse("lines:detail", args=[world.user_line.pk])
    assert "Furto della SIM" in text(signed_in(world.lr).get(line_url))
