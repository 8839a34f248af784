from decimal import Decimal

from django import template

from crm.normalize import format_phone
from enrollment.services import enrollment_balances

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 phone as people read it: `138 0013 8000`."""
    return format_phone(value or "")


@register.filter
def id_masked(value: str) -> str:
    """`11010519491231002X` -> `110105********002X`: the region and the check, not the birthday."""
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}" if len(value) > 10 else value


@register.filter
def cny(amount) -> str:
    """`19800` -> `¥19,800.00`."""
    if amount in (None, ""):
        return ""
    return f"¥{Decimal(amount):,.2f}"


@register.inclusion_tag("enrollment/partials/customer_enrollments.html", takes_context=True)
def customer_enrollments(context, customer):
    """The enrollments of a customer with what each has paid and still owes (customer page)."""
    enrollments = list(customer.enrollments.live().select_related("class_list__course", "class_list__campus"))
    balances = enrollment_balances(enrollments)
    rows = [(enrollment, balances[enrollment.pk]) for enrollment in enrollments]
    request = context["request"]
    return {
        "rows": rows,
        "customer": customer,
        "can_open": request.rbac.allows("enrollment:enrollment-detail"),
    }
