"""Reads of marketing: the campaign a public form belongs to, lists, and the campaign report.

Report definitions (the same wherever the report is shown):
- **Leads**: people this campaign's form brought in as new customers (CampaignLead rows that
  created the customer); **duplicates**, separately: people the form met who were customers
  already. Each person counts once however often they sent the form.
- **Signed**: of the leads, those with an approved, live enrollment.
- **Revenue**: confirmed payments of the leads' enrollments, net of refunds, class transfers
  left out (reports.selectors.NET_AMOUNT, the monthly report's definition), whenever paid.
- **Cost per lead** = budget / leads, **cost per signing** = budget / signed (yuan, to the fen),
  **return on spend** = (revenue - budget) / budget (a ratio, 4 decimals); None where the
  divisor is 0 (shown as "—").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from crm.models import Customer
from crm.selectors import customers_visible_to
from enrollment.models import Enrollment, Payment
from marketing.models import Campaign, CampaignLead, EmailTemplate, Mailing, MailingRecipient, Unsubscribe
from rbac.models import Role
from rbac.selectors import data_scope_for
from reports.selectors import MONEY, NET_AMOUNT

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


def campaign_for_public_form(public_key: str) -> Campaign | None:
    """The campaign a public form names (active or not: the service says why it is closed)."""
    return Campaign.objects.filter(public_key=public_key).select_related("channel").first()


def campaigns_for_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("channel", "created_by")


def campaign_leads_for(campaign: Campaign) -> QuerySet[CampaignLead]:
    """A campaign's submissions, newest first, each with its customer's name and owner."""
    return campaign.leads.select_related("customer").only(
        "campaign_id", "is_duplicate", "message", "created_at", "customer__name", "customer__is_deleted"
    )


def customer_ids_visible_among(user, customer_ids) -> set[int]:
    """Which of `customer_ids` the user may see (one query a page): a campaign's leads are
    school-wide, the customers they reached are not."""
    return set(customers_visible_to(user).filter(pk__in=list(customer_ids)).values_list("pk", flat=True))


def templates_for_list() -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.select_related("created_by")


def preview_customer_for(user, pk: int | None = None) -> Customer | None:
    """The customer a template preview is filled with: the one asked for, within the user's
    scope (None: not theirs), else the newest customer they may see."""
    customers = customers_visible_to(user).select_related("consultant").prefetch_related("interested_courses")
    if pk is not None:
        return customers.filter(pk=pk).first()
    return customers.order_by("-pk").first()


def mailings_visible_to(user) -> QuerySet[Mailing]:
    """A mailing lists its recipients, the customers in its creator's data scope: it is its
    creator's, and everyone's whose data scope is the whole school."""
    mailings = Mailing.objects.all()
    if data_scope_for(user) != Role.DataScope.ALL:
        mailings = mailings.filter(created_by=user)
    return mailings


def mailings_for_list(user) -> QuerySet[Mailing]:
    return mailings_visible_to(user).select_related("template", "campaign", "created_by")


def mailing_recipients_for(mailing: Mailing) -> QuerySet[MailingRecipient]:
    """A mailing's recipients in id order, each with the customer's or student's name."""
    return mailing.recipients.select_related("customer", "student__customer").only(
        "mailing_id", "email", "status", "sent_at", "error", "customer__name", "student__customer__name"
    )


def mailing_status_counts(mailing: Mailing) -> dict[str, int]:
    """How many recipients have each status (every status present, 0 where none), one query."""
    counts = mailing.recipients.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in MailingRecipient.Status.values}
    )
    return counts


def is_unsubscribed(email: str) -> bool:
    return Unsubscribe.objects.filter(email=email.lower()).exists()


def campaigns_in_period(*, starts_on: datetime.date, ends_on: datetime.date) -> QuerySet[Campaign]:
    """Campaigns that ran on at least one day of the period."""
    return Campaign.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    leads: int
    duplicates: int
    signed: int
    revenue: Decimal

    @property
    def cost_per_lead(self) -> Decimal | None:
        return divide(self.campaign.budget, self.leads, CENT)

    @property
    def cost_per_signing(self) -> Decimal | None:
        return divide(self.campaign.budget, self.signed, CENT)

    @property
    def return_on_spend(self) -> Decimal | None:
        return divide(self.revenue - self.campaign.budget, self.campaign.budget, RATIO)


def divide(numerator: Decimal, divisor, places: Decimal) -> Decimal | None:
    if not divisor:
        return None
    return (Decimal(numerator) / Decimal(divisor)).quantize(places, rounding=ROUND_HALF_UP)


def campaign_report(*, campaigns: QuerySet[Campaign]) -> list[CampaignRow]:
    """One row per campaign of `campaigns` (e.g. `campaigns_in_period(...)`), in one query: each
    figure is a subquery per campaign, so the database does the counting."""
    new_leads = CampaignLead.objects.filter(campaign=OuterRef("pk"), is_duplicate=False)
    approved = Enrollment.objects.live().filter(
        customer=OuterRef("customer"), status=Enrollment.Status.APPROVED
    )
    revenue = (
        Payment.objects.filter(
            status=Payment.Status.CONFIRMED,
            enrollment__customer__in=CampaignLead.objects.filter(
                campaign=OuterRef(OuterRef("pk")), is_duplicate=False
            ).values("customer"),
        )
        .order_by()
        .annotate(group=Value(1, output_field=IntegerField()))
        .values("group")
        .annotate(total=Sum(NET_AMOUNT))
        .values("total")
    )
    rows = campaigns.select_related("channel").annotate(
        lead_count=_people(new_leads),
        duplicate_count=_people(
            CampaignLead.objects.filter(campaign=OuterRef("pk"), is_duplicate=True).exclude(
                customer__in=CampaignLead.objects.filter(
                    campaign=OuterRef(OuterRef("pk")), is_duplicate=False
                ).values("customer")
            )
        ),
        signed_count=_people(new_leads.filter(Exists(approved))),
        revenue_total=Coalesce(
            Subquery(revenue, output_field=MONEY), Value(Decimal("0")), output_field=MONEY
        ),
    )
    return [
        CampaignRow(
            campaign=row,
            leads=row.lead_count,
            duplicates=row.duplicate_count,
            signed=row.signed_count,
            revenue=row.revenue_total,
        )
        for row in rows.order_by("-starts_on", "-id")
    ]


def _people(leads: QuerySet[CampaignLead]):
    """How many customers `leads` (correlated to the campaign) name, each once. The default
    ordering is dropped: PostgreSQL refuses an ORDER BY column outside the GROUP BY."""
    counted = (
        leads.order_by()
        .annotate(group=Value(1, output_field=IntegerField()))
        .values("group")
        .annotate(people=Count("customer", distinct=True))
        .values("people")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
