"""The warning pages run a pinned number of queries, the same for a few warnings and for many,
and for 20 or 100 rows a page: each kind is one query (see risk.selectors)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from classroom.models import Attendance, StudyRecord
from crm.models import Customer
from enrollment.models import Student
from tests.conftest import make_client

# (user, url name) -> queries per request.
QUERY_COUNTS = {
    # Session, user, roles; policy; the four kinds; students, classes, tickets opened; the class
    # filter; unread notifications; and for the row links the classes taught (teachers) or the
    # customers visible (managers). An administrator has neither link.
    ("teacher", "risk:student-warnings"): 14,
    ("manager", "risk:student-warnings"): 14,
    ("admin", "risk:student-warnings"): 13,
    # Session, user, roles; pool rules, the customers returning; risk policy, its high intent
    # levels, the idle customers; unread notifications.
    ("sales", "risk:customer-warnings"): 9,
    ("manager", "risk:customer-warnings"): 9,
}


def add_students(world, school, n: int) -> None:
    """n more students of class A owned by sales, absent from every lesson of the hand-built
    school, and n more of sales's customers about to return to the pool."""
    start = Customer.objects.count()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"学生{i}",
            phone=f"+8613900{i:06d}",
            source=world.source,
            consulted_on=timezone.localdate(),
            consultant=world.sales,
            claimed_at=timezone.now() - timezone.timedelta(days=10),
            status=Customer.Status.SIGNED if i % 2 else Customer.Status.UNSIGNED,
        )
        for i in range(start, start + 2 * n)
    )
    users = User.objects.bulk_create(
        User(username=f"s{start + i}", email=f"s{start + i}@example.test") for i in range(n)
    )
    students = Student.objects.bulk_create(
        Student(user=user, customer=customer) for user, customer in zip(users, customers[1::2], strict=True)
    )
    Student.classes.through.objects.bulk_create(
        Student.classes.through(student_id=student.pk, classlist_id=world.class_a.pk) for student in students
    )
    StudyRecord.objects.bulk_create(
        StudyRecord(
            lesson=lesson,
            student=student,
            attendance=Attendance.ABSENT,
            score=(100, 90, 85, 80, 70, 60)[lesson.number - 1],
        )
        for lesson in school.lessons
        for student in students
    )


@pytest.mark.parametrize(("role", "url_name"), QUERY_COUNTS)
def test_warning_page_query_count_is_pinned_and_flat(
    world, school, django_assert_num_queries, role, url_name
):
    client = make_client(getattr(world, role))
    url = reverse(url_name)
    assert client.get(url).status_code == 200  # warm-up
    expected = QUERY_COUNTS[(role, url_name)]
    with django_assert_num_queries(expected):
        client.get(url + "?size=20")
    add_students(world, school, 60)
    for query in ("?size=20", "?size=100", "?size=20&page=2"):
        with django_assert_num_queries(expected):
            assert client.get(url + query).status_code == 200
