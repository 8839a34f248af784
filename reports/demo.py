"""The demo school's sales history for `seeddemo`, so the monthly report and the home pages have
something to show: earlier classes, the signed demo customers enrolled into the class that started
after they signed (with student accounts), their deposits and tuition in three monthly
instalments (a few refunded, the most recent ones still waiting for finance), and this and last
month's targets. Written in bulk."""

from __future__ import annotations

import random
import uuid
from bisect import bisect_left
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from crm.models import Campus, ClassList, Course, Customer, OwnershipEvent
from enrollment.models import Enrollment, Payment, Student
from rbac.defaults import STUDENT
from rbac.models import Role
from reports.models import Target
from reports.periods import Month

DEPOSIT = Decimal("2000")
INSTALMENTS = 3
BATCH = 5000
# Classes made for a generated school are numbered above this, with this many seats each.
GENERATED_FROM = 100
GENERATED_CAPACITY = 170
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


def _generated_classes(needed: int, first_day: date, teacher: User, adviser: User) -> list[ClassList]:
    """Classes for a generated school that signs more customers than the demo classes hold:
    enough of `GENERATED_CAPACITY` seats each, starting evenly from the first signing to two
    months ahead, cycling through the courses and campuses (numbered from 101, once only)."""
    courses, campuses = list(Course.objects.order_by("pk")), list(Campus.objects.order_by("pk"))
    pairs = [(course, campus) for course in courses for campus in campuses]
    existing = ClassList.objects.filter(semester__gt=GENERATED_FROM).count()
    count = -(-needed // GENERATED_CAPACITY) - existing
    if count <= 0 or not pairs:
        return list(ClassList.objects.filter(semester__gt=GENERATED_FROM))
    last_day = timezone.localdate() + timedelta(days=60)
    step = (last_day - first_day) / max(count, 1)
    today = timezone.localdate()
    made = []
    for index in range(existing, existing + count):
        course, campus = pairs[index % len(pairs)]
        start = first_day + step * (index - existing + 1)
        graduate = start + timedelta(days=180)
        made.append(
            ClassList(
                course=course,
                campus=campus,
                semester=GENERATED_FROM + 1 + index // len(pairs),
                price=course.default_price,
                start_date=start,
                graduate_date=graduate,
                capacity=GENERATED_CAPACITY,
                adviser=adviser,
                is_active=graduate >= today,
            )
        )
    made = ClassList.objects.bulk_create(made)
    ClassList.teachers.through.objects.bulk_create(
        ClassList.teachers.through(classlist_id=item.pk, user_id=teacher.pk) for item in made
    )
    return list(ClassList.objects.filter(semester__gt=GENERATED_FROM))


class Seats:
    """The classes with free seats in start order: the first one starting on or after a day (the
    latest class when none starts later), found by bisection; full classes drop out."""

    def __init__(self, classes: list[ClassList]):
        taken = dict(
            ClassList.objects.filter(pk__in=[item.pk for item in classes])
            .annotate(taken=Count("students"))
            .values_list("pk", "taken")
        )
        self.free = {item.pk: item.capacity - taken[item.pk] for item in classes}
        self.open = sorted((item for item in classes if self.free[item.pk] > 0), key=_start_key)
        self.starts = [_start_key(item) for item in self.open]

    def total(self) -> int:
        return sum(self.free[item.pk] for item in self.open)

    def take(self, day: date) -> ClassList | None:
        if not self.open:
            return None
        index = min(bisect_left(self.starts, (day, 0)), len(self.open) - 1)
        class_list = self.open[index]
        self.free[class_list.pk] -= 1
        if self.free[class_list.pk] == 0:
            del self.open[index], self.starts[index]
        return class_list


def _start_key(class_list: ClassList) -> tuple[date, int]:
    return (class_list.start_date, class_list.pk)


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
    seats = Seats(classes)
    if len(customers) > seats.total():
        first_signing = timezone.localtime(min(signings[customer.pk] for customer in customers)).date()
        seats = Seats(classes + _generated_classes(len(customers), first_signing, teacher, adviser))
    for customer in customers:
        signed_at = signings[customer.pk]
        class_list = seats.take(timezone.localtime(signed_at).date())
        if class_list is None:
            continue
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
    Enrollment.objects.bulk_create(enrollments, batch_size=BATCH)
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users, batch_size=BATCH)
    student_role = Role.objects.get(slug=STUDENT)
    Role.users.through.objects.bulk_create(
        (Role.users.through(role=student_role, user=user) for user in users), batch_size=BATCH
    )
    students = Student.objects.bulk_create(
        (Student(user=user, customer=customer) for user, customer in zip(users, customers, strict=True)),
        batch_size=BATCH,
    )
    Student.classes.through.objects.bulk_create(
        (
            Student.classes.through(student_id=student.pk, classlist_id=enrollment.class_list_id)
            for student, enrollment in zip(students, enrollments, strict=True)
        ),
        batch_size=BATCH,
    )
    for enrollment in enrollments:
        signed_on = timezone.localtime(signings[enrollment.customer_id]).date()
        tuition_on = signed_on + timedelta(days=rng.randint(2, 10))
        # The deposit at signing, the rest of the fee in three monthly instalments (the last one
        # takes the cents the division leaves, so they add up to the price).
        rest = enrollment.price - DEPOSIT
        instalment = (rest / INSTALMENTS).quantize(Decimal("0.01"))
        amounts = [instalment] * (INSTALMENTS - 1) + [rest - instalment * (INSTALMENTS - 1)]
        plan = [(Payment.Kind.DEPOSIT, DEPOSIT, signed_on)] + [
            (Payment.Kind.TUITION, amount, tuition_on + timedelta(days=30 * month))
            for month, amount in enumerate(amounts)
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
    Payment.objects.bulk_create(payments, batch_size=BATCH)
    for month in (Month.current().shift(-1), Month.current()):
        for consultant in consultants:
            Target.objects.get_or_create(
                consultant=consultant,
                month=month.first_day,
                defaults={"new_leads": 25, "signings": 4, "revenue": Decimal("60000"), "set_by": manager},
            )
    return len(customers)
