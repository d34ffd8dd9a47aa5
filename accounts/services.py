"""Writes about people and companies. Each function is one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from accounts.audit import audit_record
from accounts.models import AuditEntry, Company, Invitation, Line, User
from accounts.roles import ASSIGNABLE_PROFILES, REFERENTE_PROFILES, Capability, Profile, can
from accounts.selectors import (
    REFERENTE_PERMISSION,
    actor_company_id,
    company_lines,
    referente_line_ids,
)
from accounts.selectors import referente_line_ids as referente_line_ids_of
from accounts.tokens import (
    email_change_payload,
    email_change_token,
    hash_token,
    new_secret_token,
    registration_link_expires_at,
    registration_token,
)
from core.exceptions import ActionRefused
from core.mail import send_templated_email
from tracking.approval_policy import approval_needed
from tracking.approvals import approver_left, profile_change_cancel
from tracking.models import OPEN_STATES, Channel, Request, RequestKind
from tracking.services import (
    CompletionRefused,
    on_completion,
    request_create,
    request_create_once,
)

INVITATION_VALIDITY = timedelta(days=7)
INVITATION_ALREADY_REGISTERED = gettext_lazy(
    "Questa persona è già registrata nella tua azienda: la trovi nell'elenco dei dipendenti."
)
INVITATION_ALREADY_PENDING = gettext_lazy(
    "C'è già un invito in attesa per questa persona: rinvialo dall'elenco dei dipendenti."
)


class LegalRepresentativeError(ValueError):
    pass


@transaction.atomic
def company_change_legal_representative(
    *, company: Company, new_legal_rep: User, actor: User
) -> None:
    """Back office only (R1): make `new_legal_rep` the company's LR. The previous LR account,
    if any, becomes a USER (least privilege; the new LR may promote it), the company's
    record names the new person, and the audit log says who did it."""
    if new_legal_rep.company_id != company.pk:
        raise LegalRepresentativeError("The new legal representative is not of this company.")
    if not new_legal_rep.tax_code:
        raise LegalRepresentativeError("The new legal representative has no codice fiscale.")
    # Lock the company's people so two operators cannot swap the LR at once.
    people = {u.pk: u for u in User.objects.select_for_update().filter(company=company)}
    previous = next((u for u in people.values() if u.profile == Profile.LR), None)
    if previous is not None and previous.pk == new_legal_rep.pk:
        return
    new_previous_profile = people[new_legal_rep.pk].profile
    if previous is not None:
        previous.profile = Profile.USER
        previous.save(update_fields=["profile"])
    new_legal_rep.profile = Profile.LR
    new_legal_rep.save(update_fields=["profile"])
    company.legal_rep_first_name = new_legal_rep.first_name
    company.legal_rep_last_name = new_legal_rep.last_name
    company.legal_rep_tax_code = new_legal_rep.tax_code
    company.save(
        update_fields=["legal_rep_first_name", "legal_rep_last_name", "legal_rep_tax_code"]
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.LEGAL_REP_CHANGED,
        company=company,
        target=new_legal_rep,
        changes={
            "previous_legal_rep": str(previous) if previous else None,
            "previous_legal_rep_id": previous.pk if previous else None,
            "new_legal_rep": str(new_legal_rep),
            "new_legal_rep_previous_profile": new_previous_profile,
        },
    )


# --- Profiles (R1-R5) ----------------------------------------------------------------


@transaction.atomic
def employee_change_profile(
    *, actor: User, employee_id: int, seen_profile: str, new_profile: str
) -> User:
    """The LR moves another employee between FULL, LIGHT and USER (R2). `seen_profile` is
    the profile the LR's page showed: if another session changed it meanwhile, the change is
    refused instead of silently overwriting it. Takes effect on the employee's next request."""
    employee = User.objects.select_for_update().get(pk=employee_id, company=actor.company_id)
    if employee.profile == Profile.LR or employee.pk == actor.pk:
        raise ActionRefused(
            _("Il profilo del Rappresentante Legale si cambia solo chiamando il 191.")
        )
    if new_profile not in ASSIGNABLE_PROFILES:
        raise ActionRefused(_("Scegli Amministratore Full, Amministratore Light o Utilizzatore."))
    _refuse_if_profile_changed(employee, seen_profile=seen_profile)
    if employee.profile == new_profile:
        return employee
    previous = employee.profile
    employee.profile = new_profile
    employee.save(update_fields=["profile"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PROFILE_CHANGED,
        company=actor.company,
        target=employee,
        changes={"from": previous, "to": new_profile},
    )
    _profile_settled(person=employee, actor=actor)
    if employee.email:
        send_templated_email(
            "accounts/email/profile_changed",
            {"person": employee, "actor": actor},
            [employee.email],
        )
    return employee


def _profile_settled(*, person: User, actor: User) -> None:
    """`person`'s profile changed or they were deactivated: a change of their profile still
    waiting for approval no longer applies (cancelled), and if they were a named validatore
    who no longer may approve, the approvals follow (`approver_left`)."""
    # The policy's lock first, then the requests' (the order request_decide keeps too).
    approver_left(person=person, actor=actor)
    profile_change_cancel(
        person=person,
        actor=actor,
        note=_("Il profilo di %(name)s è cambiato nel frattempo: questo cambio non serve più.")
        % {"name": person},
    )


@dataclass(frozen=True)
class EmployeeChanges:
    """What saving the employee's page changed; `pending`, the request of a profile change
    that waits for a validatore instead (`profile` is then False)."""

    lines: bool
    referente: bool
    profile: bool
    pending: Request | None = None


def _profile_change_waits(*, company: Company, new_profile: str) -> bool:
    """Giving the FULL profile waits for a validatore when the company's rules say so."""
    return new_profile == Profile.FULL and approval_needed(
        company=company,
        kind=RequestKind.PROFILE_CHANGE,
        channel=Channel.WEB,
    )


def _profile_change_request(*, actor: User, employee: User, new_profile: str) -> Request:
    """The LR's change of `employee`'s profile, as a request a validatore approves; approving
    it applies it (`_apply_approved_profile_change`)."""
    assert employee.company is not None
    waiting = Request.objects.filter(
        company=employee.company,
        kind=RequestKind.PROFILE_CHANGE,
        state__in=OPEN_STATES,
        details__person_id=employee.pk,
    ).first()
    if waiting is not None:
        raise ActionRefused(
            _(
                "Il cambio di profilo di %(name)s aspetta già l'approvazione "
                "(%(reference)s): attendi la decisione."
            )
            % {"name": employee, "reference": waiting.reference}
        )
    return request_create(
        company=employee.company,
        kind=RequestKind.PROFILE_CHANGE,
        summary=_("Profilo di %(name)s: da %(from)s a %(to)s")
        % {
            "name": employee,
            "from": employee.get_profile_display(),
            "to": Profile(new_profile).label,
        },
        requester=actor,
        details={
            "person_id": employee.pk,
            "person": employee.get_full_name() or employee.username,
            "profile_from": employee.profile,
            "profile_to": new_profile,
        },
    )


@on_completion(RequestKind.PROFILE_CHANGE)
def _apply_approved_profile_change(tracked: Request) -> None:
    """Approved: the change applies as the LR asked it (R5, audited with the LR as the
    actor), if the person still has the profile the request was made from."""
    details = tracked.details
    employee = User.objects.filter(
        pk=details["person_id"], company_id=tracked.company_id, is_active=True
    ).first()
    if employee is None or employee.profile != details["profile_from"]:
        raise CompletionRefused(
            _(
                "Il profilo di %(name)s è cambiato dopo la richiesta: questo cambio non si "
                "può più applicare. Respingi la richiesta."
            )
            % {"name": details["person"]}
        )
    legal_rep = tracked.requester
    if legal_rep is None or legal_rep.profile != Profile.LR or not legal_rep.is_active:
        legal_rep = User.objects.filter(
            company_id=tracked.company_id, profile=Profile.LR, is_active=True
        ).first()
    if legal_rep is None:
        raise CompletionRefused(_("L'azienda non ha un Rappresentante Legale attivo."))
    try:
        employee_change_profile(
            actor=legal_rep,
            employee_id=employee.pk,
            seen_profile=details["profile_from"],
            new_profile=details["profile_to"],
        )
    except ActionRefused as refusal:
        raise CompletionRefused(str(refusal)) from refusal


def _refuse_if_profile_changed(employee: User, *, seen_profile: str) -> None:
    if employee.profile != seen_profile:
        raise ActionRefused(
            _(
                "Il profilo di %(name)s è stato appena modificato da un'altra sessione: ora è "
                "%(profile)s. Controlla e riprova."
            )
            % {"name": employee, "profile": employee.get_profile_display()}
        )


@transaction.atomic
def employee_update(
    *,
    actor: User,
    employee: User,
    seen_profile: str,
    seen_line_ids: Iterable[int],
    seen_referente_line_ids: Iterable[int] | None,
    new_profile: str,
    line_ids: Iterable[int],
    referente_line_ids: Iterable[int] | None,
) -> EmployeeChanges:
    """Save the LR's page of an employee at once, all or nothing (R3): the lines assigned,
    the SIMs a LIGHT admin is Referente for (None: the page did not offer them), and the
    profile when the page changed it from `seen_profile`. The Referente SIMs go before the
    profile, which may take the Referente role away.

    `seen_*` is what the page showed: if another session changed the profile, the lines or
    the Referente SIMs meanwhile, nothing is saved (a stale page would undo that change)."""
    locked = User.objects.select_for_update().get(pk=employee.pk, company=actor.company_id)
    _refuse_if_profile_changed(locked, seen_profile=seen_profile)
    current_lines = set(
        Line.objects.select_for_update().filter(assignee=locked).values_list("pk", flat=True)
    )
    if current_lines != set(seen_line_ids):
        raise ActionRefused(
            _(
                "Le linee di %(name)s sono state appena modificate da un'altra sessione. "
                "Controlla e riprova."
            )
            % {"name": locked}
        )
    if locked.profile in REFERENTE_PROFILES and (
        seen_referente_line_ids is None
        or set(referente_line_ids_of(user=locked)) != set(seen_referente_line_ids)
    ):
        raise ActionRefused(
            _(
                "Le SIM di cui %(name)s è Referente sono state appena modificate da un'altra "
                "sessione. Controlla e riprova."
            )
            % {"name": locked}
        )
    employee = locked
    lines = employee_set_lines(actor=actor, employee=employee, line_ids=line_ids)
    referente = referente_line_ids is not None and employee_set_referente_lines(
        actor=actor, employee=employee, line_ids=referente_line_ids
    )
    profile = new_profile != seen_profile
    pending = None
    assert employee.company is not None
    if profile and _profile_change_waits(company=employee.company, new_profile=new_profile):
        pending = _profile_change_request(actor=actor, employee=employee, new_profile=new_profile)
        profile = False
    elif profile:
        employee_change_profile(
            actor=actor, employee_id=employee.pk, seen_profile=seen_profile, new_profile=new_profile
        )
    return EmployeeChanges(lines=lines, referente=referente, profile=profile, pending=pending)


@transaction.atomic
def employee_set_lines(*, actor: User, employee: User, line_ids: Iterable[int]) -> bool:
    """Assign exactly `line_ids` to `employee`: chosen lines move to them, lines they had and
    no longer have become unassigned (a Dual Billing line cannot: its invoices are personal).
    Returns whether anything moved."""
    wanted = set(line_ids)
    lines = company_lines(company=actor_company_id(actor)).select_for_update()
    chosen = list(lines.filter(pk__in=wanted))
    if len(chosen) != len(wanted):
        raise ActionRefused(_("Alcune linee scelte non appartengono all'azienda."))
    dropped = list(lines.filter(assignee=employee).exclude(pk__in=wanted))
    dual = [line.number for line in dropped if line.dual_billing]
    if dual:
        raise ActionRefused(
            _("Le linee con Dual Billing non possono restare senza assegnatario: %(lines)s.")
            % {"lines": ", ".join(dual)}
        )
    moved = [line for line in chosen if line.assignee_id != employee.pk]
    if not moved and not dropped:
        return False
    Line.objects.filter(pk__in=[line.pk for line in dropped]).update(assignee=None)
    Line.objects.filter(pk__in=[line.pk for line in moved]).update(assignee=employee)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.LINES_ASSIGNED,
        company=actor.company,
        target=employee,
        changes={
            "added": sorted(line.number for line in moved),
            "removed": sorted(line.number for line in dropped),
        },
    )
    return True


