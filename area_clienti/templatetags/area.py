from typing import Any

from django import forms, template
from django.forms import BoundField

from accounts.roles import Capability, Profile
from accounts.roles import can as user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: dict[str, Any], capability: str) -> bool:
    """`{% can "billing.pay_invoice" as can_pay %}`: the role matrix, for buttons and links."""
    request = context.get("request")
    return request is not None and user_can(request.user, Capability(capability))


@register.filter
def control(field: BoundField) -> str:
    """Render a form field's widget with Bootstrap's class for its kind, marked invalid when
    it has errors (Django adds aria-invalid and aria-describedby itself)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def profile_label(code: str | None) -> str:
    """The web profile's name for a stored code ("FULL" → "Amministratore Full")."""
    return str(Profile(code).label) if code in Profile.values else "–"
