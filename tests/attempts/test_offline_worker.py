"""Offline submissions end to end: the API on the test database queues into Redis, a real
`celery -A testpress worker -B` makes the attempt, a receiver on loopback gets its webhook events.

The same set-up as tests/attempts/test_webhook_worker.py (tests/worker_processes.py and the fixtures of
tests/attempts/conftest.py): PostgreSQL and Redis (TEST_CELERY_BROKER_URL) are needed; `.ci/run`
provides both.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from attempts.models import Attempt, OfflineSubmission
from testpress.api.auth import issue_token
from tests.attempts.conftest import build_exam, correct_ids
from tests.attempts.test_offline import RESULT_FIELDS, online_attempt, submit_url, the_answers
from tests.factories import UserFactory
from tests.processes import needs_redis
from tests.worker_processes import DEAD_BROKER_URL, REDIS_URL, publish_to, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    needs_redis(REDIS_URL),
]

MINUTE = timedelta(minutes=1)


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {issue_token(user)}")
    return client


def sitting(exam, *, started, completed, answers) -> dict:
    return {
        "offline_attempt": {"started_on": started.isoformat(), "completed_on": completed.isoformat()},
        "offline_answers": answers,
    }


def processed() -> list[str]:
    return list(OfflineSubmission.objects.order_by("pk").values_list("status", flat=True))


@pytest.fixture
def offline_exam():
    return build_exam("RCNE", is_offline_exam=True, negative_marks=Decimal("0.25"))


def test_the_worker_scores_a_submission_as_the_same_answers_online(workers, receiver, offline_exam):
    workers.start()
    student, now = UserFactory(), timezone.now()
    body = sitting(
        offline_exam,
        started=now - 40 * MINUTE,
        completed=now - 15 * MINUTE,
        answers=the_answers(offline_exam),
    )

    response = client_of(student).post(submit_url(offline_exam), body, format="json")

    assert (response.status_code, response.json()) == (202, {"message": "Exam answers are being processed"})
    wait_until(lambda: processed() == ["processed"], "the worker to process the submission")
    attempt = Attempt.objects.get(user=student)
    online = online_attempt(UserFactory(), offline_exam, now)
    assert [getattr(attempt, f) for f in RESULT_FIELDS] == [getattr(online, f) for f in RESULT_FIELDS]
    assert attempt.score == Decimal("1.75")
    rows = client_of(student).get("/api/v2.1/attempts/").json()["results"]
    assert [(row["id"], row["state"]) for row in rows] == [(attempt.pk, "Completed")]
    # Like any completion, the institute hears of it.
    wait_until(
        lambda: any(
            r.json["attempt_id"] == attempt.pk and r.json["attempt_state"] == "completed"
            for r in receiver.received
        ),
        "the completed event",
    )


def test_a_duplicate_makes_no_second_attempt_and_a_late_one_is_refused(workers, offline_exam):
    workers.start()
    student, now = UserFactory(), timezone.now()
    client = client_of(student)
    first = offline_exam.exam_questions.order_by("order").first()
    body = sitting(
        offline_exam,
        started=now - 30 * MINUTE,
        completed=now - 5 * MINUTE,
        answers=[{"exam_question_id": first.pk, "selected_answers": correct_ids(first.question)}],
    )

    assert client.post(submit_url(offline_exam), body, format="json").status_code == 202
    assert client.post(submit_url(offline_exam), body, format="json").status_code == 202
    wait_until(lambda: processed() == ["processed"], "the submission to be processed")
    assert client.post(submit_url(offline_exam), body, format="json").status_code == 202

    closed = build_exam("R", is_offline_exam=True, end_date=now - 20 * MINUTE)
    late = client.post(
        submit_url(closed),
        sitting(closed, started=now - 30 * MINUTE, completed=now - 10 * MINUTE, answers=[]),
        format="json",
    )
    assert late.status_code == 400 and "too late" in late.json()["offline_attempt"][0]
    assert Attempt.objects.filter(user=student).count() == 1
    assert OfflineSubmission.objects.count() == 1


def test_a_submission_made_while_the_broker_is_down_is_processed_when_it_is_back(
    workers, offline_exam, monkeypatch
):
    student, now = UserFactory(), timezone.now()
    publish_to(DEAD_BROKER_URL)
    body = sitting(offline_exam, started=now - 30 * MINUTE, completed=now - 5 * MINUTE, answers=[])
    assert client_of(student).post(submit_url(offline_exam), body, format="json").status_code == 202
    assert processed() == ["pending"]

    publish_to(REDIS_URL)
    monkeypatch.setenv("SWEEP_OFFLINE_SECONDS", "1")
    workers.start()  # beat's re-queue sweep finds it
    wait_until(lambda: processed() == ["processed"], "the re-queue sweep to process it")
    assert Attempt.objects.get(user=student).unanswered_count == 4