@transaction.atomic
def employee_set_referente_lines(*, actor: User, employee: User, line_ids: Iterable[int]) -> bool:
    """The LR chooses the mobile lines a LIGHT admin is Referente for (guardian object
    permissions on each line). Returns whether any changed."""
    if employee.profile not in REFERENTE_PROFILES:
        raise ActionRefused(_("Solo un Amministratore Light può essere Referente di linee."))
    wanted = set(line_ids)
    mobile = company_lines(company=actor_company_id(actor)).filter(contract__kind="MOBILE")
    chosen = {line.pk: line for line in mobile.filter(pk__in=wanted)}
    if len(chosen) != len(wanted):
        raise ActionRefused(_("Si può essere Referente solo di SIM dell'azienda."))
    current = set(referente_line_ids(user=employee))
    added, removed = wanted - current, current - wanted
    for line in mobile.filter(pk__in=removed):
        remove_perm(f"accounts.{REFERENTE_PERMISSION}", employee, line)
    for pk in added:
        assign_perm(f"accounts.{REFERENTE_PERMISSION}", employee, chosen[pk])
    if not added and not removed:
        return False
    numbers = dict(mobile.filter(pk__in=added | removed).values_list("pk", "number"))
    audit_record(
        actor=actor,
        action=AuditEntry.Action.REFERENTE_CHANGED,
        company=actor.company,
        target=employee,
        changes={
            "added": sorted(numbers[pk] for pk in added),
            "removed": sorted(numbers[pk] for pk in removed),
        },
    )
    return True


