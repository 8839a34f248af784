"""What each role sees first on the home page. Every panel is computed only for users whose roles
open the pages it leads to, with a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Notification
from classroom.models import Answer, Attendance, Lesson, Question, StudyRecord
from classroom.selectors import homework_missing, lessons_of_student, records_of_student
from crm.models import ClassList, Customer
from crm.selectors import (
    OWNER_CODENAME,
    classes_taught_by,
    customers_due_for,
    customers_returning_soon,
    pool_ages,
)
from enrollment.models import Enrollment, Payment, Student
from enrollment.selectors import REVIEWER_CODENAME, enrollments_visible_to
from rbac.models import Role
from reports import selectors
from reports.periods import Month

User = get_user_model()
ZERO = Decimal("0")


def consultant_panels(user) -> dict:
    """Follow-ups due and overdue, customers about to return to the pool, the month against targets."""
    month = Month.current()
    returning_count, returning = customers_returning_soon(user, limit=5)
    scope = selectors.Scope(consultant_ids=frozenset({user.pk}))
    rows = selectors.conversion_analysis(scope, month, [user])
    return {
        **customers_due_for(user),
        "returning_count": returning_count,
        "returning": returning,
        "my_month": rows[0],
        "month": month,
        "pace": month.elapsed_share(),
    }


def manager_panels(user) -> dict:
    """The team's month, the pool's size and age, consultants behind their targets, reviews waiting."""
    month = Month.current()
    consultants = list(selectors.consultants_reported_by(user).order_by("username"))
    scope = selectors.Scope(
        consultant_ids=frozenset(person.pk for person in consultants),
        whole_school=selectors.reports_whole_school(user),
    )
    rows = selectors.conversion_analysis(scope, month, consultants)
    # The share of the month gone: a consultant below it on any target is behind.
    elapsed = month.elapsed_share()
    behind = [
        row
        for row in rows
        if row.target is not None
        and any(
            share is not None and share < elapsed
            for share in (row.progress("new_leads"), row.progress("signings"), row.progress("revenue"))
        )
    ]
    totals = selectors.by_consultant_totals(rows)
    revenue = sum((row.revenue for row in rows), ZERO)
    if scope.whole_school:
        # The school's figures include consultants who have left (they have no row).
        revenue = selectors.sales_amount(scope, month).month
        totals["signed"] = selectors.signings_count(scope, month)
    return {
        "team_totals": totals,
        "team_revenue": revenue,
        "behind": behind,
        "pool": pool_ages(timezone.now()),
        "pending_reviews": enrollments_visible_to(user, reviews_all=False)
        .filter(status=Enrollment.Status.SUBMITTED)
        .count(),
        "month": month,
        "whole_school": scope.whole_school,
    }


def finance_panels(user) -> dict:
    month = Month.current()
    revenue = selectors.sales_amount(selectors.Scope(consultant_ids=frozenset(), whole_school=True), month)
    return {
        "reviews_waiting": Enrollment.objects.live().filter(status=Enrollment.Status.SUBMITTED).count(),
        "payments_waiting": Payment.objects.filter(
            status=Payment.Status.PENDING, enrollment__is_deleted=False
        ).count(),
        "school_revenue": revenue.month,
        "month": month,
    }


def _students_at_risk(classes: list[ClassList]) -> list[tuple]:
    """(class, student, reasons) for students absent in both of their class's last two lessons
    with a roll call, or missing two homeworks or more (past the deadline, or past the lesson's
    day when it has none). Three queries, however many classes."""
    class_ids = [item.pk for item in classes]
    with_roll = (
        Lesson.objects.filter(class_list__in=class_ids, records__attendance__gt="")
        .distinct()
        .order_by("class_list_id", "-number")
        .values_list("class_list_id", "pk")
    )
    last_two: dict[int, list[int]] = defaultdict(list)
    for class_id, lesson_id in with_roll:
        if len(last_two[class_id]) < 2:
            last_two[class_id].append(lesson_id)
    lessons = [lesson_id for ids in last_two.values() if len(ids) == 2 for lesson_id in ids]
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    absent = (
        StudyRecord.objects.filter(lesson__in=lessons, attendance=Attendance.ABSENT)
        .values_list("lesson__class_list_id", "student_id")
        .annotate(times=Count("pk"))
        .filter(times=2)
    )
    for class_id, student_id, _times in absent:
        reasons[(class_id, student_id)].append("absent")
    missing = (
        StudyRecord.objects.filter(homework_missing(), lesson__class_list__in=class_ids)
        .exclude(student__status=Student.Status.DROPPED)
        .values_list("lesson__class_list_id", "student_id")
        .annotate(times=Count("pk"))
        .filter(times__gte=2)
    )
    missing_counts = {}
    for class_id, student_id, times in missing:
        reasons[(class_id, student_id)].append("homework")
        missing_counts[(class_id, student_id)] = times
    if not reasons:
        return []
    students = Student.objects.select_related("customer").in_bulk(
        {student_id for _class, student_id in reasons}
    )
    by_id = {item.pk: item for item in classes}
    at_risk = []
    for (class_id, student_id), why in sorted(reasons.items()):
        student = students[student_id]
        student.missing = missing_counts.get((class_id, student_id), 0)
        at_risk.append((by_id[class_id], student, why))
    return at_risk


def teacher_panels(user) -> dict:
    """Today's lessons, homework to grade, unanswered questions and students at risk in the
    user's active classes (a fixed number of queries)."""
    classes = list(
        ClassList.objects.filter(pk__in=classes_taught_by(user).values("pk"), is_active=True).select_related(
            "course", "campus"
        )
    )
    class_ids = [item.pk for item in classes]
    today = timezone.localdate()
    to_grade = list(
        Lesson.objects.filter(class_list__in=class_ids)
        .annotate(
            waiting=Count(
                "records", filter=Q(records__homework_submitted_at__isnull=False, records__score__isnull=True)
            )
        )
        .filter(waiting__gt=0)
        .select_related("class_list__course")
        .order_by("date", "number")[:10]
    )
    at_risk = _students_at_risk(classes)
    return {
        "today_lessons": list(
            Lesson.objects.filter(class_list__in=class_ids, date=today).select_related("class_list__course")
        ),
        "to_grade": to_grade,
        "unanswered": list(
            Question.objects.live()
            .filter(class_list__in=class_ids, answer_count=0)
            .select_related("class_list__course", "asked_by")
            .order_by("created_at")[:10]
        ),
        "at_risk": at_risk[:20],
    }


