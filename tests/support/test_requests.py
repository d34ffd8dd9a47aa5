"""Callback (S2), experts with an attachment (S3), faults (S4), diagnosis (S5) and the
requests one made."""

import hashlib
import io
import re
import struct
import uuid
import zlib
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageFile

from accounts.models import Line
from accounts.roles import Capability, can
from billing.models import Payment
from core.uploads import download_name
from core.workdays import first_working_day_from, is_working_day
from support.diagnostics import SimulatedDiagnostics
from support.models import Attachment
from tests.accounts.helpers import signed_in
from tests.conftest import World
from tests.factories import InvoiceFactory, LineFactory
from tracking.models import Request, RequestKind, RequestState
from tracking.services import request_create, request_transition

pytestmark = pytest.mark.django_db


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode())


# --- Callback (S2) ---------------------------------------------------------------------


def next_working_day() -> str:
    return first_working_day_from(timezone.localdate() + timedelta(days=1)).isoformat()


def callback(client, **changes: str):  # type: ignore[no-untyped-def]
    data = {"phone": "333 123 4567", "day": next_working_day(), "slot": "09-11", "topic": "Fibra"}
    return client.post(reverse("support:callback"), {**data, **changes})


def test_lr_asks_for_a_callback_once(world: World) -> None:
    client = signed_in(world.lr)
    assert callback(client).status_code == 302
    tracked = Request.objects.get(kind=RequestKind.CALLBACK)
    assert tracked.details["phone"] == "+393331234567" and tracked.details["slot"] == "09-11"
    again = callback(client)
    assert "già una richiesta di questo tipo" in text(again)
    assert Request.objects.count() == 1


@pytest.mark.parametrize("profile", ["full", "light", "user"])
def test_only_the_lr_asks_for_a_callback(world: World, profile: str) -> None:
    assert callback(signed_in(getattr(world, profile))).status_code == 403


def test_callback_day_must_be_a_working_day_in_the_next_two_weeks(world: World) -> None:
    client = signed_in(world.lr)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "Scegli un giorno tra oggi e i prossimi" in text(callback(client, day=yesterday))
    day = timezone.localdate() + timedelta(days=1)
    while is_working_day(day):
        day += timedelta(days=1)
    assert "non è un giorno lavorativo" in text(callback(client, day=day.isoformat()))
    assert "Numero di telefono non valido" in text(callback(client, phone="chiamami"))
    assert not Request.objects.exists()


# --- Experts (S3) and attachments ------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def ask(client, upload=None, key=None):  # type: ignore[no-untyped-def]
    data = {
        "topic": "SECURITY",
        "message": "Come proteggiamo la rete dell'ufficio?",
        "idempotency_key": key or uuid.uuid4().hex,
    }
    if upload is not None:
        data["attachment"] = upload
    return client.post(reverse("support:expert"), data)


