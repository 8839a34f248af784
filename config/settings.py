"""EduCRM settings, driven by environment variables (documented in README.md).

Development needs no variables at all. Production sets at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS
and DATABASE_URL; `manage.py check --deploy` is then clean.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EDUCRM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-educrm-development-only-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "common",
    "accounts",
    "rbac",
    "audit",
    "crm",
    "enrollment",
    "classroom",
    "marketing",
    "tickets",
    "risk",
    "reports",
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so static files get the policy too (an SVG opened on its own can carry
    # a script). The policy is CONTENT_SECURITY_POLICY below; no view uses a nonce.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, which answers static files itself (cacheable, they hold no personal
    # data); every other response passes through it and is marked no-store.
    "common.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the customers' history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The one choke point for authorisation: every resolved view passes through it.
    "rbac.middleware.PermissionMiddleware",
    # AxesMiddleware must stay last so it sees the final response of a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "rbac.context_processors.rbac",
                "accounts.context_processors.notifications",
            ],
        },
    },
]

# Plain widgets (inputs, selects, textareas) are written in Python rather than one template each.
FORM_RENDERER = "common.renderers.PythonWidgetsRenderer"

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL via DATABASE_URL for production and scale-out.
# In production each gunicorn worker keeps its connection for a minute (checked before reuse):
# opening a PostgreSQL connection costs more than serving a list page. The development server
# starts a thread per request, which would leave a connection behind each time, so it opens one
# per request.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy timeout
        # instead of failing with "database is locked" when a read transaction upgrades.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # A new connection's page cache starts empty; memory-mapping the file (up to SQLite's
        # 2 GiB limit) reads pages straight from the operating system's cache instead of copying
        # each one in with a system call: the monthly report at a million customers went from
        # 500 to 340 ms with a connection per request.
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=2147418112;"),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
# Reverse proxies in front (nginx: 1), so the lockout, the access log and the web-to-lead limits
# see the visitor's address rather than the proxy's (common.http.client_ip).
CLIENT_IP_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "common.http.client_ip"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (npm packages are mapped in; nothing vendored in git) ---------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files live outside any URL; they are served only through permission-checked views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "uploads"))

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "EduCRM <noreply@educrm.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 12)))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (django-csp 4 format), enforced. Every script is a file under static/
# (no inline <script>, no on...= handlers, no javascript: URLs: tests/security/test_headers.py
# scans for them), so script-src needs neither 'unsafe-inline' nor 'unsafe-eval'. style-src keeps
# 'unsafe-inline' on purpose: Bootstrap's components and htmx set inline styles (htmx injects its
# indicator <style>), templates size progress bars and charts with style attributes, and the
# hardening asked for forbids inline scripts only; a style cannot run code. img-src allows data:
# for the enrollment link's QR code (segno's SVG data URI) and Bootstrap's form-control icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_HTTPS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Background work -----------------------------------------------------------------------
# django-tasks with its database backend: `manage.py db_worker` runs the queue (make run starts
# it); no extra server. TASKS_BACKEND=immediate runs tasks inline (the test suite does).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("TASKS_BACKEND", "database")],
    }
}
# How often the worker sweeps the pool and sends follow-up reminders (crm.tasks).
POOL_SWEEP_INTERVAL_MINUTES = int(os.environ.get("POOL_SWEEP_INTERVAL_MINUTES", "60"))
# Service tickets (tickets app): a resolved ticket the requester has not rated within this many
# days is archived by the periodic ticket job (tickets.tasks), which runs this often.
TICKET_FEEDBACK_DAYS = int(os.environ.get("TICKET_FEEDBACK_DAYS", "7"))
TICKET_MAINTENANCE_INTERVAL_MINUTES = int(os.environ.get("TICKET_MAINTENANCE_INTERVAL_MINUTES", "15"))

# --- Forms and lists ------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
LIST_PAGE_SIZES = (20, 50, 100)

# Customer imports (crm.imports): the largest upload, the most rows per file, and how much an
# .xlsx may unpack to (an .xlsx is a zip; this stops a zip bomb before it is read).
CUSTOMER_IMPORT_MAX_BYTES = int(os.environ.get("CUSTOMER_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
CUSTOMER_IMPORT_MAX_ROWS = int(os.environ.get("CUSTOMER_IMPORT_MAX_ROWS", "100000"))
CUSTOMER_IMPORT_MAX_UNPACKED_BYTES = 300 * 1024 * 1024

# Enrollment links (enrollment app): how long a link works, and the documents a student uploads.
ENROLLMENT_LINK_DAYS = int(os.environ.get("ENROLLMENT_LINK_DAYS", "7"))
ENROLLMENT_DOCUMENT_MAX_BYTES = int(os.environ.get("ENROLLMENT_DOCUMENT_MAX_BYTES", str(2 * 1024 * 1024)))
ENROLLMENT_DOCUMENT_LIMIT = 3

# Homework (classroom app): the largest file a student may hand in, and how many per lesson.
HOMEWORK_MAX_BYTES = int(os.environ.get("HOMEWORK_MAX_BYTES", str(10 * 1024 * 1024)))
HOMEWORK_FILE_LIMIT = int(os.environ.get("HOMEWORK_FILE_LIMIT", "5"))

# Marketing (marketing app). The public web-to-lead form: at most N submissions per window from
# one IP address (across campaigns) and per campaign, counted in the database (the cache is per
# process). Mass email: recipients per batch, and the pause between batches (the SMTP server's
# and the receiving providers' limits).
MARKETING_WEB_LEAD_LIMIT_PER_IP = int(os.environ.get("MARKETING_WEB_LEAD_LIMIT_PER_IP", "5"))
MARKETING_WEB_LEAD_LIMIT_PER_CAMPAIGN = int(os.environ.get("MARKETING_WEB_LEAD_LIMIT_PER_CAMPAIGN", "300"))
MARKETING_WEB_LEAD_WINDOW_SECONDS = int(os.environ.get("MARKETING_WEB_LEAD_WINDOW_SECONDS", "3600"))
MARKETING_MAILING_BATCH = int(os.environ.get("MARKETING_MAILING_BATCH", "100"))
MARKETING_MAILING_PAUSE_SECONDS = int(os.environ.get("MARKETING_MAILING_PAUSE_SECONDS", "60"))
# Who may show the public web-to-lead form in an iframe (CSP frame-ancestors sources, space
# separated): the school's own site in production, e.g. "https://www.school.cn".
MARKETING_FORM_FRAME_ANCESTORS = os.environ.get("MARKETING_FORM_FRAME_ANCESTORS", "*")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Human-readable product name used in titles and emails.
SITE_NAME = _("EduCRM")
