"""School setup pages (campuses, courses, classes, the data dictionary) and the sales desk
(customers, the pool, follow-ups, pool rules, allocation)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from accounts.services import site_gettext
from audit.models import AccessRecord
from audit.services import NOT_RECORDED, access_record
from common.lists import attach_row_urls, filtered_page, simple_page
from common.views import form_page, list_page, set_active_and_redirect, setup_form_page
from crm import exports, selectors, services, tasks
from crm.filters import CampusFilter, ClassListFilter, CourseFilter, CustomerFilter, DictItemFilter
from crm.forms import (
    AllocationWeightsForm,
    BatchTransferChoiceForm,
    CampusForm,
    ClassListForm,
    CourseForm,
    CustomerCreateForm,
    CustomerForm,
    CustomerImportMappingForm,
    CustomerImportUploadForm,
    DictItemForm,
    FollowUpForm,
    PoolPolicyForm,
    ReleaseForm,
    TransferForm,
)
from crm.models import (
    AllocationWeight,
    Campus,
    ClassList,
    Course,
    Customer,
    CustomerImport,
    DictItem,
    PoolPolicy,
)
from crm.normalize import normalize_phone, normalize_qq


def _set_active(request, model, pk: int, list_url_name: str):
    return set_active_and_redirect(
        request,
        record=get_object_or_404(model, pk=pk),
        success_url=reverse(list_url_name),
    )


# --- Campuses ---------------------------------------------------------------------------------
def campus_list(request):
    filterset = CampusFilter(request.GET, queryset=selectors.campuses_for_list())
    return list_page(request, filterset=filterset, template_name="crm/campus_list.html", title=_("Campuses"))


def campus_create(request):
    return setup_form_page(request, CampusForm(request.POST or None), _("New campus"), "crm:campus-list")


def campus_update(request, pk: int):
    campus = get_object_or_404(Campus, pk=pk)
    form = CampusForm(request.POST or None, instance=campus)
    return setup_form_page(request, form, _("Edit campus “%(name)s”") % {"name": campus}, "crm:campus-list")


@require_POST
def campus_set_active(request, pk: int):
    return _set_active(request, Campus, pk, "crm:campus-list")


# --- Courses ----------------------------------------------------------------------------------
def course_list(request):
    filterset = CourseFilter(request.GET, queryset=selectors.courses_for_list())
    return list_page(request, filterset=filterset, template_name="crm/course_list.html", title=_("Courses"))


def course_create(request):
    return setup_form_page(request, CourseForm(request.POST or None), _("New course"), "crm:course-list")


def course_update(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    form = CourseForm(request.POST or None, instance=course)
    return setup_form_page(request, form, _("Edit course “%(name)s”") % {"name": course}, "crm:course-list")


@require_POST
def course_set_active(request, pk: int):
    return _set_active(request, Course, pk, "crm:course-list")


# --- Classes ----------------------------------------------------------------------------------
def class_list(request):
    filterset = ClassListFilter(request.GET, queryset=selectors.classes_for_list())
    return list_page(request, filterset=filterset, template_name="crm/class_list.html", title=_("Classes"))


def class_detail(request, pk: int):
    class_list_ = get_object_or_404(selectors.classes_for_list(), pk=pk)
    return render(request, "crm/class_detail.html", {"class": class_list_})


def class_create(request):
    return setup_form_page(request, ClassListForm(request.POST or None), _("New class"), "crm:class-list")


def class_update(request, pk: int):
    class_list_ = get_object_or_404(ClassList, pk=pk)
    form = ClassListForm(request.POST or None, instance=class_list_)
    return setup_form_page(
        request, form, _("Edit class “%(name)s”") % {"name": class_list_}, "crm:class-list"
    )


@require_POST
def class_set_active(request, pk: int):
    return _set_active(request, ClassList, pk, "crm:class-list")


# --- Data dictionary --------------------------------------------------------------------------
def dictitem_list(request):
    filterset = DictItemFilter(request.GET, queryset=selectors.dict_items_for_list())
    return list_page(
        request, filterset=filterset, template_name="crm/dictitem_list.html", title=_("Data dictionary")
    )


def _dictitem_list_url(kind: str | None) -> str:
    """The dictionary list filtered to one kind: where a sales manager, who may open only the
    customer sources, can come back to."""
    url = reverse("crm:dictitem-list")
    return f"{url}?kind={kind}" if kind in DictItem.Kind.values else url


def _dictitem_form(request, form, title: str, kind: str | None):
    return form_page(
        request,
        form=form,
        title=title,
        success_url=lambda item: _dictitem_list_url(item.kind),
        cancel_url=_dictitem_list_url(kind),
    )


def dictitem_create(request):
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in DictItem.Kind.values else {}
    form = DictItemForm(request.POST or None, initial=initial)
    return _dictitem_form(request, form, _("New dictionary item"), kind)


def dictitem_update(request, pk: int):
    item = get_object_or_404(DictItem, pk=pk)
    form = DictItemForm(request.POST or None, instance=item)
    return _dictitem_form(request, form, _("Edit dictionary item “%(name)s”") % {"name": item}, item.kind)


@require_POST
def dictitem_set_active(request, pk: int):
    item = get_object_or_404(DictItem, pk=pk)
    return set_active_and_redirect(request, record=item, success_url=_dictitem_list_url(item.kind))


# --- Customers --------------------------------------------------------------------------------
BATCH_LIMIT = 500


def _may_see_all_contacts(request) -> bool:
    return request.rbac.holds("crm.customer_contacts_all")


def _contacts_shown(request, customer: Customer, *, page: str) -> bool:
    """Record that a page shows `customer`'s full contact details, unless the viewer is the
    owning consultant (their daily work); False (with a message) when it could not be recorded,
    and the page must not show them."""
    if customer.consultant_id == request.user.pk:
        return True
    if access_record(
        request=request, action=AccessRecord.Action.CONTACTS_VIEW, target=customer, detail={"page": page}
    ):
        return True
    messages.error(request, NOT_RECORDED)
    return False


CUSTOMER_ROW_URLS = {
    "detail": "crm:customer-detail",
    "claim": "crm:customer-claim",
    "update": "crm:customer-update",
    "delete": "crm:customer-delete",
}


def _customer_list(request, *, queryset, title: str, list_kind: str, omit=()):
    filterset = CustomerFilter(
        request.GET,
        queryset=selectors.customer_rows_for_list(queryset),
        consultants=selectors.consultants_for(request.user),
        omit=omit,
    )
    context = filtered_page(request, filterset)
    selectors.attach_contacts(
        context["object_list"], request.user, may_see_all=_may_see_all_contacts(request)
    )
    attach_row_urls(context["object_list"], **CUSTOMER_ROW_URLS)
    context.update(
        title=title,
        list_kind=list_kind,
        filtered_import=_filtered_import(request, filterset),
        batch_actions=_batch_actions(request, list_kind),
        can_export=request.rbac.holds(f"crm.customer_export_{list_kind}"),
        # The mailing page applies the same filter to the user's whole customer scope: offered
        # on the list that shows exactly that scope.
        can_mail=list_kind == "all" and request.rbac.holds("marketing.mailing_create"),
    )
    if "transfer" in context["batch_actions"]:
        context["transfer_choice"] = BatchTransferChoiceForm(consultants=filterset.consultant_choices)
    return render(request, "crm/customer_list.html", context)


def _filtered_import(request, filterset) -> CustomerImport | None:
    """The user's import the list is filtered by, so the page can say so."""
    form = filterset.form
    pk = form.cleaned_data.get("imported") if form.is_valid() else None
    return selectors.customer_imports_of(request.user).filter(pk=pk).first() if pk else None


