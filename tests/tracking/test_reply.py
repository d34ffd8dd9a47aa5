"""The customer's answer to a request waiting for them (the service and who may give it),
and the rule that a rejection carries a note, whatever the channel."""

import pytest
from django.core import mail

from core.exceptions import ActionRefused
from tests.conftest import World
from tracking.models import Channel, Request, RequestKind, RequestState
from tracking.selectors import KIND_CAPABILITIES, may_answer
from tracking.services import request_create, request_customer_reply, request_transition

S = RequestState


def waiting(world: World, **fields) -> Request:  # type: ignore[no-untyped-def]
    values = {
        "company": world.company,
        "kind": RequestKind.SIM_CHANGE,
        "summary": "Cambio SIM",
        "requester": world.full,
        "line": world.full_line,
        **fields,
    }
    tracked = request_create(**values)
    request_transition(request=tracked, to_state=S.IN_PROGRESS, actor=world.staff)
    return request_transition(
        request=tracked, to_state=S.WAITING_CUSTOMER, actor=world.staff, note="Quale formato?"
    )


@pytest.mark.parametrize("note", ["", "   "])
def test_a_rejection_without_a_note_is_refused_by_the_service(world: World, note: str) -> None:
    tracked = request_create(company=world.company, kind=RequestKind.EXPANSION, summary="SIM")
    with pytest.raises(ActionRefused, match="scrivi al cliente il motivo"):
        request_transition(request=tracked, to_state=S.REJECTED, actor=world.staff, note=note)
    tracked.refresh_from_db()
    assert tracked.state == S.SUBMITTED and tracked.events.count() == 1
    rejected = request_transition(
        request=tracked, to_state=S.REJECTED, actor=None, note="Contratto scaduto"
    )
    assert rejected.state == S.REJECTED and rejected.events.last().note == "Contratto scaduto"  # type: ignore[union-attr]


def test_the_answer_goes_back_to_the_operator_and_tells_who_asked(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    tracked = waiting(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event, created = request_customer_reply(
            request=tracked, author=world.full, message="eSIM", idempotency_key="a" * 32
        )
    tracked.refresh_from_db()
    assert created and tracked.state == S.IN_PROGRESS
    assert (event.from_state, event.to_state, event.actor, event.note) == (
        S.WAITING_CUSTOMER,
        S.IN_PROGRESS,
        world.full,
        "eSIM",
    )
    assert event.is_customer_reply
    # The back office hears of it; the customer is not e-mailed their own words back.
    assert [message.to for message in mail.outbox] == [[world.staff.email]]
    assert "il cliente ha risposto" in mail.outbox[0].subject


def test_without_an_operator_who_asked_the_back_office_address_hears_of_it(
    world: World,
    settings,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    tracked = request_create(
        company=world.company, kind=RequestKind.EXPANSION, summary="SIM", channel=Channel.AGENT
    )
    request_transition(request=tracked, to_state=S.IN_PROGRESS, actor=None)
    request_transition(request=tracked, to_state=S.WAITING_CUSTOMER, actor=None, note="Quante?")
    settings.BACK_OFFICE_EMAIL = "backoffice@example.it"
    with django_capture_on_commit_callbacks(execute=True):
        request_customer_reply(
            request=tracked, author=world.lr, message="Cinque", idempotency_key="b" * 32
        )
    assert [message.to for message in mail.outbox] == [["backoffice@example.it"]]


def test_the_same_key_again_finds_the_first_answer(world: World) -> None:
    tracked = waiting(world)
    first, created = request_customer_reply(
        request=tracked, author=world.full, message="eSIM", idempotency_key="c" * 32
    )
    again, created_again = request_customer_reply(
        request=tracked, author=world.full, message="eSIM", idempotency_key="c" * 32
    )
    assert created and not created_again and again == first
    assert tracked.events.filter(from_state=S.WAITING_CUSTOMER).count() == 1


def test_an_old_answer_sent_again_after_a_new_question_is_refused_not_lost(world: World) -> None:
    """The customer answers, the operator asks again, an old tab sends the first answer's
    form: it must not pass for the answer to the new question, and nothing changes."""
    tracked = waiting(world)
    request_customer_reply(
        request=tracked, author=world.full, message="eSIM", idempotency_key="e" * 32
    )
    request_transition(
        request=tracked, to_state=S.WAITING_CUSTOMER, actor=world.staff, note="Quale indirizzo?"
    )
    with pytest.raises(ActionRefused, match="già stata inviata prima della nuova domanda"):
        request_customer_reply(
            request=tracked, author=world.full, message="Via Roma 1", idempotency_key="e" * 32
        )
    tracked.refresh_from_db()
    assert tracked.state == S.WAITING_CUSTOMER
    assert tracked.events.filter(from_state=S.WAITING_CUSTOMER).count() == 1


@pytest.mark.parametrize("state", [S.SUBMITTED, S.IN_PROGRESS, S.COMPLETED, S.REJECTED])
def test_only_a_waiting_request_takes_an_answer(world: World, state: RequestState) -> None:
    tracked = request_create(
        company=world.company, kind=RequestKind.SIM_CHANGE, summary="Cambio SIM",
        requester=world.full,
    )  # fmt: skip
    Request.objects.filter(pk=tracked.pk).update(state=state)
    with pytest.raises(ActionRefused, match="non è in attesa di una tua risposta"):
        request_customer_reply(
            request=tracked, author=world.full, message="eSIM", idempotency_key="d" * 32
        )
    tracked.refresh_from_db()
    assert tracked.state == state and tracked.events.count() == 1


def test_every_kind_names_the_capability_its_answer_needs() -> None:
    assert set(KIND_CAPABILITIES) == set(RequestKind)


def test_who_may_answer(world: World) -> None:
    mine = waiting(world)  # the FULL administrator's SIM change
    assert may_answer(user=world.full, request=mine)
    assert not may_answer(user=world.lr, request=mine)  # sees it (T1), did not make it
    fault = waiting(world, kind=RequestKind.FAULT, requester=world.user, line=world.user_line)
    assert may_answer(user=world.user, request=fault)
    # Moved off the line: the fault is no longer theirs to answer about (S4 is OWN).
    world.user_line.assignee = world.full
    world.user_line.save(update_fields=["assignee"])
    assert not may_answer(user=world.user, request=fault)
    phoned = waiting(world, kind=RequestKind.OPTION, requester=None, line=None)
    assert may_answer(user=world.lr, request=phoned)  # O2 and T1
    assert not may_answer(user=world.full, request=phoned)  # T1 without O2
    world.full.is_active = False  # the maker's account is closed: the LR answers for them
    world.full.save(update_fields=["is_active"])
    mine.refresh_from_db()
    assert may_answer(user=world.lr, request=mine)
    assert not may_answer(user=world.outsider_lr, request=mine)
