"""Demo and benchmark customers, generated in bulk (`seeddemo`, `seeddemo --customers N`).

The data keeps the pool rules: owned, unsigned customers were claimed and followed up recently
enough not to be swept at once; the stale ones already sit in the public pool, as the nightly
sweep would have left them. Phones and QQ numbers come from the row number, so they never collide.
Rows are written as plain tuples in committed batches (`common.bulk.RowWriter`): a million
customers with five million follow-ups load in minutes, not the better part of an hour.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from common.bulk import RowWriter, larger_page_cache, next_id, sync_sequences
from crm.models import Course, Customer, DictItem, FollowUp, OwnershipEvent
from crm.normalize import name_keys
from crm.services import follow_up_days_add

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "浩然",
    "子轩",
    "雨涵",
    "梓涵",
    "一诺",
    "欣怡",
    "宇航",
    "思远",
    "嘉怡",
    "俊杰",
    "晓东",
    "海燕",
]
CONTENTS = [
    "电话沟通，了解学员基础，介绍课程大纲。",
    "微信发送课程资料，学员表示考虑中。",
    "学员询问学费分期，已说明政策。",
    "约了周末到校区试听。",
    "学员在比较其它机构，强调项目实战和就业服务。",
    "未接通，稍后再打。",
]
BATCH = 20_000


@dataclass(frozen=True)
class Profile:
    """How a school's customers are spread: over how many days (and how much busier lately),
    the shares in the public pool and signed (the rest are owned and being followed up), and
    how many follow-ups each has had."""

    days: int
    recent_bias: float  # 1: even; above 1: more leads lately
    pool_share: float
    signed_share: float
    follow_ups: tuple[int, int]


# The demo school: 400 days, busier lately, so last month's report has something to say.
DEMO = Profile(days=400, recent_bias=1.5, pool_share=0.25, signed_share=0.15, follow_ups=(1, 5))
# A generated school for benchmarks: two years, 30% in the pool, 5% signed, 5 follow-ups a customer on
# average (the pool customers nobody followed up have none).
GENERATED = Profile(days=730, recent_bias=1.0, pool_share=0.30, signed_share=0.05, follow_ups=(1, 10))

CUSTOMER_COLUMNS = (
    "id",
    "name",
    "name_pinyin",
    "name_initials",
    "gender",
    "phone",
    "qq",
    "wechat",
    "education",
    "source",
    "consulted_on",
    "status",
    "consultant",
    "claimed_at",
    "last_follow_up_at",
    "next_follow_up_at",
    "created_by",
    "created_at",
    "updated_at",
)
FOLLOW_UP_COLUMNS = ("customer", "consultant", "channel", "intent", "content", "at")
EVENT_COLUMNS = ("customer", "kind", "from_user", "to_user", "by", "reason", "at")


def _name_cache() -> dict[str, tuple[str, str]]:
    return {surname + given: name_keys(surname + given) for surname in SURNAMES for given in GIVEN}


def _ids(kind: str, *, optional: bool = False) -> list:
    """The active dictionary items of `kind`; an optional field is left empty when there are none."""
    ids = list(DictItem.objects.filter(kind=kind, is_active=True).values_list("pk", flat=True))
    return ids or ([None] if optional else [])


def generate_customers(
    count: int, *, consultants: list, profile: Profile = DEMO, seed: int = 2026, start_number: int = 0
) -> int:
    """Write `count` customers spread as `profile` says, with their follow-ups, ownership events,
    interested courses and per-day follow-up counts, in committed batches; returns how many."""
    rng = random.Random(seed + start_number)
    sources = _ids(DictItem.Kind.SOURCE)
    channels = _ids(DictItem.Kind.FOLLOW_UP_CHANNEL)
    if not sources or not channels or not consultants:
        raise ValueError("The demo needs customer sources, follow-up channels and consultants first.")
    names = _name_cache()
    context = _Context(
        rng=rng,
        profile=profile,
        now=timezone.now(),
        zone=timezone.get_current_timezone(),
        names=names,
        name_list=list(names),
        sources=sources,
        channels=channels,
        intents=_ids(DictItem.Kind.INTENT_LEVEL, optional=True),
        genders=_ids(DictItem.Kind.GENDER, optional=True),
        educations=_ids(DictItem.Kind.EDUCATION, optional=True),
        courses=[course.pk for course in Course.objects.filter(is_active=True)],
        consultants=[user.pk for user in consultants],
    )
    writers = (
        RowWriter(Customer, CUSTOMER_COLUMNS),
        RowWriter(FollowUp, FOLLOW_UP_COLUMNS),
        RowWriter(OwnershipEvent, EVENT_COLUMNS),
        RowWriter(Customer.interested_courses.through, ("customer", "course")),
    )
    first_id = next_id(Customer)
    days: Counter = Counter()
    with larger_page_cache():
        for batch_start in range(0, count, BATCH):
            with transaction.atomic():
                days += _write_batch(
                    context, writers, first_id + batch_start, start_number + batch_start, count - batch_start
                )
        with transaction.atomic():
            # Once at the end: per batch, every consultant's every day would be rewritten again.
            follow_up_days_add(days)
            sync_sequences(Customer, FollowUp, OwnershipEvent, Customer.interested_courses.through)
    return count


@dataclass
class _Context:
    rng: random.Random
    profile: Profile
    now: object
    zone: object
    names: dict
    name_list: list
    sources: list
    channels: list
    intents: list
    genders: list
    educations: list
    courses: list
    consultants: list


def _write_batch(context: _Context, writers, first_id: int, first_number: int, left: int) -> Counter:
    """One batch of customers and their history; returns its follow-ups per (consultant, day)."""
    customers, follow_ups, events, interests = [], [], [], []
    days: Counter = Counter()
    for offset in range(min(BATCH, left)):
        customer_id, number = first_id + offset, first_number + offset
        customer, consultant, author, last = _customer(context, customer_id, number)
        customers.append(customer)
        _history(context, customer, consultant, author, last, follow_ups, events, days)
        if context.courses:
            interests.append((customer_id, context.rng.choice(context.courses)))
    customer_writer, follow_up_writer, event_writer, interest_writer = writers
    customer_writer.write(customers)
    follow_up_writer.write(follow_ups)
    event_writer.write(events)
    interest_writer.write(interests)
    return days


def _customer(context: _Context, customer_id: int, number: int):
    """The customer's row and (owner, who entered them, last follow-up)."""
    rng, profile, now = context.rng, context.profile, context.now
    name = rng.choice(context.name_list)
    created_at = now - timedelta(
        days=profile.days * rng.random() ** profile.recent_bias, hours=rng.uniform(0, 10)
    )
    kind = rng.random()
    signs_after = timedelta(days=rng.uniform(1, 20))
    signing = profile.pool_share <= kind < profile.pool_share + profile.signed_share
    if signing and created_at + signs_after > now:
        signing = False  # would sign in the future: still being followed up
        kind = 1.0
    consultant = claimed_at = last = next_at = None
    status = Customer.Status.UNSIGNED
    if signing:  # signed: never returns to the pool
        consultant = rng.choice(context.consultants)
        status = Customer.Status.SIGNED
        claimed_at = created_at
        last = created_at + signs_after
    elif kind >= profile.pool_share:  # owned, recently claimed and followed up: the sweep leaves them alone
        consultant = rng.choice(context.consultants)
        claimed_at = max(created_at, now - timedelta(days=rng.uniform(0, 12)))
        last = max(claimed_at, now - timedelta(days=rng.uniform(0, 2.5)))
        next_at = now + timedelta(days=rng.choice([-2, -1, 0, 0, 1, 2, 3, 5]), hours=rng.uniform(-3, 3))
    else:  # the public pool; most were followed up by someone who lost them to the sweep
        last = created_at + timedelta(days=rng.uniform(0, 10)) if rng.random() < 0.7 else None
        if last and last > now - timedelta(days=4):
            last = None
    author = consultant or rng.choice(context.consultants)
    pinyin, initials = context.names[name]
    row = (
        customer_id,
        name,
        pinyin,
        initials,
        rng.choice(context.genders),
        f"+8613{number:09d}",
        str(100000 + number * 7),
        f"wx_{initials}{number}",
        rng.choice(context.educations),
        rng.choice(context.sources),
        created_at.astimezone(context.zone).date(),
        status,
        consultant,
        claimed_at,
        last,
        next_at,
        author,
        created_at,
        now,
    )
    return row, consultant, author, last


