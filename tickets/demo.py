"""Demo service tickets for `seeddemo`: a dozen tickets in every category, priority and status,
handled by sales1, the manager, teacher1 and finance, so the list (overdue rows and a queue
ticket among them), a ticket's timeline, the report and student1's portal all show something.

Each ticket goes through the real services; between two steps its clock is moved back (`_age`),
so the response and resolution times differ from ticket to ticket as they would in a school."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F

from accounts.models import Department, User
from crm.models import Customer, DictItem
from enrollment.models import Student
from tickets import services
from tickets.models import Ticket, TicketEvent

DATETIME_FIELDS = (
    "created_at",
    "response_due_at",
    "resolve_due_at",
    "first_response_at",
    "resolved_at",
    "archived_at",
)

# title, category code, priority, who opens it ("student" or a username), then the steps:
# (hours to age the ticket by first, action, the user acting, the action's argument).
TICKETS = [
    ("咨询周末班的上课时间", "consultation", "normal", "sales1", []),
    ("上课教室空调太冷", "complaint", "urgent", "sales1", [(10, "assign", "manager", "sales1")]),
    ("建议增加晚间答疑", "suggestion", "low", "sales1", [(2, "assign", "manager", "queue:sales")]),
    (
        "第5课作业批改有疑问",
        "course_feedback",
        "normal",
        "student",
        [(3, "assign", "manager", "teacher1"), (1, "start", "teacher1", None)],
    ),
    (
        "申请分期付款发票",
        "after_sales",
        "high",
        "sales1",
        [
            (20, "assign", "manager", "finance"),
            (6, "start", "finance", None),
            (4, "comment", "finance", "已联系开票公司"),
        ],
    ),
    (
        "询问就业推荐流程",
        "consultation",
        "normal",
        "sales1",
        [(30, "assign", "manager", "sales1"), (5, "resolve", "sales1", "已电话说明就业推荐的流程和时间。")],
    ),
    (
        "班主任回复太慢",
        "complaint",
        "high",
        "student",
        [
            (50, "assign", "manager", "teacher1"),
            (2, "start", "teacher1", None),
            (10, "resolve", "teacher1", "已和班主任沟通，答疑群内两小时内回复。"),
            (6, "feedback", "student", (4, "处理及时，谢谢")),
        ],
    ),
    (
        "资料包下载失败",
        "after_sales",
        "normal",
        "sales1",
        [
            (120, "assign", "manager", "sales1"),
            (3, "resolve", "sales1", "重新发送了下载链接。"),
            (20, "feedback", "sales1", (5, "客户电话反馈很满意")),
            (5, "archive", "sales1", None),
        ],
    ),
    (
        "退费进度查询",
        "after_sales",
        "normal",
        "sales1",
        [
            (200, "assign", "manager", "finance"),
            (8, "start", "finance", None),
            (40, "resolve", "finance", "退费已原路退回，预计三个工作日到账。"),
            (30, "feedback", "manager", (3, "到账比预期慢")),
            (4, "archive", "finance", None),
        ],
    ),
    (
        "建议课程增加项目实战",
        "suggestion",
        "low",
        "student",
        [
            (90, "assign", "manager", "teacher1"),
            (12, "resolve", "teacher1", "下学期起每月安排一次项目实战。"),
            (24, "feedback", "student", (5, "")),
            (2, "reopen", "student", "希望本学期也能安排一次"),
        ],
    ),
    (
        "投诉课程顾问承诺不符",
        "complaint",
        "urgent",
        "sales1",
        [
            (60, "assign", "manager", "manager"),
            (1, "start", "manager", None),
            (6, "resolve", "manager", "核实后补赠一次一对一辅导。"),
            (12, "feedback", "manager", (2, "客户仍不太满意")),
            (3, "archive", "manager", None),
        ],
    ),
    ("想换到晚班", "course_feedback", "high", "student", [(30, "assign", "manager", "queue:teaching")]),
]


def _age(ticket: Ticket, hours: int) -> None:
    """Move everything the ticket has recorded `hours` into the past."""
    shift = timedelta(hours=hours)
    Ticket.objects.filter(pk=ticket.pk).update(**{name: F(name) - shift for name in DATETIME_FIELDS})
    TicketEvent.objects.filter(ticket_id=ticket.pk).update(at=F("at") - shift)
    ticket.refresh_from_db()


def _step(ticket: Ticket, action: str, by: User, argument, users: dict[str, User]) -> None:
    if action == "assign":
        if argument.startswith("queue:"):
            queue = Department.objects.get(code=argument.removeprefix("queue:"))
            services.ticket_assign(ticket=ticket, to_queue=queue, by=by)
        else:
            services.ticket_assign(ticket=ticket, to_user=users[argument], by=by)
    elif action == "start":
        services.ticket_start(ticket=ticket, by=by)
    elif action == "resolve":
        services.ticket_resolve(ticket=ticket, note=argument, by=by)
    elif action == "feedback":
        rating, comment = argument
        services.ticket_feedback(ticket=ticket, rating=rating, comment=comment, by=by)
    elif action == "archive":
        services.ticket_archive(ticket=ticket, by=by)
    elif action == "reopen":
        services.ticket_reopen(ticket=ticket, reason=argument, by=by)
    elif action == "comment":
        services.ticket_comment(ticket=ticket, note=argument, by=by)


@transaction.atomic
def seed_tickets() -> None:
    """The demo tickets, once: nothing happens when any ticket exists already."""
    if Ticket.objects.exists():
        return
    users = {
        user.username: user
        for user in User.objects.filter(username__in=["sales1", "manager", "teacher1", "finance"])
    }
    student = Student.objects.select_related("user", "customer").filter(user__username="student1").first()
    if student is not None:
        users["student"] = student.user
    categories = {item.code: item for item in DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY)}
    customers = iter(
        Customer.objects.filter(consultant=users.get("sales1"), is_deleted=False)
        .filter(student__isnull=True)
        .order_by("pk")[:20]
    )
    for title, category, priority, opener, steps in TICKETS:
        values = {"category": categories[category], "priority": priority, "title": title, "description": ""}
        if opener == "student":
            if student is None:
                continue
            ticket = services.ticket_create_by_student(student=student, values=values)
        else:
            customer = next(customers, None)
            if customer is None:
                continue
            ticket = services.ticket_create(values={**values, "customer": customer}, by=users[opener])
        for hours, action, actor, argument in steps:
            _age(ticket, hours)
            _step(ticket, action, users[actor], argument, users)
    # The overdue ones are reported to their assignees, as the periodic job would.
    services.tickets_notify_overdue()
