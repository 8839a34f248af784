"""The rules of the permission dictionary: methods, parameters, object hooks, changes that apply on
the next request, the system check, the sync of default roles, the menu and the template filter."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from accounts.services import user_set_active
from common.access import access_marker
from crm.models import DictItem
from rbac.checks import check_every_url_has_a_permission, iter_url_patterns
from rbac.defaults import DEFAULT_ROLES, SALES, TEACHER
from rbac.models import PermissionEntry, Role
from rbac.registry import registry
from rbac.services import permissions_sync
from rbac.templatetags.rbac_tags import allows
from tests.conftest import make_client

LOGIN_PREFIX = "/accounts/login/?next="


def forbidden(response) -> bool:
    return response.status_code == 403 and b'data-testid="forbidden"' in response.content


# --- Methods, parameters, object hooks ---------------------------------------------------------
def test_an_entry_for_get_refuses_post_with_405(as_admin):
    url = reverse("crm:campus-list")
    assert as_admin.get(url).status_code == 200
    response = as_admin.post(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_a_wrong_method_is_403_to_whoever_holds_no_entry(client_for):
    """405 tells a holder of the URL that only the method is wrong; anyone else learns nothing."""
    assert forbidden(client_for("outsider").post(reverse("crm:campus-list")))


def test_head_counts_as_get(as_admin):
    assert as_admin.head(reverse("crm:campus-list")).status_code == 200


def test_an_action_entry_for_post_refuses_get(world, as_admin):
    response = as_admin.get(reverse("crm:campus-set-active", args=[world.beijing.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("query", "allowed"),
    [
        ("", False),
        ("?kind=education", False),
        ("?kind=", False),
        ("?other=source", False),
        ("?kind=source&kind=education", False),  # the last value counts, for the check and the filter
        ("?kind=source", True),
        ("?kind=source&q=web", True),
    ],
)
def test_a_parameter_bound_entry_needs_its_parameter(world, as_manager, query, allowed):
    response = as_manager.get(reverse("crm:dictitem-list") + query)
    assert response.status_code == 200 if allowed else forbidden(response)


def test_a_parameter_bound_post_is_checked_against_the_form_body_not_the_query(world, as_manager):
    url = reverse("crm:dictitem-create") + "?kind=source"
    count = DictItem.objects.count()
    smuggled = {"kind": "education", "code": "phd", "label": "PhD", "order": 1, "is_active": "on"}
    assert forbidden(as_manager.post(url, smuggled))
    assert DictItem.objects.count() == count

    response = as_manager.post(url, {**smuggled, "kind": "source", "code": "fair", "label": "Job fair"})
    assert response.status_code == 302
    assert DictItem.objects.get(code="fair").kind == DictItem.Kind.SOURCE


def test_the_object_hook_limits_a_teacher_to_own_classes(world, as_teacher):
    assert as_teacher.get(reverse("crm:class-detail", args=[world.class_a.pk])).status_code == 200
    assert forbidden(as_teacher.get(reverse("crm:class-detail", args=[world.class_b.pk])))


def test_the_object_hook_also_admits_the_class_adviser(world, as_teacher):
    url = reverse("crm:class-detail", args=[world.class_b.pk])
    assert forbidden(as_teacher.get(url))
    world.class_b.adviser = world.teacher
    world.class_b.save()
    assert as_teacher.get(url).status_code == 200


def test_the_object_hook_refuses_a_class_that_does_not_exist(world, as_teacher):
    assert forbidden(as_teacher.get(reverse("crm:class-detail", args=[999999])))


# --- Changes apply on the next request ---------------------------------------------------------
def test_removing_a_user_from_a_role_applies_on_the_next_request(world, as_sales):
    url = reverse("crm:course-list")
    assert as_sales.get(url).status_code == 200
    world.roles[SALES].users.remove(world.sales)
    assert forbidden(as_sales.get(url))


def test_removing_a_permission_from_a_role_applies_on_the_next_request(world, as_sales):
    url = reverse("crm:course-list")
    assert as_sales.get(url).status_code == 200
    world.roles[SALES].permissions.remove(PermissionEntry.objects.get(codename="crm.course_list"))
    assert forbidden(as_sales.get(url))
    assert as_sales.get(reverse("crm:class-list")).status_code == 200


def test_granting_a_permission_applies_on_the_next_request(world, as_sales):
    url = reverse("crm:campus-list")
    assert forbidden(as_sales.get(url))
    world.roles[SALES].permissions.add(PermissionEntry.objects.get(codename="crm.campus_list"))
    assert as_sales.get(url).status_code == 200


def menu_links(response) -> set[str]:
    sidebar = response.content.decode().split('data-testid="sidebar"', 1)[1].split("</nav>", 1)[0]
    return set(re.findall(r'data-menu-item="([^"]+)"', sidebar))


def test_the_kept_menu_follows_a_permission_taken_away(world, as_sales):
    home = reverse("home")
    assert "crm.course_list" in menu_links(as_sales.get(home))
    world.roles[SALES].permissions.remove(PermissionEntry.objects.get(codename="crm.course_list"))
    assert "crm.course_list" not in menu_links(as_sales.get(home))


def test_the_kept_menu_is_each_roles_own_and_marks_the_current_page(world, as_sales, as_teacher):
    assert menu_links(as_sales.get(reverse("home"))) != menu_links(as_teacher.get(reverse("home")))
    page = as_sales.get(reverse("crm:customer-pool")).content.decode()
    assert 'data-menu-item="crm.customer_pool" aria-current="page"' in page
    page = as_sales.get(reverse("crm:customer-mine")).content.decode()
    assert 'data-menu-item="crm.customer_mine" aria-current="page"' in page
    assert 'data-menu-item="crm.customer_pool" aria-current="page"' not in page


def test_the_kept_menu_speaks_the_users_language(world):
    def sidebar(language: str) -> str:
        page = make_client(world.sales, language=language).get(reverse("home")).content.decode()
        return page.split('data-testid="sidebar"', 1)[1].split("</nav>", 1)[0]

    assert "公户" in sidebar("zh-hans") and "Public pool" not in sidebar("zh-hans")
    assert "Public pool" in sidebar("en")


def test_a_deactivated_user_is_signed_out_on_the_next_request(world, as_sales):
    url = reverse("crm:course-list")
    assert as_sales.get(url).status_code == 200
    user_set_active(user=world.sales, active=False)
    response = as_sales.get(url)
    assert response.status_code == 302
    assert response["Location"] == LOGIN_PREFIX + "/setup/courses/"


def test_an_anonymous_visitor_is_sent_to_log_in_with_the_full_path_as_next(anon):
    response = anon.get(reverse("crm:class-list") + "?campus=1&o=start")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_PREFIX + "/setup/classes/%3Fcampus%3D1%26o%3Dstart"


# --- Superusers and users without roles --------------------------------------------------------
def _guarded_urls():
    """Every URL that needs a permission entry, with a made-up id: the refusal comes before any lookup."""
    for name, callback in iter_url_patterns():
        if name.startswith("admin:") or access_marker(callback) is not None:
            continue
        try:
            yield name, reverse(name)
        except NoReverseMatch:
            yield name, reverse(name, kwargs={"pk": 999999})


def test_a_user_without_roles_is_refused_every_guarded_url_before_any_lookup(world, as_outsider):
    for name, url in _guarded_urls():
        assert forbidden(as_outsider.get(url)), name
        assert forbidden(as_outsider.post(url)), name


def test_a_user_without_roles_opens_the_pages_for_every_signed_in_user(as_outsider):
    for name in ("home", "accounts:profile", "accounts:password-change", "accounts:notification-list"):
        assert as_outsider.get(reverse(name)).status_code == 200, name
    home = as_outsider.get(reverse("home"))
    assert b'data-testid="no-roles"' in home.content
    assert home.context["rbac"].menu == []


def test_the_superuser_passes_every_check_without_roles(world, as_superuser):
    assert not world.superuser.roles.exists()
    assert as_superuser.get(reverse("crm:dictitem-list")).status_code == 200
    assert as_superuser.get(reverse("crm:class-detail", args=[world.class_b.pk])).status_code == 200
    assert as_superuser.get(reverse("admin:index")).status_code == 200


def test_an_inactive_superuser_is_not_a_superuser(world):
    client = make_client(world.superuser)
    user_set_active(user=world.superuser, active=False)
    response = client.get(reverse("crm:campus-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_PREFIX)


# --- System check ------------------------------------------------------------------------------
def test_the_system_check_is_clean_for_the_real_urlconf():
    assert check_every_url_has_a_permission() == []


@override_settings(ROOT_URLCONF="tests.rbac.unguarded_urls")
def test_the_system_check_reports_an_unguarded_url():
    errors = check_every_url_has_a_permission()
    assert [(error.id, "'forgotten'" in error.msg) for error in errors] == [("rbac.E001", True)]


@override_settings(ROOT_URLCONF="tests.rbac.unguarded_urls")
def test_an_unguarded_url_is_refused_to_everyone_but_the_superuser(world, as_admin, as_superuser, anon):
    assert forbidden(as_admin.get("/forgotten/"))
    assert as_superuser.get("/forgotten/").status_code == 200
    assert anon.get("/forgotten/")["Location"] == LOGIN_PREFIX + "/forgotten/"
    assert anon.get("/open/").status_code == 200


# --- Syncing the registry into the database ----------------------------------------------------
def _grants() -> dict[str, set[str]]:
    return {
        role.slug: set(role.permissions.values_list("codename", flat=True))
        for role in Role.objects.prefetch_related("permissions")
    }


@pytest.mark.django_db
def test_permissions_sync_is_idempotent():
    before = (_grants(), PermissionEntry.objects.count(), Role.objects.count())
    assert permissions_sync() == {"created": 0, "removed": 0, "roles_created": 0}
    assert permissions_sync() == {"created": 0, "removed": 0, "roles_created": 0}
    assert (_grants(), PermissionEntry.objects.count(), Role.objects.count()) == before
    assert PermissionEntry.objects.count() == len(list(registry.entries()))
    assert set(Role.objects.values_list("slug", flat=True)) == {slug for slug, *_rest in DEFAULT_ROLES}


@pytest.mark.django_db
def test_default_grants_follow_the_registry():
    grants = _grants()
    for entry in registry.entries():
        for slug, codes in grants.items():
            assert (entry.codename in codes) == (slug in entry.default_roles), (slug, entry.codename)


@pytest.mark.django_db
def test_permissions_sync_does_not_regrant_what_an_admin_removed():
    sales = Role.objects.get(slug=SALES)
    sales.permissions.remove(PermissionEntry.objects.get(codename="crm.course_list"))
    permissions_sync()
    assert "crm.course_list" not in _grants()[SALES]
    assert "crm.class_list" in _grants()[SALES]


TEACHER_CLASSROOM_GRANTS = {
    f"classroom.{name}"
    for name in (
        "class_list",
        "class_detail",
        "lesson_detail",
        "lesson_create",
        "lesson_update",
        "lesson_sync",
        "roll_call",
        "grading",
        "homework_zip",
        "question_list",
        "answer_create",
        "homework_file",
        "question_detail",
        "answer_accept",
        "question_delete",
        "question_trash",
        "question_restore",
    )
}


# Every staff role handles service tickets (the data scope says which).
TICKET_HANDLER_GRANTS = {
    f"tickets.{name}"
    for name in (
        "ticket_list",
        "ticket_detail",
        "ticket_export",
        "ticket_create",
        "ticket_assign",
        "ticket_take",
        "ticket_start",
        "ticket_resolve",
        "ticket_feedback",
        "ticket_archive",
        "ticket_reopen",
        "ticket_comment",
    )
}


@pytest.mark.django_db
def test_permissions_sync_recreates_a_deleted_default_role_with_its_defaults():
    Role.objects.filter(slug=TEACHER).delete()
    assert permissions_sync()["roles_created"] == 1
    assert _grants()[TEACHER] == {
        "crm.class_detail_own",
        *TEACHER_CLASSROOM_GRANTS,
        *TICKET_HANDLER_GRANTS,
        "risk.student_warnings",
        "risk.student_ticket",
    }


@pytest.mark.django_db
def test_permissions_sync_removes_entries_no_longer_declared_and_adds_missing_ones():
    PermissionEntry.objects.create(codename="crm.gone", app_label="crm", url_name="crm:gone", label="Gone")
    PermissionEntry.objects.filter(codename="crm.campus_list").delete()
    result = permissions_sync()
    assert result == {"created": 1, "removed": 1, "roles_created": 0}
    assert not PermissionEntry.objects.filter(codename="crm.gone").exists()
    # A newly declared entry goes to the default roles it names.
    assert "crm.campus_list" in _grants()["admin"]


# --- Menu ----------------------------------------------------------------------------------------
SETUP_READER_MENU = {"setup": {"crm.course_list", "crm.class_list"}}
ADMIN_MENU = {
    "setup": {
        "crm.campus_list",
        "crm.course_list",
        "crm.class_list",
        "crm.dict_item_list",
        "rbac.department_list",
    },
    "access": {"rbac.user_list", "rbac.role_list", "audit.access_log"},
}
CONSULTANT_MENU = {"crm.customer_pool", "crm.customer_mine", "crm.customer_trash", "crm.customer_import"}
MANAGER_SALES_MENU = {
    *CONSULTANT_MENU,
    "crm.customer_list",
    "crm.poolpolicy_update",
    "crm.allocation_update",
    "crm.dict_item_list_sources",
}
ENROLLMENT_MENU = {"enrollment": {"enrollment.enrollment_list", "enrollment.enrollment_trash"}}
REVIEWER_MENU = {
    "enrollment": {"enrollment.enrollment_list", "enrollment.enrollment_review", "enrollment.payment_queue"}
}
TEACHER_MENU = {"classroom.class_list", "classroom.question_list", "classroom.question_trash"}
STUDENT_MENU = {"classroom.my_classes", "classroom.my_grades", "classroom.my_questions"}
# Consultants read their own figures in the sales report; managers and admins also set targets.
CONSULTANT_REPORTS_MENU = {"reports": {"reports.sales_report"}}
MANAGER_REPORTS_MENU = {"reports": {"reports.sales_report", "reports.targets"}}
# Service: every staff role works tickets; managers and admins also set deadlines and read the report.
HANDLER_SERVICE_MENU = {"service": {"tickets.ticket_list"}}
MANAGER_SERVICE_MENU = {"service": {"tickets.ticket_list", "tickets.deadlines", "tickets.report"}}
# Warnings: teachers their students, consultants their customers, managers both and the customer
# thresholds, admins the students and both thresholds.
RISK_MENUS = {
    "admin": {"risk.student_warnings", "risk.student_thresholds", "risk.customer_thresholds"},
    "manager": {"risk.student_warnings", "risk.customer_warnings", "risk.customer_thresholds"},
    "sales": {"risk.customer_warnings"},
    "teacher": {"risk.student_warnings"},
}
MARKETING_MENU = {
    "marketing": {
        "marketing.campaign_list",
        "marketing.campaign_report",
        "marketing.template_list",
        "marketing.mailing_list",
    }
}
EXPECTED_MENUS = {
    "admin": {
        **ADMIN_MENU,
        **REVIEWER_MENU,
        **MANAGER_REPORTS_MENU,
        **MANAGER_SERVICE_MENU,
        "warnings": RISK_MENUS["admin"],
        **MARKETING_MENU,
    },
    "manager": {
        "sales": MANAGER_SALES_MENU,
        **SETUP_READER_MENU,
        **ENROLLMENT_MENU,
        **MANAGER_REPORTS_MENU,
        **MANAGER_SERVICE_MENU,
        "warnings": RISK_MENUS["manager"],
        **MARKETING_MENU,
    },
    "sales": {
        "sales": CONSULTANT_MENU,
        **SETUP_READER_MENU,
        **ENROLLMENT_MENU,
        **CONSULTANT_REPORTS_MENU,
        **HANDLER_SERVICE_MENU,
        "warnings": RISK_MENUS["sales"],
    },
    "finance": {**REVIEWER_MENU, **HANDLER_SERVICE_MENU},
    "teacher": {"classroom": TEACHER_MENU, **HANDLER_SERVICE_MENU, "warnings": RISK_MENUS["teacher"]},
    "student": {
        "enrollment": {"enrollment.my_enrollments"},
        "classroom": STUDENT_MENU,
        "service": {"tickets.my_tickets"},
    },
    "outsider": {},
    "superuser": {
        "service": MANAGER_SERVICE_MENU["service"] | {"tickets.my_tickets"},
        "warnings": set().union(*RISK_MENUS.values()),
        **MARKETING_MENU,
        **ADMIN_MENU,
        "sales": MANAGER_SALES_MENU,
        "enrollment": {
            *REVIEWER_MENU["enrollment"],
            "enrollment.enrollment_trash",
            "enrollment.my_enrollments",
        },
        "classroom": TEACHER_MENU | STUDENT_MENU,
        **MANAGER_REPORTS_MENU,
    },
}


@pytest.mark.parametrize("role", EXPECTED_MENUS)
def test_each_role_sees_only_its_menu(world, client_for, role):
    response = client_for(role).get(reverse("home"))
    menu = {
        section.key: {item.codename for item in section.items} for section in response.context["rbac"].menu
    }
    assert menu == EXPECTED_MENUS[role]
    rendered = set(re.findall(r'data-menu-item="([^"]+)"', response.content.decode()))
    assert rendered == set().union(*EXPECTED_MENUS[role].values())


@pytest.mark.parametrize("role", EXPECTED_MENUS)
def test_every_menu_item_opens(world, client_for, role):
    client = client_for(role)
    for section in client.get(reverse("home")).context["rbac"].menu:
        for item in section.items:
            assert client.get(item.url).status_code == 200, item.url


def test_the_parameter_bound_menu_item_carries_its_parameter(world, as_manager):
    menu = as_manager.get(reverse("home")).context["rbac"].menu
    sales_items = next(section for section in menu if section.key == "sales").items
    (item,) = [item for item in sales_items if item.codename == "crm.dict_item_list_sources"]
    assert item.url == reverse("crm:dictitem-list") + "?kind=source"


def test_the_menu_marks_the_current_page_and_its_parent(world, as_admin):
    response = as_admin.get(reverse("crm:campus-create"))
    active = [
        item.codename for section in response.context["rbac"].menu for item in section.items if item.active
    ]
    assert active == ["crm.campus_list"]
    assert [label for label, _url in response.context["rbac"].breadcrumb] == ["School setup", "Campuses"]


def test_a_teacher_finds_own_classes_on_the_home_page(world, as_teacher):
    """The cards lead to the classroom's class page (the teacher holds it), only for own classes."""
    response = as_teacher.get(reverse("home"))
    assert list(response.context["my_classes"]) == [world.class_a]
    assert reverse("classroom:class-detail", args=[world.class_a.pk]).encode() in response.content
    for name in ("classroom:class-detail", "crm:class-detail"):
        assert reverse(name, args=[world.class_b.pk]).encode() not in response.content


