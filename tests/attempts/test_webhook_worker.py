"""The exam webhook end to end: a real `celery -A testpress worker -B` on Redis, a real receiver.

The test process plays the web server: it starts and ends attempts through the services on the test
database (committed, transaction=True) and queues on commit into Redis db 7, as production would; the
worker process (with beat embedded, the re-queue sweep every second) delivers to a receiver on
loopback. PostgreSQL (the worker shares the test database) and Redis are needed: `.ci/run` starts
Redis and sets REQUIRE_REDIS=1, so there a missing Redis fails instead of skipping.
"""

import time

import pytest
from django.db import transaction

from attempts.models import WebhookEvent
from attempts.services import attempt_create, attempt_end
from tests.attempts.conftest import build_exam
from tests.factories import UserFactory
from tests.processes import needs_redis
from tests.webhook_receiver import hash_is_valid, signature_is_valid
from tests.worker_processes import DEAD_BROKER_URL, REDIS_URL, SECRET, publish_to, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    needs_redis(REDIS_URL),
]


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
