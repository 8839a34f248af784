"""The sales targets page (reports:targets): a sales manager sets each consultant of the team a
month's targets for new leads, signings and revenue; an admin sets them for the whole school.

Every refusal is checked the same way: the page comes back (200), says nothing was saved, shows
each error, and the Target table is exactly what it was before (rows compared field by field)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from html import escape
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Department, User
from rbac.defaults import SALES
from rbac.models import Role
from reports import services
from reports.models import Target
from reports.periods import Month
from tests.conftest import make_client

NOVEMBER = "2026-11"
NOVEMBER_FIRST = datetime.date(2026, 11, 1)
NOTHING_SAVED = "Nothing was saved; see the messages below."
LIST_CHANGED = "The list of consultants changed; reload the page and try again."


def url(month: str | None = NOVEMBER) -> str:
    return reverse("reports:targets") + (f"?month={month}" if month is not None else "")


def add_consultant(username: str, department: Department | None, *, active: bool = True) -> User:
    user = User.objects.create_user(
        username=username, display_name=f"{username.title()} Tester", department=department, is_active=active
    )
    user.roles.add(Role.objects.get(slug=SALES))
    return user


@pytest.fixture
def tele(world) -> User:
    """A consultant of another team (电销部): not the sales manager's to set targets for."""
    return add_consultant("sales3", Department.objects.create(name="电销部", code="tele"))


def snapshot() -> list[tuple]:
    return list(Target.objects.order_by("pk").values_list())


def target(user: User, month: datetime.date = NOVEMBER_FIRST, **values) -> Target:
    values = {"new_leads": 10, "signings": 3, "revenue": Decimal("50000"), **values}
    return Target.objects.create(
        consultant=user, month=month, set_by=User.objects.get(username="manager"), **values
    )


def figures(month: datetime.date = NOVEMBER_FIRST) -> dict[str, tuple]:
    return {
        t.consultant.username: (t.new_leads, t.signings, t.revenue)
        for t in Target.objects.filter(month=month).select_related("consultant")
    }


class _Inputs(HTMLParser):
    """The name -> value of every input of the targets form, as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("data-testid") == "targets-form":
            self._in_form = True
        elif tag == "input" and self._in_form and attrs.get("name") != "csrfmiddlewaretoken":
            self.values[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False


def page_inputs(response) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser.values


def shown_rows(response) -> dict[int, tuple[str, str, str]]:
    """consultant id -> (new leads, signings, revenue) as the page's inputs show them."""
    inputs = page_inputs(response)
    total = int(inputs["targets-TOTAL_FORMS"])
    return {
        int(inputs[f"targets-{i}-consultant"]): tuple(
            inputs[f"targets-{i}-{name}"] for name in ("new_leads", "signings", "revenue")
        )
        for i in range(total)
    }


def post_data(rows: list[tuple], *, total: int | None = None, initial: int | None = None) -> dict[str, str]:
    """The formset body for `rows` of (consultant id, new leads, signings, revenue)."""
    data = {
        "targets-TOTAL_FORMS": str(len(rows) if total is None else total),
        "targets-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": str(len(rows)),
    }
    for i, (consultant, new_leads, signings, revenue) in enumerate(rows):
        data.update(
            {
                f"targets-{i}-consultant": str(consultant),
                f"targets-{i}-new_leads": str(new_leads),
                f"targets-{i}-signings": str(signings),
                f"targets-{i}-revenue": str(revenue),
            }
        )
    return data


def team_rows(world, **overrides) -> list[tuple]:
    """A valid body for the manager's team (the world's manager, sales and sales2 users);
    `overrides` replaces one's row, e.g. sales=(id, "", "", "")."""
    rows = {
        "manager": (world.manager.pk, "", "", ""),
        "sales": (world.sales.pk, "8", "2", "30000"),
        "sales2": (world.sales2.pk, "6", "1", "12000.50"),
    }
    rows.update(overrides)
    return list(rows.values())