# --- Buttons follow permissions ----------------------------------------------------------------
def test_a_sales_user_sees_no_new_class_or_edit_buttons(world, as_sales, as_admin):
    create = reverse("crm:class-create").encode()
    edit = reverse("crm:class-update", args=[world.class_a.pk]).encode()
    deactivate = reverse("crm:class-set-active", args=[world.class_a.pk]).encode()
    detail = reverse("crm:class-detail", args=[world.class_a.pk]).encode()

    sales_page = as_sales.get(reverse("crm:class-list")).content
    assert create not in sales_page
    assert b"New class" not in sales_page
    assert edit not in sales_page
    assert deactivate not in sales_page
    assert detail in sales_page

    admin_page = as_admin.get(reverse("crm:class-list")).content
    assert create in admin_page
    assert b"New class" in admin_page
    assert edit in admin_page
    assert deactivate in admin_page


def test_the_manager_sees_the_new_source_button_bound_to_sources(world, as_manager):
    page = as_manager.get(reverse("crm:dictitem-list") + "?kind=source").content.decode()
    assert f'href="{reverse("crm:dictitem-create")}?kind=source"' in page
    # Sources are the manager's to edit and deactivate (object hook "is a customer source").
    assert reverse("crm:dictitem-update", args=[world.source.pk]) in page
    assert reverse("crm:dictitem-set-active", args=[world.source.pk]) in page


