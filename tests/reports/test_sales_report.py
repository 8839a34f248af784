"""The monthly sales report against figures worked out by hand (tests/reports/conftest.py lists the
data set; the comments here say how each figure was reached).

The definitions are reports.selectors' module docstring. The month under test is November 2026 in
Asia/Shanghai: [2026-10-31 16:00 UTC, 2026-11-30 16:00 UTC).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from accounts.models import User
from crm.models import Campus, ClassList, Course, Customer, DictItem, OwnershipEvent
from enrollment.models import Enrollment, Payment
from reports import selectors
from reports.models import Target
from reports.periods import Month
from tests.conftest import make_client
from tests.reports.conftest import add_consultant, at, customer, enroll, event, follow_up, pay

D = Decimal
NOV = Month(2026, 11)
URL = "reports:sales-report"
WEB, REF = "官方网站", "转介绍"
EVIL = '=HYPERLINK("http://x.test")广告'


# --- Expected figures, by hand ------------------------------------------------------------------
def src(leads, leads_signed, signed, conversion, revenue):
    return {
        "leads": leads,
        "leads_signed": leads_signed,
        "signed": signed,
        "conversion": conversion,
        "revenue": D(revenue),
    }


# Sources. New leads (live, entered in November, owned now by the scope; the pool only for the
# school): k2 k13 (WEB), k3 k5 k10 (REF), k6 (pool) k11 (EVIL). Signed among them now: k2, k5, k10.
# Signings in November: k2 (sales1, WEB), k5 (sales2, REF), k10 (sales3, REF).
# Revenue in November: E2 19800 + E8 (5000 + 4000 - 500; the 3000 transfer left out) = 28300 for
# WEB; E5 (16800 - 1800) = 15000 and E10 9999.50 for REF; pending, rejected and December money out.
SOURCES = {
    "admin": {
        REF: src(3, 2, 2, 2 / 3, "24999.50"),
        WEB: src(2, 1, 1, 1 / 2, "28300"),
        EVIL: src(2, 0, 0, 0.0, "0"),
    },
    "manager": {
        WEB: src(2, 1, 1, 1 / 2, "28300"),
        REF: src(2, 1, 1, 1 / 2, "15000"),
        EVIL: src(1, 0, 0, 0.0, "0"),
    },
    "sales": {WEB: src(2, 1, 1, 1 / 2, "28300")},
    "sales2": {REF: src(2, 1, 1, 1 / 2, "15000")},
}


def person(
    taken_on, taken_on_signed, follow_ups, links, signed, conversion, days, revenue, new_leads, progress
):
    return {
        "taken_on": taken_on,
        "taken_on_signed": taken_on_signed,
        "follow_ups": follow_ups,
        "links": links,
        "signed": signed,
        "conversion": conversion,
        "average_days_to_sign": days,
        "revenue": D(revenue),
        "new_leads": new_leads,
        "progress": progress,
    }


# sales1: taken on k2 (created 11-01 00:00), k5 (created 11-04), k13 -> 3, of which k2 and k5 are
# signed now (k1's event is October's last second, k4's December's first). Follow-ups k2, k5,
# k8 at 11-01 00:00 and 11-30 23:59:59, k13 -> 5. Link E2 (E1 is October's, E13 December's).
# Signed k2, 10 days after the claim. Revenue 28300. New leads k2, k13. Target 4/2/20000.
SALES1 = person(3, 2, 5, 1, 1, 2 / 3, 10.0, "28300", 2, (0.5, 0.5, 1.415))
# sales2: taken on k3 (created 11-30 23:59:59), k5 (transfer), k6 (entered, then released), k12
# (claim) -> 4, k5 signed. Follow-ups k5, k6, k12. Links E5, E12. Signed k5, 12.5 days after the
# transfer. Revenue 16800 - 1800. New leads k3, k5. Target 5/0/10000 (no signings goal: no share).
SALES2 = person(4, 1, 3, 2, 1, 1 / 4, 12.5, "15000", 2, (0.4, None, 1.5))
SALES3 = person(1, 1, 1, 1, 1, 1.0, 2.0, "9999.50", 1, (None, None, None))
MANAGER = person(1, 0, 1, 1, 0, 0.0, None, "0", 1, (None, None, None))

# Ordered by signings, then revenue, then username.
CONSULTANTS = {
    "admin": {"sales1": SALES1, "sales2": SALES2, "sales3": SALES3, "manager": MANAGER},
    "manager": {"sales1": SALES1, "sales2": SALES2, "manager": MANAGER},
    "sales": {"sales1": SALES1},
    "sales2": {"sales2": SALES2},
}
TOTALS = {
    "admin": {
        "taken_on": 9,
        "follow_ups": 10,
        "links": 5,
        "signed": 3,
        "new_leads": 6,
        "revenue": D("53299.50"),
    },
    "manager": {
        "taken_on": 8,
        "follow_ups": 9,
        "links": 4,
        "signed": 2,
        "new_leads": 5,
        "revenue": D("43300"),
    },
}

# Classes (newest start first): B (上海) approved E5, E10 (E10 was waitlisted: no longer waiting),
# waiting E12; A (北京) approved E2, waiting E11 (E1 rejected); P (北京, inactive) approved E8,
# listed because of its November money; O (inactive, money only in 2025) never listed.
# The approved and waiting counts are the class's own (seats against capacity); revenue is the
# scope's: B = E5 15000 + E10 9999.50 + E13 (transfer only) 0.
CLASSES = {
    "admin": [("B", 2, 1, "24999.50"), ("A", 1, 1, "19800"), ("P", 1, 0, "8500")],
    "manager": [("B", 2, 1, "15000"), ("A", 1, 1, "19800"), ("P", 1, 0, "8500")],
    "sales": [("B", 2, 1, "0"), ("A", 1, 1, "19800"), ("P", 1, 0, "8500")],
    "sales2": [("B", 2, 1, "15000"), ("A", 1, 1, "0")],
}


def trend(**amounts):
    """The 12 months December 2025 .. November 2026; unnamed months are 0."""
    months = [str(item) for item in NOV.recent(12)]
    return [(month, D(amounts.get("m" + month.replace("-", "_"), "0"))) for month in months]


# Previous month: E8's deposit on 10-31 (sales1) and E9's 2000 on 10-01 (sales2). A year ago:
# E9's 8000 on 2025-11-20 (the rejected 1000 left out). Trend: E9's 1200 on 2025-12-01, its refund
# of 200 in March and 300 in June; E9's 600 on 2025-10-31 is a day before the window.
SALES = {
    "admin": {
        "month": D("53299.50"),
        "previous_month": D("3000"),
        "year_ago": D("8000"),
        "month_on_month": 50299.5 / 3000,
        "year_on_year": 45299.5 / 8000,
        "trend": trend(
            m2025_12="1200", m2026_03="-200", m2026_06="300", m2026_10="3000", m2026_11="53299.50"
        ),
    },
    "manager": {
        "month": D("43300"),
        "previous_month": D("3000"),
        "year_ago": D("8000"),
        "month_on_month": 40300 / 3000,
        "year_on_year": 35300 / 8000,
        "trend": trend(m2025_12="1200", m2026_03="-200", m2026_06="300", m2026_10="3000", m2026_11="43300"),
    },
    "sales": {
        "month": D("28300"),
        "previous_month": D("1000"),
        "year_ago": D("0"),
        "month_on_month": 27.3,
        "year_on_year": None,
        "trend": trend(m2026_10="1000", m2026_11="28300"),
    },
    "sales2": {
        "month": D("15000"),
        "previous_month": D("2000"),
        "year_ago": D("8000"),
        "month_on_month": 6.5,
        "year_on_year": 0.875,
        "trend": trend(m2025_12="1200", m2026_03="-200", m2026_06="300", m2026_10="2000", m2026_11="15000"),
    },
}

# Funnel of November's new leads, where they are today: followed up (by anyone, ever), a link,
# a submitted form, an approved enrollment, a confirmed deposit/tuition/other payment (k13's
# class transfer is no payment of its own; k11's deposit is pending).
FUNNEL = {
    # k2 k3 k5 k6 k10 k11 k13; k3 never followed up; k6 no link; k13 not submitted; k11 not approved.
    "admin": [(7, None), (6, 1 / 7), (5, 1 / 6), (4, 1 / 5), (3, 1 / 4), (3, 0.0)],
    # k2 k3 k5 k11 k13
    "manager": [(5, None), (4, 1 / 5), (4, 0.0), (3, 1 / 4), (2, 1 / 3), (2, 0.0)],
    # k2 k13
    "sales": [(2, None), (2, 0.0), (2, 0.0), (1, 1 / 2), (1, 0.0), (1, 0.0)],
    # k3 k5
    "sales2": [(2, None), (1, 1 / 2), (1, 0.0), (1, 0.0), (1, 0.0), (1, 0.0)],
}


# --- Reading a report into plain figures --------------------------------------------------------
def sources_of(report) -> dict:
    return {
        row.source: {
            "leads": row.leads,
            "leads_signed": row.leads_signed,
            "signed": row.signed,
            "conversion": row.conversion,
            "revenue": row.revenue,
        }
        for row in report["sources"]
    }


def consultants_of(report) -> dict:
    return {
        row.consultant.username: {
            "taken_on": row.taken_on,
            "taken_on_signed": row.taken_on_signed,
            "follow_ups": row.follow_ups,
            "links": row.links,
            "signed": row.signed,
            "conversion": row.conversion,
            "average_days_to_sign": row.average_days_to_sign,
            "revenue": row.revenue,
            "new_leads": row.new_leads,
            "progress": (row.progress("new_leads"), row.progress("signings"), row.progress("revenue")),
        }
        for row in report["consultants"]
    }


def classes_of(report, book) -> list:
    names = {
        book.world.class_a.pk: "A",
        book.world.class_b.pk: "B",
        book.class_p.pk: "P",
        book.class_o.pk: "O",
    }
    return [(names[row.class_list.pk], row.approved, row.waitlist, row.revenue) for row in report["classes"]]


def sales_of(report) -> dict:
    sales = report["sales"]
    return {
        "month": sales.month,
        "previous_month": sales.previous_month,
        "year_ago": sales.year_ago,
        "month_on_month": sales.month_on_month,
        "year_on_year": sales.year_on_year,
        "trend": [(str(month), amount) for month, amount in sales.trend],
    }


def funnel_of(report) -> list:
    return [(step.count, step.drop) for step in report["funnel"]]


def expected_classes(key: str) -> list:
    return [(name, approved, waiting, D(revenue)) for name, approved, waiting, revenue in CLASSES[key]]


def assert_report(report, book, key: str) -> None:
    """Every figure of the report for the scope `key` (admin, manager, sales, sales2)."""
    assert sources_of(report) == SOURCES[key]
    assert consultants_of(report) == CONSULTANTS[key]
    assert [row.consultant.username for row in report["consultants"]] == list(CONSULTANTS[key])
    assert classes_of(report, book) == expected_classes(key)
    assert sales_of(report) == SALES[key]
    assert funnel_of(report) == FUNNEL[key]


def money_values(report) -> list:
    values = [row.revenue for row in report["sources"]]
    values += [row.revenue for row in report["consultants"]]
    values += [row.revenue for row in report["classes"]]
    sales = report["sales"]
    values += [sales.month, sales.previous_month, sales.year_ago, *(amount for _m, amount in sales.trend)]
    return values


def get_report(client, **params):
    response = client.get(reverse(URL), {"month": "2026-11", **params})
    assert response.status_code == 200
    return response


def scope_for(user, **kwargs) -> selectors.Scope:
    ids = frozenset(selectors.consultants_reported_by(user).values_list("pk", flat=True))
    return selectors.Scope(ids, whole_school=selectors.reports_whole_school(user), **kwargs)


def report_for(user, **kwargs) -> dict:
    """The sections, straight from the selectors, for everything `user` may see."""
    scope = scope_for(user, **kwargs)
    consultants = list(selectors.consultants_reported_by(user))
    return {
        "sources": selectors.source_analysis(scope, NOV),
        "consultants": selectors.conversion_analysis(scope, NOV, consultants),
        "classes": selectors.class_enrollment(scope, NOV),
        "sales": selectors.sales_amount(scope, NOV),
        "funnel": selectors.funnel_steps(
            selectors.funnel(scope, NOV), dict.fromkeys(selectors.FUNNEL_STEPS, "")
        ),
    }


ROLES = ["admin", "manager", "sales", "sales2"]


# --- Periods -------------------------------------------------------------------------------------
def test_the_month_is_bounded_in_shanghai_time():
    utc = datetime.UTC
    assert NOV.start == datetime.datetime(2026, 10, 31, 16, tzinfo=utc)
    assert NOV.end == datetime.datetime(2026, 11, 30, 16, tzinfo=utc)
    assert at(2026, 10, 31, 23, 59, 59) == datetime.datetime(2026, 10, 31, 15, 59, 59, tzinfo=utc)
    assert (NOV.first_day, NOV.next_first_day) == (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))
    assert Month(2026, 12).shift(1) == Month(2027, 1)
    assert Month(2026, 1).shift(-1) == Month(2025, 12)
    assert NOV.shift(-12) == Month(2025, 11)
    assert [str(item) for item in NOV.recent(3)] == ["2026-09", "2026-10", "2026-11"]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-11", Month(2026, 11)),
        ("2000-01", Month(2000, 1)),
        ("1999-12", None),
        ("2026-13", None),
        ("2026-00", None),
        ("2026-1", None),
        ("26-11", None),
        ("abc", None),
        ("", None),
        ("9999-01", None),
    ],
)
def test_month_parse(text, parsed):
    assert Month.parse(text) == parsed


def test_month_parse_reaches_a_year_ahead_and_no_further():
    now = Month.current()
    assert Month.parse(str(now.shift(12))) == now.shift(12)
    assert Month.parse(str(now.shift(13))) is None


# --- Scope ---------------------------------------------------------------------------------------
def test_whom_each_role_reports_on(book):
    world = book.world

    def names(user):
        return sorted(selectors.consultants_reported_by(user).values_list("username", flat=True))

    assert names(world.admin) == ["manager", "sales1", "sales2", "sales3"]
    assert names(world.manager) == ["manager", "sales1", "sales2"]
    assert names(world.sales) == ["sales1"]
    assert names(world.sales2) == ["sales2"]
    assert selectors.reports_whole_school(world.admin)
    assert not selectors.reports_whole_school(world.manager)
    assert not selectors.reports_whole_school(world.sales)


# --- Every figure, from the selectors ------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_selectors_give_the_hand_computed_figures(book, role):
    report = report_for(book.world.users[role])
    assert_report(report, book, role)


@pytest.mark.parametrize("role", ROLES)
def test_money_is_decimal(book, role):
    """CNY is Decimal all the way (no float rounding, on SQLite as on PostgreSQL)."""
    report = report_for(book.world.users[role])
    assert all(isinstance(value, Decimal) for value in money_values(report)), money_values(report)


def test_sections_one_by_one_for_the_school(book):
    """The same figures, each section asked on its own with an explicit scope."""
    world = book.world
    everyone = frozenset(u.pk for u in (world.manager, world.sales, world.sales2, book.sales3))
    school = selectors.Scope(everyone, whole_school=True)
    assert sources_of({"sources": selectors.source_analysis(school, NOV)}) == SOURCES["admin"]
    assert selectors.funnel(school, NOV) == {
        "leads": 7,
        "followed_up": 6,
        "link_sent": 5,
        "submitted": 4,
        "approved": 3,
        "paid": 3,
    }
    # Without the pool, the same consultants lose k6 (EVIL).
    team = selectors.Scope(everyone)
    assert sources_of({"sources": selectors.source_analysis(team, NOV)})[EVIL]["leads"] == 1
    assert selectors.funnel(team, NOV)["leads"] == 6


def test_a_scope_without_consultants_counts_nothing_and_asks_little(book, django_assert_num_queries):
    """No consultant to count for: every figure is zero, and only the source labels and the classes
    are read (the month's figures, the signings and the targets have nothing to ask for)."""
    scope = selectors.Scope(frozenset())
    data = selectors.MonthData(scope, NOV)
    with django_assert_num_queries(2):
        report = {
            "sources": selectors.source_analysis(scope, NOV, data),
            "consultants": selectors.conversion_analysis(scope, NOV, [], data),
            "classes": selectors.class_enrollment(scope, NOV, data),
            "sales": selectors.sales_amount(scope, NOV, data),
            "funnel": selectors.funnel(scope, NOV, data),
        }
    assert (report["sources"], report["consultants"]) == ([], [])
    assert {row.revenue for row in report["classes"]} == {D("0")}
    assert sales_of(report)["trend"] == trend()
    assert report["funnel"] == dict.fromkeys(selectors.FUNNEL_STEPS, 0)


def test_totals_of_the_consultants_table(book):
    for role in ("admin", "manager"):
        rows = report_for(book.world.users[role])["consultants"]
        assert selectors.by_consultant_totals(rows) == TOTALS[role]


def test_targets_of_the_month_only(book):
    rows = {row.consultant.username: row for row in report_for(book.world.admin)["consultants"]}
    target = rows["sales1"].target
    assert (target.month, target.new_leads, target.signings, target.revenue) == (
        datetime.date(2026, 11, 1),
        4,
        2,
        D("20000"),
    )
    assert rows["sales3"].target is None
    october = {
        row.consultant.username: row.target
        for row in selectors.conversion_analysis(
            scope_for(book.world.admin),
            Month(2026, 10),
            list(selectors.consultants_reported_by(book.world.admin)),
        )
    }
    assert october["sales1"].revenue == D("99999")
    assert october["sales2"] is None


def test_a_customer_transferred_before_signing_counts_for_the_new_owner(book):
    """k5: entered by sales1, transferred to sales2, signed by sales2."""
    rows = consultants_of(report_for(book.world.manager))
    assert (rows["sales1"]["signed"], rows["sales2"]["signed"]) == (1, 1)  # k2 and k5
    signings = OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.SIGN, to_user=book.world.sales2)
    assert signings.filter(at__gte=NOV.start, at__lt=NOV.end).count() == 1


