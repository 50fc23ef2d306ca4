"""Settings for every environment. Production knobs come from environment variables.

Only `core.env.Env` reads the environment, so a malformed value names its variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab  # noqa: F401  (kept at hand for CELERY_BEAT_SCHEDULE)
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = Env()

# Local state of the embedded defaults (SQLite file, filesystem broker, file cache).
VAR_DIR = Path(env.str("RAVES_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", "insecure-development-key-never-use-in-production")
elif env.is_set("SECRET_KEY"):
    SECRET_KEY = env.str("SECRET_KEY")
else:
    raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is false.")
# Former keys, still accepted (sessions, signed values) and still able to rebuild the links of
# feedback requests made under them. Keep a replaced key here for the links' lifetime (30 days).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
SITE_URL = env.url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "anymail",
    "axes",
    "businesses",
    "outbox",
    "feedback",
    "reviews",
    "showcase",
    "insights",
]

MIDDLEWARE = [
    "businesses.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The admin and the dashboard in the owner's language; every other page chooses its own.
    "core.language.OwnerLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'raves.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A dead database must not hang a request (or /healthz) for minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite: wait for a writer instead of failing at once when web and worker write together.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ----------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", "", schemes=("redis", "rediss", "unix")) if env.is_set("REDIS_URL") else ""
# Seconds before a call to Redis gives up; a stalled Redis must never hang a web request.
REDIS_TIMEOUT = 2

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "raves",
            "OPTIONS": {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT},
        }
    }
else:
    # Shared by the web server and the worker, so invalidation in one is seen by the other.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "socket_timeout": REDIS_TIMEOUT,
        "socket_connect_timeout": REDIS_TIMEOUT,
        # A publish connects once: kombu would otherwise go on trying a refused connection for the
        # whole connection time-out, and a web request would wait 2 s on a Redis that is down
        # (outbox/enqueue.py). The worker's own reconnecting has its own settings and is unchanged.
        "max_retries": 0,
        # Longer than any task runs; unacknowledged messages come back after it (at least once).
        "visibility_timeout": 3600,
        # A worker serving several queues takes from the first non-empty one in the order given
        # (`-Q alerts,bulk`): complaints before a campaign. The default would take them in turn.
        "queue_order_strategy": "priority",
    }
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "control_folder": str(VAR_DIR / "broker-control"),
    }
)
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish that fails is not retried: the rows are the outbox and the sweep enqueues them again,
# while each retry against a frozen Redis made a web request wait another time-out (outbox/enqueue.py).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Two queues. `alerts`: what a person waits for (complaint alerts, follow-ups, case reminders, every
# owner and staff email) and the sweeps, which only hand work on. `bulk`: invitations, reminders,
# webhooks, digests. A worker consumes `alerts` first; with one task held per process and bulk tasks
# of 100 emails, an alert waits for at most one bulk task (benchmarks/complaints_first.py).
CELERY_TASK_QUEUES = {"alerts": {}, "bulk": {}}
CELERY_TASK_DEFAULT_QUEUE = "bulk"
CELERY_TASK_ROUTES = {
    "outbox.tasks.send_outbox_emails": {"queue": "alerts"},
    "outbox.tasks.sweep_outbox": {"queue": "alerts"},
    "outbox.tasks.sweep_webhooks": {"queue": "alerts"},
    "feedback.tasks.sweep_feedback_requests": {"queue": "alerts"},
    "reviews.tasks.*": {"queue": "alerts"},
}
# Sending waits on the SMTP server and PostgreSQL, so two processes per core keep the CPUs busy:
# 15 % more invitations per second than Celery's default of one per core (BENCHMARKS.md).
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", 2 * (os.cpu_count() or 1), minimum=1)
CELERY_TIMEZONE = "UTC"
# The whole periodic schedule, in one place. Each entry says when it runs and why.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Every 30 s: send queued requests the fast path missed (broker was down, a worker crashed),
    # retry expired leases, send due reminders, expire old links. Safe to overlap: sends claim.
    "sweep-feedback-requests": {
        "task": "feedback.tasks.sweep_feedback_requests",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Every 30 s: owner and staff emails (complaint alerts, kudos, digests) that are due.
    "sweep-outbox": {"task": "outbox.tasks.sweep_outbox", "schedule": 30.0, "options": {"expires": 25}},
    # Every 30 s: webhook deliveries that are due (first attempts missed, retries with back-off).
    "sweep-webhooks": {"task": "outbox.tasks.sweep_webhooks", "schedule": 30.0, "options": {"expires": 25}},
    # Every minute: remind whoever handles a complaint that is past its deadline (once per case).
    "remind-overdue-cases": {
        "task": "reviews.tasks.remind_overdue_cases",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # At :00, :15, :30 and :45 UTC: the weekly wins email of each business whose local digest weekday
    # and hour have come. Once a week each: the week is claimed per business, whatever runs it.
    "send-due-digests": {
        "task": "insights.tasks.send_due_digests",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 840},
    },
    # Every minute: resume CSV imports confirmed but stalled for 2 minutes (worker killed, database
    # error, enqueue lost). Safe to overlap: each chunk is created under a lock on its import.
    "sweep-customer-imports": {
        "task": "feedback.tasks.sweep_customer_imports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every 10 minutes: each named staff member's waiting kudos in one email, at most one a day each.
    "send-kudos": {"task": "insights.tasks.send_kudos", "schedule": 600.0, "options": {"expires": 540}},
    # At :00, :15, :30 and :45 UTC: each staff member's own scorecard of the month just ended, from the
    # 1st of the month at the business's digest hour (its own time zone). Once per staff member and month.
    "send-due-scorecards": {
        "task": "insights.tasks.send_due_scorecards",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 840},
    },
}

# --- Deliveries (outbox/engine.py: invitations, reminders, owner and staff emails, webhooks) ----
# A sender that holds a delivery longer than this is presumed dead; the sweep retries the send.
# FEEDBACK_SEND_LEASE_SECONDS is its former name, still read.
DELIVERY_LEASE_SECONDS = env.int(
    "DELIVERY_LEASE_SECONDS", env.int("FEEDBACK_SEND_LEASE_SECONDS", 120, minimum=5), minimum=5
)
FEEDBACK_SEND_LEASE_SECONDS = DELIVERY_LEASE_SECONDS
# An email that could not be sent waits DELIVERY_RETRY_BASE_SECONDS, then twice as long each time,
# at most DELIVERY_RETRY_CAP_SECONDS; after DELIVERY_EMAIL_MAX_ATTEMPTS attempts it is `failed`.
# The defaults (30 s, 30 min, 110) ride out 52 hours of mail server outage.
DELIVERY_RETRY_BASE_SECONDS = env.int("DELIVERY_RETRY_BASE_SECONDS", 30, minimum=1)
DELIVERY_RETRY_CAP_SECONDS = env.int("DELIVERY_RETRY_CAP_SECONDS", 1800, minimum=1)
DELIVERY_EMAIL_MAX_ATTEMPTS = env.int("DELIVERY_EMAIL_MAX_ATTEMPTS", 110, minimum=1)

# --- Feedback requests ----------------------------------------------------------------------
# Invitation emails (invitations and reminders) per business per day; a superuser may set another
# limit per business in the admin. What is over it waits for the business's next day.
FEEDBACK_DAILY_LIMIT = env.int("FEEDBACK_DAILY_LIMIT", 50_000, minimum=1)
# Webhooks to private or loopback addresses are refused (SSRF), except these exact host:port
# targets ("127.0.0.1:8001,127.0.0.1:8002": test receivers, a sidecar on the same network).
WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset(env.host_ports("WEBHOOKS_ALLOWED_PRIVATE_TARGETS", []))
# Development switch: every private address is reachable, unless targets are listed above (then
# only they are).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
# A confirmed CSV import that the worker has not moved on for this long is presumed stopped (worker
# killed, database error) and resumed by the sweep where it stopped; a chunk takes about a second.
CSV_IMPORT_STALLED_SECONDS = env.int("CSV_IMPORT_STALLED_SECONDS", 120, minimum=5)
# How long a customer may change an answer through their link.
FEEDBACK_EDIT_DAYS = 7
# A complaint still without a first response this many hours after its overdue reminder went out
# alerts the business's owners (once per case).
CASE_ESCALATION_HOURS = env.int("CASE_ESCALATION_HOURS", 24, minimum=1)
# How long the signed link emailed to a staff member who owns a case opens that case's page.
STAFF_CASE_LINK_DAYS = env.int("STAFF_CASE_LINK_DAYS", 14, minimum=1)
# How long the signed link in the weekly email opens that week's meeting sheet (read-only).
MEETING_SHEET_LINK_DAYS = env.int("MEETING_SHEET_LINK_DAYS", 14, minimum=1)
# How long the signed link to a staff member's own scorecard (in their weekly and monthly emails) opens it.
SCORECARD_LINK_DAYS = env.int("SCORECARD_LINK_DAYS", 45, minimum=1)

# --- Email ----------------------------------------------------------------------------------
_email = env.email("EMAIL_URL", "consolemail://")
# SMTP goes through our subclass of Django's backend, which records each send before the
# server's final answer (see mail/smtp.py); the console prints subjects decoded
# (mail/console.py); the other schemes keep Django's backends.
EMAIL_BACKEND = {
    "django.core.mail.backends.smtp.EmailBackend": "mail.smtp.EmailBackend",
    "django.core.mail.backends.console.EmailBackend": "mail.console.EmailBackend",
}.get(_email["EMAIL_BACKEND"], _email["EMAIL_BACKEND"])
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "emails")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Raves <raves@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Email providers' tracking webhooks (bounces, complaints) under /anymail/<provider>/tracking/,
# authenticated with HTTP basic auth "user:password"; without it, bounce events are ignored.
ANYMAIL = {"WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", "")}

# --- Security -------------------------------------------------------------------------------
# Behind a TLS-terminating proxy these stay on; switch them off only for plain-HTTP test rigs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The admin's language switch: no script reads it, and it travels over HTTPS only, like the others.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Only the public JSON is readable from other sites.
CORS_URLS_REGEX = r"^/api/v1/public/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

# --- Auth, i18n, static ---------------------------------------------------------------------
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "businesses.auth.CaseInsensitiveUsernameBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en"
# The languages customers can be asked in. A business offers all of them or the ones it chooses;
# adding one here takes a catalogue in locale/<code>/LC_MESSAGES/django.po.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["businesses.api.authentication.BusinessAPIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["businesses.api.permissions.HasBusinessAPIKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["core.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "core.api_exceptions.exception_handler",
    # Every keyed endpoint; the public JSON replaces it with its per-address throttle.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.APIKeyRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Raves API",
    "DESCRIPTION": (
        "Ask every customer how it went. Authenticate with `Authorization: Api-Key <key>`; "
        "every object is scoped to the key's business."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}}
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    # 400, 401, 404, 413 and 429 come from shared machinery; one hook documents them everywhere.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api_schema.document_errors"],
    # The key scheme is declared just above for every operation, so the schema need not (and,
    # without an extension class, cannot) derive it from each view's authentication classes.
    "AUTHENTICATION_WHITELIST": [],
    # Several models have a `status`; each gets its own, stable enum name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "FeedbackRequestStatusEnum": "feedback.models.FeedbackRequest.Status",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "CaseStatusEnum": "reviews.models.Case.Status",
        # One content policy, whether a review or a customer's edit of it is rejected.
        "RejectionReasonEnum": "reviews.models.Review.RejectionReason",
    },
}

# --- Abuse limits ---------------------------------------------------------------------------
# How many proxies of ours stand in front of the app and append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR and the header is ignored (a client could write anything in it). Every limit below
# and the login lockout count per address found this way (core/client_address.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Calls per API key (core/throttles.py); beyond it 429 with Retry-After.
API_THROTTLE_RATE = env.rate("API_THROTTLE_RATE", "1200/min")
# Calls per address to the keyless public JSON (/api/v1/public/...).
PUBLIC_API_THROTTLE_RATE = env.rate("PUBLIC_API_THROTTLE_RATE", "600/min")
# Emailed links (feedback/throttles.py): unknown tokens per address (a script guessing them), and
# uses of one valid link per address (generous: a whole office may answer from one address).
TOKEN_GUESS_LIMIT = env.rate("TOKEN_GUESS_LIMIT", "300/hour")
TOKEN_LINK_LIMIT = env.rate("TOKEN_LINK_LIMIT", "60/min")
# Answers through one open feedback link (a QR code) per address: a shop's Wi-Fi is shared.
OPEN_FEEDBACK_LIMIT = env.rate("OPEN_FEEDBACK_LIMIT", "20/hour")

# Admin login lockout (django-axes): a username is locked for 15 minutes after 10 failures from one
# address. Per username AND address, never the whole address: staff share office networks.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A right password (before the lock) clears that username's failures from that address.
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
# "Owner@Example.com" and "owner@example.com" are one login (businesses.auth), so one counter.
AXES_USERNAME_CALLABLE = "businesses.auth.login_username"
AXES_LOCKOUT_CALLABLE = "businesses.auth.login_locked_out"
# The lockout warnings (logged by "axes" to the console) name the username and address under attack.
AXES_SENSITIVE_PARAMETERS: list[str] = []

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Every handler redacts link tokens and URL credentials (Django logs the path of each 4xx).
    "filters": {"redact": {"()": "core.log_redaction.RedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        # runserver's request lines (`make run`), otherwise printed by Django's own, unfiltered handler.
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    # Login lockouts and failures ("AXES: Locking out ...") reach the console whatever LOG_LEVEL says.
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
