"""System checks for a deployment of several app processes (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Backends whose entries one process (or one host) alone sees: counts kept there are not shared by the
# gunicorn workers and app servers that answer the same students.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "each process keeps its own",
    "django.core.cache.backends.dummy.DummyCache": "it keeps nothing",
    "django.core.cache.backends.filebased.FileBasedCache": "each host keeps its own, counted without locks",
}


@register(Tags.caches, deploy=True)
def cache_is_shared(app_configs, **kwargs):
    """Throttle counts and the signed-in user cache must be one store for every worker and server.

    With a per-process cache each worker counts a student's requests apart (N workers let N times the
    rate through), and a password change drops the cached user in one process only, so the others
    accept the old token until the entry expires.
    """
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend}) is not shared: {PER_PROCESS_CACHES[backend]}. Throttles then "
            "count per process, and a password change or deactivation reaches the other processes only "
            "when their cached user expires.",
            hint="Set CACHE_URL to a Redis every app server uses, e.g. redis://10.0.0.5:6379/1.",
            id="testpress.W001",
        )
    ]
