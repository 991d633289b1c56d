"""Score tallies: who moves them, how they are recounted, and ranks read from them.

The services that end and re-score attempts move the tallies, and a delete hook covers cascades and
the admin's delete; nothing else does.
"""

import logging
import random
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from attempts import scoring
from attempts.choices import AttemptState
from attempts.models import RANKED, Attempt, ScoreTally
from attempts.selectors import NOT_RANKED, ranked_attempts, standing, with_standing
from attempts.services import (
    attempt_create,
    attempt_end,
    attempt_rescore,
    attempt_save_item,
    end_overdue_attempts,
    item_mark_essay,
)
from attempts.tallies import rebuild_tallies
from tests.factories import AttemptFactory, ExamFactory, UserFactory

from .conftest import build_exam, correct_ids

pytestmark = pytest.mark.django_db

MINUTE = timezone.timedelta(minutes=1)


def tallies(exam) -> dict:
    return {t.score: t.count for t in ScoreTally.objects.filter(exam=exam) if t.count}


# --- What a ranked attempt is ----------------------------------------------------------------


def test_the_sql_and_the_python_spelling_of_ranked_agree():
    exam = ExamFactory()
    rows = [
        Attempt(exam=exam, user=UserFactory(), state=state, attempt_number=number)
        for state in AttemptState
        for number in (1, 2, 3)
    ]
    Attempt.objects.bulk_create(rows)
    in_python = {a.pk for a in Attempt.objects.all() if a.is_ranked}
    assert set(Attempt.objects.filter(RANKED).values_list("pk", flat=True)) == in_python
    assert set(ranked_attempts().values_list("pk", flat=True)) == in_python
    assert len(in_python) == 1  # only the completed first attempt


# --- The services move the tallies -----------------------------------------------------------


def test_ending_a_first_attempt_counts_its_score_and_ending_a_retake_does_not(student, now):
    exam = build_exam("RR", start_date=now - timezone.timedelta(days=1))
    first = attempt_create(user=student, exam=exam, now=now)
    assert tallies(exam) == {}
    attempt_end(attempt=first, now=now)
    assert tallies(exam) == {D("0.00"): 1}
    retake = attempt_create(user=student, exam=exam, now=now)
    for item in retake.items.select_related("question"):
        attempt_save_item(attempt=retake, item=item, selected_answers=correct_ids(item.question), now=now)
    attempt_end(attempt=retake, now=now)
    assert tallies(exam) == {D("0.00"): 1}


def test_the_sweep_counts_the_attempts_it_ends(student, now):
    exam = build_exam("R", start_date=now - timezone.timedelta(days=1), end_date=now + MINUTE)
    attempt_create(user=student, exam=exam, now=now)
    assert end_overdue_attempts(now=now + 2 * MINUTE) == 1
    assert tallies(exam) == {D("0.00"): 1}


def test_marking_an_essay_moves_the_attempt_to_its_new_score(student, now):
    exam = build_exam("E", start_date=now - timezone.timedelta(days=1))
    attempt = Attempt.objects.create(exam=exam, user=student, date=now, clock_checked_at=now)
    item = attempt.items.create(question=exam.questions.get(), essay_text="An answer.")
    attempt_end(attempt=attempt, now=now)
    item_mark_essay(item=item, marks=D("1"), now=now)
    assert tallies(exam) == {D("1.00"): 1}
    item_mark_essay(item=item, marks=None, now=now)
    assert tallies(exam) == {D("0.00"): 1}


def test_rescoring_after_a_key_change_moves_the_count():
    exam = ExamFactory()
    attempt = AttemptFactory(exam=exam, completed=True, score=D("5"))
    attempt_rescore(attempt=attempt)  # no items: the engine scores it 0
    assert tallies(exam) == {D("0.00"): 1}


def test_deleting_attempts_or_their_user_takes_them_out():
    exam = ExamFactory()
    AttemptFactory(exam=exam, completed=True, score=D("4"))
    deleted = AttemptFactory.create_batch(2, exam=exam, completed=True, score=D("6"))
    deleted[0].delete()
    deleted[1].user.delete()
    assert tallies(exam) == {D("4.00"): 1}


def test_a_save_outside_the_services_moves_no_tally(student):
    exam = ExamFactory()
    attempt = Attempt.objects.create(exam=exam, user=student, state=AttemptState.COMPLETED, score=D("3"))
    attempt.score = D("4")
    attempt.save()
    Attempt(pk=attempt.pk, exam=exam, user=student, state=AttemptState.COMPLETED, score=D("5")).save()
    assert tallies(exam) == {}