def test_the_manager_cannot_turn_a_source_into_another_kind(world, as_manager):
    url = reverse("crm:dictitem-update", args=[world.source.pk])
    data = {"kind": "education", "code": "website", "label": "官网", "order": "1", "is_active": "on"}
    assert as_manager.post(url, data).status_code == 403
    world.source.refresh_from_db()
    assert (world.source.kind, world.source.label) == ("source", "官方网站")
    response = as_manager.post(url, {**data, "kind": "source"})
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:dictitem-list") + "?kind=source"
    world.source.refresh_from_db()
    assert world.source.label == "官网"


def test_clearing_the_filters_keeps_the_parameter_the_page_is_bound_to(world, as_manager, as_admin):
    """The manager may open the dictionary only with ?kind=source, so "Clear" must keep it."""
    url = reverse("crm:dictitem-list") + "?kind=source&q=web"
    manager_page = as_manager.get(url).content.decode()
    assert 'href="?kind=source"' in manager_page
    assert 'href="?"' not in manager_page
    assert as_manager.get(reverse("crm:dictitem-list") + "?kind=source").status_code == 200
    # Only the parameter itself is not "a filter": no Clear link when nothing else is set.
    assert "Clear</a>" not in as_manager.get(reverse("crm:dictitem-list") + "?kind=source").content.decode()
    # The admin's page is not bound to a kind: Clear drops everything.
    assert 'href="?"' in as_admin.get(url).content.decode()