# --- E-mail addresses, confirmed by a link sent to the new one -----------------------

EMAIL_TARGET_COMPANY = "company"
EMAIL_TARGET_PERSONAL = "personal"


@transaction.atomic
def email_change_request(*, actor: User, target: str, new_email: str, base_url: str) -> None:
    """Send the confirmation link to `new_email`; nothing changes until it is followed.
    Moving the counter makes every earlier link of the same address void."""
    requester_id = actor.pk
    if target == EMAIL_TARGET_COMPANY:
        company = Company.objects.select_for_update().get(pk=actor_company_id(actor))
        old = company.contact_email
        if new_email.lower() == old.lower():
            raise ActionRefused(_("È già l'indirizzo in uso."))
        company.contact_email_nonce += 1
        company.save(update_fields=["contact_email_nonce"])
        object_id, nonce = company.pk, company.contact_email_nonce
    else:
        person = User.objects.select_for_update().get(pk=actor.pk)
        old = person.email
        if new_email.lower() == old.lower():
            raise ActionRefused(_("È già l'indirizzo in uso."))
        person.email_change_nonce += 1
        person.save(update_fields=["email_change_nonce"])
        object_id, nonce = person.pk, person.email_change_nonce
    token = email_change_token(
        target=target,
        object_id=object_id,
        old=old,
        new=new_email,
        nonce=nonce,
        requester_id=requester_id,
    )
    link = base_url + reverse("accounts:email-confirm", args=[token])
    send_templated_email(
        "accounts/email/email_change_confirm",
        {"person": actor, "link": link, "target": target, "new_email": new_email},
        [new_email],
    )