def test_expert_request_with_a_pdf_stored_privately(world: World) -> None:
    upload = SimpleUploadedFile("rete.pdf", PDF, content_type="application/pdf")
    response = ask(signed_in(world.lr), upload)
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.EXPERT)
    attachment = Attachment.objects.get(request=tracked)
    assert attachment.original_name == "rete.pdf" and attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.file.name.startswith("attachments/") and "rete" not in attachment.file.name
    page = text(
        signed_in(world.lr).get(reverse("support:request-detail", args=[tracked.reference]))
    )
    assert "rete.pdf" in page
    download = signed_in(world.lr).get(reverse("support:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_png_is_accepted(world: World) -> None:
    upload = SimpleUploadedFile("schermata.png", png(), content_type="image/png")
    assert ask(signed_in(world.lr), upload).status_code == 302
    assert Attachment.objects.get().content_type == "image/png"


def test_the_same_submission_again_opens_one_request(world: World) -> None:
    """A double click, or the retry of a submission whose answer was lost (the database
    went away just after the commit): the same key finds the request it opened."""
    client = signed_in(world.lr)
    form = client.get(reverse("support:expert"))
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', text(form))
    assert key is not None
    first = ask(client, key=key[1])
    again = ask(client, key=key[1])
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Request.objects.filter(kind=RequestKind.EXPERT).count() == 1
    # A new page is a new key: a second question is a second request.
    assert ask(client).status_code == 302
    assert Request.objects.filter(kind=RequestKind.EXPERT).count() == 2


def test_the_same_submission_racing_itself_opens_one_request(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with the same key, both past the look-up before either wrote: the
    database's constraint stops the second, which answers with the first."""
    from support import services

    really_sent = services._expert_request_sent
    lookups: list[str] = []

    def first_look_misses(actor, key):  # type: ignore[no-untyped-def]
        lookups.append(key)
        return None if len(lookups) <= 2 else really_sent(actor, key)

    monkeypatch.setattr(services, "_expert_request_sent", first_look_misses)
    key = uuid.uuid4().hex
    first = ask(signed_in(world.lr), key=key)
    second = ask(signed_in(world.lr), key=key)
    assert first["Location"] == second["Location"]
    assert Request.objects.filter(kind=RequestKind.EXPERT).count() == 1


def test_a_submission_without_its_key_opens_nothing(world: World) -> None:
    response = signed_in(world.lr).post(
        reverse("support:expert"), {"topic": "SECURITY", "message": "Domanda"}
    )
    assert response.status_code == 200
    assert not Request.objects.exists()


ONLY_PDF_AND_IMAGES = "Si possono allegare solo PDF e immagini"
BROKEN_IMAGE = "L'immagine è danneggiata o incompleta"
TOO_MANY_PIXELS = "L'immagine è troppo grande: al massimo 40 megapixel"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, pixels: bytes) -> bytes:
    """A PNG whose header, and every chunk's checksum, are valid, whatever its data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fattura.pdf", b"MZ\x90\x00 this is a program, not a PDF", ONLY_PDF_AND_IMAGES),
        ("foto.png", b"\x89PNG\r\n\x1a\n" + b"broken image", BROKEN_IMAGE),
        ("pagina.html", b"<html><script>alert(1)</script></html>", ONLY_PDF_AND_IMAGES),
        # A valid header and checksums in front of data that is no image.
        ("rumore.png", png_claiming(64, 64, zlib.compress(b"garbage" * 100)), BROKEN_IMAGE),
        ("tronca.png", png_claiming(64, 64, zlib.compress(b"\x00" * 100)), BROKEN_IMAGE),
        ("foto.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, BROKEN_IMAGE),
        # Header sizes: past Pillow's own refusal (a 500 before), and past ours.
        ("bomba.png", png_claiming(30_000, 30_000, zlib.compress(b"\x00" * 1000)), TOO_MANY_PIXELS),
        (
            "enorme.png",
            png_claiming(10_000, 10_000, zlib.compress(b"\x00" * 1000)),
            TOO_MANY_PIXELS,
        ),
        ("grande.png", png_claiming(8_000, 6_000, zlib.compress(b"\x00" * 1000)), TOO_MANY_PIXELS),
    ],
)
def test_attachments_are_checked_by_content(
    world: World, name: str, content: bytes, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As it is in the running app once WeasyPrint (the invoice PDFs) is imported.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = ask(signed_in(world.lr), upload)
    assert response.status_code == 200
    assert message in text(response)
    assert not Request.objects.exists() and not Attachment.objects.exists()


def test_a_jpeg_within_the_pixel_limit_is_accepted(world: World) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "blue").save(buffer, format="JPEG")
    upload = SimpleUploadedFile("foto.jpeg", buffer.getvalue(), content_type="image/jpeg")
    assert ask(signed_in(world.lr), upload).status_code == 302
    assert Attachment.objects.get().content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content", "served_as", "content_type"),
    [
        ('pagina "x";\tprova.html', png(), "pagina_x_prova.png", "image/png"),
        ("Fattura più Marzo.PDF", PDF, "Fattura_piu_Marzo.pdf", "application/pdf"),
        ("script.svg", png(), "script.png", "image/png"),
        ("...", PDF, "allegato.pdf", "application/pdf"),
    ],
)
def test_attachments_are_downloaded_under_a_safe_name_of_their_real_type(
    world: World, name: str, content: bytes, served_as: str, content_type: str
) -> None:
    ask(signed_in(world.lr), SimpleUploadedFile(name, content, content_type="text/html"))
    attachment = Attachment.objects.get()
    assert attachment.file.name.endswith(served_as.rpartition(".")[2])
    for download in [
        signed_in(world.lr).get(reverse("support:attachment", args=[attachment.pk])),
        signed_in(world.staff).get(reverse("backoffice:attachment", args=[attachment.pk])),
    ]:
        assert download["Content-Disposition"] == f'attachment; filename="{served_as}"'
        assert download["Content-Type"] == content_type
        assert download["X-Content-Type-Options"] == "nosniff"
    page = text(
        signed_in(world.lr).get(
            reverse("support:request-detail", args=[attachment.request.reference])
        )
    )
    assert served_as in page


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\mario\\foto.exe", "image/jpeg", "foto.jpg"),
        ("a\r\nSet-Cookie: x=1.png", "image/png", "a_Set-Cookie_x_1.png"),
        ("città.tar.gz", "application/pdf", "citta_tar.pdf"),
        ("", "image/png", "allegato.png"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 80 + ".pdf"),
    ],
)
def test_download_names_keep_no_path_quotes_or_control_characters(
    original: str, content_type: str, expected: str
) -> None:
    assert download_name(original, content_type) == expected


def test_attachments_over_the_limit_are_refused(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ATTACHMENT_MAX_BYTES = 100
    upload = SimpleUploadedFile("grande.pdf", PDF + b"0" * 200, content_type="application/pdf")
    assert "troppo grande" in text(ask(signed_in(world.lr), upload))
    assert not Request.objects.exists()


def test_attachments_are_not_for_others(world: World) -> None:
    upload = SimpleUploadedFile("rete.pdf", PDF, content_type="application/pdf")
    ask(signed_in(world.lr), upload)
    attachment = Attachment.objects.get()
    url = reverse("support:attachment", args=[attachment.pk])
    assert signed_in(world.full).get(url).status_code == 200  # T1: the company's requests
    assert signed_in(world.user).get(url).status_code == 404  # not theirs
    assert signed_in(world.outsider_lr).get(url).status_code == 404
    assert (
        signed_in(world.staff)
        .get(reverse("backoffice:attachment", args=[attachment.pk]))
        .status_code
        == 200
    )


# --- Faults (S4) -------------------------------------------------------------------------


def report(client, line: Line, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "line": str(line.pk),
        "category": "SLOW",
        "description": "La linea cade spesso",
        "availability": "Feriali 9-13",
        "phone": "+39 06 1234567",
    }
    return client.post(reverse("support:fault"), {**data, **changes})


def test_user_reports_a_fault_on_their_own_line_and_follows_it(world: World) -> None:
    client = signed_in(world.user)
    response = report(client, world.fixed_line)
    assert response.status_code == 302
    tracked = Request.objects.get(kind=RequestKind.FAULT)
    assert tracked.line == world.fixed_line and tracked.requester == world.user
    assert tracked.details["diagnosis"]["verdict"] in {"OK", "DEGRADED", "DOWN"}
    mine = text(client.get(reverse("support:requests")))
    assert tracked.reference in mine


def test_faults_only_on_lines_in_scope(world: World) -> None:
    for line in (world.lr_line, world.outsider_line):
        response = report(signed_in(world.user), line)
        assert response.status_code == 200
    assert report(signed_in(world.light), world.delegated_line).status_code == 302
    assert report(signed_in(world.lr), world.spare_line).status_code == 302
    assert Request.objects.count() == 2


def test_a_second_fault_on_the_same_line_while_open_is_refused(world: World) -> None:
    client = signed_in(world.user)
    report(client, world.user_line)
    assert "già una richiesta di questo tipo" in text(report(client, world.user_line))


def test_my_requests_are_mine_only(world: World) -> None:
    report(signed_in(world.user), world.user_line)
    report(signed_in(world.full), world.full_line)
    mine = text(signed_in(world.user).get(reverse("support:requests")))
    assert world.user_line.number in mine and world.full_line.number not in mine
    full_request = Request.objects.get(requester=world.full)
    url = reverse("support:request-detail", args=[full_request.reference])
    assert signed_in(world.user).get(url).status_code == 404


# --- Diagnosis (S5) ----------------------------------------------------------------------


def degraded_number() -> str:
    for n in range(10_000):
        number = f"+3906{n:07d}"
        if int(hashlib.sha256(number.encode()).hexdigest()[:8], 16) % 4 == 0:
            return number
    raise AssertionError


def test_diagnosis_is_deterministic_and_follows_the_line_state(world: World) -> None:
    simulator = SimulatedDiagnostics()
    first = simulator.diagnose(world.fixed_line)
    again = simulator.diagnose(world.fixed_line)
    assert (first.verdict, first.noise_margin_db) == (again.verdict, again.noise_margin_db)
    Line.objects.filter(pk=world.fixed_line.pk).update(state=Line.State.SUSPENDED)
    world.fixed_line.refresh_from_db()
    down = simulator.diagnose(world.fixed_line)
    assert down.verdict == "DOWN" and not down.in_sync


def test_a_degraded_line_suggests_a_fault(world: World) -> None:
    line = LineFactory(
        contract=world.fixed,
        assignee=world.user,
        number=degraded_number(),
        technology=Line.Technology.FTTC,
    )
    page = text(signed_in(world.user).get(reverse("support:diagnosis"), {"line": line.pk}))
    assert "abbiamo trovato un problema" in page and "Margine di rumore basso" in page
    assert f"{reverse('support:fault')}?linea={line.pk}&problema=SLOW" in page


def test_diagnosis_offers_only_fixed_lines_in_scope(world: World) -> None:
    client = signed_in(world.user)
    page = text(client.get(reverse("support:diagnosis")))
    assert world.fixed_line.number in page and world.user_line.number not in page
    other = text(client.get(reverse("support:diagnosis"), {"line": world.outsider_line.pk}))
    assert "Risultato per la linea" not in other


def test_diagnosis_points_to_an_open_fault_instead_of_a_new_one(world: World) -> None:
    line = LineFactory(
        contract=world.fixed,
        assignee=world.user,
        number=degraded_number(),
        technology=Line.Technology.FTTC,
    )
    report(signed_in(world.user), line)
    page = text(signed_in(world.user).get(reverse("support:diagnosis"), {"line": line.pk}))
    reference = Request.objects.get(kind=RequestKind.FAULT).reference
    assert f"è già aperta la segnalazione di guasto {reference}" in page
    assert "Apri una segnalazione di guasto" not in page


# --- What the customer wrote, on the request's page ---------------------------------------


def test_request_pages_show_what_the_customer_wrote_with_labels(world: World) -> None:
    client = signed_in(world.lr)
    assert callback(client).status_code == 302
    upload = SimpleUploadedFile("rete.pdf", PDF, content_type="application/pdf")
    assert ask(client, upload).status_code == 302
    assert report(client, world.fixed_line).status_code == 302
    called = Request.objects.get(kind=RequestKind.CALLBACK)
    asked = Request.objects.get(kind=RequestKind.EXPERT)
    fault = Request.objects.get(kind=RequestKind.FAULT)

    def page(tracked: Request, url_name: str = "support:request-detail") -> str:
        return text(client.get(reverse(url_name, args=[tracked.reference])))

    shown = page(called)
    assert "Fascia oraria" in shown and "09-11" not in shown.split("Fascia oraria")[1][:40]
    assert "Giorno" in shown and called.details["day"] not in shown  # a date, not ISO
    shown = page(asked)
    assert "Come proteggiamo la rete dell'ufficio?" in shown and "rete.pdf" in shown
    assert "SECURITY" not in shown and "Argomento" in shown
    for shown in (page(fault), page(fault, "tracking:detail")):  # the customer's and T1's
        assert "La linea cade spesso" in shown and "Feriali 9-13" in shown
        assert "Diagnosi: esito" in shown and "SLOW" not in shown
        assert fault.details["diagnosis"]["verdict"] not in shown.split("Diagnosi: esito")[1][:80]


# --- What the section offers, from the matrix ---------------------------------------------


@pytest.mark.parametrize("profile", ["lr", "full", "light", "user"])
def test_the_introduction_offers_only_what_the_matrix_gives(world: World, profile: str) -> None:
    person = getattr(world, profile)
    page = text(signed_in(person).get(reverse("support:index")))
    offered = {
        "farti richiamare": can(person, Capability.CONTACT_OPERATOR),
        "scrivere ai nostri esperti": can(person, Capability.ASK_EXPERT),
        "parlare con un operatore": can(person, Capability.CHAT),
        "segnalare un guasto": can(person, Capability.REPORT_FAULT),
    }
    for phrase, allowed in offered.items():
        assert (phrase in page) == allowed, phrase
    if profile == "user":
        assert "richiamar" not in page and "esperti" not in page


def test_diagnosis_without_a_fixed_line_says_so_and_offers_the_alternatives(
    world: World,
) -> None:
    page = text(signed_in(world.light).get(reverse("support:diagnosis")))
    assert "Non hai linee fisse su cui fare la diagnosi" in page
    assert reverse("support:chat-list") in page and reverse("support:fault") in page
    assert "Avvia la diagnosi" not in page
    with_line = text(signed_in(world.user).get(reverse("support:diagnosis")))
    assert "Non hai linee fisse" not in with_line and "Avvia la diagnosi" in with_line


# --- The customer's answer to a request waiting for them ---------------------------------


def waiting(world: World, requester=None, kind=RequestKind.SIM_CHANGE, line=None, **fields):  # type: ignore[no-untyped-def]
    """A request the operator put on hold with a question for the customer."""
    from tracking.models import RequestState
    from tracking.services import request_create, request_transition

    tracked = request_create(
        company=world.company,
        kind=kind,
        summary="Cambio SIM",
        requester=requester,
        line=line,
        **fields,
    )
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    return request_transition(
        request=tracked,
        to_state=RequestState.WAITING_CUSTOMER,
        actor=world.staff,
        note="Ci serve la copia della denuncia di furto.",
    )


def answer(client, tracked, message="Ecco la denuncia.", upload=None, key=None):  # type: ignore[no-untyped-def]
    data = {"message": message, "idempotency_key": key or uuid.uuid4().hex}
    if upload is not None:
        data["attachment"] = upload
    return client.post(reverse("support:request-reply", args=[tracked.reference]), data)


def test_the_maker_answers_with_a_file_and_the_request_goes_back_to_the_operator(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from django.core import mail

    from tracking.models import RequestState

    tracked = waiting(world, requester=world.full, line=world.full_line)
    detail = reverse("support:request-detail", args=[tracked.reference])
    page = text(signed_in(world.full).get(detail))
    assert "Ci serve la copia della denuncia di furto." in page and "Invia la risposta" in page
    upload = SimpleUploadedFile("denuncia.pdf", PDF, content_type="application/pdf")
    client = signed_in(world.full)
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(client, tracked, upload=upload)
    assert response.status_code == 302 and response["Location"] == detail
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    reply = tracked.events.last()
    assert reply is not None and reply.is_customer_reply
    assert (reply.from_state, reply.actor, reply.note) == (
        RequestState.WAITING_CUSTOMER,
        world.full,
        "Ecco la denuncia.",
    )
    stored = Attachment.objects.get(request=tracked)
    assert stored.event == reply and stored.content_type == "application/pdf"
    # The operator who asked hears of it, as the customer hears of each step.
    assert [message.to for message in mail.outbox] == [[world.staff.email]]
    assert (
        tracked.reference in mail.outbox[0].subject and "Ecco la denuncia." in mail.outbox[0].body
    )
    after = text(client.get(detail))
    assert "Risposta inviata" in after and "Invia la risposta" not in after
    assert f"Risposta di {world.full.get_full_name()}" in after and "denuncia.pdf" in after
    # The back office reads the answer and opens the file beside it.
    office = text(
        signed_in(world.staff).get(reverse("backoffice:request-detail", args=[tracked.pk]))
    )
    assert "risposta del cliente" in office and "Ecco la denuncia." in office
    assert reverse("backoffice:attachment", args=[stored.pk]) in office
    download = signed_in(world.staff).get(reverse("backoffice:attachment", args=[stored.pk]))
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]


def test_the_api_shows_the_answer_and_its_file(world: World) -> None:
    from api.auth import api_client_create
    from api.models import ApiScope
    from tracking.models import Channel

    tracked = waiting(world, requester=world.full, line=world.full_line)
    upload = SimpleUploadedFile("denuncia.pdf", PDF, content_type="application/pdf")
    answer(signed_in(world.full), tracked, upload=upload)
    token = api_client_create(
        name="negozi", scopes=[ApiScope.REQUESTS_READ], channels=[Channel.SHOP],
        companies=[world.company],
    )[1]  # fmt: skip
    body = (
        Client()
        .get(f"/api/v1/requests/{tracked.reference}/", HTTP_AUTHORIZATION=f"Bearer {token}")
        .json()
    )
    reply = body["history"][-1]
    assert reply["customer_reply"] is True and reply["note"] == "Ecco la denuncia."
    assert reply["attachments"] == [
        {
            "name": "denuncia.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    ]
    assert not any(entry["customer_reply"] for entry in body["history"][:-1])


def test_a_request_out_of_scope_answers_404(world: World) -> None:
    tracked = waiting(world, requester=world.full, line=world.full_line)
    # A colleague without company-wide tracking, and another company's LR.
    assert answer(signed_in(world.user), tracked).status_code == 404
    assert answer(signed_in(world.outsider_lr), tracked).status_code == 404
    assert tracked.events.count() == 3  # submitted, in progress, waiting: no answer


def test_seeing_a_request_is_not_answering_it(world: World) -> None:
    """A T1 holder sees the LR's request but did not make it: 403, and no form."""
    tracked = waiting(world, requester=world.lr, line=world.lr_line)
    page = text(signed_in(world.full).get(reverse("tracking:detail", args=[tracked.reference])))
    assert "Ci serve la copia" in page and "Invia la risposta" not in page
    assert "Risponde chi ha fatto la richiesta" in page
    assert answer(signed_in(world.full), tracked).status_code == 403
    tracked.refresh_from_db()
    assert tracked.state == "WAITING_CUSTOMER"


def test_a_maker_who_lost_the_capability_cannot_answer(world: World) -> None:
    tracked = waiting(world, requester=world.full, line=world.full_line)
    world.full.profile = "USER"  # the LR made them Utilizzatore: no SIM changes (L4)
    world.full.save(update_fields=["profile"])
    assert answer(signed_in(world.full), tracked).status_code == 403
    page = text(
        signed_in(world.full).get(reverse("support:request-detail", args=[tracked.reference]))
    )
    assert "Invia la risposta" not in page


def test_another_channels_request_is_answered_by_who_may_make_it(world: World) -> None:
    from tracking.models import Channel, RequestState

    # An agent's offer activation (a commercial act, O2): the LR answers from tracking, the
    # FULL administrator, who follows the company's requests but may not make it, may not.
    tracked = waiting(world, kind=RequestKind.OFFER, channel=Channel.AGENT)
    assert answer(signed_in(world.full), tracked).status_code == 403
    response = answer(signed_in(world.lr), tracked)
    assert response["Location"] == reverse("tracking:detail", args=[tracked.reference])
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS


def test_only_a_waiting_request_takes_an_answer(world: World) -> None:
    from tracking.models import RequestState
    from tracking.services import request_create, request_transition

    tracked = request_create(
        company=world.company, kind=RequestKind.SIM_CHANGE, summary="Cambio SIM",
        requester=world.full, line=world.full_line,
    )  # fmt: skip
    request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
    detail = reverse("support:request-detail", args=[tracked.reference])
    assert "Invia la risposta" not in text(signed_in(world.full).get(detail))
    client = signed_in(world.full)
    response = answer(client, tracked)
    assert response.status_code == 302
    page = text(client.get(detail))
    assert f"La richiesta {tracked.reference} non è in attesa di una tua risposta" in page
    assert tracked.events.count() == 2 and not Attachment.objects.exists()


def test_a_double_submit_sends_one_answer(world: World) -> None:
    tracked = waiting(world, requester=world.full, line=world.full_line)
    key = uuid.uuid4().hex
    client = signed_in(world.full)
    for _ in range(2):
        upload = SimpleUploadedFile("denuncia.pdf", PDF, content_type="application/pdf")
        response = answer(client, tracked, upload=upload, key=key)
        assert response.status_code == 302
    assert "Risposta inviata" in text(client.get(response["Location"]))
    assert tracked.events.filter(actor=world.full, from_state="WAITING_CUSTOMER").count() == 1
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("denuncia.pdf", b"<html><script>alert(1)</script></html>", ONLY_PDF_AND_IMAGES),
        ("foto.png", b"\x89PNG\r\n\x1a\n" + b"broken image", BROKEN_IMAGE),
    ],
)
def test_a_bad_file_is_refused_with_the_reason_and_nothing_moves(
    world: World, name: str, content: bytes, message: str
) -> None:
    tracked = waiting(world, requester=world.full, line=world.full_line)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = answer(signed_in(world.full), tracked, message="Eccola", upload=upload)
    assert response.status_code == 200
    page = text(response)
    assert message in page and "Eccola" in page  # the message is kept to send again
    tracked.refresh_from_db()
    assert tracked.state == "WAITING_CUSTOMER" and not Attachment.objects.exists()


