"""Enrollment: the consultant makes a link, the student fills it in on a phone, finance reviews."""

import uuid

import segno
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AccessRecord
from audit.services import NOT_RECORDED, access_record
from common.access import public
from common.http import client_ip
from common.lists import simple_page
from common.views import file_attachment
from crm import selectors as crm_selectors
from enrollment import selectors, services
from enrollment.documents import too_large_message
from enrollment.forms import (
    DocumentUploadForm,
    EnrollmentApplyForm,
    EnrollmentCreateForm,
    PaymentForm,
    PaymentRejectForm,
    RejectForm,
)
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.tokens import enrollment_for_token, enrollment_token

# Requests per minute one address may make to the public link pages.
LINK_RATE_LIMIT = 60


def _reviews_all(request) -> bool:
    return request.rbac.holds(selectors.REVIEWER_CODENAME)


def _shows_id_number(request, enrollment: Enrollment) -> bool:
    """The full ID card number is for reviewers, while the enrollment waits for their review, and
    only once the access log has recorded that they were shown it; everyone else (and a reviewer
    whose view could not be recorded) sees it masked."""
    if not (
        enrollment.status == Enrollment.Status.SUBMITTED and enrollment.id_number and _reviews_all(request)
    ):
        return False
    if access_record(request=request, action=AccessRecord.Action.ID_NUMBER_VIEW, target=enrollment):
        return True
    messages.error(request, NOT_RECORDED)
    return False


# --- Consultant -------------------------------------------------------------------------------
def enrollment_create(request, pk: int):
    """Pick the class (seeing the seats left) for a customer who agreed to join."""
    customer = get_object_or_404(crm_selectors.customers_editable_by(request.user), pk=pk)
    form = EnrollmentCreateForm(request.POST or None, classes=selectors.classes_open_for_enrollment())
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = services.enrollment_create(
                customer=customer, class_list=form.cleaned_data["class_list"], by=request.user
            )
        except services.EnrollmentRefused as error:
            messages.error(request, str(error))
        else:
            return redirect("enrollment:enrollment-detail", enrollment.pk)
    context = {"customer": customer, "form": form, "title": _("Enroll %(name)s") % {"name": customer.name}}
    return render(request, "enrollment/enrollment_create.html", context)


def enrollment_list(request):
    enrollments = selectors.enrollments_visible_to(request.user, reviews_all=_reviews_all(request))
    status = request.GET.get("status", "")
    if status in Enrollment.Status.values:
        enrollments = enrollments.filter(status=status)
    context = {
        "enrollments": enrollments[:200],
        "statuses": Enrollment.Status.choices,
        "status": status,
        "title": _("Enrollments"),
    }
    return render(request, "enrollment/enrollment_list.html", context)


def _link_url(request, enrollment: Enrollment) -> str:
    return request.build_absolute_uri(reverse("enrollment:apply", args=[enrollment_token(enrollment)]))


def enrollment_detail(request, pk: int):
    enrollment = selectors.enrollment_for_detail(request.user, pk, reviews_all=_reviews_all(request))
    link = _link_url(request, enrollment) if enrollment.status != Enrollment.Status.APPROVED else ""
    can_review = enrollment.status == Enrollment.Status.SUBMITTED and request.rbac.allows(
        "enrollment:enrollment-approve"
    )
    context = {
        "enrollment": enrollment,
        "link": link,
        "qr": segno.make(link, error="m").svg_data_uri(scale=5) if link else "",
        "documents": enrollment.documents.all(),
        "payments": enrollment.payments.select_related("consultant", "confirmed_by"),
        "student": Student.objects.filter(customer=enrollment.customer_id)
        .select_related("user", "customer")
        .first()
        if enrollment.status == Enrollment.Status.APPROVED
        else None,
        "balance": services.enrollment_balance(enrollment),
        "can_record_payment": request.rbac.allows("enrollment:payment-create"),
        "can_review": can_review,
        "shows_id_number": _shows_id_number(request, enrollment),
        "can_regenerate": bool(link) and request.rbac.allows("enrollment:enrollment-link-regenerate"),
        "can_open_customer": request.rbac.allows("crm:customer-detail"),
        "can_delete": request.rbac.allows("enrollment:enrollment-delete")
        and selectors.may_delete(request.user, enrollment),
        "reject_form": RejectForm() if can_review else None,
        "title": str(enrollment),
    }
    return render(request, "enrollment/enrollment_detail.html", context)