def assert_refused(response) -> None:
    """200, the "nothing saved" message, and every error of the formset shown on the page."""
    assert response.status_code == 200, response.get("Location")
    page = response.content.decode()
    assert NOTHING_SAVED in page
    formset = response.context["formset"]
    errors = list(formset.non_form_errors())
    for form in formset.forms:
        for messages in form.errors.values():
            errors.extend(messages)
    assert errors, "refused without saying why"
    for message in errors:
        assert escape(message) in page, f"error {message!r} is not shown"


# --- Who is listed ---------------------------------------------------------------------------
def test_the_manager_gets_one_row_per_consultant_of_the_team(world, tele, as_manager):
    add_consultant("gone", world.departments["sales"], active=False)
    User.objects.create_user(username="clerk", department=world.departments["sales"])  # no role
    response = as_manager.get(url())
    assert response.status_code == 200
    assert list(shown_rows(response)) == [world.manager.pk, world.sales.pk, world.sales2.pk]
    page = response.content.decode()
    assert page.count('data-testid="target-row"') == 3
    for name in ("Manager Tester", "Sales1 Tester", "Sales2 Tester"):
        assert name in page
    for name in ("Sales3 Tester", "Gone Tester", "clerk", "Teacher Tester"):
        assert name not in page


def test_the_admin_sets_targets_for_every_team(world, tele, as_admin):
    response = as_admin.get(url())
    assert set(shown_rows(response)) == {world.manager.pk, world.sales.pk, world.sales2.pk, tele.pk}
    rows = [(pk, "5", "1", "900") if pk == tele.pk else (pk, "", "", "") for pk in shown_rows(response)]
    response = as_admin.post(url(), post_data(rows))
    assert response.status_code == 302
    assert figures() == {"sales3": (5, 1, Decimal("900"))}
    assert Target.objects.get().set_by == world.admin


# --- Saving ----------------------------------------------------------------------------------
def test_saving_sets_the_months_targets_and_returns_to_the_month(world, as_manager):
    response = as_manager.post(url(), post_data(team_rows(world)))
    assert response.status_code == 302
    assert response["Location"] == url()
    assert figures() == {"sales1": (8, 2, Decimal("30000")), "sales2": (6, 1, Decimal("12000.50"))}
    assert {t.set_by for t in Target.objects.all()} == {world.manager}
    page = as_manager.get(response["Location"]).content.decode()
    assert "Targets for 2026-11 saved (2 changed)." in page


def test_the_page_shows_the_months_existing_targets_only(world, as_manager):
    target(world.sales, new_leads=12, signings=4, revenue=Decimal("88000.50"))
    target(world.sales2, month=datetime.date(2026, 10, 1), new_leads=99, signings=99, revenue=Decimal("99"))
    rows = shown_rows(as_manager.get(url()))
    assert rows == {
        world.manager.pk: ("", "", ""),
        world.sales.pk: ("12", "4", "88000.50"),
        world.sales2.pk: ("", "", ""),
    }
    assert shown_rows(as_manager.get(url("2026-10")))[world.sales2.pk] == ("99", "99", "99.00")


def test_saving_the_page_unchanged_writes_nothing(world, as_manager):
    target(world.sales, new_leads=12, signings=4, revenue=Decimal("88000.50"))
    target(world.sales2, new_leads=0, signings=2, revenue=Decimal("0"))
    before = snapshot()
    response = as_manager.get(url())
    response = as_manager.post(url(), page_inputs(response))
    assert response.status_code == 302
    assert snapshot() == before  # not even updated_at or set_by moved
    assert "saved (0 changed)" in as_manager.get(response["Location"]).content.decode()


def test_changing_one_value_updates_only_that_target(world, as_manager, as_admin):
    target(world.sales, new_leads=12, signings=4, revenue=Decimal("88000.50"))
    sales2_target = target(world.sales2, new_leads=5, signings=1, revenue=Decimal("1000"))
    inputs = page_inputs(as_admin.get(url()))
    sales_row = next(k for k, v in inputs.items() if k.endswith("-consultant") and v == str(world.sales.pk))
    inputs[sales_row.replace("consultant", "signings")] = "6"
    before = Target.objects.get(pk=sales2_target.pk)
    assert as_admin.post(url(), inputs).status_code == 302
    assert figures() == {"sales1": (12, 6, Decimal("88000.50")), "sales2": (5, 1, Decimal("1000"))}
    assert Target.objects.get(consultant=world.sales).set_by == world.admin
    after = Target.objects.get(pk=sales2_target.pk)
    assert (after.updated_at, after.set_by) == (before.updated_at, before.set_by)


