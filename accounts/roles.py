"""The role matrix: the one declaration of who may do what (docs/role-matrix.md).

Views (`accounts.access.requires`), menus and buttons (`{% can %}`, `caps` in templates),
`user.has_perm()` and the authorization tests all read `MATRIX`. Nothing else names a
profile to decide access.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

if TYPE_CHECKING:
    from accounts.models import User


class Profile(models.TextChoices):
    """Web profiles, from most to least powerful."""

    LR = "LR", _("Rappresentante Legale")
    FULL = "FULL", _("Amministratore Full")
    LIGHT = "LIGHT", _("Amministratore Light")
    USER = "USER", _("Utilizzatore")


class Capability(StrEnum):
    """What a user can do; values look like Django permission strings."""

    # Fatture e pagamenti
    VIEW_INVOICES = "billing.view_invoices"
    PRINT_INVOICE = "billing.print_invoice"
    PAY_INVOICE = "billing.pay_invoice"
    CHANGE_SHIPPING_ADDRESS = "billing.change_shipping_address"
    REQUEST_DIRECT_DEBIT = "billing.request_direct_debit"
    REQUEST_PAPERLESS = "billing.request_paperless"
    VIEW_PERSONAL_INVOICES = "billing.view_personal_invoices"
    EXPORT_INVOICES = "billing.export_invoices"
    # Consumi
    VIEW_USAGE = "consumption.view_usage"
    VIEW_ALL_SIMS = "consumption.view_all_sims"
    VIEW_BILLED_REPORTS = "consumption.view_billed_reports"
    VIEW_CREDIT = "consumption.view_credit"
    TOP_UP = "consumption.top_up"
    VIEW_TOP_UP_HISTORY = "consumption.view_top_up_history"
    # Dati aziendali
    VIEW_COMPANY = "company.view"
    CHANGE_CONTACT_EMAIL = "company.change_contact_email"
    CHANGE_LEGAL_ADDRESS = "company.change_legal_address"
    REGISTER_EMPLOYEES = "company.register_employees"
    CHANGE_PROFILES = "company.change_profiles"
    EDIT_PERSONAL_DATA = "company.edit_personal_data"
    REQUIRE_TWO_FACTOR = "company.require_two_factor"
    RESET_TWO_FACTOR = "company.reset_two_factor"
    MANAGE_APPROVALS = "company.manage_approvals"
    # Linee e servizi
    VIEW_SERVICES = "lines.view_services"
    REQUEST_RELOCATION = "lines.request_relocation"
    BLOCK_SIM = "lines.block_sim"
    CHANGE_SIM = "lines.change_sim"
    ORDER_SIMS = "lines.order_sims"
    # Offerte per te
    VIEW_OFFERS = "offers.view"
    ACTIVATE_OFFER = "offers.activate"
    # Assistenza online
    CHAT = "support.chat"
    CONTACT_OPERATOR = "support.contact_operator"
    ASK_EXPERT = "support.ask_expert"
    REPORT_FAULT = "support.report_fault"
    DIAGNOSE_LINE = "support.diagnose_line"
    # Tracking delle richieste
    VIEW_REQUESTS = "tracking.view_requests"
    APPROVE_REQUESTS = "tracking.approve_requests"
    # Controllo costi
    VIEW_COST_CENTRES = "costs.view_cost_centres"
    MANAGE_COST_CENTRES = "costs.manage_cost_centres"
    MANAGE_THRESHOLDS = "costs.manage_thresholds"
    SCHEDULE_REPORTS = "costs.schedule_reports"

    @property
    def section(self) -> str:
        return self.value.split(".", 1)[0]


class Scope(StrEnum):
    """How far a granted capability reaches."""

    YES = "yes"  # granted; the capability has no line scope (company-wide by nature)
    ALL = "all"  # every line of every contract of the user's company
    OWN = "own"  # the user's own lines (plus Referente delegations, see REFERENTE_PROFILES)


YES, ALL, OWN, NO = Scope.YES, Scope.ALL, Scope.OWN, None

C = Capability
# fmt: off
MATRIX: dict[Capability, tuple[Scope | None, Scope | None, Scope | None, Scope | None]] = {
    #                                LR    FULL  LIGHT USER
    C.VIEW_INVOICES:               (YES,  YES,  YES,  NO),   # B1
    C.PRINT_INVOICE:               (YES,  YES,  YES,  NO),   # B2
    C.PAY_INVOICE:                 (YES,  YES,  YES,  NO),   # B3
    C.CHANGE_SHIPPING_ADDRESS:     (YES,  YES,  NO,   NO),   # B4
    C.REQUEST_DIRECT_DEBIT:        (YES,  YES,  NO,   NO),   # B5
    C.REQUEST_PAPERLESS:           (YES,  YES,  NO,   NO),   # B6
    C.VIEW_PERSONAL_INVOICES:      (YES,  YES,  YES,  NO),   # B7
    C.EXPORT_INVOICES:             (YES,  YES,  YES,  NO),   # B8
    C.VIEW_USAGE:                  (ALL,  ALL,  OWN,  OWN),  # C1
    C.VIEW_ALL_SIMS:               (YES,  YES,  NO,   NO),   # C2
    C.VIEW_BILLED_REPORTS:         (YES,  YES,  YES,  NO),   # C3
    C.VIEW_CREDIT:                 (ALL,  ALL,  OWN,  OWN),  # C4
    C.TOP_UP:                      (ALL,  ALL,  OWN,  OWN),  # C5
    C.VIEW_TOP_UP_HISTORY:         (ALL,  ALL,  OWN,  OWN),  # C6
    C.VIEW_COMPANY:                (YES,  YES,  YES,  YES),  # D1
    C.CHANGE_CONTACT_EMAIL:        (YES,  YES,  NO,   NO),   # D2
    C.CHANGE_LEGAL_ADDRESS:        (YES,  NO,   NO,   NO),   # D3
    C.REGISTER_EMPLOYEES:          (YES,  NO,   NO,   NO),   # D4
    C.CHANGE_PROFILES:             (YES,  NO,   NO,   NO),   # D5
    C.EDIT_PERSONAL_DATA:          (YES,  YES,  YES,  YES),  # D6
    C.REQUIRE_TWO_FACTOR:          (YES,  NO,   NO,   NO),   # D7
    C.RESET_TWO_FACTOR:            (YES,  NO,   NO,   NO),   # D8
    C.MANAGE_APPROVALS:            (YES,  NO,   NO,   NO),   # D9
    C.VIEW_SERVICES:               (ALL,  ALL,  OWN,  NO),   # L1
    C.REQUEST_RELOCATION:          (YES,  NO,   NO,   NO),   # L2
    C.BLOCK_SIM:                   (YES,  YES,  NO,   NO),   # L3
    C.CHANGE_SIM:                  (YES,  YES,  NO,   NO),   # L4
    C.ORDER_SIMS:                  (YES,  YES,  NO,   NO),   # L5
    C.VIEW_OFFERS:                 (YES,  YES,  YES,  NO),   # O1
    C.ACTIVATE_OFFER:              (YES,  NO,   NO,   NO),   # O2
    C.CHAT:                        (YES,  YES,  YES,  YES),  # S1
    C.CONTACT_OPERATOR:            (YES,  NO,   NO,   NO),   # S2
    C.ASK_EXPERT:                  (YES,  NO,   NO,   NO),   # S3
    C.REPORT_FAULT:                (ALL,  ALL,  OWN,  OWN),  # S4
    C.DIAGNOSE_LINE:               (ALL,  ALL,  OWN,  OWN),  # S5
    C.VIEW_REQUESTS:               (YES,  YES,  NO,   NO),   # T1
    C.APPROVE_REQUESTS:            (YES,  YES,  NO,   NO),   # T2
    C.VIEW_COST_CENTRES:           (YES,  YES,  NO,   NO),   # K1
    C.MANAGE_COST_CENTRES:         (YES,  YES,  NO,   NO),   # K2
    C.MANAGE_THRESHOLDS:           (YES,  YES,  NO,   NO),   # K3
    C.SCHEDULE_REPORTS:            (YES,  YES,  NO,   NO),   # K4
}
# fmt: on
PROFILE_COLUMNS = (Profile.LR, Profile.FULL, Profile.LIGHT, Profile.USER)

# Profiles whose OWN scope also covers the lines the LR delegated to them as Referente
# (django-guardian object permissions): in mobile contracts LIGHT covers the Referente types.
REFERENTE_PROFILES = frozenset({Profile.LIGHT})

# Profiles the LR may give or take in the customer area (R1, R2): never LR itself.
ASSIGNABLE_PROFILES = (Profile.FULL, Profile.LIGHT, Profile.USER)

# What each capability lets the user do, in the words of the help page (menus, landings).
DESCRIPTIONS: dict[Capability, StrOrPromise] = {
    C.VIEW_INVOICES: _("Visualizzare e consultare nel dettaglio le fatture aziendali"),
    C.PRINT_INVOICE: _("Scaricare e stampare le fatture in PDF"),
    C.PAY_INVOICE: _("Pagare online le fatture aperte"),
    C.CHANGE_SHIPPING_ADDRESS: _(
        "Modificare l'indirizzo di spedizione della fattura e della documentazione del traffico"
    ),
    C.REQUEST_DIRECT_DEBIT: _("Richiedere la domiciliazione delle fatture"),
    C.REQUEST_PAPERLESS: _("Richiedere il servizio NoCarta per non ricevere la fattura cartacea"),
    C.VIEW_PERSONAL_INVOICES: _(
        "Visualizzare e scaricare le fatture personali (con Dual Billing attivo sulla linea)"
    ),
    C.EXPORT_INVOICES: _(
        "Esportare le fatture (CSV, XLSX) e scaricare in un archivio i PDF e le fatture "
        "elettroniche di un periodo"
    ),
    C.VIEW_USAGE: _("Controllare i consumi delle SIM"),
    C.VIEW_ALL_SIMS: _("Controllare i consumi di tutte le SIM del contratto"),
    C.VIEW_BILLED_REPORTS: _("Visualizzare i report dei servizi già fatturati delle linee"),
    C.VIEW_CREDIT: _("Visualizzare il credito residuo sulla SIM"),
    C.TOP_UP: _("Fare la ricarica online"),
    C.VIEW_TOP_UP_HISTORY: _("Consultare lo storico delle ricariche effettuate"),
    C.VIEW_COMPANY: _("Visualizzare i dati aziendali"),
    C.CHANGE_CONTACT_EMAIL: _("Modificare l'e-mail per le comunicazioni"),
    C.CHANGE_LEGAL_ADDRESS: _("Modificare l'indirizzo della sede legale"),
    C.REGISTER_EMPLOYEES: _("Registrare i dipendenti aziendali"),
    C.CHANGE_PROFILES: _("Modificare il profilo web dei dipendenti"),
    C.EDIT_PERSONAL_DATA: _("Modificare i propri dati personali"),
    C.REQUIRE_TWO_FACTOR: _("Rendere obbligatoria la verifica in due passaggi"),
    C.RESET_TWO_FACTOR: _("Azzerare la verifica in due passaggi di un dipendente"),
    C.MANAGE_APPROVALS: _("Scegliere quali richieste vanno approvate e chi le approva"),
    C.VIEW_SERVICES: _("Visualizzare le offerte e i servizi attivi sulle linee"),
    C.REQUEST_RELOCATION: _("Richiedere il trasloco della linea fissa"),
    C.BLOCK_SIM: _("Bloccare o sbloccare la SIM in caso di furto o smarrimento"),
    C.CHANGE_SIM: _("Effettuare il cambio SIM"),
    C.ORDER_SIMS: _("Ordinare nuove SIM, anche con la portabilità del numero"),
    C.VIEW_OFFERS: _("Visualizzare le offerte esclusive per l'azienda"),
    C.ACTIVATE_OFFER: _("Attivare le offerte esclusive"),
    C.CHAT: _("Chattare con un operatore"),
    C.CONTACT_OPERATOR: _("Chiedere di essere ricontattati da un operatore"),
    C.ASK_EXPERT: _("Inviare una richiesta ai nostri esperti"),
    C.REPORT_FAULT: _("Segnalare un guasto su una linea"),
    C.DIAGNOSE_LINE: _("Fare una diagnosi della linea fissa"),
    C.VIEW_REQUESTS: _(
        "Seguire lo stato delle richieste di attivazione, ampliamento, offerte e opzioni"
    ),
    C.APPROVE_REQUESTS: _(
        "Approvare o respingere le richieste di altre persone dell'azienda, se previsto dalle "
        "regole di approvazione"
    ),
    C.VIEW_COST_CENTRES: _("Consultare la spesa e i consumi per centro di costo"),
    C.MANAGE_COST_CENTRES: _("Creare i centri di costo e assegnare loro le linee"),
    C.MANAGE_THRESHOLDS: _("Impostare soglie di consumo e di spesa con avvisi"),
    C.SCHEDULE_REPORTS: _("Ricevere ogni mese i report per la contabilità"),
}


# The column of each profile in MATRIX: every signed-in request asks the matrix several times.
_COLUMN = {profile.value: column for column, profile in enumerate(PROFILE_COLUMNS)}


def scope_for(profile: str | None, capability: Capability) -> Scope | None:
    """The scope `profile` holds `capability` with, or None when it lacks it (as does a
    profile or capability the matrix does not know)."""
    column = _COLUMN.get(profile) if profile else None
    scopes = MATRIX.get(capability)
    if column is None or scopes is None:
        return None
    return scopes[column]


def profile_of(user: User) -> str | None:
    """The profile `user` holds capabilities with: none unless an active customer user of a
    company."""
    if not user.is_authenticated or not user.is_active or user.company_id is None:
        return None
    return user.profile


def can(user: User, capability: Capability) -> bool:
    """Whether `user` holds `capability`: only active customer users of a company do."""
    return scope_for(profile_of(user), capability) is not None


def section_capabilities(section: str) -> tuple[Capability, ...]:
    return tuple(cap for cap in MATRIX if cap.section == section)
