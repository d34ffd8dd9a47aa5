from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import CostCentre, User
from costs.services import CODE_MAX_LENGTH, cost_centre_code

# A CSV of numbers: 5,000 lines (a large fleet) take some 80 KB; anything bigger is not one.
MAX_UPLOAD_BYTES = 512 * 1024
MAX_UPLOAD_ROWS = 10_000


class ManagerChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class CostCentreForm(forms.Form):
    code = forms.CharField(
        label=_("Codice"),
        max_length=CODE_MAX_LENGTH,
        help_text=_(
            "Fino a 20 tra lettere senza accenti, cifre, trattini, punti e trattini bassi, ad "
            "esempio CANT-NORD: si scrive in maiuscolo."
        ),
    )
    name = forms.CharField(label=_("Nome"), max_length=100)
    manager = ManagerChoiceField(
        label=_("Responsabile"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nessun responsabile"),
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.fields["manager"]
        assert isinstance(manager, ManagerChoiceField)
        manager.queryset = User.objects.filter(company_id=company_id, is_active=True).order_by(
            "last_name", "first_name", "username"
        )

    def clean_code(self) -> str:
        return cost_centre_code(str(self.cleaned_data["code"]))

    @classmethod
    def initial_of(cls, centre: CostCentre) -> dict[str, Any]:
        return {"code": centre.code, "name": centre.name, "manager": centre.manager_id}


class NumbersFileForm(forms.Form):
    """A CSV of line numbers, one a row (the first cell; `;` or `,` between cells), with or
    without a header row."""

    file = forms.FileField(
        label=_("File CSV dei numeri"),
        help_text=_(
            "Un numero per riga, ad esempio 333 1234567 o +39 333 1234567; la prima riga può "
            "essere un'intestazione. Al massimo 512 KB."
        ),
    )

    def clean_file(self) -> list[tuple[int, str]]:
        """The rows that name something: (row number in the file, first cell)."""
        upload = self.cleaned_data["file"]
        if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("Il file è troppo grande: al massimo 512 KB."), code="too_large"
            )
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        text = _decode(raw)
        if text is None or "\x00" in text:
            raise ValidationError(
                _("Il file non è un CSV di testo: salvalo come CSV (UTF-8) e riprova."),
                code="not_text",
            )
        rows: list[tuple[int, str]] = []
        # `;` between cells (Italian spreadsheets), or `,`: even mixed, row by row.
        reader = csv.reader(io.StringIO(text), delimiter=";")
        try:
            for index, cells in enumerate(reader, start=1):
                parts = (part.strip() for cell in cells for part in cell.split(","))
                first = next((part for part in parts if part), "")
                if not first:
                    continue
                if not rows and index == 1 and not any(ch.isdigit() for ch in first):
                    continue  # the header
                rows.append((index, first[:50]))
                if len(rows) > MAX_UPLOAD_ROWS:
                    raise ValidationError(
                        _("Il file ha troppe righe: al massimo %(count)d numeri per volta.")
                        % {"count": MAX_UPLOAD_ROWS},
                        code="too_many_rows",
                    )
        except csv.Error:
            raise ValidationError(
                _("Il file non è un CSV leggibile: salvalo come CSV e riprova."), code="bad_csv"
            ) from None
        if not rows:
            raise ValidationError(_("Il file non contiene numeri."), code="empty")
        return rows


def _decode(raw: bytes) -> str | None:
    """UTF-8 (with or without the BOM spreadsheets write), else Windows-1252, the encoding
    of Italian Excel's plain CSV."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