EMAIL_LINK_USED = gettext_lazy("Il link è già stato usato o non è più valido.")
EMAIL_LINK_REQUESTER_GONE = gettext_lazy(
    "Il link non è più valido: chi ha chiesto la modifica non può più farla."
)


def _requester_may_still_change(*, requester: User | None, target: str, company_id: int) -> bool:
    """Whether whoever asked for the change may still make it now: active, in the same
    company, holding the capability the request page asked for."""
    if requester is None or requester.company_id != company_id:
        return False
    if target == EMAIL_TARGET_COMPANY:
        return can(requester, Capability.CHANGE_CONTACT_EMAIL)
    return can(requester, Capability.EDIT_PERSONAL_DATA)


@transaction.atomic
def email_change_confirm(*, token: str) -> str:
    """Apply the change a link stands for. Returns the target. A link works once and only
    while it is the latest one issued for the address (the counter it carries is the
    current one: confirming moves it), and only while its requester may still make the
    change."""
    try:
        payload = email_change_payload(token)
    except signing.SignatureExpired as exc:
        raise ActionRefused(_("Il link è scaduto: chiedi di nuovo la modifica.")) from exc
    except signing.BadSignature as exc:
        raise ActionRefused(_("Il link non è valido.")) from exc
    old, new, nonce = payload["old"], payload["new"], payload.get("nonce")
    requester_id = payload.get("by")
    requester = (
        User.objects.filter(pk=requester_id).first() if isinstance(requester_id, int) else None
    )
    if payload["target"] == EMAIL_TARGET_COMPANY:
        company = Company.objects.select_for_update().filter(pk=payload["id"]).first()
        if company is None or company.contact_email != old or company.contact_email_nonce != nonce:
            raise ActionRefused(EMAIL_LINK_USED)
        if not _requester_may_still_change(
            requester=requester, target=EMAIL_TARGET_COMPANY, company_id=company.pk
        ):
            raise ActionRefused(EMAIL_LINK_REQUESTER_GONE)
        company.contact_email = new
        company.contact_email_nonce += 1
        company.save(update_fields=["contact_email", "contact_email_nonce"])
        audit_record(
            actor=requester,
            action=AuditEntry.Action.CONTACT_EMAIL_CHANGED,
            company=company,
            changes={"from": old, "to": new},
        )
        name = company.name
    else:
        user = User.objects.select_for_update().filter(pk=payload["id"]).first()
        if user is None or user.email != old or user.email_change_nonce != nonce:
            raise ActionRefused(EMAIL_LINK_USED)
        if requester != user or not _requester_may_still_change(
            requester=user, target=EMAIL_TARGET_PERSONAL, company_id=user.company_id or 0
        ):
            raise ActionRefused(EMAIL_LINK_REQUESTER_GONE)
        user.email = new
        user.email_change_nonce += 1
        user.save(update_fields=["email", "email_change_nonce"])
        audit_record(
            actor=user,
            action=AuditEntry.Action.EMAIL_CHANGED,
            company=user.company,
            target=user,
            changes={"from": old, "to": new},
        )
        name = str(user)
    if old:
        send_templated_email(
            "accounts/email/email_changed_notice", {"name": name, "new_email": new}, [old]
        )
    return str(payload["target"])


