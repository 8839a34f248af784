"""The stranger's marketing objects (see strangers.py): built after the rest of the stranger, returned
by name into `stranger.extra`. Every text field carries the marker.

Campaigns and email templates are school-wide (every sales manager and administrator reaches
them by design); what must stay hidden is the stranger's customer behind a campaign's lead and
the stranger consultant's mailing with its recipients."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from marketing.models import Campaign, CampaignLead, EmailTemplate, Mailing, MailingRecipient

if TYPE_CHECKING:
    from tests.security.strangers import Stranger


def extend(world, stranger: Stranger) -> dict:
    from tests.security.strangers import marked

    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name=marked("Campaign"),
        channel=world.source,
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=3),
        budget=Decimal("800"),
        created_by=stranger.consultant,
    )
    CampaignLead.objects.create(
        campaign=campaign, customer=stranger.customer, is_duplicate=True, message=marked("LeadMessage")
    )
    template = EmailTemplate.objects.create(
        name=marked("Template"),
        subject=marked("Subject"),
        body=f"{marked('Body')} {{{{ name }}}}",
        created_by=stranger.consultant,
    )
    mailing = Mailing.objects.create(
        template=template,
        campaign=campaign,
        segment_query=f"consultant={stranger.consultant.pk}",
        created_by=stranger.consultant,
    )
    MailingRecipient.objects.create(
        mailing=mailing,
        customer=stranger.customer,
        email=stranger.customer.email,
        status=MailingRecipient.Status.FAILED,
        error=marked("SmtpError"),
    )
    return {"campaign": campaign, "template": template, "mailing": mailing}
