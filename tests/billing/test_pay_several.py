"""Paying several invoices in one checkout (issue 17, item 6): all of them or none, never
twice, and the money back when one of them changed or was paid meanwhile."""

import dataclasses
import re
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing.gateway import SandboxGateway
from billing.models import Invoice, Payment, PaymentInvoice
from billing.payments import InvoicesChanged, PaymentRefused, payment_start, payment_start_many
from billing.services import invoice_import
from tests.billing.test_payments import start
from tests.billing.test_settlement import CARD, invoice_record, provider_says
from tests.concurrency import twice_while_locked
from tests.conftest import World, client_for
from tests.factories import InvoiceFactory

PAY = reverse("billing:invoices-pay")
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


@pytest.fixture
def second(world: World) -> Invoice:
    """Another open invoice of the company, of 244 €."""
    return InvoiceFactory(
        company=world.company,
        contract=world.fixed,
        number="FT-2026-000900",
        taxable=Decimal("200.00"),
        vat=Decimal("44.00"),
        total=Decimal("244.00"),
    )


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode()).replace("\xa0", " ")


def confirm(client: Client, *invoices: Invoice):  # type: ignore[no-untyped-def]
    """The confirmation page of a selection (the list's "Paga le selezionate")."""
    return client.post(PAY, {"invoice": [invoice.pk for invoice in invoices]})


def confirmed(page: str) -> dict[str, object]:
    """What a confirmation page posts: its key, and each invoice with its revision."""
    data: dict[str, object] = dict(re.findall(r'name="(revision-\d+)" value="(\d+)"', page))
    data["invoice"] = re.findall(r'name="invoice" value="(\d+)"', page)
    data["idempotency_key"] = KEY.search(page).group(1)  # type: ignore[union-attr]
    return data


def pay(client: Client, *invoices: Invoice, key: str | None = None):  # type: ignore[no-untyped-def]
    """Confirm the selection on its page; with a key of its own, as if that page had been
    shown with it (the invoices' revisions as they are now)."""
    if key is None:
        return client.post(PAY, confirmed(confirm(client, *invoices).content.decode()))
    return client.post(
        PAY,
        {
            "invoice": [invoice.pk for invoice in invoices],
            "idempotency_key": key,
            **revisions_now(*invoices),
        },
    )


def revisions_now(*invoices: Invoice) -> dict[str, int]:
    return {
        f"revision-{pk}": revision
        for pk, revision in Invoice.objects.filter(
            pk__in=[invoice.pk for invoice in invoices]
        ).values_list("pk", "revision")
    }


def started(world: World, *invoices: Invoice, by: User | None = None) -> Payment:
    payment, _url = payment_start_many(
        user=by or world.lr,
        invoices=invoices,
        revisions={invoice.pk: invoice.revision for invoice in invoices},
        idempotency_key=uuid.uuid4().hex,
        base_url="",
    )
    return payment


def statuses(*invoices: Invoice) -> list[str]:
    return [Invoice.objects.get(pk=invoice.pk).status for invoice in invoices]


# --- The journey ----------------------------------------------------------------------------


