"""The exam webhook end to end: a real `celery -A testpress worker -B` on Redis, a real receiver.

The test process plays the web server: it starts and ends attempts through the services on the test
database (committed, transaction=True) and queues on commit into Redis db 7, as production would; the
worker process (with beat embedded, the re-queue sweep every second) delivers to a receiver on
loopback. PostgreSQL (the worker shares the test database) and Redis are needed: `.ci/run` starts
Redis and sets REQUIRE_REDIS=1, so there a missing Redis fails instead of skipping.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction

from attempts.models import WebhookEvent
from attempts.services import attempt_create, attempt_end
from testpress.celery import app
from tests.attempts.conftest import build_exam
from tests.factories import UserFactory
from tests.processes import needs_redis
from tests.webhook_receiver import Receiver, hash_is_valid, signature_is_valid

REDIS_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
# Nothing listens there: the broker, as the web process sees it, is down.
DEAD_BROKER_URL = "redis://127.0.0.1:1/7"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
SECRET, KEY = "worker-secret", "pk_worker"


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    needs_redis(REDIS_URL),
]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def publish_to(url: str) -> None:
    """Make this process queue tasks into `url` (not run them eagerly), dropping pooled connections."""
    app.conf.update(broker_url=url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    redis.Redis.from_url(REDIS_URL).flushdb()
    publish_to(REDIS_URL)
    yield
    publish_to("memory://")
    app.conf.task_always_eager = True
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


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


@pytest.fixture
def workers(broker, receiver, tmp_path):
    workers = Workers(receiver, tmp_path)
    yield workers
    workers.stop_all()


def wait_until(predicate, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def statuses() -> list[str]:
    return list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True))


def test_a_start_and_an_end_deliver_exactly_two_signed_events(workers, receiver):
    workers.start()
    attempt = attempt_create(user=UserFactory(), exam=build_exam("RR"))
    attempt_end(attempt=attempt)

    wait_until(lambda: statuses() == ["delivered", "delivered"], "two deliveries")
    time.sleep(2)  # a few sweeps later, still exactly two
    assert [r.json["attempt_state"] for r in receiver.received] == ["started", "completed"]
    for received in receiver.received:
        assert hash_is_valid(received.json, SECRET)
        assert signature_is_valid(received.headers, received.body, SECRET)
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == set(WebhookEvent.objects.values_list("webhook_id", flat=True))


def test_a_receiver_failing_twice_gets_the_event_on_the_third_try(workers, receiver):
    receiver.statuses = [500, 500]
    workers.start()
    attempt_create(user=UserFactory(), exam=build_exam("R"))

    wait_until(lambda: statuses() == ["delivered"], "the delivery")
    event = WebhookEvent.objects.get()
    assert event.tries == 3
    assert list(event.deliveries.order_by("pk").values_list("status_code", flat=True)) == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_kill_9_of_the_worker_mid_delivery_then_a_new_worker_delivers_with_the_same_id(workers, receiver):
    receiver.hold = 4  # the first try is still waiting for its answer when the worker dies
    first = workers.start()
    attempt_create(user=UserFactory(), exam=build_exam("R"))
    wait_until(lambda: len(receiver.received) == 1, "the first try to reach the receiver")
    workers.kill(first)
    receiver.hold = 0
    assert statuses() == ["pending"]

    workers.start()
    wait_until(lambda: statuses() == ["delivered"], "the delivery by the new worker")
    assert len(receiver.received) >= 2
    assert {r.headers["webhook-id"] for r in receiver.received} == {WebhookEvent.objects.get().webhook_id}


def test_events_written_while_the_broker_is_down_wait_and_go_out_when_it_is_back(workers, receiver):
    publish_to(DEAD_BROKER_URL)
    attempt = attempt_create(user=UserFactory(), exam=build_exam("R"))
    attempt_end(attempt=attempt)  # each commit's publish fails, is logged, and the request goes on
    time.sleep(1)
    assert statuses() == ["pending", "pending"]
    assert receiver.received == []

    publish_to(REDIS_URL)
    workers.start()  # the re-queue sweep (beat) finds them
    wait_until(lambda: statuses() == ["delivered", "delivered"], "the outbox to drain")
    assert sorted(r.json["attempt_state"] for r in receiver.received) == ["completed", "started"]


def test_a_rolled_back_end_sends_nothing(workers, receiver):
    workers.start()
    attempt = attempt_create(user=UserFactory(), exam=build_exam("R"))
    wait_until(lambda: statuses() == ["delivered"], "the start")
    with pytest.raises(RuntimeError), transaction.atomic():
        attempt_end(attempt=attempt)
        raise RuntimeError("the request crashed after the end")
    time.sleep(3)
    assert statuses() == ["delivered"]
    assert [r.json["attempt_state"] for r in receiver.received] == ["started"]
