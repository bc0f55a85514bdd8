"""The one settings module. Every knob has a safe local default and an environment variable;
docs/configuration.md lists them."""

from __future__ import annotations

import datetime as dt
import os
import re
import urllib.parse
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from scheduler_site.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of a local install (SQLite file, demo mailbox copy) lives here, outside git.
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))
# Local mail (uploads, the demo copies): each user has an area of their own below this folder, and a web
# user can never make the server read outside it. Operators may connect any folder (connect_mailbox, admin).
LOCAL_MAIL_ROOT = Path(envstr("LOCAL_MAIL_ROOT", str(VAR_DIR / "mail")))
# The most one upload of .eml files or an .mbox on the settings page may hold. Files above Django's
# FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) stream to a temporary file, so a large Takeout export is not held in
# memory; a proxy in front may need its own body size limit raised to match.
MAIL_UPLOAD_MAX_BYTES = envint("MAIL_UPLOAD_MAX_BYTES", 50_000_000, minimum=1)
# Uploaded mail not yet read by a sync, per user (read files are deleted), so no one fills the disk.
MAIL_AREA_MAX_BYTES = envint("MAIL_AREA_MAX_BYTES", 500_000_000, minimum=1)

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Falling back to a key that is in the repository would let anyone forge sessions and password
        # reset links, so without DEBUG a missing key stops every process (web, cluster, manage.py).
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off (the default) the server needs a secret key of its own: "
            "set SECRET_KEY to a long random value, e.g. the output of "
            '`python -c "import secrets; print(secrets.token_urlsafe(50))"`. '
            "For a local checkout set DEBUG=1 instead (scripts/run.sh does). See docs/deployment.md."
        )
    # A fixed key is fine for a local checkout in debug mode; production sets SECRET_KEY (docs/deployment.md).
    SECRET_KEY = "insecure-local-development-key-change-me-in-production"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_FAILURE_VIEW = "scheduler_site.views.csrf_failure"
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_SITE = urllib.parse.urlsplit(SITE_URL)
# Form posts must come from the site's own origin; behind a proxy Django may not see that host itself.
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [f"{_SITE.scheme}://{_SITE.netloc}"])

