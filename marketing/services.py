"""Writes of marketing: campaigns and their API keys, the public web-to-lead form (with its rate
limit), mass email (prepare, send in throttled batches, unsubscribe).

Every refusal is a `MarketingRefused` whose text is the message to show; nothing was written.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import QueryDict
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import VariableNode
from django.template.defaulttags import DebugNode
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.services import notification_send, site_gettext
from crm.filters import CustomerFilter
from crm.forms import CustomerCreateForm
from crm.models import Customer, DictItem, FollowUp
from crm.normalize import mask_phone
from crm.selectors import consultants_for, customers_visible_to, find_duplicate
from crm.services import DuplicateCustomer, customer_create, customers_allocate
from enrollment.selectors import students_visible_to
from marketing.filters import StudentSegmentFilter
from marketing.models import (
    Campaign,
    CampaignLead,
    EmailTemplate,
    Mailing,
    MailingRecipient,
    RateLimitCounter,
    Unsubscribe,
)

logger = logging.getLogger(__name__)

Recipient = MailingRecipient.Status
PREPARE_CHUNK = 1000
API_KEY_PREFIX_LENGTH = 8
WEB_FORM_CHANNEL_CODE = "web_form"
UNSUBSCRIBE_SALT = "marketing.unsubscribe"
# Where the next round mounts `marketing:unsubscribe`; the worker builds links without a request.
UNSUBSCRIBE_PATH = "/marketing/unsubscribe/{token}/"
# The only variables a template may use; each is a plain string, so a template cannot reach
# into any object (`{{ customer.consultant.password }}` has nothing to walk).
TEMPLATE_VARIABLES = ("name", "course", "consultant", "unsubscribe_url")
# Tags that would show the server's state or read files.
FORBIDDEN_NODES = (DebugNode, IncludeNode, ExtendsNode)
# Plain-text emails: what a customer typed as their name is sent as typed, not as `&lt;`.
TEXT_ENGINE = Engine(autoescape=False)
# Notifications to the consultant who gets a web lead, in the site language (site_gettext).
NEW_LEAD_NOTICE = gettext_noop(
    "New lead %(name)s (%(phone)s) from the campaign %(campaign)s was allocated to you."
)
MET_AGAIN_NOTICE = gettext_noop(
    "Your customer %(name)s (%(phone)s) sent the web form of the campaign %(campaign)s again. "
    "Follow them up soon."
)

# The follow-up note written for the owner when their customer sends the form again.
MET_AGAIN_NOTE = gettext_noop(
    "Sent the web form of the campaign %(campaign)s again. Course: %(course)s. Message: %(text)s"
)


class MarketingRefused(Exception):
    """The rules refuse this; `str(error)` is the message to show, and nothing was written."""


# --- Campaigns ------------------------------------------------------------------------------------
@transaction.atomic
def campaign_save(*, form, by: User) -> Campaign:
    """Create or edit a campaign from a validated ModelForm."""
    campaign = form.save(commit=False)
    if campaign.pk is None:
        campaign.created_by = by
    campaign.save()
    form.save_m2m()
    return campaign


def _key_digest(key: str) -> str:
    # The key is 256 random bits: a fast hash is as safe as a slow one and keeps the check quick.
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def campaign_api_key_rotate(*, campaign: Campaign, by: User) -> str:
    """A new API key for the school's website; the old one stops working. The key is returned
    once: only its digest and its first characters are stored."""
    key = f"ecm_{secrets.token_urlsafe(32)}"
    campaign.api_key_prefix, campaign.api_key_hash = key[:API_KEY_PREFIX_LENGTH], _key_digest(key)
    campaign.save(update_fields=["api_key_prefix", "api_key_hash"])
    logger.info("API key of campaign %s rotated by %s", campaign.pk, by.pk)
    return key


def campaign_api_key_matches(*, campaign: Campaign, key: str) -> bool:
    """Whether `key` is the campaign's API key, compared in constant time."""
    if not campaign.api_key_hash or not key:
        return False
    return secrets.compare_digest(_key_digest(key), campaign.api_key_hash)


