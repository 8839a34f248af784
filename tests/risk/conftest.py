"""A hand-built school for the at-risk warnings: every figure the tests expect is worked out from
these records by hand (see the comments), never by the code under test.

Class A (world: taught by the world's teacher; adviser: `adviser`), lessons 1-6 on 1-6 Sep 2026,
each with homework and no deadline, and lesson 7 today (its day is not over, roll not taken):

    student  customer of   attendance 1..6                    homework 1..6    scores 1..6
    jia      sales         P  A  P  A  L  A  -> days 4-6       ✓ ✓ ✓ ✓ ✗ ✗    90 85 80 70 -  -
    yi       sales2        P  P  P  P  A  E  -> streak broken  ✓ ✓ ✓ ✓ ✓ ✗    70 80 60 N/A 50 -
    bing     sales, dropped out: absent throughout, never warned

Class B (taught by `other_teacher`, no adviser): ding (customer of sales) absent on days 1 and 2.

Payments (class A started 1 Sep, 14 days' grace, so due on 15 Sep): jia paid 2000 + 10000
confirmed, 1000 refunded, 5000 pending -> 11000 of 19800; yi paid 19800 -> no warning.

Customers (pool rules: 3 days without follow-up, warned 1 day before): c1 of sales claimed 2.5
days ago, never followed up -> returns soon; c2 of sales claimed a day ago -> nothing; c3 of sales
whose last follow-up 5 days ago was "high" -> idle high intent (policy: 2 days); c4 of sales whose
last follow-up 5 days ago was "low" after an older "high" -> nothing; c5 of sales2 like c3; c6 of
sales signed long ago -> nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from classroom.models import Attendance, Lesson, StudyRecord
from crm.models import Customer, DictItem, FollowUp
from enrollment.models import Enrollment, Payment, Student
from rbac.defaults import STUDENT, TEACHER
from risk.models import RiskPolicy
from tests.conftest import PASSWORD

P, A, L, E = Attendance.PRESENT, Attendance.ABSENT, Attendance.LATE, Attendance.EXCUSED


@dataclass
class School:
    adviser: User
    other_teacher: User
    jia: Student
    yi: Student
    bing: Student
    ding: Student
    lessons: list[Lesson]
    customers: dict[str, Customer]
    category: DictItem
    high: DictItem
    low: DictItem


def _user(world, username: str, role: str) -> User:
    user = User.objects.create(
        username=username,
        password=make_password(PASSWORD),
        email=f"{username}@example.test",
        display_name=username,
    )
    world.roles[role].users.add(user)
    return user


def _customer(world, name: str, phone: str, owner: User | None, **values) -> Customer:
    return Customer.objects.create(
        name=name,
        name_pinyin=name,
        name_initials=name[:2],
        phone=phone,
        source=world.source,
        consulted_on=date(2026, 8, 1),
        consultant=owner,
        claimed_at=values.pop("claimed_at", timezone.now() - timedelta(days=1)),
        **values,
    )


def _student(world, username: str, name: str, phone: str, owner: User, class_list, **values) -> Student:
    customer = _customer(world, name, phone, owner, status=Customer.Status.SIGNED)
    student = Student.objects.create(user=_user(world, username, STUDENT), customer=customer, **values)
    student.classes.add(class_list)
    return student


def _record(lesson, student, attendance="", homework=False, score=None) -> StudyRecord:
    return StudyRecord.objects.create(
        lesson=lesson,
        student=student,
        attendance=attendance,
        score=score,
        homework_submitted_at=timezone.now() if homework else None,
    )


def _enrollment(world, student: Student, class_list, price: Decimal) -> Enrollment:
    return Enrollment.objects.create(
        customer=student.customer,
        class_list=class_list,
        consultant=student.customer.consultant,
        price=price,
        status=Enrollment.Status.APPROVED,
        link_expires_at=timezone.now(),
    )


def _pay(enrollment, amount: str, kind=Payment.Kind.TUITION, status=Payment.Status.CONFIRMED) -> Payment:
    return Payment.objects.create(
        enrollment=enrollment,
        kind=kind,
        amount=Decimal(amount),
        paid_at=date(2026, 9, 2),
        consultant=enrollment.consultant,
        status=status,
        request_key=uuid.uuid4(),
    )


@pytest.fixture
def school(world) -> School:
    adviser = _user(world, "adviser", TEACHER)
    other_teacher = _user(world, "teacher2", TEACHER)
    world.class_a.adviser = adviser
    world.class_a.save()
    world.class_b.teachers.add(other_teacher)
    jia = _student(world, "jia", "甲同学", "+8613711110001", world.sales, world.class_a)
    yi = _student(world, "yi", "乙同学", "+8613711110002", world.sales2, world.class_a)
    bing = _student(
        world, "bing", "丙同学", "+8613711110003", world.sales, world.class_a, status=Student.Status.DROPPED
    )
    ding = _student(world, "ding", "丁同学", "+8613711110004", world.sales, world.class_b)
    lessons = [
        Lesson.objects.create(
            class_list=world.class_a,
            number=number,
            date=date(2026, 9, number),
            teacher=world.teacher,
            title=f"第{number}课",
            homework_title="练习",
        )
        for number in range(1, 7)
    ]
    today = Lesson.objects.create(
        class_list=world.class_a,
        number=7,
        date=timezone.localdate(),
        teacher=world.teacher,
        title="今天",
        homework_title="练习",
    )
    jia_rows = zip([P, A, P, A, L, A], [1, 1, 1, 1, 0, 0], [90, 85, 80, 70, None, None], strict=True)
    yi_rows = zip([P, P, P, P, A, E], [1, 1, 1, 1, 1, 0], [70, 80, 60, 0, 50, None], strict=True)
    for lesson, (attendance, homework, score) in zip(lessons, jia_rows, strict=True):
        _record(lesson, jia, attendance, homework, score)
    for lesson, (attendance, homework, score) in zip(lessons, yi_rows, strict=True):
        _record(lesson, yi, attendance, homework, score)
    for lesson in lessons:
        _record(lesson, bing, A, False, None)
    for student in (jia, yi, bing):
        _record(today, student)
    for number in (1, 2):
        lesson = Lesson.objects.create(
            class_list=world.class_b,
            number=number,
            date=date(2026, 10, 10 + number),
            teacher=other_teacher,
            title="课",
        )
        _record(lesson, ding, A, True, None)

    enrollment = _enrollment(world, jia, world.class_a, Decimal("19800"))
    _pay(enrollment, "2000", Payment.Kind.DEPOSIT)
    _pay(enrollment, "10000")
    _pay(enrollment, "1000", Payment.Kind.REFUND)
    _pay(enrollment, "5000", status=Payment.Status.PENDING)
    _pay(enrollment, "9999", status=Payment.Status.REJECTED)
    _pay(_enrollment(world, yi, world.class_a, Decimal("19800")), "19800")

    high, low = DictItem.objects.bulk_create(
        [
            DictItem(kind=DictItem.Kind.INTENT_LEVEL, code="high", label="高", order=1),
            DictItem(kind=DictItem.Kind.INTENT_LEVEL, code="low", label="低", order=2),
        ]
    )
    category = DictItem.objects.create(kind=DictItem.Kind.TICKET_CATEGORY, code="study", label="学习")
    now = timezone.now()
    customers = {
        "c1": _customer(world, "客一", "+8613722220001", world.sales, claimed_at=now - timedelta(hours=60)),
        "c2": _customer(world, "客二", "+8613722220002", world.sales),
        "c3": _customer(world, "客三", "+8613722220003", world.sales),
        "c4": _customer(world, "客四", "+8613722220004", world.sales),
        "c5": _customer(world, "客五", "+8613722220005", world.sales2),
        "c6": _customer(
            world,
            "客六",
            "+8613722220006",
            world.sales,
            claimed_at=now - timedelta(days=60),
            status=Customer.Status.SIGNED,
        ),
    }
    for key, intents in (("c3", [low, high]), ("c4", [high, low]), ("c5", [high])):
        customer = customers[key]
        for days, intent in zip((8, 5)[-len(intents) :], intents, strict=True):
            FollowUp.objects.create(
                customer=customer,
                consultant=customer.consultant,
                channel=world.channel,
                intent=intent,
                content="回访",
                at=now - timedelta(days=days),
            )
        customer.last_follow_up_at = now - timedelta(days=5)
        customer.save()
    policy = RiskPolicy.current()
    policy.high_intent_levels.set([high])
    policy.ticket_category = category
    policy.save()
    return School(
        adviser=adviser,
        other_teacher=other_teacher,
        jia=jia,
        yi=yi,
        bing=bing,
        ding=ding,
        lessons=lessons,
        customers=customers,
        category=category,
        high=high,
        low=low,
    )
