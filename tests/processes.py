"""Real server processes for tests that need them: gunicorn on loopback against the test database.

The test database is the one pytest-django created; tests using these commit their data
(django_db(transaction=True)) so that the other processes see it.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

from bench import cpu
from testpress.api.auth import issue_token

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 20
# Production refuses the test settings' key (base.py's public one): the servers sign and check with this.
SERVER_KEY = "server-test-" + "k" * 40


def token_for(user) -> str:
    """The user's token as issue_token writes it, signed with the servers' key."""
    payload = jwt.decode(issue_token(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    return jwt.encode(payload, SERVER_KEY, algorithm="HS256")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def workers_of(master) -> set[int]:
    """The pids of a gunicorn master's live workers."""
    return set(cpu.children(master.pid))


def wait_for(predicate, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except requests.RequestException:  # not listening yet, or busy booting
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def gunicorn(**env):
    """(base URL, master process) of gunicorn serving production settings; killed whatever happens.

    One worker and a per-process cache unless `env` says otherwise (GUNICORN_WORKERS, CACHE_URL, ...).
    """
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testpress.settings.prod",
        "SECRET_KEY": SERVER_KEY,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "CACHE_URL": "locmemcache://",
        "CONN_MAX_AGE": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        **env,
    }
    log = tempfile.TemporaryFile()
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "testpress.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # The cheapest answer of the app itself: an anonymous read is refused before any query.
        wait_for(lambda: requests.get(f"{base}/api/v2.1/me/", timeout=2).status_code == 401, "gunicorn")
        yield base, master
    finally:
        if master.poll() is None:
            os.killpg(master.pid, signal.SIGKILL)
        master.wait(timeout=TIMEOUT)
        log.seek(0)
        print(log.read().decode(errors="replace")[-3000:])
        log.close()


def needs_redis(*urls: str):
    """A skip mark for tests that need Redis at each of `urls`.

    `.ci/run` starts Redis and sets REQUIRE_REDIS=1: there a missing Redis fails the run (raised at
    collection) instead of skipping the tests quietly.
    """
    try:
        up = all(redis.Redis.from_url(url, socket_connect_timeout=1).ping() for url in urls)
    except redis.RedisError:
        up = False
    if not up and os.environ.get("REQUIRE_REDIS") == "1":
        raise RuntimeError(f"REQUIRE_REDIS=1 but Redis does not answer at {', '.join(urls)}")
    return pytest.mark.skipif(not up, reason=f"needs Redis at {', '.join(urls)} (.ci/run starts one)")