# --- The web-to-lead form ---------------------------------------------------------------------
@dataclass(frozen=True)
class WebLeadOutcome:
    """What a submission did. `customer` is None when a bot was accepted without writing;
    `created` when the campaign entered a new customer, `duplicate` when it met an existing one;
    `owner_id` is who has the customer now (None: still in the pool)."""

    customer: Customer | None
    created: bool = False
    duplicate: bool = False
    owner_id: int | None = None


def web_lead_submit(
    *, campaign: Campaign, form, ip: str | None, now: datetime | None = None
) -> WebLeadOutcome:
    """Enter a lead from a validated WebLeadForm of `campaign`.

    A new person becomes a pool customer with the campaign's channel as source and is then
    auto-allocated by the allocation weights. A person who is already a live customer (same
    normalised phone or QQ) is not copied: see `_met_again`. A CampaignLead row records the
    submission either way. A filled honeypot is accepted without writing anything. Refused when
    the campaign is inactive or outside its dates.
    """
    now = now or timezone.now()
    if not campaign.runs_on(timezone.localdate(now)):
        raise MarketingRefused(gettext("This campaign is not running; the form is closed."))
    if form.is_bot:
        logger.info("Honeypot filled on campaign %s from %s", campaign.pk, ip)
        return WebLeadOutcome(customer=None)
    with transaction.atomic():
        data = form.cleaned_data
        existing = find_duplicate(phone=data["phone"], qq=data["qq"])
        if existing is None:
            try:
                customer = _lead_create(campaign, data, now)
            except DuplicateCustomer as duplicate:
                # The same person submitted at the same moment (or a consultant entered them):
                # the database constraint on live phones decided, and this submission joins them.
                existing = duplicate.existing
            else:
                owner_id = customers_allocate(customer_ids=[customer.pk]).get(customer.pk)
                if owner_id is not None:
                    _notify(owner_id, customer, campaign, NEW_LEAD_NOTICE)
                _record(campaign, customer, data, ip, now, is_duplicate=False)
                return WebLeadOutcome(customer=customer, created=True, owner_id=owner_id)
        owner_id = _met_again(campaign, existing, data, now)
        _record(campaign, existing, data, ip, now, is_duplicate=True)
        return WebLeadOutcome(customer=existing, duplicate=True, owner_id=owner_id)


def _lead_create(campaign: Campaign, data: dict, now: datetime) -> Customer:
    """A pool customer through crm's own form and service: the same validation, name keys,
    history and "entered" event as a customer typed in by a consultant."""
    course = data.get("course")
    customer_form = CustomerCreateForm(
        {
            "name": data["name"],
            "phone": data["phone"],
            "qq": data["qq"],
            "wechat": data["wechat"],
            "email": data["email"],
            "source": campaign.channel_id,
            "consulted_on": timezone.localdate(now).isoformat(),
            "interested_courses": [course.pk] if course else [],
            "note": data["message"],
            "to_pool": "on",
        }
    )
    if not customer_form.is_valid():
        if customer_form.duplicate is not None:
            raise DuplicateCustomer(customer_form.duplicate)
        logger.warning(
            "Web lead of campaign %s refused by the customer form: %s",
            campaign.pk,
            customer_form.errors.as_json(),
        )
        raise MarketingRefused(gettext("The form could not be accepted; please call the school."))
    return customer_create(form=customer_form, by=None, to_pool=True)


def _met_again(campaign: Campaign, customer: Customer, data: dict, now: datetime) -> int | None:
    """An existing customer sent the form: their owner gets a note in the customer's follow-ups
    and a notification. A customer in the pool is first auto-allocated (they asked to be
    contacted, so someone should call), and the new owner gets the note. Left in the pool (no
    weights, every cap reached) there is nobody to write a follow-up for (a follow-up needs a
    consultant): the message stays on the CampaignLead row.

    The note does not move the customer's last follow-up: nobody has contacted them, and the
    pool's "no follow-up for N days" rule must not be reset by the customer's own form."""
    owner_id = customer.consultant_id
    if owner_id is None:
        owner_id = customers_allocate(customer_ids=[customer.pk]).get(customer.pk)
        if owner_id is None:
            return None
    content = site_gettext(
        MET_AGAIN_NOTE,
        campaign=campaign.name,
        course=data.get("course") or "-",
        text=data.get("message") or "-",
    )
    FollowUp.objects.create(
        customer=customer, consultant_id=owner_id, channel=_web_form_channel(), content=content, at=now
    )
    _notify(owner_id, customer, campaign, MET_AGAIN_NOTICE)
    return owner_id


