"""Races (issue 8): a claim, a duplicate lead, the enrollment form, an approval and a payment
decision, each contested at one moment by people clicking their buttons through the real views
(CSRF tokens, sessions, redirects followed), once in threads of this process and once in OS
processes of their own, against a database they all share (a file on SQLite, the test database
on PostgreSQL). Each race has exactly one winner; every loser answers with the product's refusal
on a page it may open (never a 500, never a 404 after the redirect); the history says the same
as the final state: ownership events, one customer, one submission, one student account, one
decision on the payment, and django-simple-history rows wherever a model keeps them.

The processes' requests are timed: each loser's POST was in flight while the winner's was.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.urls import reverse
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model

from accounts.models import User
from bench.load import login_session
from crm.models import Customer, DictItem, OwnershipEvent
from enrollment import services
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.tokens import enrollment_token
from tests.crm.conftest import customer_data, english, make_consultants, shared_db
from tests.enrollment.conftest import ID_NUMBER, gender, image_bytes, student_values, submit
from tests.security.contenders import Answer, Contender, race_in_processes, race_in_threads

__all__ = ["english", "gender", "shared_db", "student_values"]

Kind = OwnershipEvent.Kind
CLAIMERS = 3
REJECT_REASON = "没有收到这笔转账"

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(params=["threads", "processes"])
def race(request, shared_db, tmp_path):
    """Runs contenders at one moment, in threads or in OS processes."""
    if request.param == "threads":
        return race_in_threads
    return partial(race_in_processes, env=shared_db.subprocess_env(), sync=tmp_path / "race")


# --- What every race must show ------------------------------------------------------------------
def assert_answered(answers: list[Answer]) -> None:
    """No request raised (a 500), and every contender landed on a page it may open."""
    for answer in answers:
        assert not answer.exception, answer.exception
        assert answer.status in (200, 302), (answer.name, answer.status)
        assert answer.landing_status == 200, (answer.name, answer.location, answer.landing_status)
        assert "database is locked" not in answer.page


def one_winner(answers: list[Answer], won) -> tuple[Answer, list[Answer]]:
    """The one answer `won(answer)` says won, and the others; the losers raced the winner."""
    winners = [answer for answer in answers if won(answer)]
    assert len(winners) == 1, [(answer.name, answer.status, answer.alerts) for answer in answers]
    losers = [answer for answer in answers if answer is not winners[0]]
    for loser in losers:
        assert loser.overlaps(winners[0]), (
            f"{loser.name} posted at {loser.started:.3f}-{loser.ended:.3f}, the winner "
            f"{winners[0].started:.3f}-{winners[0].ended:.3f}: not a race"
        )
    return winners[0], losers


def _history_of(model):
    try:
        return get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return None


def history_marks(*models) -> dict:
    """The last history row of each model that keeps django-simple-history rows, before a race."""
    marks = {}
    for model in models:
        history = _history_of(model)
        if history is not None:
            marks[model] = history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
    return marks


def assert_history_agrees(instance, marks: dict, *, by: User | None = None) -> list | None:
    """When `instance`'s model keeps django-simple-history rows: the race wrote at most one for
    it (one winner, one change), by the winner `by` when given, and its latest row holds the
    instance's current value of every field the history tracks. Returns the rows the race wrote
    (None for a model without history: nothing to check)."""
    model = type(instance)
    history = _history_of(model)
    if history is None:
        return None
    rows = list(history.filter(id=instance.pk).order_by("-history_id"))
    written = [row for row in rows if row.history_id > marks[model]]
    assert len(written) <= 1, [(row.history_type, row.history_user_id) for row in written]
    if by is not None:
        assert [row.history_user_id for row in written] in ([], [by.pk])
    if rows:
        current = model._base_manager.filter(pk=instance.pk).values().get()
        tracked = {field.attname for field in history.model._meta.concrete_fields} & set(current)
        assert {name: getattr(rows[0], name) for name in tracked} == {name: current[name] for name in tracked}
    return written


def test_the_history_check_finds_a_change_the_history_missed(world):
    """What assert_history_agrees guards against: a write that bypassed the history (a bare
    UPDATE), and a change recorded twice."""
    customer = Customer.objects.create(name="历史", source=world.source, consulted_on=date(2026, 5, 4))
    marks = history_marks(Customer)
    assert assert_history_agrees(customer, marks) == []

    Customer.objects.filter(pk=customer.pk).update(name="改名")
    with pytest.raises(AssertionError):
        assert_history_agrees(customer, marks)

    customer.refresh_from_db()
    customer.save()
    customer.save()
    with pytest.raises(AssertionError, match="~"):
        assert_history_agrees(customer, marks)


def emails_sent(answers: list[Answer], mailoutbox) -> int:
    """Emails sent by the contenders: in this process's outbox (threads) or counted by each
    contender's process."""
    return len(mailoutbox) + sum(answer.emails for answer in answers)