# --- Every figure, on the page, for the scope each role gets --------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_page_shows_the_scope_of_each_role(book, client_for, role):
    response = get_report(client_for(role))
    report = response.context["report"]
    assert report is not None, response.context["form"].errors
    assert_report(report, book, role)
    assert response.context["month"] == NOV


def test_admin_page_body_and_charts(book, as_admin):
    response = get_report(as_admin)
    page = response.content.decode()
    report = response.context["report"]
    assert 'data-testid="kpi-revenue">¥53,299.50<' in page
    assert 'data-testid="kpi-leads">7<' in page
    assert 'data-testid="kpi-signed">3<' in page
    assert 'data-testid="kpi-follow-ups">10<' in page
    assert "+1676.7%" in page  # month on month: 50299.50 / 3000 = 16.7665
    assert "+566.2%" in page  # year on year: 45299.50 / 8000
    for name in ("Sales1 Tester", "Sales2 Tester", "Sales3 Tester", "Manager Tester"):
        assert name in page
    assert escape(EVIL) in page
    assert "2 / 4" in page  # sales1's new leads against the target
    charts = report["charts"]
    assert charts["trend"]["labels"] == [str(item) for item in NOV.recent(12)]
    assert charts["trend"]["amounts"] == [1200.0, 0, 0, -200.0, 0, 0, 300.0, 0, 0, 0, 3000.0, 53299.5]
    assert dict(zip(charts["sources"]["labels"], charts["sources"]["leads"], strict=True)) == {
        REF: 3,
        WEB: 2,
        EVIL: 2,
    }
    assert charts["funnel"]["counts"] == [7, 6, 5, 4, 3, 3]


