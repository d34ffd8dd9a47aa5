from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.access import user_of
from tracking.models import Request, RequestEvent, RequestState
from tracking.services import CompletionRefused, InvalidTransition, request_transition


class RequestEventInline(admin.TabularInline[RequestEvent, Request]):
    model = RequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "from_state", "to_state", "actor", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _transition_action(to_state: RequestState) -> Any:
    def action(
        modeladmin: admin.ModelAdmin[Request], request: HttpRequest, queryset: QuerySet[Request]
    ) -> None:
        for tracked in queryset:
            try:
                request_transition(request=tracked, to_state=to_state, actor=user_of(request))
            except CompletionRefused as refusal:
                modeladmin.message_user(request, f"{tracked.reference}: {refusal}", messages.ERROR)
            except InvalidTransition:
                message = _("%(reference)s: non può passare da «%(from)s» a «%(to)s».") % {
                    "reference": tracked.reference,
                    "from": tracked.get_state_display(),
                    "to": to_state.label,
                }
                modeladmin.message_user(request, message, messages.ERROR)

    action.__name__ = f"move_to_{to_state.value.lower()}"
    action.short_description = to_state.label  # type: ignore[attr-defined]
    return action


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin[Request]):
    list_display = ["reference", "company", "kind", "channel", "state", "created_at"]
    list_filter = ["state", "kind", "channel"]
    search_fields = ["reference", "company__name", "summary"]
    list_select_related = ["company"]
    # Requests are opened by the services and moved only through the actions below.
    readonly_fields = [
        "reference",
        "company",
        "kind",
        "channel",
        "requester",
        "line",
        "state",
        "summary",
        "details",
        "created_at",
        "updated_at",
    ]
    inlines = [RequestEventInline]
    actions = [
        _transition_action(state) for state in RequestState if state != RequestState.SUBMITTED
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
