"""Marketing: campaigns with their public web-to-lead form and API, the campaign report, email
templates and mass email. Staff pages are the sales managers' and administrators'; the web form,
its API and the unsubscribe link are public (each is its own credential or needs none)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.access import public
from common.http import client_ip
from common.lists import attach_row_urls, filtered_page, simple_page
from common.views import form_page
from crm.filters import CustomerFilter
from crm.selectors import consultants_for, customers_visible_to
from enrollment.selectors import students_visible_to
from marketing import selectors, services
from marketing.filters import RecipientFilter, StudentSegmentFilter
from marketing.forms import CampaignForm, EmailTemplateForm, MailingForm, ReportPeriodForm, WebLeadForm
from marketing.models import Campaign, EmailTemplate, Mailing
from marketing.selectors import CampaignRow

# The code a school pastes into its own page (shown as text: the page escapes it once more).
SNIPPET = '<iframe src="{src}" width="100%" height="720" style="border:0" title="{title}"></iframe>'


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


# --- Campaigns --------------------------------------------------------------------------------
def _state(campaign: Campaign, today: datetime.date) -> tuple[str, str]:
    """The campaign's state as a badge: its text and Bootstrap classes."""
    if not campaign.is_active:
        return _("Inactive"), "text-bg-secondary"
    if campaign.ends_on < today:
        return _("Ended"), "text-bg-light border"
    if campaign.starts_on > today:
        return _("Not started"), "text-bg-info"
    return _("Running"), "text-bg-success"


def campaign_list(request):
    page = simple_page(request, selectors.campaigns_for_list())
    attach_row_urls(page, detail="marketing:campaign-detail", edit="marketing:campaign-update")
    today = timezone.localdate()
    for campaign in page:
        campaign.state = _state(campaign, today)
    context = {"page_obj": page, "object_list": page.object_list, "title": _("Campaigns")}
    return render(request, "marketing/campaign_list.html", context)


def campaign_create(request):
    return form_page(
        request,
        form=CampaignForm(request.POST or None),
        title=_("New campaign"),
        save=lambda form: services.campaign_save(form=form, by=request.user),
        success_url=lambda campaign: reverse("marketing:campaign-detail", args=[campaign.pk]),
        cancel_url=reverse("marketing:campaign-list"),
    )


