"""The monthly sales report and the targets page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _

from reports import exports, selectors, services
from reports.forms import MonthField, ReportFilterForm, target_formset
from reports.periods import Month

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _funnel_labels() -> dict[str, str]:
    return {
        "leads": _("New leads"),
        "followed_up": _("Followed up"),
        "link_sent": _("Link sent"),
        "submitted": _("Form submitted"),
        "approved": _("Approved"),
        "paid": _("Paid"),
    }


NO_FILTERS = {"month": None, "team": None, "consultant": None, "campus": None}


def _table_label(table: str) -> str:
    return {
        "sources": _("Sources"),
        "consultants": _("Consultants"),
        "classes": _("Class enrollment"),
        "sales": _("Sales amount"),
        "funnel": _("Funnel"),
    }[table]


def _scope_from(request, data: dict, consultants: list) -> tuple[selectors.Scope, list]:
    """The scope the filters ask for, within `consultants` (those the user may see), and its
    consultants."""
    people = consultants
    if data["team"] is not None:
        people = [user for user in people if user.department_id == data["team"].pk]
    if data["consultant"] is not None:
        people = [user for user in people if user.pk == data["consultant"].pk]
    narrowed = data["team"] is not None or data["consultant"] is not None
    scope = selectors.Scope(
        consultant_ids=frozenset(user.pk for user in people),
        whole_school=selectors.reports_whole_school(request.user) and not narrowed,
        campus=data["campus"],
    )
    return scope, people


def sales_report(request):
    """How a month went for the scope the user may see: sources, consultants, classes, money, funnel.
    `?export=<table>` downloads that table as .xlsx."""
    consultants = selectors.consultants_for_report(request.user)
    # On the first of the month a manager wants last month: that is the default.
    default_month = Month.current().shift(-1)
    form = ReportFilterForm(
        request.GET or None,
        consultants=consultants,
        teams=selectors.teams_of(consultants),
        initial={"month": str(default_month)},
    )
    context = {"form": form, "title": _("Monthly sales report"), "report": None}
    if form.is_bound and not form.is_valid():
        messages.error(request, _("The report was not made: correct the filters below."))
        return render(request, "reports/sales_report.html", context)
    filters = form.cleaned_data if form.is_bound else NO_FILTERS
    month = filters["month"] or default_month
    scope, people = _scope_from(request, filters, consultants)
    report = _report(scope, month, people)
    table = request.GET.get("export")
    if table:
        if table not in exports.TABLES:
            messages.error(request, _("There is no such table to export."))
        else:
            content = exports.workbook(table, report, month, _table_label(table))
            response = HttpResponse(content, content_type=XLSX)
            filename = _("sales report %(month)s %(table)s.xlsx") % {
                "month": month,
                "table": _table_label(table),
            }
            response["Content-Disposition"] = content_disposition_header(True, filename)
            return response
    query = {key: value for key, value in request.GET.items() if key != "export"}
    context.update(
        report=report,
        month=month,
        export_base=f"?{urlencode({**query, 'month': str(month)})}&export=",
        can_set_targets=request.rbac.allows("reports:targets"),
        pace=month.elapsed_share(),
    )
    return render(request, "reports/sales_report.html", context)


def _report(scope: selectors.Scope, month: Month, people: list) -> dict:
    # Every section reads the same month's figures: one UNION ALL, the signings, the labels.
    data = selectors.MonthData(scope, month)
    rows = selectors.conversion_analysis(scope, month, people, data)
    sales = selectors.sales_amount(scope, month, data)
    steps = selectors.funnel_steps(selectors.funnel(scope, month, data), _funnel_labels())
    sources = selectors.source_analysis(scope, month, data)
    classes = selectors.class_enrollment(scope, month, data)
    return {
        "sources": sources,
        "consultants": rows,
        "totals": selectors.by_consultant_totals(rows),
        "classes": classes,
        "sales": sales,
        "funnel": steps,
        "charts": {
            "sources": {
                "labels": [row.source for row in sources],
                "leads": [row.leads for row in sources],
                "signed": [row.signed for row in sources],
                "leadsLabel": _("New leads"),
                "signedLabel": _("Signings"),
            },
            "trend": {
                "labels": [str(item) for item, _amount in sales.trend],
                "amounts": [float(amount) for _item, amount in sales.trend],
                "label": _("Revenue (CNY)"),
            },
            "funnel": {"labels": [step.label for step in steps], "counts": [step.count for step in steps]},
        },
    }


def targets(request):
    """A sales manager sets this month's (or another month's) targets for each consultant."""
    month_refused = False
    try:
        month = MonthField(required=False).clean(request.GET.get("month", "")) or Month.current()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        month, month_refused = Month.current(), True
    consultants = list(
        selectors.consultants_reported_by(request.user).select_related("department").order_by("username")
    )
    existing = selectors.targets_for(month, consultants)
    formset = target_formset(consultants, existing, request.POST if request.method == "POST" else None)
    if request.method == "POST" and month_refused:
        messages.error(request, _("Nothing was saved; see the messages below."))
    elif request.method == "POST":
        if formset.is_valid():
            values = formset.changes("new_leads", "signings", "revenue")
            changed = services.targets_save(
                month=month, values=values, consultants=consultants, by=request.user
            )
            messages.success(
                request,
                _("Targets for %(month)s saved (%(count)s changed).") % {"month": month, "count": changed},
            )
            return redirect(f"{reverse('reports:targets')}?month={month}")
        messages.error(request, _("Nothing was saved; see the messages below."))
    context = {
        "formset": formset,
        "month": month,
        "previous": month.shift(-1),
        "next": month.shift(1),
        "title": _("Sales targets"),
    }
    return render(request, "reports/targets.html", context)
