"""Project-wide sanity: settings, the demo data command, the health check and the languages."""

from __future__ import annotations

import datetime
import shutil
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum
from django.urls import reverse

import config.settings as project_settings
from accounts.models import Department, User
from bench.imports import NEW_PHONE_PREFIX
from classroom.models import Answer, HomeworkFile, Lesson, Question, StudyRecord
from crm.models import Campus, ClassList, Course, Customer, DictItem
from enrollment.models import Enrollment, Payment, Student
from rbac.models import PermissionEntry, Role
from reports.models import Target
from tests.conftest import make_client

ZH_MO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


# --- Settings ----------------------------------------------------------------------------------
def test_passwords_hash_with_argon2_first():
    # Read the settings module itself: the test suite swaps in MD5 for speed.
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.USE_I18N is True


def test_sqlite_runs_in_wal_with_immediate_transactions():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        assert database["ENGINE"] == "django.db.backends.postgresql"
        return
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def test_security_settings():
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.AXES_FAILURE_LIMIT == 5
    middleware = settings.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" in middleware
    assert middleware.index("rbac.middleware.PermissionMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_system_checks_pass():
    call_command("check", fail_level="WARNING", verbosity=0)


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


# --- Demo data ---------------------------------------------------------------------------------
def _counts() -> dict[str, object]:
    return {
        "users": User.objects.count(),
        "roles": Role.objects.count(),
        "permissions": PermissionEntry.objects.count(),
        "grants": Role.permissions.through.objects.count(),
        "memberships": Role.users.through.objects.count(),
        "departments": Department.objects.count(),
        "campuses": Campus.objects.count(),
        "courses": Course.objects.count(),
        "classes": ClassList.objects.count(),
        "teachers": ClassList.teachers.through.objects.count(),
        "dictionary": DictItem.objects.count(),
        "sources": DictItem.objects.filter(kind=DictItem.Kind.SOURCE).count(),
        "passwords": sorted(User.objects.values_list("password", flat=True)),
        "enrollments": sorted(Enrollment.objects.values_list("status", flat=True)),
        "students": Student.objects.count(),
        "lessons": Lesson.objects.count(),
        "records": StudyRecord.objects.count(),
        "graded": StudyRecord.objects.filter(score__isnull=False).count(),
        "homework": HomeworkFile.objects.count(),
        "questions": Question.objects.count(),
        "answers": Answer.objects.count(),
        "payments": Payment.objects.count(),
        "targets": Target.objects.count(),
    }


@pytest.mark.django_db
def test_seeddemo_is_idempotent():
    # The demo's dates are relative to today and its classes' are fixed: on a fixed day, the
    # signed customers land in the same classes every time.
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC)):
        call_command("seeddemo", stdout=StringIO())
        first = _counts()
    # The eight demo logins, the student of the approved enrollment, the 45 signed demo customers
    # the sales history enrolls into the class starting after their signing, the students the
    # classroom demo adds (student1 into Python 9, 2 more into Linux 40) and the web lead the
    # marketing demo signs.
    assert first["users"] == 57
    assert sorted(set(first["enrollments"])) == ["approved", "open", "rejected", "submitted"]
    assert first["students"] == 50
    assert ClassList.objects.get(course__name="Python全栈开发", semester=9).students.count() == 26
    assert Student.objects.filter(user__username="student1", classes__semester=9).exists()
    # Records: Python 9, 7 lessons (5 taught, 2 to come) x 26 students; Linux 40, 2 lessons x 6.
    assert (first["lessons"], first["records"], first["questions"], first["answers"]) == (9, 194, 3, 2)
    assert first["graded"] > 0 and first["homework"] > 0
    assert first["payments"] > 20 and first["targets"] == 6
    # A fully paid enrollment's deposit and instalments add up to its price, to the cent.
    paid = Enrollment.objects.annotate(
        count=Count("payments", filter=Q(payments__kind__in=["deposit", "tuition"])),
        total=Sum("payments__amount", filter=Q(payments__kind__in=["deposit", "tuition"])),
    ).filter(count=4)
    assert paid.exists()
    assert all(enrollment.total == enrollment.price for enrollment in paid)
    assert first["sources"] == 16
    # The benchmark's import deletes the customers of its phone range; none may be the demo's.
    assert not Customer.objects.filter(phone__startswith=NEW_PHONE_PREFIX).exists()
    assert first["classes"] == 5
    assert first["campuses"] == 2
    assert first["courses"] == 2

    call_command("seeddemo", stdout=StringIO())
    assert _counts() == first


@pytest.mark.django_db
def test_seeddemo_users_log_in_with_their_roles():
    call_command("seeddemo", stdout=StringIO())
    assert set(User.objects.get(username="manager").roles.values_list("slug", flat=True)) == {"sales_manager"}
    client = make_client()
    response = client.post(reverse("accounts:login"), {"username": "admin", "password": "educrm-demo"})
    assert response["Location"] == "/"
    assert client.get(reverse("crm:campus-list")).status_code == 200


# --- Health check ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_health_answers_ok_anonymously():
    response = make_client().get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert connection.vendor in {"sqlite", "postgresql"}


# --- Languages ---------------------------------------------------------------------------------
def test_the_chinese_catalogue_is_compiled():
    assert ZH_MO.exists(), f"{ZH_MO} is missing: run `make messages` (the Makefile compiles it before tests)"


def test_every_string_in_the_code_is_translated_to_chinese(tmp_path, monkeypatch):
    """Extract the messages afresh, in a copy of the source tree so the real catalogue is never
    touched, and demand a Chinese text for each: a new string without one, or a fuzzy one, fails."""
    source = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns(".venv", "node_modules", "var", "staticfiles", ".git", "tests", "*.mo"),
    )
    catalogue = copy / "locale" / "zh_Hans" / "LC_MESSAGES"
    monkeypatch.chdir(copy)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [])
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    entries = (catalogue / "django.po").read_text(encoding="utf-8").split("\n\n")[1:]
    missing = [
        entry
        for entry in entries
        if "#, fuzzy" in entry or entry.rstrip().endswith(('msgstr ""', 'msgstr[0] ""'))
    ]
    assert entries
    assert missing == [], "Translate these in locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n\n".join(missing)


@pytest.mark.django_db
def test_pages_are_chinese_by_default():
    assert ZH_MO.exists(), "run `make messages` first"
    page = make_client(language="").get(reverse("accounts:login")).content.decode()
    assert 'lang="zh-hans"' in page
    assert "登录" in page
    assert "Log in" not in page


@pytest.mark.django_db
def test_the_browser_language_does_not_switch_the_site_to_english():
    """The school's language is the default, whatever language the browser sends."""
    client = make_client(language="", headers={"accept-language": "en-US,en;q=0.9"})
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="zh-hans"' in page


@pytest.mark.django_db
def test_the_language_switch_sets_english():
    client = make_client(language="")
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("accounts:login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page
    assert "登录" not in page


@pytest.mark.django_db
def test_the_language_switch_ignores_an_unsafe_next_and_an_unknown_language():
    client = make_client(language="")
    response = client.post(reverse("set_language"), {"language": "xx", "next": "https://evil.com/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_signed_in_pages_follow_the_switch(world, as_sales):
    page = as_sales.get(reverse("crm:course-list")).content.decode()
    assert 'lang="en"' in page
    assert "Courses" in page
    chinese = make_client(world.sales, language="zh-hans").get(reverse("crm:course-list")).content.decode()
    assert 'lang="zh-hans"' in chinese
    assert "Courses</h1>" not in chinese
