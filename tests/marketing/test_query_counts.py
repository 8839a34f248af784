"""Query counts of the marketing lists (DESIGN.md 7.4): pinned for the sales manager, and flat
however many rows a page shows or how large the page is."""

from __future__ import annotations

from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from marketing.models import Campaign, CampaignLead, EmailTemplate, Mailing, MailingRecipient
from tests.conftest import make_client

serial = count(1)


def add_campaigns(world, campaign, n):
    today = timezone.localdate()
    Campaign.objects.bulk_create(
        Campaign(
            name=f"活动{i}",
            channel=world.source,
            starts_on=today,
            ends_on=today,
            created_by=world.manager,
            public_key=f"key-{i}",
        )
        for i in (next(serial) for _ in range(n))
    )


def add_leads(world, campaign, n):
    """Leads on customers in and out of the manager's scope."""
    today = timezone.localdate()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"网友{i}",
            source=world.source,
            consulted_on=today,
            consultant=world.sales if i % 2 else world.admin,
        )
        for i in (next(serial) for _ in range(n))
    )
    CampaignLead.objects.bulk_create(
        CampaignLead(campaign=campaign, customer=customer) for customer in customers
    )


def add_templates(world, campaign, n):
    EmailTemplate.objects.bulk_create(
        EmailTemplate(name=f"模板{i}", subject="主题", body="正文", created_by=world.manager)
        for i in (next(serial) for _ in range(n))
    )


def _template(world) -> EmailTemplate:
    return EmailTemplate.objects.get_or_create(
        name="模板", defaults={"subject": "s", "body": "b", "created_by": world.manager}
    )[0]


def add_mailings(world, campaign, n):
    Mailing.objects.bulk_create(
        Mailing(template=_template(world), campaign=campaign, created_by=world.manager) for _ in range(n)
    )


def the_mailing(world) -> Mailing:
    return Mailing.objects.get_or_create(template=_template(world), created_by=world.manager, status="done")[
        0
    ]


def add_recipients(world, campaign, n):
    today = timezone.localdate()
    customers = Customer.objects.bulk_create(
        Customer(name=f"收件人{i}", source=world.source, consulted_on=today, consultant=world.sales)
        for i in (next(serial) for _ in range(n))
    )
    MailingRecipient.objects.bulk_create(
        MailingRecipient(
            mailing=the_mailing(world), customer=customer, email=f"r{customer.pk}@example.test", status="sent"
        )
        for customer in customers
    )


# url name -> (queries, rows builder, URL arguments). The common part of every page is 4 (the
# session, the user, their roles and entries, the unread notifications); campaign-detail adds the
# campaign with its courses, its figures (one query), the page's count and rows, and which of the
# page's customers the user may see; mailing-detail the mailing, the counts by status (one
# query), the page's count and rows.
PAGES = {
    "marketing:campaign-list": (6, add_campaigns, lambda world, campaign: []),
    "marketing:campaign-detail": (10, add_leads, lambda world, campaign: [campaign.pk]),
    "marketing:template-list": (6, add_templates, lambda world, campaign: []),
    "marketing:mailing-list": (6, add_mailings, lambda world, campaign: []),
    "marketing:mailing-detail": (8, add_recipients, lambda world, campaign: [the_mailing(world).pk]),
}


@pytest.mark.parametrize("url_name", PAGES)
def test_list_page_query_count_is_pinned_and_flat(world, campaign, django_assert_num_queries, url_name):
    expected, add_rows, args = PAGES[url_name]
    client = make_client(world.manager)
    add_rows(world, campaign, 3)
    url = reverse(url_name, args=args(world, campaign))
    assert client.get(url).status_code == 200  # warm-up

    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200

    add_rows(world, campaign, 45)
    for query in ("", "?size=20", "?size=50", "?page=2"):
        with django_assert_num_queries(expected):
            response = client.get(url + query)
        assert response.status_code == 200
    assert len(response.context["page_obj"]) == 20  # the second page of 20 is full