@require_POST
def enrollment_link_regenerate(request, pk: int):
    enrollment = selectors.enrollment_for_detail(request.user, pk, reviews_all=_reviews_all(request))
    try:
        services.enrollment_link_regenerate(enrollment=enrollment, by=request.user)
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link was made; the old one no longer works."))
    return redirect("enrollment:enrollment-detail", pk)


@require_POST
def enrollment_delete(request, pk: int):
    enrollment = get_object_or_404(selectors.enrollments_deletable_by(request.user), pk=pk)
    try:
        services.enrollment_delete(enrollment=enrollment, by=request.user)
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
        return redirect("enrollment:enrollment-detail", pk)
    messages.success(
        request, _("“%(enrollment)s” was moved to the recycle bin.") % {"enrollment": enrollment}
    )
    return redirect("enrollment:enrollment-list")


def enrollment_trash(request):
    page = simple_page(request, selectors.enrollments_deleted_visible_to(request.user))
    context = {"page_obj": page, "title": _("Deleted enrollments")}
    return render(request, "enrollment/enrollment_trash.html", context)


@require_POST
def enrollment_restore(request, pk: int):
    enrollment = get_object_or_404(selectors.enrollments_deleted_visible_to(request.user), pk=pk)
    try:
        services.enrollment_restore(enrollment=enrollment, by=request.user)
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(enrollment)s” was restored.") % {"enrollment": enrollment})
    return redirect("enrollment:enrollment-trash")


def enrollment_document(request, pk: int):
    """A document, as an attachment, to those who may see its enrollment; each download is
    recorded in the access log first, and refused when it cannot be."""
    document = get_object_or_404(selectors.documents_with_enrollment(), pk=pk)
    visible = selectors.enrollments_visible_to(request.user, reviews_all=_reviews_all(request))
    if not visible.filter(pk=document.enrollment_id).exists():
        raise Http404
    detail = {"document": document.pk, "kind": document.kind, "file": document.original_name}
    if not access_record(
        request=request,
        action=AccessRecord.Action.DOCUMENT_DOWNLOAD,
        target=document.enrollment,
        detail=detail,
    ):
        messages.error(request, NOT_RECORDED)
        return redirect("enrollment:enrollment-detail", document.enrollment_id)
    return file_attachment(document.file, filename=document.original_name, content_type=document.content_type)


# --- The student, signed in -------------------------------------------------------------------
def my_enrollments(request):
    enrollments = list(selectors.enrollments_of_student(request.user))
    balances = services.enrollment_balances(enrollments)
    rows = [(enrollment, balances[enrollment.pk]) for enrollment in enrollments]
    return render(request, "enrollment/my_enrollments.html", {"rows": rows, "title": _("My enrollments")})


def my_contract(request, pk: int):
    """The contract exactly as the student accepted it, printable (the browser saves it as PDF)."""
    enrollment = get_object_or_404(
        selectors.enrollments_of_student(request.user), pk=pk, agreed_at__isnull=False
    )
    return render(request, "enrollment/my_contract.html", {"enrollment": enrollment, "title": _("Contract")})


