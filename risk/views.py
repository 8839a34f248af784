from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.lists import page_size_from, row_url
from common.views import form_page
from crm.selectors import classes_taught_by, customers_visible_to
from enrollment.selectors import students_visible_to
from risk import selectors, services
from risk.filters import CustomerWarningFilter, StudentWarningFilter
from risk.forms import CustomerThresholdsForm, StudentThresholdsForm, TicketRequestForm
from risk.models import RiskPolicy


def _page(request, rows: list, filters) -> dict:
    """A list template's context (see common.lists.filtered_page) for computed rows."""
    paginator = Paginator(rows, page_size_from(request))
    page = paginator.get_page(request.GET.get("page"))
    return {
        "filter": filters,
        "page_obj": page,
        "page_links": list(paginator.get_elided_page_range(page.number)),
        "object_list": page.object_list,
        "page_sizes": settings.LIST_PAGE_SIZES,
        "is_filtered": any(value for key, value in request.GET.items() if key not in {"page", "size"}),
        "clear_url": "?",
    }


def student_warnings(request):
    filters = StudentWarningFilter(request.GET or None, classes=selectors.warning_classes_for(request.user))
    rows = []
    if filters.is_valid() or not request.GET:
        data = filters.cleaned_data if request.GET else {}
        class_list = data.get("class_list")
        rows = selectors.student_warnings(
            request.user, kind=data.get("kind") or None, class_id=class_list.pk if class_list else None
        )
    context = _page(request, rows, filters)
    _attach_student_links(request, context["object_list"])
    context |= {
        "title": _("Students at risk"),
        "may_open_tickets": request.rbac.allows("risk:student-ticket"),
        "empty_text": _("No student is at risk."),
    }
    return render(request, "risk/student_warnings.html", context)


def _attach_student_links(request, rows) -> None:
    """Each row links to the page of the student its reader may open: the customer page for those
    who see the customer, the class roster for its teachers and adviser."""
    customer_url = row_url("crm:customer-detail") if request.rbac.allows("crm:customer-detail") else None
    class_url = row_url("classroom:class-detail") if request.rbac.allows("classroom:class-detail") else None
    visible = set()
    if customer_url:
        visible = set(
            customers_visible_to(request.user)
            .filter(pk__in={row.customer_id for row in rows})
            .values_list("pk", flat=True)
        )
    taught = set(classes_taught_by(request.user).values_list("pk", flat=True)) if class_url else set()
    for row in rows:
        if row.customer_id in visible:
            row.urls["student"] = customer_url(row.customer_id)
        elif row.class_id in taught:
            row.urls["student"] = class_url(row.class_id)


def _back_to_list(request) -> str:
    """The list page the button was on, with its filters; only that page, on this site."""
    listing = reverse("risk:student-warnings")
    back = request.POST.get("next", "")
    if back.startswith(listing) and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return listing


@require_POST
def student_ticket(request, pk):
    student = get_object_or_404(students_visible_to(request.user), pk=pk)
    form = TicketRequestForm(request.POST)
    back = _back_to_list(request)
    if not form.is_valid():
        messages.error(request, _("Choose a warning from the list; nothing was opened."))
        return redirect(back)
    warning = selectors.student_warning(request.user, student_id=student.pk, **form.cleaned_data)
    if warning is None:
        messages.error(request, _("This warning no longer applies; nothing was opened."))
        return redirect(back)
    try:
        ticket = services.risk_ticket_open(warning=warning, by=request.user)
    except services.RiskRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Ticket #%(ticket)s opened for %(adviser)s.")
            % {"ticket": ticket.pk, "adviser": ticket.assignee},
        )
    return redirect(back)


def customer_warnings(request):
    filters = CustomerWarningFilter(request.GET or None)
    rows = []
    if filters.is_valid() or not request.GET:
        kind = filters.cleaned_data.get("kind") if request.GET else None
        rows = selectors.customer_warnings(request.user, kind=kind or None)
    context = _page(request, rows, filters)
    detail = row_url("crm:customer-detail") if request.rbac.allows("crm:customer-detail") else None
    for row in context["object_list"]:
        row.url = detail(row.customer.pk) if detail else ""
    context |= {"title": _("Customers at risk"), "empty_text": _("No customer is at risk.")}
    return render(request, "risk/customer_warnings.html", context)


def _back_to(request, url_name: str) -> str:
    """The warnings page, for those who may open it (administrators see no customer warnings)."""
    return reverse(url_name if request.rbac.allows(url_name) else "home")


def student_thresholds(request):
    form = StudentThresholdsForm(request.POST or None, instance=RiskPolicy.current())
    url = reverse("risk:student-thresholds")
    return form_page(
        request,
        form=form,
        title=gettext_lazy("Student thresholds"),
        success_url=url,
        cancel_url=_back_to(request, "risk:student-warnings"),
        save=services.risk_policy_save,
        extra={
            "intro": _(
                "A student is at risk when a threshold is reached. Tickets go to the class adviser, "
                "opened from the warnings page or, when chosen below, by the periodic risk sweep."
            )
        },
    )


def customer_thresholds(request):
    form = CustomerThresholdsForm(request.POST or None, instance=RiskPolicy.current())
    return form_page(
        request,
        form=form,
        title=gettext_lazy("Customer thresholds"),
        success_url=reverse("risk:customer-thresholds"),
        cancel_url=_back_to(request, "risk:customer-warnings"),
        save=services.risk_policy_save,
        extra={
            "intro": _(
                "Customers about to return to the public pool are warned within the pool rules' "
                "warning days; those rules are edited on the pool rules page."
            )
        },
    )