def _web_form_channel() -> DictItem:
    """The follow-up channel "web form", made on first use (admins may rename it)."""
    channel, _created = DictItem.objects.get_or_create(
        kind=DictItem.Kind.FOLLOW_UP_CHANNEL,
        code=WEB_FORM_CHANNEL_CODE,
        defaults={"label": site_gettext(gettext_noop("Web form")), "order": 99},
    )
    return channel


def _notify(owner_id: int, customer: Customer, campaign: Campaign, message: str) -> None:
    owner = User.objects.get(pk=owner_id)
    text = site_gettext(
        message, name=customer.name, phone=mask_phone(customer.phone) or customer.qq, campaign=campaign.name
    )
    notification_send(recipient=owner, text=text, link=reverse("crm:customer-detail", args=[customer.pk]))


def _record(
    campaign: Campaign, customer: Customer, data: dict, ip: str | None, now: datetime, *, is_duplicate: bool
) -> None:
    CampaignLead.objects.create(
        campaign=campaign,
        customer=customer,
        is_duplicate=is_duplicate,
        message=data.get("message", ""),
        ip=ip,
        created_at=now,
    )


# --- Rate limit -------------------------------------------------------------------------------
@transaction.atomic
def web_lead_rate_limited(*, campaign: Campaign, ip: str | None, now: datetime | None = None) -> bool:
    """Count one submission and say whether it is over a limit: per IP address (across
    campaigns; an IPv6 address counts for its /64, which one subscriber holds whole) and per
    campaign, each at most N per fixed window (settings.MARKETING_WEB_LEAD_*). A submission
    refused by the IP limit does not count against the campaign, so one sender cannot close the
    form for everyone. Counted in the database, correct across processes."""
    now = now or timezone.now()
    window = settings.MARKETING_WEB_LEAD_WINDOW_SECONDS
    RateLimitCounter.objects.filter(expires_at__lte=now).delete()
    if _hit(f"ip:{_ip_key(ip)}", now, window) > settings.MARKETING_WEB_LEAD_LIMIT_PER_IP:
        return True
    return _hit(f"campaign:{campaign.pk}", now, window) > settings.MARKETING_WEB_LEAD_LIMIT_PER_CAMPAIGN


