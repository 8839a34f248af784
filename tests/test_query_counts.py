"""Query counts are designed (DESIGN.md section 7.4): each list page runs a pinned number of queries
for the admin, and that number does not grow with the rows on the page or the page size."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.urls import reverse

from accounts.models import Department, Notification, User
from crm.models import Campus, ClassList, Course, DictItem
from rbac.models import PermissionEntry, Role

# Queries per page load for the admin user, whatever the number of rows shown.
QUERY_COUNTS = {
    "home": 25,  # the admin's home: the manager's, finance's and admin's panels
    "accounts:notification-list": 6,
    "rbac:role-list": 6,
    "rbac:user-list": 9,
    "rbac:department-list": 6,
    "crm:campus-list": 6,
    "crm:course-list": 6,
    "crm:class-list": 10,
    "crm:dictitem-list": 6,
}

serial = count(1)


def add_departments(world, n):
    departments = Department.objects.bulk_create(
        Department(name=f"部门{i}", code=f"dept-{i}") for i in (next(serial) for _ in range(n))
    )
    for department in departments:
        User.objects.create_user(username=f"member-{department.code}", department=department)


def add_users(world, n):
    roles = list(world.roles.values())
    for i in (next(serial) for _ in range(n)):
        user = User.objects.create_user(
            username=f"user-{i:03d}", email=f"user{i}@example.test", department=world.departments["sales"]
        )
        user.roles.add(roles[i % len(roles)], roles[(i + 1) % len(roles)])


def add_roles(world, n):
    entries = list(PermissionEntry.objects.all()[:5])
    for i in (next(serial) for _ in range(n)):
        role = Role.objects.create(name=f"角色{i:03d}", slug=f"role-{i}")
        role.permissions.add(*entries)
        role.users.add(world.sales, world.sales2)


def add_campuses(world, n):
    for i in (next(serial) for _ in range(n)):
        campus = Campus.objects.create(name=f"分校{i:03d}")
        ClassList.objects.create(
            course=world.python, campus=campus, semester=1, price=1, start_date=date(2026, 1, 1)
        )


def add_courses(world, n):
    for i in (next(serial) for _ in range(n)):
        course = Course.objects.create(name=f"课程{i:03d}", default_price=Decimal("100"), outline="大纲")
        ClassList.objects.create(
            course=course, campus=world.beijing, semester=1, price=1, start_date=date(2026, 1, 1)
        )


def _add_classes(world, n, teacher):
    for i in (next(serial) for _ in range(n)):
        class_list = ClassList.objects.create(
            course=world.linux,
            campus=world.beijing,
            semester=100 + i,
            price=Decimal("16800"),
            start_date=date(2027, 1, 1) + timedelta(days=i),
            adviser=world.teacher,
        )
        class_list.teachers.add(teacher, world.teacher)


def add_classes(world, n):
    _add_classes(world, n, world.sales)


def add_taught_classes(world, n):
    """Classes the admin teaches: they show on the admin's home page."""
    _add_classes(world, n, world.admin)


def add_dict_items(world, n):
    DictItem.objects.bulk_create(
        DictItem(kind=DictItem.Kind.SOURCE, code=f"source-{i}", label=f"来源{i}", order=i)
        for i in (next(serial) for _ in range(n))
    )


def add_notifications(world, n):
    Notification.objects.bulk_create(
        Notification(recipient=world.admin, text=f"通知{i}", link="/") for i in range(n)
    )


ROWS = {
    "home": add_taught_classes,
    "accounts:notification-list": add_notifications,
    "rbac:role-list": add_roles,
    "rbac:user-list": add_users,
    "rbac:department-list": add_departments,
    "crm:campus-list": add_campuses,
    "crm:course-list": add_courses,
    "crm:class-list": add_classes,
    "crm:dictitem-list": add_dict_items,
}


def test_every_list_page_has_a_pinned_count():
    assert set(QUERY_COUNTS) == set(ROWS)


@pytest.mark.parametrize("url_name", QUERY_COUNTS)
def test_list_page_query_count_is_pinned_and_flat(world, as_admin, django_assert_num_queries, url_name):
    url = reverse(url_name)
    expected = QUERY_COUNTS[url_name]
    ROWS[url_name](world, 3)
    assert as_admin.get(url).status_code == 200  # warm-up

    with django_assert_num_queries(expected):
        response = as_admin.get(url)
    assert response.status_code == 200

    ROWS[url_name](world, 45)
    for query in ("", "?size=20", "?size=50", "?page=2"):
        with django_assert_num_queries(expected):
            response = as_admin.get(url + query)
        assert response.status_code == 200
    if "page_obj" in response.context:
        assert len(response.context["page_obj"]) == 20  # the second page of 20 is full
