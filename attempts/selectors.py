"""Reads of attempts: the student's pages, and where an attempt stands among the exam's ranked ones."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Sum
from rest_framework.exceptions import NotFound, PermissionDenied

from exams.models import Answer, Exam, Section, Subject
from exams.selectors import with_user_counts
from testpress.queries import subquery_count, subquery_sum

from . import errors, timing
from .choices import AttemptState, ItemResult
from .models import Attempt, AttemptItem, ScoreTally

NOT_RANKED = "NA"


def ranked_attempts() -> QuerySet[Attempt]:
    """The attempts ranks are counted among: completed first attempts (index attempt_ranked_score)."""
    return Attempt.objects.filter(state=AttemptState.COMPLETED, attempt_number=1)


def with_standing(queryset: QuerySet[Attempt]) -> QuerySet[Attempt]:
    """Annotate what rank, percentile and remaining_attempts need, as subqueries: one SELECT a page."""
    # Sums over the exam's score tallies (attempts/tallies.py), not counts of its attempts: the cost
    # follows the number of distinct scores, not the million attempts of an exam day.
    tallies = ScoreTally.objects.filter(exam=OuterRef("exam_id"))
    return queryset.select_related("user").annotate(
        ranked_count=subquery_sum(tallies, "count"),
        ranked_above_count=subquery_sum(tallies.filter(score__gt=OuterRef("score")), "count"),
        ranked_at_or_below_count=F("ranked_count") - F("ranked_above_count"),
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
    """One attempt: 404 when there is none, 403 when it is another user's (see reads_every_attempt)."""
    return _readable_by(user, with_exam(with_standing(Attempt.objects.filter(pk=pk)), user=user).first())


def reads_every_attempt(user) -> bool:
    """Staff who may view attempts in the admin (attempts.view_attempt) may read anyone's."""
    return user.is_staff and user.has_perm("attempts.view_attempt")


def _readable_by(user, attempt: Attempt | None) -> Attempt:
    if attempt is None:
        raise NotFound()
    if attempt.user_id != user.pk and not reads_every_attempt(user):
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