def campaign_update(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    url = reverse("marketing:campaign-detail", args=[pk])
    return form_page(
        request,
        form=CampaignForm(request.POST or None, instance=campaign),
        title=_("Edit campaign “%(name)s”") % {"name": campaign},
        save=lambda form: services.campaign_save(form=form, by=request.user),
        success_url=url,
        cancel_url=url,
    )


def campaign_detail(request, pk: int):
    """The campaign's figures, its leads (a customer the user may not see is not named), the
    snippet that embeds its form and how the school's website calls the API."""
    campaign = get_object_or_404(selectors.campaigns_for_list().prefetch_related("target_courses"), pk=pk)
    campaign.state = _state(campaign, timezone.localdate())
    row = selectors.campaign_report(campaigns=Campaign.objects.filter(pk=campaign.pk))[0]
    leads = simple_page(request, selectors.campaign_leads_for(campaign))
    visible = selectors.customer_ids_visible_among(request.user, {lead.customer_id for lead in leads})
    for lead in leads:
        lead.visible = lead.customer_id in visible
    form_url = request.build_absolute_uri(reverse("marketing:lead-form", args=[campaign.public_key]))
    context = {
        "campaign": campaign,
        "row": row,
        "page_obj": leads,
        "leads": leads.object_list,
        "form_url": form_url,
        "api_url": request.build_absolute_uri(reverse("marketing:lead-api", args=[campaign.public_key])),
        "snippet": SNIPPET.format(src=escape(form_url), title=escape(campaign.name)),
        "new_key": _new_key(request, campaign),
        "runs_today": campaign.runs_on(timezone.localdate()),
        "title": campaign.name,
    }
    response = render(request, "marketing/campaign_detail.html", context)
    if context["new_key"] is not None:
        response.delete_cookie(NEW_KEY_COOKIE, path=request.path)
    return response


# The new API key travels to the detail page in a short-lived signed cookie limited to that page,
# never through the session or any other server-side store: the server keeps only its digest.
NEW_KEY_COOKIE = "marketing_new_api_key"
NEW_KEY_SALT = "marketing.new_api_key"
NEW_KEY_SECONDS = 300


def _new_key(request, campaign: Campaign) -> str | None:
    """The key just issued, once, if the cookie holds this campaign's current key."""
    key = request.get_signed_cookie(NEW_KEY_COOKIE, default=None, salt=NEW_KEY_SALT, max_age=NEW_KEY_SECONDS)
    return key if key and services.campaign_api_key_matches(campaign=campaign, key=key) else None


@require_POST
def campaign_api_key(request, pk: int):
    """A new API key; the detail page shows it once."""
    campaign = get_object_or_404(Campaign, pk=pk)
    key = services.campaign_api_key_rotate(campaign=campaign, by=request.user)
    messages.success(request, _("A new API key was issued; the previous one no longer works."))
    response = redirect("marketing:campaign-detail", pk)
    response.set_signed_cookie(
        NEW_KEY_COOKIE,
        key,
        salt=NEW_KEY_SALT,
        max_age=NEW_KEY_SECONDS,
        path=response["Location"],
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def _default_period() -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    return today.replace(month=1, day=1), today.replace(month=12, day=31)


def campaign_report(request):
    """Every campaign that ran in the period, with its figures and the totals."""
    starts_on, ends_on = _default_period()
    form = ReportPeriodForm(request.GET or None, initial={"starts_on": starts_on, "ends_on": ends_on})
    rows: list[CampaignRow] = []
    if form.is_bound and not form.is_valid():
        messages.error(request, _("The report was not made: correct the period below."))
    else:
        if form.is_bound:
            starts_on, ends_on = form.cleaned_data["starts_on"], form.cleaned_data["ends_on"]
        rows = selectors.campaign_report(
            campaigns=selectors.campaigns_in_period(starts_on=starts_on, ends_on=ends_on)
        )
    context = {
        "form": form,
        "rows": rows,
        "totals": _totals(rows),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "title": _("Campaign report"),
    }
    return render(request, "marketing/campaign_report.html", context)


def _totals(rows: list[CampaignRow]) -> dict:
    budget = sum((row.campaign.budget for row in rows), Decimal("0"))
    leads, signed = sum(row.leads for row in rows), sum(row.signed for row in rows)
    revenue = sum((row.revenue for row in rows), Decimal("0"))
    return {
        "budget": budget,
        "leads": leads,
        "duplicates": sum(row.duplicates for row in rows),
        "signed": signed,
        "revenue": revenue,
        "cost_per_lead": selectors.divide(budget, leads, selectors.CENT),
        "cost_per_signing": selectors.divide(budget, signed, selectors.CENT),
        "return_on_spend": selectors.divide(revenue - budget, budget, selectors.RATIO),
    }


# --- Email templates ----------------------------------------------------------------------------
def template_list(request):
    page = simple_page(request, selectors.templates_for_list())
    attach_row_urls(page, edit="marketing:template-update", preview="marketing:template-preview")
    context = {"page_obj": page, "object_list": page.object_list, "title": _("Email templates")}
    return render(request, "marketing/template_list.html", context)


def _template_save(form, user) -> EmailTemplate:
    template = form.save(commit=False)
    if template.pk is None:
        template.created_by = user
    template.save()
    return template


def template_create(request):
    return form_page(
        request,
        form=EmailTemplateForm(request.POST or None),
        title=_("New email template"),
        save=lambda form: _template_save(form, request.user),
        success_url=lambda template: reverse("marketing:template-preview", args=[template.pk]),
        cancel_url=reverse("marketing:template-list"),
        extra={"intro": _variables_help()},
    )


def template_update(request, pk: int):
    template = get_object_or_404(EmailTemplate, pk=pk)
    return form_page(
        request,
        form=EmailTemplateForm(request.POST or None, instance=template),
        title=_("Edit email template “%(name)s”") % {"name": template},
        save=lambda form: _template_save(form, request.user),
        success_url=reverse("marketing:template-preview", args=[pk]),
        cancel_url=reverse("marketing:template-list"),
        extra={"intro": _variables_help()},
    )


def _variables_help() -> str:
    return _(
        "Variables: %(variables)s. Without {{ unsubscribe_url }} the unsubscribe link is added at the end."
    ) % {"variables": ", ".join(f"{{{{ {name} }}}}" for name in services.TEMPLATE_VARIABLES)}


def template_preview(request, pk: int):
    """The template filled for a customer in the user's scope (`?customer=<id>`, else the newest
    they may see); a customer outside the scope is not found."""
    template = get_object_or_404(EmailTemplate, pk=pk)
    try:
        customer_pk = int(request.GET["customer"]) if request.GET.get("customer") else None
    except ValueError:
        customer_pk = 0
    customer = selectors.preview_customer_for(request.user, customer_pk)
    if customer is None and customer_pk is not None:
        raise Http404
    email = None
    if customer is not None:
        try:
            email = services.mailing_preview(
                template=template, customer=customer, base_url=_base_url(request)
            )
        except services.MarketingRefused as error:  # saved before a variable was withdrawn
            messages.error(request, str(error))
    context = {
        "template": template,
        "customer": customer,
        "email": email,
        "variables": services.TEMPLATE_VARIABLES,
        "test_to": request.user.email,
        "title": _("Preview of “%(name)s”") % {"name": template},
    }
    return render(request, "marketing/template_preview.html", context)


@require_POST
def template_test_send(request, pk: int):
    """Send the template once to the signed-in user's own address."""
    template = get_object_or_404(EmailTemplate, pk=pk)
    if not request.user.email:
        messages.error(request, _("Your account has no email address; add one in your profile first."))
    else:
        try:
            services.mailing_test_send(
                template=template, to_email=request.user.email, by=request.user, base_url=_base_url(request)
            )
        except services.MarketingRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("A test email was sent to %(email)s.") % {"email": request.user.email}
            )
    return redirect("marketing:template-preview", pk)


# --- Mailings -----------------------------------------------------------------------------------
def mailing_list(request):
    page = simple_page(request, selectors.mailings_for_list(request.user))
    attach_row_urls(page, detail="marketing:mailing-detail")
    context = {"page_obj": page, "object_list": page.object_list, "title": _("Mass email")}
    return render(request, "marketing/mailing_list.html", context)


def _segment_filter(request, segment: str, data: QueryDict):
    if segment == Mailing.Segment.STUDENTS:
        return StudentSegmentFilter(data, queryset=students_visible_to(request.user))
    user = request.user
    return CustomerFilter(data, queryset=customers_visible_to(user), consultants=consultants_for(user))


def mailing_create(request):
    """Find the recipients with the customer list's filters (or students by class and status),
    see how many there are, then save a draft of a template to them. The customer list's
    current filter arrives as this page's query string."""
    segment = request.GET.get("segment")
    if segment not in Mailing.Segment.values:
        segment = Mailing.Segment.CUSTOMERS
    filterset = _segment_filter(request, segment, request.GET)
    found = filterset.qs.count() if filterset.is_valid() else None
    form = MailingForm(
        request.POST or None,
        initial={"segment": segment, "segment_query": services.segment_query_of(request.GET, segment)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            mailing = services.mailing_create(**form.cleaned_data, by=request.user)
        except services.MarketingRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The draft was saved. Check it, then send it."))
            return redirect("marketing:mailing-detail", mailing.pk)
    context = {
        "filter": filterset,
        "found": found,
        "form": form,
        "segment": segment,
        "segments": Mailing.Segment.choices,
        "is_filtered": bool(services.segment_query_of(request.GET, segment)),
        "clear_url": f"?{urlencode({'segment': segment})}",
        "title": _("New mass email"),
    }
    return render(request, "marketing/mailing_create.html", context)


def mailing_detail(request, pk: int):
    """Counts by status and the recipients, paged and filtered by status; a draft shows how many
    its filter finds now."""
    mailing = get_object_or_404(selectors.mailings_for_list(request.user), pk=pk)
    filterset = RecipientFilter(request.GET, queryset=selectors.mailing_recipients_for(mailing))
    found, refusal = None, ""
    if mailing.status == Mailing.Status.DRAFT:
        try:
            found = services.mailing_segment(mailing=mailing).count()
        except services.MarketingRefused as error:
            refusal = str(error)
    context = {
        **filtered_page(request, filterset),
        "mailing": mailing,
        "counts": _status_counts(mailing),
        "found": found,
        "refusal": refusal,
        "may_queue": mailing.status == Mailing.Status.DRAFT and not refusal,
        "may_cancel": mailing.status in (Mailing.Status.DRAFT, Mailing.Status.QUEUED, Mailing.Status.SENDING),
        "title": _("Mass email “%(name)s”") % {"name": mailing.template.name},
    }
    return render(request, "marketing/mailing_detail.html", context)


def _status_counts(mailing: Mailing) -> list[tuple[str, str, int]]:
    counts = selectors.mailing_status_counts(mailing)
    return [(value, label, counts[value]) for value, label in services.Recipient.choices]


@require_POST
def mailing_queue(request, pk: int):
    mailing = get_object_or_404(selectors.mailings_visible_to(request.user), pk=pk)
    try:
        services.mailing_queue(mailing=mailing, base_url=_base_url(request))
    except services.MarketingRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The mass email was queued; it is sent in batches in the background."))
    return redirect("marketing:mailing-detail", pk)


@require_POST
def mailing_cancel(request, pk: int):
    mailing = get_object_or_404(selectors.mailings_visible_to(request.user), pk=pk)
    try:
        services.mailing_cancel(mailing=mailing)
    except services.MarketingRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The mass email was cancelled; what was sent stays sent."))
    return redirect("marketing:mailing-detail", pk)


# --- Public: the web-to-lead form, its API, unsubscribing --------------------------------------
def _frameable(response):
    """Let the school's own pages embed this response (and only this one): no X-Frame-Options,
    and the CSP's frame-ancestors from settings.MARKETING_FORM_FRAME_ANCESTORS."""
    ancestors = settings.MARKETING_FORM_FRAME_ANCESTORS.split()
    response._csp_replace = {"frame-ancestors": ancestors or ["*"]}
    return response


# CSRF-exempt: embedded in another site's page, the browser sends no SameSite=Lax cookie with the
# form's POST, so a CSRF token could never match. The form acts for nobody (no session), is
# rate-limited and has a honeypot: a forged submission is no more than a direct one.
@public
@csrf_exempt
@xframe_options_exempt
def lead_form(request, public_key: str):
    """The page a school embeds in an iframe: the form, then a thank-you state."""
    campaign = selectors.campaign_for_public_form(public_key)
    if campaign is None:
        return _frameable(render(request, "marketing/lead_closed.html", {"unknown": True}, status=404))
    if not campaign.runs_on(timezone.localdate()):
        return _frameable(render(request, "marketing/lead_closed.html", {"campaign": campaign}))
    if request.GET.get("sent") == "1":
        return _frameable(render(request, "marketing/lead_form.html", {"campaign": campaign, "sent": True}))
    form = WebLeadForm(request.POST or None, campaign=campaign)
    status = 200
    if request.method == "POST":
        if services.web_lead_rate_limited(campaign=campaign, ip=client_ip(request)):
            form.add_error(None, _("Too many submissions; please try again later."))
            status = 429
        elif form.is_valid():
            try:
                services.web_lead_submit(campaign=campaign, form=form, ip=client_ip(request))
            except services.MarketingRefused as error:
                form.add_error(None, str(error))
            else:
                return redirect(f"{reverse('marketing:lead-form', args=[public_key])}?sent=1")
    context = {"campaign": campaign, "form": form, "sent": False}
    return _frameable(render(request, "marketing/lead_form.html", context, status=status))


def _api_key_of(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return key.strip()
    return request.headers.get("X-Api-Key", "").strip()


def _api_data(request) -> QueryDict | dict | None:
    """The body as form fields: JSON (an object) or form-encoded; None for a JSON body that is
    not an object."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        return {key: "" if value is None else str(value) for key, value in data.items()}
    return request.POST


def _json(code: int, **body) -> JsonResponse:
    return JsonResponse(body, status=code, json_dumps_params={"ensure_ascii": False})


# CSRF-exempt: a server-to-server call authenticated by the campaign's API key, never by a cookie.
@public
@csrf_exempt
def lead_api(request, public_key: str):
    """The school's website posts a lead: 201 created (or noted on an existing customer), 400
    with field errors, 401 for a wrong key, 404 for an unknown campaign, 409 when the campaign
    is not running, 429 when rate-limited (Retry-After), 405 for anything but POST."""
    if request.method != "POST":
        response = _json(405, error=_("Use POST."))
        response["Allow"] = "POST"
        return response
    campaign = selectors.campaign_for_public_form(public_key)
    if campaign is None:
        return _json(404, error=_("There is no such campaign."))
    if not services.campaign_api_key_matches(campaign=campaign, key=_api_key_of(request)):
        return _json(401, error=_("The API key is missing or wrong."))
    if services.web_lead_rate_limited(campaign=campaign, ip=client_ip(request)):
        response = _json(429, error=_("Too many submissions; please try again later."))
        response["Retry-After"] = str(settings.MARKETING_WEB_LEAD_WINDOW_SECONDS)
        return response
    data = _api_data(request)
    if data is None:
        return _json(400, error=_("The body must be a JSON object or form fields."))
    form = WebLeadForm(data, campaign=campaign)
    if not form.is_valid():
        return _json(400, error=_("Some fields are not valid."), fields=form.errors.get_json_data())
    try:
        outcome = services.web_lead_submit(campaign=campaign, form=form, ip=client_ip(request))
    except services.MarketingRefused as error:
        return _json(409, error=str(error))
    return _json(201, status="noted" if outcome.duplicate else "created")


# CSRF-exempt: mail clients send the RFC 8058 one-click POST without any cookie; the signed token
# is the credential, and all it can do is stop mail to the address it names.
@public
@csrf_exempt
def unsubscribe(request, token: str):
    """GET asks for confirmation (or says it is done), POST unsubscribes and comes back here; a
    token that is not ours gets a clear page."""
    if request.method == "POST":
        try:
            services.unsubscribe(token=token)
        except services.MarketingRefused as error:
            return render(request, "marketing/unsubscribe.html", {"refusal": str(error)}, status=400)
        return redirect("marketing:unsubscribe", token)
    email = services.unsubscribe_email(token=token)
    if email is None:
        refusal = _("This unsubscribe link is not valid. Please use the link in the email.")
        return render(request, "marketing/unsubscribe.html", {"refusal": refusal}, status=400)
    context = {"email": email, "done": selectors.is_unsubscribed(email)}
    return render(request, "marketing/unsubscribe.html", context)
