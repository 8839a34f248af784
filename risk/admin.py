from django.contrib import admin

from risk.models import RiskPolicy, RiskTicket


@admin.register(RiskPolicy)
class RiskPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "absence_streak", "homework_streak", "falling_scores", "auto_ticket"]


@admin.register(RiskTicket)
class RiskTicketAdmin(admin.ModelAdmin):
    list_display = ["kind", "student", "class_list", "occurrence", "ticket", "created_at"]
    list_select_related = ["student__customer", "class_list__course", "class_list__campus"]
    raw_id_fields = ["student", "class_list", "ticket", "opened_by"]
