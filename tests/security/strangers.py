"""The stranger: a party no ordinary world user is meant to reach, with data that says so.

A second sales department with its own consultant (not in the world manager's team), the
consultant's private customers, their follow-ups, an enrollment in class B with a document and a
pending and a confirmed payment, a stranger student of class B with homework, a question and its
answer, a lesson of class B taught by a stranger teacher with graded study records, a
notification and a customer import of the consultant; and in the recycle bins one of their
enrollments and one of their questions. Every text and contact field carries a
marker that occurs nowhere else, so a response that shows any of it can be caught by `leaks`.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Department, Notification, User
from accounts.services import notification_send
from classroom import services as classroom_services
from classroom.models import Answer, HomeworkFile, Lesson, Question, StudyRecord
from crm import services as crm_services
from crm.forms import CustomerCreateForm, FollowUpForm
from crm.models import Customer, CustomerImport, CustomerImportProblem
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from reports.periods import Month
from tests.security import strangers_marketing, strangers_risk, strangers_tickets

# Plain ASCII survives every escaping (HTML, JSON, CSV, spreadsheet XML); the Chinese marker is
# searched for raw and as JSON's \u escapes.
MARK = "ZQXJ"
CHINESE_MARK = "甄琰蔻"
# The stranger's phones are +86 1395724681x and QQs 95724681x: the national digits, the way lists
# group them (139 5724 681x) and the masks (139****681x, 95****1x) must all stay hidden.
PHONE_STEM = "1395724681"
QQ_STEM = "95724681"
LEAK_SIGNS = (
    MARK.lower().encode(),
    CHINESE_MARK.encode(),
    CHINESE_MARK.encode("unicode_escape").lower(),
    PHONE_STEM.encode(),
    f"{PHONE_STEM[:3]} {PHONE_STEM[3:7]} {PHONE_STEM[7:]}".encode(),
    f"{PHONE_STEM[:3]}****{PHONE_STEM[7:]}".encode(),
    QQ_STEM.encode(),
    f"{QQ_STEM[:2]}****1".encode(),
)
HOMEWORK_CONTENT = f"print('{MARK} homework')\n".encode()
DOCUMENT_CONTENT = f"%PDF-1.4\n% {MARK} document\n%%EOF".encode()


@dataclass
class Stranger:
    department: Department
    consultant: User
    teacher: User
    student_user: User
    customer: Customer  # private, enrolled in class B (open), with follow-ups
    deleted_customer: Customer  # the consultant's, in the recycle bin
    student_customer: Customer  # became the stranger student
    enrollment: Enrollment
    document: EnrollmentDocument
    pending_payment: Payment
    confirmed_payment: Payment
    contract_enrollment: Enrollment  # the student's, contract accepted
    deleted_enrollment: Enrollment  # the customer's in class A, in the recycle bin
    student: Student
    lesson: Lesson
    record: StudyRecord
    homework: HomeworkFile
    question: Question
    answer: Answer
    deleted_question: Question  # in the recycle bin of class B's teachers
    notification: Notification
    customer_import: CustomerImport
    month: str  # the month of all of the above, for reports
    # The newer apps' objects of the stranger, by name, built by their strangers_<app>.py.
    extra: dict = field(default_factory=dict)


def marked(field: str) -> str:
    return f"{MARK}{field}"


def leaks(body: bytes, *, echoed: str = "") -> list[str]:
    """The marker forms found in a response body (compared in lower case), leaving out those the
    request sent itself (`echoed`: a search for the marker shows it back in the search box; the
    stranger's rows would still show the other forms, their name for a phone search...)."""
    lowered, sent = body.lower(), echoed.lower().encode()
    return [
        sign.decode("utf-8", "replace")
        for sign in LEAK_SIGNS
        if sign.lower() in lowered and sign.lower() not in sent
    ]


def response_body(response) -> bytes:
    """Everything a response sends, streamed content joined, with the members of a zip (xlsx
    included: a zip of XML) appended unpacked."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body += b"".join(archive.read(name) + name.encode() for name in archive.namelist())
    return body


def _user(
    world, username: str, role: str, *, display_name: str, department: Department | None = None
) -> User:
    user = User.objects.create_user(
        username=username,
        password=world.password,
        email=f"{username}@example.test",
        display_name=display_name,
        department=department,
    )
    world.roles[role].users.add(user)
    return user


def _customer(world, consultant: User, number: int, label: str) -> Customer:
    form = CustomerCreateForm(
        {
            "name": f"{CHINESE_MARK}{marked(label)}",
            "phone": f"+86{PHONE_STEM}{number}",
            "qq": f"{QQ_STEM}{number}",
            "wechat": marked(f"wx{number}"),
            "email": f"{MARK.lower()}{number}@example.test",
            "source": world.source.pk,
            "education": world.education.pk,
            "consulted_on": timezone.localdate().isoformat(),
            "interested_courses": [world.linux.pk],
            "school": marked("School"),
            "major": marked("Major"),
            "company": marked("Company"),
            "note": marked("Note"),
        }
    )
    assert form.is_valid(), form.errors
    return crm_services.customer_create(form=form, by=consultant)


def _follow_up(world, customer: Customer, consultant: User) -> None:
    form = FollowUpForm(
        {
            "channel": world.channel.pk,
            "content": marked("FollowUp"),
            "next_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        }
    )
    assert form.is_valid(), form.errors
    crm_services.follow_up_add(customer=customer, by=consultant, form=form)


def _payment(enrollment: Enrollment, consultant: User, amount: str, note: str) -> Payment:
    payment, _created = enrollment_services.payment_record(
        enrollment=enrollment,
        values={
            "kind": Payment.Kind.DEPOSIT,
            "amount": Decimal(amount),
            "paid_at": timezone.localdate(),
            "note": marked(note),
        },
        by=consultant,
        request_key=uuid.uuid4(),
    )
    return payment


def _classroom(world, stranger_teacher: User, student: Student) -> tuple:
    """A lesson of class B by the stranger teacher, the student's homework (handed in before
    grading closes it), a graded record, a question and its answer."""
    world.class_b.teachers.add(stranger_teacher)
    values = {
        "number": 1,
        "date": timezone.localdate(),
        "teacher": stranger_teacher,
        "title": marked("Lesson"),
        "content": marked("LessonContent"),
        "homework_title": marked("Homework"),
        "homework_requirement": marked("Requirement"),
        "homework_deadline": None,
    }
    lesson = classroom_services.lesson_create(class_list=world.class_b, values=values)
    record = StudyRecord.objects.get(lesson=lesson, student=student)
    homework = classroom_services.homework_upload(
        record=record, upload=SimpleUploadedFile(f"{marked('homework')}.py", HOMEWORK_CONTENT)
    )
    classroom_services.grades_save(
        lesson=lesson, grades={record.pk: (88, marked("Comment"))}, by=stranger_teacher
    )
    question = classroom_services.question_ask(
        class_list=world.class_b,
        lesson=lesson,
        title=f"{CHINESE_MARK}{marked('Question')}",
        body=f"{CHINESE_MARK}{marked('QuestionBody')}",
        by=student.user,
    )
    answer = classroom_services.question_answer(question=question, body=marked("Answer"), by=stranger_teacher)
    deleted_question = classroom_services.question_ask(
        class_list=world.class_b,
        lesson=None,
        title=marked("DeletedQuestion"),
        body=marked("DeletedQuestionBody"),
        by=student.user,
    )
    classroom_services.question_delete(question=deleted_question, by=stranger_teacher)
    return lesson, record, homework, question, answer, deleted_question


def build_stranger(world) -> Stranger:
    department = Department.objects.create(name=f"{CHINESE_MARK}{marked('Team')}", code="stranger-sales")
    consultant = _user(
        world,
        "stranger_sales",
        "sales",
        display_name=f"{CHINESE_MARK}{marked('Sales')}",
        department=department,
    )
    # A class's teachers are shown on the school's setup pages to every setup reader by design,
    # so the stranger teacher's name carries no marker: those pages must still show none.
    stranger_teacher = _user(world, "stranger_teacher", "teacher", display_name="Stranger Teacher")
    student_user = _user(world, "stranger_student", "student", display_name=marked("Student"))

    customer = _customer(world, consultant, 0, "Customer")
    _follow_up(world, customer, consultant)
    deleted_customer = _customer(world, consultant, 1, "Deleted")
    crm_services.customer_delete(customer=deleted_customer, by=consultant)
    student_customer = _customer(world, consultant, 2, "Student")

    enrollment = enrollment_services.enrollment_create(
        customer=customer, class_list=world.class_b, by=consultant
    )
    document = enrollment_services.enrollment_document_add(
        enrollment=enrollment,
        data=DOCUMENT_CONTENT,
        filename=f"{marked('IdCard')}.pdf",
        kind=EnrollmentDocument.Kind.ID_FRONT,
    )
    pending_payment = _payment(enrollment, consultant, "2000", "Pending")
    confirmed_payment = _payment(enrollment, consultant, "3000", "Confirmed")
    enrollment_services.payment_confirm(payment=confirmed_payment, by=world.finance)

    contract_enrollment = enrollment_services.enrollment_create(
        customer=student_customer, class_list=world.class_b, by=consultant
    )
    contract_enrollment.contract_text = enrollment_services.contract_for(contract_enrollment)
    contract_enrollment.agreed_at = timezone.now()
    contract_enrollment.save(update_fields=["contract_text", "agreed_at"])
    student = Student.objects.create(user=student_user, customer=student_customer)
    student.classes.add(world.class_b)
    lesson, record, homework, question, answer, deleted_question = _classroom(
        world, stranger_teacher, student
    )
    deleted_enrollment = enrollment_services.enrollment_create(
        customer=customer, class_list=world.class_a, by=consultant
    )
    enrollment_services.enrollment_delete(enrollment=deleted_enrollment, by=consultant)

    notification = notification_send(recipient=consultant, text=marked("Notification"), link="/")
    customer_import = CustomerImport.objects.create(
        created_by=consultant,
        original_name=f"{marked('Leads')}.csv",
        file_format="csv",
        status=CustomerImport.Status.DONE,
        headers=["姓名", "手机"],
    )
    CustomerImportProblem.objects.create(
        customer_import=customer_import,
        row_number=2,
        kind=CustomerImportProblem.Kind.values[0],
        message=marked("Problem"),
        values=[marked("Cell"), f"{PHONE_STEM}9"],
    )
    stranger = Stranger(
        department=department,
        consultant=consultant,
        teacher=stranger_teacher,
        student_user=student_user,
        customer=customer,
        deleted_customer=deleted_customer,
        student_customer=student_customer,
        enrollment=enrollment,
        document=document,
        pending_payment=pending_payment,
        confirmed_payment=confirmed_payment,
        contract_enrollment=contract_enrollment,
        deleted_enrollment=deleted_enrollment,
        student=student,
        lesson=lesson,
        record=record,
        homework=homework,
        question=question,
        answer=answer,
        deleted_question=deleted_question,
        notification=notification,
        customer_import=customer_import,
        month=str(Month.current()),
    )
    for extend in (strangers_tickets.extend, strangers_marketing.extend, strangers_risk.extend):
        stranger.extra.update(extend(world, stranger))
    return stranger