def _batch_actions(request, list_kind: str) -> list[str]:
    """The batch buttons this list offers, each only to those who hold it."""
    wanted = {
        "pool": ["claim", "transfer"],
        "mine": ["release", "delete"],
        "all": ["transfer", "release", "delete"],
    }
    return [
        action for action in wanted.get(list_kind, []) if request.rbac.holds(f"crm.customer_batch_{action}")
    ]


def customer_pool(request):
    queryset = selectors.CUSTOMER_LISTS["pool"](request.user)
    return _customer_list(
        request,
        queryset=queryset,
        title=_("Public pool"),
        list_kind="pool",
        omit=("consultant", "status", "due"),
    )


def customer_mine(request):
    queryset = selectors.CUSTOMER_LISTS["mine"](request.user)
    return _customer_list(
        request, queryset=queryset, title=_("My customers"), list_kind="mine", omit=("consultant",)
    )


def customer_list(request):
    queryset = selectors.CUSTOMER_LISTS["all"](request.user)
    return _customer_list(request, queryset=queryset, title=_("All customers"), list_kind="all")


def customer_trash(request):
    queryset = selectors.customer_rows_for_list(
        selectors.customers_deleted_visible_to(request.user)
    ).order_by("-deleted_at", "-id")
    page = simple_page(request, queryset)
    selectors.attach_contacts(page.object_list, request.user, may_see_all=_may_see_all_contacts(request))
    return render(request, "crm/customer_trash.html", {"page_obj": page, "object_list": page.object_list})


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The lists' names as the access log records them (in the school's language).
EXPORTED_LISTS = {
    "pool": gettext_noop("Public pool"),
    "mine": gettext_noop("My customers"),
    "all": gettext_noop("All customers"),
}


