"""The one test world (DESIGN.md section 10) and signed-in clients for each role.

Every test that needs data asks for `world`: two campuses, departments, two courses, two classes
(the teacher teaches class A, not class B), a few dictionary items and one user per default role,
plus an outsider without roles and a superuser. Roles and their permissions come from the
post-migrate sync, exactly as in production, and are looked up by slug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.models import Department, User
from crm.models import Campus, ClassList, Course, Customer, DictItem
from rbac.defaults import ADMIN, DEFAULT_ROLES, FINANCE, SALES, SALES_MANAGER, STUDENT, TEACHER
from rbac.models import PermissionEntry, Role
from rbac.registry import registry
from rbac.services import permissions_sync

# Every world user has this password (the login tests post it to the real login view).
PASSWORD = "Correct-Horse-Battery-7"

# Role name used in tests -> (username, role slug or None for no role).
ROLE_USERS = {
    "admin": ("admin", ADMIN),
    "manager": ("manager", SALES_MANAGER),
    "sales": ("sales1", SALES),
    "sales2": ("sales2", SALES),
    "finance": ("finance", FINANCE),
    "teacher": ("teacher", TEACHER),
    "student": ("student", STUDENT),
    "outsider": ("outsider", None),
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_password_hashers: keep the project's Argon2 hashers instead of fast MD5"
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """MD5 keeps user creation and logins fast; tests marked real_password_hashers opt out."""
    if request.node.get_closest_marker("real_password_hashers") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def tasks_run_inline(settings):
    """Background tasks run inline in tests, inside the request or call that queues them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache holds rate-limit counters; each test starts without any."""
    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path_factory):
    """Uploaded files (imports, enrollment documents) never land in the developer's var/."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@dataclass
class World:
    beijing: Campus
    shanghai: Campus
    departments: dict[str, Department]
    python: Course
    linux: Course
    class_a: ClassList
    class_b: ClassList
    source: DictItem
    education: DictItem
    channel: DictItem
    pool_lead: Customer
    sales_lead: Customer
    sales2_lead: Customer
    deleted_lead: Customer
    roles: dict[str, Role]
    users: dict[str, User] = field(default_factory=dict)
    password: str = PASSWORD

    def __getattr__(self, name: str) -> User:
        # world.admin, world.sales2, world.superuser ... read from `users`.
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def make_client(user: User | None = None, *, language: str = "en", **kwargs) -> Client:
    """A test client that has picked English with the language switch (so assertions read the
    source strings; the site default is Chinese), signed in as `user` when given. force_login,
    because django-axes refuses a login without a request object."""
    client = Client(**kwargs)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def assert_form_refused(response, *fields: str) -> None:
    """The form came back (no redirect) with errors on `fields` ("__all__" for the form as a
    whole), and every error message is shown on the page."""
    assert response.status_code == 200, response.get("Location")
    errors = response.context["form"].errors
    for name in fields:
        assert name in errors, f"expected an error on {name!r}, got {errors.as_data()}"
    page = response.content.decode()
    for messages in errors.values():
        for message in messages:
            assert escape(message) in page, f"error {message!r} is not shown"