def test_an_emptied_row_deletes_the_target(world, as_manager):
    target(world.sales)
    target(world.sales2)
    kept = target(world.sales, month=datetime.date(2026, 12, 1))
    response = as_manager.post(url(), post_data(team_rows(world, sales=(world.sales.pk, "", "", ""))))
    assert response.status_code == 302
    assert figures() == {"sales2": (6, 1, Decimal("12000.50"))}
    assert Target.objects.filter(pk=kept.pk).exists()  # another month is left alone
    assert shown_rows(as_manager.get(url()))[world.sales.pk] == ("", "", "")


def test_a_partly_filled_row_counts_the_empty_cells_as_zero(world, as_manager):
    rows = team_rows(world, sales=(world.sales.pk, "", "3", ""), sales2=(world.sales2.pk, "0", "", ""))
    assert as_manager.post(url(), post_data(rows)).status_code == 302
    assert figures() == {"sales1": (0, 3, Decimal("0")), "sales2": (0, 0, Decimal("0"))}


def test_the_largest_values_are_kept_exactly(world, as_manager):
    rows = team_rows(world, sales=(world.sales.pk, "1000000", "100000", "9999999999"))
    assert as_manager.post(url(), post_data(rows)).status_code == 302
    assert figures()["sales1"] == (1_000_000, 100_000, Decimal("9999999999.00"))


def test_another_teams_targets_are_left_alone(world, tele, as_manager):
    theirs = target(tele)
    before = Target.objects.filter(pk=theirs.pk).values_list().get()
    assert as_manager.post(url(), post_data(team_rows(world))).status_code == 302
    assert Target.objects.filter(pk=theirs.pk).values_list().get() == before


def test_the_service_ignores_consultants_outside_the_list_it_is_given(world, tele):
    changed = services.targets_save(
        month=Month(2026, 11),
        values={tele.pk: (1, 1, Decimal("1")), world.sales.pk: (2, 0, None)},
        consultants=[world.sales],
        by=world.manager,
    )
    assert changed == 1
    assert figures() == {"sales1": (2, 0, Decimal("0"))}


# --- Refusals --------------------------------------------------------------------------------
def _other_team(world, tele):
    return post_data(team_rows(world, sales2=(tele.pk, "1", "1", "1")))


def _not_a_consultant(world, tele):
    return post_data(team_rows(world, sales2=(world.teacher.pk, "1", "1", "1")))


def _no_such_user(world, tele):
    return post_data(team_rows(world, sales2=(999999, "1", "1", "1")))


def _duplicate(world, tele):
    return post_data(team_rows(world, sales2=(world.sales.pk, "1", "1", "1")))


def _extra_form(world, tele):
    return post_data([*team_rows(world), (tele.pk, "1", "1", "1")])


def _extra_form_of_own_team(world, tele):
    return post_data([*team_rows(world), (world.sales.pk, "1", "1", "1")])


def _huge_total_forms(world, tele):
    return {**post_data(team_rows(world)), "targets-TOTAL_FORMS": "100000000"}


def _bad_total_forms(world, tele):
    return {**post_data(team_rows(world)), "targets-TOTAL_FORMS": "abc"}


def _no_management_form(world, tele):
    return {k: v for k, v in post_data(team_rows(world)).items() if "_FORMS" not in k}


def _cell(name: str, value: str):
    def body(world, tele):
        sales = dict(
            zip(("consultant", "new_leads", "signings", "revenue"), team_rows(world)[1], strict=True)
        )
        sales[name] = value
        return post_data(team_rows(world, sales=tuple(sales.values())))

    return body