def _export_recorded(request, filterset, exported, *, may_see_all: bool) -> bool:
    """Record an export that holds full contact details (one record: the list, its filters and
    how many rows), before a byte is sent. An export with every contact masked needs none."""
    rows, unmasked = selectors.export_contact_counts(exported, request.user, may_see_all=may_see_all)
    if not unmasked:
        return True
    list_kind = request.GET["list"]
    detail = {
        "list": list_kind,
        "format": request.GET.get("format", "xlsx"),
        "filters": {
            name: value[:100] for name, value in filterset.data.items() if value and name in filterset.filters
        },
        "rows": rows,
        "unmasked": unmasked,
    }
    label = site_gettext(EXPORTED_LISTS[list_kind])
    return access_record(
        request=request, action=AccessRecord.Action.CONTACTS_EXPORT, label=label, detail=detail
    )


def customer_export(request):
    """The current list with its filters, as .xlsx or .csv. The permission dictionary grants each
    `list` separately, so a consultant cannot export "all" by editing the URL."""
    scoped = selectors.CUSTOMER_LISTS.get(request.GET.get("list", ""))
    file_format = request.GET.get("format", "xlsx")
    if scoped is None or file_format not in ("xlsx", "csv"):
        messages.error(request, _("Choose a list and a format (xlsx or csv) to export."))
        return redirect("crm:customer-mine")
    filterset = CustomerFilter(
        request.GET,
        queryset=selectors.customers_for_list(scoped(request.user)),
        consultants=selectors.consultants_for(request.user),
    )
    if not filterset.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect("crm:customer-mine")
    exported = filterset.qs[: exports.EXPORT_LIMIT]
    may_see_all = _may_see_all_contacts(request)
    if not _export_recorded(request, filterset, exported, may_see_all=may_see_all):
        messages.error(request, NOT_RECORDED)
        return redirect("crm:customer-mine")
    customers = exported.iterator(chunk_size=exports.CHUNK)

    def contacts(customer):
        full = selectors.shows_full_contacts(request.user, customer, may_see_all=may_see_all)
        return selectors.contacts_for(customer, full=full)

    rows = exports.customer_rows(customers, contacts)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"customers-{stamp}.{file_format}"
    if file_format == "xlsx":
        return _xlsx_response(exports.as_xlsx(rows), filename)
    response = StreamingHttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _customer_form_page(request, form, *, title: str, save, cancel_url: str):
    """Create and edit share this: a duplicate caught by the database (a race the form check could
    not see) comes back as the same refusal on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            customer = save(form)
        except services.DuplicateCustomer as duplicate:
            form.show_duplicate(duplicate.existing)
        except services.CustomerRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Saved “%(record)s”.") % {"record": customer})
            return redirect("crm:customer-detail", pk=customer.pk)
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "duplicate": form.duplicate,
        "may_notify_owner": bool(
            form.duplicate and form.duplicate.consultant_id not in (None, request.user.pk)
        ),
    }
    return render(request, "crm/customer_form.html", context)


def customer_create(request):
    form = CustomerCreateForm(request.POST or None)
    return _customer_form_page(
        request,
        form,
        title=_("New customer"),
        save=lambda form: services.customer_create(
            form=form, by=request.user, to_pool=form.cleaned_data.get("to_pool", False)
        ),
        cancel_url=reverse("crm:customer-mine"),
    )


def customer_update(request, pk: int):
    customer = get_object_or_404(selectors.customers_editable_by(request.user), pk=pk)
    # The form holds the full contact details, so opening it is recorded as the page is.
    if request.method == "GET" and not _contacts_shown(request, customer, page="edit"):
        return redirect("crm:customer-detail", pk=pk)
    form = CustomerForm(request.POST or None, instance=customer)
    return _customer_form_page(
        request,
        form,
        title=_("Edit customer “%(name)s”") % {"name": customer.name},
        save=lambda form: services.customer_update(form=form, by=request.user),
        cancel_url=reverse("crm:customer-detail", args=[pk]),
    )


@require_POST
def customer_notify_owner(request):
    """The "notify the owner" button of a duplicate refusal. The duplicate is found again from
    the phone or QQ the consultant typed, so the button reveals and reaches nothing else."""
    try:
        phone, qq = normalize_phone(request.POST.get("phone", "")), normalize_qq(request.POST.get("qq", ""))
    except ValidationError:
        phone = qq = ""
    existing = selectors.find_duplicate(phone=phone, qq=qq)
    if existing is not None and services.duplicate_notify_owner(existing=existing, by=request.user):
        messages.success(request, _("%(owner)s was notified.") % {"owner": existing.consultant})
    else:
        messages.error(request, _("There is no owner to notify for this phone or QQ."))
    return redirect("crm:customer-create")


def customer_detail(request, pk: int):
    customer = selectors.customer_for_detail(request.user, pk)
    user = request.user
    full = selectors.shows_full_contacts(user, customer, may_see_all=_may_see_all_contacts(request))
    full = full and _contacts_shown(request, customer, page="detail")
    owned_in_scope = customer.consultant_id is not None
    editable = selectors.is_editable_by(user, customer)
    if customer.in_pool:
        request.rbac.lead_from("crm.customer_pool")
    elif customer.consultant_id != user.pk:
        request.rbac.lead_from("crm.customer_list")
    context = {
        "customer": customer,
        "contacts": selectors.contacts_for(customer, full=full),
        "interested_courses": customer.interested_courses.all(),
        "timeline": selectors.customer_timeline(customer, full_contacts=full),
        "follow_up_form": FollowUpForm() if owned_in_scope else None,
        "can_claim": customer.in_pool and request.rbac.allows("crm:customer-claim"),
        "can_release": owned_in_scope
        and customer.status != Customer.Status.SIGNED
        and request.rbac.allows("crm:customer-release"),
        "can_follow_up": owned_in_scope and request.rbac.allows("crm:followup-create"),
        "can_edit": editable and request.rbac.allows("crm:customer-update"),
        "can_enroll": editable and owned_in_scope and request.rbac.allows("enrollment:enrollment-create"),
        "can_delete": editable and request.rbac.allows("crm:customer-delete"),
        "transfer_form": TransferForm(consultants=selectors.consultants_for(user))
        if request.rbac.allows("crm:customer-transfer")
        else None,
    }
    return render(request, "crm/customer_detail.html", context)


def _attempt(request, action) -> bool:
    """Run a service call; a refusal by the rules becomes an error message."""
    try:
        action()
    except services.CustomerRefused as refusal:
        messages.error(request, str(refusal))
        return False
    return True


@require_POST
def customer_claim(request, pk: int):
    customer = selectors.customers_visible_to(request.user).filter(pk=pk).first()
    if customer is None:
        # A pool page opened a while ago: someone claimed the lead since. Say who, as the rules
        # promise the loser, but only for a lead that left the pool within the hour, so the
        # button cannot be used to look up the owner of any customer by number.
        if not selectors.left_pool_recently(pk):
            raise Http404
        messages.error(request, services.not_claimed_message(pk))
        return redirect("crm:customer-pool")
    if _attempt(request, lambda: services.customer_claim(customer=customer, by=request.user)):
        messages.success(request, _("“%(name)s” is now your customer.") % {"name": customer.name})
    elif not selectors.customers_visible_to(request.user).filter(pk=pk).exists():
        # Lost the race to a colleague: their customer's page would be a 404 hiding the message.
        return redirect("crm:customer-pool")
    return redirect("crm:customer-detail", pk=pk)


@require_POST
def customer_release(request, pk: int):
    customer = get_object_or_404(selectors.customers_owned_in_scope(request.user), pk=pk)
    form = ReleaseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if _attempt(
        request, lambda: services.customer_release(customer=customer, by=request.user, reason=reason)
    ):
        messages.success(request, _("“%(name)s” went back to the public pool.") % {"name": customer.name})
        # A consultant no longer sees a released customer's contact details: back to the pool.
        return redirect("crm:customer-mine")
    return redirect("crm:customer-detail", pk=pk)


def customer_transfer(request, pk: int):
    customer = get_object_or_404(selectors.customers_visible_to(request.user), pk=pk)
    form = TransferForm(request.POST or None, consultants=selectors.consultants_for(request.user))
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"]
        done = _attempt(
            request,
            lambda: services.customer_transfer(
                customer=customer, to=to, by=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if done:
            messages.success(
                request, _("“%(name)s” now belongs to %(owner)s.") % {"name": customer.name, "owner": to}
            )
        return redirect("crm:customer-detail", pk=pk)
    return form_page(
        request,
        form=form,
        title=_("Transfer “%(name)s”") % {"name": customer.name},
        success_url=reverse("crm:customer-detail", args=[pk]),
        cancel_url=reverse("crm:customer-detail", args=[pk]),
    )


@require_POST
def customer_delete(request, pk: int):
    customer = get_object_or_404(selectors.customers_editable_by(request.user), pk=pk)
    services.customer_delete(customer=customer, by=request.user)
    messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": customer.name})
    return redirect("crm:customer-mine" if customer.consultant_id == request.user.pk else "crm:customer-list")


@require_POST
def customer_restore(request, pk: int):
    customer = get_object_or_404(selectors.customers_deleted_visible_to(request.user), pk=pk)
    if _attempt(request, lambda: services.customer_restore(customer=customer, by=request.user)):
        messages.success(request, _("“%(name)s” was restored.") % {"name": customer.name})
    return redirect("crm:customer-trash")


def followup_create(request, pk: int):
    customer = get_object_or_404(selectors.customers_owned_in_scope(request.user), pk=pk)
    form = FollowUpForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(request, lambda: services.follow_up_add(customer=customer, by=request.user, form=form))
    ):
        messages.success(request, _("The follow-up was logged."))
        return redirect("crm:customer-detail", pk=pk)
    return form_page(
        request,
        form=form,
        title=_("Follow up “%(name)s”") % {"name": customer.name},
        success_url=reverse("crm:customer-detail", args=[pk]),
        cancel_url=reverse("crm:customer-detail", args=[pk]),
    )


def _posted_ids(request) -> list[int] | None:
    values = request.POST.getlist("ids")
    if len(values) > BATCH_LIMIT:
        return None
    try:
        return [int(value) for value in values]
    except ValueError:
        return None


def _batch_messages(request, result: services.BatchResult, done_text: str) -> None:
    if result.done:
        names = "、".join(customer.name for customer in result.done[:10])
        messages.success(request, done_text % {"count": len(result.done), "names": names})
    for customer, reason in result.refused:
        messages.error(request, f"{customer.name}: {reason}")
    if result.missing:
        messages.warning(
            request,
            _(
                "%(count)s of the selected customers were not found or are out of your reach; "
                "nothing was done to them."
            )
            % {"count": result.missing},
        )


def _batch_claim(request, ids):
    customers = selectors.customers_in_pool()
    policy = PoolPolicy.current()
    result = services.customers_batch(services.customer_claim, customers, ids, by=request.user, policy=policy)
    _batch_messages(request, result, _("Claimed %(count)s customers: %(names)s"))


def _batch_release(request, ids):
    customers = selectors.customers_owned_in_scope(request.user)
    result = services.customers_batch(services.customer_release, customers, ids, by=request.user)
    _batch_messages(request, result, _("Released %(count)s customers to the public pool: %(names)s"))


def _batch_delete(request, ids):
    customers = selectors.customers_editable_by(request.user)
    result = services.customers_batch(services.customer_delete, customers, ids, by=request.user)
    _batch_messages(request, result, _("Moved %(count)s customers to the recycle bin: %(names)s"))


def _batch_transfer(request, ids):
    form = TransferForm(request.POST, consultants=selectors.consultants_for(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose the consultant to transfer to; nothing was changed."))
        return
    result = services.customers_batch(
        services.customer_transfer,
        selectors.customers_visible_to(request.user),
        ids,
        to=form.cleaned_data["to"],
        by=request.user,
        reason=form.cleaned_data["reason"],
    )
    _batch_messages(request, result, _("Transferred %(count)s customers: %(names)s"))


BATCH_ACTIONS = {
    "claim": _batch_claim,
    "release": _batch_release,
    "delete": _batch_delete,
    "transfer": _batch_transfer,
}


@require_POST
def customer_batch(request):
    """One URL for the list's batch buttons; the permission dictionary grants each `action`
    separately, and each action reports customer by customer what it did."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("crm:customer-mine")
    action = BATCH_ACTIONS.get(request.POST.get("action", ""))
    ids = _posted_ids(request)
    if action is None:
        messages.error(request, _("Unknown batch action; nothing was changed."))
    elif not ids:
        messages.error(
            request,
            _("Select up to %(limit)s customers first; nothing was changed.") % {"limit": BATCH_LIMIT},
        )
    else:
        action(request, ids)
    return redirect(back)