def _ip_key(ip: str | None) -> str:
    if not ip:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _hit(key: str, now: datetime, window: int) -> int:
    """Add one hit to `key` in the window holding `now`; the hits so far, this one included. The
    increment is one UPDATE in the database, so concurrent hits are never lost."""
    start = datetime.fromtimestamp(int(now.timestamp()) // window * window, tz=UTC)
    RateLimitCounter.objects.bulk_create(
        [RateLimitCounter(key=key, window_start=start, expires_at=start + timedelta(seconds=window))],
        ignore_conflicts=True,
    )
    counter = RateLimitCounter.objects.filter(key=key, window_start=start)
    counter.update(hits=F("hits") + 1)
    return counter.values_list("hits", flat=True).get()


# --- Email templates ----------------------------------------------------------------------------
def template_compile(text: str) -> Template:
    """The compiled template, or MarketingRefused naming what is wrong: a syntax error, a tag
    that is not allowed, or a variable other than TEMPLATE_VARIABLES."""
    try:
        template = TEXT_ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise MarketingRefused(gettext("The template has an error: %(error)s") % {"error": error}) from error
    for node_type in FORBIDDEN_NODES:
        if template.nodelist.get_nodes_by_type(node_type):
            raise MarketingRefused(gettext("This tag is not allowed in an email template."))
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        variable = node.filter_expression.var
        name = getattr(variable, "var", None)
        if name is not None and name.split(".")[0] not in TEMPLATE_VARIABLES:
            raise MarketingRefused(
                gettext("Unknown variable {{ %(name)s }}. Use: %(variables)s.")
                % {"name": name, "variables": ", ".join(f"{{{{ {v} }}}}" for v in TEMPLATE_VARIABLES)}
            )
    return template


def _render(template: Template, values: dict[str, str]) -> str:
    return template.render(Context(values, autoescape=False))


def unsubscribe_token(*, email: str, mailing: Mailing | None = None) -> str:
    """A signed token naming the address (and the mailing, to record where it came from). It
    never expires: an unsubscribe link in an old email must still work."""
    return signing.dumps(
        [email.lower(), mailing.pk if mailing else None], salt=UNSUBSCRIBE_SALT, compress=True
    )


def unsubscribe_url(*, base_url: str, email: str, mailing: Mailing | None = None) -> str:
    token = unsubscribe_token(email=email, mailing=mailing)
    return base_url.rstrip("/") + UNSUBSCRIBE_PATH.format(token=token)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


def email_render(*, template: EmailTemplate, values: dict[str, str], unsubscribe_link: str) -> RenderedEmail:
    """Subject and text for one recipient; the unsubscribe link is appended when the text does
    not place it itself, so no mass email goes out without one."""
    return _render_with(
        template_compile(template.subject), template_compile(template.body), values, unsubscribe_link
    )


def _render_with(
    subject: Template, body: Template, values: dict[str, str], unsubscribe_link: str
) -> RenderedEmail:
    context = {**values, "unsubscribe_url": unsubscribe_link}
    text = _render(body, context)
    if unsubscribe_link not in text:
        text = f"{text.rstrip()}\n\n{gettext('Unsubscribe')}: {unsubscribe_link}\n"
    # A header must be one line.
    subject_text = " ".join(_render(subject, context).split())
    return RenderedEmail(subject=subject_text, body=text)


def _customer_values(customer: Customer, courses: str = "") -> dict[str, str]:
    consultant = customer.consultant
    return {
        "name": customer.name,
        "course": courses or "、".join(course.name for course in customer.interested_courses.all()),
        "consultant": str(consultant) if consultant else "",
    }


def mailing_preview(*, template: EmailTemplate, customer: Customer, base_url: str = "") -> RenderedEmail:
    """How the email reads for `customer` (the link shown is a real unsubscribe link)."""
    link = unsubscribe_url(base_url=base_url, email=customer.email or "preview@example.invalid")
    return email_render(template=template, values=_customer_values(customer), unsubscribe_link=link)


def mailing_test_send(*, template: EmailTemplate, to_email: str, by: User, base_url: str) -> RenderedEmail:
    """Send the template once to `to_email`, filled with the sender's own name, marked as a
    test. A refused send is a MarketingRefused with the server's error."""
    link = unsubscribe_url(base_url=base_url, email=to_email)
    values = {"name": str(by), "course": "", "consultant": str(by)}
    email = email_render(template=template, values=values, unsubscribe_link=link)
    subject = gettext("[Test] %(subject)s") % {"subject": email.subject}
    try:
        EmailMessage(subject=subject, body=email.body, to=[to_email]).send()
    except (smtplib.SMTPException, OSError) as error:
        raise MarketingRefused(
            gettext("The email could not be sent: %(error)s") % {"error": error}
        ) from error
    return email


# --- Mailings -----------------------------------------------------------------------------------
def mailing_segment(*, mailing: Mailing) -> QuerySet:
    """The customers or students (within the creator's data scope) the mailing's filter finds.
    A filter that does not validate is refused, never ignored: an ignored filter would mail
    everyone."""
    query = QueryDict(mailing.segment_query)
    if mailing.segment == Mailing.Segment.STUDENTS:
        filterset = StudentSegmentFilter(query, queryset=students_visible_to(mailing.created_by))
    else:
        filterset = CustomerFilter(
            query,
            queryset=customers_visible_to(mailing.created_by),
            consultants=consultants_for(mailing.created_by),
        )
    if not filterset.is_valid():
        raise MarketingRefused(
            gettext("The recipients' filter is not valid: %(errors)s")
            % {"errors": filterset.errors.as_text()}
        )
    return filterset.qs


def segment_query_of(query: QueryDict, segment: str) -> str:
    """The part of a request's query string that is the segment's filter (the customer list's
    or the student filter's fields, without paging or ordering), to store on the mailing."""
    filter_class = StudentSegmentFilter if segment == Mailing.Segment.STUDENTS else CustomerFilter
    names = set(filter_class.base_filters) - {"o"}
    kept = QueryDict(mutable=True)
    for name in sorted(names & set(query)):
        values = [value for value in query.getlist(name) if value]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


@transaction.atomic
def mailing_create(
    *, template: EmailTemplate, campaign: Campaign | None, segment: str, segment_query: str, by: User
) -> Mailing:
    """A draft mailing of `template` to the segment; refused (nothing written) when the filter
    does not validate, so a draft never stands for "everyone"."""
    mailing = Mailing(
        template=template, campaign=campaign, segment=segment, segment_query=segment_query, created_by=by
    )
    mailing_segment(mailing=mailing)
    mailing.save()
    return mailing


@transaction.atomic
def mailing_queue(*, mailing: Mailing, base_url: str) -> None:
    """Hand a draft to the worker; `base_url` is the site's address (the request's), for links."""
    queued = Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.DRAFT).update(
        status=Mailing.Status.QUEUED, base_url=base_url
    )
    if not queued:
        raise MarketingRefused(gettext("Only a draft can be sent."))
    mailing.status, mailing.base_url = Mailing.Status.QUEUED, base_url
    # Imported here: the task module imports this one.
    from marketing.tasks import mailing_run

    transaction.on_commit(lambda: mailing_run.enqueue(mailing.pk))