def _history(context: _Context, customer, consultant, author, last, follow_ups, events, days) -> None:
    """The customer's ownership events and follow-ups (spread from their entry to the last one)."""
    rng = context.rng
    customer_id, created_at, signed = customer[0], customer[17], customer[11] == Customer.Status.SIGNED
    events.append((customer_id, OwnershipEvent.Kind.CREATE, None, consultant, author, "", created_at))
    if last is None:
        return
    if signed:
        events.append((customer_id, OwnershipEvent.Kind.SIGN, consultant, consultant, consultant, "", last))
    if consultant is None:
        events.append(
            (
                customer_id,
                OwnershipEvent.Kind.AUTO_RETURN,
                author,
                None,
                None,
                "No follow-up for 3 days",
                last + timedelta(days=3),
            )
        )
    low, high = context.profile.follow_ups
    span = (last - created_at).total_seconds()
    moments = [last] + [
        created_at + timedelta(seconds=rng.uniform(0, span)) for _ in range(rng.randint(low, high) - 1)
    ]
    for at in moments:
        follow_ups.append(
            (
                customer_id,
                author,
                rng.choice(context.channels),
                rng.choice(context.intents),
                rng.choice(CONTENTS),
                at,
            )
        )
        days[(author, at.astimezone(context.zone).date())] += 1
