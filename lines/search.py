"""Finding lines by what people type: the search box and the filter behind it, shared by
the list of lines and the offers' line chooser."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Line


class LineSearchForm(forms.Form):
    """The words `filter_lines` looks for in a line's number, label and assignee."""

    q = forms.CharField(
        label=_("Numero, descrizione o assegnatario"), max_length=100, required=False
    )


def filter_lines(
    lines: QuerySet[Line], *, query: str = "", kind: str = "", state: str = ""
) -> QuerySet[Line]:
    if query:
        words = Q()
        for word in query.split():
            words &= (
                Q(number__icontains=word)
                | Q(label__icontains=word)
                | Q(assignee__first_name__icontains=word)
                | Q(assignee__last_name__icontains=word)
            )
        lines = lines.filter(words)
    if kind:
        lines = lines.filter(contract__kind=kind)
    if state:
        lines = lines.filter(state=state)
    return lines
