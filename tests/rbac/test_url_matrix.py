"""Role x URL matrix over every URL name of the URLconf.

EXPECTED is written by hand: it says, for each URL name, who may open it, with which method and
which URL arguments. It is deliberately not derived from the permission registry, so a wrong
default grant, a view marked public by mistake or a new unlisted view makes this file fail.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from common.access import AUTHENTICATED, PUBLIC, access_marker
from rbac.checks import iter_url_patterns
from rbac.registry import registry
from tests.conftest import make_client
from tests.rbac.matrix import (
    ADMIN,
    ANONYMOUS,
    CONSULTANTS,
    ENROLLMENT_READERS,
    MANAGER,
    REVIEWERS,
    ROLES,
    SETUP_READERS,
    STUDYING,
    TEACHING,
    Case,
    class_answer,
    class_question,
    deleted_class_question,
    deleted_enrollment,
    department_pk,
    enrollment_document,
    enrollment_link,
    enrollment_link_document,
    own_class,
    own_enrollment,
    own_homework,
    own_import,
    own_lesson,
    own_notification,
    pending_payment,
    pending_registration,
    pk_of,
    post,
    role_pk,
    spare_role,
    student_contract,
    students_homework,
    taught_class,
    taught_lesson,
    taught_lesson_with_homework,
    team_targets,
)
from tests.rbac.rows_marketing import ROWS as MARKETING_ROWS
from tests.rbac.rows_risk import ROWS as RISK_ROWS
from tests.rbac.rows_tickets import ROWS as TICKET_ROWS

EXPECTED: list[Case] = [
    # Project pages
    Case("home", AUTHENTICATED),
    Case("health", PUBLIC),
    post("set_language", PUBLIC, data={"language": "en", "next": "/"}, anonymous=302),
    # Accounts: public pages (signed-in users are sent home from login and registration)
    Case("accounts:login", PUBLIC, ok=302),
    # Logging out redirects to the login page (without ?next=), for everyone.
    post("accounts:logout", PUBLIC, anonymous=302),
    Case("accounts:register", PUBLIC, ok=302),
    Case("accounts:password-reset", PUBLIC),
    Case("accounts:password-reset-done", PUBLIC),
    Case(
        "accounts:password-reset-confirm",
        PUBLIC,
        kwargs=lambda world, user: {"uidb64": "MQ", "token": "not-a-token"},
    ),
    Case("accounts:password-reset-complete", PUBLIC),
    # Accounts: any signed-in user
    Case("accounts:profile", AUTHENTICATED),
    Case("accounts:password-change", AUTHENTICATED),
    Case("accounts:password-change-done", AUTHENTICATED),
    Case("accounts:notification-list", AUTHENTICATED),
    post("accounts:notification-open", AUTHENTICATED, kwargs=own_notification),
    post("accounts:notification-read-all", AUTHENTICATED),
    # Roles
    Case("rbac:role-list", ADMIN),
    Case("rbac:role-create", ADMIN),
    Case("rbac:role-update", ADMIN, kwargs=role_pk("sales")),
    post("rbac:role-delete", ADMIN, kwargs=spare_role),
    # Users
    Case("rbac:user-list", ADMIN),
    Case("rbac:user-create", ADMIN),
    Case("rbac:user-update", ADMIN, kwargs=pk_of("sales2")),
    post("rbac:user-set-active", ADMIN, kwargs=pk_of("sales2"), data={"active": "0"}),
    post("rbac:user-approve", ADMIN, kwargs=pending_registration),
    post("rbac:user-password-link", ADMIN, kwargs=pk_of("sales2")),
    # Departments
    Case("rbac:department-list", ADMIN),
    Case("rbac:department-create", ADMIN),
    Case("rbac:department-update", ADMIN, kwargs=department_pk("sales")),
    post("rbac:department-set-active", ADMIN, kwargs=department_pk("sales"), data={"active": "0"}),
    # The access log: administrators read it (bad filters are a message); it has no other URL,
    # and a POST changes nothing (read-only).
    Case("audit:access-log", ADMIN),
    Case("audit:access-log", ADMIN, query="action=id_number_view&date_from=2026-11-01", variant="filtered"),
    Case(
        "audit:access-log", ADMIN, query="date_to=2026-13-45&user=99999999999999999999", variant="bad-filters"
    ),
    post("audit:access-log", frozenset(), ok=200, variant="post", wrong_method=ADMIN),
    # Campuses
    Case("crm:campus-list", ADMIN),
    Case("crm:campus-create", ADMIN),
    Case("crm:campus-update", ADMIN, kwargs=pk_of("beijing")),
    post("crm:campus-set-active", ADMIN, kwargs=pk_of("beijing"), data={"active": "0"}),
    # Courses
    Case("crm:course-list", SETUP_READERS),
    Case("crm:course-create", ADMIN),
    Case("crm:course-update", ADMIN, kwargs=pk_of("python")),
    post("crm:course-set-active", ADMIN, kwargs=pk_of("python"), data={"active": "0"}),
    # Classes: the teacher may open the class they teach (object hook), not another one
    Case("crm:class-list", SETUP_READERS),
    Case("crm:class-create", ADMIN),
    Case("crm:class-detail", SETUP_READERS | {"teacher"}, kwargs=pk_of("class_a"), variant="taught"),
    Case("crm:class-detail", SETUP_READERS, kwargs=pk_of("class_b"), variant="not-taught"),
    Case("crm:class-update", ADMIN, kwargs=pk_of("class_a")),
    post("crm:class-set-active", ADMIN, kwargs=pk_of("class_a"), data={"active": "0"}),
    # Data dictionary: the sales manager only with ?kind=source (parameter-bound entries)
    Case("crm:dictitem-list", ADMIN, variant="no-kind"),
    Case("crm:dictitem-list", ADMIN | {"manager"}, query="kind=source", variant="kind=source"),
    Case("crm:dictitem-list", ADMIN, query="kind=education", variant="kind=education"),
    Case("crm:dictitem-create", ADMIN, variant="no-kind"),
    Case("crm:dictitem-create", ADMIN | {"manager"}, query="kind=source", variant="kind=source"),
    Case("crm:dictitem-create", ADMIN, query="kind=education", variant="kind=education"),
    # The sales manager edits and (de)activates customer sources only (object hook).
    Case("crm:dictitem-update", ADMIN | {"manager"}, kwargs=pk_of("source"), variant="source"),
    Case("crm:dictitem-update", ADMIN, kwargs=pk_of("education"), variant="education"),
    post(
        "crm:dictitem-set-active",
        ADMIN | {"manager"},
        kwargs=pk_of("source"),
        data={"active": "0"},
        variant="source",
    ),
    post(
        "crm:dictitem-set-active",
        ADMIN,
        kwargs=pk_of("education"),
        data={"active": "0"},
        variant="education",
    ),
    # Customers: the objects are ones every allowed role reaches (the world's sales user owns
    # sales_lead; the manager's department scope covers it). Reaching someone else's customer is
    # a 404, tested in tests/crm/test_customer_scope.py.
    Case("crm:customer-pool", CONSULTANTS),
    Case("crm:customer-mine", CONSULTANTS),
    Case("crm:customer-list", MANAGER),
    Case("crm:customer-trash", CONSULTANTS),
    Case("crm:customer-create", CONSULTANTS),
    post("crm:customer-notify-owner", CONSULTANTS, data={"phone": "13800000003"}),
    Case("crm:customer-detail", CONSULTANTS, kwargs=pk_of("sales_lead")),
    Case("crm:customer-update", CONSULTANTS, kwargs=pk_of("sales_lead")),
    post("crm:customer-delete", CONSULTANTS, kwargs=pk_of("sales_lead")),
    post("crm:customer-restore", CONSULTANTS, kwargs=pk_of("deleted_lead")),
    post("crm:customer-claim", CONSULTANTS, kwargs=pk_of("pool_lead")),
    post("crm:customer-release", CONSULTANTS, kwargs=pk_of("sales_lead")),
    Case("crm:customer-transfer", MANAGER, kwargs=pk_of("sales_lead")),
    Case("crm:followup-create", CONSULTANTS, kwargs=pk_of("sales_lead")),
    post(
        "crm:customer-batch",
        CONSULTANTS,
        data=lambda world: {"action": "claim", "ids": [world.pool_lead.pk]},
        variant="claim",
    ),
    post(
        "crm:customer-batch",
        CONSULTANTS,
        data=lambda world: {"action": "release", "ids": [world.sales_lead.pk]},
        variant="release",
    ),
    post(
        "crm:customer-batch",
        CONSULTANTS,
        data=lambda world: {"action": "delete", "ids": [world.sales_lead.pk]},
        variant="delete",
    ),
    post(
        "crm:customer-batch",
        MANAGER,
        data=lambda world: {"action": "transfer", "ids": [world.sales_lead.pk], "to": world.sales2.pk},
        variant="transfer",
    ),
    post(
        "crm:customer-batch", frozenset(), data={"action": "explode", "ids": ["1"]}, variant="unknown-action"
    ),
    Case("crm:customer-export", CONSULTANTS, query="list=pool&format=csv", variant="pool"),
    Case("crm:customer-export", CONSULTANTS, query="list=mine&format=xlsx", variant="mine"),
    Case("crm:customer-export", MANAGER, query="list=all&format=csv", variant="all"),
    Case("crm:customer-export", frozenset(), query="list=everything", ok=302, variant="unknown-list"),
    Case("crm:customer-import", CONSULTANTS),
    Case("crm:customer-import-template", CONSULTANTS),
    Case("crm:customer-import-detail", CONSULTANTS, kwargs=own_import),
    Case("crm:customer-import-report", CONSULTANTS, kwargs=own_import),
    # Enrollment
    Case("enrollment:enrollment-create", CONSULTANTS, kwargs=pk_of("sales_lead")),
    Case("enrollment:enrollment-list", ENROLLMENT_READERS),
    Case("enrollment:enrollment-detail", ENROLLMENT_READERS, kwargs=own_enrollment),
    post("enrollment:enrollment-link-regenerate", CONSULTANTS, kwargs=own_enrollment),
    post("enrollment:enrollment-delete", CONSULTANTS, kwargs=own_enrollment),
    Case("enrollment:enrollment-trash", CONSULTANTS),
    post("enrollment:enrollment-restore", CONSULTANTS, kwargs=deleted_enrollment),
    Case("enrollment:enrollment-document", ENROLLMENT_READERS, kwargs=enrollment_document),
    Case("enrollment:enrollment-review-list", REVIEWERS),
    Case("enrollment:payment-create", CONSULTANTS, kwargs=own_enrollment),
    Case("enrollment:payment-queue", REVIEWERS),
    post("enrollment:payment-confirm", REVIEWERS, kwargs=pending_payment),
    post("enrollment:payment-reject", REVIEWERS, kwargs=pending_payment, data={"reason": "Not received"}),
    post("enrollment:enrollment-approve", REVIEWERS | MANAGER, kwargs=own_enrollment),
    post(
        "enrollment:enrollment-reject",
        REVIEWERS | MANAGER,
        kwargs=own_enrollment,
        data={"reason": "No photo"},
    ),
    Case("enrollment:my-enrollments", frozenset({"student"})),
    Case("enrollment:my-contract", frozenset({"student"}), kwargs=student_contract),
    Case("enrollment:apply", PUBLIC, kwargs=enrollment_link),
    post("enrollment:apply-document-upload", PUBLIC, kwargs=enrollment_link, ok=200, anonymous=200),
    post("enrollment:apply-document-delete", PUBLIC, kwargs=enrollment_link_document, anonymous=302),
    Case("crm:poolpolicy-update", MANAGER),
    Case("crm:allocation-update", MANAGER),
    # Classroom: teachers and advisers
    Case("classroom:class-list", TEACHING),
    Case("classroom:class-detail", TEACHING, kwargs=taught_class, variant="taught"),
    # Holding the right is not reaching the class: a teacher (or the superuser) of another class
    # gets 404, roles without the right 403 before any lookup.
    Case("classroom:class-detail", TEACHING, kwargs=pk_of("class_b"), ok=404, variant="not-taught"),
    Case("classroom:lesson-create", TEACHING, kwargs=taught_class),
    Case("classroom:lesson-detail", TEACHING, kwargs=taught_lesson),
    Case("classroom:lesson-update", TEACHING, kwargs=taught_lesson),
    post("classroom:lesson-sync", TEACHING, kwargs=taught_lesson),
    Case("classroom:roll-call", TEACHING, kwargs=taught_lesson),
    Case("classroom:grading", TEACHING, kwargs=taught_lesson),
    Case("classroom:homework-zip", TEACHING, kwargs=taught_lesson_with_homework),
    Case("classroom:question-list", TEACHING),
    Case("classroom:question-trash", TEACHING),
    post("classroom:question-restore", TEACHING, kwargs=deleted_class_question),
    post("classroom:answer-create", TEACHING, kwargs=class_question, data={"body": "看第1课"}),
    # Classroom: both (the selectors admit the file's student and the class's teachers)
    Case("classroom:homework-file", TEACHING | STUDYING, kwargs=students_homework),
    Case("classroom:question-detail", TEACHING | STUDYING, kwargs=class_question),
    post("classroom:question-delete", TEACHING | STUDYING, kwargs=class_question),
    post("classroom:answer-accept", TEACHING | STUDYING, kwargs=class_answer),
    # Classroom: students
    Case("classroom:my-classes", STUDYING),
    Case("classroom:my-class", STUDYING, kwargs=own_class),
    Case("classroom:my-lesson", STUDYING, kwargs=own_lesson),
    post("classroom:my-homework-delete", STUDYING, kwargs=own_homework),
    Case("classroom:my-grades", STUDYING),
    Case("classroom:my-questions", STUDYING),
    Case("classroom:question-create", STUDYING),
    # Reports: consultants read their own figures, managers their team's, admins the school's
    # (the scope is the selectors' business); only managers and admins set targets.
    Case("reports:sales-report", CONSULTANTS | ADMIN),
    Case("reports:sales-report", CONSULTANTS | ADMIN, query="month=2026-11&export=sources", variant="export"),
    post("reports:sales-report", frozenset(), ok=200, variant="post", wrong_method=CONSULTANTS | ADMIN),
    Case("reports:targets", MANAGER | ADMIN),
    Case("reports:targets", MANAGER | ADMIN, query="month=2026-11", variant="month"),
    post("reports:targets", MANAGER | ADMIN, query="month=2026-11", data=team_targets, variant="save"),
]
# The newer apps keep their rows beside the others, one file each.
EXPECTED += TICKET_ROWS + MARKETING_ROWS + RISK_ROWS


def _project_url_names() -> set[str]:
    return {name for name, _callback in iter_url_patterns() if not name.startswith("admin:")}


def test_every_url_name_of_the_urlconf_is_in_the_table():
    missing = _project_url_names() - {case.url_name for case in EXPECTED}
    assert not missing, f"URL names without a row in EXPECTED (add one): {sorted(missing)}"


def test_the_table_names_no_url_that_is_gone():
    stale = {case.url_name for case in EXPECTED} - _project_url_names()
    assert not stale, f"EXPECTED rows for URL names the URLconf no longer has: {sorted(stale)}"


@pytest.mark.parametrize("case", EXPECTED, ids=lambda case: case.id)
def test_the_view_is_guarded_the_way_the_table_says(case):
    """Public and signed-in-only rows must carry that marker; every other row needs entries."""
    callbacks = dict(iter_url_patterns())
    marker = access_marker(callbacks[case.url_name])
    if case.access in (PUBLIC, AUTHENTICATED):
        assert marker == case.access
    else:
        assert marker is None, f"{case.url_name} is marked {marker!r} but the table restricts it"
        assert registry.has_url(case.url_name), f"{case.url_name} has no permission entry"


def test_every_url_has_a_permission_entry_or_a_marker():
    unguarded = [
        name
        for name, callback in iter_url_patterns()
        if not name.startswith("admin:") and access_marker(callback) is None and not registry.has_url(name)
    ]
    assert unguarded == []


def check_cell(world, case: Case, role: str) -> None:
    """Open the row's URL as `role` and compare the answer with the table."""
    user = None if role == ANONYMOUS else world.users[role]
    client = make_client(user)
    url = reverse(case.url_name, kwargs=case.kwargs(world, user))
    if case.query:
        url = f"{url}?{case.query}"

    data = case.data(world) if callable(case.data) else case.data
    response = client.get(url) if case.method == "GET" else client.post(url, data)

    login_prefix = f"{reverse(settings.LOGIN_URL)}?next="
    if role == ANONYMOUS and case.access != PUBLIC:
        assert response.status_code == 302
        assert response["Location"].startswith(login_prefix)
    elif role == ANONYMOUS:
        assert response.status_code == case.anonymous
        assert not response.get("Location", "").startswith(login_prefix)
    elif case.allows(role):
        assert response.status_code == case.expected_ok, response.content[:500]
        assert not response.get("Location", "").startswith(login_prefix)
    elif role in case.wrong_method:
        assert response.status_code == 405
    else:
        assert response.status_code == 403
        assert b'data-testid="forbidden"' in response.content


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
@pytest.mark.parametrize("case", EXPECTED, ids=lambda case: case.id)
def test_role_url_matrix(world, case, role):
    check_cell(world, case, role)