@pytest.fixture
def world(db) -> World:
    """Built with a handful of bulk inserts: the role x URL matrix builds it hundreds of times."""
    roles = {role.slug: role for role in Role.objects.all()}
    if set(roles) < {slug for slug, *_rest in DEFAULT_ROLES} or PermissionEntry.objects.count() != len(
        list(registry.entries())
    ):
        # The post-migrate sync normally ran already; a flush without it would leave no roles.
        # Run it as `migrate` does, with translations deactivated.
        with translation.override(None):
            permissions_sync()
        roles = {role.slug: role for role in Role.objects.all()}
    departments = {
        department.code: department
        for department in Department.objects.bulk_create(
            Department(name=name, code=code)
            for name, code in [
                ("行政部", "admin"),
                ("销售部", "sales"),
                ("教学部", "teaching"),
                ("财务部", "finance"),
            ]
        )
    }
    department_of = {
        "admin": "admin",
        "manager": "sales",
        "sales": "sales",
        "sales2": "sales",
        "finance": "finance",
        "teacher": "teaching",
    }
    password = make_password(PASSWORD)
    keys = [*ROLE_USERS, "superuser"]
    created = User.objects.bulk_create(
        User(
            username=ROLE_USERS[key][0] if key in ROLE_USERS else "root",
            password=password,
            email=f"{ROLE_USERS[key][0] if key in ROLE_USERS else 'root'}@example.test",
            display_name="" if key == "superuser" else f"{ROLE_USERS[key][0].title()} Tester",
            department=departments.get(department_of.get(key, "")),
            is_staff=key == "superuser",
            is_superuser=key == "superuser",
        )
        for key in keys
    )
    users = dict(zip(keys, created, strict=True))
    Role.users.through.objects.bulk_create(
        Role.users.through(role_id=roles[slug].pk, user_id=users[key].pk)
        for key, (_username, slug) in ROLE_USERS.items()
        if slug
    )

    beijing, shanghai = Campus.objects.bulk_create(
        [Campus(name="北京", address="北京市昌平区"), Campus(name="上海", address="上海市浦东新区")]
    )
    python, linux = Course.objects.bulk_create(
        [
            Course(name="Python全栈开发", default_price=Decimal("19800")),
            Course(name="Linux运维", default_price=Decimal("16800")),
        ]
    )
    class_a, class_b = ClassList.objects.bulk_create(
        [
            ClassList(
                course=python,
                campus=beijing,
                semester=9,
                price=Decimal("19800"),
                start_date=date(2026, 9, 1),
                graduate_date=date(2027, 3, 1),
            ),
            ClassList(
                course=linux,
                campus=shanghai,
                semester=40,
                price=Decimal("16800"),
                start_date=date(2026, 10, 10),
            ),
        ]
    )
    class_a.teachers.add(users["teacher"])
    source, education, channel = DictItem.objects.bulk_create(
        [
            DictItem(kind=DictItem.Kind.SOURCE, code="website", label="官方网站", order=1),
            DictItem(kind=DictItem.Kind.EDUCATION, code="bachelor", label="本科", order=1),
            DictItem(kind=DictItem.Kind.FOLLOW_UP_CHANNEL, code="phone", label="电话", order=1),
        ]
    )
    # Customers: one in the public pool, one owned by each consultant, one in the recycle bin.
    now = timezone.now()
    pool_lead, sales_lead, sales2_lead, deleted_lead = Customer.objects.bulk_create(
        Customer(
            name=name,
            name_pinyin=pinyin,
            name_initials=pinyin[0] + pinyin[len(pinyin) // 2],
            phone=phone,
            qq=qq,
            source=source,
            consulted_on=now.date(),
            consultant=owner,
            claimed_at=now if owner else None,
            is_deleted=deleted,
            deleted_at=now if deleted else None,
        )
        for name, pinyin, phone, qq, owner, deleted in [
            ("池塘", "chitang", "+8613800000001", "100001", None, False),
            ("萨乐", "sale", "+8613800000002", "100002", users["sales"], False),
            ("萨尔", "saer", "+8613800000003", "100003", users["sales2"], False),
            ("删除", "shanchu", "+8613800000004", "100004", users["sales"], True),
        ]
    )
    return World(
        beijing=beijing,
        shanghai=shanghai,
        departments=departments,
        python=python,
        linux=linux,
        class_a=class_a,
        class_b=class_b,
        source=source,
        education=education,
        channel=channel,
        pool_lead=pool_lead,
        sales_lead=sales_lead,
        sales2_lead=sales2_lead,
        deleted_lead=deleted_lead,
        roles=roles,
        users=users,
    )


@pytest.fixture
def client_for(world):
    """`client_for("sales")`: a fresh English client signed in as that world user."""

    def factory(role: str, **kwargs) -> Client:
        return make_client(world.users[role], **kwargs)

    return factory


@pytest.fixture
def anon():
    return make_client()


@pytest.fixture
def as_admin(client_for):
    return client_for("admin")


@pytest.fixture
def as_manager(client_for):
    return client_for("manager")


@pytest.fixture
def as_sales(client_for):
    return client_for("sales")


@pytest.fixture
def as_finance(client_for):
    return client_for("finance")


@pytest.fixture
def as_teacher(client_for):
    return client_for("teacher")


@pytest.fixture
def as_student(client_for):
    return client_for("student")


@pytest.fixture
def as_outsider(client_for):
    return client_for("outsider")


@pytest.fixture
def as_superuser(client_for):
    return client_for("superuser")
