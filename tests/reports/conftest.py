"""A hand-built month for the sales report: November 2026 in the school's time zone (Asia/Shanghai,
UTC+8), its neighbours, the same month a year before, and rows placed on every boundary.

Every figure the report shows for this data set was worked out by hand from the table below and
is written as a literal in the tests; nothing here computes a figure.

People: the manager (销售部), sales1 and sales2 (销售部), sales3 (电销部, another team).
Sources: 官方网站 (WEB), 转介绍 (REF) and a label that a spreadsheet would evaluate (EVIL).
Classes: class A (北京, active), class B (上海, active), class P (北京, inactive, money in
November), class O (上海, inactive, money only in 2025).

Customers (times in Shanghai):
  k1  2026-10-31 23:59:59  WEB  sales1   created in October (the last second); link E1 rejected
  k2  2026-11-01 00:00:00  WEB  sales1   signed 11-11 00:00 (10 days after the claim); E2 class A
                                         approved, tuition 19800 paid 11-12
  k3  2026-11-30 23:59:59  REF  sales2   created in November (the last second); nothing else
  k4  2026-12-01 00:00:00  WEB  sales1   created in December (= 2026-11-30 16:00 UTC)
  k5  2026-11-04 10:00     REF  sales1 -> transferred to sales2 11-08 10:00 -> signed by sales2
                                         11-20 22:00 (12.5 days); E5 class B by sales2, approved:
                                         tuition 16800 (11-21), refund 1800 (11-30), pending 500,
                                         rejected 700
  k6  2026-11-06 10:00     EVIL pool     entered by sales2, followed up, released 11-09
  k7  2026-11-07 10:00     WEB  sales1   deleted (recycle bin)
  k8  2026-09-15 10:00     WEB  sales1   signed in October; E8 class P: deposit 1000 (10-31),
                                         tuition 5000 (11-01), tuition 4000 (11-30), tuition 2500
                                         (12-01), class transfer 3000 (11-15), refund 500 (11-18)
  k9  2025-10-01 10:00     REF  sales2   signed in 2025; E9 class O: 600 (2025-10-31), 8000
                                         (2025-11-20), rejected 1000 (2025-11-30), 1200
                                         (2025-12-01), refund 200 (2026-03-10), other 300
                                         (2026-06-15), tuition 2000 (2026-10-01)
  k10 2026-11-10 10:00     REF  sales3   signed 11-12 10:00 (2 days); E10 class B (waitlisted,
                                         approved): tuition 9999.50 paid 11-12
  k11 2026-11-20 10:00     EVIL manager  E11 class A submitted, waitlisted; pending deposit 1000
  k12 2026-08-01 10:00     WEB  sales2   claimed from the pool 11-03 10:00; E12 class B open,
                                         waitlisted, made 11-25
  k13 2026-11-28 10:00     WEB  sales1   E13 class B open, made 2026-12-01 00:00 (December);
                                         a confirmed class transfer of 3000 paid 11-29
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q

from accounts.models import Department, User
from crm.models import ClassList, Customer, DictItem, FollowUp, OwnershipEvent
from crm.services import follow_up_day_count
from enrollment.models import Enrollment, Payment
from rbac.defaults import SALES
from rbac.models import Role
from reports.models import Target

SHANGHAI = ZoneInfo("Asia/Shanghai")
Kind = OwnershipEvent.Kind


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    """A moment on the school's clock (Asia/Shanghai)."""
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class Book:
    """The November data set: users, sources, classes, customers k1..k13 and enrollments e1..e13."""

    world: object
    sales3: User
    tele: Department
    web: DictItem
    ref: DictItem
    evil: DictItem
    class_p: ClassList
    class_o: ClassList
    customers: dict[str, Customer] = field(default_factory=dict)
    enrollments: dict[str, Enrollment] = field(default_factory=dict)


_phones = iter(range(1, 10**6))


