"""The server's clock: time counted per request, capped by the grace, and the ways an attempt runs out."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from attempts import errors, timing
from attempts.choices import AttemptState
from attempts.models import Attempt
from attempts.services import (
    _overdue_at,
    attempt_create,
    attempt_heartbeat,
    attempt_save_item,
    attempt_start,
    end_overdue_attempts,
)
from tests.factories import AttemptFactory, ExamFactory, UserFactory

from .conftest import correct_ids

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
GRACE = timedelta(seconds=90)
TEN_AM = datetime(2030, 3, 4, 10, 0, tzinfo=timezone.get_fixed_timezone(330))


def reload(attempt):
    return Attempt.objects.select_related("exam").get(pk=attempt.pk)


@pytest.fixture
def traveller():
    """The wall clock frozen at 10:00, moved by hand: services read it when no `now` is passed.

    Ask for it before exam_of, so the exam's window is set around the frozen time.
    """
    with time_machine.travel(TEN_AM, tick=False) as traveller:
        yield traveller


def test_the_worked_example_of_the_timing_module(traveller, exam_of, student):
    attempt = attempt_create(user=student, exam=exam_of())
    for _ in range(2):
        traveller.shift(MINUTE)
        attempt_heartbeat(attempt=attempt)
    assert reload(attempt).time_taken == 2 * MINUTE
    traveller.move_to(TEN_AM + timedelta(minutes=30))
    beat = attempt_heartbeat(attempt=attempt)
    assert (beat.time_taken, timing.remaining_time_at(beat, TEN_AM + timedelta(minutes=30))) == (
        timedelta(minutes=3, seconds=30),
        timedelta(minutes=26, seconds=30),
    )


def test_time_runs_out_mid_exam_and_the_next_save_is_refused(traveller, exam_of, student):
    attempt = attempt_create(user=student, exam=exam_of("RR"))
    first, second = attempt.items.order_by("order")
    for minute in range(1, 30):
        traveller.shift(MINUTE)
        beat = attempt_heartbeat(attempt=attempt)
        assert (beat.state, timing.remaining_time_at(beat, beat.clock_checked_at)) == (
            AttemptState.RUNNING,
            timedelta(minutes=30 - minute),
        )
    attempt_save_item(attempt=attempt, item=first, selected_answers=correct_ids(first.question))

    traveller.shift(MINUTE)
    beat = attempt_heartbeat(attempt=attempt)
    assert (beat.state, beat.time_taken, beat.completed_at) == (
        AttemptState.COMPLETED,
        timedelta(minutes=30),
        TEN_AM + timedelta(minutes=30),
    )
    assert beat.correct_count == 1

    traveller.shift(timedelta(seconds=10))
    with pytest.raises(errors.AttemptCompleted):
        attempt_save_item(attempt=attempt, item=second, selected_answers=correct_ids(second.question))
    assert second.__class__.objects.get(pk=second.pk).selected_answers == []


def test_the_last_stretch_is_capped_at_the_duration(exam_of, student, now):
    attempt = attempt_create(user=student, exam=exam_of(), now=now)
    Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=29, seconds=50))
    assert attempt_heartbeat(attempt=attempt, now=now + MINUTE).time_taken == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("gap", "charged"),
    [
        (timedelta(seconds=30), timedelta(seconds=30)),
        (GRACE, GRACE),
        (GRACE + timedelta(seconds=1), GRACE),
        (timedelta(minutes=20), GRACE),
        (timedelta(days=3), GRACE),
        (-MINUTE, timedelta(0)),
    ],
)
def test_a_gap_is_charged_at_most_the_grace(exam_of, student, now, gap, charged):
    attempt = attempt_create(user=student, exam=exam_of(), now=now)
    assert attempt_heartbeat(attempt=attempt, now=now + gap).time_taken == charged


def test_the_grace_comes_from_the_settings(exam_of, student, now, settings):
    settings.ATTEMPT_TIME_GRACE = timedelta(seconds=10)
    attempt = attempt_create(user=student, exam=exam_of(), now=now)
    assert attempt_heartbeat(attempt=attempt, now=now + MINUTE).time_taken == timedelta(seconds=10)


def test_a_heartbeat_after_a_long_gap_charges_the_grace_and_keeps_the_attempt_open(exam_of, student, now):
    attempt = attempt_create(user=student, exam=exam_of(), now=now)
    attempt_heartbeat(attempt=attempt, now=now + 5 * MINUTE)
    beat = attempt_heartbeat(attempt=attempt, now=now + timedelta(hours=5))
    assert beat.state == AttemptState.RUNNING
    assert beat.time_taken == 2 * GRACE
    assert beat.clock_checked_at == now + timedelta(hours=5)


def test_a_request_stamped_before_the_last_check_does_not_rewind_the_clock(exam_of, student, now):
    attempt = attempt_create(user=student, exam=exam_of(), now=now)
    attempt_heartbeat(attempt=attempt, now=now + MINUTE)
    late = attempt_heartbeat(attempt=attempt, now=now + timedelta(seconds=30))
    assert (late.time_taken, late.clock_checked_at) == (MINUTE, now + MINUTE)
    assert attempt_heartbeat(attempt=attempt, now=now + 2 * MINUTE).time_taken == 2 * MINUTE


def test_the_exam_closing_ends_the_attempt_and_stops_its_clock_at_the_close(exam_of, student, now):
    exam = exam_of("R", end_date=now + timedelta(minutes=10))
    attempt = attempt_create(user=student, exam=exam, now=now)
    for seconds in range(60, 600, 60):
        attempt_heartbeat(attempt=attempt, now=now + timedelta(seconds=seconds))
    item = attempt.items.get()

    with pytest.raises(errors.AttemptTimeUp):
        attempt_save_item(
            attempt=attempt,
            item=item,
            selected_answers=correct_ids(item.question),
            now=now + timedelta(minutes=11),
        )
    attempt = reload(attempt)
    assert attempt.state == AttemptState.COMPLETED
    # Not 9:00 + the 90 s grace: nothing counts after the exam closed at 10:00.
    assert attempt.time_taken == timedelta(minutes=10)
    assert timing.remaining_time_at(attempt, now + timedelta(minutes=11)) == timedelta(minutes=20)


def test_starting_after_the_exam_closed_is_refused(exam_of, student, now):
    attempt = attempt_create(user=student, exam=exam_of(end_date=now + MINUTE), now=now)
    with pytest.raises(errors.AttemptCompleted):
        attempt_start(attempt=attempt, now=now + timedelta(days=1))
    assert reload(attempt).state == AttemptState.COMPLETED


def test_an_untimed_exam_runs_until_it_closes(exam_of, student, now):
    attempt = attempt_create(
        user=student, exam=exam_of(duration=None, end_date=now + timedelta(days=2)), now=now
    )
    Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(hours=30))
    beat = attempt_heartbeat(attempt=attempt, now=now + timedelta(days=1))
    assert (beat.state, timing.remaining_time_at(beat, now + timedelta(days=1))) == (
        AttemptState.RUNNING,
        None,
    )
    assert attempt_heartbeat(attempt=attempt, now=now + timedelta(days=3)).state == AttemptState.COMPLETED


class TestTimingFunctions:
    def test_no_time_counts_on_a_completed_or_not_started_attempt(self, now):
        exam = ExamFactory.build(end_date=None)
        for state in (AttemptState.COMPLETED, AttemptState.NOT_STARTED):
            attempt = AttemptFactory.build(exam=exam, state=state, clock_checked_at=now)
            assert timing.uncounted_time(attempt, now + MINUTE) == timedelta(0)

    def test_no_time_counts_after_the_exam_closed(self, now):
        exam = ExamFactory.build(end_date=now + timedelta(seconds=20))
        attempt = AttemptFactory.build(exam=exam, clock_checked_at=now)
        assert timing.uncounted_time(attempt, now + timedelta(hours=1)) == timedelta(seconds=20)
        assert timing.is_overdue(attempt, now + timedelta(seconds=20))
        assert not timing.is_overdue(attempt, now + timedelta(seconds=19))

    def test_a_completed_attempt_is_never_overdue(self, now):
        exam = ExamFactory.build(end_date=now)
        attempt = AttemptFactory.build(exam=exam, completed=True, time_taken=timedelta(hours=1))
        assert not timing.is_overdue(attempt, now + timedelta(days=1))


@pytest.mark.parametrize(
    ("taken", "gap", "state"),
    [
        (timedelta(0), timedelta(0), AttemptState.RUNNING),
        (timedelta(minutes=29), timedelta(seconds=59), AttemptState.RUNNING),
        (timedelta(minutes=29), timedelta(seconds=60), AttemptState.RUNNING),
        (timedelta(minutes=29), timedelta(hours=2), AttemptState.RUNNING),
        (timedelta(minutes=28, seconds=30), timedelta(seconds=89), AttemptState.RUNNING),
        (timedelta(minutes=28, seconds=30), timedelta(seconds=90), AttemptState.RUNNING),
        (timedelta(minutes=28, seconds=29), timedelta(hours=2), AttemptState.RUNNING),
        (timedelta(minutes=30), timedelta(0), AttemptState.RUNNING),
        (timedelta(minutes=30), timedelta(0), AttemptState.NOT_STARTED),
        (timedelta(minutes=10), timedelta(hours=2), AttemptState.NOT_STARTED),
        (timedelta(minutes=29), -timedelta(minutes=5), AttemptState.RUNNING),
    ],
)
def test_the_sweeps_query_agrees_with_is_overdue(now, taken, gap, state):
    """end_overdue_attempts picks its candidates in SQL; they must be exactly the overdue ones."""
    exam = ExamFactory(start_date=now - timedelta(days=1), end_date=now + timedelta(days=1))
    attempt = AttemptFactory(
        exam=exam, user=UserFactory(), state=state, time_taken=taken, clock_checked_at=now - gap
    )
    in_sql = Attempt.objects.filter(_overdue_at(now), pk=attempt.pk).exists()
    assert in_sql == timing.is_overdue(reload(attempt), now)
    assert end_overdue_attempts(now=now).done == ((attempt.pk,) if in_sql else ())


# --- Strict mode (exam.disable_attempt_resume): a deadline fixed at creation ---------------------


class TestStrictMode:
    def test_the_worked_example_of_the_timing_module(self, traveller, exam_of, student):
        exam = exam_of(disable_attempt_resume=True, end_date=TEN_AM + timedelta(minutes=20))
        attempt = attempt_create(user=student, exam=exam)
        assert timing.deadline(attempt) == TEN_AM + timedelta(minutes=20)
        traveller.shift(MINUTE)
        attempt_heartbeat(attempt=attempt)
        traveller.move_to(TEN_AM + timedelta(minutes=15))
        beat = attempt_heartbeat(attempt=attempt)
        assert (beat.state, beat.time_taken, timing.remaining_time_at(beat, TEN_AM + 15 * MINUTE)) == (
            AttemptState.RUNNING,
            timedelta(minutes=15),
            timedelta(minutes=5),
        )
        traveller.move_to(TEN_AM + timedelta(minutes=20))
        assert attempt_heartbeat(attempt=attempt).state == AttemptState.COMPLETED

    def test_wall_time_counts_while_the_app_is_closed(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(disable_attempt_resume=True), now=now)
        beat = attempt_heartbeat(attempt=attempt, now=now + 20 * MINUTE)
        assert (beat.time_taken, timing.remaining_time_at(beat, now + 20 * MINUTE)) == (
            20 * MINUTE,
            10 * MINUTE,
        )

    def test_the_deadline_is_created_plus_duration(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(disable_attempt_resume=True), now=now)
        assert timing.deadline(attempt) == now + 30 * MINUTE
        assert not timing.is_overdue(attempt, now + 30 * MINUTE - timedelta(seconds=1))
        assert timing.is_overdue(attempt, now + 30 * MINUTE)

    def test_start_on_a_running_attempt_keeps_its_clock_running(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(disable_attempt_resume=True), now=now)
        started = attempt_start(attempt=attempt, now=now + 10 * MINUTE)
        assert (started.state, started.time_taken) == (AttemptState.RUNNING, 10 * MINUTE)
        assert timing.remaining_time_at(started, now + 25 * MINUTE) == 5 * MINUTE

    def test_past_the_deadline_the_attempt_ends_with_what_was_saved_and_a_save_is_refused(
        self, exam_of, student, now
    ):
        attempt = attempt_create(user=student, exam=exam_of("RR", disable_attempt_resume=True), now=now)
        first, second = attempt.items.order_by("order")
        attempt_save_item(attempt=attempt, item=first, selected_answers=correct_ids(first.question), now=now)
        with pytest.raises(errors.AttemptTimeUp):
            attempt_save_item(
                attempt=attempt,
                item=second,
                selected_answers=correct_ids(second.question),
                now=now + 31 * MINUTE,
            )
        ended = reload(attempt)
        assert (ended.state, ended.time_taken, ended.correct_count, ended.completed_at) == (
            AttemptState.COMPLETED,
            30 * MINUTE,
            1,
            now + 31 * MINUTE,
        )
        with pytest.raises(errors.AttemptCompleted):
            attempt_save_item(attempt=attempt, item=second, selected_answers=[], now=now + 32 * MINUTE)
        assert second.__class__.objects.get(pk=second.pk).selected_answers == []

    def test_a_completed_attempt_keeps_the_time_counted_at_its_end(self, now):
        exam = ExamFactory.build(disable_attempt_resume=True, end_date=None)
        attempt = AttemptFactory.build(exam=exam, completed=True, date=now, time_taken=7 * MINUTE)
        assert timing.time_taken_at(attempt, now + timedelta(days=1)) == 7 * MINUTE
        assert timing.remaining_time_at(attempt, now + timedelta(days=1)) == 23 * MINUTE

    def test_an_untimed_strict_attempt_runs_until_the_exam_closes(self, now):
        exam = ExamFactory.build(disable_attempt_resume=True, duration=None, end_date=now + timedelta(days=1))
        attempt = AttemptFactory.build(exam=exam, date=now)
        assert timing.time_taken_at(attempt, now + timedelta(hours=3)) == timedelta(hours=3)
        assert timing.remaining_time_at(attempt, now + timedelta(hours=3)) is None
        assert not timing.is_overdue(attempt, now + timedelta(hours=23))
        assert timing.is_overdue(attempt, now + timedelta(days=1))


@pytest.mark.parametrize(
    ("age", "state", "closes_in"),
    [
        (timedelta(0), AttemptState.RUNNING, timedelta(days=1)),
        (timedelta(minutes=29, seconds=59), AttemptState.RUNNING, timedelta(days=1)),
        (timedelta(minutes=30), AttemptState.RUNNING, timedelta(days=1)),
        (timedelta(hours=5), AttemptState.RUNNING, timedelta(days=1)),
        (timedelta(minutes=29), AttemptState.NOT_STARTED, timedelta(days=1)),
        (timedelta(minutes=31), AttemptState.NOT_STARTED, timedelta(days=1)),
        (timedelta(minutes=5), AttemptState.RUNNING, timedelta(0)),
        (timedelta(minutes=5), AttemptState.RUNNING, timedelta(seconds=1)),
        (-timedelta(minutes=5), AttemptState.RUNNING, timedelta(days=1)),
    ],
)
def test_the_sweeps_query_agrees_with_is_overdue_in_strict_mode(now, age, state, closes_in):
    """The same agreement for strict mode: created + duration (or the close) has passed, whatever
    time_taken and the last check say (here both claim nothing was used)."""
    exam = ExamFactory(
        disable_attempt_resume=True, start_date=now - timedelta(days=1), end_date=now + closes_in
    )
    attempt = AttemptFactory(
        exam=exam,
        user=UserFactory(),
        state=state,
        date=now - age,
        time_taken=timedelta(0),
        clock_checked_at=now,
    )
    in_sql = Attempt.objects.filter(_overdue_at(now), pk=attempt.pk).exists()
    assert in_sql == timing.is_overdue(reload(attempt), now)
    assert end_overdue_attempts(now=now).done == ((attempt.pk,) if in_sql else ())
