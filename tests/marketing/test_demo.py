"""The demo marketing data: every page has something to show, and a second run adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from crm.models import FollowUp
from marketing.demo import seed_marketing
from marketing.models import Campaign, CampaignLead, EmailTemplate, Mailing, MailingRecipient, Unsubscribe
from marketing.selectors import campaign_report

MODELS = (Campaign, CampaignLead, EmailTemplate, Mailing, MailingRecipient, Unsubscribe, FollowUp)


@pytest.mark.django_db
def test_the_demo_fills_every_page_and_runs_twice_to_the_same_counts(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("seeddemo", stdout=StringIO())
    seed_marketing()
    counts = {model.__name__: model.objects.count() for model in MODELS}
    assert counts["Campaign"] == 3 and counts["EmailTemplate"] == 1 and counts["Mailing"] == 2
    assert CampaignLead.objects.filter(is_duplicate=True).exists()
    sent = Mailing.objects.get(status=Mailing.Status.DONE)
    statuses = set(sent.recipients.values_list("status", flat=True))
    assert {MailingRecipient.Status.SENT, MailingRecipient.Status.SKIPPED_UNSUBSCRIBED} <= statuses
    assert Mailing.objects.filter(status=Mailing.Status.DRAFT).count() == 1
    rows = campaign_report(campaigns=Campaign.objects.all())
    assert sum(row.leads for row in rows) == 5
    assert sum(row.signed for row in rows) == 1 and sum(row.revenue for row in rows) > 0

    seed_marketing()
    assert {model.__name__: model.objects.count() for model in MODELS} == counts