# The progress bar was an included template (reports/partials/progress.html); the tag that
# replaced it must draw the same markup.
PROGRESS_TEMPLATE = (
    "{% load i18n reports_tags %}"
    '<div class="small text-nowrap">{{ actual }} / {{ goal }}</div><div class="progress" style="height: 6px" '
    'role="progressbar" aria-label="{% translate \'Progress against target\' %}" '
    'aria-valuenow="{{ share|percent_number }}" aria-valuemin="0" aria-valuemax="100">'
    '<div class="progress-bar {% if share >= 1 %}bg-success{% elif share >= pace %}bg-primary'
    '{% else %}bg-warning{% endif %}" '
    'style="width: {{ share|percent_number }}%"></div></div>'
)


@pytest.mark.parametrize(
    ("actual", "goal", "share", "pace"),
    [
        (2, 4, 0.5, 1.0),  # behind the month's pace
        (3, 4, 0.75, 0.5),  # ahead of it
        (4, 4, 1.0, 1.0),  # reached
        (5, 4, 1.25, 0.0),  # past the target: the bar stops at 100%
        ("¥28,300.00", "¥20,000.00", 1.415, 1.0),
        (0, 3, 0.0, None),  # no pace in the context
        ("<b>", '"x"', 0.5, 0.5),  # escaped
    ],
)
def test_the_progress_tag_draws_what_the_template_drew(actual, goal, share, pace):
    context = {"actual": actual, "goal": goal, "share": share}
    if pace is not None:
        context["pace"] = pace
    before = Template(PROGRESS_TEMPLATE).render(Context(context))
    assert (
        Template("{% load reports_tags %}{% progress actual goal share %}").render(Context(context)) == before
    )


