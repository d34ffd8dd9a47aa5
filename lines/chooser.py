"""Choosing many lines at once, kept across searches and pages: the form a page of a line
chooser posts and the choice kept in the session. Shared by the offers' activation and the
cost centres' assignment (templates/lines/partials/line_chooser.html is its page).

The choice lives in the session, one list of line ids per purpose (`key`): the pages stay
plain GET links (search, pagination, the back button all work without JavaScript), each
POST of the chooser records the ticks of the page it showed and redirects, and "all the
lines found" adds thousands of ids without thousands of form fields (5,000 lines are some
40 KB of session data, held only while choosing). Ids get in only after a check that the
lines are eligible."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Line
from accounts.selectors import MAX_ID
from lines.search import LineSearchForm, filter_lines

# Lines on a page of a line chooser.
PAGE_SIZE = 50
# Far beyond any company's pages: a posted page number is a number, not a denial of service.
MAX_PAGE = 100_000


class ChooserAction(StrEnum):
    """What a submit button of the line chooser asks for, after recording the page's ticks.
    SUMMARY goes on with the choice: to the offer's summary, to the assignment."""

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
    """A page of a line chooser, as posted: the search typed (`q`), the one whose results
    the page showed (`searched`, its page `pagina`), the lines it showed and which of them
    are ticked, and the button pressed: an action, or a page to go to."""

    # Said when the page's lines are not all `eligible` (any more).
    not_eligible_message: Any = _(
        "Alcune delle linee inviate non si possono scegliere: ricarica la pagina e scegli di nuovo."
    )

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
        # The page's lines must all be ones that may be chosen now (one query for the page).
        if not ticked <= shown or (
            shown and self.eligible.filter(pk__in=shown).count() != len(shown)
        ):
            raise ValidationError(self.not_eligible_message, code="invalid_choice")
        return data


class LineSelection:
    """The lines chosen so far for one purpose (`key`, a session key), across pages."""

    def __init__(self, session: SessionBase, key: str) -> None:
        self._session = session
        self._key = key
        self.ids: set[int] = set(session.get(self._key, []))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, line_id: object) -> bool:
        return line_id in self.ids

    def replace_page(self, *, shown: Iterable[int], ticked: Iterable[int]) -> None:
        """A page of the chooser was submitted: of the lines it `shown`, exactly the
        `ticked` ones are chosen now; the choices made on other pages stay."""
        self.ids.difference_update(shown)
        self.ids.update(ticked)

    def add(self, line_ids: Iterable[int]) -> None:
        self.ids.update(line_ids)

    def remove(self, line_ids: Iterable[int]) -> None:
        self.ids.difference_update(line_ids)

    def clear(self) -> None:
        self.ids.clear()

    def save(self) -> None:
        if self.ids:
            self._session[self._key] = sorted(self.ids)
        else:
            self._session.pop(self._key, None)

    def fingerprint(self) -> str:
        """Changes whenever the choice does: a summary sends it with the confirmation."""
        text = ",".join(str(line_id) for line_id in sorted(self.ids))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ChooserStep:
    """What a POST of the chooser asked for: the action (SUMMARY and SAVE are the page's
    to finish) and the search and page of the chooser to show next."""

    action: str = ""
    query: str = ""
    page_number: int | None = None

    def url(self, page_url: str) -> str:
        """The chooser's page (`page_url`) at this search and page, scrolled to it."""
        params = {
            key: value for key, value in (("q", self.query), ("pagina", self.page_number)) if value
        }
        query = f"?{urlencode(params)}" if params else ""
        return f"{page_url}{query}#scelta-linee"


def chooser_submit(
    request: HttpRequest,
    form: LineChooserForm,
    selection: LineSelection,
    *,
    eligible: QuerySet[Line],
) -> ChooserStep:
    """A valid page of a chooser was posted: record its ticks in `selection`, then do what
    its button asks (a search, a page, all the lines found in or out, an empty choice),
    saying so in a message. The caller saves the selection, after finishing SUMMARY."""
    data = form.cleaned_data
    selection.replace_page(shown=data["shown"], ticked=data["lines"])
    query, page_number = data["searched"], data["pagina"]
    action = data["action"]
    if action == ChooserAction.SEARCH:
        query, page_number = data["q"], None
    elif action == ChooserAction.SHOW_ALL:
        query, page_number = "", None
    elif data["go_to"]:
        # A page's button: it only moves, whatever else was sent.
        action, page_number = ChooserAction.SAVE, data["go_to"]
    elif action in (ChooserAction.SELECT_FOUND, ChooserAction.DESELECT_FOUND):
        found = list(filter_lines(eligible, query=query).values_list("pk", flat=True))
        if action == ChooserAction.SELECT_FOUND:
            selection.add(found)
            text = ngettext(
                "Scelta la linea trovata.", "Scelte tutte le %(count)d linee trovate.", len(found)
            )
        else:
            selection.remove(found)
            text = ngettext(
                "Tolta dalla scelta la linea trovata.",
                "Tolte dalla scelta le %(count)d linee trovate.",
                len(found),
            )
        messages.success(request, text % {"count": len(found)})
    elif action == ChooserAction.CLEAR:
        selection.clear()
        messages.success(request, gettext("Scelta svuotata: nessuna linea scelta."))
    return ChooserStep(action=action, query=query, page_number=page_number)
