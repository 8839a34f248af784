from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.templatetags.enrollment_tags import id_masked


class MaskedIdNumber:
    """The ID card number masked here too: the Django admin records nothing in the access log,
    so it shows no more than a consultant sees."""

    exclude = ["id_number"]
    readonly_fields = ["id_number_masked"]

    @admin.display(description=_("ID card number"))
    def id_number_masked(self, obj) -> str:
        return id_masked(obj.id_number)


@admin.register(Enrollment)
class EnrollmentAdmin(MaskedIdNumber, admin.ModelAdmin):
    list_display = ["customer", "class_list", "consultant", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["customer", "class_list__course", "class_list__campus", "consultant"]
    raw_id_fields = ["customer", "class_list", "consultant", "reviewed_by"]


@admin.register(EnrollmentDocument)
class EnrollmentDocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "enrollment", "kind", "size", "uploaded_at"]
    raw_id_fields = ["enrollment"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "kind", "amount", "status", "paid_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["enrollment", "consultant", "confirmed_by"]


@admin.register(Student)
class StudentAdmin(MaskedIdNumber, admin.ModelAdmin):
    list_display = ["customer", "user", "status", "created_at"]
    raw_id_fields = ["user", "customer"]
