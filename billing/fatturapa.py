"""Invoices as FatturaPA 1.2 (FPR12, between private parties), built with `a38`.

The XML says what the invoice says: one DettaglioLinee per invoice item, one DatiRiepilogo
per InvoiceVat row (plus one with Natura N1 for the items out of the scope of VAT), and
ImportoTotaleDocumento equal to Invoice.total. The operator is the CedentePrestatore, read
from settings.INVOICE_SELLER like the PDF; the company is the CessionarioCommittente.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import a38.fattura as a38
from a38.validation import Validation
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from billing.models import BillingProfile, Invoice, PaymentMethod

ZERO = Decimal("0.00")
# The recipient code of a company that receives by PEC (or in its cassetto fiscale).
PEC_ONLY_CODE = "0000000"


def valid_sdi_code(code: str) -> bool:
    """A recipient code of the Sistema di Interscambio: 7 letters or digits."""
    return len(code) == 7 and code.isascii() and code.isalnum()


# Out of the scope of VAT (art. 15 DPR 633/72): e.g. the tassa di concessione governativa.
OUT_OF_SCOPE_NATURE = "N1"
OUT_OF_SCOPE_REFERENCE = "Escluso art. 15 DPR 633/72"
PAYMENT_MODES = {
    PaymentMethod.BANK_TRANSFER: "MP05",  # bonifico
    PaymentMethod.DIRECT_DEBIT: "MP19",  # SEPA Direct Debit
    PaymentMethod.CARD: "MP08",  # carta di pagamento
    PaymentMethod.POSTAL: "MP18",  # bollettino di c/c postale
}
# "Via dei Mille 100, 00185 Roma (RM)": the seller's address as the PDF prints it.
ADDRESS = re.compile(r"^(?P<street>.+),\s*(?P<cap>\d{5})\s+(?P<city>.+?)\s*\((?P<prov>[A-Z]{2})\)$")
PROGRESSIVE_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# SDI's schema takes text in Basic Latin and Latin-1 Supplement only.
LATIN1_SUBSTITUTES = str.maketrans(
    {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "€": "EUR", "…": "..."}
)
ElementTree.register_namespace("p", a38.NS)


def latin1(text: str) -> str:
    """`text` as SDI accepts it: typographic signs made plain, accents kept where Latin-1
    has them, any other letter reduced to its base letter, anything else dropped."""
    return "".join(
        char
        if ord(char) < 256
        else "".join(part for part in unicodedata.normalize("NFKD", char) if ord(part) < 256)
        for char in text.translate(LATIN1_SUBSTITUTES)
    )


def _seller() -> dict[str, str]:
    seller: dict[str, str] = settings.INVOICE_SELLER
    return seller


def _country_and_code(vat_number: str) -> tuple[str, str]:
    """("IT", "09876540010") from "IT09876540010" (or from the bare 11 digits)."""
    vat_number = vat_number.replace(" ", "").upper()
    if vat_number[:2].isalpha():
        return vat_number[:2], vat_number[2:]
    return "IT", vat_number


def progressive(invoice: Invoice) -> str:
    """The file's progressive (SDI: up to 5 alphanumeric characters): the invoice's id in
    base 36, so each invoice has its own file name and the same one every time."""
    number, digits = invoice.pk, ""
    while number:
        number, rest = divmod(number, 36)
        digits = PROGRESSIVE_DIGITS[rest] + digits
    return digits.rjust(5, "0")[-5:]


def filename(invoice: Invoice) -> str:
    """The name SDI expects: IT<the transmitter's VAT number>_<progressive>.xml."""
    country, code = _country_and_code(_seller()["vat_number"])
    return f"{country}{code}_{progressive(invoice)}.xml"


def _seller_party() -> a38.CedentePrestatore:
    seller = _seller()
    address = ADDRESS.match(seller["address"])
    if address is None:
        raise ImproperlyConfigured(
            "INVOICE_SELLER['address'] must read 'Street 1, 00000 City (PR)'"
        )
    country, code = _country_and_code(seller["vat_number"])
    party = a38.CedentePrestatore()
    party.dati_anagrafici.id_fiscale_iva = a38.IdFiscaleIVA(id_paese=country, id_codice=code)
    party.dati_anagrafici.codice_fiscale = seller["tax_code"] or None
    party.dati_anagrafici.anagrafica.denominazione = latin1(seller["name"])[:80]
    party.dati_anagrafici.regime_fiscale = "RF01"  # ordinary VAT regime
    party.sede = a38.Sede(
        indirizzo=address["street"][:60],
        cap=address["cap"],
        comune=address["city"][:60],
        provincia=address["prov"],
        nazione="IT",
    )
    office, _sep, rea_number = seller.get("rea", "").partition("-")
    if len(office) == 2 and rea_number:
        party.iscrizione_rea = a38.IscrizioneREA(
            ufficio=office, numero_rea=rea_number, stato_liquidazione="LN"
        )
    return party


def _buyer_party(invoice: Invoice) -> a38.CessionarioCommittente:
    company = invoice.company
    party = a38.CessionarioCommittente()
    party.dati_anagrafici.id_fiscale_iva = a38.IdFiscaleIVA(
        id_paese="IT", id_codice=company.vat_number
    )
    party.dati_anagrafici.codice_fiscale = company.tax_code or None
    party.dati_anagrafici.anagrafica.denominazione = latin1(company.name)[:80]
    party.sede = a38.Sede(
        indirizzo=latin1(company.legal_street)[:60],
        cap=company.legal_postal_code,
        comune=latin1(company.legal_city)[:60],
        provincia=company.legal_province or None,
        nazione="IT",
    )
    return party


