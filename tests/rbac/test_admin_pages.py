"""Accounts and roles pages: departments, users and roles, their bad input and their lists."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Department, User
from accounts.services import user_set_active
from rbac.models import PermissionEntry, Role
from tests.conftest import assert_form_refused, make_client


def snapshot(model) -> list[tuple]:
    return sorted(model.objects.values_list(), key=repr)


def codes(*codenames: str) -> list[int]:
    return list(PermissionEntry.objects.filter(codename__in=codenames).values_list("pk", flat=True))


# --- Departments -------------------------------------------------------------------------------
def department_data(**changes):
    return {"name": "市场部", "code": "marketing", "is_active": "on", **changes}


def test_department_create_edit_deactivate_reactivate(world, as_admin):
    response = as_admin.post(reverse("rbac:department-create"), department_data())
    assert response["Location"] == reverse("rbac:department-list")
    department = Department.objects.get(code="marketing")

    as_admin.post(reverse("rbac:department-update", args=[department.pk]), department_data(name="市场营销部"))
    assert Department.objects.get(pk=department.pk).name == "市场营销部"

    as_admin.post(reverse("rbac:department-set-active", args=[department.pk]), {"active": "0"})
    assert Department.objects.get(pk=department.pk).is_active is False
    as_admin.post(reverse("rbac:department-set-active", args=[department.pk]), {"active": "1"})
    assert Department.objects.get(pk=department.pk).is_active is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "销售部"}, "name"),
        ({"code": ""}, "code"),
        ({"code": "sales"}, "code"),
        ({"code": "not a slug"}, "code"),
        ({"code": "x" * 31}, "code"),
    ],
)
def test_bad_department_input_writes_nothing(world, as_admin, changes, field):
    before = snapshot(Department)
    assert_form_refused(as_admin.post(reverse("rbac:department-create"), department_data(**changes)), field)
    url = reverse("rbac:department-update", args=[world.departments["finance"].pk])
    assert_form_refused(as_admin.post(url, department_data(**changes)), field)
    assert snapshot(Department) == before


# --- Users -------------------------------------------------------------------------------------
@pytest.fixture
def user_data(world):
    def build(**changes):
        data = {
            "username": "newhire",
            "display_name": "New Hire",
            "email": "newhire@example.test",
            "phone": "13700000000",
            "department": world.departments["sales"].pk,
            "is_active": "on",
            "roles": [world.roles["sales"].pk],
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}

    return build


def test_user_create_shows_in_the_list(world, as_admin, user_data):
    response = as_admin.post(reverse("rbac:user-create"), user_data())
    assert response["Location"] == reverse("rbac:user-list")
    page = as_admin.get(reverse("rbac:user-list") + "?q=newhire")
    assert [account.username for account in page.context["object_list"]] == ["newhire"]


def test_editing_a_users_roles_applies_on_their_next_request(world, as_admin, as_sales, user_data):
    assert as_sales.get(reverse("crm:course-list")).status_code == 200
    assert as_sales.get(reverse("crm:campus-list")).status_code == 403

    url = reverse("rbac:user-update", args=[world.sales.pk])
    data = user_data(username="sales1", email="sales1@example.test", roles=[world.roles["admin"].pk])
    assert as_admin.post(url, data)["Location"] == reverse("rbac:user-list")
    assert as_sales.get(reverse("crm:campus-list")).status_code == 200

    assert as_admin.post(url, {**data, "roles": []}).status_code == 302
    assert as_sales.get(reverse("crm:course-list")).status_code == 403


def test_the_user_form_shows_the_current_roles(world, as_admin):
    form = as_admin.get(reverse("rbac:user-update", args=[world.sales.pk])).context["form"]
    assert list(form["roles"].value()) == [world.roles["sales"].pk]


def test_user_deactivate_and_reactivate(world, as_admin, as_sales):
    url = reverse("rbac:user-set-active", args=[world.sales.pk])
    assert as_admin.post(url, {"active": "0"})["Location"] == reverse("rbac:user-list")
    assert User.objects.get(pk=world.sales.pk).is_active is False
    assert as_sales.get(reverse("home")).status_code == 302  # signed out on the next request

    as_admin.post(url, {"active": "1"})
    assert User.objects.get(pk=world.sales.pk).is_active is True
    assert as_sales.get(reverse("home")).status_code == 200  # the session was kept, and works again


def test_an_admin_cannot_deactivate_their_own_account(world, as_admin):
    response = as_admin.post(
        reverse("rbac:user-set-active", args=[world.admin.pk]), {"active": "0"}, follow=True
    )
    assert "You cannot deactivate your own account." in response.content.decode()
    assert User.objects.get(pk=world.admin.pk).is_active is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "sales2"}, "username"),
        ({"username": "SALES2"}, "username"),
        ({"username": "has space"}, "username"),
        ({"email": ""}, "email"),
        ({"email": "sales2@example.test"}, "email"),
        ({"email": "Sales2@Example.Test"}, "email"),
        ({"email": "nope"}, "email"),
        ({"display_name": ""}, "display_name"),
        ({"department": "999999"}, "department"),
        ({"department": "abc"}, "department"),
        ({"roles": ["999999"]}, "roles"),
    ],
)
def test_bad_user_input_writes_nothing(world, as_admin, user_data, changes, field):
    before = (snapshot(User), snapshot(Role.users.through))
    assert_form_refused(as_admin.post(reverse("rbac:user-create"), user_data(**changes)), field)
    url = reverse("rbac:user-update", args=[world.sales.pk])
    assert_form_refused(as_admin.post(url, user_data(**changes)), field)
    assert (snapshot(User), snapshot(Role.users.through)) == before


def test_a_deactivated_department_is_not_offered_to_new_users(world, as_admin, user_data):
    Department.objects.filter(pk=world.departments["sales"].pk).update(is_active=False)
    before = snapshot(User)
    assert_form_refused(as_admin.post(reverse("rbac:user-create"), user_data()), "department")
    assert snapshot(User) == before


def test_a_user_in_a_deactivated_department_can_still_be_edited(world, as_admin, user_data):
    """Deactivating a department must not lock its members' accounts out of the edit form."""
    Department.objects.filter(pk=world.departments["sales"].pk).update(is_active=False)
    data = user_data(username="sales1", email="sales1@example.test", display_name="改名了")
    response = as_admin.post(reverse("rbac:user-update", args=[world.sales.pk]), data)
    assert response["Location"] == reverse("rbac:user-list")
    assert User.objects.get(pk=world.sales.pk).display_name == "改名了"