def test_a_consultant_never_sees_another_consultants_figures(book, as_sales):
    page = get_report(as_sales).content.decode()
    assert "Sales1 Tester" in page
    for other in ("Sales2 Tester", "Sales3 Tester", "Manager Tester", "¥15,000.00", "¥9,999.50", REF):
        assert other not in page


def test_manager_does_not_see_another_team(book, as_manager):
    response = get_report(as_manager)
    page = response.content.decode()
    assert "Sales3 Tester" not in page
    assert "¥9,999.50" not in page
    form = response.context["form"]
    assert [user.username for user in form.fields["consultant"].objects] == ["manager", "sales1", "sales2"]
    assert [team.code for team in form.fields["team"].objects] == ["sales"]
    # What the page offers: the empty choice and those, nothing else.
    offered = {
        name: [value for value, _label in form.fields[name].choices] for name in ("consultant", "team")
    }
    world = book.world
    assert offered == {
        "consultant": ["", *(str(world.users[name].pk) for name in ("manager", "sales", "sales2"))],
        "team": ["", str(world.departments["sales"].pk)],
    }
    consultant_select = page[
        page.index('name="consultant"') : page.index("</select>", page.index('name="consultant"'))
    ]
    assert consultant_select.count("<option") == 4
    assert f'value="{book.sales3.pk}"' not in consultant_select


