"""Tags of the shell (the header, the menu and the breadcrumbs of every page)."""

from typing import Any

from django import template
from django.template import Context, NodeList
from django.template.loader_tags import BlockNode
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def child_block(context: Context, name: str) -> SafeString:
    """`{% child_block "title" as page_title %}`: what the page's own `{% block name %}`
    renders, for a parent template that shows it a second time (the last breadcrumb is the
    title of the <title> element, written once in each page). Empty when no template of the
    chain defines the block. Must be called in a template of the `extends` chain itself,
    not in an included one: an include starts its own block context."""
    # An empty block named like the page's: rendering it renders the most derived
    # definition in the block context, `{{ block.super }}` included, as Django does.
    rendered: Any = BlockNode(name, NodeList()).render(context)
    return mark_safe(str(rendered).strip())  # noqa: S308 - already rendered and escaped
