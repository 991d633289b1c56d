"""The settings modules, each loaded in a fresh interpreter as gunicorn or manage.py would, from environment
variables: testpress.settings.prod above all, and which keys dev and prod refuse to sign with."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from testpress.settings.base import PUBLIC_DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(50)

DUMP = """
import json, django
django.setup()
from django.conf import settings as s
jwt = s.SIMPLE_JWT
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": list(s.SECURE_PROXY_SSL_HEADER),
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION"),
    "NUM_PROXIES": s.REST_FRAMEWORK["NUM_PROXIES"],
    "rates": s.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "access_seconds": jwt["ACCESS_TOKEN_LIFETIME"].total_seconds(),
    "refresh_seconds": jwt["REFRESH_TOKEN_LIFETIME"].total_seconds(),
    "signing_key": jwt["SIGNING_KEY"],
    "broker": s.CELERY_BROKER_URL,
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
}))
"""


def run(args, settings="testpress.settings.prod", **env):
    """`python <args>` with only the given environment; settings=None leaves the module to manage.py."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_", "SECURE_"))}
    environment.update({"ALLOWED_HOSTS": "example.com"})
    if settings is not None:
        environment["DJANGO_SETTINGS_MODULE"] = settings
    environment.pop("SECRET_KEY", None)
    environment.pop("DEBUG", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )


def prod_settings(**env) -> dict:
    result = run(["-c", DUMP], **{"SECRET_KEY": SECRET, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("redirect", ["1", "0"])
def test_check_deploy_is_clean_with_the_production_settings(redirect):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=SECRET,
        SECURE_SSL_REDIRECT=redirect,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key():
    # The test above could pass by never checking anything: here the same command must complain.
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], SECRET_KEY="short" * 8)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


@pytest.mark.parametrize("cache_url", ["locmemcache://", "dummycache://", "filecache:///tmp/testpress-cache"])
def test_check_deploy_warns_when_the_cache_is_not_shared_by_every_app_process(cache_url):
    # Throttle counts and the signed-in user cache would then differ from one worker or server to the next.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], SECRET_KEY=SECRET, CACHE_URL=cache_url
    )
    assert result.returncode != 0
    assert "testpress.W001" in result.stderr + result.stdout
    assert "Set CACHE_URL to a Redis every app server uses" in result.stderr + result.stdout


needs_no_local_secret_key = pytest.mark.skipif(
    (BASE_DIR / ".env").exists() and "SECRET_KEY" in (BASE_DIR / ".env").read_text(),
    reason="the local .env file provides a SECRET_KEY",
)


@needs_no_local_secret_key
def test_production_refuses_to_start_without_a_secret_key():
    result = run(["-c", DUMP])
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_jwt_signing_key():
    result = run(["-c", DUMP], SECRET_KEY=SECRET, JWT_SIGNING_KEY="too-short")
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr


def test_production_defaults():
    values = prod_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Throttle counts shared by every worker and server, client address taken from the proxy's header.
    assert values["cache"] == "testpress.cache.RedisCache"  # Django's, keeping its clients
    assert values["cache_location"] == "redis://127.0.0.1:6379/1"
    assert values["NUM_PROXIES"] == 1
    assert values["rates"] == {
        "read": "600/min",
        "write": "120/min",
        "login_username_ip": "10/min",
        "login_ip": "300/min",
    }
    # No JWT_SIGNING_KEY: tokens are signed with the deployment's SECRET_KEY, not a built-in default.
    assert values["signing_key"] == SECRET


def test_production_reads_its_values_from_the_environment():
    signing_key = secrets.token_urlsafe(40)
    values = prod_settings(
        JWT_SIGNING_KEY=signing_key,
        JWT_ACCESS_MINUTES="15",
        JWT_REFRESH_DAYS="2",
        SECURE_SSL_REDIRECT="0",
        CACHE_URL="redis://10.0.0.5:6379/3",
        NUM_PROXIES="2",
        THROTTLE_WRITE_RATE="300/min",
        THROTTLE_LOGIN_USERNAME_IP_RATE="5/min",
        THROTTLE_LOGIN_IP_RATE="1000/min",
        CSRF_TRUSTED_ORIGINS="https://exams.example.com",
    )
    assert values["signing_key"] == signing_key
    assert (values["access_seconds"], values["refresh_seconds"]) == (15 * 60, 2 * 86400)
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["cache_location"] == "redis://10.0.0.5:6379/3"
    assert values["NUM_PROXIES"] == 2
    assert values["rates"]["write"] == "300/min"
    assert (values["rates"]["login_username_ip"], values["rates"]["login_ip"]) == ("5/min", "1000/min")
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://exams.example.com"]


