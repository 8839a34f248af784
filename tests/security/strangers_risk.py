"""The stranger's risk objects (see strangers.py): built after the rest of the stranger, returned
by name into `stranger.extra`. Every text field carries the marker.

The stranger student gets a warning of each lesson kind in class B (absent twice, no homework
twice, scores 88 -> 70 -> 50), and the stranger consultant a customer about to return to the
pool, so the warning pages have the stranger's rows to leak and the ticket URL a student with
warnings to name."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from classroom import services as classroom_services
from classroom.models import Attendance, StudyRecord
from crm.models import Customer

if TYPE_CHECKING:
    from tests.security.strangers import Stranger


def extend(world, stranger: Stranger) -> dict:
    from tests.security.strangers import _customer, marked

    yesterday = timezone.localdate() - timedelta(days=1)
    for number, score in ((2, 70), (3, 50)):
        lesson = classroom_services.lesson_create(
            class_list=world.class_b,
            values={
                "number": number,
                "date": yesterday,
                "teacher": stranger.teacher,
                "title": marked("RiskLesson"),
                "content": marked("RiskContent"),
                "homework_title": marked("RiskHomework"),
                "homework_requirement": marked("RiskRequirement"),
                "homework_deadline": None,
            },
        )
        StudyRecord.objects.filter(lesson=lesson, student=stranger.student).update(
            attendance=Attendance.ABSENT, score=score, comment=marked("RiskComment")
        )
    customer = _customer(world, stranger.consultant, 8, "RiskCustomer")
    Customer.objects.filter(pk=customer.pk).update(claimed_at=timezone.now() - timedelta(days=10))
    return {"risk_customer": customer}
