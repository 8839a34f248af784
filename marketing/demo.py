"""Demo marketing data for `seeddemo`: three campaigns on the demo sources, web leads through the
real form service (one of them an existing customer, who gets a follow-up note), one lead signed
and paid, an email template, a mass email that has been sent and a draft, so every marketing
page and the campaign report show something."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from classroom.demo import submit_demo_form
from crm.models import AllocationWeight, ClassList, Course, Customer, DictItem
from enrollment import services as enrollment_services
from enrollment.models import Payment
from marketing.forms import WebLeadForm
from marketing.models import Campaign, EmailTemplate, Mailing
from marketing.services import (
    mailing_prepare,
    mailing_send_batch,
    unsubscribe,
    unsubscribe_token,
    web_lead_submit,
)

BASE_URL = "http://127.0.0.1:8000/"
FIRST_CAMPAIGN = "春季招生·官网表单"
# name, source code, first and last day (from today), budget, course names
CAMPAIGNS = [
    (FIRST_CAMPAIGN, "website", -30, 30, "6000", ["Python全栈开发"]),
    ("百度推广·Linux运维", "baidu", -60, -5, "12000", ["Linux运维"]),
    ("高校宣讲会", "campus_talk", 10, 40, "3000", ["Python全栈开发", "Linux运维"]),
]
# campaign index, days ago, name, phone (188: clear of the customers demo, 13x, and of the bench
# imports, 199, which deletes its range), email, message
LEADS = [
    (0, 12, "陈思远", "18812340001", "chensiyuan@demo.educrm.local", "想了解 Python 晚班"),
    (0, 8, "刘佳怡", "18812340002", "liujiayi@demo.educrm.local", "零基础可以学吗？"),
    (0, 3, "黄子轩", "18812340003", "", "周末班什么时候开？"),
    (1, 20, "周雨桐", "18812340004", "zhouyutong@demo.educrm.local", "Linux 运维就业怎么样"),
    (1, 15, "吴浩然", "18812340005", "wuhaoran@demo.educrm.local", ""),
]
TEMPLATE_BODY = """{{ name }}，您好！

感谢您关注我们的课程。{{ course }} 新班即将开课，欢迎预约免费试听。
您的课程顾问：{{ consultant }}

不想再收到此类邮件？{{ unsubscribe_url }}
"""


def seed_marketing() -> None:
    """Idempotent: nothing is added when the first demo campaign exists."""
    if Campaign.objects.filter(name=FIRST_CAMPAIGN).exists():
        return
    with transaction.atomic():
        manager = User.objects.get(username="manager")
        _allocation_weights()
        campaigns = [_campaign(manager, *row) for row in CAMPAIGNS]
        leads = [
            _lead(campaigns[index], days, name, phone, email, text)
            for index, days, name, phone, email, text in LEADS
        ]
        _met_again(campaigns[0])
        _sign(leads[0])
        template = EmailTemplate.objects.create(
            name="新班开课通知",
            subject="{{ name }}，{{ course }} 新班开课啦",
            body=TEMPLATE_BODY,
            created_by=manager,
        )
        _sent_mailing(template, campaigns[0], manager)
        Mailing.objects.create(
            template=template, campaign=campaigns[1], segment_query="status=unsigned", created_by=manager
        )


def _allocation_weights() -> None:
    """The demo consultants share web leads equally, unless weights were set already."""
    if AllocationWeight.objects.exists():
        return
    for username in ("sales1", "sales2"):
        AllocationWeight.objects.create(consultant=User.objects.get(username=username), weight=1)


def _campaign(manager: User, name: str, source: str, first: int, last: int, budget: str, courses) -> Campaign:
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name=name,
        channel=DictItem.objects.get(kind=DictItem.Kind.SOURCE, code=source),
        starts_on=today + timedelta(days=first),
        ends_on=today + timedelta(days=last),
        budget=Decimal(budget),
        created_by=manager,
    )
    campaign.target_courses.set(Course.objects.filter(name__in=courses))
    return campaign


def _lead(campaign: Campaign, days_ago: int, name: str, phone: str, email: str, text: str) -> Customer | None:
    course = campaign.target_courses.first()
    data = {
        "name": name,
        "phone": phone,
        "email": email,
        "message": text,
        "course": course.pk if course else "",
    }
    form = WebLeadForm(data, campaign=campaign)
    if not form.is_valid():
        raise ValueError(f"Demo lead {name} is not valid: {form.errors.as_json()}")
    outcome = web_lead_submit(
        campaign=campaign, form=form, ip="203.0.113.10", now=timezone.now() - timedelta(days=days_ago)
    )
    return outcome.customer


def _met_again(campaign: Campaign) -> None:
    """An existing demo customer sends the form: noted on their record, not copied."""
    existing = (
        Customer.objects.live().filter(consultant__isnull=False).exclude(phone="").order_by("pk").first()
    )
    if existing is None:
        return
    data = {"name": existing.name, "phone": existing.phone, "message": "再咨询一下学费分期"}
    form = WebLeadForm(data, campaign=campaign)
    if form.is_valid():
        web_lead_submit(
            campaign=campaign, form=form, ip="203.0.113.11", now=timezone.now() - timedelta(days=1)
        )


def _sign(customer: Customer | None) -> None:
    """The first lead enrolls in the Python class and pays the tuition (the report's revenue)."""
    if customer is None:
        return
    customer.refresh_from_db()
    class_list = ClassList.objects.filter(course__name="Python全栈开发").order_by("-start_date").first()
    consultant, finance = customer.consultant, User.objects.filter(username="finance").first()
    if class_list is None or consultant is None or finance is None:
        return
    enrollment = enrollment_services.enrollment_create(
        customer=customer, class_list=class_list, by=consultant
    )
    submit_demo_form(enrollment, customer.pk)
    enrollment_services.enrollment_approve(
        enrollment=enrollment, by=finance, may_exceed_capacity=True, base_url=BASE_URL
    )
    payment, _created = enrollment_services.payment_record(
        enrollment=enrollment,
        values={"kind": Payment.Kind.TUITION, "amount": Decimal("19800"), "paid_at": timezone.localdate()},
        by=consultant,
        request_key=uuid.uuid4(),
    )
    enrollment_services.payment_confirm(payment=payment, by=finance)


def _sent_mailing(template: EmailTemplate, campaign: Campaign, manager: User) -> None:
    """The campaign's new leads (its source, entered today) mailed through the configured email
    backend: delivered, one address that had unsubscribed, one lead without an address."""
    unsubscribe(token=unsubscribe_token(email="liujiayi@demo.educrm.local"))
    query = urlencode({"source": campaign.channel_id, "created_from": timezone.localdate().isoformat()})
    mailing = Mailing.objects.create(
        template=template, campaign=campaign, segment_query=query, created_by=manager
    )
    # Prepared and sent here rather than by the worker: the demo is complete when seeddemo ends.
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.QUEUED, base_url=BASE_URL)
    mailing.refresh_from_db()
    mailing_prepare(mailing=mailing)
    while mailing_send_batch(mailing=mailing, limit=100):
        pass
