from django.contrib import admin

from tickets.models import Ticket, TicketDeadline, TicketEvent


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["at", "kind", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: a ticket changes only through the workflow (tickets.services), which keeps its
    timeline and history."""

    list_display = ["pk", "title", "category", "priority", "status", "assignee", "queue", "created_at"]
    list_filter = ["status", "priority", "category"]
    list_select_related = ["category", "assignee", "queue"]
    search_fields = ["title"]
    inlines = [TicketEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TicketDeadline)
class TicketDeadlineAdmin(admin.ModelAdmin):
    list_display = ["category", "priority", "response_hours", "resolve_hours"]
    list_select_related = ["category"]
