"""Settings shared by every environment; every deploy-time value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_prose_editor.config import html_tags
from js_asset import static_lazy

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Anyone can read this key here, so anyone could sign a token or session with it: it serves only a DEBUG
# server on a developer's machine (`make run` with no configuration). dev.py and prod.py refuse it otherwise.
PUBLIC_DEV_SECRET_KEY = "insecure-dev-key-change-me-for-any-deployment-0123456789"
SECRET_KEY = env("SECRET_KEY", default=PUBLIC_DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
# prod.py says True: commands that write demo data (seed_demo) refuse to run without --force there.
PRODUCTION = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with the product's name on it (testpress/admin_site.py).
    "testpress.admin_site.BrandedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_prose_editor",
    "axes",
    # The project's own system checks (testpress/checks.py).
    "testpress.apps.TestpressConfig",
    "accounts",
    "exams",
    "attempts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "testpress.middleware.ApiInputLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out admin login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "testpress.urls"
WSGI_APPLICATION = "testpress.wsgi.application"
ASGI_APPLICATION = "testpress.asgi.application"

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
            ],
        },
    },
]

# SQLite file beside manage.py unless DATABASE_URL names another database (postgres://... in production).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: a new PostgreSQL connection per request costs more than most of our requests.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A request that crashes leaves no half-written rows behind (testpress/api/exceptions.py rolls the
# request back on a 500 only; refusals keep what services committed before refusing).
DATABASES["default"]["ATOMIC_REQUESTS"] = env.bool("ATOMIC_REQUESTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run a few times on a connection prepared there, so
    # PostgreSQL plans it once, not on every request: planning the heartbeat's read took 0.74 ms, twice
    # its execution. Off (DATABASE_PREPARED_STATEMENTS=false) behind a pooler that cannot keep prepared
    # statements per client (PgBouncer before 1.21 in transaction mode).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": 5,
            **DATABASES["default"].get("OPTIONS", {}),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes' backend first: it refuses a locked-out admin login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The project's own scripts and the vendored libraries (static/vendor/), beside each app's static/.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (the images in questions): a folder beside manage.py unless MEDIA_STORAGE names another
# Django storage backend (e.g. storages.backends.s3.S3Storage, its options as JSON in MEDIA_STORAGE_OPTIONS).
# MEDIA_URL is what the stored HTML links to: in production, the public absolute URL of that folder or bucket.
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {
        "BACKEND": env("MEDIA_STORAGE", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The app serves MEDIA_ROOT at MEDIA_URL itself (testpress/urls.py): on in development; in production the
# proxy (or the storage's own host) serves them, unless a small install turns this on.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)

# Throttle counts live here: production points CACHE_URL at Redis so that every app server shares them.


def reused_redis_clients(cache: dict) -> dict:
    """A CACHES entry with Django's Redis backend swapped for testpress.cache's, which keeps its redis-py
    clients (see there); any other backend as it is."""
    if cache.get("BACKEND") == "django.core.cache.backends.redis.RedisCache":
        return {**cache, "BACKEND": "testpress.cache.RedisCache"}
    return cache


CACHES = {"default": reused_redis_clients(env.cache("CACHE_URL", default="locmemcache://"))}
# How long an API request may trust a cached read of its token's user (accounts.selectors.signed_in_user):
# a password change or deactivation through save() shows at once; one around it within this bound.
# 0 reads the user on every request.
SIGNED_IN_USER_CACHE_SECONDS = env.int("SIGNED_IN_USER_CACHE_SECONDS", default=10)

# Larger request bodies get a 413 (testpress/middleware.py); the largest real one is an essay answer.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

LOG_LEVEL = env("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level on the handler too: Django's own loggers ("django", level INFO) send their records up to
    # this handler whatever the root's level, so without it LOG_LEVEL=ERROR would still print a
    # django.request warning for every 401, 404 and 409.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Django REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "testpress.api.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["testpress.api.renderers.JSONRenderer"],
    # DRF's parsers, refusing nesting and form names the views cannot take (testpress/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "testpress.api.parsers.JSONParser",
        "testpress.api.parsers.FormParser",
        "testpress.api.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "testpress.api.pagination.StudentPagination",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v2.1", "v2.2", "v2.2.1", "v2.3", "v2.5"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "testpress.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": None,
    # testpress/api/throttling.py; auth-token/ uses only the two login scopes.
    "DEFAULT_THROTTLE_CLASSES": [
        "testpress.api.throttling.ReadRateThrottle",
        "testpress.api.throttling.WriteRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Generous: an exam's opening minute has every student listing exams and attempts.
        "read": env("THROTTLE_READ_RATE", default="600/min"),
        # A student taking an exam saves an answer about every 20 s and heartbeats every 60 s; a burst
        # of quick answers (or retries on a flaky network) stays well below this.
        "write": env("THROTTLE_WRITE_RATE", default="120/min"),
        # Refused logins only, so a classroom behind one address can all sign in at once. Per username
        # at one address: nobody elsewhere can lock a student out. Per address: a ceiling a school's NAT
        # never reaches by typing mistakes, and a password sprayer over many usernames does.
        "login_username_ip": env("THROTTLE_LOGIN_USERNAME_IP_RATE", default="10/min"),
        "login_ip": env("THROTTLE_LOGIN_IP_RATE", default="300/min"),
    },
    # How many proxies append to X-Forwarded-For in front of the app: the client address for throttles
    # is the one the outermost of them saw. 0 reads REMOTE_ADDR and ignores the header, which a client
    # could otherwise forge to dodge the per-address limit.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

# --- Simple JWT ------------------------------------------------------------------------------
SIMPLE_JWT = {
    "AUTH_HEADER_TYPES": ("JWT", "Bearer"),
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60 * 24 * 7)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "UPDATE_LAST_LOGIN": False,
}

# --- drf-spectacular -------------------------------------------------------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "Testpress exam API",
    # Each version's own description, with how to sign in: testpress.api.schema.describe_version.
    # info.version is the document's API version: "v2.1" or "v2.5".
    "VERSION": None,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9.]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "testpress.api.schema.drop_paths_of_other_versions",
        "testpress.api.schema.describe_version",
        "testpress.api.schema.declare_empty_query_values",
        "testpress.api.schema.declare_request_line_limit",
    ],
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- django-axes (testpress/admin_login.py) --------------------------------------------------
# The Django admin's login only: the API's auth-token/ has its own throttles.
AXES_ONLY_ADMIN_SITE = True
AXES_HANDLER = "testpress.admin_login.AdminLoginHandler"
# Per username and address together: one student cannot lock a classroom's address, nobody elsewhere
# can lock a staff member out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
# A successful login clears that username and address's count.
AXES_RESET_ON_SUCCESS = True
# The address the API's throttles see, from REST_FRAMEWORK["NUM_PROXIES"].
AXES_CLIENT_IP_CALLABLE = "testpress.api.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "testpress.admin_login.lockout_response"

# --- django-import-export -------------------------------------------------------------------
# Exported cells that a spreadsheet would run as formulas are quoted (testpress/resources.py).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- django-prose-editor (exams/widgets.py) ------------------------------------------------
# The question editor's own buttons: formulas and image uploads. The models clean what it writes
# (exams/html.py), whatever these allow.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("exams/editor/math.js")],
        "extensions": {"Math": html_tags(["span"], {"span": ["class"]})},
    },
    {"js": [static_lazy("exams/editor/image-upload.js")], "extensions": {"ImageUpload": html_tags([])}},
]

# --- Question images (exams/services.py: question_image_save) ------------------------------
# The largest image staff may upload, in bytes; the formats kept (as Pillow names them).
QUESTION_IMAGE_MAX_BYTES = env.int("QUESTION_IMAGE_MAX_BYTES", default=2 * 1024 * 1024)
QUESTION_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}

# --- Exam engine -----------------------------------------------------------------------------
# The most time a single gap between two requests on an attempt may add to its clock: a phone that
# closed the app does not burn the student's time, a slow network still counts.
ATTEMPT_TIME_GRACE = timedelta(seconds=env.int("ATTEMPT_TIME_GRACE_SECONDS", default=90))

# --- Celery (testpress/celery.py) ------------------------------------------------------------
# No broker: every task runs in the process that sends it (after the commit that queued it), so
# `make run` needs no Redis and no worker. Production sets CELERY_BROKER_URL (Redis) and runs
# `celery -A testpress worker` and `celery -A testpress beat`.
_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = _BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not _BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
# Tasks keep their state in our tables (the webhook outbox), not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# A message is acknowledged after its task has run, and a worker killed mid-task (kill -9, OOM)
# hands it back to the broker: every task here is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: a long task never sits on messages others could run.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (a sweep over an exam day's overdue attempts) is well under this.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# A request that queues a task after its commit must not hang while the broker is down: the
# publish fails at once, is logged, and the outbox sweep sends the event later.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged message (its worker died) is handed out again after this many seconds; it
    # must exceed the longest countdown a task is queued with, or the message runs twice early.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Fail fast instead of retrying forever when Redis is down at publish time.
    "max_retries": 0,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# The periodic tasks `celery -A testpress beat` sends, kept here beside the code they run: one
# scheduler, no extra tables, and a change of schedule goes through review like any other change.
CELERY_BEAT_SCHEDULE = {
    "end-overdue-attempts": {
        "task": "attempts.end_overdue_attempts",
        "schedule": env.float("SWEEP_OVERDUE_SECONDS", default=30.0),
        # A sweep still waiting after the next one is due is dropped rather than run twice.
        "options": {"expires": 25},
    },
    "requeue-webhook-events": {
        "task": "attempts.requeue_webhook_events",
        "schedule": env.float("SWEEP_WEBHOOK_SECONDS", default=30.0),
        "options": {"expires": 25},
    },
    "requeue-offline-submissions": {
        "task": "attempts.requeue_offline_submissions",
        "schedule": env.float("SWEEP_OFFLINE_SECONDS", default=30.0),
        "options": {"expires": 25},
    },
    "check-score-tallies": {
        "task": "attempts.check_score_tallies",
        "schedule": crontab(minute=30, hour=2),
    },
}

# --- The exam webhook (attempts/webhooks.py) -------------------------------------------------------
# Each, when set, takes precedence over the value staff set in the admin (Attempts → Exam webhook).
EXAM_WEBHOOK_URL = env("EXAM_WEBHOOK_URL", default="")
EXAM_WEBHOOK_SECRET = env("EXAM_WEBHOOK_SECRET", default="")
EXAM_WEBHOOK_PUBLIC_KEY = env("EXAM_WEBHOOK_PUBLIC_KEY", default="")
# A 2xx answered within this many seconds is a delivery; a slower answer is a failed try.
WEBHOOK_TIMEOUT_SECONDS = 10
# Seconds between failed tries (jittered ±20 %): 31 h 42 min in all, 25 h 21 min at the least.
WEBHOOK_RETRY_DELAYS = [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800]
# How long a try holds its event: more than the timeout, so that only a dead try's event is taken again.
WEBHOOK_LEASE_SECONDS = 60
# A pending event due for this long has lost its task: the re-queue sweep queues it again.
WEBHOOK_REQUEUE_AFTER_SECONDS = 30
WEBHOOK_REQUEUE_BATCH = 1000
# Retries due sooner are queued with a countdown; later ones wait for the sweep, not in the broker
# (whose visibility_timeout would hand a long-waiting message out twice).
WEBHOOK_COUNTDOWN_MAX_SECONDS = 600


# --- Offline exams (attempts/offline.py) ----------------------------------------------------------
# How far in the future a submission's completed_on may be: a phone's clock runs a little ahead.
OFFLINE_CLOCK_SKEW = timedelta(seconds=env.int("OFFLINE_CLOCK_SKEW_SECONDS", default=300))
# A pending submission due for this long has lost its task: the re-queue sweep queues it again.
OFFLINE_REQUEUE_AFTER_SECONDS = 30
OFFLINE_REQUEUE_BATCH = 1000
# Seconds before a submission whose processing raised is tried again: the first, second, … failure
# (a bug or bad data: the error is logged each time); the last delay repeats.
OFFLINE_RETRY_DELAYS = [60, 300, 1800, 3600, 21600]


def refuse_public_keys(*, secret_key: str, signing_key: str) -> None:
    """ImproperlyConfigured when sessions or tokens would be signed with the key published in this file.

    Called at load by every settings module a server may run with DEBUG off, so that such a server never
    starts at all (gunicorn runs no system checks).
    """
    for name, key in (("SECRET_KEY", secret_key), ("JWT_SIGNING_KEY", signing_key)):
        if key == PUBLIC_DEV_SECRET_KEY:
            raise ImproperlyConfigured(
                f"{name} is the public development key of testpress/settings/base.py, which only a DEBUG "
                "server may use: set SECRET_KEY (and JWT_SIGNING_KEY, if given) to a secret of 50+ random "
                'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
            )
