"""The warning pages, the ticket for the adviser, the sweep and the thresholds pages."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import override

from classroom.models import Attendance, Lesson, StudyRecord
from risk.models import RiskPolicy, RiskTicket
from risk.services import risk_sweep
from tests.conftest import assert_form_refused, make_client
from tickets.models import Ticket

STUDENTS = reverse("risk:student-warnings")
CUSTOMERS = reverse("risk:customer-warnings")


def _ticket_post(world, school, kind="absence", occurrence=4, student=None):
    student = student or school.jia
    return reverse("risk:student-ticket", args=[student.pk]), {
        "kind": kind,
        "class_list": world.class_a.pk,
        "occurrence": occurrence,
    }


def test_the_student_page_shows_rows_links_and_ticket_buttons(world, school):
    page = make_client(world.teacher).get(STUDENTS)
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-testid="warning-row"') == 5
    assert "Absent on day 4, Late on day 5, Absent on day 6" in body
    assert reverse("classroom:class-detail", args=[world.class_a.pk]) in body  # the teacher's roster
    assert body.count('data-testid="open-ticket"') == 5
    manager = make_client(world.manager).get(STUDENTS).content.decode()
    assert reverse("crm:customer-detail", args=[school.jia.customer.pk]) in manager
    assert "No class adviser" in manager  # ding's class B


def test_the_student_page_filters_and_refuses_bad_filters_quietly(world, school):
    client = make_client(world.admin)
    body = client.get(STUDENTS, {"kind": "payment"}).content.decode()
    assert body.count('data-testid="warning-row"') == 1
    body = client.get(STUDENTS, {"class_list": world.class_b.pk}).content.decode()
    assert body.count('data-testid="warning-row"') == 1
    for bad in ({"kind": "nope"}, {"class_list": "x"}, {"class_list": "99999"}, {"page": "abc"}):
        response = client.get(STUDENTS, bad)
        assert response.status_code == 200


def test_the_customer_page(world, school):
    body = make_client(world.sales).get(CUSTOMERS).content.decode()
    assert body.count('data-testid="warning-row"') == 2
    assert reverse("crm:customer-detail", args=[school.customers["c3"].pk]) in body
    assert (
        make_client(world.manager)
        .get(CUSTOMERS, {"kind": "high_intent"})
        .content.decode()
        .count('data-testid="warning-row"')
        == 2
    )


def test_a_ticket_for_the_adviser_is_opened_once_per_occurrence(world, school):
    client = make_client(world.teacher)
    url, data = _ticket_post(world, school)
    response = client.post(url, data, follow=True)
    ticket = Ticket.objects.get()
    assert ticket.assignee == school.adviser and ticket.created_by == world.teacher
    assert ticket.category == school.category and ticket.status == Ticket.Status.ASSIGNED
    assert "Absent on day 4, Late on day 5, Absent on day 6" in ticket.description
    # Staff notes about the student: the student is not its requester and never sees it.
    assert ticket.student.user_id is not None and ticket.requester is None
    assert (
        ticket.title
        not in make_client(ticket.student.user).get(reverse("tickets:my-ticket-list")).content.decode()
    )
    assert f"Ticket #{ticket.pk} opened" in response.content.decode()
    # Again, by someone else: refused with the first ticket; the row shows it.
    response = make_client(world.admin).post(url, data, follow=True)
    assert f"Ticket #{ticket.pk} was opened for this warning already." in response.content.decode()
    assert Ticket.objects.count() == 1 and RiskTicket.objects.count() == 1
    assert f"#{ticket.pk}" in client.get(STUDENTS, {"kind": "absence"}).content.decode()
    # The streak grows: still the same occurrence.
    lesson = Lesson.objects.create(
        class_list=world.class_a, number=8, date=date(2026, 9, 8), teacher=world.teacher, title="八"
    )
    StudyRecord.objects.create(lesson=lesson, student=school.jia, attendance=Attendance.ABSENT)
    client.post(url, data)
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"occurrence": 3}, "This warning no longer applies; nothing was opened."),
        ({"kind": "payment"}, "This warning no longer applies; nothing was opened."),
        ({"kind": "bogus"}, "Choose a warning from the list; nothing was opened."),
        ({"class_list": "abc"}, "Choose a warning from the list; nothing was opened."),
    ],
)
def test_a_ticket_for_a_warning_that_is_not_there_is_refused(world, school, change, message):
    url, data = _ticket_post(world, school)
    response = make_client(world.teacher).post(url, data | change, follow=True)
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_tickets_need_a_category_and_an_adviser(world, school):
    policy = RiskPolicy.current()
    policy.ticket_category = None
    policy.save()
    url, data = _ticket_post(world, school)
    response = make_client(world.teacher).post(url, data, follow=True)
    assert "Choose an active ticket category" in response.content.decode()
    policy.ticket_category = school.category
    policy.save()
    url = reverse("risk:student-ticket", args=[school.ding.pk])
    data = {"kind": "absence", "class_list": world.class_b.pk, "occurrence": 1}
    response = make_client(world.admin).post(url, data, follow=True)
    assert "has no class adviser" in response.content.decode()
    assert not Ticket.objects.exists()


def test_students_outside_the_scope_are_not_found(world, school):
    url, data = _ticket_post(world, school, student=school.ding)
    assert make_client(world.teacher).post(url, data).status_code == 404
    assert make_client(school.other_teacher).post(*_ticket_post(world, school)).status_code == 404


def test_the_sweep_opens_a_ticket_per_warning_when_the_policy_says_so(world, school):
    assert risk_sweep().opened == 0  # auto tickets are off by default
    policy = RiskPolicy.current()
    policy.auto_ticket = True
    policy.save()
    result = risk_sweep()
    # Class A's five warnings; ding's class B has no adviser.
    assert (result.opened, result.skipped) == (5, 1)
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {school.adviser.pk}
    assert set(Ticket.objects.values_list("created_by", flat=True)) == {school.adviser.pk}
    assert (risk_sweep().opened, Ticket.objects.count()) == (0, 5)
    call_command("risk_sweep", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Ticket.objects.count() == 5


def test_the_schedule_option_queues_nothing_with_the_inline_backend(capsys):
    call_command("risk_sweep", "--schedule")
    assert "queued already" in capsys.readouterr().out


def test_student_thresholds_are_validated_and_saved(world, school):
    client = make_client(world.admin)
    url = reverse("risk:student-thresholds")
    good = {
        "absence_streak": 3,
        "homework_streak": 2,
        "falling_scores": 3,
        "payment_grace_days": 7,
        "ticket_category": school.category.pk,
        "ticket_priority": "high",
        "auto_ticket": "on",
    }
    for bad, field in (
        ({"absence_streak": 0}, "absence_streak"),
        ({"falling_scores": 1}, "falling_scores"),
        ({"payment_grace_days": 999}, "payment_grace_days"),
        ({"ticket_category": ""}, "ticket_category"),
        ({"ticket_priority": "now"}, "ticket_priority"),
    ):
        assert_form_refused(client.post(url, good | bad), field)
    assert RiskPolicy.current().absence_streak == 2
    assert client.post(url, good).status_code == 302
    policy = RiskPolicy.current()
    assert (policy.absence_streak, policy.auto_ticket, policy.ticket_priority) == (3, True, "high")


def test_customer_thresholds_are_validated_and_saved(world, school):
    client = make_client(world.manager)
    url = reverse("risk:customer-thresholds")
    assert_form_refused(
        client.post(url, {"high_intent_days": 0, "high_intent_levels": [school.high.pk]}), "high_intent_days"
    )
    assert_form_refused(
        client.post(url, {"high_intent_days": 2, "high_intent_levels": [world.source.pk]}),
        "high_intent_levels",
    )
    # The pool rules return a customer after 3 days without follow-up: warn before that.
    assert_form_refused(client.post(url, {"high_intent_days": 3}), "high_intent_days")
    assert client.post(url, {"high_intent_days": 1, "high_intent_levels": [school.low.pk]}).status_code == 302
    policy = RiskPolicy.current()
    assert (policy.high_intent_days, list(policy.high_intent_levels.all())) == (1, [school.low])


def test_the_class_filter_offers_a_teachers_own_classes_and_everyone_elses_all(world, school):
    teacher = make_client(world.teacher).get(STUDENTS).context["filter"]
    assert list(teacher.fields["class_list"].queryset) == [world.class_a]
    manager = make_client(world.manager).get(STUDENTS).context["filter"]
    assert set(manager.fields["class_list"].queryset) == {world.class_a, world.class_b}


def test_two_people_at_once_open_one_ticket(world, school, monkeypatch):
    """The second of two simultaneous requests passes the "opened already?" check before the
    first commits: the unique constraint refuses it, its ticket is rolled back with it."""
    from risk import services
    from risk.selectors import student_warnings

    [warning] = student_warnings(world.admin, kind="absence", student_id=school.jia.pk)
    first = services.risk_ticket_open(warning=warning, by=world.teacher)
    real, calls = services._existing, []

    def not_yet_committed(warning):
        calls.append(warning)
        return None if len(calls) == 1 else real(warning)

    monkeypatch.setattr(services, "_existing", not_yet_committed)
    with (
        override("en"),
        pytest.raises(services.RiskRefused, match=f"#{first.pk} was opened for this warning"),
    ):
        services.risk_ticket_open(warning=warning, by=world.admin)
    assert list(Ticket.objects.all()) == [first] and RiskTicket.objects.count() == 1


def test_the_sweep_words_its_tickets_in_the_site_language(world, school, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    policy = RiskPolicy.current()
    policy.auto_ticket = True
    policy.save()
    risk_sweep()
    titles = set(Ticket.objects.values_list("title", flat=True))
    assert "学员预警：甲同学（连续缺勤或迟到）" in titles


def test_the_periodic_task_runs_the_sweep(world, school):
    from risk.tasks import risk_maintenance

    policy = RiskPolicy.current()
    policy.auto_ticket = True
    policy.save()
    result = risk_maintenance.enqueue()  # the tests' immediate backend runs it at once
    assert result.return_value == {"opened": 5, "skipped": 1}
    assert Ticket.objects.count() == 5


@pytest.mark.parametrize(
    ("back", "expected"),
    [
        (f"{STUDENTS}?kind=absence&page=1", f"{STUDENTS}?kind=absence&page=1"),
        ("https://evil.example/warnings/students/", STUDENTS),
        ("/sales/customers/", STUDENTS),
        ("", STUDENTS),
    ],
)
def test_the_ticket_button_returns_to_the_filtered_list_only(world, school, back, expected):
    url, data = _ticket_post(world, school)
    response = make_client(world.teacher).post(url, data | {"next": back})
    assert response["Location"] == expected
