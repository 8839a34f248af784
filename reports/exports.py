"""Each table of the sales report as an .xlsx workbook (numbers as numbers, text neutralised)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from openpyxl import Workbook

from crm.exports import neutralise, workbook_bytes
from reports.periods import Month


def _percent(value: float | None):
    return round(value * 100, 1) if value is not None else None


def _sources(report: dict) -> tuple[list[str], list[list]]:
    header = [_("Source"), _("New leads"), _("Signings"), _("Conversion (%)"), _("Revenue (CNY)")]
    rows = [
        [row.source, row.leads, row.signed, _percent(row.conversion), row.revenue]
        for row in report["sources"]
    ]
    return header, rows


def _consultants(report: dict) -> tuple[list[str], list[list]]:
    header = [
        _("Consultant"),
        _("Leads taken on"),
        _("Follow-ups"),
        _("Enrollment links"),
        _("Signings"),
        _("Conversion (%)"),
        _("Average days to sign"),
        _("Revenue (CNY)"),
        _("New leads"),
        _("Target: new leads"),
        _("Target: signings"),
        _("Target: revenue (CNY)"),
    ]
    rows = []
    for row in report["consultants"]:
        days = row.average_days_to_sign
        target = row.target
        rows.append(
            [
                str(row.consultant),
                row.taken_on,
                row.follow_ups,
                row.links,
                row.signed,
                _percent(row.conversion),
                round(days, 1) if days is not None else None,
                row.revenue,
                row.new_leads,
                target.new_leads if target else None,
                target.signings if target else None,
                target.revenue if target else None,
            ]
        )
    return header, rows


def _classes(report: dict) -> tuple[list[str], list[list]]:
    header = [_("Class"), _("Campus"), _("Approved"), _("Capacity"), _("Waitlist"), _("Revenue (CNY)")]
    rows = [
        [
            str(row.class_list),
            row.class_list.campus.name,
            row.approved,
            row.class_list.capacity,
            row.waitlist,
            row.revenue,
        ]
        for row in report["classes"]
    ]
    return header, rows


def _sales(report: dict) -> tuple[list[str], list[list]]:
    header = [_("Month"), _("Revenue (CNY)")]
    return header, [[str(month), amount] for month, amount in report["sales"].trend]


def _funnel(report: dict) -> tuple[list[str], list[list]]:
    header = [_("Step"), _("Customers"), _("Lost since the step before (%)")]
    return header, [[step.label, step.count, _percent(step.drop)] for step in report["funnel"]]


TABLES: dict[str, Callable[[dict], tuple[list[str], list[list]]]] = {
    "sources": _sources,
    "consultants": _consultants,
    "classes": _classes,
    "sales": _sales,
    "funnel": _funnel,
}


def workbook(table: str, report: dict, month: Month, title: str) -> bytes:
    header, rows = TABLES[table](report)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{month} {title}"[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    return workbook_bytes(book)
