"""HTTP hardening: the Content Security Policy and the other security headers on every kind of
page, no-store on everything but static files, no inline script anywhere in the project, the
production settings (HSTS, Secure cookies) and a production 500 page that shows no internals.

The production settings are read in a subprocess started with the environment CI's deploy check
uses: config/settings.py decides them once at import, so overriding settings here would only test
Django.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path, reverse

from common.access import public
from enrollment import services as enrollment_services
from enrollment.tokens import enrollment_token
from tests.conftest import make_client
from tests.enrollment.conftest import enrollment, image_bytes

__all__ = ["enrollment"]

BASE_DIR = Path(settings.BASE_DIR)
# The policy config/settings.py must send, directive by directive.
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
INTERNAL_DETAIL = "internal-detail-7f3a: password=hunter2 at /srv/educrm/secret.py"


def policy_of(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    return parse_policy(header)


def parse_policy(header: str) -> dict[str, list[str]]:
    """directive -> sources; django-csp writes the directives in no fixed order."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_hardened(response) -> None:
    """The security headers every dynamic response carries, and no-store."""
    policy = policy_of(response)
    assert policy == EXPECTED_POLICY
    assert "Content-Security-Policy-Report-Only" not in response  # enforced, not merely reported
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy["script-src"])
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def page_kinds(world, enrollment) -> dict[str, tuple[Client, str, int]]:
    """One page of each kind: who asks, the address, the status it answers."""
    document = enrollment_services.enrollment_document_add(
        enrollment=enrollment, data=image_bytes("PNG"), filename="front.png", kind="id_front"
    )
    sales, manager = make_client(world.sales), make_client(world.manager)
    return {
        "login page": (make_client(), reverse("accounts:login"), 200),
        "list": (sales, reverse("crm:customer-mine"), 200),
        "customer detail": (sales, reverse("crm:customer-detail", args=[world.sales_lead.pk]), 200),
        "monthly report": (manager, reverse("reports:sales-report"), 200),
        "export": (sales, reverse("crm:customer-export") + "?list=mine&format=csv", 200),
        "document download": (sales, reverse("enrollment:enrollment-document", args=[document.pk]), 200),
        "public enrollment form": (
            make_client(),
            reverse("enrollment:apply", args=[enrollment_token(enrollment)]),
            200,
        ),
        "forbidden": (make_client(world.outsider), reverse("crm:customer-mine"), 403),
        "not found": (sales, reverse("crm:customer-detail", args=[world.sales2_lead.pk]), 404),
    }


def test_every_kind_of_page_carries_the_policy_and_is_not_stored(world, enrollment):
    for kind, (client, url, status) in page_kinds(world, enrollment).items():
        response = client.get(url)
        assert response.status_code == status, (kind, response.status_code)
        assert_hardened(response)
        if response["Content-Type"].startswith("text/html"):
            assert inline_script_problems(response.content.decode()) == [], kind


def test_the_public_form_shows_personal_data_only_uncached(world, enrollment):
    # The student's own page shows the customer's name: it must never sit in a shared cache.
    response = make_client().get(reverse("enrollment:apply", args=[enrollment_token(enrollment)]))
    assert world.sales_lead.name in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_view_that_chose_its_own_cache_control_keeps_it(world, anon):
    # Django's login view is never_cache: its header already says no-store, and is left whole.
    response = anon.get(reverse("accounts:login"))
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db  # closing a response sends request_finished, which checks the connection
def test_static_files_are_cacheable_and_still_under_the_policy(settings):
    # whitenoise looks files up through the finders here, as under `runserver`.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    for url in ("/static/js/educrm.js", "/static/vendor/htmx/htmx.min.js"):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert response.streaming  # answered by whitenoise, not by a view
        response.close()
        assert "no-store" not in response.get("Cache-Control", ""), url
        assert "max-age" in response["Cache-Control"], url
        assert policy_of(response) == EXPECTED_POLICY


# --- No inline script anywhere ---------------------------------------------------------------
# An on...= attribute inside a tag, an htmx hx-on handler, a javascript: URL, a <script> element
# that has no src (only JSON data blocks, as json_script writes, are allowed).
INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+|hx-on[:\-a-z]*)\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
# A handler set as a widget attribute in Python: attrs={"onchange": ...}. Named one by one, since
# a word like "online" may well be a choice value one day.
EVENT_ATTRIBUTES = {
    "onclick", "ondblclick", "onchange", "oninput", "onsubmit", "onreset", "onload", "onunload",
    "onerror", "onfocus", "onblur", "onkeyup", "onkeydown", "onkeypress", "onmouseover", "onmouseout",
    "onmousedown", "onmouseup", "onmouseenter", "onmouseleave", "onselect", "onscroll", "onresize",
    "oncontextmenu", "onpaste", "oncopy", "oncut", "ondrop", "ondragstart", "ontoggle", "oninvalid",
    "onbeforeunload", "onpageshow", "onanimationend",
}  # fmt: skip


def inline_script_problems(html: str) -> list[str]:
    problems = [f"handler {match.group(1)!r}" for match in INLINE_HANDLER.finditer(html)]
    problems += [f"URL {match.group(0)!r}" for match in JAVASCRIPT_URL.finditer(html)]
    for match in SCRIPT_TAG.finditer(html):
        attributes = match.group(1)
        if not re.search(r"\ssrc\s*=", attributes) and 'type="application/json"' not in attributes:
            problems.append(f"inline {match.group(0)!r}")
    return problems