def test_taking_away_what_a_tally_does_not_hold_is_logged_as_drift_and_stops_at_zero(caplog):
    exam = ExamFactory()
    counted = AttemptFactory(exam=exam, completed=True, score=D("2"))
    # Inserted around the services, so in no tally.
    (uncounted,) = Attempt.objects.bulk_create(
        [Attempt(exam=exam, user=UserFactory(), state=AttemptState.COMPLETED, score=D("2"))]
    )
    with caplog.at_level(logging.WARNING, logger="attempts.tallies"):
        uncounted.delete()  # takes the other's count: a tally cannot tell its attempts apart
        assert caplog.records == []
        counted.delete()
    assert ScoreTally.objects.get(exam=exam).count == 0
    assert [r.getMessage() for r in caplog.records] == [
        f"Score tally drift: exam {exam.pk} has no ranked attempt at 2.00 to take away; "
        "run `manage.py rebuild_score_tallies`."
    ]


# --- Recounting ----------------------------------------------------------------------------


def test_rebuild_gives_the_tallies_the_services_kept():
    exams = ExamFactory.create_batch(2)
    rng = random.Random(7)
    for _ in range(40):
        AttemptFactory(
            exam=rng.choice(exams),
            completed=rng.random() < 0.8,
            score=D(rng.randint(-8, 40)) / 4,
            attempt_number=1 if rng.random() < 0.8 else 2,
        )
    kept = {exam.pk: tallies(exam) for exam in exams}
    ScoreTally.objects.all().delete()
    call_command("rebuild_score_tallies", stdout=StringIO())
    assert {exam.pk: tallies(exam) for exam in exams} == kept
    assert rebuild_tallies(exam_ids=[exams[0].pk]) == len(kept[exams[0].pk])


# --- Ranks served from the tallies equal the rule over the ranked scores --------------------


def test_the_served_rank_and_percentile_equal_the_rule_over_the_ranked_scores():
    """200 random attempts (ties, every state, retakes, an exam whose ranks are not out yet)."""
    rng = random.Random(2024)
    now = timezone.now()
    exams = [
        ExamFactory(enable_ranks=True, rank_publishing_date=None),
        ExamFactory(enable_ranks=True, rank_publishing_date=now - MINUTE),
        ExamFactory(enable_ranks=True, rank_publishing_date=now + timezone.timedelta(days=1)),
    ]
    users = UserFactory.create_batch(40)
    numbers, open_pairs, made = {}, set(), []
    for _ in range(200):
        exam, user = rng.choice(exams), rng.choice(users)
        pair = (exam.pk, user.pk)
        numbers[pair] = numbers.get(pair, 0) + 1
        state = rng.choices(list(AttemptState), weights=[15, 70, 15])[0]
        if pair in open_pairs:
            state = AttemptState.COMPLETED  # one open attempt per user and exam
        if state != AttemptState.COMPLETED:
            open_pairs.add(pair)
        score = D(rng.randint(-6, 14)) / 2
        made.append(
            AttemptFactory(exam=exam, user=user, attempt_number=numbers[pair], state=state, score=score)
        )

    ranked_scores = {
        exam.pk: [
            a.score
            for a in made
            if a.exam_id == exam.pk and a.state == AttemptState.COMPLETED and a.attempt_number == 1
        ]
        for exam in exams
    }
    served = with_standing(Attempt.objects.filter(exam__in=exams)).select_related("exam")
    seen = 0
    for attempt in served:
        result = standing(attempt, now=now)
        if attempt.state != AttemptState.COMPLETED:
            expected = (NOT_RANKED, 0, D(0))
        else:
            rank, percentile = scoring.rank_among(attempt.score, ranked_scores[attempt.exam_id])
            if attempt.exam.ranks_published(now):
                expected = (rank, len(ranked_scores[attempt.exam_id]), percentile)
            else:
                expected = (NOT_RANKED, 0, percentile)
        assert (result.rank, result.max_rank, result.percentile) == expected, attempt.pk
        seen += 1
    assert seen == 200
    # The data had what the rule must get right: ties, retakes, attempts not completed.
    scores = ranked_scores[exams[0].pk]
    assert len(set(scores)) < len(scores)
    assert any(a.attempt_number > 1 and a.state == AttemptState.COMPLETED for a in made)
    assert any(a.attempt_number == 1 and a.state != AttemptState.COMPLETED for a in made)
