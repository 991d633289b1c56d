"""The scoring rules as tables: no database, plain values."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from attempts import scoring
from attempts.choices import AttemptResult, ItemResult
from attempts.scoring import AnswerKey, ItemScore, Response

CORRECT, INCORRECT = ItemResult.CORRECT, ItemResult.INCORRECT
UNANSWERED, PENDING = ItemResult.UNANSWERED, ItemResult.PENDING


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9.81", D("9.81")),
        (" -3 ", D("-3")),
        ("+0.5", D("0.5")),
        ("1e3", D("1000")),
        ("", None),
        ("   ", None),
        ("abc", None),
        ("1,5", None),
        ("NaN", None),
        ("Infinity", None),
        ("-inf", None),
        # The bounds: 15 significant digits, 15 decimal places, less than 10^15.
        ("123456789012345", D("123456789012345")),
        ("1234567890123456", None),
        ("0.000000000000001", D("1E-15")),
        ("0.0000000000000001", None),
        ("999999999999999e0", D("999999999999999")),
        ("1e15", None),
        ("-1e14", D("-1E+14")),
        ("1.50000000000000000000000", D("1.5")),
        ("0e-999999", D("0")),
        ("-0", D("0")),
        ("1e999999999", None),
        ("-1e999999999", None),
        ("1e-999999999", None),
        ("1e9999999999999999999", None),
    ],
)
def test_parse_numerical(text, value):
    assert scoring.parse_numerical(text) == value


# Single correct choice worth 4, −1 when wrong; choice 7 is the correct one.
@pytest.mark.parametrize(
    ("selected", "result", "marks"),
    [
        ([7], CORRECT, D("4")),
        ([8], INCORRECT, D("-1")),
        ([7, 8], INCORRECT, D("-1")),
        ([], UNANSWERED, D("0")),
    ],
)
def test_single_choice(selected, result, marks):
    key = AnswerKey("R", correct_ids=frozenset({7}))
    score = scoring.score_item(key, Response(tuple(selected)), marks=D("4"), negative_marks=D("1"))
    assert score == ItemScore(result, marks)


# Several correct choices (1 and 2) worth 2, −0.5 when wrong: all and only the correct ones.
@pytest.mark.parametrize(
    ("selected", "result", "marks"),
    [
        ([1, 2], CORRECT, D("2")),
        ([2, 1], CORRECT, D("2")),
        ([1], INCORRECT, D("-0.5")),
        ([1, 2, 3], INCORRECT, D("-0.5")),
        ([3], INCORRECT, D("-0.5")),
        ([], UNANSWERED, D("0")),
    ],
)
def test_multiple_choice(selected, result, marks):
    key = AnswerKey("C", correct_ids=frozenset({1, 2}))
    score = scoring.score_item(key, Response(tuple(selected)), marks=D("2"), negative_marks=D("0.5"))
    assert score == ItemScore(result, marks)


def test_multiple_choice_without_a_correct_choice_is_never_correct():
    assert scoring.judge_item(AnswerKey("C"), Response((1,))) == INCORRECT


# Numerical: 9.81 ± 0.01, worth 3, −1 when wrong.
@pytest.mark.parametrize(
    ("text", "result", "marks"),
    [
        ("9.81", CORRECT, D("3")),
        ("9.8", CORRECT, D("3")),
        ("9.82", CORRECT, D("3")),
        (" 9.810 ", CORRECT, D("3")),
        ("9.79", INCORRECT, D("-1")),
        ("-9.81", INCORRECT, D("-1")),
        ("", UNANSWERED, D("0")),
        ("nine", INCORRECT, D("-1")),
    ],
)
def test_numerical(text, result, marks):
    key = AnswerKey("N", numerical_answer=D("9.81"), numerical_tolerance=D("0.01"))
    score = scoring.score_item(key, Response(short_text=text), marks=D("3"), negative_marks=D("1"))
    assert score == ItemScore(result, marks)


def test_numerical_with_no_tolerance_wants_the_exact_value():
    key = AnswerKey("N", numerical_answer=D("42"))
    assert scoring.judge_item(key, Response(short_text="42.000")) == CORRECT
    assert scoring.judge_item(key, Response(short_text="42.001")) == INCORRECT


def test_numerical_without_a_stored_answer_is_never_correct():
    assert scoring.judge_item(AnswerKey("N"), Response(short_text="0")) == INCORRECT


@pytest.mark.parametrize("text", ["1e999999999", "-1e999999999", "1e-999999999", "9" * 100])
@pytest.mark.parametrize("answer", [D("9.81"), D("0"), D("-99999999999999.999999")])
def test_a_stored_number_outside_the_bounds_is_incorrect_and_never_raises(text, answer):
    key = AnswerKey("N", numerical_answer=answer, numerical_tolerance=D("99999999999999.999999"))
    assert scoring.judge_item(key, Response(short_text=text)) == INCORRECT


@pytest.mark.parametrize(
    ("stored", "selected_ids"),
    [
        ([7, 8], (7, 8)),
        ([], ()),
        (None, ()),
        ({}, ()),
        ([7, "8"], (7, 0)),
        ([True], (0,)),
        ([[7]], (0,)),
        ("7", (0,)),
        ({"7": 1}, (0,)),
    ],
)
def test_a_stored_selection_that_is_not_a_list_of_ids_reads_as_no_real_answer(stored, selected_ids):
    response = Response.stored(stored, "", "")
    assert response.selected_ids == selected_ids
    key = AnswerKey("C", frozenset({7, 8}))
    expected = UNANSWERED if not selected_ids else CORRECT if selected_ids == (7, 8) else INCORRECT
    assert scoring.judge_item(key, response) == expected


# Essays: pending once written, then what staff gave; never a negative mark.
@pytest.mark.parametrize(
    ("text", "staff", "result", "marks"),
    [
        ("An answer.", None, PENDING, D("0")),
        ("  ", None, UNANSWERED, D("0")),
        ("An answer.", D("3"), CORRECT, D("3")),
        ("An answer.", D("5"), CORRECT, D("5")),
        ("An answer.", D("0"), INCORRECT, D("0")),
    ],
)
def test_essay(text, staff, result, marks):
    response = Response(essay_text=text)
    score = scoring.score_item(
        AnswerKey("E"), response, marks=D("5"), negative_marks=D("2"), essay_marks=staff
    )
    assert score == ItemScore(result, marks)


@pytest.mark.parametrize(
    ("score", "total", "expected"),
    [
        (D("8"), D("20"), D("40.00")),
        (D("2"), D("3"), D("66.67")),
        (D("-3"), D("10"), D("-30.00")),
        (D("0"), D("0"), D("0.00")),
        (D("5"), D("0"), D("0.00")),
    ],
)
def test_percentage_keeps_its_sign(score, total, expected):
    assert scoring.percentage(score, total) == expected


@pytest.mark.parametrize(
    ("correct", "incorrect", "expected"),
    [(2, 1, 67), (1, 7, 13), (1, 2, 33), (3, 0, 100), (0, 3, 0), (0, 0, 0)],
)
def test_accuracy(correct, incorrect, expected):
    assert scoring.accuracy(correct, incorrect) == expected


@pytest.mark.parametrize(
    ("answered", "taken", "expected"),
    [
        (10, timedelta(minutes=20), 30),
        (1, timedelta(minutes=7), 9),
        (3, timedelta(hours=2), 2),
        (5, timedelta(0), 0),
        (5, None, 0),
        (0, timedelta(minutes=5), 0),
    ],
)
def test_speed_is_answers_per_hour(answered, taken, expected):
    assert scoring.speed(answered, taken) == expected


@pytest.mark.parametrize(
    ("score", "total", "pass_percentage", "expected"),
    [
        (D("8"), D("20"), D("40"), AttemptResult.PASS),
        (D("7.99"), D("20"), D("40"), AttemptResult.FAIL),
        (D("-1"), D("20"), D("0"), AttemptResult.FAIL),
        (D("0"), D("20"), D("0"), AttemptResult.PASS),
        (D("0"), D("0"), D("0"), AttemptResult.PASS),
        (D("0"), D("0"), D("50"), AttemptResult.FAIL),
    ],
)
def test_pass_or_fail(score, total, pass_percentage, expected):
    assert scoring.passed(score, total, pass_percentage) == expected


def test_totals_two_wrong_at_minus_two_each_cancel_one_right():
    items = [
        ItemScore(CORRECT, D("4")),
        ItemScore(INCORRECT, D("-2")),
        ItemScore(INCORRECT, D("-2")),
        ItemScore(UNANSWERED, D("0")),
    ]
    totals = scoring.attempt_totals(
        items, total_marks=D("16"), time_taken=timedelta(minutes=15), pass_percentage=D("0")
    )
    assert totals == scoring.Totals(
        score=D("0"),
        total_marks=D("16"),
        correct_count=1,
        incorrect_count=2,
        unanswered_count=1,
        pending_count=0,
        percentage=D("0.00"),
        accuracy=33,
        speed=12,
        result=AttemptResult.PASS,
    )


def test_totals_pending_essays_score_nothing_yet_but_count_as_answered():
    items = [ItemScore(CORRECT, D("1")), ItemScore(PENDING, D("0")), ItemScore(PENDING, D("0"))]
    totals = scoring.attempt_totals(
        items, total_marks=D("11"), time_taken=timedelta(hours=1), pass_percentage=D("50")
    )
    assert (totals.score, totals.pending_count, totals.accuracy, totals.speed) == (D("1"), 2, 100, 3)
    assert totals.percentage == D("9.09")
    assert totals.result == AttemptResult.FAIL


def test_totals_can_go_below_zero():
    items = [ItemScore(INCORRECT, D("-1"))] * 3 + [ItemScore(UNANSWERED, D("0"))] * 7
    totals = scoring.attempt_totals(items, total_marks=D("10"), time_taken=None, pass_percentage=D("0"))
    assert (totals.score, totals.percentage, totals.speed) == (D("-3"), D("-30.00"), 0)


def test_totals_of_nothing():
    totals = scoring.attempt_totals([], total_marks=D("0"), time_taken=None, pass_percentage=D("0"))
    assert (totals.score, totals.percentage, totals.accuracy, totals.speed) == (D("0"), D("0.00"), 0, 0)


# Ranked scores 9, 7, 7, 5.
@pytest.mark.parametrize(
    ("score", "rank", "percentile"),
    [
        (D("9"), 1, D("100.00")),
        (D("7"), 2, D("75.00")),
        (D("5"), 4, D("25.00")),
        (D("8"), 2, D("75.00")),  # a retake's score, not among them, stands where it would
        (D("10"), 1, D("100.00")),
        (D("4"), 5, D("0.00")),
    ],
)
def test_rank_and_percentile_share_ties(score, rank, percentile):
    assert scoring.rank_among(score, [D("9"), D("7"), D("7"), D("5")]) == (rank, percentile)


@pytest.mark.parametrize(
    ("higher", "ranked", "expected"),
    [
        (0, 1, (1, D("100.00"))),
        (1, 3, (2, D("66.67"))),
        (2, 3, (3, D("33.33"))),
        (31, 32, (32, D("3.13"))),  # 3.125: halves round up, not to even
        (7, 8, (8, D("12.50"))),
        (0, 0, (1, D("0.00"))),
    ],
)
def test_rank_is_one_more_than_the_higher_and_percentile_has_two_decimals(higher, ranked, expected):
    rank, percentile = scoring.rank_and_percentile(higher=higher, ranked=ranked)
    assert (rank, percentile) == expected
    assert percentile.as_tuple().exponent == -2
