from django import template
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext

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


PROGRESS = (
    '<div class="small text-nowrap">{} / {}</div><div class="progress" style="height: 6px" '
    'role="progressbar" aria-label="{}" aria-valuenow="{}" aria-valuemin="0" aria-valuemax="100">'
    '<div class="progress-bar {}" style="width: {}%"></div></div>'
)


@register.simple_tag(takes_context=True)
def progress(context, actual, goal, share: float | None) -> str:
    """`actual / goal` over a bar: green once reached, blue at or ahead of the month's pace (the
    context's `pace`), amber behind it. Python rather than an included template: the consultants'
    table draws three a row, and at 100 consultants the includes took 10 ms of the page."""
    pace = context.get("pace")
    if share is not None and share >= 1:
        colour = "bg-success"
    elif share is not None and pace is not None and share >= pace:
        colour = "bg-primary"
    else:
        colour = "bg-warning"
    width = localize(percent_number(share))
    return format_html(
        PROGRESS, localize(actual), localize(goal), gettext("Progress against target"), width, colour, width
    )
