"""The service desk's pages: the scoped list with its filters, search and highlighting, the
export, opening a ticket from a customer or a student, the detail page offering only the moves
the user may make, each move (made, refused with a message and nothing written, or stale), the
deadline grid, the report page and the student's portal."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Notification
from crm.models import Customer
from tests.conftest import make_client
from tests.security import snapshot
from tickets import services
from tickets.models import Ticket, TicketDeadline, TicketEvent

Status = Ticket.Status
LIST = reverse("tickets:ticket-list")
pytestmark = pytest.mark.usefixtures("english")


def detail(ticket) -> str:
    return reverse("tickets:ticket-detail", args=[ticket.pk])


def move(ticket, action: str) -> str:
    return reverse(f"tickets:ticket-{action}", args=[ticket.pk])


def listed(response) -> list[int]:
    return [ticket.pk for ticket in response.context["object_list"]]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- The list -------------------------------------------------------------------------------------
def test_the_list_is_the_users_scope(desk, client_for):
    world = desk.world
    mine = desk.make_ticket()
    colleague = desk.make_ticket(
        created_by=world.sales2,
        assignee=world.sales2,
        requester=None,
        student=None,
        customer=world.sales2_lead,
    )
    # A consultant: their own; the manager: the department's handlers'; finance: every ticket.
    assert listed(client_for("sales").get(LIST)) == [mine.pk]
    assert set(listed(client_for("manager").get(LIST))) == {mine.pk, colleague.pk}
    assert set(listed(client_for("finance").get(LIST))) == {mine.pk, colleague.pk}
    assert listed(client_for("teacher").get(LIST)) == []


def test_filters_and_search(desk, client_for):
    world = desk.world
    client = client_for("sales")
    assigned = desk.make_ticket(Status.ASSIGNED, title="空调太冷", priority="urgent")
    created = desk.make_ticket(assignee=None, title="退费", category=desk.complaint)
    queued = desk.make_ticket(
        Status.ASSIGNED,
        assignee=world.manager,
        queue=desk.sales_queue,
        created_by=world.manager,
        title="排队",
    )
    late = desk.make_ticket(
        Status.ASSIGNED,
        title="逾期",
        response_due_at=timezone.now() - timedelta(hours=1),
        created_at=timezone.now() - timedelta(days=2),
    )

    def ids(query: str) -> set[int]:
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200
        return set(listed(response))

    assert ids("status=created") == {created.pk}
    assert ids(f"category={desk.complaint.pk}") == {created.pk}
    assert ids("priority=urgent") == {assigned.pk}
    assert ids("mine=assigned") == {assigned.pk, late.pk}
    assert ids("mine=created") == {assigned.pk, created.pk, late.pk}
    assert ids("mine=queue") == {queued.pk}
    assert ids(f"queue={desk.sales_queue.pk}") == {queued.pk}
    assert ids(f"assignee={world.sales.pk}") == {assigned.pk, late.pk}
    assert ids("overdue=true") == {late.pk}
    assert late.pk not in ids("overdue=false")
    assert ids(f"q=%23{created.pk}") == {created.pk}
    assert ids("q=空调") == {assigned.pk}
    assert ids("q=吴同") == {assigned.pk, created.pk, queued.pk, late.pk}  # the customer's name
    assert ids("q=139 0000 0009") == {assigned.pk, created.pk, queued.pk, late.pk}  # their phone
    assert ids("q=nobody") == set()
    today = timezone.localdate()
    assert ids(f"created_from={today:%Y-%m-%d}") == {assigned.pk, created.pk, queued.pk}
    assert ids(f"created_to={today - timedelta(days=1):%Y-%m-%d}") == {late.pk}


def test_overdue_rows_are_highlighted_and_bad_filters_show_errors(desk, client_for):
    desk.make_ticket(title="逾期", resolve_due_at=timezone.now() - timedelta(minutes=1))
    client = client_for("sales")
    page = client.get(LIST).content.decode()
    assert page.count('data-overdue="1"') == 1
    response = client.get(f"{LIST}?created_from=not-a-date&assignee=999999&size=abc&page=-4")
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert listed(response) == []


QUERIES_OF_THE_LIST = (
    9  # session, user, roles; categories, handlers, queues (the filter); count, rows; notifications
)


def test_the_list_query_count_is_pinned_and_flat(desk, client_for, django_assert_num_queries):
    client = client_for("manager")
    for number in range(60):
        desk.make_ticket(
            title=f"工单{number}",
            assignee=desk.world.sales2 if number % 2 else desk.world.sales,
            queue=desk.sales_queue if number % 3 else None,
        )
    assert client.get(LIST).status_code == 200  # warm-up
    for query in ("?size=20", "?size=100", "?size=20&page=2&o=due", "?overdue=false&mine=queue&o=-priority"):
        with django_assert_num_queries(QUERIES_OF_THE_LIST):
            assert client.get(LIST + query).status_code == 200


QUERIES_OF_THE_STUDENTS_LIST = 7  # session, user, roles; student record; count, rows; notifications


def test_the_students_list_query_count_is_pinned_and_flat(desk, client_for, django_assert_num_queries):
    client = client_for("student")
    url = reverse("tickets:my-ticket-list")
    for number in range(30):
        desk.make_ticket(title=f"工单{number}")
    assert client.get(url).status_code == 200  # warm-up
    for query in ("?size=20", "?size=100", "?size=20&page=2"):
        with django_assert_num_queries(QUERIES_OF_THE_STUDENTS_LIST):
            assert client.get(url + query).status_code == 200


def test_the_detail_query_count_does_not_grow_with_the_timeline(desk, client_for):
    """The detail page reads its timeline in one joined query: ten more comments, no more queries."""
    ticket = desk.make_ticket(status=Ticket.Status.IN_PROGRESS)
    client = client_for("sales")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail(ticket)).status_code == 200
        return len(captured)

    queries()  # warm-up
    before = queries()
    for number in range(10):
        services.ticket_comment(ticket=ticket, note=f"第{number}次跟进", by=desk.world.sales)
    assert queries() == before


# --- Export ---------------------------------------------------------------------------------------
def test_the_export_is_the_filtered_scoped_list_neutralised(desk, client_for):
    world = desk.world
    desk.make_ticket(title='=HYPERLINK("http://evil.test")', priority="urgent")
    desk.make_ticket(title="普通", priority="low")
    desk.make_ticket(
        title="别人的",
        created_by=world.sales2,
        assignee=world.sales2,
        requester=None,
        student=None,
        customer=world.sales2_lead,
    )
    client = client_for("sales")
    response = client.get(reverse("tickets:ticket-export") + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    titles = {row[1] for row in rows[1:]}
    assert titles == {'\'=HYPERLINK("http://evil.test")', "普通"}

    response = client.get(reverse("tickets:ticket-export") + "?format=xlsx&priority=urgent")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2
    assert values[1][1] == '\'=HYPERLINK("http://evil.test")'
    assert values[1][3] == "Urgent"


def test_an_export_with_bad_input_exports_nothing(desk, client_for):
    client = client_for("sales")
    for query in ("format=pdf", "format=csv&created_from=nope"):
        response = client.get(reverse("tickets:ticket-export") + "?" + query)
        assert response.status_code == 302
        assert response["Location"] == LIST


# --- Opening a ticket -------------------------------------------------------------------------------
def test_a_ticket_is_opened_for_a_customer_in_scope(desk, client_for):
    world = desk.world
    client = client_for("sales")
    url = reverse("tickets:ticket-create") + f"?customer={world.sales_lead.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert "萨乐" in page.content.decode()
    response = client.post(
        url,
        {"customer": world.sales_lead.pk, "category": desk.complaint.pk, "priority": "high", "title": "投诉"},
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == detail(ticket)
    assert (ticket.customer, ticket.created_by, ticket.requester, ticket.priority) == (
        world.sales_lead,
        world.sales,
        None,
        "high",
    )
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").count() == 1


def test_opening_a_ticket_outside_the_scope_is_a_404(desk, client_for):
    world = desk.world
    client = client_for("sales")
    base = reverse("tickets:ticket-create")
    assert client.get(f"{base}?customer={world.sales2_lead.pk}").status_code == 404
    assert client.get(f"{base}?customer={world.deleted_lead.pk}").status_code == 404
    assert client.get(f"{base}?customer=abc").status_code == 404
    assert client.get(f"{base}?student=99999999999999999999999").status_code == 404
    response = client.post(
        base, {"customer": world.sales2_lead.pk, "category": desk.complaint.pk, "title": "x"}
    )
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_a_teacher_opens_a_ticket_for_a_student_of_their_class(desk, client_for):
    world = desk.world
    desk.student.classes.add(world.class_a)
    client = client_for("teacher")
    url = reverse("tickets:ticket-create") + f"?student={desk.student.pk}"
    assert client.get(url).status_code == 200
    client.post(
        url,
        {"student": desk.student.pk, "category": desk.consultation.pk, "priority": "normal", "title": "请假"},
    )
    ticket = Ticket.objects.get()
    assert (ticket.student, ticket.requester, ticket.created_by) == (
        desk.student,
        world.student,
        world.teacher,
    )
    # A student of a class they do not teach: not found.
    desk.student.classes.set([world.class_b])
    assert client.get(url).status_code == 404


def test_without_a_subject_the_page_says_where_to_start_and_bad_input_writes_nothing(desk, client_for):
    client = client_for("sales")
    page = client.get(reverse("tickets:ticket-create"))
    assert page.status_code == 200 and page.context["form"] is None
    url = reverse("tickets:ticket-create") + f"?customer={desk.world.sales_lead.pk}"
    response = client.post(url, {"customer": desk.world.sales_lead.pk, "category": "", "title": ""})
    assert response.status_code == 200
    assert {"category", "title"} <= set(response.context["form"].errors)
    assert not Ticket.objects.exists()


# --- The detail page and its moves --------------------------------------------------------------
def test_the_detail_offers_only_the_moves_the_user_may_make(desk, client_for):
    world = desk.world
    ticket = desk.make_ticket(Status.ASSIGNED)
    assert set(client_for("sales").get(detail(ticket)).context["actions"]) == {
        "assign",
        "start",
        "resolve",
        "comment",
    }
    # The manager dispatches and comments; only the assignee starts or resolves.
    assert set(client_for("manager").get(detail(ticket)).context["actions"]) == {"assign", "comment"}
    queued = desk.make_ticket(
        Status.ASSIGNED, assignee=None, queue=desk.sales_queue, created_by=world.manager
    )
    assert "take" in client_for("sales").get(detail(queued)).context["actions"]
    resolved = desk.make_ticket(Status.RESOLVED)
    # The student rates it from the portal: staff get no rating form for it.
    assert set(client_for("sales").get(detail(resolved)).context["actions"]) == {"comment"}
    page = client_for("sales").get(detail(desk.make_ticket(Status.ARCHIVED)))
    assert page.context["actions"] == {}
    assert 'data-testid="actions"' not in page.content.decode()


def test_another_users_ticket_is_not_found_on_every_url(desk, client_for):
    ticket = desk.make_ticket(Status.ASSIGNED)
    client = client_for("sales2")
    assert client.get(detail(ticket)).status_code == 404
    before = snapshot.take()
    for action in ("assign", "take", "start", "resolve", "feedback", "archive", "reopen", "comment"):
        assert (
            client.post(move(ticket, action), {"note": "x", "reason": "x", "rating": "5"}).status_code == 404
        )
    assert client.get(reverse("tickets:my-ticket-detail", args=[ticket.pk])).status_code == 403
    assert not before.differences(snapshot.take())


def test_the_deadlines_say_what_is_left_or_overdue(desk, client_for):
    now = timezone.now()
    late = desk.make_ticket(response_due_at=now - timedelta(hours=2), resolve_due_at=now + timedelta(hours=5))
    page = client_for("sales").get(detail(late)).content.decode()
    assert 'data-testid="deadline-overdue"' in page and 'data-testid="deadline-remaining"' in page
    assert 'data-testid="overdue"' in page


def test_a_move_is_made_and_recorded_with_who_and_when(desk, client_for):
    world = desk.world
    ticket = desk.make_ticket(Status.ASSIGNED)
    client = client_for("sales")
    response = client.post(move(ticket, "start"), {"seen": Status.ASSIGNED}, follow=True)
    assert messages_of(response) == ["Work started."]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    event = TicketEvent.objects.filter(ticket=ticket, kind="started").get()
    assert event.by == world.sales
    client.post(move(ticket, "resolve"), {"seen": Status.IN_PROGRESS, "note": "已回电"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_note) == (Status.RESOLVED, "已回电")
    # The student is asked for feedback, with a link to their own page.
    notification = Notification.objects.get(recipient=world.student)
    assert notification.link == reverse("tickets:my-ticket-detail", args=[ticket.pk])


def test_a_refused_or_stale_move_is_a_message_and_writes_nothing(desk, client_for):
    ticket = desk.make_ticket(Status.ASSIGNED)
    client = client_for("sales")
    cases = [
        # The note is required.
        ("resolve", {"seen": Status.ASSIGNED, "note": "  "}, "Nothing was changed"),
        # The page was drawn when the ticket was "created"; it has moved on since.
        ("start", {"seen": Status.CREATED}, "Nothing was changed: the ticket is now"),
        # The workflow's own refusal: feedback before a resolution.
        ("archive", {}, "Only a ticket with feedback can be archived."),
        ("assign", {"seen": Status.ASSIGNED}, "Choose a person or a queue"),
        ("feedback", {"rating": "9"}, "Nothing was changed"),
    ]
    for action, data, message in cases:
        before = snapshot.take()
        response = client.post(move(ticket, action), data, follow=True)
        assert response.redirect_chain[-1][0] == detail(ticket)
        assert any(message in text for text in messages_of(response)), (action, messages_of(response))
        assert not before.differences(snapshot.take()), action


def test_assigning_to_a_queue_notifies_its_members_with_the_ticket_link(desk, client_for):
    world = desk.world
    ticket = desk.make_ticket(Status.CREATED, assignee=None, created_by=world.manager)
    client_for("manager").post(move(ticket, "assign"), {"queue": desk.sales_queue.pk, "seen": Status.CREATED})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.queue, ticket.assignee) == (Status.ASSIGNED, desk.sales_queue, None)
    links = set(Notification.objects.values_list("recipient__username", "link"))
    assert links == {("sales1", detail(ticket)), ("sales2", detail(ticket))}
    client_for("sales2").post(move(ticket, "take"), {"seen": Status.ASSIGNED})
    ticket.refresh_from_db()
    assert ticket.assignee == world.sales2


def test_the_assign_form_offers_the_users_scope(desk, client_for):
    ticket = desk.make_ticket(Status.ASSIGNED)
    form = client_for("sales").get(detail(ticket)).context["actions"]["assign"]
    people = {user.username for user in form.fields["assignee"].queryset}
    assert people == {"sales1", "sales2", "manager"}
    # Someone outside it is refused by the form: nothing assigned.
    response = client_for("sales").post(
        move(ticket, "assign"), {"assignee": desk.world.finance.pk}, follow=True
    )
    assert any("Nothing was changed" in text for text in messages_of(response))
    ticket.refresh_from_db()
    assert ticket.assignee == desk.world.sales


def test_staff_record_the_feedback_of_a_customer_without_an_account(desk, client_for):
    ticket = desk.make_ticket(Status.RESOLVED, requester=None, student=None)
    client = client_for("sales")
    assert "feedback" in client.get(detail(ticket)).context["actions"]
    client.post(move(ticket, "feedback"), {"seen": Status.RESOLVED, "rating": "4", "comment": "电话回访"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating, ticket.feedback_comment) == (Status.FEEDBACK, 4, "电话回访")
    client.post(move(ticket, "reopen"), {"seen": Status.FEEDBACK, "reason": "又出现了"})
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED and ticket.rating is None


# --- Deadlines ------------------------------------------------------------------------------------
def grid(**cells) -> dict:
    data = {
        f"default-{priority}-{part}": str(hours)
        for priority, pair in {"urgent": (1, 8), "high": (4, 24), "normal": (8, 72), "low": (24, 168)}.items()
        for part, hours in zip(("response", "resolve"), pair, strict=True)
    }
    return data | {key: str(value) for key, value in cells.items()}


def test_the_deadline_grid_sets_a_category_override_and_clears_it(desk, client_for):
    client = client_for("manager")
    url = reverse("tickets:deadlines")
    page = client.get(url)
    complaint = desk.complaint.pk
    # A category's empty cell shows the default it follows (low: 24 and 168 hours).
    assert page.context["form"][f"{complaint}-low-resolve"].field.widget.attrs["placeholder"] == 168
    cells = {f"{complaint}-high-response": 2, f"{complaint}-high-resolve": 12, "default-low-resolve": 200}
    response = client.post(url, grid(**cells))
    assert response.status_code == 302
    assert TicketDeadline.objects.get(category=desk.complaint, priority="high").resolve_hours == 12
    assert TicketDeadline.objects.get(category=None, priority="low").resolve_hours == 200
    client.post(url, grid())
    assert not TicketDeadline.objects.filter(category=desk.complaint).exists()


def test_a_bad_deadline_grid_saves_nothing(desk, client_for):
    client = client_for("manager")
    url = reverse("tickets:deadlines")
    complaint = desk.complaint.pk
    for data in (
        grid(**{f"{complaint}-high-response": 2}),  # half a pair
        grid(**{"default-high-response": 30}),  # respond after the resolution deadline
        grid(**{"default-normal-response": ""}),  # the default rows are required
        grid(**{"default-normal-response": 0}),
        grid(**{"default-normal-response": "x"}),
    ):
        before = snapshot.take()
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not before.differences(snapshot.take())


# --- Report ---------------------------------------------------------------------------------------
def test_the_report_page_shows_the_figures(desk, client_for):
    now = timezone.now()
    desk.make_ticket(
        Status.FEEDBACK,
        created_at=now - timedelta(hours=10),
        first_response_at=now - timedelta(hours=8),
        resolved_at=now,
        rating=4,
    )
    desk.make_ticket(Status.ASSIGNED)
    client = client_for("manager")
    today = timezone.localdate()
    response = client.get(
        reverse("tickets:report")
        + f"?date_from={today - timedelta(days=1):%Y-%m-%d}&date_to={today:%Y-%m-%d}"
    )
    report = response.context["report"]
    assert (report.total.tickets, report.total.avg_response_hours, report.total.avg_resolution_hours) == (
        2,
        2.0,
        10.0,
    )
    page = response.content.decode()
    assert 'data-testid="kpi-tickets">2<' in page
    assert 'data-testid="kpi-rating">4.00<' in page
    assert "Sales1 Tester" in page


def test_a_bad_period_makes_no_report(desk, client_for):
    client = client_for("manager")
    for query in (
        "date_from=2026-05-01&date_to=2026-04-01",
        "date_from=x&date_to=2026-04-01",
        "date_from=1000-01-01&date_to=2026-01-01",
    ):
        response = client.get(reverse("tickets:report") + "?" + query)
        assert response.status_code == 200
        assert response.context["report"] is None


# --- The student's portal ---------------------------------------------------------------------------
def test_a_student_sees_opens_and_follows_their_own_tickets(desk, client_for):
    world = desk.world
    client = client_for("student")
    others = desk.make_ticket(requester=None, student=None, title="别人的")
    response = client.post(
        reverse("tickets:my-ticket-create"),
        {"category": desk.consultation.pk, "title": "想换班", "description": "晚班"},
    )
    ticket = Ticket.objects.get(title="想换班")
    assert response["Location"] == reverse("tickets:my-ticket-detail", args=[ticket.pk])
    assert (ticket.requester, ticket.created_by, ticket.priority) == (world.student, world.student, "normal")
    assert [row.pk for row in client.get(reverse("tickets:my-ticket-list")).context["object_list"]] == [
        ticket.pk
    ]
    assert client.get(reverse("tickets:my-ticket-detail", args=[others.pk])).status_code == 404
    assert (
        client.post(reverse("tickets:my-ticket-comment", args=[others.pk]), {"note": "x"}).status_code == 404
    )
    client.post(reverse("tickets:my-ticket-comment", args=[ticket.pk]), {"note": "补充：周三晚上"})
    assert TicketEvent.objects.filter(ticket=ticket, kind="commented", by=world.student).exists()


def test_a_student_rates_and_reopens_a_resolved_ticket(desk, client_for):
    client = client_for("student")
    ticket = desk.make_ticket(Status.RESOLVED)
    page = client.get(reverse("tickets:my-ticket-detail", args=[ticket.pk]))
    assert set(page.context["actions"]) == {"feedback", "comment"}
    client.post(
        reverse("tickets:my-ticket-feedback", args=[ticket.pk]),
        {"seen": "resolved", "rating": "5", "comment": "很好"},
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating) == (Status.FEEDBACK, 5)
    notification = Notification.objects.get(recipient=desk.world.sales)
    assert notification.link == detail(ticket)
    response = client.post(reverse("tickets:my-ticket-reopen", args=[ticket.pk]), {"reason": ""}, follow=True)
    assert any("Nothing was changed" in text for text in messages_of(response))
    client.post(reverse("tickets:my-ticket-reopen", args=[ticket.pk]), {"reason": "又不行了"})
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED


def test_an_account_without_a_student_record_is_told_why_it_cannot_ask(world):
    client = make_client(world.student)
    page = client.get(reverse("tickets:my-ticket-create"))
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(reverse("tickets:my-ticket-create"), {"title": "x"}).status_code == 200
    assert not Ticket.objects.exists()
    assert not Customer.objects.filter(name="x").exists()


def test_the_customer_and_class_pages_link_to_a_new_ticket(desk, client_for):
    world = desk.world
    page = (
        client_for("sales").get(reverse("crm:customer-detail", args=[world.sales_lead.pk])).content.decode()
    )
    assert f"{reverse('tickets:ticket-create')}?customer={world.sales_lead.pk}" in page
    desk.student.classes.add(world.class_a)
    page = (
        client_for("teacher").get(reverse("classroom:class-detail", args=[world.class_a.pk])).content.decode()
    )
    assert f"{reverse('tickets:ticket-create')}?student={desk.student.pk}" in page
