from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str) -> str:
    """A column header that sorts by `field`, toggling ascending/descending, with an arrow."""
    request = context["request"]
    current = request.GET.get("o", "")
    descending = current == f"-{field}"
    ascending = current == field
    query = request.GET.copy()
    query["o"] = f"-{field}" if ascending else field
    query.pop("page", None)
    icon = (
        "bi-sort-down" if descending else "bi-sort-up" if ascending else "bi-arrow-down-up text-body-tertiary"
    )
    return format_html(
        '<a class="text-reset text-decoration-none" href="?{}">{} <i class="bi {} small"></i></a>',
        query.urlencode(),
        label,
        icon,
    )