REFUSALS = {
    "another team's consultant": _other_team,
    "not a consultant": _not_a_consultant,
    "no such user": _no_such_user,
    "duplicate consultant": _duplicate,
    "extra form": _extra_form,
    "extra form repeating a consultant": _extra_form_of_own_team,
    "huge TOTAL_FORMS": _huge_total_forms,
    "TOTAL_FORMS not a number": _bad_total_forms,
    "no management form": _no_management_form,
    "consultant not a number": _cell("consultant", "abc"),
    "consultant empty": _cell("consultant", ""),
    "negative new leads": _cell("new_leads", "-1"),
    "negative signings": _cell("signings", "-1"),
    "negative revenue": _cell("revenue", "-0.01"),
    "too many new leads": _cell("new_leads", "1000001"),
    "too many signings": _cell("signings", "100001"),
    "too much revenue": _cell("revenue", "10000000000"),
    "enormous new leads": _cell("new_leads", "9" * 40),
    "enormous revenue": _cell("revenue", "9" * 40),
    "revenue with three decimals": _cell("revenue", "1.005"),
    "new leads not a number": _cell("new_leads", "abc"),
    "signings with a fraction": _cell("signings", "1.5"),
    "revenue not a number": _cell("revenue", "abc"),
    "revenue NaN": _cell("revenue", "NaN"),
    "revenue Infinity": _cell("revenue", "Infinity"),
}


