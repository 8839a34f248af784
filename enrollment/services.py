"""Writes of enrollment: the link, the student's submission and documents, the review that makes
a customer a student, and payments.

Every state change is one conditional UPDATE whose row count says whether it happened, so a
second tab, a replayed POST or two reviewers at once change nothing the second time.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import password_set_link
from common.files import file_store
from common.history import history_record_rows
from common.mail import send_templated_mail
from crm.models import ClassList, Customer, OwnershipEvent
from enrollment.documents import display_name, document_type
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.validators import birthday_from_id
from rbac.defaults import STUDENT
from rbac.models import Role

Status = Enrollment.Status


class EnrollmentRefused(Exception):
    """The rules refuse this change; `str(error)` is the message to show, and nothing was written."""


# --- The link ---------------------------------------------------------------------------------
def seats_taken(class_list: ClassList) -> int:
    return class_list.enrollments.filter(status=Status.APPROVED).count()


def classes_with_seats(queryset):
    """Classes annotated with `seats_taken` (approved enrollments), for the class picker."""
    return queryset.annotate(seats_taken=Count("enrollments", filter=Q(enrollments__status=Status.APPROVED)))


def _link_expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.ENROLLMENT_LINK_DAYS)


@transaction.atomic
def enrollment_create(*, customer: Customer, class_list: ClassList, by: User) -> Enrollment:
    """Start an enrollment of `customer` into `class_list` at the class's price. A full class
    still takes it, marked waitlisted; approving it then needs the right to exceed capacity."""
    now = timezone.now()
    enrollment = Enrollment(
        customer=customer,
        class_list=class_list,
        consultant=by,
        price=class_list.price,
        waitlisted=seats_taken(class_list) >= class_list.capacity,
        link_expires_at=_link_expiry(now),
        created_at=now,
    )
    enrollment._history_user = by
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError as error:
        raise EnrollmentRefused(
            gettext("%(customer)s already has an enrollment for %(class)s.")
            % {"customer": customer, "class": class_list}
        ) from error
    return enrollment


@transaction.atomic
def enrollment_link_regenerate(*, enrollment: Enrollment, by: User | None = None) -> Enrollment:
    """A new link, valid for the usual number of days; every older link stops working. `by` is
    who asked for it (the history's user)."""
    now = timezone.now()
    renewed = Enrollment.objects.live().filter(pk=enrollment.pk).exclude(status=Status.APPROVED)
    if not renewed.update(token_version=F("token_version") + 1, link_expires_at=_link_expiry(now)):
        raise EnrollmentRefused(gettext("This enrollment is approved; it needs no link any more."))
    history_record_rows(Enrollment.objects.filter(pk=enrollment.pk), by=by, at=now)
    enrollment.refresh_from_db(fields=["token_version", "link_expires_at"])
    return enrollment


def _lock_enrollment(pk: int) -> str | None:
    """Serialise the changes of one enrollment that depend on its payments (deleting it,
    deciding a payment): PostgreSQL locks the row; SQLite's IMMEDIATE transactions are serial.
    Returns its status, or None when it is deleted."""
    return (
        Enrollment.objects.live().select_for_update().filter(pk=pk).values_list("status", flat=True).first()
    )


@transaction.atomic
def enrollment_delete(*, enrollment: Enrollment, by: User) -> Enrollment:
    """Move an enrollment made by mistake to the recycle bin, while it is not approved and no
    payment of it is confirmed (a student account and money received are facts a delete must
    not hide). Its link stops working at once; its documents and payments are kept with it."""
    status = _lock_enrollment(enrollment.pk)
    if status is None:
        raise EnrollmentRefused(gettext("This enrollment is in the recycle bin already."))
    if status == Status.APPROVED:
        raise EnrollmentRefused(
            gettext("An approved enrollment cannot be deleted: the student is enrolled in the class.")
        )
    if Payment.objects.filter(enrollment=enrollment.pk, status=Payment.Status.CONFIRMED).exists():
        raise EnrollmentRefused(
            gettext("This enrollment has a confirmed payment and cannot be deleted; record a refund instead.")
        )
    now = timezone.now()
    row = Enrollment.objects.filter(pk=enrollment.pk)
    row.update(is_deleted=True, deleted_at=now)
    history_record_rows(row, by=by, at=now)
    enrollment.is_deleted, enrollment.deleted_at = True, now
    return enrollment


@transaction.atomic
def enrollment_restore(*, enrollment: Enrollment, by: User) -> Enrollment:
    """Bring an enrollment back from the recycle bin as it was (its link, if not expired, works
    again), unless the customer was enrolled into the same class again meanwhile."""
    now = timezone.now()
    row = Enrollment.objects.filter(pk=enrollment.pk, is_deleted=True)
    try:
        with transaction.atomic():
            restored = row.update(is_deleted=False, deleted_at=None)
    except IntegrityError as error:
        raise EnrollmentRefused(
            gettext(
                "%(customer)s has a newer enrollment for %(class)s; delete that one first if this "
                "one is the right one."
            )
            % {"customer": enrollment.customer, "class": enrollment.class_list}
        ) from error
    if not restored:
        raise EnrollmentRefused(gettext("This enrollment is not in the recycle bin any more."))
    history_record_rows(Enrollment.objects.filter(pk=enrollment.pk), by=by, at=now)
    enrollment.is_deleted, enrollment.deleted_at = False, None
    return enrollment


# --- The student's side -----------------------------------------------------------------------
def contract_for(enrollment: Enrollment) -> str:
    """The contract shown to the student: the course's template with the enrollment's values."""
    class_list = enrollment.class_list
    values = {
        "name": enrollment.customer.name,
        "course": class_list.course.name,
        "class": str(class_list),
        "price": f"{enrollment.price:,.2f}",
        "start_date": class_list.start_date.isoformat(),
        "campus": class_list.campus.name,
    }
    template = class_list.course.contract_template or gettext(
        "{name} enrolls in {class} ({course}) at {campus}, starting {start_date}, for CNY {price}."
    )
    return re.sub(r"\{(\w+)\}", lambda match: values.get(match.group(1), match.group(0)), template)


def contract_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def enrollment_document_add(
    *, enrollment: Enrollment, data: bytes, filename: str, kind: str
) -> EnrollmentDocument:
    """Keep one document of a link still open to the student: JPEG, PNG or PDF by content, at
    most ENROLLMENT_DOCUMENT_MAX_BYTES, at most ENROLLMENT_DOCUMENT_LIMIT per enrollment counted
    inside the transaction (the enrollment row is locked; SQLite's IMMEDIATE transactions are
    serial), so parallel uploads cannot pass the limit."""
    content_type = document_type(data)  # ValidationError for anything else
    locked = (
        Enrollment.objects.live()
        .select_for_update()
        .filter(pk=enrollment.pk, status__in=(Status.OPEN, Status.REJECTED))
    )
    if not locked.exists():
        raise EnrollmentRefused(gettext("This enrollment was submitted; documents can no longer change."))
    if enrollment.documents.count() >= settings.ENROLLMENT_DOCUMENT_LIMIT:
        raise EnrollmentRefused(
            gettext("At most %(count)s documents; remove one first.")
            % {"count": settings.ENROLLMENT_DOCUMENT_LIMIT}
        )
    document = EnrollmentDocument(
        enrollment=enrollment,
        kind=kind,
        original_name=display_name(filename),
        size=len(data),
        content_type=content_type,
    )
    file_store(document.file, "document", data)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)  # no row, no file
        raise
    return document


