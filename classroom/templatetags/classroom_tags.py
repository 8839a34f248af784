from django import template
from django.utils.translation import gettext as _

from classroom.models import Attendance, Score

register = template.Library()

ATTENDANCE_TONES = {
    Attendance.PRESENT: "success",
    Attendance.LATE: "warning",
    Attendance.ABSENT: "danger",
    Attendance.LEFT_EARLY: "warning",
    Attendance.EXCUSED: "secondary",
}


@register.inclusion_tag("classroom/partials/attendance_badge.html")
def attendance_badge(value: str):
    if not value:
        return {"tone": "light text-body-secondary border", "label": _("Not taken")}
    return {"tone": ATTENDANCE_TONES[value], "label": Attendance(value).label}


@register.filter
def score_label(value) -> str:
    """100 -> "A+ · 100"; empty when not graded."""
    if value is None or value == "":
        return ""
    try:
        return f"{Score(int(value)).label} · {int(value)}"
    except ValueError:
        return str(value)


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value:.0%}"
