"""Django settings: the one place that reads the environment.

No environment at all gives the embedded local mode (SQLite, eager Celery, local-memory cache,
DEBUG). `DATABASE_URL` switches to PostgreSQL, `REDIS_URL` to Redis as broker and cache, and
`DJANGO_ENV=production` to the hardened production profile (see README, "Configuration").
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Read one environment variable (the only place settings touch os.environ)."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    raw = env(name)
    return default if raw == "" else raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [part.strip() for part in env(name).split(",") if part.strip()]


# Fail closed: a typo ("prod") must not silently give the local mode with DEBUG and demo users.
DJANGO_ENV = env("DJANGO_ENV", "local").strip().lower()
if DJANGO_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'local' or 'production', not {env('DJANGO_ENV')!r}."
    )
PRODUCTION = DJANGO_ENV == "production"
LOCAL_MODE = not PRODUCTION
DEBUG = env_bool("DJANGO_DEBUG", default=LOCAL_MODE)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG cannot be on when DJANGO_ENV=production: it shows settings and code to "
        "anyone who causes an error."
    )

if PRODUCTION:
    SECRET_KEY = env("SECRET_KEY")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
else:
    # A fixed key is fine for the embedded mode: it never serves anyone but the local user.
    SECRET_KEY = env("SECRET_KEY", "local-mode-only-not-a-secret-3b1f0c9e7d2a4c6b8e0f1a2b3c4d5e6f")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]", "testserver"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_celery_beat",
    "csp",
    "axes",
    "base",
    "gonv",
    "organisation",
    "programmes",
    "goals",
    "followup",
]

MIDDLEWARE = [
    "gonv.middleware.UntrustedProxyWarningMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gonv.middleware.AbsoluteSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the user and request.htmx are known: a login redirect becomes one htmx can use.
    "gonv.middleware.HtmxLoginRedirectMiddleware",
    # One read of the dashboards' cache generation and of each cached list per request.
    "followup.cache.RequestMemoMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "gonv.middleware.SecurityHeadersMiddleware",
    "gonv.middleware.PermissionDeniedLogMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Serves the collected, hashed static files; locally the staticfiles app does that.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "gonv.urls"
WSGI_APPLICATION = "gonv.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gonv.context_processors.site",
                "gonv.context_processors.session_limits",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
            # Eager Celery and the threaded dev server write from one process, on several
            # connections. A busy timeout alone does not stop "database is locked": a
            # transaction that began by reading cannot wait for another writer (SQLite fails it
            # at once rather than deadlock), as an import's recompute did while another user
            # browsed. IMMEDIATE takes the write lock when a transaction begins, so it waits its
            # turn; WAL lets pages read while a write is under way.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_CACHE_URL") or REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "gonv"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # Embedded mode: tasks run in-process so a newcomer needs no broker or worker.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/Stockholm"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The hard limit stays well below the broker's visibility timeout so a task that is still
# running is never redelivered to a second worker.
CELERY_BROKER_VISIBILITY_TIMEOUT = int(env("CELERY_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_TIME_LIMIT = min(30 * 60, int(CELERY_BROKER_VISIBILITY_TIMEOUT * 0.9))
CELERY_TASK_SOFT_TIME_LIMIT = int(CELERY_TASK_TIME_LIMIT * 0.9)
# A queue name per installation (or per test run) so two of them never share work on one Redis.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "gonv")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "followup-nightly": {
        "task": "followup.tasks.compute_recent_quarters",
        "schedule": crontab(minute=15, hour=2),
    },
    "followup-quarter-start": {
        "task": "followup.tasks.compute_all_quarters",
        "schedule": crontab(minute=45, hour=3, day_of_month=1, month_of_year="1,4,7,10"),
    },
    "followup-import-uploads-expire": {
        "task": "followup.imports.tasks.import_uploads_expire",
        "schedule": crontab(minute=35),
    },
}

# --- Auth and sessions ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# OWASP ASVS L2 (3.3): idle timeout 30 min, absolute lifetime 12 h.
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = int(env("SESSION_ABSOLUTE_SECONDS", str(12 * 60 * 60)))
# How long before either limit every page warns, offering to stay logged in (WCAG 2.2.1:
# warned, and at least 20 seconds to extend with one action; static/js/session.js).
SESSION_WARNING_SECONDS = int(env("SESSION_WARNING_SECONDS", "120"))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# An expired form (a stale tab) gets a Swedish page that leads back, not Django's bare one
# (gonv.error_views); for htmx the reason as text and a current token, so a page older than a
# login can save (gonv.views.csrf_failure, which hands the others to the page).
CSRF_FAILURE_VIEW = "gonv.views.csrf_failure"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The health endpoint answers the load balancer over plain http too.
SECURE_REDIRECT_EXEMPT = [r"^halsa/$"]

# --- Lockout on guessing (django-axes), on the site's and the admin's login alike -------------
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
# A username from one address: an attacker cannot lock a user out from everywhere, and one
# address cannot try a password on many users without each being counted.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it, so the time the page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "gonv.security_log.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Behind a trusted proxy the client's address is the left-most X-Forwarded-For entry.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    if env_bool("SECURE_PROXY_SSL_HEADER", default=False)
    else ["REMOTE_ADDR"]
)

# --- Content Security Policy: no inline scripts or styles, nothing from elsewhere -------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation ---------------------------------------------------------------------
# Swedish for everyone. No LocaleMiddleware: a browser set to English must not switch a Swedish
# public-sector service; English (locale/en) will come as an explicit choice.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("Engelska"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Stockholm"
USE_TZ = True
# Dates as 2025-12-31 everywhere (the Swedish public-sector convention), see base/formats.
FORMAT_MODULE_PATH = ["base.formats"]

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_line": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # One JSON object a line on stderr, for the region's log collection (README, Security).
        "security": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json_line",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "gonv.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}

# --- GONV domain settings ---------------------------------------------------------------------
# Overrides of the status engine's thresholds (see docs/status-rules.md).
GONV_STATUS_RULES: dict[str, object] = {}
# Seconds of quiet after the latest change before the follow-up recomputes, so a burst of
# edits coalesces into one recompute per quarter (see followup/triggers.py).
GONV_RECOMPUTE_DELAY_SECONDS = int(env("GONV_RECOMPUTE_DELAY_SECONDS", "5"))
# ...but never longer than this after the first edit of a burst.
GONV_RECOMPUTE_MAX_WAIT_SECONDS = int(env("GONV_RECOMPUTE_MAX_WAIT_SECONDS", "120"))
# How often a compute task that killed its worker is delivered before it is given up (and
# recorded as a failed ComputeRun, the quarter left marked for recompute).
GONV_TASK_MAX_DELIVERIES = int(env("GONV_TASK_MAX_DELIVERIES", "3"))
# SPC for every unit ("all") or only for units with units below them ("aggregates"), for an
# installation whose workers cannot keep up with the per-unit charts.
GONV_SPC_SCOPE = env("GONV_SPC_SCOPE", "all")
# Imports of measure values (followup/imports): the largest file accepted, the number of rows
# from which checking and storing run as a background task with a progress bar, and the
# directory where an uploaded file waits between preview and import (shared by web and worker).
GONV_IMPORT_MAX_BYTES = int(env("GONV_IMPORT_MAX_BYTES", str(20 * 1000 * 1000)))
GONV_IMPORT_BACKGROUND_ROWS = int(env("GONV_IMPORT_BACKGROUND_ROWS", "5000"))
GONV_IMPORT_DIR = Path(env("GONV_IMPORT_DIR", str(BASE_DIR / "var" / "imports")))
# How long an uploaded file may wait for "Importera" before the hourly cleanup deletes it
# (followup.imports.tasks.import_uploads_expire; `manage.py expire_import_uploads` by hand).
GONV_IMPORT_MAX_AGE_HOURS = int(env("GONV_IMPORT_MAX_AGE_HOURS", "24"))
# A check or store that reports no progress for this long is shown as interrupted (its task or
# request was lost; nothing was stored): at least the task time limit, so a live one never is.
GONV_IMPORT_STALLED_MINUTES = int(env("GONV_IMPORT_STALLED_MINUTES", "30"))

# The dashboards: a programme area's adoption matrix lists its units only up to this many;
# above it shows each VO with its shares, and a VO's units on choosing it (followup.views).
GONV_ADOPTION_MATRIX_UNIT_LIMIT = int(env("GONV_ADOPTION_MATRIX_UNIT_LIMIT", "200"))
# The Enheter page renders the unit tree down to this level (0: the roots; 2: region, area,
# VO); the units below a unit at that level are fetched when it is opened.
GONV_UNIT_TREE_DEPTH = int(env("GONV_UNIT_TREE_DEPTH", "2"))
# ...or less deep where the levels down to it hold more units than this.
GONV_UNIT_TREE_MAX_NODES = int(env("GONV_UNIT_TREE_MAX_NODES", "300"))
# After each recompute the cache is warmed with the most-read pages' regions as the steering
# group sees them (followup.warm), unless this is off (the tests turn it off).
GONV_WARM_DASHBOARDS = env_bool("GONV_WARM_DASHBOARDS", True)
# ...and with the unit pages VCs and VECs land on (with "Att göra"), at most this many units
# (those most users land on first; a national installation has some 1,400): each costs a cold
# render of its page in the worker after every recompute. Over the limit is logged.
GONV_WARM_UNIT_PAGES_LIMIT = int(env("GONV_WARM_UNIT_PAGES_LIMIT", "500"))

# The accessibility statement (/tillganglighet/), required by lagen (2018:1937) om tillgänglighet
# till digital offentlig service: who publishes the service, where to report shortcomings, the
# date of the latest assessment and of the statement's latest update. The e-mail default is a
# placeholder the page says is one; in production it is an error (gonv.checks), and a date left
# at the built-in default a warning.
GONV_ORGANISATION_NAME = env("GONV_ORGANISATION_NAME", "Region Gävleborg")
GONV_ACCESSIBILITY_EMAIL_PLACEHOLDER = "tillganglighet@example.se"
GONV_ACCESSIBILITY_CONTACT_EMAIL = env(
    "GONV_ACCESSIBILITY_CONTACT_EMAIL", GONV_ACCESSIBILITY_EMAIL_PLACEHOLDER
)
GONV_ACCESSIBILITY_CONTACT_PHONE = env("GONV_ACCESSIBILITY_CONTACT_PHONE")
GONV_ACCESSIBILITY_DEFAULT_DATE = datetime.date(2026, 12, 2)


def env_date(name: str, default: datetime.date) -> datetime.date:
    """Read a date (YYYY-MM-DD) from the environment; anything else stops start-up."""
    raw = env(name)
    try:
        return datetime.date.fromisoformat(raw) if raw else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a date as YYYY-MM-DD, not {raw!r}.") from error


# When the statement was last updated ("Redogörelsen uppdaterades senast den …").
GONV_ACCESSIBILITY_STATEMENT_DATE = env_date(
    "GONV_ACCESSIBILITY_STATEMENT_DATE", GONV_ACCESSIBILITY_DEFAULT_DATE
)
# When the service was last assessed ("Senaste bedömningen gjordes den …"): by default the
# update's date, as when both are done together.
GONV_ACCESSIBILITY_ASSESSMENT_DATE = env_date(
    "GONV_ACCESSIBILITY_ASSESSMENT_DATE", GONV_ACCESSIBILITY_STATEMENT_DATE
)

# Reporting in the browser: a value that differs from the unit's previous period by more than
# this many per cent needs a comment.
GONV_REPORT_JUMP_PCT = float(env("GONV_REPORT_JUMP_PCT", "50"))
