"""Production: DEBUG off, HTTPS everywhere behind a proxy, secrets required from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, SIMPLE_JWT, env, refuse_public_keys, reused_redis_clients

DEBUG = False
PRODUCTION = True
SECRET_KEY = env("SECRET_KEY")

# Tokens are signed with their own key when one is given, else with SECRET_KEY; never with base's default.
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY)}
# Required is not enough: the public development key, copied into the environment, is refused too.
refuse_public_keys(secret_key=SECRET_KEY, signing_key=SIMPLE_JWT["SIGNING_KEY"])
if len(SIMPLE_JWT["SIGNING_KEY"]) < 32:
    raise ImproperlyConfigured("JWT_SIGNING_KEY (or SECRET_KEY) must be at least 32 characters long.")

# Several gunicorn workers (and servers) share throttle counts only through a shared cache.
CACHES = {"default": reused_redis_clients(env.cache("CACHE_URL", default="redis://127.0.0.1:6379/1"))}
# Background work goes through the broker to `celery -A testpress worker`, never inside a request.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/2")
CELERY_TASK_ALWAYS_EAGER = False
# One reverse proxy (nginx) in front: it sets X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host.
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": env.int("NUM_PROXIES", default=1)}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=True)

# HTTPS only: the proxy may redirect instead (SECURE_SSL_REDIRECT=0), HSTS keeps browsers on HTTPS.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
if not SECURE_SSL_REDIRECT:
    # Turning it off declares that the proxy redirects plain HTTP; check --deploy cannot see the proxy.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
