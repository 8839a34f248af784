"""The role x URL matrix's rows for the risk app (added to EXPECTED in test_url_matrix.py)."""

from accounts.models import User
from enrollment.models import Student
from tests.rbac.matrix import ADMIN, CONSULTANTS, MANAGER, TEACHING, Case, post

STUDENT_READERS = TEACHING | MANAGER | ADMIN


def risk_student(world, user):
    """A student of class A (taught by the world's teacher) whose customer is the sales user's
    (in the manager's team); administrators and the superuser reach every student."""
    student = Student.objects.filter(customer=world.sales_lead).first()
    if student is None:
        account = User.objects.create_user(username="riskstudent", email="riskstudent@example.test")
        student = Student.objects.create(user=account, customer=world.sales_lead)
        student.classes.add(world.class_a)
    return {"pk": student.pk}


def ticket_request(world) -> dict:
    """A warning the student does not have: the view answers with a message and a redirect."""
    return {"kind": "absence", "class_list": world.class_a.pk, "occurrence": 1}


STUDENT_THRESHOLDS = {
    "absence_streak": "2",
    "homework_streak": "2",
    "falling_scores": "3",
    "payment_grace_days": "14",
    "ticket_priority": "normal",
}

ROWS: list[Case] = [
    Case("risk:student-warnings", STUDENT_READERS),
    Case("risk:student-warnings", STUDENT_READERS, query="kind=grades&class_list=x", variant="bad-filter"),
    post("risk:student-ticket", STUDENT_READERS, kwargs=risk_student, data=ticket_request),
    Case(
        "risk:student-ticket",
        frozenset(),
        kwargs=risk_student,
        ok=405,
        variant="get",
        wrong_method=STUDENT_READERS,
    ),
    Case("risk:customer-warnings", CONSULTANTS),
    Case("risk:customer-warnings", CONSULTANTS, query="kind=high_intent", variant="kind"),
    Case("risk:student-thresholds", ADMIN),
    post("risk:student-thresholds", ADMIN, data=STUDENT_THRESHOLDS, variant="save"),
    Case("risk:customer-thresholds", MANAGER | ADMIN),
    post("risk:customer-thresholds", MANAGER | ADMIN, data={"high_intent_days": "2"}, variant="save"),
]
