"""Reads of attempts: the student's pages, and where an attempt stands among the exam's ranked ones."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Prefetch, QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied

from exams.models import Exam
from exams.selectors import with_user_counts
from testpress.queries import subquery_count

from .choices import AttemptState
from .models import Attempt

NOT_RANKED = "NA"


def ranked_attempts() -> QuerySet[Attempt]:
    """The attempts ranks are counted among: completed first attempts (index attempt_ranked_score)."""
    return Attempt.objects.filter(state=AttemptState.COMPLETED, attempt_number=1)


def with_standing(queryset: QuerySet[Attempt]) -> QuerySet[Attempt]:
    """Annotate what rank, percentile and remaining_attempts need, as subqueries: one SELECT a page."""
    ranked = ranked_attempts().filter(exam=OuterRef("exam_id"))
    return queryset.select_related("user").annotate(
        ranked_count=subquery_count(ranked),
        ranked_above_count=subquery_count(ranked.filter(score__gt=OuterRef("score"))),
        ranked_at_or_below_count=subquery_count(ranked.filter(score__lte=OuterRef("score"))),
        user_attempts_count=subquery_count(
            Attempt.objects.filter(exam=OuterRef("exam_id"), user=OuterRef("user_id"))
        ),
    )


def with_exam(queryset: QuerySet[Attempt], *, user) -> QuerySet[Attempt]:
    """Attach each attempt's exam, annotated as the user's exam list is, with one more query a page.

    The prefetch reads every exam (not only the visible ones): an attempt stays readable after its
    exam is unpublished or moved to another batch.
    """
    return queryset.prefetch_related(
        Prefetch("exam", queryset=with_user_counts(Exam.objects.all(), user=user))
    )


def attempt_list(*, user) -> QuerySet[Attempt]:
    """The user's attempts, newest first (the model's ordering)."""
    return with_exam(with_standing(Attempt.objects.filter(user=user)), user=user)


def exam_attempts(*, user, exam: Exam) -> QuerySet[Attempt]:
    """The user's attempts of `exam`; each row's .exam is that very (annotated) instance."""
    return with_standing(exam.attempts.filter(user=user))


def attempt_for_user(*, user, pk: int) -> Attempt:
    """One attempt: 404 when there is none, 403 when it is another user's (staff may read any)."""
    attempt = with_exam(with_standing(Attempt.objects.filter(pk=pk)), user=user).first()
    if attempt is None:
        raise NotFound()
    if attempt.user_id != user.pk and not user.is_staff:
        raise PermissionDenied("This attempt belongs to another user.")
    return attempt


@dataclass(frozen=True)
class Standing:
    rank: int | str
    max_rank: int
    percentile: Decimal


def standing(attempt: Attempt, *, now: datetime) -> Standing:
    """Rank and percentile of an attempt annotated by with_standing.

    Rank: 1 + the ranked attempts that scored strictly more, so ties share a rank (scores 9, 7, 7, 5
    rank 1, 2, 2, 4). It is "NA" (and max_rank 0) until the exam publishes ranks, and for an
    attempt that is not completed. Percentile: the share of ranked attempts scoring at most as much,
    two decimals (the 7s above: 3 of 4, 75.00); 0 for an attempt that is not completed.
    """
    if not attempt.is_completed:
        return Standing(rank=NOT_RANKED, max_rank=0, percentile=Decimal(0))
    percentile = Decimal(0)
    if attempt.ranked_count:
        percentile = (Decimal(100 * attempt.ranked_at_or_below_count) / attempt.ranked_count).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    if not attempt.exam.ranks_published(now):
        return Standing(rank=NOT_RANKED, max_rank=0, percentile=percentile)
    return Standing(rank=1 + attempt.ranked_above_count, max_rank=attempt.ranked_count, percentile=percentile)


def admin_attempt_list() -> QuerySet[Attempt]:
    """Every attempt, newest first, with the user and exam its row prints: one SELECT a page."""
    return Attempt.objects.select_related("user", "exam").order_by("-date", "-id")
