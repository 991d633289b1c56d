"""seed_load: bulk data whose scores, counts and ranks agree with the items and the engine's rules."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from attempts import scoring, services
from attempts.choices import AttemptState, ItemResult
from attempts.models import Attempt, AttemptItem
from exams.models import Exam


def seed(**options):
    defaults = {"exams": 3, "students": 40, "questions": 6, "attempts": 300, "items_for": 10, "running": 5}
    call_command("seed_load", **{**defaults, **options}, seed=1, stdout=io.StringIO())


@pytest.mark.django_db
def test_loads_the_sizes_asked_for():
    seed()
    assert Exam.objects.count() == 3
    assert Attempt.objects.count() == 300
    assert Attempt.objects.filter(state=AttemptState.RUNNING).count() == 5
    # Items: 10 completed attempts per exam plus the running ones, one item per question.
    assert AttemptItem.objects.count() == (3 * 10 + 5) * 6


@pytest.mark.django_db
def test_scores_are_what_the_items_add_up_to():
    seed()
    itemized = Attempt.objects.filter(state=AttemptState.COMPLETED, items__isnull=False).distinct()
    assert itemized.count() == 30
    for attempt in itemized.annotate(marks=Sum("items__marks")):
        results = Counter(attempt.items.values_list("result", flat=True))
        assert attempt.score == attempt.marks
        assert (attempt.correct_count, attempt.incorrect_count, attempt.unanswered_count) == (
            results[ItemResult.CORRECT],
            results[ItemResult.INCORRECT],
            results[ItemResult.UNANSWERED],
        )
        assert attempt.accuracy == scoring.accuracy(attempt.correct_count, attempt.incorrect_count)
        assert attempt.percentage == scoring.percentage(attempt.score, attempt.total_marks)


@pytest.mark.django_db
def test_attempts_without_items_are_scored_by_the_same_rules():
    seed(items_for=0)
    for attempt in Attempt.objects.filter(state=AttemptState.COMPLETED)[:50]:
        assert attempt.correct_count + attempt.incorrect_count + attempt.unanswered_count == 6
        assert attempt.score == Decimal(4 * attempt.correct_count - attempt.incorrect_count)
        assert attempt.result == scoring.passed(attempt.score, attempt.total_marks, Decimal(40))


@pytest.mark.django_db
def test_each_student_writes_each_exam_once_before_retaking_so_first_attempts_are_ranked():
    seed(students=40, attempts=300)  # 300 attempts over 40 students and 3 exams: some retakes
    numbers = Attempt.objects.values("exam_id", "user_id").annotate(n=Count("id"))
    assert max(row["n"] for row in numbers) == 3
    ranked = Attempt.objects.filter(state=AttemptState.COMPLETED, attempt_number=1)
    assert ranked.values("exam_id", "user_id").distinct().count() == ranked.count() > 0


@pytest.mark.django_db
def test_running_attempts_can_be_taken_on_through_the_engine():
    seed()
    attempt = Attempt.objects.filter(state=AttemptState.RUNNING).first()
    item = attempt.items.select_related("question").first()
    correct = list(item.question.answers.filter(is_correct=True).values_list("pk", flat=True))
    services.attempt_save_item(attempt=attempt, item=item, selected_answers=correct)
    ended = services.attempt_end(attempt=attempt)
    assert ended.state == AttemptState.COMPLETED
    assert ended.correct_count == 1
    assert ended.score == Decimal("4.00")


@pytest.mark.django_db
def test_a_second_run_adds_a_separate_set():
    seed()
    seed()
    assert Attempt.objects.count() == 600
    assert Exam.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options, message",
    [
        ({"attempts": 0}, "--attempts must be at least 1"),
        ({"running": -1}, "--running must be 0 or more"),
        ({"running": 301}, "--running cannot exceed"),
    ],
)
def test_refuses_sizes_that_make_no_sense(options, message):
    with pytest.raises(CommandError, match=message):
        seed(**options)
    assert Attempt.objects.count() == 0


@pytest.mark.django_db
def test_the_score_tallies_ranks_read_match_the_loaded_attempts():
    seed()
    for exam in Exam.objects.all():
        ranked = Attempt.objects.filter(exam=exam, state=AttemptState.COMPLETED, attempt_number=1)
        expected = Counter(ranked.values_list("score", flat=True))
        tallied = {t.score: t.count for t in exam.score_tallies.all()}
        assert tallied == dict(expected) and sum(tallied.values()) > 0
