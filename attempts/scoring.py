"""How an attempt is scored: one item at a time, then the attempt's totals, ranks and percentiles.

Pure functions on plain values (no ORM, no clock), so every rule can be checked with a table.
The services feed them from the database; the selectors feed rank/percentile from SQL counts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from exams.choices import QuestionType

from .choices import AttemptResult, ItemResult

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ItemScore:
    result: ItemResult
    marks: Decimal


@dataclass(frozen=True)
class Totals:
    """What an attempt stores once scored."""

    score: Decimal
    total_marks: Decimal
    correct_count: int
    incorrect_count: int
    unanswered_count: int
    pending_count: int
    percentage: Decimal
    accuracy: int
    speed: int
    result: AttemptResult


# The numbers a student may give: at most 15 significant digits (a double's worth), no digit below
# 10^-15 and less than 10^15 in size. That is wider than any key (a numerical answer holds 14 integer
# and 6 decimal digits), and it keeps the comparison with a key exact enough and far from the decimal
# context's limits: "1e999999999" parses, but subtracting a key from it raises decimal.Overflow.
NUMERICAL_DIGITS = 15
NUMERICAL_ANSWER_RULE = (
    f"Enter a number such as 42 or -3.5, with at most {NUMERICAL_DIGITS} significant digits, "
    f"{NUMERICAL_DIGITS} decimal places and less than 10^{NUMERICAL_DIGITS} in size."
)


def parse_numerical(text: str) -> Decimal | None:
    """The number a student typed for a numerical question, or None when it is not one we judge.

    "9.81" → 9.81, " -3 " → -3, "1e3" → 1000, "9.810" → 9.810; "", "abc", "1,5", "NaN", "Infinity" →
    None, and so are numbers outside NUMERICAL_ANSWER_RULE: "1e999999999", "1e-16", "1234567890123456".
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and _within_numerical_bounds(value) else None


def _within_numerical_bounds(value: Decimal) -> bool:
    # From the digits and exponent alone: any arithmetic on 1e999999999 would itself overflow.
    _, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return True
    exponent += len(digits) - len(significant)
    return (
        len(significant) <= NUMERICAL_DIGITS
        and exponent >= -NUMERICAL_DIGITS
        and exponent + len(significant) <= NUMERICAL_DIGITS
    )


@dataclass(frozen=True)
class AnswerKey:
    """What a question accepts: its type, its correct choices or its value ± tolerance."""

    question_type: str
    correct_ids: frozenset[int] = frozenset()
    numerical_answer: Decimal | None = None
    numerical_tolerance: Decimal = ZERO


@dataclass(frozen=True)
class Response:
    """What the student gave: choice ids (R, C), a value (N) or a text (E)."""

    selected_ids: tuple[int, ...] = ()
    short_text: str = ""
    essay_text: str = ""

    @classmethod
    def stored(cls, selected_answers, short_text: str, essay_text: str) -> "Response":
        """The response an item's stored fields hold, whatever a write around the services left there.

        A selection that is not a list of ids keeps an id no answer has (0), so it is judged incorrect
        rather than crashing the end: [3, "x"] → (3, 0); "abc" → (0,); None or [] → () (unanswered).
        """
        if not isinstance(selected_answers, list):
            return cls((0,) if selected_answers else (), short_text, essay_text)
        ids = tuple(v for v in selected_answers if isinstance(v, int) and not isinstance(v, bool))
        if len(ids) < len(selected_answers):
            ids = (*ids, 0)
        return cls(ids, short_text, essay_text)


