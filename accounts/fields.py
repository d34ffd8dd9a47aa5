"""Form fields that choose among the company's lines, labelled alike on every page that
offers them (employees' lines, support requests)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Line


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
