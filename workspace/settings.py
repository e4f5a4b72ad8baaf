"""Workspace settings: one module, every choice read from the environment.

Nothing set means the embedded default: SQLite, in-memory channel layer,
local-memory cache, console email, one process. See README "Configuration".
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from workspace.env import email_settings, env_bool, env_int, env_list, env_str, redis_host

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off, so Workspace refuses to start. "
            "Set SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "development-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where people reach Workspace; used for links in emails sent outside a request.
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")
# The right-hand side of calendar event UIDs (RFC 5545 suggests the host that makes them).
CALENDAR_UID_DOMAIN = urlsplit(SITE_URL).hostname or "workspace"

# No "daphne" app: servers run the daphne command (Procfile, make run), and every other
# process (workers, manage.py, tests) would import its Twisted server for nothing (0.3 s).
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "channels",
    "django_htmx",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "workspace",
    "workspace.live",
    "workspace.jobs",
    "accounts",
    "records",
    "chat",
    "calendar_app",
    "reports",
    "marketing",
    "integrations.api",
    "integrations.webhooks",
    "integrations.imports",
    "integrations.mail",
    "integrations.telephony",
    "automation",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "workspace.live.middleware.live_events",
]

ROOT_URLCONF = "workspace.urls"
FORM_RENDERER = "workspace.forms.BootstrapFormRenderer"
ASGI_APPLICATION = "workspace.asgi.application"
WSGI_APPLICATION = None

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
                "django.template.context_processors.csp",
                "workspace.context_processors.shell",
            ],
            "builtins": ["workspace.templatetags.ui"],
        },
    },
]

# --- Data ------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the task worker writes; IMMEDIATE
    # takes the write lock at BEGIN so concurrent writers queue instead of
    # failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # PostgreSQL's JIT compiles a plan whose estimated cost passes a threshold: on the
    # segment counts' OR'd subqueries (estimates in the millions) that took 200-500 ms
    # for plans that run in tens (bench/segments.py). A CRM's queries are short; off.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# Keeps deployments (or test runs) sharing one Redis apart: cache keys and channels.
REDIS_PREFIX = env_str("REDIS_PREFIX") or "ws"

# Redis answers in well under a millisecond; a call waiting longer than this means
# it is down or hanging, and the request or hub that asked moves on without it
# (docs/ARCHITECTURE.md, "Redis outages").
REDIS_TIMEOUTS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}

# One server (redis://…), or Sentinels that name the master now (redis+sentinel://…,
# workspace/env.py): the channel layer, the cache and presence all connect through
# this, so after a failover each reconnects to the promoted replica by itself.
REDIS_HOST = redis_host(REDIS_URL, **REDIS_TIMEOUTS) if REDIS_URL else None

if REDIS_HOST:
    CACHES = {
        "default": {
            # RedisCache that falls back to this process's memory while Redis fails.
            "BACKEND": "workspace.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {name: value for name, value in REDIS_HOST.items() if name != "address"},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_HOST], "prefix": REDIS_PREFIX},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND") or "django_tasks_db.DatabaseBackend"}}
# Jobs survive a crashed worker (workspace/jobs/): a job RUNNING under a worker
# silent for longer than the lease is run again, by another worker; after
# JOBS_MAX_ATTEMPTS workers died running it, it is marked failed instead.
JOBS_LEASE = timedelta(seconds=env_int("JOBS_LEASE_SECONDS", 60))
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 3)

# The live bus (workspace/live/conf.py lists every tunable). Events older than
# this are pruned; a tab that was away longer re-fetches instead of replaying.
LIVE_RETENTION = timedelta(hours=env_int("LIVE_RETENTION_HOURS", 24))
# LIVE_DIRECT_WIRE=0 sends every frame through ASGI instead of writing it straight to
# daphne's connection (workspace/live/wire.py): the switch if a Twisted or autobahn
# upgrade breaks the direct path. A tab that falls LIVE_SEND_QUEUE frames behind is
# closed and replays.
LIVE_DIRECT_WIRE = env_bool("LIVE_DIRECT_WIRE", True)
LIVE_SEND_QUEUE = env_int("LIVE_SEND_QUEUE", 512)
# Database lanes per web process for chat sends (workspace/live/conf.py): each is a
# PostgreSQL connection, so a process holds up to LIVE_DB_THREADS + 1 (docs/DEPLOY.md).
LIVE_DB_THREADS = env_int("LIVE_DB_THREADS", 4)

# --- Accounts --------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapters.InviteOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Workspace] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Workspace"

INVITATION_LIFETIME = timedelta(days=env_int("INVITATION_LIFETIME_DAYS", 7))
AVATAR_MAX_BYTES = 2 * 1024 * 1024

# --- Email -----------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Workspace <workspace@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
globals().update(email_settings(env_str("EMAIL_URL") or "console://"))

# --- Marketing (marketing/) --------------------------------------------------

# Campaign email: from whom, how fast (messages per minute; a campaign may set its
# own), and how many a background job sends before handing over to the next one.
MARKETING_FROM_EMAIL = env_str("MARKETING_FROM_EMAIL") or DEFAULT_FROM_EMAIL
MARKETING_SEND_RATE = env_int("MARKETING_SEND_RATE", 600)
MARKETING_BATCH_SIZE = env_int("MARKETING_BATCH_SIZE", 50)
# Web-to-lead forms: submissions per client IP per hour, and the largest body accepted.
MARKETING_FORM_RATE_PER_HOUR = env_int("MARKETING_FORM_RATE_PER_HOUR", 20)
MARKETING_FORM_MAX_BYTES = env_int("MARKETING_FORM_MAX_BYTES", 20_000)

# --- Email on the client (integrations/mail/), docs/EMAIL.md ----------------

# Mail people send from a client, deal or ticket goes out From this address with
# Reply-To the person, unless their own address is on one of these domains (the
# admin has set up SPF/DKIM for them): then From is the person.
MAIL_FROM_EMAIL = env_str("MAIL_FROM_EMAIL") or DEFAULT_FROM_EMAIL
MAIL_SEND_AS_PERSON_DOMAINS = env_list("MAIL_SEND_AS_PERSON_DOMAINS", [])
# Where mail reaches Workspace: the domain of the inbound addresses. Replies go to
# reply+<thread token>@MAIL_INBOUND_DOMAIN; people BCC or forward to bcc@ that domain.
MAIL_INBOUND_DOMAIN = env_str("MAIL_INBOUND_DOMAIN") or "in.workspace.localhost"
MAIL_BCC_LOCAL_PART = env_str("MAIL_BCC_LOCAL_PART") or "bcc"
# Transport 1: the SMTP receiver (`manage.py receive_mail`, Procfile "mail"); host:port.
MAIL_RECEIVER_BIND = env_str("MAIL_RECEIVER_BIND") or "127.0.0.1:2525"
# Transport 2: an IMAP mailbox polled by a background job, e.g.
# imaps://user:password@imap.example.com:993/INBOX (empty: not polled).
MAIL_IMAP_URL = env_str("MAIL_IMAP_URL")
MAIL_IMAP_POLL_SECONDS = env_int("MAIL_IMAP_POLL_SECONDS", 60)
# The largest message kept whole; above it, attachments are dropped (with a note);
# above MAIL_REFUSE_BYTES the message is refused.
MAIL_MAX_MESSAGE_BYTES = env_int("MAIL_MAX_MESSAGE_BYTES", 25_000_000)
MAIL_REFUSE_BYTES = env_int("MAIL_REFUSE_BYTES", 60_000_000)
# Mail attachments live outside MEDIA_ROOT: only the policy-checked views hand them out.
MAIL_ATTACHMENTS_ROOT = Path(env_str("MAIL_ATTACHMENTS_ROOT") or BASE_DIR / "mail-attachments")
MAIL_ATTACHMENT_MAX_BYTES = env_int("MAIL_ATTACHMENT_MAX_BYTES", 10_000_000)
MAIL_ATTACHMENTS_TOTAL_MAX_BYTES = env_int("MAIL_ATTACHMENTS_TOTAL_MAX_BYTES", 20_000_000)

# --- Calls (integrations/telephony/), docs/TELEPHONY.md ------------------------

# The shared secret a phone system signs its call events with (HMAC-SHA256); empty
# refuses every event. Numbers without a country code are read in this region.
TELEPHONY_WEBHOOK_SECRET = env_str("TELEPHONY_WEBHOOK_SECRET")
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION") or "DE"
# A missed call makes a callback task for the agent (or the client's owner).
TELEPHONY_CALLBACK_TASKS = env_bool("TELEPHONY_CALLBACK_TASKS", True)

# --- Automation (automation/), docs/AUTOMATION.md -----------------------------

# How many rules may follow one another (a rule's action triggering the next) before
# the chain is stopped as a loop and reported in the rules' run logs.
AUTOMATION_MAX_DEPTH = env_int("AUTOMATION_MAX_DEPTH", 3)
# The longest debounce window a rule may ask for (several quick edits, one run).
AUTOMATION_MAX_DEBOUNCE_SECONDS = env_int("AUTOMATION_MAX_DEBOUNCE_SECONDS", 3600)
# A rule's run log keeps the runs of this many days (pruned by the automation clock).
AUTOMATION_RUN_LOG_DAYS = env_int("AUTOMATION_RUN_LOG_DAYS", 90)

# --- Integrations (integrations/): the API ------------------------------------

# Personal access tokens (Bearer) and browser sessions (CSRF enforced on writes);
# errors worded by the services (integrations/api/errors.py); docs/API.md.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "integrations.api.pagination.ApiCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "integrations.api.errors.handle_exception",
}
# Requests per token (per user for sessions), DRF's "<n>/<second|minute|hour|day>".
API_RATE_LIMIT = env_str("API_RATE_LIMIT") or "600/minute"
SPECTACULAR_SETTINGS = {
    "TITLE": "Workspace API",
    "DESCRIPTION": "Clients, contacts, deals, tickets, tasks, comments, handoffs, people, "
    "calendar events and chat of Workspace. See docs/API.md.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DealStatusEnum": "records.models.Deal.Status",
        "TicketStatusEnum": "records.models.Ticket.Status",
        "TaskStatusEnum": "records.models.Task.Status",
    },
}

# --- Integrations: webhooks ----------------------------------------------------

# Outgoing webhooks (integrations/webhooks/): how long a receiver may take to accept
# the connection and to answer (seconds), how long a delivery keeps being retried,
# after how many failed deliveries in a row an endpoint is switched off, and whether
# endpoints may resolve to loopback or private addresses (off: SSRF; tests turn it on).
WEBHOOKS_CONNECT_TIMEOUT = env_int("WEBHOOKS_CONNECT_TIMEOUT", 5)
WEBHOOKS_READ_TIMEOUT = env_int("WEBHOOKS_READ_TIMEOUT", 10)
WEBHOOKS_RETRY_FOR = timedelta(hours=env_int("WEBHOOKS_RETRY_HOURS", 72))
WEBHOOKS_DISABLE_AFTER = env_int("WEBHOOKS_DISABLE_AFTER", 20)
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
# Certificates to trust for receivers besides the system ones (a PEM file; a private CA).
WEBHOOKS_CA_FILE = env_str("WEBHOOKS_CA_FILE")

# --- Integrations: import and export ------------------------------------------

# An admin's full exports (zips of the whole book): outside MEDIA_ROOT, which the app
# may serve to anyone with the link; only integrations.exports.views hands them out.
EXPORTS_ROOT = Path(env_str("EXPORTS_ROOT") or BASE_DIR / "exports")
EXPORTS_RETENTION = timedelta(days=env_int("EXPORTS_RETENTION_DAYS", 7))
# Import: the largest file accepted (refused from its declared size, before reading).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50_000_000)

# --- Static and uploaded files ---------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

# Development and tests serve static files straight from the source folders;
# production serves the hashed, compressed copies `collectstatic` made.
STATIC_FROM_SOURCE = env_bool("STATIC_FROM_SOURCE", DEBUG)
WHITENOISE_USE_FINDERS = STATIC_FROM_SOURCE
# Source files change while the server runs, and there is no STATIC_ROOT to index.
WHITENOISE_AUTOREFRESH = STATIC_FROM_SOURCE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if STATIC_FROM_SOURCE
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)

# --- Security --------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Locale ----------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
}