@transaction.atomic
def enrollment_document_remove(*, document: EnrollmentDocument) -> None:
    editable = Enrollment.objects.filter(pk=document.enrollment_id, status__in=(Status.OPEN, Status.REJECTED))
    if not editable.exists():
        raise EnrollmentRefused(gettext("This enrollment was submitted; documents can no longer change."))
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def enrollment_submit(*, enrollment: Enrollment, values: dict, contract_text: str, ip: str | None) -> bool:
    """Store the student's form and the accepted contract, once: the status moves from open (or
    rejected) to submitted in one conditional UPDATE, so a second tab or a replay writes nothing.
    `values` are the form's cleaned fields the student may set; nothing else is taken from the
    request. Returns whether this call submitted it. The history row has no user: the student
    has no account yet."""
    now = timezone.now()
    fields = {name: values[name] for name in STUDENT_FIELDS}
    submitted = (
        Enrollment.objects.live()
        .filter(
            pk=enrollment.pk,
            token_version=enrollment.token_version,
            status__in=(Status.OPEN, Status.REJECTED),
        )
        .update(
            **fields,
            contract_text=contract_text,
            contract_hash=contract_hash(contract_text),
            agreed_at=now,
            agreed_ip=ip,
            submitted_at=now,
            status=Status.SUBMITTED,
            reject_reason="",
        )
    )
    if submitted:
        history_record_rows(Enrollment.objects.filter(pk=enrollment.pk), by=None, at=now)
    return bool(submitted)