# HTTPS. A site whose SITE_URL is https:// is served only over TLS, so redirects, secure cookies and HSTS
# follow from it; each can still be set on its own (e.g. SECURE_SSL_REDIRECT=0 when the proxy redirects).
_HTTPS = _SITE.scheme == "https"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", _HTTPS)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", _HTTPS)
# Browsers remember HSTS for this many seconds (one year when on); start lower on a first rollout.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _HTTPS)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", _HTTPS)
# Opt-in only: it makes Django trust a request header for "this came over https", which any client can
# send unless every request passes through a proxy that sets or strips it (docs/deployment.md).
_PROXY_SSL_HEADER = envstr("SECURE_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # The API's OpenAPI schema (/api/schema/) and its Swagger UI page, served from our own static files.
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "social_django",
    "axes",
    "accounts",
    "emailsync",
    "tasks_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.profile for a signed-in user, and their time zone for the page (not for the API).
    "accounts.middleware.ProfileMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Google sign-in errors (Cancel, an expired state...) back to a page with a message instead of a 500.
    "accounts.middleware.SocialAuthErrorMiddleware",
    # Remembers the Google account of the last sign-in in this browser (asks for consent only when needed).
    "accounts.middleware.GoogleAccountCookieMiddleware",
    # Last, as django-axes asks: turns a password lockout into our sign-in page with a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scheduler_site.urls"
WSGI_APPLICATION = "scheduler_site.wsgi.application"

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
                "social_django.context_processors.backends",
                "accounts.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'scheduler.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The web server and the django-q2 cluster share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # Tests use a file, not memory, so the end-to-end test's qcluster process can share it; one per
    # process so that two test runs on one machine don't trample each other.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username or address is refused before any password is checked.
    "accounts.throttling.PasswordLockoutBackend",
    "accounts.google.backend.GoogleOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
# Functions that add an app's part to the account settings page's context (the mail card is emailsync's).
# Wiring, not a knob: accounts may import no other app, so the apps above it register here instead.
ACCOUNT_SETTINGS_CONTEXT = ["emailsync.views.settings_page_context"]
# Functions that re-encrypt the secrets other apps keep, run by `manage.py rotate_token_keys`.
TOKEN_KEY_ROTATIONS = ["emailsync.mailbox_imap.imap_passwords_rotate"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tasks:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Password sign-in lockout (django-axes): after LOGIN_FAILURE_LIMIT failures for one username, or from one
# client address (either alone locks), password sign-in is refused for LOGIN_COOLOFF_MINUTES; a try during
# the lockout starts the wait again, and a successful sign-in clears the failures.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOLOFF_MINUTES = envint("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# Failures are kept until they expire; a log of every successful sign-in (address, browser) is not needed.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner on every manage.py command.
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Reverse proxies in front of the app that append to X-Forwarded-For (nginx, a load balancer): the client's
# address is that many entries from the right. 0: clients connect directly and REMOTE_ADDR is theirs.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Per-user request rates (DRF's "N/second|minute|hour|day"): all of /api, and starting a sync from the
# API or the dashboard's button together. Over the rate: HTTP 429 with Retry-After.
API_RATE = envstr("API_RATE", "120/minute")
SYNC_RATE = envstr("SYNC_RATE", "6/minute")
# Throwaway demo users made per client address: each is a user and a copy of the sample mailbox.
DEMO_RATE = envstr("DEMO_RATE", "10/hour")
for _name, _rate in (("API_RATE", API_RATE), ("SYNC_RATE", SYNC_RATE), ("DEMO_RATE", DEMO_RATE)):
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(
            f"{_name} must look like 120/minute (second, minute, hour, day), got {_rate!r}"
        )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    # Every API view counts against "api"; starting a sync also against "sync" (emailsync.api).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_RATE, "sync": SYNC_RATE, "demo": DEMO_RATE},
    # Same rule as login lockouts for the address of an unauthenticated caller.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Intelligent Scheduler API",
    "DESCRIPTION": (
        "Start a sync of your mailbox, follow it, read and change your tasks, and export your data. "
        "Authenticate with `Authorization: Bearer <token>` (make a token on the settings page) or a signed-in "
        "session."
    ),
    "VERSION": "1",
    # The schema describes /api/ only, and itself not at all.
    "SCHEMA_PATH_PREFIX": "/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    # Signed-in users only, like the API it describes (the docs page sends others to sign in).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI's scripts, styles and icon from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tasks_app.api.schema_require_a_change",
    ],
    # Three answers have a "status" of their own: a name for each set of values.
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks_app.models.Task.Status",
        "SyncStartedStatusEnum": ["queued", "running"],
        "SyncUnavailableStatusEnum": ["unavailable"],
    },
}

# django-q2 delivers at least once. A job that outlives `retry` is delivered again while the first copy
# still runs, so the timeout stays below retry; failures are acknowledged so they are not re-delivered
# forever, and attempts are bounded. Single-flight and idempotency live in our own tables.
Q_TIMEOUT = envint("Q_TIMEOUT", 600, minimum=10)
Q_RETRY = envint("Q_RETRY", Q_TIMEOUT + 120, minimum=11)
if Q_RETRY <= Q_TIMEOUT:
    raise ImproperlyConfigured("Q_RETRY must be larger than Q_TIMEOUT (django-q2 re-delivers otherwise)")