def test_admin_narrowed_to_a_team_is_that_team_without_the_pool(book, as_admin):
    sales_team = get_report(as_admin, team=book.world.departments["sales"].pk).context["report"]
    assert_report(sales_team, book, "manager")

    tele = get_report(as_admin, team=book.tele.pk).context["report"]
    assert consultants_of(tele) == {"sales3": SALES3}
    assert sources_of(tele) == {REF: src(1, 1, 1, 1.0, "9999.50")}
    assert funnel_of(tele) == [(1, None), (1, 0.0), (1, 0.0), (1, 0.0), (1, 0.0), (1, 0.0)]


def test_admin_narrowed_to_a_consultant(book, as_admin):
    report = get_report(as_admin, consultant=book.world.sales2.pk).context["report"]
    assert_report(report, book, "sales2")


def test_a_consultant_may_pick_themselves_and_their_own_team(book, as_sales):
    world = book.world
    for params in ({"consultant": world.sales.pk}, {"team": world.departments["sales"].pk}):
        report = get_report(as_sales, **params).context["report"]
        assert_report(report, book, "sales")


# --- Campus ---------------------------------------------------------------------------------------
def test_campus_narrows_money_classes_and_links(book, as_admin):
    world = book.world
    beijing = get_report(as_admin, campus=world.beijing.pk).context["report"]
    # Leads, signings and follow-ups belong to no campus; money and links do.
    assert sources_of(beijing) == {
        REF: src(3, 2, 2, 2 / 3, "0"),
        WEB: src(2, 1, 1, 1 / 2, "28300"),
        EVIL: src(2, 0, 0, 0.0, "0"),
    }
    rows = consultants_of(beijing)
    assert {name: (row["links"], row["revenue"]) for name, row in rows.items()} == {
        "sales1": (1, D("28300")),
        "sales2": (0, D("0")),
        "sales3": (0, D("0")),
        "manager": (1, D("0")),
    }
    assert {name: row["follow_ups"] for name, row in rows.items()} == {
        "sales1": 5,
        "sales2": 3,
        "sales3": 1,
        "manager": 1,
    }
    assert classes_of(beijing, book) == [("A", 1, 1, D("19800")), ("P", 1, 0, D("8500"))]
    assert sales_of(beijing) == {
        "month": D("28300"),
        "previous_month": D("1000"),
        "year_ago": D("0"),
        "month_on_month": 27.3,
        "year_on_year": None,
        "trend": trend(m2026_10="1000", m2026_11="28300"),
    }

    shanghai = get_report(as_admin, campus=world.shanghai.pk).context["report"]
    rows = consultants_of(shanghai)
    assert {name: (row["links"], row["revenue"]) for name, row in rows.items()} == {
        "sales1": (0, D("0")),
        "sales2": (2, D("15000")),
        "sales3": (1, D("9999.50")),
        "manager": (0, D("0")),
    }
    assert classes_of(shanghai, book) == [("B", 2, 1, D("24999.50"))]
    assert sales_of(shanghai) == {
        "month": D("24999.50"),
        "previous_month": D("2000"),
        "year_ago": D("8000"),
        "month_on_month": 22999.5 / 2000,
        "year_on_year": 16999.5 / 8000,
        "trend": trend(
            m2025_12="1200", m2026_03="-200", m2026_06="300", m2026_10="2000", m2026_11="24999.50"
        ),
    }


def test_campus_narrows_the_funnels_enrollment_steps(book, as_admin):
    """Scope: "optionally only money and enrollments of one campus's classes". The funnel's
    link / submitted / approved / paid steps are enrollments and payments, so with 上海 only the
    上海 classes count: k5 (E5), k10 (E10), k13 (E13) have a link; E5 and E10 were submitted and
    approved and paid. New leads and follow-ups belong to no campus and stay 7 and 6."""
    shanghai = get_report(as_admin, campus=book.world.shanghai.pk).context["report"]
    assert funnel_of(shanghai) == [(7, None), (6, 1 / 7), (3, 1 / 2), (2, 1 / 3), (2, 0.0), (2, 0.0)]


def test_a_later_transfer_does_not_rewrite_a_past_signing(book):
    """k5 was signed by sales2 on 11-20, 12.5 days after sales2 got it. A manager hands the signed
    customer to himself on 12-05: November's signing stays sales2's, and so do its 12.5 days from
    the claim to the signing (the claim that led to it, not a later one)."""
    world = book.world
    k5 = book.customers["k5"]
    event(k5, OwnershipEvent.Kind.TRANSFER, world.manager, at(2026, 12, 5, 10), from_user=world.sales2)
    Customer.objects.filter(pk=k5.pk).update(consultant=world.manager, claimed_at=at(2026, 12, 5, 10))
    rows = consultants_of(report_for(world.admin))
    assert (rows["sales2"]["signed"], rows["sales2"]["average_days_to_sign"]) == (1, 12.5)
    assert (rows["manager"]["signed"], rows["manager"]["average_days_to_sign"]) == (0, None)


# --- Rows that count nowhere ----------------------------------------------------------------------
def test_deleted_customer_counts_nowhere(book, as_manager):
    """A lead in the recycle bin is no new lead, no lead taken on, no funnel entry."""
    world = book.world
    deleted = customer("又删除", at(2026, 11, 15, 10), book.web, world.sales, deleted=True)
    event(deleted, OwnershipEvent.Kind.CREATE, world.sales, at(2026, 11, 15, 10))
    report = get_report(as_manager).context["report"]
    assert sources_of(report)[WEB]["leads"] == 2
    assert funnel_of(report)[0] == (5, None)
    sales1 = consultants_of(report)["sales1"]
    assert (sales1["new_leads"], sales1["taken_on"], sales1["conversion"]) == (2, 3, 2 / 3)


