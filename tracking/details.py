"""A request's details as people read them: names and labels instead of keys and codes,
Italian dates, euros. The customer's request page and the back office's use them both."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.italy import phone_number_display

# The names of the details the sections store with their requests, for the operators;
# a detail another channel sends under a name of its own is shown as it came.
DETAIL_LABELS = {
    "address": gettext_lazy("indirizzo"),
    "delivery": gettext_lazy("spedizione"),
    "diagnosis": gettext_lazy("diagnosi"),
    "street": gettext_lazy("via"),
    "postal_code": gettext_lazy("CAP"),
    "city": gettext_lazy("comune"),
    "province": gettext_lazy("provincia"),
    "name": gettext_lazy("nome"),
    "recipient": gettext_lazy("destinatario"),
    "traffic_documentation": gettext_lazy("documentazione del traffico"),
    "iban": "IBAN",
    "holder": gettext_lazy("intestatario"),
    "holder_tax_code": gettext_lazy("codice fiscale dell'intestatario"),
    "mandate_reference": gettext_lazy("riferimento del mandato"),
    "mandate_signed_on": gettext_lazy("mandato firmato il"),
    "sdi_code": gettext_lazy("codice destinatario SDI"),
    "pec": "PEC",
    "reason": gettext_lazy("motivo"),
    "sim_kind": gettext_lazy("tipo di SIM"),
    "esim_email": gettext_lazy("e-mail per l'eSIM"),
    "report_date": gettext_lazy("data della denuncia"),
    "report_authority": gettext_lazy("ufficio della denuncia"),
    "new_iccid": gettext_lazy("ICCID della nuova SIM"),
    "new_puk": gettext_lazy("PUK della nuova SIM"),
    "preferred_date": gettext_lazy("data preferita"),
    "contact_phone": gettext_lazy("telefono di contatto"),
    "phone": gettext_lazy("telefono"),
    "offer_code": gettext_lazy("codice dell'offerta"),
    "offer_name": gettext_lazy("offerta"),
    "service_kind": gettext_lazy("tipo"),
    "line_ids": gettext_lazy("linee (id)"),
    "line_numbers": gettext_lazy("linee"),
    "line_count": gettext_lazy("numero di linee"),
    "monthly_fee": gettext_lazy("canone mensile"),
    "activation_fee": gettext_lazy("costo di attivazione"),
    "monthly_total": gettext_lazy("canoni mensili in totale"),
    "activation_total": gettext_lazy("attivazione in totale"),
    "topic": gettext_lazy("argomento"),
    "message": gettext_lazy("messaggio"),
    "day": gettext_lazy("giorno"),
    "slot": gettext_lazy("fascia oraria"),
    "category": gettext_lazy("problema"),
    "description": gettext_lazy("descrizione"),
    "availability": gettext_lazy("disponibilità"),
    "verdict": gettext_lazy("esito"),
    "in_sync": gettext_lazy("agganciata"),
    "checked_at": gettext_lazy("eseguita il"),
    "downstream_mbps": gettext_lazy("download (Mbit/s)"),
    "upstream_mbps": gettext_lazy("upload (Mbit/s)"),
    "technology": gettext_lazy("tecnologia di accesso"),
    "optical_power_dbm": gettext_lazy("potenza ottica ricevuta (dBm)"),
    "noise_margin_db": gettext_lazy("margine di rumore (dB)"),
    "attenuation_db": gettext_lazy("attenuazione (dB)"),
    "last_outage": gettext_lazy("ultima interruzione"),
    "person": gettext_lazy("dipendente"),
    "profile_from": gettext_lazy("profilo attuale"),
    "profile_to": gettext_lazy("nuovo profilo"),
    "contract": gettext_lazy("contratto"),
    "plan_name": gettext_lazy("piano"),
    "quantity": gettext_lazy("quantità"),
}


# Details a page shows in a table of its own, never as rows: an order's SIMs (the back
# office's order panel, the order's page), which a channel's completion fills with PUKs.
SHOWN_ELSEWHERE = frozenset({"sims"})


# The codes the sections store in those details, by detail, as people read them. Each
# section registers its own codes (`detail_values_register`) from its AppConfig.ready().
DETAIL_VALUES: dict[str, dict[str, Any]] = {
    "verdict": {
        "OK": gettext_lazy("la linea funziona"),
        "DEGRADED": gettext_lazy("la linea funziona, con un problema"),
        "DOWN": gettext_lazy("la linea non funziona"),
    },
}


def detail_values_register(**codes: dict[str, Any]) -> None:
    """Add a section's labels for the codes it stores under a detail's name."""
    for key, labels in codes.items():
        DETAIL_VALUES.setdefault(key, {}).update(labels)


MONEY_DETAILS = frozenset(("monthly_fee", "activation_fee", "monthly_total", "activation_total"))
PHONE_DETAILS = frozenset(("phone", "contact_phone"))
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def detail_value(key: str, value: Any) -> str:
    """A detail as a person reads it: a label for a code, sì/no, an Italian date, euros."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("sì") if value else _("no")
    if isinstance(value, float):
        return number_format(value)
    if not isinstance(value, str):
        return str(value)
    if (label := DETAIL_VALUES.get(key, {}).get(value)) is not None:
        return str(label)
    if key in PHONE_DETAILS:
        return phone_number_display(value)
    if key in MONEY_DETAILS:
        try:
            return f"{number_format(Decimal(value), decimal_pos=2, force_grouping=True)} €"
        except InvalidOperation:
            return value
    if ISO_DATE.fullmatch(value):
        try:
            return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if ISO_DATETIME.match(value) and (moment := parse_datetime(value)) is not None:
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "SHORT_DATETIME_FORMAT")
    return value


def detail_rows(
    details: dict[str, Any], prefix: str = "", *, labelled_only: bool = False
) -> list[tuple[str, str]]:
    """A request's details as (name, value) rows, nested ones flattened ("Diagnosi: esito").
    `labelled_only` (the customer's page) leaves out the keys with no name of ours: a
    channel's or the demo data's own bookkeeping. SHOWN_ELSEWHERE is never a row."""
    rows: list[tuple[str, str]] = []
    for key, value in details.items():
        if key in SHOWN_ELSEWHERE or (labelled_only and key not in DETAIL_LABELS):
            continue
        name = prefix + str(DETAIL_LABELS.get(key, key.replace("_", " ")))
        if isinstance(value, dict):
            rows.extend(detail_rows(value, prefix=f"{name}: ", labelled_only=labelled_only))
        elif isinstance(value, list):
            rows.append((capfirst(name), ", ".join(detail_value(key, item) for item in value)))
        else:
            rows.append((capfirst(name), detail_value(key, value)))
    return rows