REDIS_URL = envstr("REDIS_URL", "")
Q_CLUSTER: dict[str, object] = {
    "name": envstr("Q_CLUSTER_NAME", "scheduler"),
    "workers": envint("Q_WORKERS", 2, minimum=1),
    "timeout": Q_TIMEOUT,
    "retry": Q_RETRY,
    "max_attempts": envint("Q_MAX_ATTEMPTS", 2, minimum=1),
    "ack_failures": True,
    "save_limit": 500,
    "catch_up": False,
    "poll": 0.5,
    "label": "Job queue",
    "sync": envbool("Q_SYNC", False),
    # Every cluster fires due schedules unless told not to; with several worker hosts one is enough.
    "scheduler": envbool("Q_SCHEDULER", True),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Request throttles count in this cache. Several web processes must share the counts, so production with
# REDIS_URL uses Redis; without it each process counts on its own in memory (fine for one process).
CACHES: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sync behaviour.
SYNC_LEASE_SECONDS = envint("SYNC_LEASE_SECONDS", 300, minimum=10)
# A queued run that no worker picked up for this long is considered lost and may be replaced.
SYNC_STALE_QUEUED_SECONDS = envint("SYNC_STALE_QUEUED_SECONDS", Q_RETRY + 60, minimum=10)
# A lost sync (no sign of life for a lease, lease free) is queued again at most this many times, then failed.
SYNC_MAX_REDELIVERIES = envint("SYNC_MAX_REDELIVERIES", 3, minimum=0)
SYNC_MAX_MESSAGES_PER_RUN = envint("SYNC_MAX_MESSAGES_PER_RUN", 500, minimum=1)
# Seconds between two saves of a run's progress (and renewals of its mailbox lease); 0 saves after every
# message. The lease is renewed at least every third of SYNC_LEASE_SECONDS whatever this says.
SYNC_PROGRESS_SECONDS = envint("SYNC_PROGRESS_SECONDS", 1, minimum=0)
# Extractor calls (model requests) one sync keeps in flight at once; results are written in message order.
EXTRACTION_CONCURRENCY = envint("EXTRACTION_CONCURRENCY", 4, minimum=1)
# A run with more messages than this to read asks the model about them in one Message Batch (Claude: half
# the price, answered within 24 hours; a schedule collects the answers and starts the sync that stores the
# tasks). 0: never. Not used for users with a monthly token budget (a batch is paid before it is counted).
EXTRACTION_BATCH_THRESHOLD = envint("EXTRACTION_BATCH_THRESHOLD", 0, minimum=0)
SYNC_MESSAGE_MAX_ATTEMPTS = envint("SYNC_MESSAGE_MAX_ATTEMPTS", 3, minimum=1)
SYNC_DISABLE_AFTER_FAILURES = envint("SYNC_DISABLE_AFTER_FAILURES", 5, minimum=1)
SYNC_BACKOFF_BASE_SECONDS = envint("SYNC_BACKOFF_BASE_SECONDS", 60, minimum=1)
SYNC_BACKOFF_MAX_SECONDS = envint("SYNC_BACKOFF_MAX_SECONDS", 3600, minimum=1)
SYNC_ON_LOGIN = envbool("SYNC_ON_LOGIN", True)
PERIODIC_SYNC_MIN_MINUTES = envint("PERIODIC_SYNC_MIN_MINUTES", 15, minimum=1)
# The text of an email that produced a task is kept this many days (the task page shows it), then a daily job
# deletes it; the task keeps its evidence sentence, subject and sender. 0: the text is never stored.
MESSAGE_BODY_RETENTION_DAYS = envint("MESSAGE_BODY_RETENTION_DAYS", 30, minimum=0)

# Anthropic (Claude extraction). Without a key the offline extractor stays the default.
ANTHROPIC_API_KEY = envstr("ANTHROPIC_API_KEY", "")
ANTHROPIC_BASE_URL = envstr("ANTHROPIC_BASE_URL", "")  # empty: the SDK's default, https://api.anthropic.com
ANTHROPIC_MODEL = envstr("ANTHROPIC_MODEL", "claude-haiku-5-5")
# Optional stronger model, asked again for long emails or when the first answer is unsure; empty: never.
ANTHROPIC_ESCALATION_MODEL = envstr("ANTHROPIC_ESCALATION_MODEL", "")
ANTHROPIC_ESCALATION_MIN_CONFIDENCE = envint("ANTHROPIC_ESCALATION_MIN_CONFIDENCE", 50, minimum=0)  # percent
ANTHROPIC_ESCALATION_BODY_CHARS = envint("ANTHROPIC_ESCALATION_BODY_CHARS", 6000, minimum=1)
# low/medium/high/xhigh/max; empty: the model's default (medium on Haiku 5.5, which thinks by default and
# counts the thinking toward max_tokens). Finding tasks in one email needs little thought.
ANTHROPIC_EFFORT = envstr("ANTHROPIC_EFFORT", "low")
if ANTHROPIC_EFFORT not in ("", "low", "medium", "high", "xhigh", "max"):
    raise ImproperlyConfigured(
        f"ANTHROPIC_EFFORT must be low, medium, high, xhigh or max, got {ANTHROPIC_EFFORT!r}"
    )
# Send thinking {"type": "disabled"} and force the answer tool (the API refuses a forced tool while the model
# thinks). Off: the model's default (Haiku 5.5 thinks), the tool is offered with tool_choice "auto". Turn it on
# only for a model that accepts thinking disabled: otherwise every request gets a 400.
ANTHROPIC_DISABLE_THINKING = envbool("ANTHROPIC_DISABLE_THINKING", False)
# Thinking and the answer together; an answer cut off here is asked once more with twice this budget.
ANTHROPIC_MAX_OUTPUT_TOKENS = envint("ANTHROPIC_MAX_OUTPUT_TOKENS", 4096, minimum=256)
ANTHROPIC_MAX_BODY_CHARS = envint("ANTHROPIC_MAX_BODY_CHARS", 12000, minimum=500)
ANTHROPIC_TIMEOUT_SECONDS = envint("ANTHROPIC_TIMEOUT_SECONDS", 60, minimum=1)
ANTHROPIC_MAX_RETRIES = envint("ANTHROPIC_MAX_RETRIES", 2, minimum=0)
# A provider that asks for a longer wait (retry-after) is not waited for: the mailbox is deferred until then.
ANTHROPIC_MAX_RETRY_WAIT_SECONDS = envint("ANTHROPIC_MAX_RETRY_WAIT_SECONDS", 10, minimum=0)

# Extraction and scheduling.
TASK_EXTRACTOR = envstr("TASK_EXTRACTOR", "claude" if ANTHROPIC_API_KEY else "offline")
DEFAULT_TASK_MINUTES = envint("DEFAULT_TASK_MINUTES", 30, minimum=5)
SCHEDULING_HORIZON_DAYS = envint("SCHEDULING_HORIZON_DAYS", 28, minimum=1)
# Tasks shown per dashboard group (and per list beside the week view); "Show all" pages through the rest, so
# a page costs the same at 100 tasks and at 10,000.
DASHBOARD_GROUP_SIZE = envint("DASHBOARD_GROUP_SIZE", 25, minimum=1)

# "Try the demo account" gives each visitor a throwaway user with a private copy of the sample mailbox.
# Off in production unless asked for (it follows DEBUG), and never beside Google sign-in.
DEMO_ACCOUNT = envbool("DEMO_ACCOUNT", DEBUG)
# Throwaway demo users, with their data and mail, are deleted by a daily job once this old.
DEMO_TTL_HOURS = envint("DEMO_TTL_HOURS", 24, minimum=1)
# The one named account that `manage.py demo_setup` makes for password sign-in (scripts/run.sh prints it).
DEMO_USERNAME = envstr("DEMO_USERNAME", "demo@example.com")
DEMO_PASSWORD = envstr("DEMO_PASSWORD", "demo-password")

# Google: sign-in, Gmail and Google Calendar. Disabled while the client id or secret is empty. Every
# Google address is a setting so that a local fake Google (scheduler_site.testing.fake_google) can stand in.
GOOGLE_CLIENT_ID = envstr("GOOGLE_CLIENT_ID", "")
GOOGLE_CLIENT_SECRET = envstr("GOOGLE_CLIENT_SECRET", "")
GOOGLE_ENABLED = bool(GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)
GOOGLE_AUTHORIZATION_URL = envstr("GOOGLE_AUTHORIZATION_URL", "https://accounts.google.com/o/oauth2/auth")
GOOGLE_TOKEN_URL = envstr("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
GOOGLE_REVOKE_URL = envstr("GOOGLE_REVOKE_URL", "https://oauth2.googleapis.com/revoke")
GOOGLE_USERINFO_URL = envstr("GOOGLE_USERINFO_URL", "https://www.googleapis.com/oauth2/v3/userinfo")
GMAIL_API_ENDPOINT = envstr("GMAIL_API_ENDPOINT", "https://gmail.googleapis.com/")
GMAIL_BATCH_URI = envstr("GMAIL_BATCH_URI", "https://gmail.googleapis.com/batch/gmail/v1")
# The Calendar API's batch endpoint (new events go there 50 at a time).
GOOGLE_CALENDAR_BATCH_URI = envstr(
    "GOOGLE_CALENDAR_BATCH_URI", "https://www.googleapis.com/batch/calendar/v3"
)
GOOGLE_CALENDAR_API_ENDPOINT = envstr(
    "GOOGLE_CALENDAR_API_ENDPOINT", "https://www.googleapis.com/calendar/v3/"
)
GOOGLE_HTTP_TIMEOUT_SECONDS = envint("GOOGLE_HTTP_TIMEOUT_SECONDS", 30, minimum=1)
# Retries of one Google call (5xx, 429, rate-limit 403, timeouts) with exponential sleeps of
# random(0..1) * 2^n * base; longer waits defer the whole mailbox instead of sleeping in a worker.
GOOGLE_NUM_RETRIES = envint("GOOGLE_NUM_RETRIES", 3, minimum=0)
GOOGLE_RETRY_BASE_MS = envint("GOOGLE_RETRY_BASE_MS", 1000, minimum=0)
# The first sync of a Gmail mailbox reads the newest inbox messages of this many days, at most this many.
GMAIL_INITIAL_SYNC_DAYS = envint("GMAIL_INITIAL_SYNC_DAYS", 14, minimum=1)
GMAIL_INITIAL_SYNC_MAX = envint("GMAIL_INITIAL_SYNC_MAX", 200, minimum=1)
# Message bodies per batch request: Google allows 100 and recommends at most 50.
GMAIL_BATCH_SIZE = min(envint("GMAIL_BATCH_SIZE", 50, minimum=1), 50)
# Rounds in which the parts that failed inside a batch are sent again, after a backoff.
GMAIL_BATCH_RETRY_ROUNDS = envint("GMAIL_BATCH_RETRY_ROUNDS", 3, minimum=0)
# Full resyncs in a row forced by a stale checkpoint (Gmail: history id too old) before runs fail instead.
SYNC_MAX_STALE_RESYNCS = envint("SYNC_MAX_STALE_RESYNCS", 2, minimum=1)
# IMAP mailboxes (emailsync/sources/imap.py). A user-supplied host that resolves to a loopback, private,
# link-local or otherwise internal address is refused (the server's own network is not theirs to probe);
# tests and single-user installs that read a mail server on their own network set this to 1.
IMAP_ALLOW_PRIVATE_HOSTS = envbool("IMAP_ALLOW_PRIVATE_HOSTS", False)
IMAP_TIMEOUT_SECONDS = envint("IMAP_TIMEOUT_SECONDS", 30, minimum=1)
# The first sync (and a resync after the folder's UIDVALIDITY changed) reads at most this window, as for Gmail.
IMAP_INITIAL_SYNC_DAYS = envint("IMAP_INITIAL_SYNC_DAYS", GMAIL_INITIAL_SYNC_DAYS, minimum=1)
IMAP_INITIAL_SYNC_MAX = envint("IMAP_INITIAL_SYNC_MAX", GMAIL_INITIAL_SYNC_MAX, minimum=1)
# Messages per FETCH command.
IMAP_FETCH_BATCH = envint("IMAP_FETCH_BATCH", 25, minimum=1)
# A larger message is downloaded only up to this many bytes (its headers and first parts, where the words
# are); the size comes from RFC822.SIZE before anything is downloaded.
IMAP_MAX_MESSAGE_BYTES = envint("IMAP_MAX_MESSAGE_BYTES", 5_000_000, minimum=10_000)
# Fernet keys for tokens at rest, comma-separated; the first encrypts. Empty: derived from SECRET_KEY.
TOKEN_ENCRYPTION_KEYS = envlist("TOKEN_ENCRYPTION_KEYS", [])

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = GOOGLE_CLIENT_ID
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = GOOGLE_CLIENT_SECRET
SOCIAL_AUTH_GOOGLE_OAUTH2_SCOPE = [
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/calendar.events",
]
# Offline access, for a refresh token. The consent screen (prompt=consent) is added only when we hold no
# usable refresh token for the account: accounts.google.backend.GoogleOAuth2.auth_extra_arguments.
SOCIAL_AUTH_GOOGLE_OAUTH2_AUTH_EXTRA_ARGUMENTS = {
    "access_type": "offline",
    "include_granted_scopes": "true",
}
SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL = True
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_REDIRECT_IS_HTTPS = envbool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", SITE_URL.startswith("https://"))
SOCIAL_AUTH_LOGIN_ERROR_URL = "/accounts/login/"
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    # No refresh token from Google and none held for this account: once more, with the consent screen.
    "accounts.google.backend.require_refresh_token",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    # Moves the tokens into accounts.GoogleCredential (encrypted); the apps' steps after it use the grant.
    "accounts.google.backend.store_google_credentials",
    # Gmail becomes the mailbox, Google Calendar the calendar, when the grant allows them.
    "emailsync.pipeline.connect_gmail",
    "tasks_app.pipeline.connect_google_calendar",
    "social_core.pipeline.user.user_details",
)

# Client libraries log whole requests at DEBUG: the Anthropic SDK writes each email body it sends, and
# Google's clients write URLs and, with request dumping, headers with the access token. They are held at
# INFO/WARNING whatever LOG_LEVEL says, unless LOG_LLM_REQUESTS=1 is set on purpose (docs/privacy.md).
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOG_LLM_REQUESTS = envbool("LOG_LLM_REQUESTS", False)
if os.environ.get("ANTHROPIC_LOG", "").strip().lower() == "debug" and not LOG_LLM_REQUESTS:
    # The SDK reads ANTHROPIC_LOG at import and sets its own loggers to DEBUG, over this configuration.
    raise ImproperlyConfigured(
        "ANTHROPIC_LOG=debug writes whole email bodies to the log; unset it, or set LOG_LLM_REQUESTS=1 as well "
        "to allow that on purpose"
    )
_QUIET_LOGGERS = {
    "anthropic": "INFO",
    "httpx": "WARNING",
    "httpx2": "WARNING",
    "httpcore": "WARNING",
    "httpcore2": "WARNING",
    "googleapiclient": "WARNING",
    "google": "WARNING",
    "google_auth_httplib2": "WARNING",
    "httplib2": "WARNING",
    "urllib3": "WARNING",
    "oauthlib": "WARNING",
    "requests_oauthlib": "WARNING",
    "social": "INFO",
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # SQL with its parameters (message bodies, encrypted tokens) when DEBUG is on.
        "django.db.backends": {"level": "WARNING"},
        # axes notes every sign-in at INFO; its lockouts, at WARNING, are what an operator needs.
        "axes": {"level": "WARNING"},
        # NOTSET follows LOG_LEVEL: with LOG_LLM_REQUESTS=1 and LOG_LEVEL=DEBUG the requests are logged.
        **{
            name: {"level": "NOTSET" if LOG_LLM_REQUESTS else level} for name, level in _QUIET_LOGGERS.items()
        },
    },
}