def test_unknown_users_departments_and_roles_are_404(world, as_admin):
    for url_name in ("rbac:user-update", "rbac:department-update", "rbac:role-update"):
        assert as_admin.get(reverse(url_name, args=[999999])).status_code == 404
    for url_name in ("rbac:user-set-active", "rbac:user-password-link", "rbac:role-delete"):
        assert as_admin.post(reverse(url_name, args=[999999])).status_code == 404


# --- Roles -------------------------------------------------------------------------------------
@pytest.fixture
def role_data(world):
    def build(**changes):
        data = {
            "name": "校区主任",
            "slug": "campus_head",
            "description": "管理校区",
            "data_scope": "department",
            "permissions": codes("crm.campus_list", "crm.campus_update"),
            "users": [world.sales2.pk],
        }
        data.update(changes)
        return data

    return build


def test_a_new_role_gives_its_members_its_pages(world, as_admin, role_data):
    as_sales2 = make_client(world.sales2)
    assert as_sales2.get(reverse("crm:campus-list")).status_code == 403

    response = as_admin.post(reverse("rbac:role-create"), role_data())
    assert response["Location"] == reverse("rbac:role-list")
    role = Role.objects.get(slug="campus_head")
    assert set(role.permissions.values_list("codename", flat=True)) == {
        "crm.campus_list",
        "crm.campus_update",
    }
    assert list(role.users.all()) == [world.sales2]

    assert as_sales2.get(reverse("crm:campus-list")).status_code == 200
    assert as_sales2.get(reverse("crm:campus-update", args=[world.beijing.pk])).status_code == 200
    assert as_sales2.get(reverse("crm:campus-create")).status_code == 403


def test_unticking_a_permission_applies_on_the_members_next_request(world, as_admin, as_sales):
    sales = world.roles["sales"]
    url = reverse("rbac:role-update", args=[sales.pk])
    page = as_admin.get(url).content.decode()
    assert 'data-codename="crm.course_list" checked' in page
    assert 'data-codename="crm.campus_list" checked' not in page

    kept = codes("crm.class_list", "crm.class_detail")
    data = {
        "name": sales.name,
        "slug": sales.slug,
        "description": sales.description,
        "data_scope": sales.data_scope,
        "permissions": kept,
        "users": [world.sales.pk, world.sales2.pk],
    }
    assert as_admin.post(url, data)["Location"] == reverse("rbac:role-list")
    assert as_sales.get(reverse("crm:course-list")).status_code == 403
    assert as_sales.get(reverse("crm:class-list")).status_code == 200


