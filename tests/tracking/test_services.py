"""Tracked requests: references, history, allowed transitions, e-mails."""

import pytest
from django.core import mail

from tests.conftest import World
from tracking.models import APPROVAL_STATES, TRANSITIONS, Channel, RequestKind, RequestState
from tracking.services import InvalidTransition, request_create, request_transition

S = RequestState


def open_request(world: World, **kwargs):  # type: ignore[no-untyped-def]
    fields = {
        "company": world.company,
        "kind": RequestKind.EXPANSION,
        "summary": "Nuove SIM",
        "requester": world.full,
        "line": world.full_line,
        **kwargs,
    }
    return request_create(**fields)


def test_a_request_gets_a_reference_and_its_first_history_entry(world: World) -> None:
    tracked = open_request(world)
    assert tracked.reference.startswith("RC") and len(tracked.reference) == 10
    assert tracked.state == S.SUBMITTED and tracked.channel == Channel.WEB
    event = tracked.events.get()
    assert (event.from_state, event.to_state, event.actor) == ("", S.SUBMITTED, world.full)


def test_references_are_unique(world: World) -> None:
    references = {open_request(world).reference for _ in range(50)}
    assert len(references) == 50


def test_requests_from_other_channels_need_no_requester(world: World) -> None:
    tracked = open_request(world, requester=None, line=None, channel=Channel.PHONE)
    assert tracked.channel == Channel.PHONE and tracked.requester is None


def test_a_line_of_another_company_is_refused(world: World) -> None:
    with pytest.raises(ValueError):
        open_request(world, line=world.outsider_line)
    with pytest.raises(ValueError):
        open_request(world, requester=world.outsider_lr, line=None)


def test_allowed_transitions_are_recorded_with_timestamps(world: World) -> None:
    tracked = open_request(world)
    request_transition(request=tracked, to_state=S.IN_PROGRESS, actor=world.staff)
    tracked = request_transition(
        request=tracked, to_state=S.COMPLETED, actor=world.staff, note="Nuova SIM spedita"
    )
    assert tracked.state == S.COMPLETED and not tracked.is_open
    steps = list(tracked.events.values_list("from_state", "to_state"))
    assert steps == [("", S.SUBMITTED), (S.SUBMITTED, S.IN_PROGRESS), (S.IN_PROGRESS, S.COMPLETED)]
    times = list(tracked.events.values_list("at", flat=True))
    assert times == sorted(times)


@pytest.mark.parametrize("from_state", list(RequestState))
@pytest.mark.parametrize("to_state", list(RequestState))
def test_only_declared_transitions_are_allowed(
    from_state: RequestState, to_state: RequestState, world: World
) -> None:
    tracked = open_request(world)
    type(tracked).objects.filter(pk=tracked.pk).update(state=from_state)
    tracked.refresh_from_db()
    note = "Il motivo"  # a rejection needs one; the others take it too
    # A request awaiting approval is the company's approvers' to move (tracking.approvals).
    if to_state in TRANSITIONS[from_state] and from_state not in APPROVAL_STATES:
        moved = request_transition(request=tracked, to_state=to_state, actor=None, note=note)
        assert moved.state == to_state
    else:
        with pytest.raises(InvalidTransition):
            request_transition(request=tracked, to_state=to_state, actor=None, note=note)
        tracked.refresh_from_db()
        assert tracked.state == from_state


def test_the_requester_gets_an_email_at_each_change(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tracked = open_request(world)
    with django_capture_on_commit_callbacks(execute=True):
        request_transition(request=tracked, to_state=S.IN_PROGRESS, actor=world.staff)
    assert [m.to for m in mail.outbox] == [[world.full.email], [world.full.email]]
    assert tracked.reference in mail.outbox[1].subject
    assert "In lavorazione" in mail.outbox[1].subject
    assert mail.outbox[1].alternatives  # an HTML part beside the text