def judge_item(key: AnswerKey, response: Response) -> ItemResult:
    """Whether a response is correct, incorrect, unanswered or (essays) pending.

    - R (one correct choice): correct when exactly that choice is selected. Selected [7] with
      correct {7} → correct; [7, 8] → incorrect; [] → unanswered.
    - C (several correct): correct only when the selection is all and only the correct choices.
      Correct {1, 2}: [2, 1] → correct; [1] → incorrect (no partial credit); [1, 2, 3] → incorrect.
    - N (numerical): short_text read as a number, correct within ± tolerance of the answer.
      Answer 9.81 ± 0.01: "9.8" → correct, "9.79" → incorrect, "" → unanswered. A text that is not a
      number parse_numerical accepts counts as incorrect ("abc", "1e999999999": the save service
      refuses such texts, so only old data or a write around it has them).
    - E (essay): pending once written, unanswered when blank; staff marks decide later (score_item).
    """
    if key.question_type == QuestionType.ESSAY:
        return ItemResult.PENDING if response.essay_text.strip() else ItemResult.UNANSWERED
    if key.question_type == QuestionType.NUMERICAL:
        if not response.short_text.strip():
            return ItemResult.UNANSWERED
        value = parse_numerical(response.short_text)
        if value is None or key.numerical_answer is None:
            return ItemResult.INCORRECT
        within = abs(value - key.numerical_answer) <= abs(key.numerical_tolerance)
        return ItemResult.CORRECT if within else ItemResult.INCORRECT
    selected = set(response.selected_ids)
    if not selected:
        return ItemResult.UNANSWERED
    correct = set(key.correct_ids)
    if key.question_type == QuestionType.SINGLE:
        return ItemResult.CORRECT if len(selected) == 1 and selected <= correct else ItemResult.INCORRECT
    return ItemResult.CORRECT if correct and selected == correct else ItemResult.INCORRECT


def item_marks(result: ItemResult, *, marks: Decimal, negative_marks: Decimal) -> Decimal:
    """Marks an auto-judged item scores: +marks if correct, −negative_marks if incorrect, else 0.

    Worth 4 with −1: correct → 4, incorrect → −1, unanswered → 0, pending → 0 (until marked).
    """
    if result == ItemResult.CORRECT:
        return marks
    if result == ItemResult.INCORRECT:
        return -negative_marks
    return ZERO


def essay_score(marks_given: Decimal) -> ItemScore:
    """A staff-marked essay: what staff gave is what it scores, never a negative mark.

    Any marks above zero count it as correct (partial credit included: 3 of 5 → correct, 3);
    zero counts it as incorrect with 0, so accuracy treats a failed essay like a wrong answer.
    """
    return ItemScore(ItemResult.CORRECT if marks_given > ZERO else ItemResult.INCORRECT, marks_given)


def score_item(
    key: AnswerKey,
    response: Response,
    *,
    marks: Decimal,
    negative_marks: Decimal,
    essay_marks: Decimal | None = None,
) -> ItemScore:
    """judge_item + item_marks; an essay already marked by staff keeps its marks (essay_marks).

    R worth 2 with −0.5, wrong choice → incorrect, −0.50. E with essay_marks=3 → correct, 3.
    """
    if key.question_type == QuestionType.ESSAY and essay_marks is not None:
        return essay_score(essay_marks)
    result = judge_item(key, response)
    return ItemScore(result, item_marks(result, marks=marks, negative_marks=negative_marks))


def percentage(score: Decimal, total_marks: Decimal) -> Decimal:
    """100 × score / total, two decimals; 0 when the exam is worth nothing.

    Negative marking can push it below zero, and it stays there: 3 wrong at −1 of 10 marks → −30.00.
    Clamping would hide a real score and disagree with ranks, which order by score; clients that
    want a floor can apply one when they display it.
    """
    if total_marks <= ZERO:
        return ZERO.quantize(CENTS)
    return (HUNDRED * score / total_marks).quantize(CENTS, rounding=ROUND_HALF_UP)


