"""The audit log's one writer: every section and the sign-in security record through it."""

from __future__ import annotations

from typing import Any

from accounts.models import AuditEntry, Company, User


def audit_record(
    *,
    actor: User | None,
    action: AuditEntry.Action,
    company: Company | None = None,
    target: User | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=str(actor) if actor else "sistema",
        company=company,
        action=action,
        target=target,
        target_name=str(target) if target else "",
        changes=changes or {},
    )
