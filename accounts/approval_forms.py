"""The LR's rules of approval (D9): which requests wait for approval, and who approves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Profile
from tracking.approval_policy import managers_label, nameable_label
from tracking.models import APPROVABLE_KINDS, RequestKind


class PersonChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class ApprovalPolicyForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("Richieste da approvare"),
        choices=[(str(kind), label) for kind, label in APPROVABLE_KINDS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    legal_rep_approves = forms.BooleanField(required=False)
    approvers = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, nameable: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The profiles' names come from the matrix (who sets the rules, who may approve).
        managers, named = managers_label(), nameable_label()
        self.fields["legal_rep_approves"].label = _("Approva chi è %(profile)s") % {
            "profile": str(Profile.LR.label)
        }
        self.fields["legal_rep_approves"].widget.attrs["class"] = "form-check-input"
        approvers = self.fields["approvers"]
        approvers.queryset = nameable  # type: ignore[attr-defined]
        approvers.label = _("Chi approva, tra le persone con profilo %(profiles)s") % {
            "profiles": named
        }
        approvers.error_messages["invalid_choice"] = _(
            "Questa persona non ha più il profilo %(profiles)s."
        ) % {"profiles": named}
        self.managers = managers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("approvers")
        if data.get("kinds") and not data.get("legal_rep_approves") and not chosen:
            raise forms.ValidationError(
                _(
                    "Hai scelto richieste da approvare ma nessuno che le approvi: "
                    "scegli chi approva."
                )
            )
        if RequestKind.PROFILE_CHANGE in (data.get("kinds") or []) and not chosen:
            # Only the LR changes profiles, and nobody approves their own request.
            self.add_error(
                "approvers",
                _(
                    "I cambi di profilo li chiede solo chi ha il profilo %(profiles)s: per "
                    "approvarli scegli almeno un'altra persona."
                )
                % {"profiles": self.managers},
            )
        return data