ADMIN_URLS_WITHOUT_ARGUMENTS = [
    "admin:index",
    "admin:password_change",
    "admin:accounts_user_changelist",
    "admin:accounts_user_add",
    "admin:accounts_department_changelist",
    "admin:accounts_notification_changelist",
]


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_django_admin_is_for_superusers_only(world, role):
    user = None if role == ANONYMOUS else world.users[role]
    client = make_client(user)
    for url_name in ADMIN_URLS_WITHOUT_ARGUMENTS:
        response = client.get(reverse(url_name))
        if role == "superuser":
            assert response.status_code == 200, url_name
        elif role == ANONYMOUS:
            assert response.status_code == 302, url_name
            assert response["Location"].startswith(f"{reverse(settings.LOGIN_URL)}?next="), url_name
        else:
            assert response.status_code == 403, url_name


def test_django_admin_change_page_is_for_superusers_only(world):
    url = reverse("admin:accounts_user_change", args=[world.sales.pk])
    assert make_client(world.superuser).get(url).status_code == 200
    assert make_client(world.admin).get(url).status_code == 403


def test_admin_namespace_has_no_permission_entries():
    """The Django admin is superuser-only: no role can be granted any of its URLs."""
    admin_names = {name for name, _callback in iter_url_patterns() if name.startswith("admin:")}
    assert admin_names
    assert not [name for name in admin_names if registry.has_url(name)]