def poolpolicy_update(request):
    form = PoolPolicyForm(request.POST or None, instance=PoolPolicy.current())
    url = reverse("crm:poolpolicy-update")
    return form_page(
        request,
        form=form,
        title=_("Pool rules"),
        success_url=url,
        cancel_url=reverse("crm:customer-pool"),
        save=services.pool_policy_save,
        extra={
            "intro": _(
                "Customers who break a rule go back to the public pool in the nightly sweep; "
                "signed customers never do."
            )
        },
    )


def allocation_update(request):
    consultants = selectors.consultants_for(request.user)
    weights = {w.consultant_id: w for w in AllocationWeight.objects.filter(consultant__in=consultants)}
    form = AllocationWeightsForm(request.POST or None, consultants=consultants, weights=weights)
    if request.method == "POST" and form.is_valid():
        services.allocation_weights_save(settings_by_consultant=form.settings())
        messages.success(request, _("The allocation weights were saved."))
        return redirect("crm:allocation-update")
    context = {"form": form, "title": _("Lead allocation"), "today": timezone.localdate()}
    return render(request, "crm/allocation_form.html", context)


# --- Import -----------------------------------------------------------------------------------
PROBLEMS_SHOWN = 20  # on the finished import's page; the downloadable report has them all


def customer_import(request):
    """Upload a spreadsheet; the next page maps its columns. Lists the user's recent imports."""
    form = CustomerImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.customer_import_upload(
                table=form.table,
                data=form.data_bytes,
                filename=form.cleaned_data["file"].name,
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("crm:customer-import-detail", record.pk)
    context = {
        "form": form,
        "title": _("Import customers"),
        "recent": selectors.customer_imports_of(request.user)[:10],
        "max_rows": settings.CUSTOMER_IMPORT_MAX_ROWS,
        "max_megabytes": settings.CUSTOMER_IMPORT_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "crm/customer_import.html", context)


def customer_import_template(request):
    return _xlsx_response(exports.import_template(), "customers-import-template.xlsx")


def customer_import_detail(request, pk: int):
    """The column mapping while the import waits for it; then its progress (polled by htmx)
    and its result."""
    record = get_object_or_404(selectors.customer_imports_of(request.user), pk=pk)
    if record.status == CustomerImport.Status.UPLOADED:
        return _customer_import_mapping(request, record)
    template = (
        "crm/partials/customer_import_status.html"
        if request.headers.get("HX-Request")
        else "crm/customer_import_detail.html"
    )
    list_url = selectors.customer_import_list_url(record)
    context = {
        "record": record,
        "title": _("Import of %(file)s") % {"file": record.original_name},
        "imported_url": f"{reverse(list_url[0])}?imported={record.pk}" if list_url else "",
        "problems": record.problems.all()[:PROBLEMS_SHOWN] if record.is_finished else (),
        "problems_shown": PROBLEMS_SHOWN,
    }
    return render(request, template, context)


def _customer_import_mapping(request, record: CustomerImport):
    form = CustomerImportMappingForm(
        request.POST or None,
        customer_import=record,
        may_allocate=request.rbac.holds("crm.customer_import_allocate"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_import_start(
                customer_import=record,
                mapping=form.mapping(),
                owner=form.cleaned_data["owner"],
                default_source=form.cleaned_data["default_source"],
            )
        except services.CustomerRefused as error:
            messages.error(request, str(error))
        else:
            tasks.customer_import_task.enqueue(record.pk, translation.get_language())
        return redirect("crm:customer-import-detail", record.pk)
    context = {
        "record": record,
        "form": form,
        "title": _("Match the columns of %(file)s") % {"file": record.original_name},
    }
    return render(request, "crm/customer_import_mapping.html", context)


def customer_import_report(request, pk: int):
    record = get_object_or_404(selectors.customer_imports_of(request.user), pk=pk)
    return _xlsx_response(exports.import_problems(record), f"customers-import-{record.pk}-problems.xlsx")
