"""Per-section, per-subject and per-difficulty breakdowns of a scored attempt."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from attempts.selectors import UNCATEGORIZED, difficulty_stats, section_stats, subject_stats
from attempts.services import attempt_create, attempt_end, attempt_save_item
from exams.models import Subject
from tests.factories import ExamFactory, ExamQuestionFactory, QuestionFactory, SectionFactory

from .conftest import correct_ids, wrong_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_attempt(student, now):
    """Physics (Mechanics ×2, Optics) in section A, one unfiled question in section B; exam −1 per wrong.

    Answers: Mechanics right, Mechanics wrong, Optics right, the unfiled one left blank.
    """
    physics = Subject.objects.create(name="Physics")
    mechanics = Subject.objects.create(name="Mechanics", parent=physics)
    optics = Subject.objects.create(name="Optics", parent=physics)
    exam = ExamFactory(
        start_date=now - timedelta(days=1), end_date=now + timedelta(days=1), negative_marks=D("1.00")
    )
    a, b = SectionFactory(exam=exam, order=1, name="A"), SectionFactory(exam=exam, order=2, name="B")
    plan = [(mechanics, "easy", a), (mechanics, "hard", a), (optics, "easy", a), (None, "", b)]
    for order, (subject, difficulty, section) in enumerate(plan, start=1):
        question = QuestionFactory(with_choices=4, subject=subject, difficulty=difficulty)
        ExamQuestionFactory(exam=exam, question=question, section=section, order=order)

    attempt = attempt_create(user=student, exam=exam, now=now)
    items = list(attempt.items.select_related("question").order_by("order"))
    answers = [
        correct_ids(items[0].question),
        wrong_ids(items[1].question)[:1],
        correct_ids(items[2].question),
    ]
    for minute, (item, chosen) in enumerate(zip(items, answers, strict=False), start=1):
        attempt_save_item(
            attempt=attempt, item=item, selected_answers=chosen, now=now + timedelta(minutes=minute)
        )
    return attempt_end(attempt=attempt, now=now + timedelta(minutes=4)), (physics, mechanics, optics)


def test_sections_count_what_their_questions_scored_in_exam_order(scored_attempt):
    attempt, _ = scored_attempt
    stats = section_stats(attempt)
    assert [s.section.name for s in stats] == ["A", "B"]
    a, b = (s.counts for s in stats)
    assert (a.total, a.correct, a.incorrect, a.unanswered, a.score) == (3, 2, 1, 0, D("1.00"))
    assert (b.total, b.correct, b.incorrect, b.unanswered, b.score) == (1, 0, 0, 1, D("0.00"))
    # Saves one minute apart: each of the three answered items was charged its minute.
    assert a.time_taken == timedelta(minutes=3)


def test_subjects_roll_their_counts_up_to_the_parent(scored_attempt):
    attempt, (physics, mechanics, optics) = scored_attempt
    rows = {row.name: row for row in subject_stats(attempt)}
    assert set(rows) == {"Physics", "Mechanics", "Optics", UNCATEGORIZED}
    assert (rows["Mechanics"].counts.correct, rows["Mechanics"].counts.incorrect) == (1, 1)
    assert rows["Mechanics"].counts.score == D("0.00")
    assert (rows["Optics"].counts.total, rows["Optics"].counts.score) == (1, D("1.00"))
    assert (rows["Physics"].counts.total, rows["Physics"].counts.correct, rows["Physics"].counts.score) == (
        3,
        2,
        D("1.00"),
    )
    assert rows["Physics"].is_leaf is False and rows["Mechanics"].is_leaf is True
    assert rows["Mechanics"].parent_id == physics.pk and rows["Physics"].parent_id is None
    assert rows[UNCATEGORIZED].subject_id is None and rows[UNCATEGORIZED].counts.unanswered == 1


def test_difficulty_levels_count_separately(scored_attempt):
    attempt, _ = scored_attempt
    stats = difficulty_stats(attempt)
    assert (stats["easy"].total, stats["easy"].correct) == (2, 2)
    assert (stats["hard"].total, stats["hard"].incorrect) == (1, 1)
    assert stats[""].unanswered == 1


def test_each_breakdown_costs_the_same_queries_however_many_subjects(
    scored_attempt, django_assert_num_queries
):
    attempt, _ = scored_attempt
    with django_assert_num_queries(2):
        subject_stats(attempt)
    with django_assert_num_queries(1):
        section_stats(attempt)
    with django_assert_num_queries(1):
        difficulty_stats(attempt)
