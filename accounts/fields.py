"""Form fields that choose among the company's lines, labelled alike on every page that
offers them (employees' lines, support requests)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Line, User
from accounts.roles import Capability, can
from accounts.selectors import cost_centre_filter_choices


def line_label(line: Line) -> str:
    who = str(line.assignee) if line.assignee_id else str(_("non assegnata"))
    label = f"{line.number} · {line.contract.get_kind_display()} · {who}"
    return label + (" · Dual Billing" if line.dual_billing else "")


class LineChoiceField(forms.ModelMultipleChoiceField[Line]):
    def label_from_instance(self, obj: Line) -> str:
        return line_label(obj)


class OneLineChoiceField(forms.ModelChoiceField[Line]):
    def label_from_instance(self, obj: Line) -> str:
        return line_label(obj)


def add_cost_centre_filter(form: forms.Form, *, user: User) -> None:
    """Give a list's filter form the `cost_centre` filter (filter_by_cost_centre applies
    it) for the people who know the company's cost centres (K1, K2), when it has some: the
    company's only, so a value sent is always one of them."""
    if user.company_id is None or not (
        can(user, Capability.VIEW_COST_CENTRES) or can(user, Capability.MANAGE_COST_CENTRES)
    ):
        return
    choices = cost_centre_filter_choices(company_id=user.company_id)
    if choices:
        form.fields["cost_centre"] = forms.ChoiceField(
            label=_("Centro di costo"), choices=choices, required=False
        )
