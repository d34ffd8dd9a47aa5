"""The menu: one list of sections. An entry shows when its view's own access declaration
(from the role matrix) lets the user in, so menus and views can never disagree. The same
list says which section a page belongs to (the menu's highlight, the breadcrumbs)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import ResolverMatch, get_script_prefix, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.access import Access, access_of
from accounts.roles import DESCRIPTIONS, Capability, can, section_capabilities


@dataclass(frozen=True)
class Section:
    key: str  # the prefix of the section's capabilities: "billing" for "billing.*"
    label: Promise
    url_name: str
    intro: Promise
    # The URL names of the section's pages in its namespace; empty: the whole namespace.
    # "accounts" also holds sign-in and password pages, which belong to no section.
    pages: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        return self.url_name.partition(":")[0]

    def holds(self, match: ResolverMatch) -> bool:
        """Whether the resolved page is one of this section's."""
        if match.namespace != self.namespace:
            return False
        return not self.pages or match.url_name in self.pages

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        return section_capabilities(self.key)

    @property
    def url(self) -> str:
        return _url(self.url_name, get_script_prefix())

    def allows(self, user: Any) -> bool:
        return _access(self.url_name).allows(user)

    def features_for(self, user: Any) -> list[str]:
        """What `user` can do in this section, in the help page's words."""
        return [str(DESCRIPTIONS[cap]) for cap in self.capabilities if can(user, cap)]


SECTIONS = (
    Section(
        "billing",
        _("Fatture e pagamenti"),
        "billing:index",
        _("Fatture aziendali, pagamenti online, domiciliazione e NoCarta."),
    ),
    Section(
        "consumption",
        _("Consumi"),
        "consumption:index",
        _("Consumi delle SIM, report dei servizi fatturati, credito residuo e ricariche."),
    ),
    Section(
        "costs",
        _("Controllo costi"),
        "costs:index",
        _("Centri di costo, soglie di consumo e di spesa con avvisi, report per la contabilità."),
    ),
    Section(
        "company",
        _("Visualizza profilo e dati azienda"),
        "accounts:profile",
        _("I dati della tua azienda e i tuoi, i dipendenti e i loro profili web."),
        pages=(
            "profile",
            "contact-email",
            "legal-address",
            "employees",
            "employee-edit",
            "invite",
            "invitation-resend",
            "invitation-revoke",
            "audit-log",
            "approval-policy",
            "personal-data",
            "personal-email",
        ),
    ),
    Section(
        "lines",
        _("Linee e servizi"),
        "lines:index",
        _("Linee fisse e mobili, servizi attivi, blocco e cambio SIM, trasloco."),
    ),
    Section(
        "offers",
        _("Offerte per te"),
        "offers:index",
        _("Offerte esclusive pensate per il business della tua azienda."),
    ),
    Section(
        "support",
        _("Assistenza online"),
        "support:index",
        _("Chat con un operatore, richieste agli esperti, guasti e diagnosi della linea."),
    ),
    Section(
        "tracking",
        _("Tracking delle richieste"),
        "tracking:index",
        _("Lo stato delle richieste fatte nell'Area Clienti o tramite altri canali."),
    ),
)


@cache
def _url(url_name: str, script_prefix: str) -> str:
    """A section's address, reversed once a process (every page's menu links them all)."""
    return reverse(url_name)


@cache
def _access(url_name: str) -> Access:
    access = access_of(resolve(reverse(url_name)).func)
    if access is None:
        raise LookupError(f"{url_name} declares no access")
    return access


def sections_for(user: Any) -> list[Section]:
    return [section for section in SECTIONS if section.allows(user)]


def section_of(match: ResolverMatch | None) -> Section | None:
    """The section the resolved page belongs to; None for the home, the sign-in and
    password pages, the back office and an address that resolved to nothing (404)."""
    if match is None:
        return None
    return next((section for section in SECTIONS if section.holds(match)), None)
