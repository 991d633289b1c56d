"""Score tallies stay in step with attempts, so ranks read from them equal ranks counted from attempts."""

import random
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from attempts.choices import AttemptState
from attempts.models import Attempt, ScoreTally
from attempts.selectors import standing, with_standing
from attempts.services import attempt_end, attempt_rescore, item_mark_essay
from attempts.tallies import rebuild_tallies
from tests.factories import AttemptFactory, ExamFactory, UserFactory

from .conftest import build_exam

pytestmark = pytest.mark.django_db


def tallies(exam) -> dict:
    return {t.score: t.count for t in ScoreTally.objects.filter(exam=exam) if t.count}


def test_completed_first_attempts_are_counted_and_retakes_and_running_ones_are_not():
    exam = ExamFactory()
    AttemptFactory(exam=exam, completed=True, score=D("7"))
    AttemptFactory(exam=exam, completed=True, score=D("7"))
    AttemptFactory(exam=exam, completed=True, score=D("9"), attempt_number=2)
    AttemptFactory(exam=exam, score=D("3"))
    assert tallies(exam) == {D("7.00"): 2}


def test_ending_an_attempt_counts_its_score(student, now):
    exam = build_exam("RR", start_date=now - timezone.timedelta(days=1))
    attempt = Attempt.objects.create(exam=exam, user=student, date=now, clock_checked_at=now)
    assert tallies(exam) == {}
    attempt_end(attempt=attempt, now=now)
    assert tallies(exam) == {D("0.00"): 1}


def test_marking_an_essay_moves_the_attempt_to_its_new_score(student, now):
    exam = build_exam("E", start_date=now - timezone.timedelta(days=1))
    attempt = Attempt.objects.create(exam=exam, user=student, date=now, clock_checked_at=now)
    item = attempt.items.create(question=exam.questions.get(), essay_text="An answer.")
    attempt_end(attempt=attempt, now=now)
    item_mark_essay(item=item, marks=D("1"), now=now)
    assert tallies(exam) == {D("1.00"): 1}


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


def test_rebuild_gives_the_tallies_the_writes_kept():
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


def test_ranks_from_tallies_equal_ranks_counted_from_the_attempts():
    exam = ExamFactory(enable_ranks=True, rank_publishing_date=None)
    rng = random.Random(11)
    for _ in range(60):
        AttemptFactory(exam=exam, completed=True, score=D(rng.randint(0, 20)) / 2, user=UserFactory())
    ranked = list(Attempt.objects.filter(exam=exam, state=AttemptState.COMPLETED, attempt_number=1))
    now = timezone.now()
    for attempt in with_standing(Attempt.objects.filter(exam=exam)).select_related("exam"):
        above = sum(other.score > attempt.score for other in ranked)
        at_or_below = sum(other.score <= attempt.score for other in ranked)
        result = standing(attempt, now=now)
        assert (result.rank, result.max_rank) == (1 + above, len(ranked))
        assert result.percentile == (D(100 * at_or_below) / len(ranked)).quantize(D("0.01"))