def accuracy(correct: int, incorrect: int) -> int:
    """round(100 × correct / (correct + incorrect)), halves up; 0 when nothing was answered.

    2 right, 1 wrong → 67; 1 right, 7 wrong → 13 (12.5 rounds up); 0 answered → 0.
    """
    judged = correct + incorrect
    if judged == 0:
        return 0
    return int((HUNDRED * correct / judged).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def speed(answered: int, time_taken: timedelta | None) -> int:
    """Questions answered per hour of time taken, rounded; 0 when no time was taken.

    10 answered in 20 minutes → 30; 1 answered in 7 minutes → 9 (8.57…); 5 in 0:00 → 0.
    """
    seconds = Decimal(time_taken.total_seconds()) if time_taken else ZERO
    if seconds <= ZERO:
        return 0
    return int((answered * Decimal(3600) / seconds).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def passed(score: Decimal, total_marks: Decimal, pass_percentage: Decimal) -> AttemptResult:
    """Pass when the exact percentage reaches the exam's pass percentage (no rounding up to it).

    40% to pass, 8 of 20 → Pass; 7.99 of 20 (39.95%) → Fail; an exam worth 0 with 0% to pass → Pass.
    """
    if total_marks <= ZERO:
        return AttemptResult.PASS if pass_percentage <= ZERO else AttemptResult.FAIL
    return AttemptResult.PASS if HUNDRED * score >= pass_percentage * total_marks else AttemptResult.FAIL


def attempt_totals(
    items: Iterable[ItemScore],
    *,
    total_marks: Decimal,
    time_taken: timedelta | None,
    pass_percentage: Decimal,
) -> Totals:
    """Sum the items: score = Σ marks(correct) − Σ negative(incorrect) (+ staff marks of essays).

    Four questions worth 4 with −2 each, one right, two wrong, one blank: 4 − 2 − 2 = 0, out of 16
    → 0.00%; accuracy 33 (1 of 3 judged); answered 3 in 0:15:00 → speed 12.
    Pending essays count as answered (speed) but not as judged (accuracy) and score nothing yet.
    """
    counts = dict.fromkeys(ItemResult, 0)
    score = ZERO
    for item in items:
        counts[item.result] += 1
        score += item.marks
    correct, incorrect = counts[ItemResult.CORRECT], counts[ItemResult.INCORRECT]
    pending = counts[ItemResult.PENDING]
    return Totals(
        score=score,
        total_marks=total_marks,
        correct_count=correct,
        incorrect_count=incorrect,
        unanswered_count=counts[ItemResult.UNANSWERED],
        pending_count=pending,
        percentage=percentage(score, total_marks),
        accuracy=accuracy(correct, incorrect),
        speed=speed(correct + incorrect + pending, time_taken),
        result=passed(score, total_marks, pass_percentage),
    )


def rank_and_percentile(*, higher: int, ranked: int) -> tuple[int, Decimal]:
    """Where a score stands among an exam's `ranked` scores, `higher` of which are strictly higher.

    The one rank and percentile rule: selectors.standing feeds it the two counts SQL sums from the
    score tallies; rank_among counts them in a list. Ranked scores 9, 7, 7, 5:
    - Rank: 1 + the scores strictly higher, so ties share a rank and the next one is skipped: the
      9 ranks 1, both 7s rank 2, the 5 ranks 4.
    - Percentile: the share of ranked scores at most this one, 100 × (ranked − higher) / ranked,
      two decimals, halves up: the 9 → 100.00, each 7 → 75.00, the 5 → 25.00. 2 of 3 → 66.67;
      1 of 32 → 3.13 (3.125 rounds up); none ranked → 0.00.
    - A score that is not among them (a retake's) stands where it would: 8 → rank 2, 75.00.
    """
    rank = 1 + higher
    if ranked <= 0:
        return rank, ZERO.quantize(CENTS)
    return rank, (HUNDRED * (ranked - higher) / ranked).quantize(CENTS, rounding=ROUND_HALF_UP)


def rank_among(score: Decimal, scores: Iterable[Decimal]) -> tuple[int, Decimal]:
    """(rank, percentile) of `score` among a list of ranked scores: rank_and_percentile, counted here.

    rank_among(7, [9, 7, 7, 5]) → (2, 75.00); rank_among(8, [9, 7, 7, 5]) → (2, 75.00).
    """
    scores = list(scores)
    return rank_and_percentile(higher=sum(1 for s in scores if s > score), ranked=len(scores))
