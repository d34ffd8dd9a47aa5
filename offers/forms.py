from __future__ import annotations

from enum import StrEnum
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Line
from lines.search import LineSearchForm

# Lines on a page of the activation's line chooser.
PAGE_SIZE = 50
# Far beyond any company's pages: a posted page number is a number, not a denial of service.
MAX_PAGE = 100_000
# Line ids are PostgreSQL bigints: anything else names no line (and must not reach the query).
MAX_ID = 2**63 - 1


class ChooserAction(StrEnum):
    """What a submit button of the line chooser asks for, after recording the page's ticks."""

    SEARCH = "search"
    SHOW_ALL = "show_all"
    SAVE = "save"
    SELECT_FOUND = "select_found"
    DESELECT_FOUND = "deselect_found"
    CLEAR = "clear"
    SUMMARY = "summary"


class LineIdsField(forms.Field):
    """Line ids as a page posts them (hidden inputs, checkboxes): at most `max_count`
    whole numbers that a line id can be."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Le linee inviate non sono valide: ricarica la pagina e riprova."),
    }

    def __init__(self, *, max_count: int, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_count = max_count

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        if not isinstance(value, list | tuple) or len(value) > self.max_count:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        ids = []
        for item in value:
            try:
                line_id = int(str(item))
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if not 0 < line_id <= MAX_ID:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(line_id)
        return ids


class LineChooserForm(LineSearchForm):
    """A page of the activation's line chooser, as posted: the search typed (`q`), the one
    whose results the page showed (`searched`, its page `pagina`), the lines it showed and
    which of them are ticked, and the button pressed: an action, or a page to go to."""

    searched = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    pagina = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    shown = LineIdsField(max_count=PAGE_SIZE)
    lines = LineIdsField(max_count=PAGE_SIZE)
    action = forms.ChoiceField(choices=[(a, a) for a in ChooserAction], required=False)
    go_to = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def __init__(self, *args: Any, eligible: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eligible = eligible

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "shown" in self.errors or "lines" in self.errors:
            return data
        shown, ticked = set(data["shown"]), set(data["lines"])
        # The page's lines must all be ones the LR may choose now (one query for the page).
        if not ticked <= shown or (
            shown and self.eligible.filter(pk__in=shown).count() != len(shown)
        ):
            raise ValidationError(
                _(
                    "Alcune delle linee inviate non possono ricevere questa offerta: ricarica "
                    "la pagina e scegli di nuovo."
                ),
                code="invalid_choice",
            )
        return data


class OfferTermsForm(forms.Form):
    """The acceptance of the offer's terms, required to confirm an activation; the version
    is the one the summary showed."""

    accept_terms = forms.BooleanField(
        label=_("Ho letto e accetto le condizioni dell'offerta"),
        error_messages={"required": _("Per attivare l'offerta accetta le condizioni.")},
    )
    terms_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
