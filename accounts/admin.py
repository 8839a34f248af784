from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Notification, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "department", "is_active", "awaiting_approval")
    list_filter = ("is_active", "awaiting_approval", "department", "is_superuser")
    search_fields = ("username", "display_name", "email", "phone")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("EduCRM"), {"fields": ("display_name", "phone", "department", "awaiting_approval")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    search_fields = ("name", "code")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "text", "created_at", "read_at")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
