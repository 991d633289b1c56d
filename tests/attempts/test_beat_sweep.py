"""Beat's overdue sweep completes an attempt nobody touches within one period.

A real `celery -A testpress beat` and a separate `celery -A testpress worker`, as production runs them,
on a Redis broker and the test database (committed, transaction=True). The period is shortened with
SWEEP_OVERDUE_SECONDS (30 s in production), the setting beat's schedule reads.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from attempts.choices import AttemptState
from attempts.models import Attempt
from attempts.services import attempt_create
from exams.models import Exam
from tests.attempts.conftest import build_exam
from tests.factories import UserFactory
from tests.processes import ROOT, database_url, needs_redis

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
PERIOD = 4
# A sweep is sent at most one period after the attempt falls due; the worker then needs a moment to
# take the message and end the attempt.
SLACK = 3
STARTUP_TIMEOUT = 60

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), needs_redis(BROKER_URL)]


def celery(command: list[str], log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testpress.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "SWEEP_OVERDUE_SECONDS": str(PERIOD),
        "SWEEP_WEBHOOK_SECONDS": "3600",
    }
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "testpress", *command, "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_line(log: Path, text: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while text not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"no {text!r} in {log.name}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


@pytest.fixture
def worker_and_beat(tmp_path):
    """A worker and beat, both up; both killed, and their logs printed, whatever happens."""
    redis.Redis.from_url(BROKER_URL).flushdb()
    logs = {"worker": tmp_path / "worker.log", "beat": tmp_path / "beat.log"}
    started = [
        celery(["worker", "--concurrency", "1", "--without-mingle", "--without-gossip"], logs["worker"]),
        celery(["beat", "--schedule", str(tmp_path / "beat-schedule")], logs["beat"]),
    ]
    try:
        wait_for_line(logs["worker"], " ready.")
        wait_for_line(logs["beat"], "beat: Starting...")
        yield
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STARTUP_TIMEOUT)
        for name, log in logs.items():
            print(f"--- {name}\n{log.read_text(errors='replace')[-3000:]}")
        redis.Redis.from_url(BROKER_URL).flushdb()


def test_beat_sweep_completes_an_untouched_overdue_attempt_within_one_period(worker_and_beat):
    now = timezone.now()
    exam = build_exam("RR", start_date=now - timedelta(days=1), end_date=now + timedelta(days=1))
    attempt = attempt_create(user=UserFactory(), exam=exam, now=now - timedelta(minutes=10))

    # The exam closes under the running attempt; from here on nobody sends a request for it.
    Exam.objects.filter(pk=exam.pk).update(end_date=timezone.now() - timedelta(seconds=1))
    overdue_since = time.monotonic()
    deadline = overdue_since + PERIOD + SLACK
    while Attempt.objects.get(pk=attempt.pk).state != AttemptState.COMPLETED:
        assert time.monotonic() < deadline, "the sweep did not complete the attempt within one period"
        time.sleep(0.2)

    attempt.refresh_from_db()
    assert attempt.completed_at is not None
    assert time.monotonic() - overdue_since <= PERIOD + SLACK