def test_an_answer_needs_words_within_the_limit(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    tracked = waiting(world, requester=world.full, line=world.full_line)
    assert "Scrivi la tua risposta." in text(answer(signed_in(world.full), tracked, message="  "))
    too_long = text(answer(signed_in(world.full), tracked, message="x" * 2001))
    assert "2000 caratteri" in too_long
    settings.ATTACHMENT_MAX_BYTES = 10
    upload = SimpleUploadedFile("denuncia.pdf", PDF, content_type="application/pdf")
    too_big = text(answer(signed_in(world.full), tracked, upload=upload))
    assert "Il file è troppo grande" in too_big
    tracked.refresh_from_db()
    assert tracked.state == "WAITING_CUSTOMER"


# --- «Le mie richieste»: everything the person did ---------------------------------------


def did_everything(world: World, person, stamp: int = 0) -> None:  # type: ignore[no-untyped-def]
    """A request, a SIM block and unblock, a top-up and an invoice payment by `person`, each
    dated one day apart (newest: the payment), `stamp` days further back."""
    from consumption.models import TopUp
    from lines.models import LineEvent
    from lines.services import sim_block, sim_unblock
    from tracking.services import request_create

    line = world.full_line
    now = timezone.now() - timedelta(days=stamp)
    tracked = request_create(
        company=world.company, kind=RequestKind.CALLBACK, summary="Richiamare per la fibra",
        requester=person,
    )  # fmt: skip
    Request.objects.filter(pk=tracked.pk).update(created_at=now - timedelta(days=5))
    blocked = sim_block(actor=person, line=line, reason="LOSS")
    unblocked = sim_unblock(actor=person, line=line)
    LineEvent.objects.filter(pk=blocked.pk).update(at=now - timedelta(days=4))
    LineEvent.objects.filter(pk=unblocked.pk).update(at=now - timedelta(days=3))
    paid_top_up = Payment.objects.create(
        purpose=Payment.Purpose.TOP_UP, amount=10, provider="sandbox", created_by=person,
        provider_reference=f"sbx_{uuid.uuid4().hex}", idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    top_up = TopUp.objects.create(
        line=line, amount=10, payment=paid_top_up, requested_by=person,
        status=TopUp.Status.CREDITED,
    )  # fmt: skip
    TopUp.objects.filter(pk=top_up.pk).update(created_at=now - timedelta(days=2))
    invoice = InvoiceFactory(company=world.company, contract=world.mobile)
    payment = Payment.objects.create(
        invoice=invoice, invoice_revision=invoice.revision, amount=invoice.total,
        provider="sandbox", provider_reference=f"sbx_{uuid.uuid4().hex}",
        idempotency_key=uuid.uuid4().hex, created_by=person, status=Payment.Status.SUCCEEDED,
        description=f"Fattura {invoice.number}",
    )  # fmt: skip
    Payment.objects.filter(pk=payment.pk).update(created_at=now - timedelta(days=1))


def activity(client, **query: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The rows of «Le mie richieste», each as its text in one line."""
    page = text(client.get(reverse("support:requests"), query))
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_my_requests_list_everything_the_person_did_newest_first(world: World) -> None:
    did_everything(world, world.full)
    did_everything(world, world.lr)  # a colleague's: not theirs to see here
    rows = activity(signed_in(world.full))
    assert len(rows) == 5
    paid = Payment.objects.get(created_by=world.full, purpose=Payment.Purpose.INVOICE)
    assert paid.invoice is not None
    total = f"{paid.invoice.total:.2f}".replace(".", ",")
    assert rows[0].startswith(f"Pagamento della fattura Fattura {paid.invoice.number}")
    assert f"{total} €" in rows[0] and "Riuscito" in rows[0]
    assert rows[1].startswith("Ricarica") and world.full_line.number in rows[1]
    assert "10,00 €" in rows[1] and "Accreditata" in rows[1]
    assert rows[2].startswith("SIM sbloccata") and world.full_line.number in rows[2]
    assert rows[3].startswith("SIM bloccata Smarrimento") and "Eseguito" in rows[3]
    assert rows[4].startswith("Richiesta di ricontatto Richiamare per la fibra")
    assert "Inviata" in rows[4]
    page = text(signed_in(world.full).get(reverse("support:requests")))
    tracked = Request.objects.get(requester=world.full)
    assert reverse("support:request-detail", args=[tracked.reference]) in page
    assert reverse("lines:detail", args=[world.full_line.pk]) in page


def test_links_only_to_the_pages_the_person_may_open(world: World) -> None:
    """A USER made a request but pays nothing and blocks nothing: the rows they have link
    to what they may open; the LR's payment page is not offered to them."""
    did_everything(world, world.user)
    page = text(signed_in(world.user).get(reverse("support:requests")))
    assert "Pagamento della fattura" in page and "/fatture/pagamenti/" not in page
    assert reverse("lines:detail", args=[world.full_line.pk]) not in page


def test_my_requests_filter_by_kind(world: World) -> None:
    did_everything(world, world.full)
    client = signed_in(world.full)
    top_ups = activity(client, kind="top_ups")
    assert len(top_ups) == 1 and top_ups[0].startswith("Ricarica")
    blocks = activity(client, kind="sim_blocks")
    assert [row.split()[1] for row in blocks] == ["sbloccata", "bloccata"]
    assert activity(client, kind="requests")[0].startswith("Richiesta di ricontatto")
    assert len(activity(client, kind="payments")) == 1
    # A kind that does not exist is ignored, not a 500.
    assert len(activity(client, kind="nonsense")) == 5


def test_rows_of_a_line_no_longer_in_scope_are_listed_without_a_link(world: World) -> None:
    """A LIGHT blocked and topped up a SIM that is no longer theirs (reassigned): the rows
    stay, but link nowhere, since the line's pages would answer 404."""
    did_everything(world, world.light)
    page = text(signed_in(world.light).get(reverse("support:requests")))
    assert "SIM bloccata" in page and "Ricarica" in page
    assert reverse("lines:detail", args=[world.full_line.pk]) not in page
    from consumption.models import TopUp

    top_up = TopUp.objects.select_related("payment").get(requested_by=world.light)
    assert reverse("consumption:top-up-result", args=[top_up.payment.provider_reference]) not in (
        page
    )


def test_requests_waiting_for_the_persons_answer_stand_above_the_list(world: World) -> None:
    """However old, a request waiting for its maker's answer is shown first, linked; a
    colleague's waiting request is not theirs to answer here."""
    mine = request_create(
        company=world.company, kind=RequestKind.SIM_CHANGE, summary="Cambio SIM",
        requester=world.full, line=world.full_line,
    )  # fmt: skip
    theirs = request_create(
        company=world.company, kind=RequestKind.SIM_CHANGE, summary="Cambio SIM",
        requester=world.lr, line=world.lr_line,
    )  # fmt: skip
    for tracked in (mine, theirs):
        request_transition(request=tracked, to_state=RequestState.IN_PROGRESS, actor=world.staff)
        request_transition(
            request=tracked, to_state=RequestState.WAITING_CUSTOMER, actor=world.staff,
            note="Quale formato?",
        )  # fmt: skip
    page = text(signed_in(world.full).get(reverse("support:requests")))
    box = page.split('id="awaiting-title"', 1)[1].split("</section>", 1)[0]
    assert "Una richiesta attende la tua risposta" in box
    assert reverse("support:request-detail", args=[mine.reference]) in box
    assert theirs.reference not in box


def test_my_requests_pages_with_the_same_queries_whatever_their_number(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(world.full)
    did_everything(world, world.full)
    client.get(reverse("support:requests"))  # the session's first read is not the page's
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("support:requests"))
    for stamp in range(1, 6):
        did_everything(world, world.full, stamp=stamp * 10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("support:requests"))
    assert len(many) == len(few)
    with django_assert_max_num_queries(13):
        client.get(reverse("support:requests"), {"pagina": "2"})
    assert response.context["page"].paginator.count == 30
    assert len(activity(client)) == 25 and len(activity(client, pagina="2")) == 5