def test_ticked_invoices_are_confirmed_with_their_total_then_paid_together(
    world: World,
    second: Invoice,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(world.full)
    listing = text(client.get(reverse("billing:index")))
    assert f'value="{world.invoice.pk}"' in listing and f'value="{second.pk}"' in listing
    assert "Paga le selezionate" in listing

    page = text(confirm(client, world.invoice, second))
    assert world.invoice.number in page and second.number in page
    assert "366,00 €" in page and "Paga online 366,00 €" in page
    assert not Payment.objects.exists()  # nothing starts before the confirmation

    checkout = pay(client, world.invoice, second)
    assert checkout.status_code == 302
    payment = Payment.objects.get()
    assert payment.purpose == Payment.Purpose.INVOICES and payment.invoice is None
    assert payment.amount == Decimal("366.00")
    assert sorted(
        payment.covered.values_list("invoice_id", "amount", "invoice_revision")
    ) == sorted([(world.invoice.pk, Decimal("122.00"), 1), (second.pk, Decimal("244.00"), 1)])
    assert (
        payment.subject
        == f"invoices:{min(world.invoice.pk, second.pk)},{max(world.invoice.pk, second.pk)}"
    )
    assert "366,00 €" in text(client.get(checkout["Location"]))

    with django_capture_on_commit_callbacks(execute=True):
        result = client.post(checkout["Location"], CARD)
    page = text(client.get(result["Location"]))
    assert "Pagamento riuscito" in page and "Le 2 fatture sono pagate" in page
    assert world.invoice.number in page and second.number in page
    assert "122,00 €" in page and "244,00 €" in page and "366,00 €" in page
    assert statuses(world.invoice, second) == [Invoice.Status.PAID, Invoice.Status.PAID]
    assert all(
        Invoice.objects.filter(pk__in=[world.invoice.pk, second.pk]).values_list(
            "paid_at", flat=True
        )
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    [receipt] = mail.outbox
    assert receipt.to == [world.full.email]
    assert receipt.subject == "Ricevuta del pagamento di 2 fatture"
    body = receipt.body.replace("\xa0", " ")
    assert f"Fattura {world.invoice.number}: 122,00 €" in body
    assert f"Fattura {second.number}: 244,00 €" in body and "Totale: 366,00 €" in body
    html = receipt.alternatives[0][0]  # type: ignore[index]
    assert second.number in html
    # Paid: no longer offered for ticking.
    assert f'value="{second.pk}"' not in text(client.get(reverse("billing:index")))


def test_the_list_offers_only_open_invoices_without_a_payment_in_progress(
    world: World, second: Invoice
) -> None:
    paid = InvoiceFactory(
        company=world.company,
        contract=world.mobile,
        status=Invoice.Status.PAID,
        paid_at=timezone.now(),
    )
    start(client_for(world.lr), second)  # a single payment in progress
    listing = text(client_for(world.full).get(reverse("billing:index")))
    assert f'id="pay-{world.invoice.pk}"' in listing
    assert f'id="pay-{second.pk}"' not in listing and f'id="pay-{paid.pk}"' not in listing
    assert 'aria-live="polite"' in listing and "js/pay-several.js" in listing


def test_the_list_keeps_its_queries_whatever_the_number_of_invoices(
    world: World,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(24):
        InvoiceFactory(company=world.company, contract=world.mobile)
    client = client_for(world.lr)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("billing:index"))
    assert response.content.decode().count('name="invoice"') == 25


# --- Never twice -------------------------------------------------------------------------------


def test_the_same_confirmation_twice_is_one_attempt(world: World, second: Invoice) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    first, again = (
        pay(client, world.invoice, second, key=key),
        pay(client, second, world.invoice, key=key),
    )
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Payment.objects.count() == 1 and PaymentInvoice.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_confirmation_twice_at_once_is_one_attempt_not_a_refusal() -> None:
    from tests.conftest import build_world

    world = build_world()
    other = InvoiceFactory(company=world.company, contract=world.fixed)
    key = uuid.uuid4().hex
    answers = twice_while_locked(
        lambda: payment_start_many(
            user=world.lr,
            invoices=[world.invoice, other],
            revisions={world.invoice.pk: 1, other.pk: 1},
            idempotency_key=key,
            base_url="",
        ),
        Invoice.objects.filter(pk=world.invoice.pk),
    )
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert Payment.objects.count() == 1 and PaymentInvoice.objects.count() == 2
    assert len({str(a[1]) for a in answers if isinstance(a, tuple)}) == 1


def test_a_key_is_for_one_selection(world: World, second: Invoice) -> None:
    client = client_for(world.lr)
    key = uuid.uuid4().hex
    pay(client, world.invoice, second, key=key)
    third = InvoiceFactory(company=world.company, contract=world.mobile)
    refused = pay(client, world.invoice, third, key=key)
    assert refused["Location"] == reverse("billing:index")
    assert "già stata usata per un'altra operazione" in text(client.get(refused["Location"]))
    assert Payment.objects.count() == 1
    # Nor does a single invoice's key start a grouped payment, or the other way round.
    single = uuid.uuid4().hex
    start(client, third, single)
    assert pay(client, world.invoice, key=single)["Location"] == reverse("billing:index")
    assert Payment.objects.count() == 2


def test_an_invoice_in_a_grouped_payment_cannot_be_paid_alone_or_in_another_group(
    world: World, second: Invoice
) -> None:
    client = client_for(world.lr)
    pay(client, world.invoice, second)
    response = start(client, world.invoice)
    assert response["Location"] == reverse("billing:invoice-detail", args=[world.invoice.pk])
    assert "pagamento in corso" in text(client.get(response["Location"]))
    third = InvoiceFactory(company=world.company, contract=world.mobile)
    colleague = client_for(world.full)
    refused = confirm(colleague, second, third)
    assert refused["Location"] == reverse("billing:index")
    page = text(colleague.get(refused["Location"]))
    assert f"pagamento in corso per la fattura {second.number}" in page
    assert Payment.objects.count() == 1
    # The detail page offers to resume or cancel it; cancelling frees both invoices.
    detail = text(client.get(reverse("billing:invoice-detail", args=[second.pk])))
    assert "Riprendi il pagamento" in detail
    client.post(reverse("billing:payment-cancel", args=[second.pk]))
    assert Payment.objects.get().status == Payment.Status.CANCELLED
    assert pay(client, world.invoice, third).status_code == 302


def test_a_replayed_callback_pays_once(world: World, second: Invoice) -> None:
    payment = started(world, world.invoice, second)
    import json

    from billing.gateway import SIGNATURE_HEADER, sign
    from billing.payments import payment_callback

    body = json.dumps(
        {"id": "evt_same", "payment": payment.provider_reference, "outcome": "succeeded"}
    ).encode()
    headers = {SIGNATURE_HEADER: sign(body)}
    assert payment_callback(provider="sandbox", body=body, headers=headers) == "processed"
    paid_at = Invoice.objects.get(pk=second.pk).paid_at
    assert payment_callback(provider="sandbox", body=body, headers=headers) == "duplicate"
    assert provider_says(payment) == "ignored"  # the same charge, another event id
    assert statuses(world.invoice, second) == [Invoice.Status.PAID, Invoice.Status.PAID]
    assert Invoice.objects.get(pk=second.pk).paid_at == paid_at
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


# --- All or none ---------------------------------------------------------------------------


@pytest.fixture
def tasks_run_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_an_invoice_corrected_meanwhile_pays_none_and_the_money_is_refunded(
    world: World,
    tasks_run_at_once: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    imported = invoice_import(invoice_record(world, "10.00")).invoice
    client = client_for(world.lr)
    pay(client, world.invoice, imported)
    payment = Payment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        invoice_import(invoice_record(world, "5000.00"))  # a correction: a new revision
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED and payment.failure_reason == "one_changed"
    assert "controlla i nuovi importi" in text(client.get(payment.return_path))

    with django_capture_on_commit_callbacks(execute=True):
        assert provider_says(payment) == "processed"  # paid at the provider all the same
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED and payment.failure_reason == "one_changed"
    assert statuses(world.invoice, imported) == [Invoice.Status.OPEN, Invoice.Status.OPEN]
    page = text(client.get(payment.return_path))
    assert "Pagamento non applicato" in page and "Una delle fatture è stata aggiornata" in page


def test_a_new_revision_without_an_import_is_caught_when_settling(
    world: World,
    second: Invoice,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    payment = started(world, world.invoice, second)
    Invoice.objects.filter(pk=second.pk).update(revision=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert provider_says(payment) == "processed"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE and payment.failure_reason == "one_changed"
    assert statuses(world.invoice, second) == [Invoice.Status.OPEN, Invoice.Status.OPEN]
    assert "nessuna fattura è stata pagata" in mail.outbox[0].body


def test_an_invoice_paid_meanwhile_alone_pays_none_of_the_group(
    world: World,
    second: Invoice,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    grouped = started(world, world.invoice, second)
    Payment.objects.filter(pk=grouped.pk).update(expires_at=timezone.now())  # abandoned
    client = client_for(world.full)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(start(client, second)["Location"], CARD)
    assert Payment.objects.get(invoice=second).status == Payment.Status.SUCCEEDED
    # ...but the grouped checkout had been paid in time at the provider.
    Payment.objects.filter(pk=grouped.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert provider_says(grouped) == "processed"
    grouped.refresh_from_db()
    assert grouped.status == Payment.Status.REFUND_DUE
    assert grouped.failure_reason == "one_already_paid"
    assert statuses(world.invoice, second) == [Invoice.Status.OPEN, Invoice.Status.PAID]
    assert "già stata pagata nel frattempo" in mail.outbox[0].body


def test_a_grouped_success_refunds_a_late_single_one(world: World, second: Invoice) -> None:
    single, _url = payment_start(
        user=world.full, invoice=second, idempotency_key=uuid.uuid4().hex, base_url=""
    )
    Payment.objects.filter(pk=single.pk).update(expires_at=timezone.now())
    grouped = started(world, world.invoice, second)
    Payment.objects.filter(pk=single.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    assert provider_says(grouped) == "processed"
    assert provider_says(single) == "processed"
    assert Payment.objects.get(pk=grouped.pk).status == Payment.Status.SUCCEEDED
    single.refresh_from_db()
    assert single.status == Payment.Status.REFUND_DUE and single.failure_reason == "already_paid"


def test_an_amount_changed_meanwhile_pays_none(world: World, second: Invoice) -> None:
    payment = started(world, world.invoice, second)
    Invoice.objects.filter(pk=world.invoice.pk).update(
        taxable=Decimal("1000.00"), vat=Decimal("220.00"), total=Decimal("1220.00")
    )
    provider_says(payment)
    assert Payment.objects.get().status == Payment.Status.REFUND_DUE
    assert statuses(world.invoice, second) == [Invoice.Status.OPEN, Invoice.Status.OPEN]


def test_a_charge_for_another_amount_pays_none(
    world: World, second: Invoice, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = started(world, world.invoice, second)
    parse = SandboxGateway.parse_callback

    def charged_less(self, **kwargs):  # type: ignore[no-untyped-def]
        return dataclasses.replace(parse(self, **kwargs), amount=Decimal("122.00"))

    monkeypatch.setattr(SandboxGateway, "parse_callback", charged_less)
    provider_says(payment)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_DUE
    assert payment.failure_reason == "amount_mismatch"
    assert statuses(world.invoice, second) == [Invoice.Status.OPEN, Invoice.Status.OPEN]


def test_rows_that_do_not_add_up_to_the_charge_pay_none(world: World, second: Invoice) -> None:
    payment = started(world, world.invoice, second)
    PaymentInvoice.objects.filter(invoice=second).update(amount=Decimal("1.00"))
    provider_says(payment)
    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == (
        Payment.Status.REFUND_DUE,
        "amount_mismatch",
    )
    assert statuses(world.invoice, second) == [Invoice.Status.OPEN, Invoice.Status.OPEN]


def test_a_payer_who_left_the_company_pays_none(world: World, second: Invoice) -> None:
    payment = started(world, world.invoice, second, by=world.full)
    world.full.company = world.outsider_company
    world.full.save(update_fields=["company"])
    provider_says(payment, at=time.time())
    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == (Payment.Status.REFUND_DUE, "payer_changed")


# --- Who may pay what ----------------------------------------------------------------------------


def test_another_companys_invoice_in_the_selection_is_404(world: World) -> None:
    client = client_for(world.lr)
    assert confirm(client, world.invoice, world.outsider_invoice).status_code == 404
    assert (
        pay(client, world.invoice, world.outsider_invoice, key=uuid.uuid4().hex).status_code == 404
    )
    assert confirm(client, world.outsider_invoice).status_code == 404
    assert not Payment.objects.exists()


def test_users_cannot_pay_invoices(world: World, second: Invoice) -> None:
    client = client_for(world.user)
    assert confirm(client, world.invoice, second).status_code == 403
    assert pay(client, world.invoice, second, key=uuid.uuid4().hex).status_code == 403
    assert not Payment.objects.exists()


def test_only_posts_are_answered(world: World) -> None:
    assert client_for(world.lr).get(PAY).status_code == 405


def test_a_grouped_payments_result_is_the_companys_only(world: World, second: Invoice) -> None:
    payment = started(world, world.invoice, second)
    url = reverse("billing:payment-result", args=[payment.provider_reference])
    assert client_for(world.light).get(url).status_code == 200  # a colleague who may pay
    assert client_for(world.outsider_lr).get(url).status_code == 404
    assert client_for(world.user).get(url).status_code == 403


def test_a_personal_invoice_is_paid_alone(world: World) -> None:
    client = client_for(world.light)  # the personal invoice is theirs
    response = confirm(client, world.invoice, world.personal_invoice)
    assert response["Location"] == reverse("billing:index")
    assert "è una fattura personale" in text(client.get(response["Location"]))
    refused = pay(client, world.invoice, world.personal_invoice, key=uuid.uuid4().hex)
    assert refused["Location"] == reverse("billing:index")
    with pytest.raises(PaymentRefused, match="personale"):
        payment_start_many(
            user=world.light,
            invoices=[world.invoice, world.personal_invoice],
            revisions={world.invoice.pk: 1, world.personal_invoice.pk: 1},
            idempotency_key=uuid.uuid4().hex,
            base_url="",
        )
    assert not Payment.objects.exists()
    # Someone else's personal invoice is not theirs to name at all.
    assert confirm(client_for(world.lr), world.personal_invoice).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Seleziona almeno una fattura"),
        ({"invoice": ["abc"]}, "Seleziona almeno una fattura"),
        ({"invoice": [str(n) for n in range(1, 60)]}, "al massimo 50 fatture"),
    ],
)
def test_an_empty_or_odd_selection_is_explained(world: World, data: dict, message: str) -> None:  # type: ignore[type-arg]
    client = client_for(world.lr)
    response = client.post(PAY, data)
    assert response["Location"] == reverse("billing:index")
    assert message in text(client.get(response["Location"]))


def test_a_paid_invoice_cannot_be_selected(world: World, second: Invoice) -> None:
    Invoice.objects.filter(pk=second.pk).update(status=Invoice.Status.PAID, paid_at=timezone.now())
    client = client_for(world.lr)
    response = confirm(client, world.invoice, second)
    assert f"La fattura {second.number} risulta già pagata" in text(
        client.get(response["Location"])
    )
    assert pay(client, world.invoice, second, key=uuid.uuid4().hex)["Location"] == reverse(
        "billing:index"
    )
    assert not Payment.objects.exists()


def test_a_long_selection_has_a_short_subject_and_description(world: World) -> None:
    invoices = [InvoiceFactory(company=world.company, contract=world.mobile) for _ in range(20)]
    payment = started(world, *invoices)
    assert payment.subject.startswith("invoices:") and len(payment.subject) <= 40
    assert payment.amount == Decimal("122.00") * 20
    assert payment.covered.count() == 20


def test_a_grouped_payment_is_in_its_payers_activity(world: World, second: Invoice) -> None:
    from tracking.activity import activity_for, activity_rows

    payment = started(world, world.invoice, second)
    entries = list(activity_for(user=world.lr, kind="payments"))
    assert [entry[1] for entry in entries] == [payment.pk]
    [row] = activity_rows(user=world.lr, entries=entries)
    assert str(row.what) == "Pagamento di più fatture" and row.amount == Decimal("366.00")
    assert not list(activity_for(user=world.full, kind="payments"))


# --- The total confirmed is the total charged ------------------------------------------------


def test_a_correction_after_the_confirmation_is_refused_with_the_new_figures(
    world: World,
) -> None:
    imported = invoice_import(invoice_record(world, "10.00")).invoice  # 12,20 €
    client = client_for(world.lr)
    page = text(confirm(client, world.invoice, imported))
    assert "Paga online 134,20 €" in page
    shown = confirmed(page)
    assert shown[f"revision-{imported.pk}"] == "1"

    invoice_import(invoice_record(world, "5000.00"))  # a correction: 6.100,00 € now
    response = client.post(PAY, shown)
    assert response.status_code == 200  # back to the confirmation, nothing charged
    assert not Payment.objects.exists()
    again = text(response)
    assert f"La fattura {imported.number} è stata aggiornata dopo il riepilogo" in again
    assert "non è stato addebitato nulla" in again
    assert "Paga online 6.222,00 €" in again and "134,20 €" not in again
    fresh = confirmed(again)
    assert fresh[f"revision-{imported.pk}"] == "2"
    assert fresh["idempotency_key"] != shown["idempotency_key"]

    assert client.post(PAY, fresh).status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == Decimal("6222.00")
    assert sorted(payment.covered.values_list("invoice_id", "invoice_revision")) == sorted(
        [(world.invoice.pk, 1), (imported.pk, 2)]
    )


def test_the_service_starts_nothing_for_another_revision_than_the_confirmed_one(
    world: World, second: Invoice
) -> None:
    Invoice.objects.filter(pk=second.pk).update(revision=2)
    with pytest.raises(InvoicesChanged, match=second.number):
        payment_start_many(
            user=world.lr,
            invoices=[world.invoice, second],
            revisions={world.invoice.pk: 1, second.pk: 1},
            idempotency_key=uuid.uuid4().hex,
            base_url="",
        )
    with pytest.raises(InvoicesChanged, match="Le fatture"):
        payment_start_many(
            user=world.lr,
            invoices=[world.invoice, second],
            revisions={},
            idempotency_key=uuid.uuid4().hex,
            base_url="",
        )
    assert not Payment.objects.exists()


@pytest.mark.parametrize("revision", [None, "", "x"])
def test_a_confirmation_without_the_revisions_is_refused(
    world: World, second: Invoice, revision: str | None
) -> None:
    client = client_for(world.lr)
    data = confirmed(confirm(client, world.invoice, second).content.decode())
    if revision is None:
        del data[f"revision-{second.pk}"]
    else:
        data[f"revision-{second.pk}"] = revision
    response = client.post(PAY, data)
    assert response["Location"] == reverse("billing:index")
    assert "Richiesta di pagamento non valida" in text(client.get(response["Location"]))
    assert not Payment.objects.exists()


# --- An invoice's page with a payment of several in progress ---------------------------------


def test_the_invoice_page_says_the_payment_is_of_all_the_invoices(
    world: World, second: Invoice
) -> None:
    client = client_for(world.lr)
    pay(client, world.invoice, second)
    detail = text(client.get(reverse("billing:invoice-detail", args=[second.pk])))
    started = r"Hai avviato (il |l')\S+ \S+ un unico pagamento di 2 fatture, compresa questa"
    assert re.search(started, detail)
    assert "per un totale di 366,00 €" in detail
    assert "annulli il pagamento di tutte le 2 fatture" in detail
    assert "Riprendi il pagamento delle 2 fatture" in detail
    assert "Annulla il pagamento di tutte le 2 fatture" in detail
    assert "il pagamento di questa fattura" not in detail
    other = reverse("billing:invoice-detail", args=[world.invoice.pk])
    assert f'<a href="{other}">{world.invoice.number}</a>: 122,00 €' in detail
    assert f"{second.number}: 244,00 €" in detail

    colleague = text(client_for(world.full).get(other))
    assert "C'è già un unico pagamento in corso di 2 fatture, compresa questa" in colleague
    assert "per un totale di 366,00 €" in colleague and "Annulla" not in colleague

    cancelled = client.post(reverse("billing:payment-cancel", args=[second.pk]))
    after = text(client.get(cancelled["Location"]))
    assert "Pagamento delle 2 fatture annullato per tutte" in after
    assert Payment.objects.get().status == Payment.Status.CANCELLED


def test_a_single_payment_keeps_its_own_words(world: World) -> None:
    client = client_for(world.lr)
    start(client, world.invoice)
    detail = text(client.get(reverse("billing:invoice-detail", args=[world.invoice.pk])))
    assert "Hai avviato il pagamento di questa fattura" in detail
    assert "unico pagamento" not in detail and ">Annulla</button>" in detail
    cancelled = client.post(reverse("billing:payment-cancel", args=[world.invoice.pk]))
    assert "Pagamento annullato: non è stato addebitato nulla." in text(
        client.get(cancelled["Location"])
    )


def test_the_lists_running_sum_gets_both_forms_of_one_plural(world: World) -> None:
    listing = text(client_for(world.lr).get(reverse("billing:index")))
    assert 'data-one="{n} fattura selezionata:"' in listing
    assert 'data-many="{n} fatture selezionate:"' in listing
