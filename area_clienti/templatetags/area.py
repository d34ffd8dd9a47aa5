from decimal import Decimal
from typing import Any

from django import forms, template
from django.forms import BoundField

from accounts.roles import Capability, Profile
from accounts.roles import can as user_can
from core.money import euro, vat_rate
from tracking.approvals import policy_change_lines

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
def is_choice_group(field: BoundField) -> bool:
    """Radio buttons and checkbox lists: a fieldset with a legend, not one label."""
    widget = field.field.widget
    return isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@register.filter
def profile_label(code: str | None) -> str:
    """The web profile's name for a stored code ("FULL" → "Amministratore Full")."""
    return str(Profile(code).label) if code in Profile.values else "–"


@register.filter
def money(value: Decimal | None) -> str:
    """Euro in the reader's language: "1.234,56 €" in Italian, "€1,234.56" in English."""
    return "" if value is None else euro(value)


@register.filter
def percent(value: Decimal | None) -> str:
    """A VAT rate: "22%"; "fuori campo IVA" for none."""
    return vat_rate(value)


@register.filter
def approval_policy_changes(changes: dict[str, Any]) -> str:
    """An APPROVAL_POLICY_CHANGED audit entry in words (tracking.approvals)."""
    return "; ".join(policy_change_lines(changes))
