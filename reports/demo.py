"""The demo school's sales history for `seeddemo`, so the monthly report and the home pages have
something to show: earlier classes, the signed demo customers enrolled into the class that started
after they signed (with student accounts), their deposits and tuition (a few refunded, the most
recent ones still waiting for finance), and this and last month's targets. Written in bulk."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from crm.models import Campus, ClassList, Course, Customer, OwnershipEvent
from enrollment.models import Enrollment, Payment, Student
from rbac.defaults import STUDENT
from rbac.models import Role
from reports.models import Target
from reports.periods import Month

DEPOSIT = Decimal("2000")
# course name, campus name, class number, start, graduation (None: still running or to come)
HISTORY_CLASSES = [
    ("Linux运维", "上海", 39, date(2026, 1, 5), date(2026, 6, 30)),
    ("Python全栈开发", "北京", 8, date(2026, 3, 2), date(2026, 8, 28)),
    ("Python全栈开发", "北京", 10, date(2027, 1, 5), None),
]


def _classes(teacher: User, adviser: User) -> list[ClassList]:
    made = []
    for course_name, campus_name, number, start, graduate in HISTORY_CLASSES:
        course = Course.objects.get(name=course_name)
        class_list, created = ClassList.objects.get_or_create(
            course=course,
            campus=Campus.objects.get(name=campus_name),
            semester=number,
            defaults={
                "price": course.default_price,
                "start_date": start,
                "graduate_date": graduate,
                "adviser": adviser,
                "is_active": graduate is None or graduate >= timezone.localdate(),
            },
        )
        if created:
            class_list.teachers.add(teacher)
        made.append(class_list)
    return made


def _class_after(classes: list[ClassList], day: date, seats: dict[int, int]) -> ClassList | None:
    """The first class starting after the signing that still has a seat (the latest class when
    none starts later); None when they are all full."""
    upcoming = [item for item in classes if item.start_date >= day and seats[item.pk] > 0]
    if upcoming:
        return min(upcoming, key=lambda item: item.start_date)
    latest = max(classes, key=lambda c: c.start_date)
    return latest if seats[latest.pk] > 0 else None


def _username(customer: Customer) -> str:
    return customer.phone.removeprefix("+86") or f"demo-student-{customer.pk}"


def seed_sales_history(
    *, teacher: User, adviser: User, reviewer: User, manager: User, consultants: list[User]
) -> int:
    """Enroll and bill the signed customers that have no enrollment yet. Returns how many."""
    rng = random.Random(20261201)
    classes = _classes(teacher, adviser) + list(ClassList.objects.filter(semester__in=(9, 40)))
    signings = dict(
        OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.SIGN).values_list("customer_id", "at")
    )
    customers = list(
        Customer.objects.live()
        .filter(status=Customer.Status.SIGNED, consultant__isnull=False, pk__in=list(signings))
        .exclude(pk__in=Enrollment.objects.values("customer_id"))
        .order_by("pk")
    )
    if not customers:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    enrollments, payments, users, enrolled = [], [], [], []
    # Classes fill up to their capacity: a big generated school signs more than the demo classes
    # hold, and those customers stay signed without an enrollment.
    seats = {item.pk: item.capacity - item.students.count() for item in classes}
    for customer in customers:
        signed_at = signings[customer.pk]
        signed_on = timezone.localtime(signed_at).date()
        class_list = _class_after(classes, signed_on, seats)
        if class_list is None:
            continue
        seats[class_list.pk] -= 1
        enrolled.append(customer)
        enrollments.append(
            Enrollment(
                customer=customer,
                class_list=class_list,
                consultant_id=customer.consultant_id,
                price=class_list.price,
                status=Enrollment.Status.APPROVED,
                link_expires_at=signed_at,
                submitted_at=signed_at - timedelta(hours=2),
                agreed_at=signed_at - timedelta(hours=2),
                reviewed_by=reviewer,
                reviewed_at=signed_at,
                created_at=signed_at - timedelta(days=rng.randint(1, 5)),
            )
        )
        users.append(
            # Students sign in with their phone number, as approval would have made them.
            User(username=_username(customer), display_name=customer.name[:50], phone=customer.phone)
        )
    customers = enrolled
    if not customers:
        return 0
    Enrollment.objects.bulk_create(enrollments)
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    users = {user.username: user for user in User.objects.filter(username__in=[u.username for u in users])}
    Role.users.through.objects.bulk_create(
        Role.users.through(role=Role.objects.get(slug=STUDENT), user=user) for user in users.values()
    )
    students = Student.objects.bulk_create(
        Student(user=users[_username(customer)], customer=customer) for customer in customers
    )
    Student.classes.through.objects.bulk_create(
        Student.classes.through(student_id=student.pk, classlist_id=enrollment.class_list_id)
        for student, enrollment in zip(students, enrollments, strict=True)
    )
    for enrollment in Enrollment.objects.filter(customer__in=customers).select_related("customer"):
        signed_on = timezone.localtime(signings[enrollment.customer_id]).date()
        tuition_on = signed_on + timedelta(days=rng.randint(2, 10))
        plan = [
            (Payment.Kind.DEPOSIT, DEPOSIT, signed_on),
            (Payment.Kind.TUITION, enrollment.price - DEPOSIT, tuition_on),
        ]
        if rng.random() < 0.08:
            plan.append((Payment.Kind.REFUND, DEPOSIT, tuition_on + timedelta(days=20)))
        for kind, amount, paid_on in plan:
            if paid_on > today:
                continue
            waiting = (today - paid_on).days < 3
            payments.append(
                Payment(
                    enrollment=enrollment,
                    kind=kind,
                    amount=amount,
                    paid_at=paid_on,
                    consultant_id=enrollment.consultant_id,
                    status=Payment.Status.PENDING if waiting else Payment.Status.CONFIRMED,
                    confirmed_by=None if waiting else reviewer,
                    confirmed_at=None if waiting else now,
                    request_key=uuid.UUID(int=rng.getrandbits(128)),
                    created_at=now,
                )
            )
    Payment.objects.bulk_create(payments)
    for month in (Month.current().shift(-1), Month.current()):
        for consultant in consultants:
            Target.objects.get_or_create(
                consultant=consultant,
                month=month.first_day,
                defaults={"new_leads": 25, "signings": 4, "revenue": Decimal("60000"), "set_by": manager},
            )
    return len(customers)