@transaction.atomic
def personal_data_update(*, user: User, first_name: str, last_name: str, phone: str) -> None:
    changes = {
        field: {"from": getattr(user, field), "to": value}
        for field, value in [("first_name", first_name), ("last_name", last_name), ("phone", phone)]
        if getattr(user, field) != value
    }
    if not changes:
        return
    for field, change in changes.items():
        setattr(user, field, change["to"])
    user.save(update_fields=list(changes))
    audit_record(
        actor=user,
        action=AuditEntry.Action.PERSONAL_DATA_CHANGED,
        company=user.company,
        target=user,
        changes=changes,
    )


# --- Sign-in data (username, e-mail, password) and changes made by staff -------------------

SIGN_IN_FIELDS = frozenset({"username", "email", "password"})


def _notify_sign_in_change(
    *, person: User, old_email: str, changed: Iterable[str], by_staff: bool
) -> None:
    """Tell the address the account had before the change, so that whoever took it over
    cannot hide it from its owner."""
    changed = set(changed)
    if not old_email or not changed:
        return
    send_templated_email(
        "accounts/email/sign_in_changed",
        {
            "name": person.get_full_name() or person.username,
            "password": "password" in changed,
            "username": person.username if "username" in changed else "",
            "email": person.email if "email" in changed else "",
            "by_staff": by_staff,
        },
        [old_email],
    )


@transaction.atomic
def account_password_changed(*, person: User, actor: User | None) -> None:
    """Record a password change already saved (by the person, through a reset link, or by a
    superuser in the admin) and tell the account's address."""
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PASSWORD_CHANGED,
        company=person.company,
        target=person,
    )
    _notify_sign_in_change(
        person=person,
        old_email=person.email,
        changed=["password"],
        by_staff=actor is not None and actor.pk != person.pk,
    )


@transaction.atomic
def account_changed_by_staff(
    *, actor: User, person: User, changes: dict[str, dict[str, Any]], old_email: str
) -> None:
    """Record what the admin has just saved on `person` ({field: {"label", "from", "to"}};
    a password only as changed, never its value). A profile change is logged like the LR's
    (R5) and e-mailed to the person; a changed username, e-mail or password is told to the
    address the account had."""
    rest = dict(changes)
    if "profile" in rest or "is_active" in rest:
        _profile_settled(person=person, actor=actor)
    if "email" in rest:
        # A link the person asked for before no longer matches what staff decided.
        User.objects.filter(pk=person.pk).update(email_change_nonce=F("email_change_nonce") + 1)
    profile = rest.pop("profile", None)
    if profile is not None:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.PROFILE_CHANGED,
            company=person.company,
            target=person,
            changes={"from": profile["from"], "to": profile["to"]},
        )
        if person.email and person.profile:
            send_templated_email(
                "accounts/email/profile_changed",
                {"person": person, "actor": actor},
                [person.email],
            )
    if rest:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.ACCOUNT_CHANGED,
            company=person.company,
            target=person,
            changes=rest,
        )
    _notify_sign_in_change(
        person=person, old_email=old_email, changed=SIGN_IN_FIELDS & set(rest), by_staff=True
    )