def test_a_consultant_who_left_stays_in_the_schools_figures(book, as_admin):
    """The whole school's report counts every live lead, signing and confirmed payment, whoever
    made it: a consultant who has since left (deactivated) does not take the school's November
    money, leads or last year's revenue with them."""
    world = book.world
    gone = add_consultant("sales9", world.departments["sales"])
    lead = customer("离职", at(2026, 11, 9, 10), book.web, gone, signed=True)
    event(lead, OwnershipEvent.Kind.CREATE, gone, at(2026, 11, 9, 10))
    event(lead, OwnershipEvent.Kind.SIGN, gone, at(2026, 11, 10, 10), from_user=gone)
    link = enroll(lead, world.class_a, gone, at(2026, 11, 9, 12), Enrollment.Status.APPROVED)
    pay(link, Payment.Kind.TUITION, "1000", datetime.date(2026, 11, 10))
    pay(link, Payment.Kind.TUITION, "700", datetime.date(2025, 11, 10))
    User.objects.filter(pk=gone.pk).update(is_active=False)

    report = get_report(as_admin).context["report"]
    figures = {
        "month": report["sales"].month,
        "year_ago": report["sales"].year_ago,
        "web": sources_of(report)[WEB],
        "new_leads": funnel_of(report)[0][0],
    }
    assert figures == {
        "month": D("54299.50"),  # 53299.50 + 1000
        "year_ago": D("8700"),  # 8000 + 700
        "web": src(3, 2, 2, 2 / 3, "29300"),  # k2 k13 + the leaver's; 28300 + 1000
        "new_leads": 8,
    }


# --- Scope tampering ----------------------------------------------------------------------------
def assert_refused(response, field: str, *hidden: str) -> None:
    assert response.status_code == 200
    assert response.context["report"] is None
    form = response.context["form"]
    assert field in form.errors, form.errors
    page = response.content.decode()
    assert "The report was not made: correct the filters below." in page
    for message in form.errors[field]:
        assert escape(message) in page
    assert 'data-testid="report-kpis"' not in page
    for text in hidden:
        assert text not in page, text


@pytest.mark.parametrize("export", [None, "consultants"])
def test_consultant_asking_for_another_consultant_is_refused(book, as_sales, export):
    params = {"consultant": book.world.sales2.pk}
    if export:
        params["export"] = export
    response = get_report(as_sales, **params)
    assert response["Content-Type"].startswith("text/html")
    assert_refused(response, "consultant", "Sales2 Tester", "¥15,000.00", REF)


def test_consultant_asking_for_another_team_is_refused(book, as_sales):
    response = get_report(as_sales, team=book.tele.pk)
    assert_refused(response, "team", "Sales3 Tester", "电销部", "¥9,999.50")


@pytest.mark.parametrize("who", ["sales3", "finance", "admin"])
def test_manager_asking_for_someone_outside_the_team_is_refused(book, as_manager, who):
    user = book.sales3 if who == "sales3" else book.world.users[who]
    response = get_report(as_manager, consultant=user.pk)
    assert_refused(response, "consultant", str(user), "¥9,999.50")


def test_manager_asking_for_another_team_is_refused(book, as_manager):
    response = get_report(as_manager, team=book.tele.pk)
    assert_refused(response, "team", "Sales3 Tester", "电销部", "¥9,999.50")


@pytest.mark.parametrize(
    ("order", "refused"),
    [("mine-then-other", True), ("other-then-mine", False)],
)
def test_repeated_consultant_never_widens(book, as_sales, order, refused):
    """The last value wins (Django's QueryDict); either way sales2's figures never show."""
    mine, other = book.world.sales.pk, book.world.sales2.pk
    values = [mine, other] if order == "mine-then-other" else [other, mine]
    response = as_sales.get(reverse(URL), {"month": "2026-11", "consultant": values})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sales2 Tester" not in page
    assert "¥15,000.00" not in page
    if refused:
        assert response.context["report"] is None
    else:
        assert_report(response.context["report"], book, "sales")


# --- Bad filters ----------------------------------------------------------------------------------
BAD = [
    {"month": "2026-13"},
    {"month": "abc"},
    {"month": "1999-12"},
    {"month": "9999-01"},
    {"month": "2026-1"},
    {"month": "2026-00"},
    {"month": "0000-00"},
    {"month": "2026-11' OR '1'='1"},
    {"month": "2026-11\x00"},
    {"month": "9" * 10_000},
    {"team": "x"},
    {"team": "-1"},
    {"team": "9" * 30},
    {"consultant": "-1"},
    {"consultant": "1.5"},
    {"consultant": "9" * 30},
    {"consultant": "x" * 10_000},
    {"campus": "x"},
    {"campus": "9" * 30},
    {"campus": "0"},
]


@pytest.mark.parametrize("params", BAD, ids=lambda p: f"{next(iter(p))}={next(iter(p.values()))[:12]!r}")
def test_bad_filter_is_a_clear_message(book, as_admin, params, django_assert_max_num_queries):
    field = next(iter(params))
    with django_assert_max_num_queries(CHROME_QUERIES + 2):  # refused before any figure is computed
        response = as_admin.get(reverse(URL), {"month": "2026-11", **params})
    assert_refused(response, field)


@pytest.mark.parametrize("month", ["2026-13", "abc", "1999-12", "9999-01", "2026-1"])
def test_month_error_says_what_to_write(book, as_manager, month):
    response = as_manager.get(reverse(URL), {"month": month})
    assert_refused(response, "month")
    last = Month.current().shift(12)
    assert f"Pick a month between 2000-01 and {last}, written like 2026-11." in response.content.decode()


def test_repeated_month_takes_the_last(book, as_manager):
    response = as_manager.get(reverse(URL), {"month": ["2026-13", "2026-11"]})
    assert_report(response.context["report"], book, "manager")
    response = as_manager.get(reverse(URL), {"month": ["2026-11", "2026-13"]})
    assert_refused(response, "month")


