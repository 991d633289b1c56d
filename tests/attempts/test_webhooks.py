"""The exam webhook in process: the outbox rows, the payload, the signatures, one delivery, retries.

A real receiver on loopback (tests/webhook_receiver.py) answers; no broker: the tasks run eagerly.
The worker and broker cases are in test_webhook_worker.py.
"""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from attempts import outbox, tasks, webhooks
from attempts.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from attempts.services import attempt_create, attempt_end, attempt_save_item, attempts_end
from exams.choices import Difficulty
from exams.models import Exam, Question
from tests.factories import SubjectFactory
from tests.webhook_receiver import hash_is_valid, signature_is_valid

from .conftest import correct_ids, wrong_ids

SECRET, KEY = "s3cret/+ ü", "pk_live_1"
Status = WebhookEvent.Status


@pytest.fixture
def hook(db, receiver):
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, public_key=KEY, enabled=True)
    return receiver


@pytest.fixture
def taken(student, exam_of, now):
    """An attempt of four questions (two subjects under a parent, two difficulty levels) ended with
    one right, one wrong and two unanswered."""
    exam = exam_of("RRRN")
    physics = SubjectFactory(name="Physics")
    mechanics = SubjectFactory(name="Mechanics", parent=physics)
    questions = list(Question.objects.filter(exam_links__exam=exam).order_by("exam_links__order"))
    Question.objects.filter(pk=questions[0].pk).update(subject=mechanics, difficulty=Difficulty.EASY)
    Question.objects.filter(pk=questions[1].pk).update(subject=mechanics, difficulty=Difficulty.HARD)
    Question.objects.filter(pk=questions[2].pk).update(subject=physics, difficulty="")
    attempt = attempt_create(user=student, exam=exam, now=now)
    items = list(attempt.items.select_related("question").order_by("order"))
    attempt_save_item(
        attempt=attempt, item=items[0], selected_answers=correct_ids(items[0].question), now=now
    )
    attempt_save_item(
        attempt=attempt, item=items[1], selected_answers=wrong_ids(items[1].question)[:1], now=now
    )
    return attempt_end(attempt=attempt, now=now + timedelta(minutes=3))


def deliver_all():
    return [webhooks.deliver(event.pk) for event in WebhookEvent.objects.order_by("pk")]


