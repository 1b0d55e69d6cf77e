"""Settings shared by every environment, read from environment variables.

`config.settings` (the default: `make demo`, the tests, `manage.py`) is the development / demo
setup on top of this; `config.settings.production` is the deployment one (DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS required, DEBUG off, HTTPS only).

DATABASE_URL        PostgreSQL (or any dj-database-url URL); default SQLite in var/db.sqlite3
CELERY_BROKER_URL   Redis broker and result backend; default: eager, in-process Celery
TIME_ZONE           business time zone (default Europe/Moscow); Celery follows it
OFFICIAL_REGIME     the regime whose approved run closes a period (default "ru")
REPORTING_CURRENCY  the currency of reports and solvency totals (default RUB; fx app's official rates)
DATABASE_APP_ROLE   the PostgreSQL role the application connects as, re-granted by migrate (core.db_roles)
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# SECRET_KEY, DEBUG and ALLOWED_HOSTS are set by the environment's module (config.settings for
# development and the demo, config.settings.production for a deployment), never here.
# The demo users' fixed, published passwords exist only in demo mode (`demo_users` refuses otherwise).
DEMO_MODE = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver (the demo) leaves static files to WhiteNoise, as a deployment does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "axes",
    "core",
    "segments",
    "fx",
    "reinsurance",
    "policies",
    "claims",
    "reserving",
    "exchange",
    "tariff",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files compressed (gzip copies made by collectstatic) and cached by the browser (issue 16 §3).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the set_language cookie (the admin header's switcher), then Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out login (admin form or API Basic auth) into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

# The PostgreSQL role the application connects as when it is not the tables' owner (issue 14
# §3, core.db_roles): `migrate` run as the owner re-grants it. Empty: nothing is granted.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 30},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Login rate limit (django-axes): 10 failed logins for a username lock it for 15 minutes,
# whichever way they come (the admin login form, HTTP Basic on the API); a failure during the
# lockout restarts it; a successful admin sign-in clears the count. The attempts live in axes' own
# tables (Admin › Axes), so a test database starts with none. `manage.py axes_reset_username
# NAME` lifts a lockout early.
AUTHENTICATION_BACKENDS = [
    "core.auth.AxesBackend",  # first: refuses a locked-out username before the password is tried
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
# axes.W006 asks for the client IP among the lockout parameters. We lock the account, by
# username, on purpose: the client IP is that of the reverse proxy in a deployment, so an IP
# lockout would lock every user out at once; rotating IPs or user agents does not reset a
# username's count.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "en"
# English, Russian and Persian (right to left); chosen per request by LocaleMiddleware from the
# cookie Django's set_language view writes, else the browser's Accept-Language; no URL prefix.
# The catalogues are compiled by the build (`make messages`); the terms follow docs/glossary.md.
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("fa", "فارسی"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
# Dates per language (config/formats: our formats over Django's locale ones; ISO first in inputs).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Ours beside the apps' (static/vendor/plotly: the partial plotly.js bundle, scripts/fetch_plotly.py).
STATICFILES_DIRS = [BASE_DIR / "static"]
# Compressed copies at collectstatic. Unhashed names here, so pages render without a collectstatic
# (tests, a fresh checkout); production.py hashes the names (manifest) and caches them for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# From the apps' and static/ folders, uncompressed, until collectstatic has run; from STATIC_ROOT
# (with the gzip copies) after it. WhiteNoise lets the finders' files win over collected ones.
WHITENOISE_USE_FINDERS = not (STATIC_ROOT / "admin").is_dir()

# Celery: eager exactly when no broker is configured (the embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Eager only: the web process computes a run's segments in a thread of its own, so "compute"
# returns at once and the page shows progress (the demo's development server sets it).
RUN_SEGMENTS_IN_THREAD = os.environ.get("RUN_SEGMENTS_IN_THREAD") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
# Long work started from a page (core.jobs, issue 16 §4): kind -> the function that does it. Run by
# a worker (core.run_job) with a broker, in a thread with RUN_SEGMENTS_IN_THREAD, else in the request.
BACKGROUND_JOBS = {
    "book_import": "exchange.tasks.book_import_job",
    "report_export": "reporting.views.report_export_job",
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Every task acknowledges late (after it ends), and Redis hands a message not acknowledged
# within the visibility timeout to another worker. So the timeout outlasts the longest task's
# time limit (else a slow task runs twice), and barely more (else a killed worker's task waits
# that long: Redis's default is an hour). Tasks without their own limit get the longest one.
_LONGEST_TASK_SECONDS = 600  # the diyeh revaluation (tariff.tasks); a run's segment has 300
CELERY_TASK_TIME_LIMIT = _LONGEST_TASK_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _LONGEST_TASK_SECONDS + 60}
# A Redis restart or failover takes a few seconds: a publish (e.g. a run's segments, sent when
# its compute commits) retries for about four before it gives up (the watchdog re-sends later).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 6, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task running when the broker connection drops finishes and stores its results (PostgreSQL is
# unaffected); its acknowledgement may be lost, and a redelivered duplicate overwrites its own rows.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# The cache: what every process must agree on (the closed periods, core.period_cache) lives in Redis
# when CACHE_URL is set, or the broker is Redis; in process memory otherwise (one process:
# runserver, tests, eager Celery).
CACHE_URL = os.environ.get("CACHE_URL") or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "medmal"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "medmal"}}

REST_FRAMEWORK = {
    # Basic first: an API client without credentials, or with wrong ones, gets 401 and a
    # WWW-Authenticate challenge (session-first would answer 403 to both).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's Basic auth, handing axes the Django request so failures count and lockouts hold.
        "core.auth.BasicAuthentication",
        # `Authorization: Token <key>` (manage.py api_token USER): no password hashed per request,
        # and the user's roles and permissions read in one query with it (core.auth).
        "core.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Medmal back office API",
    "DESCRIPTION": "Policies, claims, ledgers, reserve runs and reports of a medical professional-liability insurer.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are for signed-in users only (401 to anyone else).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI assets from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several ledgers have a "kind"/"basis": name each choice set so the schema is unambiguous.
    "ENUM_NAME_OVERRIDES": {
        "PolicyBasisEnum": "policies.models.Policy.Basis",
        "PolicyStatusEnum": "policies.models.Policy.Status",
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "ReserveRunStatusEnum": "reserving.models.ReserveRun.Status",
        "PremiumTransactionKindEnum": "policies.models.PremiumTransaction.Kind",
        "PremiumEffectKindEnum": "policies.models.PremiumTransaction.EffectKind",
        "ClaimTransactionKindEnum": "claims.models.ClaimTransaction.Kind",
        "ClaimEffectKindEnum": "claims.models.ClaimTransaction.EffectKind",
        "ClaimPostingKindEnum": "claims.serializers.POSTING_KINDS",
        "TariffSettingEnum": "tariff.models.Setting",
        "QuoteSettingEnum": "tariff.engine.SETTINGS",
    },
}

# Business parameters.
OFFICIAL_REGIME = os.environ.get("OFFICIAL_REGIME", "ru")
# Reports and solvency totals are in this currency, converted at the official rates (fx app).
REPORTING_CURRENCY = os.environ.get("REPORTING_CURRENCY", "RUB")
# How far before a report's date an official rate may be dated and still be its rate (weekends
# and the Russian New Year holidays have no fixing of their own).
FX_RATE_MAX_AGE_DAYS = int(os.environ.get("FX_RATE_MAX_AGE_DAYS", "10"))

# Search terms and patients'-data query values never reach a log (core.log_filters, issue 14 §4):
# the filter sits on every handler, Django's request log (django.server) included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"patients_data": {"()": "core.log_filters.SearchTermsFilter"}},
    "formatters": {"django.server": {"()": "django.utils.log.ServerFormatter",
                                     "format": "[{server_time}] {message}", "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["patients_data"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["patients_data"]},
    },
    "loggers": {"django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
