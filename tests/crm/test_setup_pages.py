"""School setup pages: create, edit, deactivate and reactivate campuses, courses, classes and
dictionary items; bad input explains itself and writes nothing; lists filter, sort and page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Campus, ClassList, Course, DictItem
from tests.conftest import assert_form_refused


def snapshot(model) -> list[tuple]:
    """Every row, every column: a refused form must leave this unchanged."""
    return sorted(model.objects.values_list(), key=repr)


# --- Campuses ----------------------------------------------------------------------------------
def campus_data(**changes):
    return {"name": "广州", "address": "天河区", "phone": "020-1234", "is_active": "on", **changes}


def test_campus_create_edit_deactivate_reactivate(world, as_admin):
    response = as_admin.post(reverse("crm:campus-create"), campus_data())
    assert response["Location"] == reverse("crm:campus-list")
    campus = Campus.objects.get(name="广州")
    assert (campus.address, campus.phone, campus.is_active) == ("天河区", "020-1234", True)

    response = as_admin.post(reverse("crm:campus-update", args=[campus.pk]), campus_data(name="广州天河"))
    assert response["Location"] == reverse("crm:campus-list")
    campus.refresh_from_db()
    assert campus.name == "广州天河"

    as_admin.post(reverse("crm:campus-set-active", args=[campus.pk]), {"active": "0"})
    campus.refresh_from_db()
    assert campus.is_active is False
    as_admin.post(reverse("crm:campus-set-active", args=[campus.pk]), {"active": "1"})
    campus.refresh_from_db()
    assert campus.is_active is True


def test_the_edit_form_shows_the_current_values(world, as_admin):
    page = as_admin.get(reverse("crm:campus-update", args=[world.beijing.pk])).content.decode()
    assert 'value="北京"' in page
    assert 'value="北京市昌平区"' in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "北京"}, "name"),
        ({"name": "x" * 51}, "name"),
    ],
)
def test_bad_campus_input_writes_nothing(world, as_admin, changes, field):
    before = snapshot(Campus)
    assert_form_refused(as_admin.post(reverse("crm:campus-create"), campus_data(**changes)), field)
    assert_form_refused(
        as_admin.post(reverse("crm:campus-update", args=[world.shanghai.pk]), campus_data(**changes)), field
    )
    assert snapshot(Campus) == before


def test_unknown_setup_records_are_404(world, as_admin):
    for url_name in ("crm:campus-update", "crm:course-update", "crm:class-update", "crm:dictitem-update"):
        assert as_admin.get(reverse(url_name, args=[999999])).status_code == 404
    for url_name in ("crm:campus-set-active", "crm:class-set-active", "crm:dictitem-set-active"):
        assert as_admin.post(reverse(url_name, args=[999999]), {"active": "0"}).status_code == 404


# --- Courses -----------------------------------------------------------------------------------
def course_data(**changes):
    return {
        "name": "前端开发",
        "default_price": "12800.00",
        "outline": "HTML, CSS, JavaScript",
        "contract_template": "合同",
        "is_active": "on",
        **changes,
    }


def test_course_create_edit_deactivate_reactivate(world, as_admin):
    response = as_admin.post(reverse("crm:course-create"), course_data())
    assert response["Location"] == reverse("crm:course-list")
    course = Course.objects.get(name="前端开发")
    assert course.default_price == Decimal("12800.00")

    as_admin.post(reverse("crm:course-update", args=[course.pk]), course_data(default_price="9900"))
    course.refresh_from_db()
    assert course.default_price == Decimal("9900")

    as_admin.post(reverse("crm:course-set-active", args=[course.pk]), {"active": "0"})
    assert Course.objects.get(pk=course.pk).is_active is False
    as_admin.post(reverse("crm:course-set-active", args=[course.pk]), {"active": "1"})
    assert Course.objects.get(pk=course.pk).is_active is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Python全栈开发"}, "name"),
        ({"default_price": ""}, "default_price"),
        ({"default_price": "-1"}, "default_price"),
        ({"default_price": "abc"}, "default_price"),
        ({"default_price": "1.234"}, "default_price"),
        ({"default_price": "123456789"}, "default_price"),
        ({"default_price": "NaN"}, "default_price"),
        ({"default_price": "Infinity"}, "default_price"),
    ],
)
def test_bad_course_input_writes_nothing(world, as_admin, changes, field):
    before = snapshot(Course)
    assert_form_refused(as_admin.post(reverse("crm:course-create"), course_data(**changes)), field)
    assert_form_refused(
        as_admin.post(reverse("crm:course-update", args=[world.linux.pk]), course_data(**changes)), field
    )
    assert snapshot(Course) == before


# --- Classes -----------------------------------------------------------------------------------
@pytest.fixture
def class_data(world):
    def build(**changes):
        data = {
            "course": world.python.pk,
            "campus": world.shanghai.pk,
            "semester": "10",
            "price": "18800",
            "start_date": "2027-01-05",
            "graduate_date": "2027-06-30",
            "capacity": "50",
            "teachers": [world.teacher.pk],
            "adviser": world.teacher.pk,
            "is_active": "on",
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}

    return build


def test_class_create_edit_deactivate_reactivate(world, as_admin, class_data):
    response = as_admin.post(reverse("crm:class-create"), class_data())
    assert response["Location"] == reverse("crm:class-list")
    created = ClassList.objects.get(course=world.python, campus=world.shanghai, semester=10)
    assert created.price == Decimal("18800")
    assert (created.start_date, created.graduate_date) == (date(2027, 1, 5), date(2027, 6, 30))
    assert list(created.teachers.all()) == [world.teacher]
    assert created.adviser == world.teacher

    as_admin.post(reverse("crm:class-update", args=[created.pk]), class_data(capacity="30", teachers=[]))
    created.refresh_from_db()
    assert created.capacity == 30
    assert not created.teachers.exists()

    as_admin.post(reverse("crm:class-set-active", args=[created.pk]), {"active": "0"})
    assert ClassList.objects.get(pk=created.pk).is_active is False
    as_admin.post(reverse("crm:class-set-active", args=[created.pk]), {"active": "1"})
    assert ClassList.objects.get(pk=created.pk).is_active is True


def test_an_empty_class_price_takes_the_course_default(world, as_admin, class_data):
    as_admin.post(reverse("crm:class-create"), class_data(price=""))
    created = ClassList.objects.get(course=world.python, campus=world.shanghai, semester=10)
    assert created.price == world.python.default_price


def test_a_class_on_a_deactivated_campus_can_still_be_edited(world, as_admin, class_data):
    Campus.objects.filter(pk=world.beijing.pk).update(is_active=False)
    url = reverse("crm:class-update", args=[world.class_a.pk])
    response = as_admin.post(url, class_data(campus=world.beijing.pk, semester="9", capacity="45"))
    assert response["Location"] == reverse("crm:class-list")
    assert ClassList.objects.get(pk=world.class_a.pk).capacity == 45


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"course": ""}, "course"),
        ({"campus": ""}, "campus"),
        ({"semester": ""}, "semester"),
        ({"start_date": ""}, "start_date"),
        ({"semester": "9", "campus": "BEIJING"}, "campus"),
        ({"price": "-100"}, "price"),
        ({"price": "abc"}, "price"),
        ({"graduate_date": "2026-12-31"}, "graduate_date"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-5"}, "capacity"),
        ({"capacity": "ten"}, "capacity"),
        ({"semester": "0"}, "semester"),
        ({"start_date": "2027-02-30"}, "start_date"),
        ({"start_date": "not a date"}, "start_date"),
        ({"graduate_date": "2027-13-01"}, "graduate_date"),
        ({"campus": "999999"}, "campus"),
        ({"course": "abc"}, "course"),
        ({"teachers": ["999999"]}, "teachers"),
        ({"adviser": "999999"}, "adviser"),
    ],
)
def test_bad_class_input_writes_nothing(world, as_admin, class_data, changes, field):
    before = (snapshot(ClassList), snapshot(ClassList.teachers.through))
    assert_form_refused(as_admin.post(reverse("crm:class-create"), class_data(**changes)), field)
    url = reverse("crm:class-update", args=[world.class_b.pk])
    assert_form_refused(as_admin.post(url, class_data(**changes)), field)
    assert (snapshot(ClassList), snapshot(ClassList.teachers.through)) == before


def test_a_duplicate_class_is_refused(world, as_admin, class_data):
    before = snapshot(ClassList)
    duplicate = class_data(course=world.python.pk, campus=world.beijing.pk, semester="9")
    assert_form_refused(as_admin.post(reverse("crm:class-create"), duplicate), "__all__")
    assert_form_refused(
        as_admin.post(reverse("crm:class-update", args=[world.class_b.pk]), duplicate), "__all__"
    )
    assert snapshot(ClassList) == before


def test_only_active_courses_and_campuses_are_offered_for_a_new_class(world, as_admin, class_data):
    Campus.objects.filter(pk=world.shanghai.pk).update(is_active=False)
    Course.objects.filter(pk=world.linux.pk).update(is_active=False)
    before = snapshot(ClassList)
    response = as_admin.post(reverse("crm:class-create"), class_data(course=world.linux.pk))
    assert_form_refused(response, "campus", "course")
    assert snapshot(ClassList) == before


def test_an_inactive_campus_or_course_without_classes_is_not_offered_either(world, as_admin, class_data):
    """Records never used by any class are the easy case to forget in "active or already used"."""
    unused_campus = Campus.objects.create(name="深圳", is_active=False)
    unused_course = Course.objects.create(name="停招课程", default_price=1, is_active=False)
    before = snapshot(ClassList)
    response = as_admin.post(
        reverse("crm:class-create"), class_data(campus=unused_campus.pk, course=unused_course.pk)
    )
    assert_form_refused(response, "campus", "course")
    assert snapshot(ClassList) == before
    options = as_admin.get(reverse("crm:class-create")).context["form"]
    assert unused_campus not in options.fields["campus"].queryset
    assert unused_course not in options.fields["course"].queryset


def test_only_people_who_can_teach_are_offered_as_teachers(world, as_admin, class_data):
    """Teachers and advisers are chosen among users whose roles show them their own classes."""
    before = snapshot(ClassList)
    response = as_admin.post(
        reverse("crm:class-create"), class_data(teachers=[world.sales.pk], adviser=world.finance.pk)
    )
    assert_form_refused(response, "teachers", "adviser")
    assert snapshot(ClassList) == before


# --- Data dictionary ---------------------------------------------------------------------------
def dict_data(**changes):
    return {
        "kind": "source",
        "code": "job_fair",
        "label": "招聘会",
        "order": "5",
        "is_active": "on",
        **changes,
    }


def test_dictitem_create_edit_deactivate_reactivate(world, as_admin):
    response = as_admin.post(reverse("crm:dictitem-create"), dict_data())
    # Back to the list of the item's kind (the only part a sales manager may open).
    assert response["Location"] == reverse("crm:dictitem-list") + "?kind=source"
    item = DictItem.objects.get(code="job_fair")
    assert (item.kind, item.label, item.order) == ("source", "招聘会", 5)

    as_admin.post(reverse("crm:dictitem-update", args=[item.pk]), dict_data(label="校园招聘会"))
    assert DictItem.objects.get(pk=item.pk).label == "校园招聘会"

    as_admin.post(reverse("crm:dictitem-set-active", args=[item.pk]), {"active": "0"})
    assert DictItem.objects.get(pk=item.pk).is_active is False
    as_admin.post(reverse("crm:dictitem-set-active", args=[item.pk]), {"active": "1"})
    assert DictItem.objects.get(pk=item.pk).is_active is True


def test_the_same_code_may_be_used_in_another_kind(world, as_admin):
    as_admin.post(reverse("crm:dictitem-create"), dict_data(kind="education", code="website"))
    assert DictItem.objects.filter(code="website").count() == 2


def test_the_create_form_starts_with_the_kind_from_the_query(world, as_admin):
    form = as_admin.get(reverse("crm:dictitem-create") + "?kind=education").context["form"]
    assert form.initial["kind"] == "education"
    form = as_admin.get(reverse("crm:dictitem-create") + "?kind=bogus").context["form"]
    assert "kind" not in form.initial


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "website"}, "__all__"),
        ({"kind": "bogus"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"label": ""}, "label"),
        ({"code": ""}, "code"),
        ({"code": "not a slug"}, "code"),
        ({"order": "-1"}, "order"),
        ({"order": "first"}, "order"),
    ],
)
def test_bad_dictitem_input_writes_nothing(world, as_admin, changes, field):
    before = snapshot(DictItem)
    assert_form_refused(as_admin.post(reverse("crm:dictitem-create"), dict_data(**changes)), field)
    if field != "__all__":
        url = reverse("crm:dictitem-update", args=[world.source.pk])
        assert_form_refused(as_admin.post(url, dict_data(**changes)), field)
    assert snapshot(DictItem) == before


def test_a_sales_manager_adds_a_source_but_nothing_else(world, as_manager):
    url = reverse("crm:dictitem-create") + "?kind=source"
    assert as_manager.get(url).context["form"].initial == {"kind": "source"}
    response = as_manager.post(url, dict_data())
    assert response.status_code == 302
    assert DictItem.objects.get(code="job_fair").kind == "source"
    before = snapshot(DictItem)
    assert as_manager.post(url, dict_data(kind="education", code="phd")).status_code == 403
    assert snapshot(DictItem) == before


# --- Lists: filters, search, sort, pages ---------------------------------------------------------
def listed(response) -> list[str]:
    assert response.status_code == 200
    return [str(row) for row in response.context["object_list"]]


def test_campus_list_search_filter_and_sort(world, as_admin):
    url = reverse("crm:campus-list")
    assert listed(as_admin.get(url + "?q=浦东")) == ["上海"]
    assert listed(as_admin.get(url + "?o=-name")) == sorted(["北京", "上海"], reverse=True)
    Campus.objects.filter(pk=world.shanghai.pk).update(is_active=False)
    assert listed(as_admin.get(url + "?is_active=false")) == ["上海"]
    assert listed(as_admin.get(url + "?is_active=true")) == ["北京"]
    assert listed(as_admin.get(url + "?q=nowhere")) == []


def test_course_list_search_and_sort_by_price(world, as_admin):
    url = reverse("crm:course-list")
    assert listed(as_admin.get(url + "?o=price")) == ["Linux运维", "Python全栈开发"]
    assert listed(as_admin.get(url + "?o=-price")) == ["Python全栈开发", "Linux运维"]
    assert listed(as_admin.get(url + "?q=linux")) == ["Linux运维"]


def test_class_list_filters(world, as_admin):
    url = reverse("crm:class-list")
    a, b = str(world.class_a), str(world.class_b)
    assert listed(as_admin.get(f"{url}?campus={world.beijing.pk}")) == [a]
    assert listed(as_admin.get(f"{url}?course={world.linux.pk}")) == [b]
    assert listed(as_admin.get(f"{url}?teacher={world.teacher.pk}")) == [a]
    assert listed(as_admin.get(f"{url}?start_after=2026-10-01")) == [b]
    assert listed(as_admin.get(f"{url}?q=上海")) == [b]
    assert listed(as_admin.get(f"{url}?o=start")) == [a, b]
    assert listed(as_admin.get(f"{url}?o=-start")) == [b, a]


def test_dictitem_list_filters_by_kind(world, as_admin):
    url = reverse("crm:dictitem-list")
    assert listed(as_admin.get(url + "?kind=education")) == ["本科"]
    assert listed(as_admin.get(url + "?q=官方")) == ["官方网站"]


def test_list_pages_and_page_sizes(world, as_admin):
    Campus.objects.bulk_create(Campus(name=f"分校{i:02d}") for i in range(45))  # 47 campuses in all
    url = reverse("crm:campus-list")
    assert len(listed(as_admin.get(url))) == 20
    assert len(listed(as_admin.get(url + "?page=2"))) == 20
    assert len(listed(as_admin.get(url + "?page=3"))) == 7
    assert len(listed(as_admin.get(url + "?size=50"))) == 47
    assert len(listed(as_admin.get(url + "?size=100"))) == 47
    response = as_admin.get(url + "?page=2&q=分校")
    assert response.context["page_obj"].paginator.count == 45
    assert 'data-testid="result-count"' in response.content.decode()
    # Out-of-range and odd values fall back instead of failing.
    assert len(listed(as_admin.get(url + "?page=999"))) == 7
    assert len(listed(as_admin.get(url + "?page=0"))) == 7
    assert len(listed(as_admin.get(url + "?page=abc"))) == 20
    assert len(listed(as_admin.get(url + "?size=7"))) == 20
    assert len(listed(as_admin.get(url + "?size=-1"))) == 20
    assert len(listed(as_admin.get(url + "?size=99999999999999999999"))) == 20


GARBAGE = [
    "campus=abc",
    "course=-1",
    "teacher=1.5",
    "kind=bogus",
    "department=abc",
    "role=%27%20OR%201%3D1",
    "is_active=maybe",
    "awaiting_approval=perhaps",
    "start_after=2026-02-30",
    "start_after=yesterday",
    "o=bogus",
    "o=-password",
    "o=",
    "page=999",
    "page=-1",
    "page=1e9",
    "size=7",
    "size=abc",
    "q=%00",
    "q=" + "x" * 2000,
    "q=%25%5F%5C",
    "q=%F0%9F%98%80",
    "campus=abc&o=bogus&page=999&size=7&q=%00",
]
SETUP_LISTS = ["crm:campus-list", "crm:course-list", "crm:class-list", "crm:dictitem-list"]


@pytest.mark.parametrize("url_name", SETUP_LISTS)
def test_garbage_query_values_never_break_a_list(world, as_admin, url_name):
    for query in GARBAGE:
        response = as_admin.get(f"{reverse(url_name)}?{query}")
        assert response.status_code == 200, query


def test_an_invalid_filter_shows_its_error_and_an_empty_list(world, as_admin):
    response = as_admin.get(reverse("crm:class-list") + "?campus=abc")
    assert response.context["filter"].errors
    assert listed(response) == []
    assert 'class="invalid-feedback' in response.content.decode()
