"""Races between real requests: threads, each on its own PostgreSQL connection, started together."""

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connections
from django.utils import timezone

from attempts import errors
from attempts.choices import AttemptState
from attempts.models import Attempt, AttemptItem
from attempts.services import (
    attempt_create,
    attempt_end,
    attempt_heartbeat,
    attempt_save_item,
    end_overdue_attempts,
)
from tests.factories import UserFactory

from .conftest import correct_ids

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    """Run the calls in threads released at the same instant; each one's result or exception, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test, a refusal included
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (a lock never released?)"
    return outcomes


def kinds(outcomes):
    return sorted(type(outcome).__name__ for outcome in outcomes)


def test_two_simultaneous_creates_make_one_attempt_and_one_409(exam_of, student):
    exam = exam_of("RCNE")
    outcomes = run_together(*[lambda: attempt_create(user=student, exam=exam)] * 2)

    assert kinds(outcomes) == ["Attempt", "AttemptRunning"]
    created = next(o for o in outcomes if isinstance(o, Attempt))
    refused = next(o for o in outcomes if isinstance(o, errors.AttemptRunning))
    assert refused.extra == {"attempt_id": created.pk}
    assert Attempt.objects.filter(exam=exam, user=student).count() == 1
    assert AttemptItem.objects.filter(attempt=created).count() == 4


def test_ten_simultaneous_creates_without_retakes_make_one_attempt(exam_of, student):
    exam = exam_of(allow_retake=True, max_retakes=0)
    outcomes = run_together(*[lambda: attempt_create(user=student, exam=exam)] * 10)

    assert sum(isinstance(o, Attempt) for o in outcomes) == 1
    assert all(isinstance(o, Attempt | errors.AttemptRunning | errors.RetakesExhausted) for o in outcomes)
    assert Attempt.objects.filter(exam=exam, user=student).count() == 1


def test_creates_of_different_users_do_not_block_each_other(exam_of):
    exam = exam_of()
    users = UserFactory.create_batch(5)
    outcomes = run_together(*[lambda user=user: attempt_create(user=user, exam=exam) for user in users])
    assert kinds(outcomes) == ["Attempt"] * 5


def test_a_save_racing_the_end_is_in_the_score_or_refused(exam_of):
    exam = exam_of("RR", mark_per_question=D("4"), negative_marks=D("1"))
    seen = set()
    for _ in range(20):
        attempt = attempt_create(user=UserFactory(), exam=exam)
        first, second = attempt.items.select_related("question").order_by("order")
        attempt_save_item(attempt=attempt, item=first, selected_answers=correct_ids(first.question))
        answer = correct_ids(second.question)

        saved, ended = run_together(
            lambda attempt=attempt, second=second, answer=answer: attempt_save_item(
                attempt=attempt, item=second, selected_answers=answer
            ),
            lambda attempt=attempt: attempt_end(attempt=attempt),
        )

        assert isinstance(ended, Attempt), ended
        final = Attempt.objects.get(pk=attempt.pk)
        stored = AttemptItem.objects.get(pk=second.pk)
        assert final.state == AttemptState.COMPLETED
        if isinstance(saved, AttemptItem):
            seen.add("saved first")
            assert (final.score, final.correct_count, stored.selected_answers) == (D("8"), 2, answer)
        else:
            seen.add("refused")
            assert isinstance(saved, errors.AttemptCompleted), saved
            assert (final.score, final.correct_count, stored.selected_answers) == (D("4"), 1, [])
        assert final.score == ended.score
    assert seen  # which orders happened depends on the scheduler; each round must be consistent


def test_ending_twice_at_once_scores_once(exam_of, student):
    attempt = attempt_create(user=student, exam=exam_of("R"))
    outcomes = run_together(*[lambda: attempt_end(attempt=attempt)] * 3)
    assert kinds(outcomes) == ["Attempt", "AttemptCompleted", "AttemptCompleted"]


def test_the_sweep_and_a_save_on_an_overdue_attempt_complete_it_once(exam_of, student):
    attempt = attempt_create(user=student, exam=exam_of("R"))
    Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=30))
    item = attempt.items.get()
    swept, saved = run_together(
        lambda: end_overdue_attempts(),
        lambda: attempt_save_item(attempt=attempt, item=item, selected_answers=correct_ids(item.question)),
    )
    assert isinstance(saved, errors.AttemptCompleted)
    assert len(swept.done) in (0, 1) and not swept.failed
    final = Attempt.objects.get(pk=attempt.pk)
    assert (final.state, final.score) == (AttemptState.COMPLETED, D("0"))


def test_fifty_simultaneous_creates_make_one_attempt_and_forty_nine_409s(exam_of, student):
    exam = exam_of("RR")
    outcomes = run_together(*[lambda: attempt_create(user=student, exam=exam)] * 50)

    assert kinds(outcomes) == ["Attempt"] + ["AttemptRunning"] * 49
    created = next(o for o in outcomes if isinstance(o, Attempt))
    # Each refusal names the attempt to resume (the API answers it as 409 attempt_running).
    assert {o.extra["attempt_id"] for o in outcomes if isinstance(o, errors.AttemptRunning)} == {created.pk}
    assert list(Attempt.objects.filter(exam=exam, user=student)) == [created]
    assert AttemptItem.objects.filter(attempt=created).count() == 2


def test_two_heartbeats_at_once_count_the_time_once(exam_of, student):
    for _ in range(10):
        attempt = attempt_create(user=student, exam=exam_of("R"))
        # The last request was 30 s ago: both heartbeats see that gap, only one may charge it.
        checked = timezone.now() - timedelta(seconds=30)
        Attempt.objects.filter(pk=attempt.pk).update(clock_checked_at=checked, time_taken=timedelta(0))

        outcomes = run_together(*[lambda attempt=attempt: attempt_heartbeat(attempt=attempt)] * 2)
        elapsed = timezone.now() - checked

        assert kinds(outcomes) == ["Attempt", "Attempt"]
        taken = Attempt.objects.get(pk=attempt.pk).time_taken
        assert timedelta(seconds=30) <= taken <= elapsed
        attempt_end(attempt=attempt)


def test_retakes_under_concurrency_allow_exactly_the_one_left(exam_of, student):
    exam = exam_of("R", allow_retake=True, max_retakes=1)
    attempt_end(attempt=attempt_create(user=student, exam=exam))

    outcomes = run_together(*[lambda: attempt_create(user=student, exam=exam)] * 10)

    assert sum(isinstance(o, Attempt) for o in outcomes) == 1
    assert all(isinstance(o, Attempt | errors.AttemptRunning | errors.RetakesExhausted) for o in outcomes)
    assert sorted(
        Attempt.objects.filter(exam=exam, user=student).values_list("attempt_number", flat=True)
    ) == [
        1,
        2,
    ]


def test_an_end_between_a_saves_read_and_its_write_makes_the_save_a_409_with_nothing_written(
    exam_of, student, monkeypatch
):
    """The save reads the running attempt without a lock; the end commits before the save writes."""
    from attempts import services

    exam = exam_of("R", duration=timedelta(minutes=30))
    attempt = attempt_create(user=student, exam=exam)
    attempt_heartbeat(attempt=attempt)
    item = attempt.items.get()
    write = services.update_if_unchanged

    def end_first(*args, **kwargs):
        ended = run_together(lambda: attempt_end(attempt=Attempt.objects.get(pk=attempt.pk)))
        assert isinstance(ended[0], Attempt), ended
        return write(*args, **kwargs)

    monkeypatch.setattr(services, "update_if_unchanged", end_first)
    with pytest.raises(errors.AttemptCompleted):
        attempt_save_item(attempt=attempt, item=item, selected_answers=correct_ids(item.question))

    ended = Attempt.objects.get(pk=attempt.pk)
    assert (ended.state, ended.unanswered_count, ended.score) == (AttemptState.COMPLETED, 1, D("0.00"))
    assert AttemptItem.objects.get(pk=item.pk).selected_answers == []


def test_a_save_whose_write_waits_for_an_end_then_finds_it_ended(exam_of, student):
    """Many saves and an end at once, each save read before the end committed or after: every save
    either counts in the score or is refused, never both, never neither."""
    exam = exam_of("RRRRRRRR", duration=timedelta(minutes=30))
    attempt = attempt_create(user=student, exam=exam)
    attempt_heartbeat(attempt=attempt)
    items = list(attempt.items.select_related("question").order_by("order"))
    saves = [
        (
            lambda item=item: attempt_save_item(
                attempt=attempt, item=item, selected_answers=correct_ids(item.question)
            )
        )
        for item in items
    ]
    outcomes = run_together(*saves, lambda: attempt_end(attempt=attempt))

    saved = [outcome for outcome in outcomes[:-1] if isinstance(outcome, AttemptItem)]
    refused = [outcome for outcome in outcomes[:-1] if isinstance(outcome, errors.AttemptCompleted)]
    assert len(saved) + len(refused) == len(items)
    ended = Attempt.objects.get(pk=attempt.pk)
    assert ended.correct_count == len(saved)
    assert ended.score == D(len(saved))


def test_heartbeats_racing_saves_count_each_stretch_of_time_once(exam_of, student, now):
    """Unlocked reads, conditional writes: requests that read the same clock write it once; the others
    decide again on the locked row and count only what is left."""
    exam = exam_of("RRRR", duration=timedelta(minutes=30))
    attempt = attempt_create(user=student, exam=exam, now=now)
    attempt_heartbeat(attempt=attempt, now=now)
    later = now + timedelta(seconds=40)
    items = list(attempt.items.select_related("question"))
    calls = [lambda: attempt_heartbeat(attempt=attempt, now=later)] * 4
    calls += [
        (lambda item=item: attempt_save_item(attempt=attempt, item=item, review=True, now=later))
        for item in items
    ]
    outcomes = run_together(*calls)

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    ran = Attempt.objects.get(pk=attempt.pk)
    assert ran.time_taken == timedelta(seconds=40)
    # The 40 s went to one item at most: the save that wrote first; the others counted nothing.
    durations = sorted(AttemptItem.objects.filter(attempt=attempt).values_list("duration", flat=True))
    assert sum(durations, timedelta(0)) <= timedelta(seconds=40)
