"""The role x URL matrix's rows for the marketing app (added to EXPECTED in test_url_matrix.py).

Sales managers and administrators hold every staff page. Campaigns and templates are
school-wide; a mailing is its creator's (and the whole-school scope's), so the builders make it
the requesting user's. The web form, its API and the unsubscribe link are public: the API
without a key answers 401, an unsubscribe POST records the token's address."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketing.models import Campaign, EmailTemplate, Mailing
from marketing.services import unsubscribe_token
from tests.rbac.matrix import ADMIN, MANAGER, PUBLIC, Case, post

MARKETERS = MANAGER | ADMIN


def _campaign(world) -> Campaign:
    existing = Campaign.objects.filter(name="春季招生").first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="春季招生",
        channel=world.source,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=5),
        budget=Decimal("1000"),
        created_by=world.manager,
    )
    campaign.target_courses.add(world.python)
    return campaign


def _template(world) -> EmailTemplate:
    return EmailTemplate.objects.get_or_create(
        name="开课通知",
        defaults={"subject": "{{ name }}，新班开课", "body": "您好 {{ name }}", "created_by": world.manager},
    )[0]


def campaign(world, user):
    return {"pk": _campaign(world).pk}


def public_key(world, user):
    return {"public_key": _campaign(world).public_key}


def email_template(world, user):
    return {"pk": _template(world).pk}


def own_draft(world, user):
    """A draft mailing of the user's own (to the customers with status "not signed")."""
    mailing = Mailing.objects.create(
        template=_template(world), segment_query="status=unsigned", created_by=user or world.manager
    )
    return {"pk": mailing.pk}


def mailing_draft(world) -> dict:
    return {"template": _template(world).pk, "segment": "customers", "segment_query": "status=unsigned"}


def lead(world) -> dict:
    return {"name": "网友甲", "phone": "139 0013 9000", "message": "想了解一下"}


def token(world, user):
    return {"token": unsubscribe_token(email="reader@example.test")}


ROWS: list[Case] = [
    Case("marketing:campaign-list", MARKETERS),
    Case("marketing:campaign-create", MARKETERS),
    post(
        "marketing:campaign-create",
        MARKETERS,
        data=lambda world: {
            "name": "暑期班推广",
            "channel": world.source.pk,
            "starts_on": "2026-07-01",
            "ends_on": "2026-08-31",
            "budget": "5000",
            "target_courses": [world.python.pk],
            "is_active": "on",
        },
        variant="save",
    ),
    Case("marketing:campaign-detail", MARKETERS, kwargs=campaign),
    Case("marketing:campaign-update", MARKETERS, kwargs=campaign),
    post("marketing:campaign-api-key", MARKETERS, kwargs=campaign),
    Case("marketing:campaign-report", MARKETERS),
    Case(
        "marketing:campaign-report",
        MARKETERS,
        query="starts_on=2026-01-01&ends_on=2026-12-31",
        variant="period",
    ),
    Case("marketing:template-list", MARKETERS),
    Case("marketing:template-create", MARKETERS),
    Case("marketing:template-update", MARKETERS, kwargs=email_template),
    Case("marketing:template-preview", MARKETERS, kwargs=email_template),
    post("marketing:template-test-send", MARKETERS, kwargs=email_template),
    Case("marketing:mailing-list", MARKETERS),
    Case("marketing:mailing-create", MARKETERS, query="segment=customers&status=unsigned"),
    post("marketing:mailing-create", MARKETERS, data=mailing_draft, variant="save"),
    Case("marketing:mailing-detail", MARKETERS, kwargs=own_draft),
    post("marketing:mailing-queue", MARKETERS, kwargs=own_draft),
    post("marketing:mailing-cancel", MARKETERS, kwargs=own_draft),
    # Public: the form page, a submission (then the thank-you page), the API without a key.
    Case("marketing:lead-form", PUBLIC, kwargs=public_key),
    post("marketing:lead-form", PUBLIC, kwargs=public_key, data=lead, anonymous=302, variant="send"),
    post("marketing:lead-api", PUBLIC, kwargs=public_key, data=lead, ok=401, anonymous=401),
    Case("marketing:unsubscribe", PUBLIC, kwargs=token),
    post("marketing:unsubscribe", PUBLIC, kwargs=token, anonymous=302, variant="confirm"),
]