@transaction.atomic
def company_changed_by_staff(
    *, actor: User, company: Company, changes: dict[str, Any], created: bool = False
) -> None:
    """Record what the admin has just saved on `company` ({field: {"label", "from", "to"}},
    its contracts included). A changed contact e-mail (superusers only) is logged as the
    customer's own change is, with the operator as author, and told to the old address; the
    LR change has its own entry (company_change_legal_representative)."""
    rest = dict(changes)
    contact = None if created else rest.pop("contact_email", None)
    if contact is not None:
        # A link a customer asked for before no longer matches what staff decided.
        Company.objects.filter(pk=company.pk).update(
            contact_email_nonce=F("contact_email_nonce") + 1
        )
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CONTACT_EMAIL_CHANGED,
            company=company,
            changes={"from": contact["from"], "to": contact["to"]},
        )
        if contact["from"]:
            send_templated_email(
                "accounts/email/email_changed_notice",
                {"name": company.name, "new_email": contact["to"]},
                [contact["from"]],
            )
    if rest:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.COMPANY_CHANGED,
            company=company,
            changes=rest | ({"created": True} if created else {}),
        )


@transaction.atomic
def line_changed_by_staff(
    *, actor: User, line: Line, changes: dict[str, Any], previous_assignee: User | None
) -> None:
    """Record what the admin has just saved on `line` ({field: {"label", "from", "to"}}, its
    SIMs included). A new assignee is logged as the LR's assignments are (LINES_ASSIGNED,
    the person as target); the rest as one LINE_CHANGED entry naming the line."""
    rest = dict(changes)
    company = line.contract.company
    if rest.pop("assignee", None) is not None:
        assignee = line.assignee
        audit_record(
            actor=actor,
            action=AuditEntry.Action.LINES_ASSIGNED,
            company=company,
            target=assignee or previous_assignee,
            changes={
                "added": [line.number] if assignee is not None else [],
                "removed": [line.number] if assignee is None else [],
                "from": str(previous_assignee) if previous_assignee else None,
                "to": str(assignee) if assignee else None,
            },
        )
    if rest:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.LINE_CHANGED,
            company=company,
            changes={"line": line.number, "changes": rest},
        )


# --- Legal seat: a request the back office verifies; completing it applies it ---------


@transaction.atomic
def legal_address_change_request(
    *, actor: User, street: str, postal_code: str, city: str, province: str
) -> Request:
    company = Company.objects.get(pk=actor_company_id(actor))
    address = {"street": street, "postal_code": postal_code, "city": city, "province": province}
    tracked = request_create_once(
        company=company,
        kind=RequestKind.LEGAL_ADDRESS,
        summary=_("Nuova sede legale: %(street)s, %(postal_code)s %(city)s (%(province)s)")
        % address,
        requester=actor,
        details={"address": address},
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.LEGAL_ADDRESS_REQUESTED,
        company=company,
        changes={"request": tracked.reference, "to": address},
    )
    return tracked


@on_completion(RequestKind.LEGAL_ADDRESS)
def _apply_legal_address(tracked: Request) -> None:
    company = Company.objects.select_for_update().get(pk=tracked.company_id)
    address = tracked.details["address"]
    previous = {
        "street": company.legal_street,
        "postal_code": company.legal_postal_code,
        "city": company.legal_city,
        "province": company.legal_province,
    }
    company.legal_street = address["street"]
    company.legal_postal_code = address["postal_code"]
    company.legal_city = address["city"]
    company.legal_province = address["province"]
    company.save(
        update_fields=["legal_street", "legal_postal_code", "legal_city", "legal_province"]
    )
    audit_record(
        actor=None,
        action=AuditEntry.Action.LEGAL_ADDRESS_CHANGED,
        company=company,
        changes={"request": tracked.reference, "from": previous, "to": address},
    )


# --- Employees' registration by invitation (D4) ----------------------------------------


def _same_person(*, email: str, tax_code: str) -> Q:
    return Q(email__iexact=email) | Q(tax_code__iexact=tax_code)


def _refuse_own_person(*, company: Company, email: str, tax_code: str) -> None:
    """The LR sees their own people and invitations anyway, so these refusals say which."""
    if User.objects.filter(_same_person(email=email, tax_code=tax_code), company=company).exists():
        raise ActionRefused(INVITATION_ALREADY_REGISTERED)
    if Invitation.objects.filter(
        _same_person(email=email, tax_code=tax_code),
        company=company,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).exists():
        raise ActionRefused(INVITATION_ALREADY_PENDING)


def _account_taken(invitation: Invitation) -> bool:
    """Whether the invitation's e-mail or codice fiscale already has an account, in any
    company or in the back office."""
    return User.objects.filter(
        _same_person(email=invitation.email, tax_code=invitation.tax_code)
    ).exists()


