"""The access suite's stranger versions (and reasons for rows with nothing of anyone's to name)
for the marketing app's rows; tests/security/test_access.py merges them into its tables.

Campaigns and email templates are school-wide: every sales manager and administrator reaches
the stranger's (strangers_marketing.py). A campaign's leads are not: the manager, whose scope
is the department, must not see the stranger's customer among a campaign's submissions, nor
fill a template preview with them, nor open the stranger consultant's mailing; the whole-school
scope (administrators, the superuser) reaches those."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketing.models import Campaign, CampaignLead
from tests.rbac.rows_marketing import _template
from tests.security.strangers import CHINESE_MARK
from tests.security.versions import ADMINS, Version

SCHOOL_WIDE = frozenset({"manager", "admin", "superuser"})


def extra_of(name: str, **options) -> Version:
    """A version naming the stranger's marketing object `name` in the URL."""
    return Version(
        kwargs=lambda world, stranger: {"pk": stranger.extra[name].pk}, names_object=True, **options
    )


def world_campaign_reaching_the_stranger(world, stranger) -> dict:
    """A campaign of the school whose form the stranger's customer sent."""
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="开放日",
        channel=world.source,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=1),
        budget=Decimal("100"),
        created_by=world.manager,
    )
    CampaignLead.objects.create(campaign=campaign, customer=stranger.customer, message=stranger.customer.note)
    return {"pk": campaign.pk}


def preview_with_the_strangers_customer(world, stranger) -> dict:
    return {"customer": stranger.customer.pk}


VERSIONS: dict[str, tuple[Version, ...]] = {
    "marketing:campaign-list": (Version(reach=SCHOOL_WIDE),),
    "marketing:campaign-detail": (
        extra_of("campaign", reach=SCHOOL_WIDE),
        Version(kwargs=world_campaign_reaching_the_stranger, reach=ADMINS),
    ),
    "marketing:campaign-update": (extra_of("campaign", reach=SCHOOL_WIDE),),
    "marketing:campaign-api-key": (extra_of("campaign", reach=SCHOOL_WIDE),),
    "marketing:campaign-report": (Version(reach=SCHOOL_WIDE),),
    "marketing:campaign-report[period]": (Version(reach=SCHOOL_WIDE),),
    "marketing:template-list": (Version(reach=SCHOOL_WIDE),),
    "marketing:template-update": (extra_of("template", reach=SCHOOL_WIDE),),
    "marketing:template-preview": (
        extra_of("template", reach=SCHOOL_WIDE),
        # The school's template filled with the stranger's customer: not found for the manager.
        Version(
            kwargs=lambda world, stranger: {"pk": _template(world).pk},
            query=preview_with_the_strangers_customer,
            reach=ADMINS,
            open_ok=404,
        ),
    ),
    "marketing:template-test-send": (extra_of("template", reach=SCHOOL_WIDE),),
    "marketing:mailing-list": (Version(reach=ADMINS),),
    # The page lists the school-wide templates and campaigns (the stranger's too, by design);
    # the recipients' count comes from the user's own scope (tests/marketing/test_mailing_views.py).
    "marketing:mailing-create": (
        Version(query=lambda world, stranger: {"segment": "customers", "q": CHINESE_MARK}, reach=SCHOOL_WIDE),
    ),
    "marketing:mailing-detail": (extra_of("mailing", reach=ADMINS),),
    "marketing:mailing-queue": (extra_of("mailing", reach=ADMINS),),
    "marketing:mailing-cancel": (extra_of("mailing", reach=ADMINS),),
}
NOTHING_TO_NAME: dict[str, str] = {
    "marketing:mailing-create[save]": "saves the user's own draft; a filter naming anyone outside the"
    " user's scope is refused (tests/marketing/test_mailing_views.py)",
    "marketing:campaign-create": "a blank campaign form",
    "marketing:campaign-create[save]": "creates a new school-wide campaign; names no one's data",
    "marketing:template-create": "a blank template form",
    "marketing:lead-form": "the public form of a campaign: its name and courses are public by design",
    "marketing:lead-form[send]": "a visitor's own submission; the answer never says whose customer it met",
    "marketing:lead-api": "the key is the credential; the answer says created or noted, never whose customer",
    "marketing:unsubscribe": "the signed token is its own credential and shows only the address it names",
    "marketing:unsubscribe[confirm]": "the signed token is its own credential and acts only on its address",
}
