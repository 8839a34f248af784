from django import template

from crm.normalize import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 phone as people read it: `138 0013 8000`."""
    return format_phone(value or "")