def _selected_users(page: str) -> list[str]:
    """What a browser posts back from the role form's user list: its selected options."""
    select = re.search(r'<select name="users".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="(\d+)" selected>', select)


def test_saving_a_role_keeps_its_deactivated_members(world, as_admin):
    """A deactivated account keeps its roles, so reactivating it restores its access."""
    sales = world.roles["sales"]
    user_set_active(user=world.sales2, active=False)
    url = reverse("rbac:role-update", args=[sales.pk])
    response = as_admin.get(url)
    data = {
        "name": sales.name,
        "slug": sales.slug,
        "description": "edited while sales2 is away",
        "data_scope": sales.data_scope,
        "permissions": [str(pk) for pk in response.context["form"]["permissions"].value()],
        "users": _selected_users(response.content.decode()),
    }
    assert as_admin.post(url, data)["Location"] == reverse("rbac:role-list")
    assert set(Role.objects.get(pk=sales.pk).users.all()) == {world.sales, world.sales2}
    user_set_active(user=world.sales2, active=True)
    assert make_client(world.sales2).get(reverse("crm:course-list")).status_code == 200


def test_deleting_a_role_takes_its_pages_from_its_members(world, as_admin, as_sales):
    assert as_sales.get(reverse("crm:course-list")).status_code == 200
    response = as_admin.post(reverse("rbac:role-delete", args=[world.roles["sales"].pk]))
    assert response["Location"] == reverse("rbac:role-list")
    assert not Role.objects.filter(slug="sales").exists()
    assert as_sales.get(reverse("crm:course-list")).status_code == 403


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"slug": ""}, "slug"),
        ({"slug": "sales"}, "slug"),
        ({"slug": "not a slug"}, "slug"),
        ({"data_scope": "bogus"}, "data_scope"),
        ({"data_scope": ""}, "data_scope"),
        ({"permissions": ["999999"]}, "permissions"),
        ({"permissions": ["abc"]}, "permissions"),
        ({"users": ["999999"]}, "users"),
    ],
)
def test_bad_role_input_writes_nothing(world, as_admin, role_data, changes, field):
    before = (snapshot(Role), snapshot(Role.permissions.through), snapshot(Role.users.through))
    response = as_admin.post(reverse("rbac:role-create"), role_data(**changes))
    assert_form_refused(response, field)
    assert (snapshot(Role), snapshot(Role.permissions.through), snapshot(Role.users.through)) == before


def test_a_duplicate_role_name_is_refused(world, as_admin, role_data):
    before = snapshot(Role)
    response = as_admin.post(reverse("rbac:role-create"), role_data(name=world.roles["sales"].name))
    assert_form_refused(response, "name")
    assert snapshot(Role) == before


def test_a_refused_role_form_keeps_the_ticked_boxes(world, as_admin, role_data):
    page = as_admin.post(reverse("rbac:role-create"), role_data(name="")).content.decode()
    assert 'data-codename="crm.campus_list" checked' in page
    assert 'data-codename="crm.course_list" checked' not in page


# --- Lists -------------------------------------------------------------------------------------
def usernames(response) -> list[str]:
    assert response.status_code == 200
    return [account.username for account in response.context["object_list"]]


def test_user_list_filters(world, as_admin):
    url = reverse("rbac:user-list")
    assert usernames(as_admin.get(f"{url}?role={world.roles['sales'].pk}")) == ["sales1", "sales2"]
    assert usernames(as_admin.get(f"{url}?department={world.departments['sales'].pk}")) == [
        "manager",
        "sales1",
        "sales2",
    ]
    assert usernames(as_admin.get(f"{url}?q=SALES&o=-username")) == ["sales2", "sales1"]
    User.objects.create_user(
        username="pending", email="p@example.test", is_active=False, awaiting_approval=True
    )
    assert usernames(as_admin.get(f"{url}?awaiting_approval=true")) == ["pending"]
    assert usernames(as_admin.get(f"{url}?is_active=false")) == ["pending"]
    page = as_admin.get(f"{url}?awaiting_approval=true").content.decode()
    assert reverse("rbac:user-approve", args=[User.objects.get(username="pending").pk]) in page