# --- Payments ---------------------------------------------------------------------------------
def payment_create(request, pk: int):
    enrollment = selectors.enrollment_for_detail(request.user, pk, reviews_all=_reviews_all(request))
    form = PaymentForm(request.POST or None, initial={"request_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ("kind", "amount", "paid_at", "note")}
        try:
            _payment, created = services.payment_record(
                enrollment=enrollment,
                values=values,
                by=request.user,
                request_key=form.cleaned_data["request_key"],
            )
        except services.EnrollmentRefused as error:
            messages.error(request, str(error))
        else:
            if created:
                messages.success(request, _("Recorded; finance will confirm it."))
            else:
                messages.info(request, _("This payment was recorded already."))
            return redirect("enrollment:enrollment-detail", pk)
    context = {"enrollment": enrollment, "form": form, "title": _("Record a payment")}
    return render(request, "enrollment/payment_form.html", context)


def payment_queue(request):
    payments = selectors.payments_for_review()
    pending = payments.filter(status=Payment.Status.PENDING).order_by("created_at", "id")
    decided = payments.exclude(status=Payment.Status.PENDING).order_by("-confirmed_at")
    context = {
        "pending": pending[:200],
        "decided": decided[:20],
        "reject_form": PaymentRejectForm(),
        "title": _("Payments to confirm"),
    }
    return render(request, "enrollment/payment_queue.html", context)


@require_POST
def payment_confirm(request, pk: int):
    payment = get_object_or_404(selectors.payments_for_review(), pk=pk)
    try:
        services.payment_confirm(payment=payment, by=request.user)
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Confirmed ¥%(amount)s from %(name)s.")
            % {"amount": payment.amount, "name": payment.enrollment.customer.name},
        )
    return redirect("enrollment:payment-queue")


@require_POST
def payment_reject(request, pk: int):
    payment = get_object_or_404(selectors.payments_for_review(), pk=pk)
    form = PaymentRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason; nothing was changed."))
        return redirect("enrollment:payment-queue")
    try:
        services.payment_reject(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Rejected; the consultant sees your reason."))
    return redirect("enrollment:payment-queue")


# --- Review -----------------------------------------------------------------------------------
def enrollment_review_list(request):
    queue = selectors.enrollments_visible_to(request.user, reviews_all=True).filter(
        status=Enrollment.Status.SUBMITTED
    )
    context = {"enrollments": queue.order_by("submitted_at", "id")[:200], "title": _("Enrollments to review")}
    return render(request, "enrollment/enrollment_review_list.html", context)


@require_POST
def enrollment_approve(request, pk: int):
    enrollment = selectors.enrollment_for_detail(request.user, pk, reviews_all=_reviews_all(request))
    try:
        student = services.enrollment_approve(
            enrollment=enrollment,
            by=request.user,
            may_exceed_capacity=request.rbac.holds("enrollment.enrollment_approve_over_capacity"),
            base_url=request.build_absolute_uri("/"),
        )
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Approved. %(name)s can log in as “%(username)s” after choosing a password from the email.")
            % {"name": enrollment.customer.name, "username": student.user.username},
        )
    return redirect("enrollment:enrollment-detail", pk)


@require_POST
def enrollment_reject(request, pk: int):
    enrollment = selectors.enrollment_for_detail(request.user, pk, reviews_all=_reviews_all(request))
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the student a reason; nothing was changed."))
        return redirect("enrollment:enrollment-detail", pk)
    try:
        services.enrollment_reject(enrollment=enrollment, by=request.user, reason=form.cleaned_data["reason"])
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Sent back to the student with your reason."))
    return redirect("enrollment:enrollment-detail", pk)


# --- The student's link -----------------------------------------------------------------------
def _rate_limited(request) -> bool:
    key = f"enroll-link:{client_ip(request) or ''}:{timezone.now():%Y%m%d%H%M}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) > LINK_RATE_LIMIT
    except ValueError:  # expired between add and incr
        return False


def _open_link(request, token: str):
    """The enrollment of a live token, or the one page every bad token gets (no personal data)."""
    if _rate_limited(request):
        return None, render(request, "enrollment/link_invalid.html", {"rate_limited": True}, status=429)
    enrollment = enrollment_for_token(token)
    if enrollment is None:
        return None, render(request, "enrollment/link_invalid.html", status=404)
    return enrollment, None


def _next_document_kind(enrollment: Enrollment) -> str:
    """The ID card's front, then its back, then anything else."""
    uploaded = set(enrollment.documents.values_list("kind", flat=True))
    return next(
        (kind for kind in EnrollmentDocument.Kind.values if kind not in uploaded),
        EnrollmentDocument.Kind.OTHER,
    )


def _apply_page(request, enrollment: Enrollment, token: str, form, upload_form=None, status: int = 200):
    contract = services.contract_for(enrollment)
    context = {
        "enrollment": enrollment,
        "token": token,
        "form": form,
        "upload_form": upload_form or DocumentUploadForm(initial={"kind": _next_document_kind(enrollment)}),
        "documents": enrollment.documents.all(),
        "document_limit": settings.ENROLLMENT_DOCUMENT_LIMIT,
        "contract": contract,
        "contract_hash": services.contract_hash(contract),
        "editable": enrollment.is_editable_by_student,
    }
    return render(request, "enrollment/apply.html", context, status=status)


@public
def apply(request, token: str):
    """The link page: read-only facts from the database, the student's fields, the contract,
    documents, and one submission."""
    enrollment, refusal = _open_link(request, token)
    if refusal:
        return refusal
    # Bound on every POST, an empty one too: the checks below add errors to it.
    if request.method == "POST" and not enrollment.is_editable_by_student:
        # A second tab, or the back button, sending the form again after it was submitted.
        messages.info(request, _("This form was already submitted."))
        return redirect("enrollment:apply", token)
    form = EnrollmentApplyForm(request.POST if request.method == "POST" else None, instance=enrollment)
    if request.method == "POST":
        kinds = set(enrollment.documents.values_list("kind", flat=True))
        if not {EnrollmentDocument.Kind.ID_FRONT, EnrollmentDocument.Kind.ID_BACK} <= kinds:
            form.add_error(None, _("Upload the front and the back of your ID card first."))
        contract = services.contract_for(enrollment)
        if request.POST.get("contract_hash") != services.contract_hash(contract):
            # The contract changed since the page was shown: what is stored must be what was read.
            form.add_error(None, _("The contract was updated while you were reading it; read it again."))
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in services.STUDENT_FIELDS}
            if services.enrollment_submit(
                enrollment=enrollment,
                values=values,
                contract_text=contract,
                ip=client_ip(request),
            ):
                return redirect("enrollment:apply", token)
            messages.info(request, _("This form was already submitted."))
            return redirect("enrollment:apply", token)
    return _apply_page(request, enrollment, token, form)