def customer(name, created, source, owner, *, signed=False, claimed=None, deleted=False, **extra):
    number = next(_phones)
    return Customer.objects.create(
        name=name,
        name_pinyin=f"kehu{number}",
        phone=f"+86139{number:08d}",
        qq=str(700000 + number),
        source=source,
        consulted_on=created.date(),
        consultant=owner,
        claimed_at=claimed if claimed is not None else (created if owner else None),
        status=Customer.Status.SIGNED if signed else Customer.Status.UNSIGNED,
        created_at=created,
        is_deleted=deleted,
        deleted_at=created + datetime.timedelta(days=1) if deleted else None,
        **extra,
    )


def event(customer_, kind, to, when, *, from_user=None):
    return OwnershipEvent.objects.create(
        customer=customer_, kind=kind, to_user=to, from_user=from_user, by=to or from_user, at=when
    )


def enroll(customer_, class_list, consultant, created, status=Enrollment.Status.OPEN, **extra):
    return Enrollment.objects.create(
        customer=customer_,
        class_list=class_list,
        consultant=consultant,
        price=class_list.price,
        status=status,
        created_at=created,
        link_expires_at=created + datetime.timedelta(days=7),
        **extra,
    )


def pay(enrollment, kind, amount, paid_at, status=Payment.Status.CONFIRMED):
    return Payment.objects.create(
        enrollment=enrollment,
        kind=kind,
        amount=Decimal(amount),
        paid_at=paid_at,
        consultant=enrollment.consultant,
        status=status,
        request_key=uuid.uuid4(),
    )


def follow_up(customer_, consultant, when, channel):
    """A follow-up at any time, with the customer's last follow-up stamped and the day counted
    as `follow_up_add` does for one made now."""
    made = FollowUp.objects.create(
        customer=customer_, consultant=consultant, channel=channel, content="跟进", at=when
    )
    Customer.objects.filter(
        Q(last_follow_up_at__lt=when) | Q(last_follow_up_at__isnull=True), pk=customer_.pk
    ).update(last_follow_up_at=when)
    follow_up_day_count(consultant_id=consultant.pk, at=when)
    return made


def add_consultant(username: str, department: Department, *, display_name: str = "") -> User:
    user = User.objects.create_user(
        username=username, display_name=display_name or f"{username.title()} Tester", department=department
    )
    user.roles.add(Role.objects.get(slug=SALES))
    return user