# --- Claim --------------------------------------------------------------------------------------
def test_consultants_claiming_one_pool_customer_at_once_leave_one_owner(race, world):
    consultants = {user.username: user for user in make_consultants(world, CLAIMERS)}
    lead = world.pool_lead
    marks = history_marks(Customer)
    contenders = [
        Contender(
            name=name,
            page=reverse("crm:customer-pool"),
            post=reverse("crm:customer-claim", args=[lead.pk]),
            session=login_session(user),
        )
        for name, user in consultants.items()
    ]

    answers = race(contenders)

    assert_answered(answers)
    won, lost = one_winner(answers, lambda answer: answer.says("success", "is now your customer"))
    winner = consultants[won.name]
    assert won.location == reverse("crm:customer-detail", args=[lead.pk])
    for loser in lost:
        assert loser.says("danger", f"Already claimed by {winner}."), loser.alerts
        # The winner's customer is out of the loser's reach: back to the pool, not to a 404.
        assert loser.location == reverse("crm:customer-pool")
    customer = Customer.objects.get(pk=lead.pk)
    assert customer.consultant_id == winner.pk and customer.claimed_at is not None
    events = OwnershipEvent.objects.filter(customer=lead).values_list(
        "kind", "from_user_id", "to_user_id", "by_id"
    )
    assert list(events) == [(Kind.CLAIM, None, winner.pk, winner.pk)]
    assert_history_agrees(customer, marks, by=winner)


# --- Duplicate create ---------------------------------------------------------------------------
def test_two_consultants_entering_one_phone_at_once_enter_one_customer(race, world):
    """The same person typed by two consultants in two formats: one customer, and the other
    consultant's form comes back with the duplicate refusal naming the owner."""
    entries = {
        world.sales: customer_data(world, name="张三", phone="138 0013 8000"),
        world.sales2: customer_data(world, name="张叁", phone="+86-138-0013-8000"),
    }
    users = {user.username: user for user in entries}
    marks = history_marks(Customer)
    url = reverse("crm:customer-create")
    contenders = [
        Contender(name=user.username, page=url, post=url, data=data, session=login_session(user))
        for user, data in entries.items()
    ]

    answers = race(contenders)

    assert_answered(answers)
    won, (lost,) = one_winner(answers, lambda answer: answer.redirected)
    winner = users[won.name]
    assert won.says("success", "Saved “"), won.alerts
    assert lost.status == 200, "the refused form comes back"
    assert "This customer already exists" in lost.page and f"owned by {winner} since" in lost.page
    (customer,) = Customer.objects.filter(phone="+8613800138000")
    assert (customer.consultant_id, customer.created_by_id) == (winner.pk, winner.pk)
    assert customer.name == entries[winner]["name"]
    events = OwnershipEvent.objects.values_list("customer_id", "kind", "to_user_id")
    assert list(events) == [(customer.pk, Kind.CREATE, winner.pk)]
    written = assert_history_agrees(customer, marks, by=winner)
    assert [row.history_type for row in written] == ["+"]
    assert Customer.history.filter(phone="+8613800138000").count() == 1