@dataclass
class ItemCounts:
    """How an attempt's items went within one group (a section, a subject, a difficulty level)."""

    total: int = 0
    correct: int = 0
    incorrect: int = 0
    unanswered: int = 0
    pending: int = 0
    score: Decimal = Decimal("0.00")
    time_taken: timedelta = timedelta(0)

    def add(self, other: "ItemCounts") -> None:
        for name in ("total", "correct", "incorrect", "unanswered", "pending", "score", "time_taken"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def item_counts_by(attempt: Attempt, group: str) -> dict:
    """Item counts of an attempt grouped by an item field path ("section_id", "question__subject_id"…).

    One aggregate query. Items not scored yet (a running attempt) count as unanswered.
    """
    rows = (
        attempt.items.order_by()
        .values(group)
        .annotate(
            n=Count("id"),
            n_correct=Count("id", filter=Q(result=ItemResult.CORRECT)),
            n_incorrect=Count("id", filter=Q(result=ItemResult.INCORRECT)),
            n_pending=Count("id", filter=Q(result=ItemResult.PENDING)),
            marks_sum=Sum("marks"),
            duration_sum=Sum("duration"),
        )
    )
    return {
        row[group]: ItemCounts(
            total=row["n"],
            correct=row["n_correct"],
            incorrect=row["n_incorrect"],
            pending=row["n_pending"],
            unanswered=row["n"] - row["n_correct"] - row["n_incorrect"] - row["n_pending"],
            score=row["marks_sum"] or Decimal("0.00"),
            time_taken=row["duration_sum"] or timedelta(0),
        )
        for row in rows
    }


@dataclass
class SectionStats:
    section: Section | None
    counts: ItemCounts


def section_stats(attempt: Attempt) -> list[SectionStats]:
    """Per-section counts, score and time, in the exam's section order (two queries)."""
    by_section = item_counts_by(attempt, "section_id")
    sections = Section.objects.filter(pk__in=[pk for pk in by_section if pk is not None]).order_by(
        "order", "id"
    )
    stats = [SectionStats(section=s, counts=by_section[s.pk]) for s in sections]
    if None in by_section:
        stats.append(SectionStats(section=None, counts=by_section[None]))
    return stats


@dataclass
class SubjectStats:
    subject_id: int | None
    name: str
    parent_id: int | None
    is_leaf: bool
    counts: ItemCounts


UNCATEGORIZED = "Uncategorized"


def subject_stats(attempt: Attempt) -> list[SubjectStats]:
    """Per-subject counts; each ancestor subject also gets a row summing its descendants.

    Questions in Mechanics and Optics, both under Physics, give three rows: Mechanics and Optics
    (leaves) and Physics (not a leaf) with their totals added up. Two queries whatever the depth.
    """
    by_subject = item_counts_by(attempt, "question__subject_id")
    tree = {s.pk: s for s in Subject.objects.only("id", "name", "parent_id")}
    rows: dict[int | None, SubjectStats] = {}
    for subject_id, counts in by_subject.items():
        node = tree.get(subject_id)
        is_leaf = True
        while True:
            key = node.pk if node else None
            if key not in rows:
                rows[key] = SubjectStats(
                    subject_id=key,
                    name=node.name if node else UNCATEGORIZED,
                    parent_id=node.parent_id if node else None,
                    is_leaf=is_leaf,
                    counts=ItemCounts(),
                )
            elif not is_leaf:
                rows[key].is_leaf = False
            rows[key].counts.add(counts)
            if node is None or node.parent_id is None:
                break
            node, is_leaf = tree[node.parent_id], False
    return sorted(rows.values(), key=lambda row: (row.parent_id is not None, row.name))


def difficulty_stats(attempt: Attempt) -> dict[str, ItemCounts]:
    """Counts per difficulty level ("easy", "medium", "hard"; "" for questions given none)."""
    return item_counts_by(attempt, "question__difficulty")


# --- The attempt lifecycle (student API) -------------------------------------------------------


def end_overdue_before_read(*, user, now: datetime, **filters) -> None:
    """Complete the user's overdue open attempts (narrowed by `filters`) so a read prints them ended.

    The sweep job would end them later anyway; doing it before a read means the state, counts and
    times printed are already right. One query when none is overdue.
    """
    # Imported here: services is the write side; only this read-before-write helper needs it.
    from .services import end_overdue_attempts

    end_overdue_attempts(now=now, queryset=Attempt.objects.filter(user=user, **filters))


def _loaded_as_of(load: Callable[[], Attempt], now: datetime) -> Attempt:
    """load(), after completing the attempt if it is overdue (no extra query when it is not)."""
    attempt = load()
    if timing.is_overdue(attempt, now):
        end_overdue_before_read(user=attempt.user_id, now=now, pk=attempt.pk)
        attempt = load()
    return attempt


def attempt_as_of(*, user, pk: int, now: datetime) -> Attempt:
    """The attempt a request on its items reads: the user's own or (reads_every_attempt) anyone's, as
    of `now`.

    One plain query with the exam: the items, the review and the actions print no rank, so they
    skip the standing annotations of attempt_detail.
    """
    return _loaded_as_of(
        lambda: _readable_by(user, Attempt.objects.select_related("exam").filter(pk=pk).first()), now
    )


def own_attempt(*, user, pk: int, now: datetime) -> Attempt:
    """An attempt the user may act on: their own. Staff may read others' attempts but not act on them.

    The services lock and read the row again; this read only decides who may ask.
    """
    attempt = attempt_as_of(user=user, pk=pk, now=now)
    if attempt.user_id != user.pk:
        raise PermissionDenied("Only the student taking this attempt may change it.")
    return attempt


def attempt_detail(*, user, pk: int, now: datetime) -> Attempt:
    """One attempt as its detail prints it: as of `now`, with its standing and per-section results."""
    attempt = _loaded_as_of(lambda: attempt_for_user(user=user, pk=pk), now)
    attempt.section_results = section_stats(attempt)
    return attempt


def attempt_items(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The attempt's items in exam order, with what their question prints: three queries a page."""
    return (
        attempt.items.order_by("order", "id")
        .select_related("question__direction", "question__subject")
        .prefetch_related(Prefetch("question__answers", queryset=Answer.objects.order_by("order", "id")))
    )


def attempt_questions(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The items a student answers from: only while the attempt is open (409 attempt_completed after)."""
    if attempt.is_completed:
        raise errors.AttemptCompleted()
    return attempt_items(attempt)


def attempt_item(attempt: Attempt, item_id: int) -> AttemptItem:
    """One item of this attempt; 404 item_not_found for an unknown id or another attempt's item."""
    item = attempt_items(attempt).filter(pk=item_id).first()
    if item is None:
        raise errors.ItemNotFound()
    return item


def require_ended(attempt: Attempt) -> None:
    """What the review's breakdowns need: an ended attempt (403 attempt_running before)."""
    if not attempt.is_completed:
        raise errors.ReviewNotReady()


def attempt_review(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The items with their answers disclosed: once the attempt has ended, and if the exam shows answers."""
    require_ended(attempt)
    if not attempt.exam.show_answers:
        raise errors.AnswersHidden()
    return attempt_items(attempt)


def correct_percentages(*, exam_id: int, question_ids: list[int]) -> dict[int, Decimal]:
    """Per question, the share of the exam's completed attempts that answered it correctly.

    One aggregate query for a page of questions: 3 correct of 4 completed attempts give 75.00.
    """
    rows = (
        AttemptItem.objects.filter(
            attempt__exam_id=exam_id, attempt__state=AttemptState.COMPLETED, question_id__in=question_ids
        )
        .order_by()
        .values("question_id")
        .annotate(n=Count("id"), n_correct=Count("id", filter=Q(result=ItemResult.CORRECT)))
    )
    return {
        row["question_id"]: (Decimal(100 * row["n_correct"]) / row["n"]).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        for row in rows
    }