def project_python_files() -> list[Path]:
    skipped = {".venv", "node_modules", "var", "staticfiles", "migrations", "tests", ".git"}
    return [
        file for file in BASE_DIR.rglob("*.py") if not skipped & set(file.relative_to(BASE_DIR).parts[:-1])
    ]


def test_the_scan_finds_every_kind_of_inline_script():
    # The patterns themselves, so the scans below cannot pass by matching nothing.
    for bad in (
        '<select name="s" onchange="this.form.submit()">',
        "<button\n  type=button ONCLICK='x()'>",
        '<div hx-on:click="alert(1)">',
        '<a href="javascript:void(0)">',
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
    ):
        assert inline_script_problems(bad), bad
    for good in (
        '<select name="s" data-autosubmit>',
        '<script src="/static/js/educrm.js"></script>',
        '<script id="report-charts" type="application/json">{"a": 1}</script>',
        "<p>Click on = the button; online courses</p>",
    ):
        assert inline_script_problems(good) == [], good


def test_no_template_has_inline_script():
    templates = sorted((BASE_DIR / "templates").rglob("*.html"))
    assert len(templates) > 50
    found = {
        str(template.relative_to(BASE_DIR)): problems
        for template in templates
        if (problems := inline_script_problems(template.read_text()))
    }
    assert found == {}


def test_no_python_html_has_inline_script():
    files = project_python_files()
    assert BASE_DIR / "common" / "renderers.py" in files
    found = {}
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            text = node.value
            problems = inline_script_problems(text) if "<" in text or "javascript" in text.lower() else []
            if text.lower() in EVENT_ATTRIBUTES or text.lower().startswith("hx-on"):
                problems.append(f"handler attribute {text!r}")
            if problems:
                found.setdefault(f"{file.relative_to(BASE_DIR)}:{node.lineno}", []).extend(problems)
    assert found == {}


# --- Production -------------------------------------------------------------------------------
# The environment .ci/run gives `check --deploy`, with a throwaway SQLite database.
PRODUCTION_PROBE = """
import json
import django
from django.conf import settings

django.setup()
from django.core.management import call_command
from django.test import Client
from accounts.models import User

call_command("check", deploy=True, fail_level="WARNING", verbosity=0)
call_command("migrate", verbosity=0)
User.objects.create_user(username="probe", password="Probe-Pass-1234", email="probe@example.test")
https = {"HTTP_HOST": "crm.example.edu", "HTTP_X_FORWARDED_PROTO": "https"}
# No page that links static files: their manifest comes from collectstatic, which is not run here.
health = Client(**https).get("/health/")
# Signing in rotates the CSRF token, so this one answer sets both cookies.
signed_in = Client(**https).post("/accounts/login/", {"username": "probe", "password": "Probe-Pass-1234"})
plain = Client(HTTP_HOST="crm.example.edu").get("/health/")
print(json.dumps({
    "debug": settings.DEBUG,
    "health_status": health.status_code,
    "hsts": health.get("Strict-Transport-Security"),
    "csp": health.get("Content-Security-Policy"),
    "signed_in_status": signed_in.status_code,
    "signed_in_hsts": signed_in.get("Strict-Transport-Security"),
    "csrf_cookie_secure": bool(signed_in.cookies["csrftoken"]["secure"]),
    "session_cookie_secure": bool(signed_in.cookies["sessionid"]["secure"]),
    "session_cookie_httponly": bool(signed_in.cookies["sessionid"]["httponly"]),
    "plain_http": [plain.status_code, plain.get("Location")],
}))
"""


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "SECURE_", "SESSION_", "CSRF_"))
    }
    environment.update(
        DEBUG="0",
        SECRET_KEY="production-probe-" + "k" * 50,
        ALLOWED_HOSTS="crm.example.edu",
        CSRF_TRUSTED_ORIGINS="https://crm.example.edu",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        EMAIL_HOST="smtp.example.edu",
        EDUCRM_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["debug"] is False
    assert probe["health_status"] == 200
    hsts = "max-age=31536000; includeSubDomains; preload"
    assert probe["hsts"] == probe["signed_in_hsts"] == hsts
    assert parse_policy(probe["csp"]) == EXPECTED_POLICY
    assert probe["signed_in_status"] == 302
    assert probe["csrf_cookie_secure"] is True
    assert probe["session_cookie_secure"] is True
    assert probe["session_cookie_httponly"] is True
    assert probe["plain_http"] == [301, "https://crm.example.edu/health/"]


@public
def broken_view(request):
    raise RuntimeError(INTERNAL_DETAIL)


urlpatterns = [path("broken/", broken_view)]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_server_error_shows_the_plain_page_without_internals(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Server error" in page and "服务器出错了" in page
    for internal in (
        INTERNAL_DETAIL,
        "RuntimeError",
        "Traceback",
        "broken_view",
        str(BASE_DIR),
        "SECRET_KEY",
    ):
        assert internal not in page
    assert_hardened(response)
    assert inline_script_problems(page) == []
