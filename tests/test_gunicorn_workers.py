"""gunicorn as gunicorn.conf.py runs it: the app loaded once by the master, each worker forked with it.

A connection or a thread made while the app loads would be inherited by every worker: one database
socket written by several processes at once, one Redis socket, a thread that no worker has. So loading
the app must connect nothing, and recycled workers must go on answering each student their own data.
"""

import gc
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests import processes
from tests.factories import UserFactory
from tests.processes import SERVER_KEY, TIMEOUT, token_for, wait_for, workers_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_recycled_workers_answer_each_student_from_their_own_connections():
    students = UserFactory.create_batch(4)
    env = {"GUNICORN_WORKERS": "2", "GUNICORN_MAX_REQUESTS": "4", "GUNICORN_MAX_REQUESTS_JITTER": "0",
           "CONN_MAX_AGE": "60"}  # fmt: skip
    with processes.gunicorn(**env) as (base, master):
        seen_workers = set(wait_for(lambda: workers_of(master), "the workers"))

        def me(student):
            seen_workers.update(workers_of(master))
            answer = requests.get(
                f"{base}/api/v2.1/me/",
                headers={"Authorization": f"JWT {token_for(student)}"},
                timeout=TIMEOUT,
            )
            return student, answer

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(me, students * 12))

    assert [answer.status_code for _, answer in answers] == [200] * 48
    assert all(answer.json()["username"] == student.username for student, answer in answers)
    # 48 requests, recycled every 4: far more workers than the two alive at a time served them.
    assert len(seen_workers) > 4


LOAD_THE_APP_AS_THE_MASTER_DOES = """
import json, os, threading
from testpress.wsgi import application
open_files = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
              if os.path.exists(f"/proc/self/fd/{fd}")]
print(json.dumps({
    "sockets": [target for target in open_files if target.startswith("socket:")],
    "threads": [thread.name for thread in threading.enumerate()],
}))
"""


def test_loading_the_app_connects_to_nothing_and_starts_no_thread():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testpress.settings.prod",
        "SECRET_KEY": SERVER_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": processes.database_url(),
        "CACHE_URL": "redis://127.0.0.1:6379/9",
    }
    result = subprocess.run(
        [sys.executable, "-c", LOAD_THE_APP_AS_THE_MASTER_DOES], cwd=processes.ROOT, env=environment,
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    # Any connection (PostgreSQL, Redis, the broker) is a socket.
    assert loaded == {"sockets": [], "threads": ["MainThread"]}


def test_the_app_is_loaded_before_the_workers_fork_by_default_and_frozen_for_the_collector():
    config = {}
    exec((processes.ROOT / "gunicorn.conf.py").read_text(), config)
    assert config["preload_app"] is True
    try:
        config["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