STUDENT_FIELDS = (
    "id_number",
    "gender",
    "birthday",
    "emergency_contact",
    "emergency_phone",
    "address",
    "email",
)


# --- Review -----------------------------------------------------------------------------------
def _student_username(customer: Customer) -> str:
    """The phone's digits (what students remember), else `student<customer number>`."""
    candidate = customer.phone.removeprefix("+86").lstrip("+") or f"student{customer.pk}"
    if User.objects.filter(username=candidate).exists():
        candidate = f"student{customer.pk}"
    return candidate


def _student_for(enrollment: Enrollment) -> tuple[Student, bool]:
    customer = enrollment.customer
    student = Student.objects.filter(customer=customer).select_related("user").first()
    if student is not None:
        return student, False
    user = User(
        username=_student_username(customer),
        display_name=customer.name[:50],
        email=enrollment.email or customer.email,
        phone=customer.phone,
    )
    user.set_unusable_password()
    user.save()
    user.roles.add(Role.objects.get(slug=STUDENT))
    student = Student.objects.create(
        user=user,
        customer=customer,
        id_number=enrollment.id_number,
        birthday=enrollment.birthday
        or (birthday_from_id(enrollment.id_number) if enrollment.id_number else None),
    )
    return student, True


@transaction.atomic
def enrollment_approve(
    *, enrollment: Enrollment, by: User, may_exceed_capacity: bool, base_url: str
) -> Student:
    """Approve a submitted enrollment: in one transaction the student account is created (or
    the existing one reused), the class joined, the customer signed (with an ownership event);
    the email with the set-password link goes out once the transaction commits. A conditional
    UPDATE makes a second reviewer's approval a refusal, never a second account."""
    # Lock the customer (one student per customer, even when two of their enrollments are
    # approved at once) and the class (its last seat); SQLite's IMMEDIATE transactions are serial.
    list(Customer.objects.select_for_update().filter(pk=enrollment.customer_id).values_list("pk", flat=True))
    class_list = ClassList.objects.select_for_update().get(pk=enrollment.class_list_id)
    waiting = Enrollment.objects.live().filter(pk=enrollment.pk, status=Status.SUBMITTED)
    if not waiting.exists():
        raise EnrollmentRefused(gettext("This enrollment is not waiting for review any more."))
    if seats_taken(class_list) >= class_list.capacity and not may_exceed_capacity:
        raise EnrollmentRefused(
            gettext("%(class)s is full; approving beyond its capacity needs a manager or an administrator.")
            % {"class": class_list}
        )
    now = timezone.now()
    if not waiting.update(status=Status.APPROVED, reviewed_by=by, reviewed_at=now):
        raise EnrollmentRefused(gettext("This enrollment is not waiting for review any more."))
    history_record_rows(Enrollment.objects.filter(pk=enrollment.pk), by=by, at=now)
    enrollment.refresh_from_db()
    student, created = _student_for(enrollment)
    student.classes.add(class_list)
    customer = Customer.objects.select_related("consultant").get(pk=enrollment.customer_id)
    if customer.status != Customer.Status.SIGNED:
        customer.status, customer._history_user = Customer.Status.SIGNED, by
        customer.save(update_fields=["status", "updated_at"])
        OwnershipEvent.objects.create(
            customer=customer,
            kind=OwnershipEvent.Kind.SIGN,
            from_user=customer.consultant,
            to_user=customer.consultant,
            by=by,
            at=now,
            reason=str(class_list)[:200],
        )
    if student.user.email:
        transaction.on_commit(
            lambda: _send_approval_email(enrollment, student, base_url, new_account=created)
        )
    return student


def _send_approval_email(
    enrollment: Enrollment, student: Student, base_url: str, *, new_account: bool
) -> None:
    """ "Your enrollment succeeded", with the link to choose a password for a new account."""
    user = student.user
    context = {
        "user": user,
        "enrollment": enrollment,
        "class_list": enrollment.class_list,
        "link": password_set_link(user=user, base_url=base_url) if new_account else "",
        "login_url": base_url.rstrip("/") + reverse("accounts:login"),
    }
    send_templated_mail(
        subject_template="enrollment/email/approved_subject.txt",
        body_template="enrollment/email/approved.txt",
        context=context,
        to=[user.email],
    )


