from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from attempts import analytics
from attempts.choices import AttemptResult, AttemptState, ItemResult
from tests.factories import AttemptFactory, AttemptItemFactory, ExamFactory, ExamQuestionFactory

pytestmark = pytest.mark.django_db

KOLKATA = ZoneInfo("Asia/Kolkata")
OK, NO, SKIP, WAIT = ItemResult.CORRECT, ItemResult.INCORRECT, ItemResult.UNANSWERED, ItemResult.PENDING

# (started, in Kolkata; state; score; percentage; result; the items' results for Q1, Q2, Q3)
ATTEMPTS = [
    ((2025, 3, 1, 9, 0), AttemptState.COMPLETED, "8", "80", AttemptResult.PASS, (OK, NO, SKIP)),
    ((2025, 3, 1, 23, 30), AttemptState.COMPLETED, "4", "40", AttemptResult.FAIL, (OK, OK, WAIT)),
    ((2025, 3, 3, 10, 0), AttemptState.COMPLETED, "10", "100", AttemptResult.PASS, (NO, OK, OK)),
    ((2025, 3, 3, 11, 0), AttemptState.COMPLETED, "1", "10", AttemptResult.FAIL, (SKIP, NO, OK)),
    ((2025, 3, 3, 12, 0), AttemptState.COMPLETED, "-1", "-10", AttemptResult.FAIL, (OK, SKIP, NO)),
    # 00:30 in Kolkata is the evening before in UTC: it counts on 2 March.
    ((2025, 3, 2, 0, 30), AttemptState.RUNNING, "0", "0", AttemptResult.NOT_TAKEN, (OK, "", "")),
    ((2025, 3, 5, 10, 0), AttemptState.NOT_STARTED, "0", "0", AttemptResult.NOT_TAKEN, ("", "", "")),
]


@pytest.fixture
def exam():
    """Seven attempts of a three-question exam, plus another exam's attempt that must not count."""
    exam = ExamFactory(start_date=datetime(2025, 2, 1, tzinfo=KOLKATA), end_date=None)
    questions = [ExamQuestionFactory(exam=exam, order=order).question for order in (1, 2, 3)]
    for started, state, score, percentage, result, outcomes in ATTEMPTS:
        attempt = AttemptFactory(
            exam=exam,
            date=datetime(*started, tzinfo=KOLKATA),
            state=state,
            score=Decimal(score),
            percentage=Decimal(percentage),
            result=result,
        )
        for question, outcome in zip(questions, outcomes, strict=True):
            AttemptItemFactory(attempt=attempt, question=question, result=outcome)
    other = AttemptFactory(completed=True, score=Decimal("9"), percentage=Decimal("90"), result="pass")
    AttemptItemFactory(attempt=other, question=questions[1], result=OK)
    return exam


def test_summary(exam):
    assert analytics.exam_summary(exam) == analytics.Summary(
        attempts=7,
        completed=5,
        # (8 + 4 + 10 + 1 − 1) / 5
        average_score=Decimal("4.40"),
        # 2 passed of 5 completed
        pass_rate=Decimal("40.0"),
    )


def test_summary_of_an_exam_nobody_took():
    assert analytics.exam_summary(ExamFactory()) == analytics.Summary(0, 0, None, None)


def test_score_distribution_counts_completed_attempts_by_band_of_ten_percent(exam):
    counts = {bucket.label: bucket.count for bucket in analytics.score_distribution(exam)}
    assert list(counts) == [f"{n}–{n + 10}%" for n in range(0, 100, 10)]
    # −10 % falls in the first band, 10 % opens the second, 100 % closes the last.
    assert counts == {
        "0–10%": 1,
        "10–20%": 1,
        "20–30%": 0,
        "30–40%": 0,
        "40–50%": 1,
        "50–60%": 0,
        "60–70%": 0,
        "70–80%": 0,
        "80–90%": 1,
        "90–100%": 1,
    }


def test_attempts_per_day_in_the_site_zone_with_empty_days_as_zero(exam):
    with timezone.override(KOLKATA):
        days = analytics.attempts_per_day(exam)
    assert [(d.day, d.count) for d in days] == [
        (date(2025, 3, 1), 2),
        (date(2025, 3, 2), 1),
        (date(2025, 3, 3), 3),
        (date(2025, 3, 4), 0),
        (date(2025, 3, 5), 1),
    ]


def test_attempts_per_day_follow_the_zone(exam):
    with timezone.override(ZoneInfo("UTC")):
        days = analytics.attempts_per_day(exam)
    # In UTC the 23:30 and 00:30 Kolkata starts are both on 1 March (18:00 and 19:00).
    assert [(d.day, d.count) for d in days[:3]] == [
        (date(2025, 3, 1), 3),
        (date(2025, 3, 2), 0),
        (date(2025, 3, 3), 3),
    ]


def test_correct_percentage_per_question_over_judged_items_of_completed_attempts(exam):
    outcomes = analytics.question_outcomes(exam)
    assert [(o.order, o.judged, o.correct, o.correct_percentage) for o in outcomes] == [
        (1, 5, 3, Decimal("60.00")),
        (2, 5, 2, Decimal("40.00")),
        # the pending essay is not judged yet
        (3, 4, 2, Decimal("50.00")),
    ]


def test_a_question_no_completed_attempt_reached_has_no_percentage():
    exam = ExamFactory()
    ExamQuestionFactory(exam=exam)
    [outcome] = analytics.question_outcomes(exam)
    assert (outcome.judged, outcome.correct_percentage) == (0, None)


def test_each_figure_is_one_query(exam, django_assert_num_queries):
    with django_assert_num_queries(1):
        analytics.exam_summary(exam)
    with django_assert_num_queries(1):
        analytics.score_distribution(exam)
    with django_assert_num_queries(1):
        analytics.attempts_per_day(exam)
    with django_assert_num_queries(2):
        analytics.question_outcomes(exam)