def _send_invitation(invitation: Invitation, token: str, base_url: str) -> None:
    """The link, or, when the address or codice fiscale already has an account (in another
    company: the own company's are refused before), a notice without a link. The LR's side
    is the same either way, so it never learns who works elsewhere; only the address's
    owner learns why no link came."""
    if _account_taken(invitation):
        send_templated_email(
            "accounts/email/invitation_address_in_use",
            {
                "invitation": invitation,
                "email_in_use": User.objects.filter(email__iexact=invitation.email).exists(),
            },
            [invitation.email],
        )
        return
    link = base_url + reverse("accounts:invitation-accept", args=[token])
    send_templated_email(
        "accounts/email/invitation",
        {"invitation": invitation, "link": link},
        [invitation.email],
    )


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    first_name: str,
    last_name: str,
    email: str,
    tax_code: str,
    profile: str,
    lines: Iterable[Line],
    base_url: str,
) -> Invitation:
    company = Company.objects.select_for_update().get(pk=actor_company_id(actor))
    if profile not in ASSIGNABLE_PROFILES:
        raise ActionRefused(_("Scegli Amministratore Full, Amministratore Light o Utilizzatore."))
    if _profile_change_waits(company=company, new_profile=profile):
        # Inviting someone straight in as FULL would skip the approval giving FULL needs.
        raise ActionRefused(
            _(
                "Il profilo Amministratore Full si dà dopo, dalla pagina del dipendente: "
                "le regole dell'azienda vogliono che sia approvato."
            )
        )
    # Only the company's own people and invitations are refused. Another company's person
    # or invitation gets what a free address gets (created, listed, audited, the same
    # message): any other answer would tell this LR who works for another customer.
    _refuse_own_person(company=company, email=email, tax_code=tax_code)
    chosen = list(lines)
    if any(line.contract.company_id != company.pk for line in chosen):
        raise ActionRefused(_("Alcune linee scelte non appartengono all'azienda."))
    token, token_hash = new_secret_token()
    now = timezone.now()
    invitation = Invitation.objects.create(
        company=company,
        invited_by=actor,
        first_name=first_name,
        last_name=last_name,
        email=email,
        tax_code=tax_code,
        profile=profile,
        token_hash=token_hash,
        sent_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    invitation.lines.set(chosen)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EMPLOYEE_INVITED,
        company=company,
        changes={"email": email, "name": f"{first_name} {last_name}", "profile": profile},
    )
    _send_invitation(invitation, token, base_url)
    return invitation


def _open_invitation_for_update(actor: User, invitation_id: int) -> Invitation:
    return Invitation.objects.select_for_update().get(
        pk=invitation_id,
        company=actor.company_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )


@transaction.atomic
def invitation_resend(*, actor: User, invitation_id: int, base_url: str) -> Invitation:
    """A new link (the old one stops working) and a new expiry; when the address or
    codice fiscale has an account by now, the notice without a link instead, as at
    creation."""
    invitation = _open_invitation_for_update(actor, invitation_id)
    token, invitation.token_hash = new_secret_token()
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + INVITATION_VALIDITY
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.INVITATION_RESENT,
        company=invitation.company,
        changes={"email": invitation.email},
    )
    _send_invitation(invitation, token, base_url)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation_id: int) -> None:
    invitation = _open_invitation_for_update(actor, invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.INVITATION_REVOKED,
        company=invitation.company,
        changes={"email": invitation.email},
    )