@pytest.fixture
def book(world) -> Book:
    """The data set of the module docstring, on top of the shared world."""
    # The world's own customers are entered "now": move them out of every month under test.
    Customer.objects.filter(
        pk__in=[world.pool_lead.pk, world.sales_lead.pk, world.sales2_lead.pk, world.deleted_lead.pk]
    ).update(created_at=at(2020, 1, 1, 12))

    tele = Department.objects.create(name="电销部", code="tele")
    sales3 = add_consultant("sales3", tele)
    web = world.source
    ref, evil = DictItem.objects.bulk_create(
        [
            DictItem(kind=DictItem.Kind.SOURCE, code="referral", label="转介绍", order=2),
            DictItem(
                kind=DictItem.Kind.SOURCE, code="formula", label='=HYPERLINK("http://x.test")广告', order=3
            ),
        ]
    )
    class_p = ClassList.objects.create(
        course=world.python,
        campus=world.beijing,
        semester=8,
        price=Decimal("19800"),
        start_date=datetime.date(2026, 3, 1),
        graduate_date=datetime.date(2026, 9, 1),
        is_active=False,
    )
    class_o = ClassList.objects.create(
        course=world.linux,
        campus=world.shanghai,
        semester=30,
        price=Decimal("16800"),
        start_date=datetime.date(2025, 9, 1),
        is_active=False,
    )
    s1, s2, manager = world.sales, world.sales2, world.manager
    class_a, class_b = world.class_a, world.class_b
    channel = world.channel
    S = Enrollment.Status
    P = Payment.Kind

    k = {}
    e = {}
    k["k1"] = customer("十月底", at(2026, 10, 31, 23, 59, 59), web, s1)
    event(k["k1"], Kind.CREATE, s1, at(2026, 10, 31, 23, 59, 59))
    e["e1"] = enroll(k["k1"], class_a, s1, at(2026, 10, 31, 23, 59, 59), S.REJECTED)

    k["k2"] = customer("十一月初", at(2026, 11, 1), web, s1, signed=True)
    event(k["k2"], Kind.CREATE, s1, at(2026, 11, 1))
    event(k["k2"], Kind.SIGN, s1, at(2026, 11, 11), from_user=s1)
    follow_up(k["k2"], s1, at(2026, 11, 5, 9), channel)
    e["e2"] = enroll(k["k2"], class_a, s1, at(2026, 11, 2, 9), S.APPROVED, submitted_at=at(2026, 11, 3, 9))
    pay(e["e2"], P.TUITION, "19800", datetime.date(2026, 11, 12))

    k["k3"] = customer("十一月末", at(2026, 11, 30, 23, 59, 59), ref, s2)
    event(k["k3"], Kind.CREATE, s2, at(2026, 11, 30, 23, 59, 59))

    k["k4"] = customer("十二月初", at(2026, 12, 1), web, s1)
    event(k["k4"], Kind.CREATE, s1, at(2026, 12, 1))

    k["k5"] = customer("转手", at(2026, 11, 4, 10), ref, s2, signed=True, claimed=at(2026, 11, 8, 10))
    event(k["k5"], Kind.CREATE, s1, at(2026, 11, 4, 10))
    event(k["k5"], Kind.TRANSFER, s2, at(2026, 11, 8, 10), from_user=s1)
    event(k["k5"], Kind.SIGN, s2, at(2026, 11, 20, 22), from_user=s2)
    follow_up(k["k5"], s1, at(2026, 11, 5, 10), channel)
    follow_up(k["k5"], s2, at(2026, 11, 10, 10), channel)
    e["e5"] = enroll(
        k["k5"], class_b, s2, at(2026, 11, 15, 10), S.APPROVED, submitted_at=at(2026, 11, 16, 10)
    )
    pay(e["e5"], P.TUITION, "16800", datetime.date(2026, 11, 21))
    pay(e["e5"], P.REFUND, "1800", datetime.date(2026, 11, 30))
    pay(e["e5"], P.TUITION, "500", datetime.date(2026, 11, 22), Payment.Status.PENDING)
    pay(e["e5"], P.TUITION, "700", datetime.date(2026, 11, 23), Payment.Status.REJECTED)

    k["k6"] = customer("公池", at(2026, 11, 6, 10), evil, None)
    event(k["k6"], Kind.CREATE, s2, at(2026, 11, 6, 10))
    follow_up(k["k6"], s2, at(2026, 11, 7, 10), channel)
    event(k["k6"], Kind.RELEASE, None, at(2026, 11, 9, 10), from_user=s2)

    # Deleted: no ownership events here (see test_deleted_customer_counts_nowhere for those).
    k["k7"] = customer("删除", at(2026, 11, 7, 10), web, s1, deleted=True)

    k["k8"] = customer("老客户", at(2026, 9, 15, 10), web, s1, signed=True)
    event(k["k8"], Kind.CREATE, s1, at(2026, 9, 15, 10))
    event(k["k8"], Kind.SIGN, s1, at(2026, 10, 20, 10), from_user=s1)
    for when in (
        at(2026, 10, 31, 23, 59, 59),
        at(2026, 11, 1),
        at(2026, 11, 30, 23, 59, 59),
        at(2026, 12, 1),
    ):
        follow_up(k["k8"], s1, when, channel)
    e["e8"] = enroll(
        k["k8"], class_p, s1, at(2026, 10, 10, 10), S.APPROVED, submitted_at=at(2026, 10, 11, 10)
    )
    pay(e["e8"], P.DEPOSIT, "1000", datetime.date(2026, 10, 31))
    pay(e["e8"], P.TUITION, "5000", datetime.date(2026, 11, 1))
    pay(e["e8"], P.TUITION, "4000", datetime.date(2026, 11, 30))
    pay(e["e8"], P.TUITION, "2500", datetime.date(2026, 12, 1))
    pay(e["e8"], P.TRANSFER, "3000", datetime.date(2026, 11, 15))
    pay(e["e8"], P.REFUND, "500", datetime.date(2026, 11, 18))

    k["k9"] = customer("去年", at(2025, 10, 1, 10), ref, s2, signed=True)
    event(k["k9"], Kind.CREATE, s2, at(2025, 10, 1, 10))
    event(k["k9"], Kind.SIGN, s2, at(2025, 10, 6, 10), from_user=s2)
    e["e9"] = enroll(k["k9"], class_o, s2, at(2025, 10, 5, 10), S.APPROVED, submitted_at=at(2025, 10, 5, 12))
    pay(e["e9"], P.DEPOSIT, "600", datetime.date(2025, 10, 31))
    pay(e["e9"], P.TUITION, "8000", datetime.date(2025, 11, 20))
    pay(e["e9"], P.TUITION, "1000", datetime.date(2025, 11, 30), Payment.Status.REJECTED)
    pay(e["e9"], P.TUITION, "1200", datetime.date(2025, 12, 1))
    pay(e["e9"], P.REFUND, "200", datetime.date(2026, 3, 10))
    pay(e["e9"], P.OTHER, "300", datetime.date(2026, 6, 15))
    pay(e["e9"], P.TUITION, "2000", datetime.date(2026, 10, 1))

    k["k10"] = customer("电销", at(2026, 11, 10, 10), ref, sales3, signed=True)
    event(k["k10"], Kind.CREATE, sales3, at(2026, 11, 10, 10))
    event(k["k10"], Kind.SIGN, sales3, at(2026, 11, 12, 10), from_user=sales3)
    follow_up(k["k10"], sales3, at(2026, 11, 11, 10), channel)
    e["e10"] = enroll(
        k["k10"],
        class_b,
        sales3,
        at(2026, 11, 10, 12),
        S.APPROVED,
        submitted_at=at(2026, 11, 11, 12),
        waitlisted=True,
    )
    pay(e["e10"], P.TUITION, "9999.50", datetime.date(2026, 11, 12))

    k["k11"] = customer("经理", at(2026, 11, 20, 10), evil, manager)
    event(k["k11"], Kind.CREATE, manager, at(2026, 11, 20, 10))
    follow_up(k["k11"], manager, at(2026, 11, 20, 11), channel)
    e["e11"] = enroll(
        k["k11"],
        class_a,
        manager,
        at(2026, 11, 21, 10),
        S.SUBMITTED,
        submitted_at=at(2026, 11, 22, 10),
        waitlisted=True,
    )
    pay(e["e11"], P.DEPOSIT, "1000", datetime.date(2026, 11, 22), Payment.Status.PENDING)

    k["k12"] = customer("候补", at(2026, 8, 1, 10), web, s2, claimed=at(2026, 11, 3, 10))
    event(k["k12"], Kind.CLAIM, s2, at(2026, 11, 3, 10))
    follow_up(k["k12"], s2, at(2026, 11, 4, 10), channel)
    e["e12"] = enroll(k["k12"], class_b, s2, at(2026, 11, 25, 10), waitlisted=True)

    k["k13"] = customer("月底链接", at(2026, 11, 28, 10), web, s1)
    event(k["k13"], Kind.CREATE, s1, at(2026, 11, 28, 10))
    follow_up(k["k13"], s1, at(2026, 11, 29, 10), channel)
    e["e13"] = enroll(k["k13"], class_b, s1, at(2026, 12, 1))
    pay(e["e13"], P.TRANSFER, "3000", datetime.date(2026, 11, 29))

    month = datetime.date(2026, 11, 1)
    Target.objects.bulk_create(
        [
            Target(
                consultant=s1, month=month, new_leads=4, signings=2, revenue=Decimal("20000"), set_by=manager
            ),
            Target(
                consultant=s1,
                month=datetime.date(2026, 10, 1),
                new_leads=10,
                signings=10,
                revenue=Decimal("99999"),
                set_by=manager,
            ),
            Target(
                consultant=s2, month=month, new_leads=5, signings=0, revenue=Decimal("10000"), set_by=manager
            ),
        ]
    )
    return Book(
        world=world,
        sales3=sales3,
        tele=tele,
        web=web,
        ref=ref,
        evil=evil,
        class_p=class_p,
        class_o=class_o,
        customers=k,
        enrollments=e,
    )
