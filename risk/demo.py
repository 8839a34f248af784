"""The demo school's at-risk warnings: adjust a few demo records so that each kind shows at least
once for teacher1's class (Python 9, advised by teacher2) and for sales1's customers, and open one
ticket the way the sweep does. Run after the crm, classroom and enrollment demos; idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import User
from classroom.models import HomeworkFile, StudyRecord
from crm.models import ClassList, Customer, DictItem, FollowUp, PoolPolicy
from crm.selectors import returning_soon_of
from risk.models import RiskPolicy, RiskTicket, StudentRisk
from risk.selectors import student_warnings
from risk.services import RiskRefused, risk_ticket_open

# The intent levels of the demo dictionary that mean "about to enrol".
HIGH_INTENT_CODES = ("within_week", "within_two_weeks")
DEMO_FOLLOW_UP = "说一周内报名，等发工资后付定金"
DEMO_CATEGORY = "course_feedback"


def seed_risk() -> None:
    class_list = ClassList.objects.filter(course__name="Python全栈开发", semester=9).first()
    sales1 = User.objects.filter(username="sales1").first()
    if class_list is None or sales1 is None:
        return  # not the demo school
    with transaction.atomic():
        policy = _policy()
        _missed_homework(class_list)
        _high_intent(sales1, policy)
        _returning_to_pool(sales1)
    with translation.override(settings.LANGUAGE_CODE):
        _one_ticket(class_list, policy)


def _policy() -> RiskPolicy:
    policy = RiskPolicy.current()
    if not policy.high_intent_levels.exists():
        policy.high_intent_levels.set(
            DictItem.objects.filter(kind=DictItem.Kind.INTENT_LEVEL, code__in=HIGH_INTENT_CODES)
        )
    if policy.ticket_category_id is None:
        policy.ticket_category = DictItem.objects.filter(
            kind=DictItem.Kind.TICKET_CATEGORY, code=DEMO_CATEGORY, is_active=True
        ).first()
        policy.save(update_fields=["ticket_category"])
    return policy


def _missed_homework(class_list: ClassList) -> None:
    """The class's first student (not the demo login) handed in nothing for the last two lessons
    whose homework is due: their files go, and the grades of those lessons with them."""
    now = timezone.now()
    student = class_list.students.exclude(user__username="student1").order_by("pk").first()
    if student is None:
        return
    records = list(
        StudyRecord.objects.filter(
            student=student,
            lesson__class_list=class_list,
            lesson__homework_deadline__lt=now,
        )
        .exclude(lesson__homework_title="")
        .order_by("-lesson__number")[:2]
    )
    for homework in HomeworkFile.objects.filter(record__in=records):
        homework.file.delete(save=False)
        homework.delete()
    StudyRecord.objects.filter(pk__in=[record.pk for record in records]).update(
        homework_submitted_at=None, score=None, graded_by=None, graded_at=None
    )


def _high_intent(sales1: User, policy: RiskPolicy) -> None:
    """One of sales1's unsigned customers said "within a week" and has heard nothing since,
    for longer than the warning's days but not yet the pool rules'."""
    intent = policy.high_intent_levels.order_by("order").first()
    if intent is None:
        return
    follow_up = FollowUp.objects.filter(content=DEMO_FOLLOW_UP, customer__consultant=sales1).first()
    if follow_up is None:
        customer = (
            Customer.objects.live()
            .filter(consultant=sales1, status=Customer.Status.UNSIGNED, follow_ups__isnull=True)
            .order_by("pk")
            .first()
        )
        if customer is None:
            return
        channel = DictItem.objects.filter(kind=DictItem.Kind.FOLLOW_UP_CHANNEL).order_by("order").first()
        follow_up = FollowUp.objects.create(
            customer=customer, consultant=sales1, channel=channel, intent=intent, content=DEMO_FOLLOW_UP
        )
    at = timezone.now() - timedelta(days=policy.high_intent_days, hours=6)
    FollowUp.objects.filter(pk=follow_up.pk).update(at=at, intent=intent)
    # Owned since just before the follow-up: the pool rules count from the later of the two.
    Customer.objects.filter(pk=follow_up.customer_id).update(
        last_follow_up_at=at, next_follow_up_at=None, claimed_at=at - timedelta(hours=1)
    )


def _returning_to_pool(sales1: User) -> None:
    """One of sales1's customers returns to the pool within the warning days (unless the demo
    has some already)."""
    if returning_soon_of(sales1).exists():
        return
    pool = PoolPolicy.current()
    customer = (
        Customer.objects.live()
        .filter(consultant=sales1, status=Customer.Status.UNSIGNED, follow_ups__isnull=True)
        .order_by("-pk")
        .first()
    )
    if customer is not None:
        claimed = timezone.now() - timedelta(days=pool.days_without_follow_up) + timedelta(hours=6)
        Customer.objects.filter(pk=customer.pk).update(claimed_at=claimed, last_follow_up_at=None)


def _one_ticket(class_list: ClassList, policy: RiskPolicy) -> None:
    """The missed homework opens a ticket for the adviser as the sweep would (once)."""
    if RiskTicket.objects.exists():
        return
    warnings = student_warnings(None, kind=StudentRisk.HOMEWORK, class_id=class_list.pk)
    for warning in warnings:
        try:
            risk_ticket_open(warning=warning, by=None, policy=policy)
        except RiskRefused:
            continue
        return
