"""The demo school shows every warning kind for teacher1's class and sales1's customers, with one
ticket opened for the adviser; seeding again changes no count."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from classroom.models import HomeworkFile, StudyRecord
from crm.models import FollowUp
from risk.demo import seed_risk
from risk.models import CustomerRisk, RiskTicket, StudentRisk
from risk.selectors import customer_warnings, student_warnings
from tickets.models import Ticket


def _counts() -> dict:
    return {
        "risk_tickets": RiskTicket.objects.count(),
        "tickets": Ticket.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "homework": HomeworkFile.objects.count(),
        "graded": StudyRecord.objects.filter(score__isnull=False).count(),
    }


@pytest.mark.django_db
def test_seed_risk_shows_every_warning_and_is_idempotent(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seeddemo", stdout=StringIO())
    seed_risk()
    first = _counts()
    seed_risk()
    assert _counts() == first
    assert (
        first["risk_tickets"]
        == first["tickets"] - Ticket.objects.exclude(pk__in=RiskTicket.objects.values("ticket")).count()
        == 1
    )
    teacher1, teacher2, sales1 = (
        User.objects.get(username=name) for name in ("teacher1", "teacher2", "sales1")
    )
    for user in (teacher1, teacher2):
        kinds = {w.kind for w in student_warnings(user) if w.class_label.startswith("Python")}
        assert kinds == set(StudentRisk.values)
    assert {w.kind for w in customer_warnings(sales1)} == set(CustomerRisk.values)
    ticket = Ticket.objects.get(pk=RiskTicket.objects.get().ticket_id)
    assert ticket.assignee == teacher2 and ticket.status == Ticket.Status.ASSIGNED
