from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db.models import Model

from accounts.roles import MATRIX, Capability, can


class RoleMatrixBackend(BaseBackend):
    """Answers `user.has_perm("billing.view_invoices")` from the role matrix.

    Only global checks (obj is None): object checks are left to django-guardian, so this
    backend never overrides a per-line answer.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if obj is not None or perm not in MATRIX:
            return False
        return can(user_obj, Capability(perm))
