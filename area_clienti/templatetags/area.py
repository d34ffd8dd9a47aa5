from typing import Any

from django import template

from accounts.roles import Capability
from accounts.roles import can as user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: dict[str, Any], capability: str) -> bool:
    """`{% can "billing.pay_invoice" as can_pay %}`: the role matrix, for buttons and links."""
    request = context.get("request")
    return request is not None and user_can(request.user, Capability(capability))
