"""Demo data of spec/product.md: two companies, one account per profile, an operator.

Idempotent: every object is found by its natural key and brought back to the demo state,
so running it again changes nothing but passwords (reset to the demo one). It lives in
area_clienti, above every section, and calls each section's own `demo.py`.
"""

from __future__ import annotations

import random
from base64 import b32decode
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm, remove_perm
from stdnum import luhn
from stdnum.it import codicefiscale, iva

from accounts.audit import audit_record
from accounts.models import (
    AuditEntry,
    Company,
    Contract,
    Line,
    LineUserObjectPermission,
    Sim,
    User,
)
from accounts.roles import Profile
from billing.demo import (
    Fee,
    LineCharges,
    month_start,
    seed_invoice_cost_centres,
    seed_invoices,
    seed_personal_invoices,
)
from consumption.demo import (
    seed_credit,
    seed_plans,
    seed_thresholds,
    seed_usage,
    usage_cost_by_month,
)
from core.workdays import first_working_day_from
from costs.demo import seed_cost_centres
from lines.demo import (
    PERSONAL_PROFILE,
    ROAMING_OPTION,
    SITES,
    seed_line_services,
    seed_order,
    seed_plan_catalogue,
)
from lines.models import BlockReason, LineService, SimChangeReason
from lines.services import relocation_request, sim_block, sim_change_request
from offers.demo import seed_offers
from offers.models import Offer
from offers.services import offer_activation_request
from support.demo import seed_chats
from support.services import fault_report
from tracking.demo import backdate_shipments, deliver
from tracking.models import Channel, Request, RequestEvent, RequestKind, RequestState
from tracking.services import request_create, request_transition
from tracking.shipments import ships

DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 - the documented demo password
BACK_OFFICE_GROUP = "Back office"
# What the operator tells the customer in the demo history, by the state a request moves to.
DEMO_NOTES = {
    RequestState.REJECTED: "L'opzione roaming Europa non è compatibile con il piano della linea: "
    "ti proponiamo Giga Extra 50 tra le offerte per te.",
    RequestState.WAITING_CUSTOMER: "Il tecnico può fare il sopralluogo anche il giorno lavorativo "
    "successivo alla data indicata: va bene?",
}
SEED_KEY = "seed_demo"
PERSONAL_INVOICE_MONTHS = 6
DEMO_DELIVERY = {
    "recipient": "Laura Conti",
    "street": "Via Appia Nuova 1024",
    "postal_code": "00178",
    "city": "Roma",
    "province": "RM",
}


def partita_iva(first_ten: str) -> str:
    """The check digit of a Partita IVA is a Luhn digit over the first ten."""
    number = first_ten + luhn.calc_check_digit(first_ten)
    return iva.validate(number)


def codice_fiscale(first_fifteen: str) -> str:
    return first_fifteen + codicefiscale.calc_check_digit(first_fifteen)


def iccid(serial: int) -> str:
    body = f"893901{serial:012d}"
    return body + luhn.calc_check_digit(body)


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    profile: Profile
    tax_code: str
    phone: str


ROSSI_PEOPLE = [
    Person(
        "legale", "Mario", "Rossi", Profile.LR, codice_fiscale("RSSMRA68C12H501"), "+393351000001"
    ),
    Person(
        "full", "Laura", "Conti", Profile.FULL, codice_fiscale("CNTLRA80A41F205"), "+393351000002"
    ),
    Person(
        "light", "Paolo", "Greco", Profile.LIGHT, codice_fiscale("GRCPLA85M15L219"), "+393351000003"
    ),
    Person(
        "utente", "Sara", "Galli", Profile.USER, codice_fiscale("GLLSRA92E52A944"), "+393351000004"
    ),
]
BIANCHI_PEOPLE = [
    Person(
        "bianchi",
        "Giovanni",
        "Bianchi",
        Profile.LR,
        codice_fiscale("BNCGNN65B10F205"),
        "+393471000001",
    ),
    # Signs in with a second factor: the authenticator app, its secret in the README.
    Person(
        "verifica",
        "Elena",
        "Fabbri",
        Profile.FULL,
        codice_fiscale("FBBLNE82L53F205"),
        "+393471000002",
    ),
]
# The authenticator app's secret of the demo's `verifica` and `operatore` (staff need a
# second factor whenever DEBUG is off): documented, so that anyone can try the second step.
DEMO_TOTP_SECRET = "AREACLIENTIBUSINESSDEMO2"  # noqa: S105 - documented demo secret