def invitation_for_token(token: str) -> Invitation:
    """The open, unexpired invitation a link stands for."""
    invitation = (
        Invitation.objects.select_related("company").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None or not invitation.is_open:
        raise ActionRefused(_("Il link non è valido o è già stato usato."))
    if invitation.expires_at <= timezone.now():
        raise ActionRefused(
            _("L'invito è scaduto: chiedi al Rappresentante Legale di inviarlo di nuovo.")
        )
    if _account_taken(invitation):
        # Another company's invitation to the same person was accepted first, or the
        # address got an account since this link was sent. Whoever opened the link owns
        # the address, so telling them is no leak.
        raise ActionRefused(
            _(
                "Questa e-mail o questo codice fiscale risulta già associato a un'utenza "
                "dell'Area Clienti Business: accedi con quell'utenza, oppure chiedi a "
                "%(company)s di invitarti con un altro indirizzo, o chiama il 191."
            )
            % {"company": invitation.company.name}
        )
    return invitation


def invitation_accept(*, token: str, username: str, password: str) -> User:
    # Argon2 takes a good part of a second: hashed before the transaction, so nobody
    # waits on its locks meanwhile (on the SQLite demo, the whole database's).
    password_hash = make_password(password)
    with transaction.atomic():
        invitation = invitation_for_token(token)
        # Every company's open invitations to the same person (this one too), locked in one
        # order: two of them accepted at once wait for each other.
        list(
            Invitation.objects.select_for_update()
            .filter(
                _same_person(email=invitation.email, tax_code=invitation.tax_code),
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Read again after the wait: the one that came second finds its link used or the
        # account the first one created, and says so instead of making a duplicate.
        invitation = invitation_for_token(token)
        if User.objects.filter(username__iexact=username).exists():
            raise ActionRefused(_("Questo nome utente è già in uso: scegline un altro."))
        user = User.objects.create(
            username=username,
            password=password_hash,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
            email=invitation.email,
            tax_code=invitation.tax_code,
            company=invitation.company,
            profile=invitation.profile,
        )
        free_lines = [line.pk for line in invitation.lines.all() if line.assignee_id is None]
        Line.objects.filter(pk__in=free_lines, assignee__isnull=True).update(assignee=user)
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
        audit_record(
            actor=user,
            action=AuditEntry.Action.EMPLOYEE_REGISTERED,
            company=invitation.company,
            target=user,
            changes={"profile": user.profile, "username": username},
        )
        return user


# --- Self-registration of the legal representative -------------------------------------


def legal_rep_register(
    *,
    vat_number: str,
    customer_code: str,
    tax_code: str,
    email: str,
    username: str,
    password: str,
    base_url: str,
) -> User:
    """The LR named in the contract opens their account; it is active once the e-mail is
    verified. The error never says which of the contract's data did not match."""
    # Argon2 takes a good part of a second: hashed before the transaction, so nobody
    # waits on its locks meanwhile (on the SQLite demo, the whole database's).
    password_hash = make_password(password)
    with transaction.atomic():
        company = (
            Company.objects.select_for_update()
            .filter(
                vat_number=vat_number,
                customer_code__iexact=customer_code,
                legal_rep_tax_code__iexact=tax_code,
            )
            .first()
        )
        mismatch = ActionRefused(
            _(
                "I dati inseriti non corrispondono a quelli del contratto. "
                "Controllali o chiama il 191."
            )
        )
        if company is None:
            raise mismatch
        existing = User.objects.filter(company=company, profile=Profile.LR).first()
        if existing is not None:
            if existing.is_active or existing.last_login is not None:
                raise ActionRefused(
                    _("Il Rappresentante Legale di questa azienda è già registrato: accedi.")
                )
            expires_at = registration_link_expires_at(existing)
            if expires_at > timezone.now():
                # A second registration must not silently replace one whose link still works:
                # whoever started it (the real LR, or someone the company's contact address was
                # warned about) keeps it until the link dies.
                raise ActionRefused(
                    _(
                        "La registrazione del Rappresentante Legale di questa azienda è già in "
                        "corso: apri il link che abbiamo inviato per e-mail. Se non l'hai chiesta "
                        "tu, chiama il 191; altrimenti puoi registrarti di nuovo quando il link "
                        "scade (%(when)s)."
                    )
                    % {"when": date_format(timezone.localtime(expires_at), "SHORT_DATETIME_FORMAT")}
                )
            existing.delete()  # an earlier registration whose link expired unverified
        if User.objects.filter(username__iexact=username).exists():
            raise ActionRefused(_("Questo nome utente è già in uso: scegline un altro."))
        user = User.objects.create(
            username=username,
            password=password_hash,
            first_name=company.legal_rep_first_name,
            last_name=company.legal_rep_last_name,
            email=email,
            tax_code=company.legal_rep_tax_code,
            company=company,
            profile=Profile.LR,
            is_active=False,
        )
        link = base_url + reverse(
            "accounts:registration-verify",
            args=[user.pk, registration_token.make_token(user)],
        )
        send_templated_email(
            "accounts/email/registration_verify", {"person": user, "link": link}, [email]
        )
        # Whoever knows the contract's data can start a registration: the address the company
        # gave in the contract hears of each one, and can call customer service.
        send_templated_email(
            "accounts/email/legal_rep_registration_notice",
            {"company": company, "email": email, "username": username},
            [company.contact_email],
        )
        return user


@transaction.atomic
def legal_rep_verify(*, user_id: int, token: str) -> User:
    user = User.objects.select_for_update().filter(pk=user_id, is_active=False).first()
    if user is None or not registration_token.check_token(user, token):
        raise ActionRefused(_("Il link non è valido, è scaduto o è già stato usato."))
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=user,
        action=AuditEntry.Action.LEGAL_REP_REGISTERED,
        company=user.company,
        target=user,
    )
    return user
