from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.256 -> "25.6%"; "—" when there is nothing to divide by."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def percent_number(value) -> int:
    """A share as a whole percentage for a progress bar, at most 100."""
    return 0 if value is None else min(100, round(value * 100))


@register.filter
def signed_percent(value) -> str:
    """A change: 0.12 -> "+12.0%", -0.05 -> "-5.0%"."""
    return "—" if value is None else f"{value * 100:+.1f}%"


@register.filter
def days(value) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def target_share(row, name: str) -> float | None:
    """A consultant row's progress against its target `name` (new_leads, signings, revenue)."""
    return row.progress(name)
