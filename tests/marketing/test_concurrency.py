"""Two identical web-form submissions at the same moment, with real threads on a shared database
(a file on SQLite, the test database on PostgreSQL): one customer, two submissions."""

from __future__ import annotations

import pytest

from crm.models import Customer, OwnershipEvent
from marketing.models import CampaignLead
from marketing.services import web_lead_submit
from tests.crm.test_concurrency import run_together
from tests.marketing.conftest import valid_form

pytestmark = pytest.mark.usefixtures("english")


def test_two_identical_submissions_at_once_make_one_customer(shared_db, world, campaign):
    forms = [valid_form(campaign, phone=phone) for phone in ("139 0013 9000", "+86-139-0013-9000")]

    outcomes = run_together(
        [lambda form=form: web_lead_submit(campaign=campaign, form=form, ip="198.51.100.7") for form in forms]
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)], outcomes
    assert sorted((outcome.created, outcome.duplicate) for outcome in outcomes) == [
        (False, True),
        (True, False),
    ]
    customer = Customer.objects.get(phone="+8613900139000")
    assert {outcome.customer.pk for outcome in outcomes} == {customer.pk}
    assert sorted(CampaignLead.objects.filter(customer=customer).values_list("is_duplicate", flat=True)) == [
        False,
        True,
    ]
    assert OwnershipEvent.objects.filter(customer=customer, kind=OwnershipEvent.Kind.CREATE).count() == 1
