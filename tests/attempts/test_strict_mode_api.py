"""Strict timer mode (exam.disable_attempt_resume) through the student API, with the wall clock moved.

The deadline is fixed at creation (created + duration, never past the exam's end): the time counts
while the app is closed, and past the deadline every endpoint sees the attempt completed with what
was saved.
"""

from datetime import timedelta

import pytest
import time_machine

from attempts.models import Attempt, AttemptItem
from attempts.services import end_overdue_attempts
from tests.attempts.conftest import correct_ids

from .test_lifecycle_api import EXAMS, act, answer, begin, ok, question_of, questions

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


@pytest.fixture
def strict_exam(exam_of):
    return exam_of("RR", duration=timedelta(minutes=30), disable_attempt_resume=True)


def _soon(exam):
    """A minute after the tokens were issued: a clock set before them would reject them."""
    return exam.start_date + timedelta(days=1, minutes=1)


def test_the_exam_prints_its_timer_mode(student_client, strict_exam, exam_of):
    assert ok(student_client.get(f"{EXAMS}{strict_exam.slug}/"))["disable_attempt_resume"] is True
    default = exam_of("R")
    row = ok(student_client.get(f"{EXAMS}{default.slug}/"))
    assert (row["disable_attempt_resume"], row["allow_preemptive_section_ending"]) == (False, False)


def test_the_clock_runs_while_the_app_is_closed_and_start_keeps_it_running(student_client, strict_exam):
    with time_machine.travel(_soon(strict_exam), tick=False) as clock:
        attempt = begin(student_client, strict_exam)
        clock.shift(20 * MINUTE)
        beat = ok(act(student_client, attempt, "heartbeat"))
        clock.shift(MINUTE)
        started = ok(act(student_client, attempt, "start"))
    assert (beat["state"], beat["time_taken"], beat["remaining_time"]) == ("Running", "0:20:00", "0:10:00")
    assert (started["state"], started["time_taken"], started["remaining_time"]) == (
        "Running",
        "0:21:00",
        "0:09:00",
    )


def test_the_deadline_never_passes_the_exams_end(student_client, exam_of, now):
    exam = exam_of("R", disable_attempt_resume=True, end_date=now + timedelta(minutes=11))
    with time_machine.travel(now + MINUTE, tick=False) as clock:
        attempt = begin(student_client, exam)
        assert attempt["remaining_time"] == "0:10:00"
        clock.shift(10 * MINUTE)
        body = ok(student_client.get(attempt["url"]))
    assert (body["state"], body["time_taken"]) == ("Completed", "0:10:00")


# Each endpoint, met first after the deadline: what it answers, and the attempt as a read prints it.
PAST_THE_DEADLINE = {
    "detail": lambda c, a, e, i: c.get(a["url"]),
    "list": lambda c, a, e, i: c.get("/api/v2.1/attempts/"),
    "exam attempts": lambda c, a, e, i: c.get(f"{EXAMS}{e.slug}/attempts/"),
    "exam detail": lambda c, a, e, i: c.get(f"{EXAMS}{e.slug}/"),
    "questions": lambda c, a, e, i: c.get(a["questions_url"]),
    "save": lambda c, a, e, i: answer(c, i, selected_answers=correct_ids(question_of(i))),
    "heartbeat": lambda c, a, e, i: act(c, a, "heartbeat"),
    "start": lambda c, a, e, i: act(c, a, "start"),
    "end": lambda c, a, e, i: act(c, a, "end"),
}
STATUS = {"questions": 409, "save": 409, "start": 409, "end": 409}


@pytest.mark.parametrize("endpoint", list(PAST_THE_DEADLINE))
def test_past_the_deadline_every_endpoint_sees_it_completed_with_what_was_saved(
    student_client, strict_exam, endpoint
):
    with time_machine.travel(_soon(strict_exam), tick=False) as clock:
        attempt = begin(student_client, strict_exam)
        first, second = questions(student_client, attempt)
        ok(answer(student_client, first, selected_answers=correct_ids(question_of(first))))
        # The app is closed for the rest of the half hour: no request in between.
        clock.shift(30 * MINUTE)
        response = PAST_THE_DEADLINE[endpoint](student_client, attempt, strict_exam, second)
        read = ok(student_client.get(attempt["url"]))
    assert response.status_code == STATUS.get(endpoint, 200), response.content
    if response.status_code == 409:
        assert response.json()["error_code"] == "attempt_completed"
    assert AttemptItem.objects.get(pk=second["id"]).selected_answers == []
    assert (
        read["state"],
        read["correct_count"],
        read["score"],
        read["time_taken"],
        read["remaining_time"],
    ) == (
        "Completed",
        1,
        "1.00",
        "0:30:00",
        "0:00:00",
    )
    stored = Attempt.objects.get(pk=attempt["id"])
    assert stored.completed_at == _soon(strict_exam) + 30 * MINUTE


def test_the_sweep_ends_a_strict_attempt_nobody_looks_at(student_client, strict_exam):
    with time_machine.travel(_soon(strict_exam), tick=False) as clock:
        attempt = begin(student_client, strict_exam)
        clock.shift(30 * MINUTE)
        assert end_overdue_attempts().done == (attempt["id"],)
    assert Attempt.objects.get(pk=attempt["id"]).time_taken == 30 * MINUTE