@transaction.atomic
def enrollment_reject(*, enrollment: Enrollment, by: User, reason: str) -> None:
    """Send the form back to the student with `reason`, which the link page shows them."""
    now = timezone.now()
    rejected = (
        Enrollment.objects.live()
        .filter(pk=enrollment.pk, status=Status.SUBMITTED)
        .update(status=Status.REJECTED, reviewed_by=by, reviewed_at=now, reject_reason=reason)
    )
    if not rejected:
        raise EnrollmentRefused(gettext("This enrollment is not waiting for review any more."))
    history_record_rows(Enrollment.objects.filter(pk=enrollment.pk), by=by, at=now)


# --- Payments ---------------------------------------------------------------------------------
# How long a double-submitted payment form waits for the first submission to commit.
KEY_LOOKUPS = 20
KEY_LOOKUP_PAUSE = 0.05


def payment_record(
    *, enrollment: Enrollment, values: dict, by: User, request_key: uuid.UUID
) -> tuple[Payment, bool]:
    """Record a payment as pending. The form's `request_key` makes a double click or a replay
    return the first payment instead of a second one. Returns (payment, created).

    Two submissions at once can each meet the other's key before either commits (SQLite's
    shared cache shows an uncommitted key); if the other one then rolled back, no payment holds
    the key, so ours tries once more instead of refusing both."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                payment = Payment(enrollment=enrollment, consultant=by, request_key=request_key, **values)
                payment._history_user = by
                payment.save(force_insert=True)
        except IntegrityError as error:
            if "request_key" not in str(error):
                raise  # another constraint (an amount of zero): not a second submission
            existing = _payment_with_key(request_key)
            if existing is None:
                continue
            if existing.enrollment_id != enrollment.pk:
                raise EnrollmentRefused(gettext("This form was already used; reload the page.")) from error
            return existing, False
        else:
            return payment, True
    raise EnrollmentRefused(gettext("This form was already used; reload the page."))


def _payment_with_key(request_key: uuid.UUID) -> Payment | None:
    """The payment another request saved with `request_key`. Its transaction may still be
    committing when our insert met the key (SQLite's shared cache shows the key first), so look
    a few times before giving up."""
    for _attempt in range(KEY_LOOKUPS):
        payment = Payment.objects.filter(request_key=request_key).first()
        if payment is not None:
            return payment
        time.sleep(KEY_LOOKUP_PAUSE)
    return None


@transaction.atomic
def _decide(payment: Payment, by: User, status: str, reason: str = "") -> None:
    """Confirm or reject a pending payment of a live enrollment (locked, so it cannot be deleted
    while its payment is being confirmed)."""
    if _lock_enrollment(payment.enrollment_id) is None:
        raise EnrollmentRefused(gettext("The enrollment of this payment was deleted."))
    now = timezone.now()
    row = Payment.objects.filter(pk=payment.pk)
    decided = row.filter(status=Payment.Status.PENDING).update(
        status=status, confirmed_by=by, confirmed_at=now, reject_reason=reason
    )
    if not decided:
        raise EnrollmentRefused(gettext("This payment was already confirmed or rejected."))
    history_record_rows(row, by=by, at=now)


def payment_confirm(*, payment: Payment, by: User) -> None:
    _decide(payment, by, Payment.Status.CONFIRMED)


def payment_reject(*, payment: Payment, by: User, reason: str) -> None:
    _decide(payment, by, Payment.Status.REJECTED, reason)


def enrollment_balances(enrollments: list[Enrollment]) -> dict[int, dict[str, Decimal]]:
    """For each enrollment: confirmed money in, refunds out, paid, and what is still owed on the
    price. One query for any number of enrollments (lists show a balance per row)."""
    totals = {e.pk: {"received": Decimal("0"), "refunded": Decimal("0")} for e in enrollments}
    sums = (
        Payment.objects.filter(enrollment__in=list(totals), status=Payment.Status.CONFIRMED)
        .values("enrollment_id", "kind")
        .annotate(total=Sum("amount"))
    )
    for row in sums:
        side = "refunded" if row["kind"] == Payment.Kind.REFUND else "received"
        totals[row["enrollment_id"]][side] += row["total"]
    for enrollment in enrollments:
        balance = totals[enrollment.pk]
        balance["paid"] = balance["received"] - balance["refunded"]
        balance["owed"] = max(enrollment.price - balance["paid"], Decimal("0"))
    return totals


def enrollment_balance(enrollment: Enrollment) -> dict[str, Decimal]:
    return enrollment_balances([enrollment])[enrollment.pk]