# --- Enrollment submission ----------------------------------------------------------------------
@pytest.fixture
def open_enrollment(world) -> Enrollment:
    """The sales consultant's lead enrolling into class A: link open, ID card uploaded."""
    enrollment = services.enrollment_create(
        customer=world.sales_lead, class_list=world.class_a, by=world.sales
    )
    for kind in (EnrollmentDocument.Kind.ID_FRONT, EnrollmentDocument.Kind.ID_BACK):
        services.enrollment_document_add(
            enrollment=enrollment, data=image_bytes("PNG"), filename=f"{kind}.png", kind=kind
        )
    return enrollment


def apply_form(enrollment: Enrollment, gender: DictItem, **changes) -> dict:
    """The link page's form as the student posts it, the contract accepted."""
    return {
        "id_number": ID_NUMBER,
        "gender": gender.pk,
        "birthday": "1949-12-31",
        "emergency_contact": "萨母",
        "emergency_phone": "139 0000 0009",
        "address": "北京市海淀区中关村大街1号",
        "email": "sale@example.test",
        "agree": "on",
        "contract_hash": services.contract_hash(services.contract_for(enrollment)),
        **changes,
    }


def test_the_enrollment_form_sent_from_two_tabs_at_once_is_stored_once(race, open_enrollment, gender):
    """Two tabs of the same link send different emergency contacts at one moment: one
    submission, holding exactly one tab's values; the other tab is told it was submitted."""
    contacts = {"tab-1": "萨母", "tab-2": "萨父"}
    url = reverse("enrollment:apply", args=[enrollment_token(open_enrollment)])
    marks = history_marks(Enrollment)
    contenders = [
        Contender(
            name=name, page=url, post=url, data=apply_form(open_enrollment, gender, emergency_contact=contact)
        )
        for name, contact in contacts.items()
    ]

    answers = race(contenders)

    assert_answered(answers)
    already = "This form was already submitted."
    won, (lost,) = one_winner(answers, lambda answer: answer.redirected and not answer.says("info", already))
    # The later tab either passed the page's check before the first committed (the conditional
    # UPDATE refuses it) or after (the page no longer takes the form): told either way.
    assert lost.redirected and lost.says("info", already), lost.alerts
    for answer in answers:
        assert "Submitted, waiting for review." in answer.page
    enrollment = Enrollment.objects.get(pk=open_enrollment.pk)
    assert enrollment.status == Enrollment.Status.SUBMITTED
    assert enrollment.emergency_contact == contacts[won.name]
    assert enrollment.contract_hash == apply_form(enrollment, gender)["contract_hash"]
    assert enrollment.agreed_at == enrollment.submitted_at is not None
    assert_history_agrees(enrollment, marks)


# --- Approval -----------------------------------------------------------------------------------
@pytest.fixture
def submitted_enrollment(open_enrollment, student_values) -> Enrollment:
    assert submit(open_enrollment, student_values)
    return open_enrollment


def test_two_reviewers_approving_at_once_make_one_student(race, world, submitted_enrollment, mailoutbox):
    reviewers = {user.username: user for user in (world.finance, world.admin)}
    accounts = User.objects.count()
    marks = history_marks(Enrollment, Customer)
    contenders = [
        Contender(
            name=name,
            page=reverse("enrollment:enrollment-detail", args=[submitted_enrollment.pk]),
            post=reverse("enrollment:enrollment-approve", args=[submitted_enrollment.pk]),
            session=login_session(user),
        )
        for name, user in reviewers.items()
    ]

    answers = race(contenders)

    assert_answered(answers)
    won, (lost,) = one_winner(answers, lambda answer: answer.says("success", "Approved."))
    winner = reviewers[won.name]
    assert lost.says("danger", "This enrollment is not waiting for review any more."), lost.alerts
    enrollment = Enrollment.objects.get(pk=submitted_enrollment.pk)
    assert (enrollment.status, enrollment.reviewed_by_id) == (Enrollment.Status.APPROVED, winner.pk)
    student = Student.objects.select_related("user").get()
    assert student.customer_id == world.sales_lead.pk
    assert list(student.classes.all()) == [world.class_a]
    assert User.objects.count() == accounts + 1
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert customer.status == Customer.Status.SIGNED
    signs = OwnershipEvent.objects.filter(kind=Kind.SIGN).values_list("customer_id", "by_id")
    assert list(signs) == [(customer.pk, winner.pk)]
    assert emails_sent(answers, mailoutbox) == 1
    assert_history_agrees(enrollment, marks, by=winner)
    assert_history_agrees(customer, marks, by=winner)


