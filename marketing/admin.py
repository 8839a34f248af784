from django.contrib import admin

from marketing.models import Campaign, CampaignLead, EmailTemplate, Mailing, MailingRecipient, Unsubscribe


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "starts_on", "ends_on", "budget", "is_active", "api_key_prefix"]
    list_filter = ["is_active", "channel"]
    readonly_fields = ["public_key", "api_key_prefix"]
    exclude = ["api_key_hash"]
    raw_id_fields = ["created_by"]


@admin.register(CampaignLead)
class CampaignLeadAdmin(admin.ModelAdmin):
    list_display = ["campaign", "customer", "is_duplicate", "created_at", "ip"]
    list_filter = ["is_duplicate"]
    list_select_related = ["campaign", "customer"]
    raw_id_fields = ["campaign", "customer"]


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "created_at"]
    raw_id_fields = ["created_by"]


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = [
        "template",
        "campaign",
        "segment",
        "status",
        "recipient_count",
        "sent_count",
        "failed_count",
    ]
    list_filter = ["status", "segment"]
    list_select_related = ["template", "campaign"]
    raw_id_fields = ["campaign", "template", "created_by"]


@admin.register(MailingRecipient)
class MailingRecipientAdmin(admin.ModelAdmin):
    list_display = ["email", "mailing", "status", "sent_at"]
    list_filter = ["status"]
    raw_id_fields = ["mailing", "customer", "student"]


@admin.register(Unsubscribe)
class UnsubscribeAdmin(admin.ModelAdmin):
    list_display = ["email", "at", "mailing"]
    search_fields = ["email"]
    raw_id_fields = ["mailing"]