def test_the_allows_filter_is_false_without_an_access_object():
    assert allows(None, "crm:class-create") is False
    assert allows("", "crm:class-create") is False


# --- No dead links -----------------------------------------------------------------------------
LIST_MECHANICS = {"o", "size", "page"}
HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]*)"')


def _internal_links(page_url: str, html: str) -> set[str]:
    links = set()
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        # As a browser does: "?" alone drops the query (urljoin would keep it).
        url = urlsplit(page_url).path + href if href.startswith("?") else urljoin(page_url, href)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(settings.STATIC_URL):
            continue
        # Sorting, paging and page size never change what may be opened: one variant is enough.
        query = [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key not in LIST_MECHANICS
        ]
        links.add(f"{parts.path}?{urlencode(query)}" if query else parts.path)
    return links


@pytest.mark.parametrize("role", ["admin", "manager", "sales", "teacher", "finance", "student", "outsider"])
def test_no_page_shows_a_link_the_user_cannot_open(world, client_for, role):
    """Follow every link two clicks deep from the home page: none may answer 403."""
    client = client_for(role)
    seen: set[str] = set()
    frontier = {reverse("home")}
    for _depth in range(3):
        next_frontier = set()
        for url in sorted(frontier - seen):
            seen.add(url)
            response = client.get(url)
            assert response.status_code != 403, f"{role} was shown a link to {url} and is refused it"
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                next_frontier |= _internal_links(url, response.content.decode())
        frontier = next_frontier
    assert len(seen) > 3
