"""A real Celery worker for the tests: `celery -A testpress worker -B` processes on Redis, sharing the
test database (PostgreSQL), and the switches that make this process publish to Redis or to a broker
that is down. The fixtures (broker, receiver, workers) are in tests/attempts/conftest.py.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from testpress.celery import app
from tests.processes import ROOT, database_url
from tests.webhook_receiver import Receiver

REDIS_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
# Nothing listens there: the broker, as the web process sees it, is down.
DEAD_BROKER_URL = "redis://127.0.0.1:1/7"
TIMEOUT = 60
SECRET, KEY = "worker-secret", "pk_worker"


def use_redis_broker() -> None:
    """Queue into an empty Redis db, as a web process in production does."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    publish_to(REDIS_URL)


def use_no_broker() -> None:
    """Back to the suite's default: tasks run in this process; the Redis db is left empty."""
    publish_to("memory://")
    app.conf.task_always_eager = True
    redis.Redis.from_url(REDIS_URL).flushdb()


def publish_to(url: str) -> None:
    """Make this process queue tasks into `url` (not run them eagerly), dropping pooled connections."""
    app.conf.update(broker_url=url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None


class Workers:
    """Start and kill `celery -A testpress worker -B` processes; every one is killed at the end."""

    def __init__(self, receiver: Receiver, tmp: Path):
        self.receiver, self.tmp, self.running = receiver, tmp, []

    def start(self) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "testpress.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "EXAM_WEBHOOK_URL": self.receiver.url,
            "EXAM_WEBHOOK_SECRET": SECRET,
            "EXAM_WEBHOOK_PUBLIC_KEY": KEY,
            # A killed worker's message comes back after 3 s, its held event is free after 3 s, and
            # the re-queue sweep runs every second.
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "WEBHOOK_LEASE_SECONDS": "3",
            "SWEEP_WEBHOOK_SECONDS": "1",
            "SWEEP_OVERDUE_SECONDS": "3600",
        }
        log = tempfile.NamedTemporaryFile(dir=self.tmp, suffix=".log", delete=False)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "testpress",
                "worker",
                "-B",
                "--schedule",
                str(self.tmp / f"beat-{len(self.running)}"),
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = log.name
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT)

    def stop_all(self) -> None:
        for process in self.running:
            self.kill(process)
            print(Path(process.log_path).read_text(errors="replace")[-3000:])


def wait_until(predicate, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