class TestTheOutbox:
    def test_a_start_and_an_end_write_one_event_each(self, student, exam_of):
        attempt = attempt_create(user=student, exam=exam_of("R"))
        attempt_end(attempt=attempt)
        events = WebhookEvent.objects.filter(attempt=attempt).order_by("pk")
        assert [(e.kind, e.status, e.tries) for e in events] == [
            ("started", "pending", 0),
            ("completed", "pending", 0),
        ]
        assert len({e.webhook_id for e in events}) == 2

    def test_the_sweep_and_staff_ending_write_the_completed_event(self, student, other_student, exam_of, now):
        exam = exam_of("R")
        swept = attempt_create(user=student, exam=exam, now=now)
        ended_by_staff = attempt_create(user=other_student, exam=exam, now=now)
        Exam.objects.filter(pk=exam.pk).update(end_date=timezone.now() - timedelta(seconds=1))
        tasks.end_overdue_attempts()
        assert attempts_end(pks=[ended_by_staff.pk]).skipped == (ended_by_staff.pk,)
        completed = WebhookEvent.objects.filter(kind="completed")
        assert sorted(completed.values_list("attempt_id", flat=True)) == sorted([swept.pk, ended_by_staff.pk])

    def test_a_rolled_back_end_writes_and_sends_nothing(
        self, hook, student, exam_of, django_capture_on_commit_callbacks
    ):
        attempt = attempt_create(user=student, exam=exam_of("R"))
        WebhookEvent.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                attempt_end(attempt=attempt)
                raise RuntimeError("the request crashed after the end")
        assert callbacks == []
        assert not WebhookEvent.objects.exists()
        assert hook.received == []

    def test_on_commit_the_event_is_sent_in_process_without_a_broker(
        self, hook, student, exam_of, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            attempt = attempt_create(user=student, exam=exam_of("R"))
        event = WebhookEvent.objects.get(attempt=attempt)
        assert (event.status, event.tries) == (Status.DELIVERED, 1)
        assert [r.json["attempt_state"] for r in hook.received] == ["started"]


class TestThePayload:
    def test_it_carries_the_attempt_the_exam_and_the_v2_5_breakdowns(self, hook, taken, staff_client, staff):
        staff.is_superuser = True
        staff.save()
        deliver_all()
        started, completed = (r.json for r in hook.received)
        admin = staff_client.get(f"/api/v2.5/admin/attempts/{taken.pk}/").json()

        assert completed["subject_stats"] == admin["subject_stats"]
        assert completed["difficulty_level_stats"] == admin["difficulty_level_stats"]
        assert {k: completed[k] for k in ("correct_answers_count", "incorrect_answers_count", "score")} == {
            "correct_answers_count": 1,
            "incorrect_answers_count": 1,
            "score": admin["score"],
        }
        assert completed["percentage"] == admin["percentage"]
        assert (completed["unanswered_answers_count"], completed["total_count"]) == (2, 4)
        assert (completed["attempt_state"], completed["attempt_id"], completed["user_id"]) == (
            "completed",
            taken.pk,
            taken.user_id,
        )
        assert completed["exam"]["id"] == taken.exam_id
        assert completed["completed_on"] is not None
        assert set(completed) == {
            *"username email user_id attempt_id attempt_state exam total_count".split(),
            *"correct_answers_count incorrect_answers_count unanswered_answers_count".split(),
            *"partial_correct_answers_count score percentage accuracy speed subject_stats".split(),
            *"difficulty_level_stats attempt_start_time completed_on institute_attempt_id key hash".split(),
        }
        # The start, sent after the end here, still reads as a start: nothing answered, no result.
        assert started["attempt_state"] == "started"
        assert (started["score"], started["correct_answers_count"], started["completed_on"]) == (
            "0.00",
            0,
            None,
        )
        assert all(row["unanswered_count"] == row["total_count"] for row in started["subject_stats"])

    def test_the_hash_follows_the_spec(self, hook, taken):
        deliver_all()
        body = hook.received[1].json
        assert body["key"] == KEY
        assert hash_is_valid(body, SECRET)
        assert not hash_is_valid({**body, "score": "99.00"}, SECRET)

    def test_the_hash_of_a_worked_example(self):
        data = {
            "attempt_id": 42,
            "correct_answers_count": 3,
            "incorrect_answers_count": 1,
            "unanswered_answers_count": 0,
            "percentage": 75,
            "score": "2.75",
            "user_id": 7,
        }
        import hashlib
        import hmac

        expected = hmac.new(b"s3cret", b"pk_1|42|3|s3cret|1|0|75|2.75|7", hashlib.sha512).hexdigest()
        assert webhooks.testpress_hash(data, key="pk_1", secret="s3cret") == expected
        # Values are percent-encoded before they are joined.
        encoded = hmac.new(b"a b", b"k%2F1|42|3|a%20b|1|0|75|2.75|7", hashlib.sha512).hexdigest()
        assert webhooks.testpress_hash(data, key="k/1", secret="a b") == encoded

    def test_every_delivery_is_signed_the_standard_webhooks_way(self, hook, taken):
        deliver_all()
        for received in hook.received:
            assert received.headers["webhook-id"].startswith("msg_")
            assert abs(int(received.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
            assert signature_is_valid(received.headers, received.body, SECRET)
            assert not signature_is_valid(received.headers, received.body + b" ", SECRET)


class TestDelivery:
    def test_a_2xx_delivers_and_the_try_is_recorded(self, hook, taken):
        outcomes = deliver_all()
        assert [o.status for o in outcomes] == [Status.DELIVERED, Status.DELIVERED]
        delivery = WebhookDelivery.objects.order_by("pk").first()
        assert (delivery.status_code, delivery.ok, delivery.response_excerpt) == (200, True, "answered 200")

    def test_a_delivered_event_is_never_sent_again_by_a_second_task(self, hook, taken):
        deliver_all()
        assert [o.claimed for o in deliver_all()] == [False, False]
        assert len(hook.received) == 2

    def test_a_failure_is_tried_again_with_the_same_id_and_body_then_fails(self, hook, student, exam_of):
        hook.default = 500
        attempt_create(user=student, exam=exam_of("R"))
        event = WebhookEvent.objects.get()
        for _ in range(3):
            outcome = webhooks.deliver(event.pk, now=timezone.now() + timedelta(hours=1))
            assert (outcome.status, 0.2 < outcome.retry_in < 0.4) == (Status.PENDING, True)
        assert webhooks.deliver(event.pk, now=timezone.now() + timedelta(hours=1)).status == Status.FAILED
        # The body of every try is the same, byte for byte (the first from the payload just built,
        # the others from the row as stored).
        assert len({(r.headers["webhook-id"], r.body) for r in hook.received}) == 1
        assert [d.status_code for d in event.deliveries.all()] == [500] * 4

    def test_no_answer_is_a_failed_try(self, db, student, exam_of):
        WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", secret=SECRET, enabled=True)
        attempt_create(user=student, exam=exam_of("R"))
        outcome = webhooks.deliver(WebhookEvent.objects.get().pk)
        assert outcome.status == Status.PENDING
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status_code, delivery.ok) == (None, False)
        assert "ConnectionError" in delivery.response_excerpt

    def test_a_payload_that_cannot_be_built_is_a_failed_try_not_a_stuck_event(
        self, hook, student, exam_of, monkeypatch
    ):
        def broken(attempt, *, kind):
            raise ValueError("bad data")

        monkeypatch.setattr(webhooks, "payload_data", broken)
        attempt_create(user=student, exam=exam_of("R"))
        outcome = webhooks.deliver(WebhookEvent.objects.get().pk)
        assert (outcome.status, outcome.retry_in is not None) == (Status.PENDING, True)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status_code, delivery.ok) == (None, False)
        assert "ValueError: bad data" in delivery.response_excerpt
        assert hook.received == []

    def test_a_slow_2xx_is_not_a_delivery(self, hook, student, exam_of, settings):
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
        hook.hold = 0.5
        attempt_create(user=student, exam=exam_of("R"))
        assert webhooks.deliver(WebhookEvent.objects.get().pk).status == Status.PENDING

    def test_410_turns_the_webhook_off_until_staff_enable_it(self, hook, student, exam_of):
        hook.statuses = [410]
        attempt = attempt_create(user=student, exam=exam_of("R"))
        attempt_end(attempt=attempt)
        assert [o.status for o in deliver_all()] == [Status.FAILED, Status.SKIPPED]
        endpoint = WebhookEndpoint.objects.get()
        assert (endpoint.enabled, "410" in endpoint.disabled_reason) == (False, True)
        assert len(hook.received) == 1

    def test_nothing_is_sent_without_a_webhook(self, receiver, student, exam_of):
        attempt_create(user=student, exam=exam_of("R"))
        assert [o.status for o in deliver_all()] == [Status.SKIPPED]
        assert receiver.received == []

    def test_the_environment_wins_over_the_admin(self, receiver, student, exam_of):
        WebhookEndpoint.objects.create(
            url="http://127.0.0.1:9/", secret="old", public_key="old", enabled=False
        )
        with override_settings(
            EXAM_WEBHOOK_URL=receiver.url, EXAM_WEBHOOK_SECRET="env", EXAM_WEBHOOK_PUBLIC_KEY="envkey"
        ):
            attempt_create(user=student, exam=exam_of("R"))
            deliver_all()
        body = receiver.received[0].json
        assert body["key"] == "envkey"
        assert hash_is_valid(body, "env") and signature_is_valid(
            receiver.received[0].headers, receiver.received[0].body, "env"
        )

    def test_the_default_schedule_retries_for_more_than_a_day(self):
        from testpress.settings import base

        delays = base.WEBHOOK_RETRY_DELAYS
        assert sum(delays) * 0.8 >= 24 * 3600
        assert delays == sorted(delays)


class TestRequeueAndSendAgain:
    def test_the_sweep_sends_events_whose_task_was_lost(self, hook, student, exam_of):
        attempt_create(user=student, exam=exam_of("R"))
        assert tasks.requeue_webhook_events() == 1
        assert WebhookEvent.objects.get().status == Status.DELIVERED
        assert tasks.requeue_webhook_events() == 0

    def test_the_sweep_leaves_an_event_held_by_a_running_try(self, hook, student, exam_of):
        attempt_create(user=student, exam=exam_of("R"))
        event = WebhookEvent.objects.get()
        assert webhooks.claim(event.pk, now=timezone.now())
        assert webhooks.due_events() == []

    def test_send_again_sends_a_delivered_event_once_more_with_its_id(
        self, hook, student, exam_of, django_capture_on_commit_callbacks
    ):
        attempt_create(user=student, exam=exam_of("R"))
        deliver_all()
        event = WebhookEvent.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.send_again(event_ids=[event.pk]) == 1
        event.refresh_from_db()
        assert (event.status, event.tries) == (Status.DELIVERED, 1)
        assert [r.headers["webhook-id"] for r in hook.received] == [event.webhook_id] * 2
        assert json.loads(hook.received[0].body)["hash"] == json.loads(hook.received[1].body)["hash"]


def test_the_readme_snippet_verifies_a_real_delivery(hook, student, exam_of):
    """The receiver's code in the README (the python block after "A receiver checks both signatures")."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = (
        readme.split("A receiver checks both signatures:", 1)[1].split("```python\n", 1)[1].split("```")[0]
    )
    namespace = {}
    exec(snippet, namespace)  # noqa: S102 - our own README
    attempt_create(user=student, exam=exam_of("R"))
    deliver_all()
    received = hook.received[0]
    assert namespace["verify"](received.headers, received.body, SECRET)["attempt_state"] == "started"
    with pytest.raises(ValueError, match="signature"):
        namespace["verify"](received.headers, received.body + b" ", SECRET)