@pytest.mark.parametrize("body", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_bad_submission_is_refused_and_writes_nothing(world, tele, as_manager, body):
    # Existing targets: the body would change one, delete none and add another if it were taken.
    target(world.sales, new_leads=1, signings=1, revenue=Decimal("1"))
    target(tele, new_leads=7, signings=7, revenue=Decimal("7"))
    before = snapshot()
    response = as_manager.post(url(), body(world, tele))
    assert_refused(response)
    assert snapshot() == before


def test_another_teams_consultant_says_the_list_changed(world, tele, as_manager):
    response = as_manager.post(url(), _other_team(world, tele))
    assert_refused(response)
    assert LIST_CHANGED in response.content.decode()
    # The refused page still offers the manager's own team, not the smuggled consultant.
    assert "Sales3 Tester" not in response.content.decode()


def test_a_refused_page_keeps_what_was_typed(world, as_manager):
    rows = team_rows(world, sales=(world.sales.pk, "8", "-2", "30000"))
    response = as_manager.post(url(), post_data(rows))
    assert_refused(response)
    assert shown_rows(response)[world.sales.pk] == ("8", "-2", "30000")
    assert 'name="targets-1-signings"' in response.content.decode()
    assert "is-invalid" in response.content.decode()


# --- Months ------------------------------------------------------------------------------------
def test_the_page_opens_on_the_current_month(world, as_manager):
    target(world.sales, month=Month.current().first_day, new_leads=42)
    response = as_manager.get(url(None))
    assert response.context["month"] == Month.current()
    assert f"Sales targets · {Month.current()}" in response.content.decode()
    assert shown_rows(response)[world.sales.pk][0] == "42"


def test_month_navigation_links_to_the_neighbouring_months(world, as_manager):
    target(world.sales, month=datetime.date(2026, 10, 1), new_leads=10)
    target(world.sales, month=datetime.date(2026, 12, 1), new_leads=12)
    target(world.sales, month=datetime.date(2027, 1, 1), new_leads=1)
    page = as_manager.get(url("2026-12")).content.decode()
    assert "Sales targets · 2026-12" in page
    assert 'href="?month=2026-11" data-testid="previous-month"' in page
    assert 'href="?month=2027-01" data-testid="next-month"' in page
    assert shown_rows(as_manager.get(url("2026-12")))[world.sales.pk][0] == "12"
    assert shown_rows(as_manager.get(url("2026-11")))[world.sales.pk][0] == ""
    assert shown_rows(as_manager.get(url("2026-10")))[world.sales.pk][0] == "10"
    year_end = as_manager.get(url("2027-01")).content.decode()
    assert 'href="?month=2026-12"' in year_end and 'href="?month=2027-02"' in year_end


def test_saving_one_month_leaves_the_others(world, as_manager):
    october = target(world.sales, month=datetime.date(2026, 10, 1), new_leads=10)
    before = Target.objects.filter(pk=october.pk).values_list().get()
    response = as_manager.post(url("2026-12"), post_data(team_rows(world)))
    assert response["Location"] == url("2026-12")
    assert figures(datetime.date(2026, 12, 1)) == {
        "sales1": (8, 2, Decimal("30000")),
        "sales2": (6, 1, Decimal("12000.50")),
    }
    assert Target.objects.filter(pk=october.pk).values_list().get() == before
    assert figures() == {}


PICK_A_MONTH = "Pick a month between 2000-01 and"
BAD_MONTHS = {
    "abc": PICK_A_MONTH,
    "2026-13": PICK_A_MONTH,
    "2026-00": PICK_A_MONTH,
    "2026-1": PICK_A_MONTH,
    "26-11": PICK_A_MONTH,
    "1999-12": PICK_A_MONTH,
    "0000-01": PICK_A_MONTH,
    "2026-11-01": "Ensure this value has at most 7 characters",
    "2026-11' OR 1=1 --": "Ensure this value has at most 7 characters",
}


@pytest.mark.parametrize(("month", "message"), BAD_MONTHS.items(), ids=BAD_MONTHS.keys())
def test_a_bad_month_is_refused_with_a_message_on_the_current_month(world, as_manager, month, message):
    target(world.sales, month=Month.current().first_day, new_leads=42)
    response = as_manager.get(reverse("reports:targets"), {"month": month})
    assert response.status_code == 200
    page = response.content.decode()
    assert "alert-danger" in page and escape(message) in page
    assert response.context["month"] == Month.current()
    assert shown_rows(response)[world.sales.pk][0] == "42"


def test_a_month_more_than_a_year_ahead_is_refused(world, as_manager):
    too_far = Month.current().shift(13)
    response = as_manager.get(url(str(too_far)))
    assert "Pick a month between" in response.content.decode()
    assert response.context["month"] == Month.current()
    last = Month.current().shift(12)
    assert as_manager.get(url(str(last))).context["month"] == last


@pytest.mark.parametrize("month", ["abc", "2099-01"])
def test_saving_to_a_bad_month_is_refused_and_writes_nothing(world, as_manager, month):
    """A POST whose month is unreadable must not be saved into some other month."""
    target(world.sales, month=Month.current().first_day, new_leads=1, signings=1, revenue=Decimal("1"))
    before = snapshot()
    response = as_manager.post(reverse("reports:targets") + f"?month={month}", post_data(team_rows(world)))
    assert response.status_code == 200, f"saved anyway, to {response.get('Location')}"
    assert "Pick a month between" in response.content.decode()
    assert snapshot() == before


# --- Who may open it ---------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["sales", "sales2", "finance", "teacher", "student", "outsider"])
def test_only_managers_and_admins_open_the_targets_page(world, role):
    client = make_client(world.users[role])
    target(world.sales)
    before = snapshot()
    for response in (client.get(url()), client.post(url(), post_data(team_rows(world)))):
        assert response.status_code == 403
        assert b'data-testid="forbidden"' in response.content
    assert snapshot() == before


def test_a_consultant_sees_no_link_to_the_targets_page(world, as_sales, as_manager):
    target_link = reverse("reports:targets").encode()
    assert target_link not in as_sales.get(reverse("home")).content
    assert target_link not in as_sales.get(reverse("reports:sales-report")).content
    assert target_link in as_manager.get(reverse("reports:sales-report")).content


# --- The database --------------------------------------------------------------------------------
def test_one_target_per_consultant_and_month(world):
    target(world.sales)
    target(world.sales, month=datetime.date(2026, 12, 1))  # another month is fine
    target(world.sales2)  # another consultant is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        target(world.sales, new_leads=1)
    assert Target.objects.count() == 3


# Session, user, roles and permissions, then the consultants and the month's targets.
TARGETS_PAGE_QUERIES = 6


def test_the_page_runs_the_same_queries_for_a_bigger_team(world, as_manager, django_assert_num_queries):
    """Each row shows the consultant's department: it must come with the consultants, not one
    query per row (DESIGN.md 7.4)."""
    target(world.sales)
    as_manager.get(url())
    with django_assert_num_queries(TARGETS_PAGE_QUERIES):
        assert as_manager.get(url()).status_code == 200
    for i in range(12):
        target(add_consultant(f"extra{i}", world.departments["sales"]), new_leads=i)
    with django_assert_num_queries(TARGETS_PAGE_QUERIES):
        response = as_manager.get(url())
    assert len(shown_rows(response)) == 15