@pytest.mark.parametrize(
    "table", ["../etc", "../../etc/passwd", "unknown", "SOURCES", "sources\x00", "x" * 5000]
)
def test_unknown_export_is_a_message_and_the_page(book, as_manager, table):
    response = get_report(as_manager, export=table)
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    page = response.content.decode()
    assert "There is no such table to export." in page
    assert_report(response.context["report"], book, "manager")


def test_without_filters_the_report_is_last_month_in_shanghai(book, as_manager):
    # 2026-12-01 00:30 in Shanghai is still 2026-11-30 in UTC: the default is November.
    with time_machine.travel(at(2026, 12, 1, 0, 30), tick=False):
        response = as_manager.get(reverse(URL))
    assert response.context["month"] == NOV
    assert_report(response.context["report"], book, "manager")
    # 2026-11-30 23:30 in Shanghai: still November, so last month is October.
    with time_machine.travel(at(2026, 11, 30, 23, 30), tick=False):
        response = as_manager.get(reverse(URL))
    assert response.context["month"] == Month(2026, 10)


@pytest.mark.parametrize("role", ["finance", "teacher", "student", "outsider"])
def test_other_roles_are_refused(book, client_for, role):
    assert client_for(role).get(reverse(URL), {"month": "2026-11"}).status_code == 403


def test_anonymous_is_sent_to_log_in(book):
    response = make_client().get(reverse(URL))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Exports --------------------------------------------------------------------------------------
def export(client, table: str, **params) -> list[list]:
    response = get_report(client, export=table, **params)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 1
    assert book.sheetnames[0].startswith("2026-11 ")
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_export_sources(book, as_admin):
    assert export(as_admin, "sources") == [
        ["Source", "New leads", "Signings", "Conversion (%)", "Revenue (CNY)"],
        [REF, 3, 2, 66.7, 24999.5],
        [WEB, 2, 1, 50.0, 28300],
        ["'" + EVIL, 2, 0, 0.0, 0],
    ]


def test_export_consultants(book, as_admin):
    assert export(as_admin, "consultants") == [
        [
            "Consultant",
            "Leads taken on",
            "Follow-ups",
            "Enrollment links",
            "Signings",
            "Conversion (%)",
            "Average days to sign",
            "Revenue (CNY)",
            "New leads",
            "Target: new leads",
            "Target: signings",
            "Target: revenue (CNY)",
        ],
        ["Sales1 Tester", 3, 5, 1, 1, 66.7, 10.0, 28300, 2, 4, 2, 20000],
        ["Sales2 Tester", 4, 3, 2, 1, 25.0, 12.5, 15000, 2, 5, 0, 10000],
        ["Sales3 Tester", 1, 1, 1, 1, 100.0, 2.0, 9999.5, 1, None, None, None],
        ["Manager Tester", 1, 1, 1, 0, 0.0, None, 0, 1, None, None, None],
    ]


def test_export_classes(book, as_admin):
    assert export(as_admin, "classes") == [
        ["Class", "Campus", "Approved", "Capacity", "Waitlist", "Revenue (CNY)"],
        ["Linux运维 Class 40 (上海)", "上海", 2, 60, 1, 24999.5],
        ["Python全栈开发 Class 9 (北京)", "北京", 1, 60, 1, 19800],
        ["Python全栈开发 Class 8 (北京)", "北京", 1, 60, 0, 8500],
    ]


def test_export_sales(book, as_admin):
    rows = export(as_admin, "sales")
    assert rows[0] == ["Month", "Revenue (CNY)"]
    assert rows[1:] == [
        ["2025-12", 1200],
        ["2026-01", 0],
        ["2026-02", 0],
        ["2026-03", -200],
        ["2026-04", 0],
        ["2026-05", 0],
        ["2026-06", 300],
        ["2026-07", 0],
        ["2026-08", 0],
        ["2026-09", 0],
        ["2026-10", 3000],
        ["2026-11", 53299.5],
    ]


def test_export_funnel(book, as_admin):
    assert export(as_admin, "funnel") == [
        ["Step", "Customers", "Lost since the step before (%)"],
        ["New leads", 7, None],
        ["Followed up", 6, 14.3],
        ["Link sent", 5, 16.7],
        ["Form submitted", 4, 20.0],
        ["Approved", 3, 25.0],
        ["Paid", 3, 0.0],
    ]


def test_export_keeps_the_scope_and_filters(book, as_sales, as_admin):
    assert export(as_sales, "consultants")[1:] == [
        ["Sales1 Tester", 3, 5, 1, 1, 66.7, 10.0, 28300, 2, 4, 2, 20000]
    ]
    assert export(as_sales, "sources")[1:] == [[WEB, 2, 1, 50.0, 28300]]
    assert export(as_admin, "classes", campus=book.world.shanghai.pk)[1:] == [
        ["Linux运维 Class 40 (上海)", "上海", 2, 60, 1, 24999.5]
    ]


def test_export_links_on_the_page_carry_the_filters(book, as_admin):
    response = get_report(as_admin, campus=book.world.beijing.pk)
    page = response.content.decode()
    assert f"?month=2026-11&amp;campus={book.world.beijing.pk}&amp;export=sources" in page


def test_export_neutralises_names_a_spreadsheet_would_run(book, as_admin):
    User.objects.filter(pk=book.sales3.pk).update(display_name="@SUM(1+1)")
    Campus.objects.filter(pk=book.world.shanghai.pk).update(name="-2+3")
    consultants = export(as_admin, "consultants")
    assert "'@SUM(1+1)" in [row[0] for row in consultants]
    classes = export(as_admin, "classes")
    assert classes[1][1] == "'-2+3"