def _transmission(invoice: Invoice, profile: BillingProfile | None) -> a38.DatiTrasmissione:
    country, code = _country_and_code(_seller()["vat_number"])
    sdi_code = (profile.sdi_code if profile else "") or PEC_ONLY_CODE
    pec = profile.pec if profile and profile.pec and sdi_code == PEC_ONLY_CODE else None
    return a38.DatiTrasmissione(
        id_trasmittente=a38.IdTrasmittente(id_paese=country, id_codice=code),
        progressivo_invio=progressive(invoice),
        formato_trasmissione="FPR12",
        codice_destinatario=sdi_code.upper(),
        pec_destinatario=pec,
    )


def _description(item: Any) -> str:
    line = item.line.number if item.line_id else ""
    return latin1(f"{item.service} - {line}" if line else str(item.service))


def build(invoice: Invoice) -> a38.FatturaPrivati12:
    """The invoice as an a38 model, ready to validate or serialise."""
    profile = BillingProfile.objects.filter(company_id=invoice.company_id).first()
    fattura = a38.FatturaPrivati12()
    header = fattura.fattura_elettronica_header
    header.dati_trasmissione = _transmission(invoice, profile)
    header.cedente_prestatore = _seller_party()
    header.cessionario_committente = _buyer_party(invoice)

    body = a38.FatturaElettronicaBody()
    document = body.dati_generali.dati_generali_documento
    document.tipo_documento = "TD01"
    document.divisa = "EUR"
    document.data = invoice.issue_date
    document.numero = invoice.number
    document.importo_totale_documento = invoice.total
    document.causale = [
        f"Servizi di telecomunicazione, periodo {invoice.period_start:%d/%m/%Y}-"
        f"{invoice.period_end:%d/%m/%Y}, contratto {invoice.contract.number}"
    ]

    goods = body.dati_beni_servizi
    items = invoice.items.select_related("line").order_by("id")
    any_out_of_scope = False
    for number, item in enumerate(items.iterator(chunk_size=2000), start=1):
        out_of_scope = item.vat_rate is None
        any_out_of_scope |= out_of_scope
        goods.dettaglio_linee.append(
            a38.DettaglioLinee(
                numero_linea=number,
                descrizione=_description(item)[:1000],
                data_inizio_periodo=invoice.period_start,
                data_fine_periodo=invoice.period_end,
                prezzo_unitario=item.amount,
                prezzo_totale=item.amount,
                aliquota_iva=ZERO if out_of_scope else item.vat_rate,
                natura=OUT_OF_SCOPE_NATURE if out_of_scope else None,
            )
        )
    for vat_line in invoice.vat_lines.order_by("-rate"):
        goods.dati_riepilogo.append(
            a38.DatiRiepilogo(
                aliquota_iva=vat_line.rate,
                imponibile_importo=vat_line.taxable,
                imposta=vat_line.vat,
                esigibilita_iva="I",
            )
        )
    if any_out_of_scope:
        goods.dati_riepilogo.append(
            a38.DatiRiepilogo(
                aliquota_iva=ZERO,
                natura=OUT_OF_SCOPE_NATURE,
                imponibile_importo=invoice.out_of_scope,
                imposta=ZERO,
                riferimento_normativo=OUT_OF_SCOPE_REFERENCE,
            )
        )

    seller = _seller()
    mode = PAYMENT_MODES.get(PaymentMethod(invoice.payment_method), "MP05")
    payment = a38.DettaglioPagamento(
        beneficiario=latin1(seller["name"])[:200],
        modalita_pagamento=mode,
        data_scadenza_pagamento=invoice.due_date,
        importo_pagamento=invoice.total,
        iban=(seller.get("iban") or None) if mode == "MP05" else None,
    )
    body.dati_pagamento.append(
        a38.DatiPagamento(condizioni_pagamento="TP02", dettaglio_pagamento=[payment])
    )
    fattura.fattura_elettronica_body = [body]
    return fattura


class InvalidFatturaPA(Exception):
    """The invoice's FatturaPA that a38 finds invalid: never served nor archived."""

    def __init__(self, number: str, errors: list[str]) -> None:
        super().__init__(f"FatturaPA of invoice {number} is invalid: {'; '.join(errors)}")
        self.number = number
        self.errors = errors


def validation_errors(fattura: a38.Fattura) -> list[str]:
    """What a38 finds wrong with `fattura` (empty: valid)."""
    validation = Validation()
    fattura.validate(validation)
    return [str(error) for error in validation.errors]


def sdi_errors(fattura: a38.Fattura) -> list[str]:
    """What a38 finds wrong with `fattura` that SDI would reject too: a38 also refuses the
    recipient code 0000000 without a PEC, which SDI accepts (the invoice then waits in the
    company's cassetto fiscale)."""
    validation = Validation()
    fattura.validate(validation)
    return [
        str(error)
        for error in validation.errors
        if not (error.code == "00426" and error.msg.startswith("pec_destinatario has no value"))
    ]


def invoice_fatturapa(invoice: Invoice) -> bytes:
    """The invoice's FatturaPA XML, UTF-8, as SDI receives it; InvalidFatturaPA when a38
    finds it invalid (SDI would reject it: better no file than a wrong one)."""
    fattura = build(invoice)
    errors = sdi_errors(fattura)
    if errors:
        raise InvalidFatturaPA(invoice.number, errors)
    tree = fattura.build_etree()
    ElementTree.indent(tree)
    body: bytes = ElementTree.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
    return body
