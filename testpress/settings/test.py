"""The test suite: fast hashing, same database routing as dev (SQLite unless DATABASE_URL)."""

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Uploads land in the git-ignored output folder; the live server serves them as runserver does.
MEDIA_ROOT = BASE_DIR / "tests" / "output" / "media"
SERVE_MEDIA = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic before tests: let whitenoise look files up on demand instead of warning per request.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Throttles off for the suite (hundreds of requests per user); tests/api/test_throttling.py turns them on.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),  # noqa: F405
}
# The suite reads the token's user on every request, so query budgets count it the same at any point
# of a test; tests/api/test_signed_in_user.py turns the cache on.
SIGNED_IN_USER_CACHE_SECONDS = 0

# The webhook's retry schedule in tenths of a second, so tests see a retry without waiting for it.
WEBHOOK_RETRY_DELAYS = [0.3, 0.3, 0.3]
WEBHOOK_REQUEUE_AFTER_SECONDS = env.float("WEBHOOK_REQUEUE_AFTER_SECONDS", default=0)  # noqa: F405
WEBHOOK_LEASE_SECONDS = env.float("WEBHOOK_LEASE_SECONDS", default=60)  # noqa: F405
WEBHOOK_TIMEOUT_SECONDS = 3

# The offline re-queue sweep takes every pending submission at once, so tests need not wait for it.
OFFLINE_REQUEUE_AFTER_SECONDS = env.float("OFFLINE_REQUEUE_AFTER_SECONDS", default=0)  # noqa: F405
