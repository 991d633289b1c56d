"""An answer acknowledged with 200 survives `kill -9` of the gunicorn worker that saved it.

A real gunicorn runs the production WSGI app (one worker) on loopback against the test database; the
test commits its data (transaction=True) so that other process sees it. An end interrupted half-way is
covered in tests/attempts/test_services.py::TestAttemptEnd::
test_a_failure_mid_end_leaves_the_attempt_open_and_unscored (still Running, no item result written).
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt
import pytest
import requests
from django.conf import settings
from django.db import connection

from attempts.models import AttemptItem
from attempts.services import attempt_create
from testpress.api.auth import issue_token
from tests.attempts.conftest import build_exam, correct_ids
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20
SERVER_KEY = "crash-test-" + "k" * 40


def token_for(user) -> str:
    """The user's token as issue_token writes it, signed with the server's key."""
    payload = jwt.decode(issue_token(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    return jwt.encode(payload, SERVER_KEY, algorithm="HS256")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def workers_of(master: subprocess.Popen) -> set[int]:
    path = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return {int(pid) for pid in path.read_text().split()} if path.exists() else set()


def wait_for(predicate, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except requests.ConnectionError:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def gunicorn():
    """(base URL, master process) of a one-worker production gunicorn; killed whatever happens."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testpress.settings.prod",
        # Production refuses the test settings' key (base.py's public one): tokens are signed with this.
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
    }
    log = tempfile.TemporaryFile()
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "testpress.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(f"{base}/api/schema/", timeout=2).status_code == 200, "gunicorn")
        yield base, master
    finally:
        if master.poll() is None:
            os.killpg(master.pid, signal.SIGKILL)
        master.wait(timeout=TIMEOUT)
        log.seek(0)
        print(log.read().decode(errors="replace")[-3000:])
        log.close()


def test_an_acknowledged_answer_survives_kill_9_of_its_worker(gunicorn):
    base, master = gunicorn
    student = UserFactory()
    attempt = attempt_create(user=student, exam=build_exam("RR"))
    item = attempt.items.select_related("question").order_by("order").first()
    answer = correct_ids(item.question)
    url = f"{base}/api/v2.1/attempts/{attempt.pk}/questions/{item.pk}/"
    auth = {"Authorization": f"JWT {token_for(student)}"}

    (worker,) = wait_for(lambda: workers_of(master), "the worker")
    saved = requests.put(url, json={"selected_answers": answer}, headers=auth, timeout=TIMEOUT)
    assert saved.status_code == 200, saved.text
    os.kill(worker, signal.SIGKILL)

    assert AttemptItem.objects.get(pk=item.pk).selected_answers == answer
    respawned = wait_for(lambda: workers_of(master) - {worker}, "a new worker")
    assert worker not in respawned
    read = wait_for(lambda: requests.get(url, headers=auth, timeout=2), "the respawned worker to answer")
    assert read.status_code == 200
    assert read.json()["selected_answers"] == answer
