"""How an exam went, for the staff analytics page: each figure is one GROUP BY or aggregate query.

Nothing here loops over attempts in Python; the few loops run over buckets, days or questions.
Scores are counted over completed attempts (every attempt, retakes included), as stored.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from exams.models import Exam, ExamQuestion

from . import selectors
from .choices import AttemptResult, AttemptState
from .models import Attempt
from .selectors import QuestionOutcome

# Width of one score-distribution bucket, in percentage points: ten buckets 0–10 … 90–100.
BUCKET_WIDTH = 10
BUCKETS = 100 // BUCKET_WIDTH
# The longest run of days the attempts-per-day series fills with zero days.
MAX_DAYS = 366


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Summary:
    attempts: int
    completed: int
    average_score: Decimal | None
    # Share of completed attempts that passed, in percent; None before any completed attempt.
    pass_rate: Decimal | None


def exam_summary(exam: Exam) -> Summary:
    """Attempts started, completed, the average score and the pass rate of the completed ones."""
    completed = Q(state=AttemptState.COMPLETED)
    row = Attempt.objects.filter(exam=exam).aggregate(
        attempts=Count("pk"),
        completed=Count("pk", filter=completed),
        passed=Count("pk", filter=completed & Q(result=AttemptResult.PASS)),
        average_score=Avg("score", filter=completed),
    )
    average = row["average_score"]
    return Summary(
        attempts=row["attempts"],
        completed=row["completed"],
        average_score=None
        if average is None
        else Decimal(str(average)).quantize(Decimal("0.01"), ROUND_HALF_UP),
        pass_rate=_percent(row["passed"], row["completed"]),
    )


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int


def score_distribution(exam: Exam) -> list[Bucket]:
    """Completed attempts per band of percentage: 0–10, 10–20, … 90–100 (100 itself in the last).

    A band holds its lower bound: 10.00 % counts in 10–20. Below zero (negative marks) counts in
    the first band. The band is a CASE in SQL, the same on SQLite and PostgreSQL.
    """
    band = Case(
        *(When(percentage__lt=(n + 1) * BUCKET_WIDTH, then=Value(n)) for n in range(BUCKETS - 1)),
        default=Value(BUCKETS - 1),
        output_field=IntegerField(),
    )
    counts = dict(
        Attempt.objects.filter(exam=exam, state=AttemptState.COMPLETED)
        .annotate(band=band)
        .values("band")
        .annotate(count=Count("pk"))
        .values_list("band", "count")
        .order_by()
    )
    return [
        Bucket(label=f"{n * BUCKET_WIDTH}–{(n + 1) * BUCKET_WIDTH}%", count=counts.get(n, 0))
        for n in range(BUCKETS)
    ]


@dataclass(frozen=True)
class Day:
    day: date
    count: int


def attempts_per_day(exam: Exam) -> list[Day]:
    """Attempts started each day (in the site's time zone), days without any included as zero.

    The days run from the first attempt to the last, at most MAX_DAYS of them (the latest).
    """
    counts = dict(
        Attempt.objects.filter(exam=exam)
        .annotate(day=TruncDate("date", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
        .order_by()
    )
    if not counts:
        return []
    last = max(counts)
    first = max(min(counts), last - timedelta(days=MAX_DAYS - 1))
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [Day(day=day, count=counts.get(day, 0)) for day in days]


def question_outcomes(exam: Exam) -> list[QuestionOutcome]:
    """Per question of the exam, in exam order: how the completed attempts did on it (selectors'
    QuestionOutcome, the review's rule). Two queries: the exam's questions, and the counts.
    """
    outcomes = selectors.question_outcomes(exam_id=exam.pk)
    links = (
        ExamQuestion.objects.filter(exam=exam).order_by("order", "id").values_list("question_id", flat=True)
    )
    return [
        replace(outcomes.get(question_id) or QuestionOutcome(question_id=question_id), order=position)
        for position, question_id in enumerate(links, start=1)
    ]