# --- Payment decisions --------------------------------------------------------------------------
@pytest.fixture
def finance2(world) -> User:
    user = User.objects.create(
        username="finance2", display_name="Finance2 Tester", department=world.departments["finance"]
    )
    world.roles["finance"].users.add(user)
    return user


@pytest.fixture
def pending_payment(world) -> Payment:
    enrollment = services.enrollment_create(
        customer=world.sales_lead, class_list=world.class_a, by=world.sales
    )
    payment, _created = services.payment_record(
        enrollment=enrollment,
        values={"kind": Payment.Kind.DEPOSIT, "amount": Decimal("2000"), "paid_at": date(2026, 5, 4)},
        by=world.sales,
        request_key=uuid.uuid4(),
    )
    return payment


def decision(user: User, payment: Payment, action: str, **data) -> Contender:
    """`user` clicks "confirm" or "reject" on the payment queue."""
    return Contender(
        name=user.username,
        page=reverse("enrollment:payment-queue"),
        post=reverse(f"enrollment:payment-{action}", args=[payment.pk]),
        data=data,
        session=login_session(user),
    )


def assert_decided_once(payment: Payment, *, by: User, status: str, reason: str, marks: dict) -> None:
    decided = Payment.objects.get(pk=payment.pk)
    assert (decided.status, decided.confirmed_by_id, decided.reject_reason) == (status, by.pk, reason)
    assert decided.confirmed_at is not None
    received = Decimal("2000") if status == Payment.Status.CONFIRMED else Decimal("0")
    assert services.enrollment_balance(decided.enrollment)["received"] == received
    assert_history_agrees(decided, marks, by=by)


def test_two_finance_users_confirming_one_payment_at_once_confirm_it_once(
    race, world, finance2, pending_payment
):
    marks = history_marks(Payment)
    deciders = {user.username: user for user in (world.finance, finance2)}

    answers = race([decision(user, pending_payment, "confirm") for user in deciders.values()])

    assert_answered(answers)
    won, (lost,) = one_winner(answers, lambda answer: answer.says("success", "Confirmed ¥"))
    assert lost.says("danger", "This payment was already confirmed or rejected."), lost.alerts
    assert_decided_once(
        pending_payment, by=deciders[won.name], status=Payment.Status.CONFIRMED, reason="", marks=marks
    )


def test_confirming_and_rejecting_one_payment_at_once_decides_it_once(race, world, finance2, pending_payment):
    marks = history_marks(Payment)
    contenders = [
        decision(world.finance, pending_payment, "confirm"),
        decision(finance2, pending_payment, "reject", reason=REJECT_REASON),
    ]

    answers = race(contenders)

    assert_answered(answers)
    won, (lost,) = one_winner(
        answers, lambda answer: any(level == "success" for level, _text in answer.alerts)
    )
    assert lost.says("danger", "This payment was already confirmed or rejected."), lost.alerts
    if won.name == world.finance.username:
        assert won.says("success", "Confirmed ¥"), won.alerts
        assert_decided_once(
            pending_payment, by=world.finance, status=Payment.Status.CONFIRMED, reason="", marks=marks
        )
    else:
        assert won.says("success", "Rejected; the consultant sees your reason."), won.alerts
        assert_decided_once(
            pending_payment, by=finance2, status=Payment.Status.REJECTED, reason=REJECT_REASON, marks=marks
        )