# --- Query counts ---------------------------------------------------------------------------------
# The site's chrome: session, user, the roles' permissions and data scope, the unread notifications.
CHROME_QUERIES = 4
# The report's own: the consultants it may show (the filter's consultants and teams, the scope and
# the consultants table), the campuses (the filter), the month's figures (one UNION ALL), the
# signings, the targets, the source labels, the classes with their enrollment counts.
OWN_QUERIES = 7
REPORT_QUERIES = CHROME_QUERIES + OWN_QUERIES  # the budget is 12 in all, 8 of them the report's
EXPORT_QUERIES = REPORT_QUERIES - 1  # the same report without the page around it (no notifications)

_serial = iter(range(1, 10**6))


def grow(world, n: int) -> None:
    """n more consultants (each with a target), classes and sources, and per consultant 3 November
    leads with a follow-up, an enrollment link, confirmed payments, a refund and a signing."""
    course = Course.objects.create(name=f"课程{next(_serial)}", default_price=Decimal("100"))
    for i in range(n):
        serial = next(_serial)
        source = DictItem.objects.create(
            kind=DictItem.Kind.SOURCE, code=f"grow{serial}", label=f"扩展{serial}"
        )
        user = add_consultant(f"grow{serial}", world.departments["sales"])
        Target.objects.create(
            consultant=user, month=NOV.first_day, new_leads=3, signings=1, set_by=world.manager
        )
        class_list = ClassList.objects.create(
            course=course,
            campus=world.beijing if i % 2 else world.shanghai,
            semester=serial,
            price=Decimal("100"),
            start_date=datetime.date(2026, 1, 1),
        )
        for j in range(3):
            lead = customer(f"扩{serial}-{j}", at(2026, 11, 2 + j, 10), source, user, signed=j == 0)
            event(lead, OwnershipEvent.Kind.CREATE, user, at(2026, 11, 2 + j, 10))
            follow_up(lead, user, at(2026, 11, 3 + j, 10), world.channel)
            link = enroll(lead, class_list, user, at(2026, 11, 3 + j, 12), Enrollment.Status.APPROVED)
            pay(link, Payment.Kind.TUITION, "100", datetime.date(2026, 11, 5))
            pay(link, Payment.Kind.REFUND, "10", datetime.date(2026, 11, 6))
            pay(link, Payment.Kind.DEPOSIT, "50", datetime.date(2025, 11, 6))
            if j == 0:
                event(lead, OwnershipEvent.Kind.SIGN, user, at(2026, 11, 9, 10))


# Every role and filter: the whole school, a team, one consultant, a campus, a consultant's own.
COUNTED = {
    "admin": ("admin", {}),
    "admin-team": ("admin", {"team": "sales"}),
    "admin-consultant": ("admin", {"consultant": "sales"}),
    "admin-campus": ("admin", {"campus": "beijing"}),
    "admin-team-campus": ("admin", {"team": "sales", "campus": "shanghai"}),
    "manager": ("manager", {}),
    "manager-team": ("manager", {"team": "sales"}),
    "manager-campus": ("manager", {"campus": "shanghai"}),
    "sales": ("sales", {}),
    "sales-campus": ("sales", {"campus": "beijing"}),
}


def counted_params(world, filters: dict) -> dict:
    ids = {
        "team": lambda name: world.departments[name].pk,
        "consultant": lambda name: world.users[name].pk,
        "campus": lambda name: getattr(world, name).pk,
    }
    return {key: ids[key](value) for key, value in filters.items()}


@pytest.mark.parametrize("case", COUNTED)
def test_report_query_count_is_pinned_and_flat(book, client_for, django_assert_num_queries, case):
    """The same queries for every role and filter, however many consultants, sources and classes."""
    role, filters = COUNTED[case]
    client = client_for(role)
    params = counted_params(book.world, filters)
    get_report(client, **params)  # warm-up (session, caches)
    with django_assert_num_queries(REPORT_QUERIES):
        small = get_report(client, **params).context["report"]
    grow(book.world, 12)
    with django_assert_num_queries(REPORT_QUERIES):
        large = get_report(client, **params).context["report"]
    if role != "sales" and "consultant" not in filters:
        assert len(large["consultants"]) == len(small["consultants"]) + 12
        assert len(large["sources"]) == len(small["sources"]) + 12
        # The new classes alternate between the campuses.
        assert len(large["classes"]) == len(small["classes"]) + (6 if "campus" in filters else 12)


def test_the_report_stays_within_its_budget():
    assert REPORT_QUERIES <= 12
    assert OWN_QUERIES <= 8


def test_a_refused_filter_reads_only_the_choices(book, as_admin, django_assert_num_queries):
    """The chrome, the consultants and the campuses; no figure."""
    with django_assert_num_queries(CHROME_QUERIES + 2):
        get_report(as_admin, campus="0")


# What SQLite would run as a Python function per row (Django's Trunc*/Extract* on SQLite), and
# their PostgreSQL spellings: a month is a range of an index or a sum of stored days, never these.
PER_ROW_DATE_FUNCTIONS = ("django_date", "django_datetime", "django_time", "date_trunc", "extract(")


@pytest.mark.parametrize("role", ["admin", "manager", "sales"])
def test_the_report_calls_no_date_function_per_row(book, client_for, role):
    with CaptureQueriesContext(connection) as queries:
        get_report(client_for(role))
        get_report(client_for(role), export="consultants")
    for query in queries.captured_queries:
        assert not any(name in query["sql"].lower() for name in PER_ROW_DATE_FUNCTIONS), query["sql"]


def test_export_query_count_is_flat(book, as_admin, django_assert_num_queries):
    get_report(as_admin, export="consultants")
    with django_assert_num_queries(EXPORT_QUERIES):
        get_report(as_admin, export="consultants")
    grow(book.world, 8)
    with django_assert_num_queries(EXPORT_QUERIES):
        get_report(as_admin, export="consultants")