@transaction.atomic
def mailing_cancel(*, mailing: Mailing) -> None:
    """Stop a mailing that has not finished; what was sent stays sent."""
    cancelled = Mailing.objects.filter(
        pk=mailing.pk, status__in=[Mailing.Status.DRAFT, Mailing.Status.QUEUED, Mailing.Status.SENDING]
    ).update(status=Mailing.Status.CANCELLED, finished_at=timezone.now())
    if not cancelled:
        raise MarketingRefused(gettext("This mailing has finished already."))
    mailing.status = Mailing.Status.CANCELLED


@transaction.atomic
def mailing_prepare(*, mailing: Mailing) -> int:
    """Write one recipient row per address of the segment, reading it in chunks of
    PREPARE_CHUNK (never the whole segment at once): one row per lower-cased address (two
    customers sharing one are mailed once), skipped rows for those without an address and for
    unsubscribed addresses. The mailing then waits for its batches. Returns the rows written.
    Only a queued mailing is prepared, so a retried task does not write the rows twice."""
    prepared = Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.QUEUED).update(
        status=Mailing.Status.SENDING
    )
    if not prepared:
        raise MarketingRefused(gettext("Only a queued mailing can be prepared."))
    mailing.status = Mailing.Status.SENDING
    segment = mailing_segment(mailing=mailing)
    owner = "student" if mailing.segment == Mailing.Segment.STUDENTS else "customer"
    email = Lower("user__email") if owner == "student" else Lower("email")
    rows = segment.order_by("pk").values_list("pk", email).distinct().iterator(chunk_size=PREPARE_CHUNK)
    chunk: list[tuple[int, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == PREPARE_CHUNK:
            _write_recipients(mailing, owner, chunk)
            chunk = []
    if chunk:
        _write_recipients(mailing, owner, chunk)
    return _count_recipients(mailing)


def _write_recipients(mailing: Mailing, owner: str, chunk: list[tuple[int, str]]) -> None:
    unsubscribed = set(
        Unsubscribe.objects.filter(email__in={email for _pk, email in chunk if email}).values_list(
            "email", flat=True
        )
    )

    def status(email: str) -> str:
        if not email:
            return Recipient.SKIPPED_NO_EMAIL
        return Recipient.SKIPPED_UNSUBSCRIBED if email in unsubscribed else Recipient.PENDING

    MailingRecipient.objects.bulk_create(
        (
            MailingRecipient(
                mailing=mailing, email=email or "", status=status(email or ""), **{f"{owner}_id": pk}
            )
            for pk, email in chunk
        ),
        ignore_conflicts=True,
    )


def _count_recipients(mailing: Mailing) -> int:
    counts = MailingRecipient.objects.filter(mailing=mailing).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=Recipient.SENT)),
        failed=Count("pk", filter=Q(status=Recipient.FAILED)),
        skipped=Count(
            "pk", filter=Q(status__in=[Recipient.SKIPPED_NO_EMAIL, Recipient.SKIPPED_UNSUBSCRIBED])
        ),
    )
    mailing.recipient_count, mailing.sent_count = counts["total"], counts["sent"]
    mailing.failed_count, mailing.skipped_count = counts["failed"], counts["skipped"]
    mailing.save(update_fields=["recipient_count", "sent_count", "failed_count", "skipped_count"])
    return counts["total"]


