"""Back office moves requests only along the declared transitions."""

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.conftest import World, sign_in
from tracking.models import RequestKind, RequestState
from tracking.services import request_create


def test_admin_actions_follow_the_transitions(world: World) -> None:
    world.staff.user_permissions.set(Permission.objects.filter(content_type__app_label="tracking"))
    client = Client()
    sign_in(client, world.staff)
    tracked = request_create(company=world.company, kind=RequestKind.FAULT, summary="Guasto")
    url = reverse("admin:tracking_request_changelist")

    response = client.post(
        url, {"action": "move_to_completed", "_selected_action": [tracked.pk]}, follow=True
    )
    tracked.refresh_from_db()
    assert tracked.state == RequestState.SUBMITTED
    assert "non può passare da «Inviata» a «Completata»" in response.content.decode()

    client.post(url, {"action": "move_to_in_progress", "_selected_action": [tracked.pk]})
    tracked.refresh_from_db()
    assert tracked.state == RequestState.IN_PROGRESS
    assert tracked.events.last().actor == world.staff
