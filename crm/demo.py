"""Demo and benchmark customers, generated in bulk (`seeddemo`, `seeddemo --customers N`).

The data keeps the pool rules: owned, unsigned customers were claimed and followed up recently
enough not to be swept at once; the stale ones already sit in the public pool, as the nightly
sweep would have left them. Phones and QQ numbers come from the row number, so they never collide.
"""

import random
from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

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
BATCH = 5000


def _name_cache() -> dict[str, tuple[str, str]]:
    return {surname + given: name_keys(surname + given) for surname in SURNAMES for given in GIVEN}


@transaction.atomic
def generate_customers(count: int, *, consultants: list, seed: int = 2026, start_number: int = 0) -> int:
    """Bulk-create `count` customers with follow-ups and ownership events; returns how many.

    Roughly: 60% owned and unsigned, 10% signed (15% in the demo), the rest in the public pool
    (many of them stale). A customer signs 1 to 20 days after being entered.
    """
    rng = random.Random(seed + start_number)
    sources = list(DictItem.objects.filter(kind=DictItem.Kind.SOURCE, is_active=True))
    channels = list(DictItem.objects.filter(kind=DictItem.Kind.FOLLOW_UP_CHANNEL, is_active=True))
    intents = list(DictItem.objects.filter(kind=DictItem.Kind.INTENT_LEVEL, is_active=True))
    genders = list(DictItem.objects.filter(kind=DictItem.Kind.GENDER, is_active=True))
    educations = list(DictItem.objects.filter(kind=DictItem.Kind.EDUCATION, is_active=True))
    courses = list(Course.objects.filter(is_active=True))
    if not sources or not channels or not consultants:
        raise ValueError("The demo needs customer sources, follow-up channels and consultants first.")
    names = _name_cache()
    name_list = list(names)
    now = timezone.now()
    created = 0
    follow_up_days: Counter = Counter()
    for batch_start in range(0, count, BATCH):
        size = min(BATCH, count - batch_start)
        customers, plans = [], []
        for offset in range(size):
            number = start_number + batch_start + offset
            customer, plan = _one(
                rng, number, now, name_list, names, sources, genders, educations, consultants
            )
            customers.append(customer)
            plans.append(plan)
        Customer.objects.bulk_create(customers, batch_size=1000)
        follow_up_days += _follow_ups_and_events(rng, customers, plans, now, channels, intents)
        if courses:
            through = Customer.interested_courses.through
            through.objects.bulk_create(
                (through(customer_id=c.pk, course_id=rng.choice(courses).pk) for c in customers),
                batch_size=1000,
            )
        created += size
    follow_up_days_add(follow_up_days)
    return created


def _one(rng, number, now, name_list, names, sources, genders, educations, consultants):
    name = rng.choice(name_list)
    if number >= 1000:  # a generated school: two years of evenly spread leads, 10% signed
        days_ago, signed_share = rng.uniform(0, 730), 0.1
    else:  # the demo school: 400 days, busier lately, so last month's report has something to say
        days_ago, signed_share = 400 * rng.random() ** 1.5, 0.15
    created_at = now - timedelta(days=days_ago, hours=rng.uniform(0, 10))
    kind = rng.random()
    signs_after = timedelta(days=rng.uniform(1, 20))
    if 0.6 <= kind < 0.6 + signed_share and created_at + signs_after > now:
        kind = 0.0  # would sign in the future: still being followed up
    consultant = None
    claimed_at = last = next_at = None
    status = Customer.Status.UNSIGNED
    if kind < 0.6:  # owned, recently claimed and followed up: the sweep leaves them alone
        consultant = rng.choice(consultants)
        claimed_at = max(created_at, now - timedelta(days=rng.uniform(0, 12)))
        last = max(claimed_at, now - timedelta(days=rng.uniform(0, 2.5)))
        next_at = now + timedelta(days=rng.choice([-2, -1, 0, 0, 1, 2, 3, 5]), hours=rng.uniform(-3, 3))
    elif kind < 0.6 + signed_share:  # signed: never returns to the pool
        consultant = rng.choice(consultants)
        status = Customer.Status.SIGNED
        claimed_at = created_at
        last = created_at + signs_after
    else:  # the public pool; most were followed up by someone who lost them to the sweep
        last = created_at + timedelta(days=rng.uniform(0, 10)) if rng.random() < 0.7 else None
        if last and last > now - timedelta(days=4):
            last = None
    author = consultant or rng.choice(consultants)
    pinyin, initials = names[name]
    customer = Customer(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        gender=rng.choice(genders) if genders else None,
        phone=f"+8613{number:09d}",
        qq=str(100000 + number * 7),
        wechat=f"wx_{initials}{number}",
        education=rng.choice(educations) if educations else None,
        source=rng.choice(sources),
        consulted_on=timezone.localtime(created_at).date(),
        status=status,
        consultant=consultant,
        claimed_at=claimed_at,
        last_follow_up_at=last,
        next_follow_up_at=next_at,
        created_by=author,
        created_at=created_at,
    )
    return customer, (consultant, author, created_at, last)


def _follow_ups_and_events(rng, customers, plans, now: datetime, channels, intents) -> Counter:
    """Bulk-create the batch's follow-ups and ownership events; returns the follow-ups per
    (consultant id, day) for the per-day counts."""
    follow_ups, events = [], []
    for customer, (consultant, author, created_at, last) in zip(customers, plans, strict=True):
        events.append(
            OwnershipEvent(
                customer_id=customer.pk,
                kind=OwnershipEvent.Kind.CREATE,
                to_user=consultant,
                by=author,
                at=created_at,
            )
        )
        if last is None:
            continue
        if customer.status == Customer.Status.SIGNED:
            events.append(
                OwnershipEvent(
                    customer_id=customer.pk,
                    kind=OwnershipEvent.Kind.SIGN,
                    from_user=consultant,
                    to_user=consultant,
                    by=consultant,
                    at=last,
                )
            )
        if consultant is None:
            events.append(
                OwnershipEvent(
                    customer_id=customer.pk,
                    kind=OwnershipEvent.Kind.AUTO_RETURN,
                    from_user=author,
                    reason="No follow-up for 3 days",
                    at=last + timedelta(days=3),
                )
            )
        for step in range(rng.randint(1, 5)):
            at = last - timedelta(days=step * rng.uniform(1, 6))
            if at < created_at:
                break
            follow_ups.append(
                FollowUp(
                    customer_id=customer.pk,
                    consultant=author,
                    channel=rng.choice(channels),
                    intent=rng.choice(intents) if intents else None,
                    content=rng.choice(CONTENTS),
                    at=at,
                )
            )
    FollowUp.objects.bulk_create(follow_ups, batch_size=1000)
    OwnershipEvent.objects.bulk_create(events, batch_size=1000)
    return Counter((item.consultant.pk, timezone.localdate(item.at)) for item in follow_ups)