def student_panels(user) -> dict:
    today = timezone.localdate()
    now = timezone.now()
    records = records_of_student(user)
    return {
        "next_lesson": lessons_of_student(user).filter(date__gte=today).order_by("date", "number").first(),
        "homework_due": list(
            records.filter(
                lesson__homework_title__gt="", homework_submitted_at__isnull=True, score__isnull=True
            )
            .filter(Q(lesson__homework_deadline__gte=now) | Q(lesson__homework_deadline__isnull=True))
            .order_by("lesson__date")[:5]
        ),
        "latest_grades": list(records.filter(score__isnull=False).order_by("-graded_at")[:5]),
        "answers": list(
            Answer.objects.filter(question__asked_by=user)
            .select_related("question", "author")
            .order_by("-created_at")[:5]
        ),
    }


def admin_panels(user) -> dict:
    return {
        "counts": {
            "users": User.objects.filter(is_active=True).count(),
            "awaiting": User.objects.filter(awaiting_approval=True, is_active=False).count(),
            "roles": Role.objects.count(),
            "classes": ClassList.objects.filter(is_active=True).count(),
            "customers": Customer.objects.live().count(),
            "students": Student.objects.count(),
        },
        "classes_without_teachers": ClassList.objects.filter(is_active=True, teachers__isnull=True).count(),
    }


def home_panels(request) -> dict:
    """The panels of the signed-in user's roles, keyed by role kind."""
    access = request.rbac
    user = request.user
    panels = {}
    if access.holds(OWNER_CODENAME):
        panels["consultant"] = consultant_panels(user)
    if access.holds("reports.targets"):
        panels["manager"] = manager_panels(user)
    if access.holds(REVIEWER_CODENAME):
        panels["finance"] = finance_panels(user)
    if access.holds("classroom.class_list"):
        panels["teacher"] = teacher_panels(user)
    if access.holds("classroom.my_classes"):
        panels["student"] = student_panels(user)
    if access.holds("rbac.user_list"):
        panels["admin"] = admin_panels(user)
    panels["notifications"] = list(Notification.objects.filter(recipient=user).order_by("-created_at")[:5])
    return panels