def test_role_list_search_and_sort(world, as_admin):
    url = reverse("rbac:role-list")
    response = as_admin.get(f"{url}?q=sales_manager")
    assert [role.slug for role in response.context["object_list"]] == ["sales_manager"]
    by_users = as_admin.get(f"{url}?o=-users").context["object_list"]
    assert by_users[0].slug == "sales"
    assert by_users[0].user_count == 2


def test_department_list_search_and_sort(world, as_admin):
    url = reverse("rbac:department-list")
    assert [d.code for d in as_admin.get(f"{url}?q=销售").context["object_list"]] == ["sales"]
    by_members = as_admin.get(f"{url}?o=-members").context["object_list"]
    assert (by_members[0].code, by_members[0].member_count) == ("sales", 3)


GARBAGE = [
    "department=abc",
    "role=-1",
    "is_active=maybe",
    "awaiting_approval=perhaps",
    "o=bogus",
    "o=-password",
    "page=999",
    "page=-1",
    "size=7",
    "q=%00",
    "q=%25%5F",
    "department=abc&role=x&o=bogus&page=999&size=7&q=%00",
]


@pytest.mark.parametrize("url_name", ["rbac:user-list", "rbac:role-list", "rbac:department-list"])
def test_garbage_query_values_never_break_a_list(world, as_admin, url_name):
    for query in GARBAGE:
        assert as_admin.get(f"{reverse(url_name)}?{query}").status_code == 200, query


# --- Superuser accounts are out of reach of the admin role -------------------------------------
@pytest.mark.parametrize(
    ("url_name", "method", "data"),
    [
        ("rbac:user-update", "get", {}),
        ("rbac:user-update", "post", {"username": "root", "display_name": "x", "email": "evil@example.test"}),
        ("rbac:user-set-active", "post", {"active": "0"}),
        ("rbac:user-password-link", "post", {}),
    ],
)
def test_the_admin_role_cannot_touch_a_superuser(world, as_admin, mailoutbox, url_name, method, data):
    before = snapshot(User)
    response = getattr(as_admin, method)(reverse(url_name, args=[world.superuser.pk]), data)
    assert response.status_code == 404
    assert snapshot(User) == before
    assert mailoutbox == []


def test_superusers_are_listed_only_for_superusers(world, as_admin, as_superuser):
    url = reverse("rbac:user-list")
    assert world.superuser not in as_admin.get(url).context["page_obj"].object_list
    assert world.superuser in as_superuser.get(url).context["page_obj"].object_list


def test_a_superuser_may_manage_a_superuser(world, as_superuser, mailoutbox):
    response = as_superuser.post(reverse("rbac:user-password-link", args=[world.superuser.pk]))
    assert response.status_code == 302
    assert len(mailoutbox) == 1


# --- The (de)activate flag must say what to do -------------------------------------------------
@pytest.mark.parametrize("value", [None, "", "yes", "true", "2"])
@pytest.mark.parametrize(
    ("url_name", "target"),
    [
        ("rbac:user-set-active", lambda world: world.users["sales2"]),
        ("rbac:department-set-active", lambda world: world.departments["sales"]),
        ("crm:campus-set-active", lambda world: world.beijing),
    ],
)
def test_an_unclear_active_flag_changes_nothing(world, as_admin, url_name, target, value):
    record = target(world)
    data = {} if value is None else {"active": value}
    response = as_admin.post(reverse(url_name, args=[record.pk]), data, follow=True)
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.is_active is True
    assert "nothing was changed" in response.content.decode()


def test_a_registration_is_approved_not_merely_activated(world, as_admin):
    pending = User.objects.create_user(username="newbie", is_active=False, awaiting_approval=True)
    response = as_admin.post(reverse("rbac:user-set-active", args=[pending.pk]), {"active": "1"}, follow=True)
    pending.refresh_from_db()
    assert (pending.is_active, pending.awaiting_approval) == (False, True)
    assert "approve the registration instead" in response.content.decode()


def test_nobody_deletes_a_role_they_hold(world, as_admin):
    admin_role = Role.objects.get(slug="admin")
    response = as_admin.post(reverse("rbac:role-delete", args=[admin_role.pk]), follow=True)
    assert Role.objects.filter(pk=admin_role.pk).exists()
    assert "so you cannot delete it" in response.content.decode()
    finance = Role.objects.get(slug="finance")
    as_admin.post(reverse("rbac:role-delete", args=[finance.pk]))
    assert not Role.objects.filter(pk=finance.pk).exists()