VERDI_LEGAL_REP = Person(
    "", "Anna", "Verdi", Profile.LR, codice_fiscale("VRDNNA75D45L219"), "+393391000001"
)


class Command(BaseCommand):
    help = "Load the demo companies, accounts, lines and requests (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (not for production)."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo loads accounts with a published password: it runs only with "
                "DEBUG on, or with --force."
            )
        # Demo requests are not announced to the demo people's mailboxes.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            self.seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Password: " + DEMO_PASSWORD))

    def seed(self) -> None:
        rossi = self.company(
            name="Rossi Costruzioni S.r.l.",
            vat_number=partita_iva("0480215015"),
            customer_code="CB1000001",
            segment=Company.Segment.SME,
            legal_street="Via Appia Nuova 1024",
            legal_postal_code="00178",
            legal_city="Roma",
            legal_province="RM",
            contact_email="amministrazione@rossicostruzioni.example.it",
            legal_rep=ROSSI_PEOPLE[0],
        )
        bianchi = self.company(
            name="Bianchi Logistica S.p.A.",
            vat_number=partita_iva("0917364096"),
            customer_code="CB1000002",
            segment=Company.Segment.CORPORATE,
            legal_street="Viale Certosa 210",
            legal_postal_code="20156",
            legal_city="Milano",
            legal_province="MI",
            contact_email="it@bianchilogistica.example.it",
            legal_rep=BIANCHI_PEOPLE[0],
        )
        # A customer whose LR has not opened an account yet: try /registrazione/ with its
        # Partita IVA, customer code and the LR's codice fiscale (README).
        verdi = self.company(
            name="Verdi Impianti S.n.c.",
            vat_number=partita_iva("0712345004"),
            customer_code="CB1000003",
            segment=Company.Segment.SOHO,
            legal_street="Via Garibaldi 7",
            legal_postal_code="10122",
            legal_city="Torino",
            legal_province="TO",
            contact_email="info@verdiimpianti.example.it",
            legal_rep=VERDI_LEGAL_REP,
        )
        self.contract(verdi, "MB-3000001", Contract.Kind.MOBILE, date(2023, 2, 1))
        people = {p.username: self.person(rossi, p) for p in ROSSI_PEOPLE}
        people |= {p.username: self.person(bianchi, p) for p in BIANCHI_PEOPLE}
        operator = self.operator()
        for person in (people["verifica"], operator):
            self.authenticator_app(person)

        today = timezone.localdate()
        rossi_mobile = self.contract(rossi, "MB-1000001", Contract.Kind.MOBILE, date(2021, 3, 1))
        rossi_fixed = self.contract(rossi, "FX-1000001", Contract.Kind.FIXED, date(2020, 9, 15))
        mobile_lines = [
            self.line(rossi_mobile, f"+39335200{n:04d}", date(2021, 3, 1), sim_serial=n)
            for n in range(1, 26)
        ]
        T = Line.Technology
        # The site's switchboard on fibre; the old fax line still on copper; the building
        # site on a copper last stretch, whose noise the diagnosis shows.
        fixed_lines = [
            self.line(rossi_fixed, number, date(2020, 9, 15), label=label, technology=technology)
            for number, label, technology in [
                ("+39065550101", "Sede di Roma - centralino", T.FTTH),
                ("+39065550102", "Sede di Roma - fax", T.ADSL),
                ("+39065550201", "Cantiere Tiburtina", T.FTTC),
            ]
        ]
        # Assignments: LR and FULL one SIM each; LIGHT one Dual Billing SIM and Referente
        # for five more; USER exactly one SIM.
        assignments = {
            mobile_lines[0]: people["legale"],
            mobile_lines[1]: people["full"],
            mobile_lines[2]: people["light"],
            mobile_lines[3]: people["utente"],
        }
        for line in mobile_lines + fixed_lines:
            assignee = assignments.get(line)
            dual_billing = line == mobile_lines[2]
            if line.assignee != assignee or line.dual_billing != dual_billing:
                line.assignee, line.dual_billing = assignee, dual_billing
                line.save(update_fields=["assignee", "dual_billing"])
        self.referente(people["light"], mobile_lines[10:15])
        if mobile_lines[24].state != Line.State.BLOCKED:
            sim_block(actor=people["full"], line=mobile_lines[24], reason=BlockReason.LOSS)

        bianchi_mobile = self.contract(
            bianchi, "MB-2000001", Contract.Kind.MOBILE, date(2019, 6, 1)
        )
        bianchi_fixed = self.contract(bianchi, "FX-2000001", Contract.Kind.FIXED, date(2019, 6, 1))
        bianchi_lines = [
            self.line(bianchi_mobile, f"+39347300{n:04d}", date(2019, 6, 1), sim_serial=100 + n)
            for n in range(1, 9)
        ] + [
            self.line(
                bianchi_fixed,
                "+39025550301",
                date(2019, 6, 1),
                label="Magazzino",
                technology=Line.Technology.FTTH,
            )
        ]
        if bianchi_lines[0].assignee != people["bianchi"]:
            bianchi_lines[0].assignee = people["bianchi"]
            bianchi_lines[0].save(update_fields=["assignee"])

        self.history(rossi, people, mobile_lines[10:15])
        seed_offers()
        seed_plan_catalogue()
        self.requests(rossi, people, mobile_lines, fixed_lines, today)
        # One story: the line pages' offers and the usage pages' costs are what the
        # invoices charge, so lines and usage come first and the invoices are made of them.
        # Paolo's personal profile, and his own invoices, began six months ago.
        seed_line_services(
            mobile_lines,
            fixed_lines,
            tariffs=seed_plans(mobile_lines),
            sites=SITES,
            dual_billing_since=month_start(today, PERSONAL_INVOICE_MONTHS),
        )
        seed_line_services(
            bianchi_lines[:8],
            bianchi_lines[8:],
            tariffs=seed_plans(bianchi_lines[:8]),
            sites=[("Viale Certosa 210", "20156", "Milano", "MI")],
        )
        self.usage(mobile_lines, since=month_start(today, 12))
        self.usage(bianchi_lines[:8], since=month_start(today, 6))
        rossi_charges = self.charges(mobile_lines + fixed_lines)
        seed_invoices(rossi, "RC", charges=rossi_charges)
        seed_personal_invoices(
            mobile_lines[2],
            "RC",
            charges=rossi_charges[mobile_lines[2].number],
            months=PERSONAL_INVOICE_MONTHS,
        )
        # After the invoices, a backdated history of cost centres: then the invoices' rows
        # get the centre their line had when issued.
        seed_cost_centres(
            rossi,
            offices=[*mobile_lines[0:2], mobile_lines[3], *fixed_lines[0:2]],
            sites=[*mobile_lines[4:15], fixed_lines[2]],
            sales=mobile_lines[15:22],
            moved=mobile_lines[22],
            manager=people["full"],
            today=today,
        )
        seed_invoice_cost_centres(rossi)
        seed_invoices(bianchi, "BL", months=6, charges=self.charges(bianchi_lines))
        seed_credit(mobile_lines, people["legale"])
        seed_thresholds(mobile_lines, recipients=[people["legale"], people["full"]], today=today)
        self.requests_bianchi(bianchi, people["bianchi"], bianchi_lines)
        seed_chats(people["utente"], operator)
        seed_order(people["full"], rossi_mobile)

    def usage(self, lines: list[Line], *, since: date) -> None:
        """Usage from `since`; roaming is free on the lines with the roaming option."""
        included = LineService.objects.filter(
            line__in=lines, code=ROAMING_OPTION, until__isnull=True
        ).values_list("line_id", flat=True)
        seed_usage(lines, since=since, roaming_included=set(included))

    def charges(self, lines: list[Line]) -> dict[str, LineCharges]:
        """What the invoices charge each line, by number: the priced services its page shows
        (a Dual Billing profile to its holder) and its usage's cost by month."""
        costs = usage_cost_by_month(lines)
        services = LineService.objects.filter(line__in=lines, until__isnull=True, monthly_fee__gt=0)
        fees: dict[int, list[Fee]] = {line.pk: [] for line in lines}
        personal: dict[int, list[Fee]] = {line.pk: [] for line in lines}
        for service in services.order_by("kind", "name"):
            fee = Fee(service.name, service.monthly_fee, service.since)
            (personal if service.code == PERSONAL_PROFILE[0] else fees)[service.line_id].append(fee)
        return {
            line.number: LineCharges(
                fees=tuple(fees[line.pk]),
                personal_fees=tuple(personal[line.pk]),
                traffic={month: cost for (pk, month), cost in costs.items() if pk == line.pk},
            )
            for line in lines
        }

    def company(self, *, legal_rep: Person, **fields: Any) -> Company:
        vat_number = fields.pop("vat_number")
        company, _ = Company.objects.update_or_create(
            vat_number=vat_number,
            defaults={
                **fields,
                "tax_code": vat_number,
                "legal_rep_first_name": legal_rep.first_name,
                "legal_rep_last_name": legal_rep.last_name,
                "legal_rep_tax_code": legal_rep.tax_code,
            },
        )
        return company

    def person(self, company: Company, person: Person) -> User:
        domain = company.contact_email.split("@", 1)[1]
        user, _ = User.objects.update_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": f"{person.first_name}.{person.last_name}@{domain}".lower(),
                "company": company,
                "profile": person.profile,
                "tax_code": person.tax_code,
                "phone": person.phone,
                "is_staff": False,
                "is_superuser": False,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        return user

    def operator(self) -> User:
        group, _ = Group.objects.get_or_create(name=BACK_OFFICE_GROUP)
        # No add_user: customers register themselves or are invited, staff accounts are a
        # superuser's. change_user reaches only what accounts.admin.UserAdmin lets a
        # non-superuser see (no permissions, no password, no sign-in data).
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["accounts", "tracking"],
                codename__regex=r"^(view|change|add)_",
            ).exclude(content_type__app_label="accounts", codename="add_user")
        )
        user, _ = User.objects.update_or_create(
            username="operatore",
            defaults={
                "first_name": "Giulia",
                "last_name": "Marino",
                "email": "giulia.marino@operatore.example.it",
                "company": None,
                "profile": None,
                "is_staff": True,
                "is_superuser": False,
                "is_active": True,
            },
        )
        user.groups.set([group])
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        return user

    def authenticator_app(self, user: User) -> None:
        TOTPDevice.objects.update_or_create(
            user=user,
            name="App di autenticazione",
            defaults={"key": b32decode(DEMO_TOTP_SECRET).hex(), "confirmed": True},
        )

    def contract(self, company: Company, number: str, kind: str, started_on: date) -> Contract:
        contract, _ = Contract.objects.update_or_create(
            number=number, defaults={"company": company, "kind": kind, "started_on": started_on}
        )
        return contract

    def line(
        self,
        contract: Contract,
        number: str,
        activated_on: date,
        *,
        label: str = "",
        sim_serial: int | None = None,
        technology: str = "",
    ) -> Line:
        line, _ = Line.objects.get_or_create(
            number=number,
            defaults={
                "contract": contract,
                "activated_on": activated_on,
                "label": label,
                "technology": technology,
            },
        )
        if line.technology != technology:
            line.technology = technology
            line.save(update_fields=["technology"])
        if sim_serial is not None:
            rng = random.Random(sim_serial)
            Sim.objects.get_or_create(
                iccid=iccid(sim_serial),
                defaults={
                    "line": line,
                    "puk": f"{rng.randrange(10**8):08d}",
                    "kind": Sim.Kind.ESIM if sim_serial % 7 == 0 else Sim.Kind.PHYSICAL,
                    "activated_on": activated_on,
                },
            )
        return line

    def referente(self, user: User, lines: list[Line]) -> None:
        """Make `user` Referente for exactly `lines` (guardian object permissions)."""
        wanted = {line.pk for line in lines}
        current = LineUserObjectPermission.objects.filter(user=user)
        for grant in current.select_related("content_object"):
            if grant.content_object_id not in wanted:
                remove_perm("accounts.act_as_referente", user, grant.content_object)
        for line in lines:
            assign_perm("accounts.act_as_referente", user, line)

    def history(self, company: Company, people: dict[str, User], referente: list[Line]) -> None:
        """A few past entries, so the audit log page has something to show."""
        if AuditEntry.objects.filter(company=company).exists():
            return
        legale = people["legale"]
        entries: list[tuple[int, AuditEntry.Action, User, dict[str, Any]]] = [
            (90, AuditEntry.Action.PROFILE_CHANGED, people["full"], {"from": "USER", "to": "FULL"}),
            (
                60,
                AuditEntry.Action.PROFILE_CHANGED,
                people["light"],
                {"from": "USER", "to": "LIGHT"},
            ),
            (
                59,
                AuditEntry.Action.REFERENTE_CHANGED,
                people["light"],
                {"added": [line.number for line in referente], "removed": []},
            ),
        ]
        for days_ago, action, target, changes in entries:
            entry = audit_record(
                actor=legale, action=action, company=company, target=target, changes=changes
            )
            AuditEntry.objects.filter(pk=entry.pk).update(
                at=timezone.now() - timedelta(days=days_ago)
            )

    def requests(
        self,
        company: Company,
        people: dict[str, User],
        mobile: list[Line],
        fixed: list[Line],
        today: date,
    ) -> None:
        seeded = Request.objects.filter(company=company, details__seed=SEED_KEY)
        # Earlier versions of the demo put Sara's name on a fault of a line not hers, and
        # rejected a request without a word for the customer: bring them to today's story.
        seeded.filter(requester=people["utente"]).exclude(line__assignee=people["utente"]).update(
            requester=people["full"]
        )
        RequestEvent.objects.filter(
            request__in=seeded, to_state=RequestState.REJECTED, note=""
        ).update(note=DEMO_NOTES[RequestState.REJECTED])
        if seeded.exists():
            return
        S = RequestState
        # (days ago, the request, its path through the states, what completing it needs)
        plans: list[tuple[int, Request, list[RequestState], dict[str, Any] | None]] = [
            (
                200,
                request_create(
                    company=company,
                    kind=RequestKind.PAPERLESS,
                    summary="Attivazione NoCarta",
                    requester=people["legale"],
                ),
                [S.IN_PROGRESS, S.COMPLETED],
                None,
            ),
            (
                120,
                sim_change_request(
                    actor=people["full"],
                    line=mobile[5],
                    reason=SimChangeReason.BROKEN,
                    sim_kind=Sim.Kind.PHYSICAL,
                    details={"delivery": DEMO_DELIVERY},
                ),
                [S.IN_PROGRESS, S.COMPLETED],
                {"new_iccid": iccid(500 + 6), "new_puk": "40516273"},
            ),
            (
                60,
                request_create(
                    company=company,
                    kind=RequestKind.EXPANSION,
                    summary="Ampliamento di 5 nuove SIM",
                    channel=Channel.AGENT,
                ),
                [S.IN_PROGRESS],
                None,
            ),
            (
                30,
                relocation_request(
                    actor=people["legale"],
                    line=fixed[0],
                    address={
                        "street": "Via Tiburtina 1180",
                        "postal_code": "00156",
                        "city": "Roma",
                        "province": "RM",
                    },
                    preferred_date=first_working_day_from(today + timedelta(days=20)),
                    phone="+390655501010",
                ),
                [S.IN_PROGRESS, S.WAITING_CUSTOMER],
                None,
            ),
            (
                12,
                request_create(
                    company=company,
                    kind=RequestKind.OPTION,
                    summary="Opzione roaming Europa",
                    channel=Channel.PHONE,
                ),
                [S.REJECTED],
                None,
            ),
            (
                4,
                fault_report(
                    actor=people["full"],
                    line=fixed[2],
                    category="SLOW",
                    category_label="Connessione lenta o instabile",
                    description="Al cantiere la connessione è lenta e cade più volte al giorno.",
                    availability="Feriali 8-17, chiedere del capocantiere",
                    phone="+393351000002",
                ),
                [],
                None,
            ),
            (
                3,
                # Sara asks about her own SIM, the only line she has.
                fault_report(
                    actor=people["utente"],
                    line=mobile[3],
                    category="CALLS",
                    category_label="Problemi nelle chiamate",
                    description="In cantiere le chiamate cadono dopo pochi secondi.",
                    availability="Feriali 9-13",
                    phone=people["utente"].phone,
                ),
                [S.IN_PROGRESS],
                None,
            ),
            (
                2,
                offer_activation_request(
                    actor=people["legale"],
                    offer=Offer.objects.get(code="giga-extra-50"),
                    line_ids=[mobile[0].pk, mobile[1].pk],
                ),
                [S.IN_PROGRESS],
                None,
            ),
        ]
        for days_ago, tracked, path, completion in plans:
            Request.objects.filter(pk=tracked.pk).update(
                details={**tracked.details, "seed": SEED_KEY}
            )
            tracked.refresh_from_db()
            for to_state in path:
                details = completion if to_state == S.COMPLETED else None
                if details is not None and ships(tracked):
                    # By courier: shipped with the card, the delivery completes it.
                    deliver(tracked, card=details, tracking_number="BRT0532771904")
                    continue
                request_transition(
                    request=tracked,
                    to_state=to_state,
                    actor=None,
                    details=details,
                    # The service refuses a rejection without a note; a wait, a question.
                    note=DEMO_NOTES.get(to_state, ""),
                )
            self.backdate(tracked, today, days_ago)
            backdate_shipments(tracked)

    def requests_bianchi(self, company: Company, legal_rep: User, lines: list[Line]) -> None:
        if Request.objects.filter(company=company, details__seed=SEED_KEY).exists():
            return
        tracked = sim_change_request(
            actor=legal_rep,
            line=lines[1],
            reason=SimChangeReason.FORMAT,
            sim_kind=Sim.Kind.ESIM,
            details={"esim_email": legal_rep.email},
        )
        Request.objects.filter(pk=tracked.pk).update(details={**tracked.details, "seed": SEED_KEY})

    def backdate(self, tracked: Request, today: date, days_ago: int) -> None:
        """Spread the demo history over the past: one day between steps."""
        start = timezone.now() - timedelta(days=days_ago)
        Request.objects.filter(pk=tracked.pk).update(created_at=start)
        tracked.refresh_from_db()
        if "diagnosis" in tracked.details:  # taken when the fault was reported
            diagnosis = {**tracked.details["diagnosis"], "checked_at": start.isoformat()}
            tracked.details["diagnosis"] = diagnosis
            Request.objects.filter(pk=tracked.pk).update(details=tracked.details)
        for step, event in enumerate(tracked.events.order_by("id")):
            RequestEvent.objects.filter(pk=event.pk).update(at=start + timedelta(days=step))
        last = start + timedelta(days=tracked.events.count() - 1)
        Request.objects.filter(pk=tracked.pk).update(updated_at=last)