def mailing_send_batch(*, mailing: Mailing, limit: int, now: datetime | None = None) -> int:
    """Send to at most `limit` waiting recipients (in id order) and return how many were
    handled; 0 when the mailing is not sending (cancelled, finished). Each address is checked
    against Unsubscribe again now, so an unsubscribe that arrived during the mailing is
    honoured. A refused send marks that recipient failed with the server's error and the batch
    goes on. The mailing is done when nobody is waiting."""
    now = now or timezone.now()
    mailing.refresh_from_db(fields=["status"])
    if mailing.status != Mailing.Status.SENDING:
        return 0
    batch = list(
        MailingRecipient.objects.filter(mailing=mailing, status=Recipient.PENDING)
        .select_related("customer__consultant", "student__customer__consultant")
        .prefetch_related("customer__interested_courses", "student__classes__course")
        .order_by("id")[:limit]
    )
    unsubscribed = set(
        Unsubscribe.objects.filter(email__in=[r.email for r in batch]).values_list("email", flat=True)
    )
    template = mailing.template
    subject, body = template_compile(template.subject), template_compile(template.body)
    connection = get_connection()
    for recipient in batch:
        if recipient.email in unsubscribed:
            recipient.status = Recipient.SKIPPED_UNSUBSCRIBED
            continue
        link = unsubscribe_url(base_url=mailing.base_url, email=recipient.email, mailing=mailing)
        email = _render_with(subject, body, _recipient_values(recipient), link)
        message = EmailMessage(
            subject=email.subject, body=email.body, to=[recipient.email], connection=connection
        )
        message.extra_headers["List-Unsubscribe"] = f"<{link}>"
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            recipient.status, recipient.error = Recipient.FAILED, str(error)[:1000]
            connection.close()
        else:
            recipient.status, recipient.sent_at = Recipient.SENT, timezone.now()
    connection.close()
    with transaction.atomic():
        MailingRecipient.objects.bulk_update(batch, ["status", "sent_at", "error"])
        _count_recipients(mailing)
        if not MailingRecipient.objects.filter(mailing=mailing, status=Recipient.PENDING).exists():
            Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SENDING).update(
                status=Mailing.Status.DONE, finished_at=now
            )
            mailing.refresh_from_db(fields=["status", "finished_at"])
    return len(batch)


def _recipient_values(recipient: MailingRecipient) -> dict[str, str]:
    if recipient.student is not None:
        courses = "、".join(sorted({item.course.name for item in recipient.student.classes.all()}))
        return _customer_values(recipient.student.customer, courses)
    return _customer_values(recipient.customer)


def _unsubscribe_payload(token: str) -> tuple[str, int | None] | None:
    try:
        email, mailing_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return email, mailing_id


def unsubscribe_email(*, token: str) -> str | None:
    """The address a token names (None: not a token of ours), without unsubscribing it."""
    payload = _unsubscribe_payload(token)
    return payload[0] if payload else None


@transaction.atomic
def unsubscribe(*, token: str) -> str:
    """Record the token's address as unsubscribed and return it. Idempotent: the same link used
    twice keeps the first record. A token that is not ours is refused."""
    payload = _unsubscribe_payload(token)
    if payload is None:
        raise MarketingRefused(
            gettext("This unsubscribe link is not valid. Please use the link in the email.")
        )
    email, mailing_id = payload
    Unsubscribe.objects.bulk_create(
        [
            Unsubscribe(
                email=email,
                mailing_id=Mailing.objects.filter(pk=mailing_id).values_list("pk", flat=True).first(),
            )
        ],
        ignore_conflicts=True,
    )
    return email