@public
@require_POST
def apply_document_upload(request, token: str):
    enrollment, refusal = _open_link(request, token)
    if refusal:
        return refusal
    upload_form = DocumentUploadForm(request.POST, request.FILES)
    if upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        try:
            if upload.size > settings.ENROLLMENT_DOCUMENT_MAX_BYTES:  # refused before reading it
                raise ValidationError(too_large_message())
            services.enrollment_document_add(
                enrollment=enrollment,
                data=upload.read(),
                filename=upload.name,
                kind=upload_form.cleaned_data["kind"],
            )
        except ValidationError as error:
            upload_form.add_error("file", error)
        except services.EnrollmentRefused as error:
            upload_form.add_error(None, str(error))
        else:
            messages.success(request, _("Uploaded."))
            return redirect("enrollment:apply", token)
    form = EnrollmentApplyForm(instance=enrollment)
    return _apply_page(request, enrollment, token, form, upload_form, status=200)


@public
@require_POST
def apply_document_delete(request, token: str, document_pk: int):
    enrollment, refusal = _open_link(request, token)
    if refusal:
        return refusal
    document = enrollment.documents.filter(pk=document_pk).first()
    if document is None:
        return render(request, "enrollment/link_invalid.html", status=404)
    try:
        services.enrollment_document_remove(document=document)
    except services.EnrollmentRefused as error:
        messages.error(request, str(error))
    return redirect("enrollment:apply", token)