@pytest.mark.parametrize("variable", ["SECRET_KEY", "JWT_SIGNING_KEY"])
def test_production_refuses_the_public_development_key_even_when_given(variable):
    # Copied from base.py into the service's environment, it is still the key anyone can read.
    result = run(["-c", DUMP], **{"SECRET_KEY": SECRET, variable: PUBLIC_DEV_SECRET_KEY})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable} is the public development key" in result.stderr


# What any settings module prints: whether DEBUG is on and the key tokens are signed with.
KEYS_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({"DEBUG": s.DEBUG, "secret_key": s.SECRET_KEY, "signing_key": s.SIMPLE_JWT["SIGNING_KEY"]}))
"""


@needs_no_local_secret_key
@pytest.mark.parametrize(
    "keys",
    [
        {},
        {"SECRET_KEY": PUBLIC_DEV_SECRET_KEY},
        {"SECRET_KEY": SECRET, "JWT_SIGNING_KEY": PUBLIC_DEV_SECRET_KEY},
    ],
    ids=["no-key", "public-secret-key", "public-signing-key"],
)
def test_manage_py_refuses_to_start_with_debug_off_and_the_public_key(keys):
    """manage.py's default (dev) settings with DEBUG off: no command, runserver included, gets going."""
    result = run(["manage.py", "check"], settings=None, DEBUG="0", **keys)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "is the public development key" in result.stderr
    assert "System check identified" not in result.stdout


def settings_of(module: str, **env) -> dict:
    result = run(["-c", KEYS_DUMP], settings=module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_no_local_secret_key
def test_make_run_needs_no_configuration():
    """`make run`: manage.py with no environment at all runs dev settings, DEBUG on, the public key."""
    result = run(["manage.py", "check"], settings=None)
    assert result.returncode == 0, result.stderr
    values = settings_of("testpress.settings.dev")
    assert values == {
        "DEBUG": True,
        "secret_key": PUBLIC_DEV_SECRET_KEY,
        "signing_key": PUBLIC_DEV_SECRET_KEY,
    }


def test_dev_settings_with_debug_off_start_with_a_secret_key():
    result = run(["manage.py", "check"], settings=None, DEBUG="0", SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr
    values = settings_of("testpress.settings.dev", DEBUG="0", SECRET_KEY=SECRET)
    assert values == {"DEBUG": False, "secret_key": SECRET, "signing_key": SECRET}


@needs_no_local_secret_key
def test_test_settings_need_no_configuration():
    # pytest's settings never serve anyone: DEBUG off with the public key is allowed there.
    assert settings_of("testpress.settings.test")["DEBUG"] is False


def test_production_sends_background_work_to_a_redis_broker():
    loaded = prod_settings()
    assert (loaded["broker"], loaded["eager"]) == ("redis://127.0.0.1:6379/2", False)
    assert prod_settings(CELERY_BROKER_URL="redis://queue.internal:6379/0")["broker"] == (
        "redis://queue.internal:6379/0"
    )


LOG_A_REFUSAL_AND_AN_ERROR = """
import django, logging
django.setup()
logging.getLogger("django.request").warning("Unauthorized: /api/v2.1/exams/")
logging.getLogger("django.request").error("Internal Server Error: /api/v2.1/exams/")
"""


@pytest.mark.parametrize(
    ("level", "printed"),
    [("WARNING", ["Unauthorized", "Internal Server Error"]), ("ERROR", ["Internal Server Error"])],
)
def test_log_level_sets_what_the_console_prints_of_djangos_own_loggers_too(level, printed):
    result = run(["-c", LOG_A_REFUSAL_AND_AN_ERROR], SECRET_KEY=SECRET, LOG_LEVEL=level)
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == printed


DATABASE_OPTIONS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps(settings.DATABASES["default"].get("OPTIONS", {})))
"""


@pytest.mark.parametrize(
    ("switch", "options"),
    [
        ({}, {"server_side_binding": True, "prepare_threshold": 5}),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, {}),
    ],
)
def test_postgresql_prepares_repeated_statements_unless_switched_off(switch, options):
    url = {"DATABASE_URL": "postgres://app@db.example.com:5432/testpress"}
    result = run(["-c", DATABASE_OPTIONS], SECRET_KEY=SECRET, **url, **switch)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == options


def test_sqlite_has_no_postgresql_options():
    result = run(["-c", DATABASE_OPTIONS], SECRET_KEY=SECRET, DATABASE_URL="sqlite:////tmp/x.sqlite3")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {}
