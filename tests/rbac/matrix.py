"""The role x URL matrix's vocabulary: the roles, the Case row, and the builders of URL arguments.

The rows live in tests/rbac/test_url_matrix.py (the project's older apps) and in one rows_<app>.py
per newer app, which test_url_matrix.py adds to EXPECTED.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import count

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Notification, User
from classroom import services as classroom_services
from classroom.models import Lesson, StudyRecord
from common.access import AUTHENTICATED, PUBLIC
from crm.models import Customer, CustomerImport
from enrollment import services as enrollment_services
from enrollment.models import EnrollmentDocument, Payment, Student
from enrollment.services import enrollment_create
from enrollment.tokens import enrollment_token
from rbac.models import Role

ANONYMOUS = "anonymous"
# Every world user the matrix signs in as. The superuser passes every check by design, so it is
# allowed on every row without being listed.
ROLES = ("outsider", "student", "teacher", "finance", "sales", "manager", "admin", "superuser")

ADMIN = frozenset({"admin"})
SETUP_READERS = frozenset({"admin", "manager", "sales"})
CONSULTANTS = frozenset({"manager", "sales"})
MANAGER = frozenset({"manager"})
REVIEWERS = frozenset({"finance", "admin"})
ENROLLMENT_READERS = CONSULTANTS | REVIEWERS
TEACHING = frozenset({"teacher"})
STUDYING = frozenset({"student"})

Kwargs = Callable[..., dict]
serial = count(1)


def no_kwargs(world, user):
    return {}


def pk_of(attribute: str) -> Kwargs:
    return lambda world, user: {"pk": getattr(world, attribute).pk}


def role_pk(slug: str) -> Kwargs:
    return lambda world, user: {"pk": world.roles[slug].pk}


def department_pk(code: str) -> Kwargs:
    return lambda world, user: {"pk": world.departments[code].pk}


def spare_role(world, user):
    number = next(serial)
    return {"pk": Role.objects.create(name=f"Spare role {number}", slug=f"spare-{number}").pk}


def pending_registration(world, user):
    number = next(serial)
    pending = User.objects.create_user(
        username=f"pending{number}",
        email=f"pending{number}@example.test",
        is_active=False,
        awaiting_approval=True,
    )
    return {"pk": pending.pk}


def own_notification(world, user):
    recipient = user or world.admin
    notification = Notification.objects.create(recipient=recipient, text="Hello", link="/")
    return {"pk": notification.pk}


def own_import(world, user):
    """An import of the user's own (the pages are the importer's alone)."""
    record = CustomerImport.objects.create(
        created_by=user or world.sales,
        original_name="leads.csv",
        file_format="csv",
        status=CustomerImport.Status.DONE,
        headers=["姓名", "手机"],
    )
    return {"pk": record.pk}


def _enrollment(world):
    existing = world.sales_lead.enrollments.first()
    return existing or enrollment_create(customer=world.sales_lead, class_list=world.class_a, by=world.sales)


def own_enrollment(world, user):
    return {"pk": _enrollment(world).pk}


def _document(world):
    document = EnrollmentDocument(
        enrollment=_enrollment(world), original_name="id.pdf", size=9, content_type="application/pdf"
    )
    document.file.save("doc", ContentFile(b"%PDF-1.4\n%%EOF"), save=False)
    document.save()
    return document


def enrollment_document(world, user):
    return {"pk": _document(world).pk}


def pending_payment(world, user):
    payment = Payment.objects.create(
        enrollment=_enrollment(world),
        kind=Payment.Kind.DEPOSIT,
        amount=Decimal("2000"),
        paid_at=date(2026, 11, 1),
        consultant=world.sales,
        request_key=uuid.uuid4(),
    )
    return {"pk": payment.pk}


def student_contract(world, user):
    """An accepted enrollment of the requesting user, made a student for it (the page shows only
    one's own contracts, so the superuser needs one of their own too)."""
    owner = user or world.student
    student = Student.objects.filter(user=owner).first()
    if student is None:
        customer = Customer.objects.create(
            name="吴同学",
            phone=f"+86139{owner.pk:08d}",
            source=world.source,
            consulted_on=timezone.localdate(),
        )
        student = Student.objects.create(user=owner, customer=customer)
    enrollment = student.customer.enrollments.first()
    if enrollment is None:
        enrollment = enrollment_create(customer=student.customer, class_list=world.class_a, by=world.sales)
        enrollment.agreed_at, enrollment.contract_text = timezone.now(), "合同"
        enrollment.save()
    return {"pk": enrollment.pk}


def enrollment_link(world, user):
    return {"token": enrollment_token(_enrollment(world))}


def enrollment_link_document(world, user):
    document = _document(world)
    return {**enrollment_link(world, user), "document_pk": document.pk}


# --- Classroom: the world's teacher teaches class A. The superuser passes every permission check,
# but the selectors scope it like anyone else (another class's objects are a 404, tested in
# tests/classroom/test_scope.py), so the helpers make it a teacher, or a student, of class A too.
def _teaches_class_a(world, user) -> None:
    if user is not None and user.is_superuser:
        world.class_a.teachers.add(user)


def _student_of_class_a(world, owner: User) -> Student:
    """`owner` as a student of class A (the plain world's student user has no Student record)."""
    student = Student.objects.filter(user=owner).first()
    if student is None:
        customer = Customer.objects.create(
            name="吴同学",
            phone=f"+86137{owner.pk:08d}",
            source=world.source,
            consulted_on=timezone.localdate(),
        )
        student = Student.objects.create(user=owner, customer=customer)
    student.classes.add(world.class_a)
    return student


def _lesson_of_class_a(world) -> Lesson:
    """Lesson 1 of class A, with homework and a study record for each of the class's students."""
    lesson = Lesson.objects.filter(class_list=world.class_a, number=1).first()
    if lesson is None:
        values = {
            "number": 1,
            "date": date(2026, 9, 1),
            "teacher": world.teacher,
            "title": "变量与类型",
            "content": "",
            "homework_title": "练习",
            "homework_requirement": "",
            "homework_deadline": None,
        }
        lesson = classroom_services.lesson_create(class_list=world.class_a, values=values)
    classroom_services.lesson_records_sync(lesson=lesson)
    return lesson


def _homework_of(world, owner: User):
    student = _student_of_class_a(world, owner)
    record = StudyRecord.objects.get(lesson=_lesson_of_class_a(world), student=student)
    return classroom_services.homework_upload(
        record=record, upload=SimpleUploadedFile("homework.py", b"print('hello')\n")
    )


def _question_of_class_a(world):
    _student_of_class_a(world, world.student)
    return classroom_services.question_ask(
        class_list=world.class_a, lesson=None, title="为什么", body="请问", by=world.student
    )


def taught_class(world, user):
    _teaches_class_a(world, user)
    return {"pk": world.class_a.pk}


def taught_lesson(world, user):
    _teaches_class_a(world, user)
    return {"pk": _lesson_of_class_a(world).pk}


def taught_lesson_with_homework(world, user):
    """The zip is sent only when something was handed in (otherwise a redirect)."""
    _teaches_class_a(world, user)
    return {"pk": _homework_of(world, world.student).record.lesson_id}


def students_homework(world, user):
    """The world's student's file: theirs, and their class's teacher's."""
    _teaches_class_a(world, user)
    return {"pk": _homework_of(world, world.student).pk}


def class_question(world, user):
    _teaches_class_a(world, user)
    return {"pk": _question_of_class_a(world).pk}


def class_answer(world, user):
    """An answer to the world's student's question: the asker or the class's teacher accepts it."""
    _teaches_class_a(world, user)
    answer = classroom_services.question_answer(
        question=_question_of_class_a(world), body="看第1课", by=world.teacher
    )
    return {"pk": answer.pk}


def own_class(world, user):
    _student_of_class_a(world, user or world.student)
    return {"pk": world.class_a.pk}


def own_lesson(world, user):
    _student_of_class_a(world, user or world.student)
    return {"pk": _lesson_of_class_a(world).pk}


def own_homework(world, user):
    return {"pk": _homework_of(world, user or world.student).pk}


def deleted_enrollment(world, user):
    """The world's enrollment in the recycle bin (consultants in whose scope it is restore it)."""
    enrollment = _enrollment(world)
    enrollment_services.enrollment_delete(enrollment=enrollment, by=world.sales)
    return {"pk": enrollment.pk}


def deleted_class_question(world, user):
    """A question of class A in the recycle bin (its teachers restore it)."""
    _teaches_class_a(world, user)
    question = _question_of_class_a(world)
    classroom_services.question_delete(question=question, by=world.teacher)
    return {"pk": question.pk}


def team_targets(world) -> dict:
    """The targets form for the world's consultants (the manager's team, and everyone an admin
    sees): the manager, sales and sales2."""
    consultants = [world.manager, world.sales, world.sales2]
    data = {
        "targets-TOTAL_FORMS": str(len(consultants)),
        "targets-INITIAL_FORMS": str(len(consultants)),
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": str(len(consultants)),
    }
    for i, user in enumerate(consultants):
        data |= {
            f"targets-{i}-consultant": str(user.pk),
            f"targets-{i}-new_leads": "10",
            f"targets-{i}-signings": "2",
            f"targets-{i}-revenue": "30000",
        }
    return data


@dataclass(frozen=True)
class Case:
    """One row: `access` is PUBLIC, AUTHENTICATED or the set of roles allowed (besides the
    superuser). `ok` is the status an allowed user gets (200 for pages, 302 for actions);
    `anonymous` is the status an anonymous visitor gets on a public URL."""

    url_name: str
    access: str | frozenset[str]
    method: str = "GET"
    kwargs: Kwargs = no_kwargs
    query: str = ""
    data: dict | Callable = field(default_factory=dict)  # or world -> dict, for ids of its objects
    ok: int | None = None
    anonymous: int = 200
    variant: str = ""
    # Roles that may open the URL, only not with this method: they get 405, not 403.
    wrong_method: frozenset[str] = frozenset()

    @property
    def expected_ok(self) -> int:
        if self.ok is not None:
            return self.ok
        return 200 if self.method == "GET" else 302

    def allows(self, role: str) -> bool:
        if self.access == PUBLIC:
            return True
        if role == ANONYMOUS:
            return False
        if self.access == AUTHENTICATED:
            return True
        return role == "superuser" or role in self.access

    @property
    def id(self) -> str:
        return f"{self.url_name}{'[' + self.variant + ']' if self.variant else ''}"


def post(url_name, access, kwargs=no_kwargs, data=None, **extra) -> Case:
    return Case(url_name, access, method="POST", kwargs=kwargs, data=data or {}, **extra)
