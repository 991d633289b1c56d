"""Reads of attempts: the student's pages, where an attempt stands among the exam's ranked ones, and
exams as one student sees them (with their own attempts counted)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from exams.choices import QuestionType
from exams.models import (
    DEFAULT_LANGUAGE_CODE,
    Answer,
    AnswerTranslation,
    Course,
    Exam,
    ExamLanguage,
    ExamQuestion,
    Question,
    QuestionTranslation,
    Section,
    Subject,
)
from exams.selectors import (
    exam_is_bilingual,
    exams_opened_by,
    exams_visible_to,
    is_bilingual,
    language_count,
    paper_languages,
    require_access_code_of,
    require_known,
    require_visible,
    sees_every_exam,
    with_visibility,
)
from testpress.queries import (
    PreparedPair,
    PreparedQuery,
    concrete_columns,
    from_values,
    subquery_count,
    subquery_sum,
)

from . import errors, scoring, timing
from .choices import OPEN_STATES, AttemptState, ItemResult
from .models import RANKED, Attempt, AttemptItem, AttemptSection, ScoreTally

NOT_RANKED = "NA"


def ranked_attempts() -> QuerySet[Attempt]:
    """The attempts ranks are counted among: completed first attempts (models.RANKED)."""
    return Attempt.objects.filter(RANKED)


def with_standing(queryset: QuerySet[Attempt]) -> QuerySet[Attempt]:
    """Annotate what rank, percentile and remaining_attempts need, as subqueries: one SELECT a page.

    ranked_count: the exam's ranked attempts; ranked_above_count: those that scored strictly more.
    """
    return queryset.select_related("user").annotate(
        **_tally_sums(exam=OuterRef("exam_id"), score=OuterRef("score")),
        user_attempts_count=subquery_count(
            Attempt.objects.filter(exam=OuterRef("exam_id"), user=OuterRef("user_id"))
        ),
    )


def _tally_sums(*, exam, score) -> dict:
    """with_standing's ranked_count and ranked_above_count, for an exam and a score (each a value or
    an OuterRef)."""
    # Sums over the exam's score tallies (attempts/tallies.py), not counts of its attempts: the cost
    # follows the number of distinct scores, not the million attempts of an exam day.
    tallies = ScoreTally.objects.filter(exam=exam)
    return {
        "ranked_count": subquery_sum(tallies, "count"),
        "ranked_above_count": subquery_sum(tallies.filter(score__gt=score), "count"),
    }


# --- Exams as one student sees them -------------------------------------------------------------

UPCOMING, AVAILABLE, HISTORY = "upcoming", "available", "history"
EXAM_STATES = (AVAILABLE, UPCOMING, HISTORY)


def with_user_counts(queryset: QuerySet[Exam], *, user) -> QuerySet[Exam]:
    """What an exam row of the student API prints besides its own columns, at one SELECT a page.

    paused_attempts_count counts the user's open attempts (running or not yet started): the ones a
    client offers to resume. Between two requests every open attempt is paused from the
    student's side, since time is only counted while the app talks to the server.
    """
    own = Attempt.objects.filter(exam=OuterRef("pk"), user=user)
    return queryset.select_related("course").annotate(
        number_of_questions=subquery_count(ExamQuestion.objects.filter(exam=OuterRef("pk"))),
        attempts_count=subquery_count(own),
        paused_attempts_count=subquery_count(own.filter(state__in=OPEN_STATES)),
    )


def with_languages(queryset: QuerySet[Exam]) -> QuerySet[Exam]:
    """Attach each exam's printed languages (`paper_languages`): one more query a page, whatever its
    length."""
    return queryset.prefetch_related(languages_prefetch())


def languages_prefetch() -> Prefetch:
    return Prefetch("exam_languages", queryset=paper_languages(), to_attr="paper_languages")


def exam_list(*, user) -> QuerySet[Exam]:
    return with_languages(with_user_counts(exams_visible_to(user), user=user))


def access_code_exam_list(*, user, code: str) -> QuerySet[Exam]:
    """The published exams `code` opens, printed as the user's exam list (404 for an unknown code)."""
    return with_languages(with_user_counts(exams_opened_by(code), user=user))


def exams_in_user_state(queryset: QuerySet[Exam], *, state: str, user, now: datetime) -> QuerySet[Exam]:
    """Narrow to the exams that are `state` for this user at `now`.

    upcoming: not started yet. available: started, not ended, and not yet attempted by the user.
    history: attempted at least once by the user (whatever the schedule says).
    """
    attempted = Exists(Attempt.objects.filter(exam=OuterRef("pk"), user=user))
    if state == UPCOMING:
        return queryset.exclude(Exam.started_q(now))
    if state == AVAILABLE:
        return queryset.filter(Exam.open_q(now), ~attempted)
    if state == HISTORY:
        return queryset.filter(attempted)
    raise ValueError(f"Unknown exam state {state!r}")


def exam_for_user(*, user, slug: str, access_code: str | None = None, printed: bool = True) -> Exam:
    """The exam as the user's API prints it (`printed=False`: its row alone, for an exam that is acted
    on, not printed: one query instead of two).

    404 when there is no such exam or it is unpublished (for a student); 403 when it exists but is
    limited to batches the user is not in. With `access_code` (a POST to attempts_url), 403
    wrong_access_code unless it is one of the exam's codes; a right one opens it whatever its batches.
    """
    if printed or access_code is not None or sees_every_exam(user):
        exams = Exam.objects.filter(slug=slug)
        if printed:
            exams = with_languages(with_user_counts(exams, user=user))
        exam = with_visibility(exams, user, access_code=access_code).first()
    else:
        exam = _exam_a_student_acts_on(slug, user)
    exam = require_known(exam, user)
    if access_code is not None:
        require_access_code_of(exam, access_code)
    return require_visible(exam)


# Every create reads its exam so: building the visibility rules' subqueries cost twice the query.
_EXAM_A_STUDENT_ACTS_ON = PreparedQuery(
    lambda slug, user: (
        with_visibility(Exam.objects.filter(slug=slug), get_user_model()(pk=user, is_staff=False))
        .order_by()
        .values(*concrete_columns(Exam), "visible")
    ),
    "user",
    texts=("slug",),
)


def _exam_a_student_acts_on(slug: str, student) -> Exam | None:
    """The exam `slug` (slugs are unique) with `visible` for the student (not staff who sees every exam)."""
    row = _EXAM_A_STUDENT_ACTS_ON.first(slug=slug, user=student.pk)
    if row is None:
        return None
    exam = from_values(Exam, row)
    exam.visible = row["visible"]
    return exam


_ATTEMPT_HISTORY = PreparedQuery(
    lambda exam, user: (
        Attempt.objects.filter(exam_id=exam, user_id=user)
        .order_by()
        .values("exam_id")
        .annotate(
            used=Count("pk"),
            last_number=Max("attempt_number"),
            open_id=Max("pk", filter=Q(state__in=OPEN_STATES)),
        )
    ),
    "exam",
    "user",
)


def attempt_history(*, exam_id: int, user_id: int) -> dict:
    """The user's attempts of the exam: how many (`used`), the last one's `last_number` and the open
    one's id (`open_id`), None when there is none. One statement, compiled once: every create asks."""
    row = _ATTEMPT_HISTORY.first(exam=exam_id, user=user_id)
    return {"used": 0, "last_number": None, "open_id": None} if row is None else row


_LINKS_IN_ORDER = PreparedQuery(
    lambda exam: (
        ExamQuestion.objects.filter(exam_id=exam)
        .order_by("order", "id")
        .values(
            *concrete_columns(ExamQuestion),
            "question__marks",
            "question__negative_marks",
            *concrete_columns(Section, "section__"),
        )
    ),
    "exam",
)


def exam_links_in_order(exam_id: int) -> list[ExamQuestion]:
    """The exam's questions in the order an attempt holds them (one item each), each with its section
    and, as its question, what Exam.question_marks reads of it. One statement, compiled once."""
    links = []
    for row in _LINKS_IN_ORDER.rows(exam=exam_id):
        link = from_values(ExamQuestion, row)
        link.question = Question(
            pk=row["question_id"],
            marks=row["question__marks"],
            negative_marks=row["question__negative_marks"],
        )
        link.section = None if row["section_id"] is None else from_values(Section, row, "section__")
        links.append(link)
    return links


def with_exam(queryset: QuerySet[Attempt], *, user) -> QuerySet[Attempt]:
    """Attach each attempt's exam, annotated as the user's exam list is, with one more query a page.

    The prefetch reads every exam (not only the visible ones): an attempt stays readable after its
    exam is unpublished or moved to another batch.
    """
    return queryset.prefetch_related(
        Prefetch("exam", queryset=with_languages(with_user_counts(Exam.objects.all(), user=user)))
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
        raise errors.AttemptNotFound()
    if attempt.user_id != user.pk and not reads_every_attempt(user):
        raise errors.NotYourAttempt()
    return attempt


@dataclass(frozen=True)
class Standing:
    rank: int | str
    max_rank: int
    percentile: Decimal


def standing(attempt: Attempt, *, now: datetime) -> Standing:
    """Rank and percentile of an attempt annotated by with_standing: scoring.rank_and_percentile.

    Rank is "NA" (and max_rank 0) until the exam publishes ranks, and for an attempt that is not
    completed; percentile is 0 for an attempt that is not completed. A completed retake, which is
    not ranked itself, stands where its score would among the ranked attempts.
    """
    if not attempt.is_completed:
        return Standing(rank=NOT_RANKED, max_rank=0, percentile=Decimal(0))
    rank, percentile = scoring.rank_and_percentile(
        higher=attempt.ranked_above_count, ranked=attempt.ranked_count
    )
    if not attempt.exam.ranks_published(now):
        return Standing(rank=NOT_RANKED, max_rank=0, percentile=percentile)
    return Standing(rank=rank, max_rank=attempt.ranked_count, percentile=percentile)


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


def item_counts_by(attempt: Attempt, group: str, *, with_columns: tuple[str, ...] = ()) -> dict:
    """Item counts of an attempt grouped by an item field path ("section_id", "question__subject_id"…).

    One aggregate query. Items not scored yet (a running attempt) count as unanswered.
    `with_columns` are read beside the group (columns of what the group names, so the groups stay
    the same); they come back as (counts, {column: value}) pairs.
    """
    return _grouped(_prepared_counts(group, with_columns).rows(attempt=attempt.pk), group, with_columns)


def _prepared_counts(group: str, with_columns: tuple[str, ...]) -> PreparedQuery:
    shape = (group, with_columns)
    if shape not in _ITEM_COUNTS:
        _ITEM_COUNTS[shape] = PreparedQuery(lambda attempt: _item_counts(attempt, *shape), "attempt")
    return _ITEM_COUNTS[shape]


def _grouped(rows: list[dict], group: str, with_columns: tuple[str, ...]) -> dict:
    found = {}
    for row in rows:
        counts = ItemCounts(
            total=row["n"],
            correct=row["n_correct"],
            incorrect=row["n_incorrect"],
            pending=row["n_pending"],
            unanswered=row["n"] - row["n_correct"] - row["n_incorrect"] - row["n_pending"],
            score=row["marks_sum"] or Decimal("0.00"),
            time_taken=row["duration_sum"] or timedelta(0),
        )
        found[row[group]] = (counts, {c: row[c] for c in with_columns}) if with_columns else counts
    return found


# Every action on an attempt prints its sections' counts: each grouping is compiled once.
_ITEM_COUNTS: dict[tuple, PreparedQuery] = {}


def _item_counts(attempt_id: int, group: str, with_columns: tuple[str, ...]) -> QuerySet:
    return (
        AttemptItem.objects.filter(attempt_id=attempt_id)
        .order_by()
        .values(group, *with_columns)
        .annotate(
            n=Count("id"),
            n_correct=Count("id", filter=Q(result=ItemResult.CORRECT)),
            n_incorrect=Count("id", filter=Q(result=ItemResult.INCORRECT)),
            n_pending=Count("id", filter=Q(result=ItemResult.PENDING)),
            marks_sum=Sum("marks"),
            duration_sum=Sum("duration"),
        )
    )


@dataclass
class SectionStats:
    section: Section | None
    counts: ItemCounts
    # The attempt it is a section of; its 0-based place among the attempt's sections (None for the row
    # of items outside any section); its clock when the attempt is timed by section.
    attempt: Attempt | None = None
    position: int | None = None
    clock: AttemptSection | None = None


# The section's own columns a result row prints, read in the same GROUP BY as its counts.
SECTION_COLUMNS = {
    "order": "section__order",
    "name": "section__name",
    "duration": "section__duration",
    "cut_off": "section__cut_off",
    "instructions": "section__instructions",
}


def section_stats(attempt: Attempt, *, counted: list[dict] | None = None) -> list[SectionStats]:
    """Per-section counts, score and time, in the exam's section order: one query (none when
    attempt_for_clock `counted` them with the attempt), and one more for the sections' clocks when the
    attempt is timed by section (none when they were read already).

    Every action on an attempt answers with these, so the sections' names and order come with the
    counts rather than in a second query.
    """
    columns = tuple(SECTION_COLUMNS.values())
    if counted is None:
        by_section = item_counts_by(attempt, "section_id", with_columns=columns)
    else:
        by_section = _grouped(counted, "section_id", columns)
    stats = [
        SectionStats(
            section=Section(
                pk=pk,
                exam_id=attempt.exam_id,
                **{field: columns[column] for field, column in SECTION_COLUMNS.items()},
            ),
            counts=counts,
            attempt=attempt,
        )
        for pk, (counts, columns) in by_section.items()
        if pk is not None
    ]
    stats.sort(key=lambda row: (row.section.order, row.section.pk))
    clocks = {}
    if attempt.sectionally_timed:
        load_section_clocks([attempt])
        clocks = {clock.section_id: clock for clock in timing.section_clocks(attempt)}
    for position, row in enumerate(stats):
        row.position, row.clock = position, clocks.get(row.section.pk)
    if None in by_section:
        stats.append(SectionStats(section=None, counts=by_section[None][0], attempt=attempt))
    return stats


def load_section_clocks(attempts: Iterable[Attempt]) -> None:
    """Read the section clocks of those of `attempts` timed by section, for timing.section_clocks:
    one query, none when no attempt is timed by section or their clocks were read already."""
    sectional = [attempt for attempt in attempts if attempt.sectionally_timed]
    if sectional:
        prefetch_related_objects(sectional, "attempt_sections")


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
# Plain reads: the API completes an overdue attempt before printing it (attempts/api/overdue.py).


def attempt_with_exam_columns(prefix: str = "") -> list[str]:
    """The `.values()` names of an attempt's and its exam's columns (under `prefix`): attempt_with_exam."""
    return [*concrete_columns(Attempt, prefix), *concrete_columns(Exam, f"{prefix}exam__")]


def attempt_with_exam(row: dict, prefix: str = "") -> Attempt:
    """The attempt and its exam, as Django would have read them, from a row of attempt_with_exam_columns."""
    attempt = from_values(Attempt, row, prefix)
    attempt.exam = from_values(Exam, row, f"{prefix}exam__")
    return attempt


def attempt_readable_by(*, user, pk: int) -> Attempt:
    """The attempt a request on its items reads: the user's own or (reads_every_attempt) anyone's.

    One plain query with the exam: the items, the review and the actions print no rank, so they
    skip the standing annotations of attempt_detail. It counts the exam's languages, so that the
    items of a monolingual paper (the most) skip the translations' queries (student_items).
    """
    row = _READABLE_ATTEMPT.first(pk=pk)
    attempt = None
    if row is not None:
        attempt = attempt_with_exam(row)
        attempt.exam_language_count = row["exam_language_count"]
    return _readable_by(user, attempt)


# Every questions page reads this: compiled once (testpress.queries).
_READABLE_ATTEMPT = PreparedQuery(
    lambda pk: (
        Attempt.objects.filter(pk=pk)
        .values(*attempt_with_exam_columns())
        .annotate(exam_language_count=language_count(OuterRef("exam_id")))
    ),
    "pk",
)


def require_taker(attempt: Attempt, *, user) -> Attempt:
    """An attempt the user may act on is their own: staff may read others' attempts but not act on them.

    The services lock and read the row again; this only decides who may ask.
    """
    if attempt.user_id != user.pk:
        raise errors.NotTheTaker()
    return attempt


def attempt_detail(*, user, pk: int) -> Attempt:
    """One attempt as its detail prints it: with its standing and per-section results."""
    attempt = attempt_for_user(user=user, pk=pk)
    attempt.section_results = section_stats(attempt)
    return attempt


# An exam's columns the student API prints besides its own (with_user_counts), read beside an attempt.
EXAM_COUNTS = ("number_of_questions", "attempts_count", "paused_attempts_count", "language_count")


def _exam_counts(exam, user) -> dict:
    """with_user_counts' columns (and the exam's language count) for the exam and the user that `exam`
    and `user` refer to (outer references or values), as annotations."""
    own = Attempt.objects.filter(exam=exam, user=user)
    return {
        "number_of_questions": subquery_count(ExamQuestion.objects.filter(exam=exam)),
        "attempts_count": subquery_count(own),
        "paused_attempts_count": subquery_count(own.filter(state__in=OPEN_STATES)),
        "language_count": language_count(exam),
    }


_EXAM_COLUMNS = [*concrete_columns(Exam, "exam__"), *concrete_columns(Course, "exam__course__")]

# Exam day's every save, heartbeat and start reads this: compiled once (testpress.queries).
_ATTEMPT_FOR_CLOCK = PreparedQuery(
    lambda pk, user: (
        Attempt.objects.filter(pk=pk, user_id=user)
        .values(*concrete_columns(Attempt), *_EXAM_COLUMNS)
        .annotate(**_exam_counts(OuterRef("exam_id"), OuterRef("user_id")))
    ),
    "pk",
    "user",
)
# The attempt's sections' counts, which every action prints, in the same statement.
_ATTEMPT_AND_SECTIONS = PreparedPair(
    _ATTEMPT_FOR_CLOCK, _prepared_counts("section_id", tuple(SECTION_COLUMNS.values()))
)
_COUNTED_EXAM = PreparedQuery(
    lambda pk, user: (
        Exam.objects.filter(pk=pk)
        .values(*concrete_columns(Exam), *concrete_columns(Course, "course__"))
        .annotate(**_exam_counts(OuterRef("pk"), user))
    ),
    "pk",
    "user",
)
# The same, with where a completed attempt stands (with_standing's sums) by the score it was given.
_COUNTED_EXAM_AND_STANDING = PreparedQuery(
    lambda pk, user, attempt: (
        Exam.objects.filter(pk=pk)
        .values(*concrete_columns(Exam), *concrete_columns(Course, "course__"))
        .annotate(
            **_exam_counts(OuterRef("pk"), user),
            **_tally_sums(
                exam=OuterRef("pk"), score=Subquery(Attempt.objects.filter(pk=attempt).values("score")[:1])
            ),
        )
    ),
    "pk",
    "user",
    "attempt",
)


def attempt_for_clock(pk: int, *, taker_id: int) -> Attempt | None:
    """The attempt `pk` taken by `taker_id`, with its exam and course and what the exam prints for its
    taker (with_user_counts) and its items' counts by section: one statement. None when the user takes
    no such attempt.

    What a heartbeat or start decides on when the attempt is simply running (services), and then
    prints: neither changes its exam's counts or its items, so written_attempt_detail reads them no more.
    """
    read = _ATTEMPT_AND_SECTIONS.read(pk=pk, user=taker_id, attempt=pk)
    if read is None:
        return None
    row, section_counts = read
    attempt = from_values(Attempt, row)
    attempt.exam = _counted_exam(row, "exam__")
    attempt.exam_counts_read, attempt.section_counts = True, section_counts
    return attempt


_ITEM_FOR_SAVE = PreparedQuery(
    lambda pk, attempt, user: AttemptItem.objects.filter(
        pk=pk, attempt_id=attempt, attempt__user_id=user
    ).values(
        *concrete_columns(AttemptItem),
        *attempt_with_exam_columns("attempt__"),
    ),
    "pk",
    "attempt",
    "user",
)


def item_for_save(pk: int, *, attempt_id: int, taker_id: int) -> AttemptItem | None:
    """The item `pk` of the attempt `attempt_id` taken by `taker_id`, with its attempt and exam: one
    statement. None when there is no such item of such an attempt."""
    row = _ITEM_FOR_SAVE.first(pk=pk, attempt=attempt_id, user=taker_id)
    if row is None:
        return None
    item = from_values(AttemptItem, row)
    item.attempt = attempt_with_exam(row, "attempt__")
    return item


def _counted_exam(row: dict, prefix: str = "") -> Exam:
    exam = from_values(Exam, row, prefix)
    exam.course = from_values(Course, row, f"{prefix}course__")
    for name in EXAM_COUNTS:
        setattr(exam, name, row[name])
    return exam


def written_attempt_detail(attempt: Attempt, *, user) -> Attempt:
    """What attempt_detail prints, for an attempt a service has just written and handed back (create,
    start, heartbeat, save, end), without reading it again: one query at most, sometimes two or three.

    Only what the change may have moved is read: its exam's counts for `user` (the one taking it)
    and, once it is completed, its standing, in one query. An open attempt has no standing (rank "NA",
    percentile 0: standing() reads no tally for it), and one attempt_for_clock read (a clock moved
    without the lock) has its counts and its sections' counts already: nothing to read. A bilingual
    exam's languages are one query more; a monolingual exam (the most) prints none and skips it.
    """
    if attempt.is_completed:
        # Its score as committed: the service wrote it (and moved the tally) before handing it back.
        row = _COUNTED_EXAM_AND_STANDING.first(pk=attempt.exam_id, user=user.pk, attempt=attempt.pk)
        exam = _counted_exam(row)
        attempt.ranked_count, attempt.ranked_above_count = row["ranked_count"], row["ranked_above_count"]
    elif getattr(attempt, "exam_counts_read", False):
        exam = attempt.exam
    else:
        exam = _counted_exam(_COUNTED_EXAM.first(pk=attempt.exam_id, user=user.pk))
    if is_bilingual(exam.language_count):
        prefetch_related_objects([exam], languages_prefetch())
    else:
        exam.paper_languages = []
    attempt.exam, attempt.user = exam, user
    # with_standing's count of the user's attempts of the exam: the exam's attempts_count for this user.
    attempt.user_attempts_count = exam.attempts_count
    attempt.section_results = section_stats(attempt, counted=getattr(attempt, "section_counts", None))
    return attempt


def attempt_items(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The attempt's items in exam order, with what their question prints: three queries a page."""
    return (
        attempt.items.order_by("order", "id")
        .select_related("question__direction", "question__subject")
        .prefetch_related(Prefetch("question__answers", queryset=Answer.objects.order_by("order", "id")))
    )


def student_items(attempt: Attempt) -> QuerySet[AttemptItem]:
    """attempt_items with each question's translations into the exam's languages (`exam_translations`,
    in the exam's language order), for an attempt read by attempt_readable_by.

    A paper is bilingual when its exam lists two or more languages: then two more queries a page (the
    translations with their passages, their choices' texts). A monolingual paper prints no translation
    and runs neither.
    """
    return attempt_items(attempt).prefetch_related(
        exam_translations(
            attempt.exam_id,
            bilingual=is_bilingual(attempt.exam_language_count),
            path="question__translations",
        )
    )


def exam_translations(exam_id: int, *, bilingual: bool, path: str = "translations") -> Prefetch:
    """Prefetch (at `path`, a question's translations) into the exam's languages as `exam_translations`,
    in the exam's language order. A translation into a language the exam no longer lists is not
    printed, nor one into the question's own language; a monolingual exam reads none."""
    if not bilingual:
        translations = QuestionTranslation.objects.none()
    else:
        listed = ExamLanguage.objects.filter(exam_id=exam_id, language_id=OuterRef("language_id"))
        own_language = Coalesce(F("question__language_id"), Value(DEFAULT_LANGUAGE_CODE))
        translations = (
            QuestionTranslation.objects.filter(Exists(listed))
            .exclude(language_id=own_language)
            .select_related("direction")
            .annotate(exam_order=Subquery(listed.values("order")[:1]))
            .order_by("exam_order", "language_id")
            .prefetch_related(Prefetch("answers", queryset=AnswerTranslation.objects.order_by()))
        )
    return Prefetch(path, queryset=translations, to_attr="exam_translations")


def attempt_questions(attempt: Attempt) -> "QuerySet[AttemptItem] | AttemptItemWindows":
    """The items a student answers from: only while the attempt is open (409 attempt_completed after).

    The items alone: their questions print from the exam's cached paper (the API's student_paper).
    Timed by section: the running section's items only (none between two sections).
    """
    if attempt.is_completed:
        raise errors.AttemptCompleted()
    if attempt.sectionally_timed:
        items = attempt.items.order_by("order", "id")
        running = timing.running_section(attempt)
        return items.none() if running is None else items.filter(section_id=running.section_id)
    return AttemptItemWindows(attempt)


class AttemptItemWindows:
    """All the items of an attempt in exam order, for a paginator: their number is the attempt's
    total_questions (its items are written with it, one a question, and never deleted: a question an
    attempt holds is protected), and each window is one statement compiled once per window shape."""

    def __init__(self, attempt: Attempt):
        self.attempt = attempt
        self.ordered = True  # what Django's Paginator asks of a queryset before it warns

    def count(self) -> int:
        return self.attempt.total_questions

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[AttemptItem]:
        start, stop = window.start or 0, window.stop
        if window.step is not None or stop is None:
            raise TypeError("Attempt items are read in windows: [start:stop].")
        if stop <= start:
            return []
        shape = (start, stop)
        if shape not in _ITEM_WINDOWS:
            if len(_ITEM_WINDOWS) >= MOST_ITEM_WINDOWS:  # ?page= and ?per_page= are the client's to vary
                _ITEM_WINDOWS.clear()
            _ITEM_WINDOWS[shape] = PreparedQuery(
                lambda attempt: (
                    AttemptItem.objects.filter(attempt_id=attempt)
                    .order_by("order", "id")
                    .values(*concrete_columns(AttemptItem))[start:stop]
                ),
                "attempt",
            )
        return [from_values(AttemptItem, row) for row in _ITEM_WINDOWS[shape].rows(attempt=self.attempt.pk)]


# The windows asked for: one a page size and page number in use, a handful in practice, a bounded number
# whatever clients send.
_ITEM_WINDOWS: dict[tuple[int, int], PreparedQuery] = {}
MOST_ITEM_WINDOWS = 256


def attempt_section_questions(attempt: Attempt, section_id: int) -> QuerySet[AttemptItem]:
    """One section's items, as attempt_questions prints them: 409 attempt_completed after the end; timed
    by section, 409 section_not_running unless it is the running one; 404 section_not_found for a
    section holding none of the attempt's items."""
    if attempt.is_completed:
        raise errors.AttemptCompleted()
    if attempt.sectionally_timed:
        clocks = {clock.section_id: clock for clock in timing.section_clocks(attempt)}
        if section_id not in clocks:
            raise errors.SectionNotFound()
        if not clocks[section_id].is_running:
            raise errors.SectionNotRunning()
    elif not attempt.items.filter(section_id=section_id).exists():
        raise errors.SectionNotFound()
    return attempt.items.order_by("order", "id").filter(section_id=section_id)


def attempt_item(attempt: Attempt, item_id: int) -> AttemptItem:
    """One item of this attempt (its question prints from the cached paper); 404 item_not_found for an
    unknown id or another attempt's item."""
    item = attempt.items.filter(pk=item_id).first()
    if item is None:
        raise errors.ItemNotFound()
    return item


def offline_paper(exam: Exam, *, now: datetime) -> QuerySet[ExamQuestion]:
    """An offline exam's questions in the order an attempt gets them, with what the paper prints of
    them (question, direction, subject, section, choices, translations into the exam's languages):
    two queries a page and the exam's language count; two more for a bilingual paper.

    403 not_offline_exam for an exam taken online, 403 exam_not_open outside its schedule: the paper
    is as secret before the exam opens as an online attempt's questions are.
    """
    if not exam.is_offline_exam:
        raise errors.NotAnOfflineExam()
    if not exam.is_open(now):
        raise errors.ExamNotOpen()
    bilingual = exam_is_bilingual(exam)
    return (
        ExamQuestion.objects.filter(exam=exam)
        .select_related("question__direction", "question__subject", "section")
        .prefetch_related(
            Prefetch("question__answers", queryset=Answer.objects.order_by("order", "id")),
            exam_translations(exam.pk, bilingual=bilingual, path="question__translations"),
        )
        .order_by("order", "id")
    )


def require_ended(attempt: Attempt) -> None:
    """What the review's breakdowns need: an ended attempt (403 attempt_running before)."""
    if not attempt.is_completed:
        raise errors.ReviewNotReady()


def attempt_review(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The items with their answers disclosed: once the attempt has ended, and if the exam shows answers."""
    require_ended(attempt)
    if not attempt.exam.show_answers:
        raise errors.AnswersHidden()
    return student_items(attempt)


@dataclass(frozen=True)
class QuestionOutcome:
    """How the exam's completed attempts did on one question: the one "correct %" rule.

    Judged items are correct, incorrect or unanswered; an essay waiting for marks is not judged
    yet, so it counts in neither part. 2 correct of 3 judged: 66.67.
    """

    question_id: int
    judged: int = 0
    correct: int = 0
    # The question's place in the exam (1, 2, …) where the caller lists them in exam order.
    order: int = 0

    @property
    def correct_percentage(self) -> Decimal | None:
        """Two decimals, half up; None until an attempt has been judged on it."""
        if not self.judged:
            return None
        return (Decimal(100 * self.correct) / self.judged).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def question_outcomes(*, exam_id: int, question_ids: list[int] | None = None) -> dict[int, QuestionOutcome]:
    """The outcome of each question (of `question_ids`, else every one answered): one GROUP BY query."""
    items = AttemptItem.objects.filter(attempt__exam_id=exam_id, attempt__state=AttemptState.COMPLETED)
    if question_ids is not None:
        items = items.filter(question_id__in=question_ids)
    judged = Q(result__in=[ItemResult.CORRECT, ItemResult.INCORRECT, ItemResult.UNANSWERED])
    rows = (
        items.order_by()
        .values("question_id")
        .annotate(judged=Count("id", filter=judged), correct=Count("id", filter=Q(result=ItemResult.CORRECT)))
    )
    return {row["question_id"]: QuestionOutcome(**row) for row in rows}


def pending_essays(*, exam) -> QuerySet[AttemptItem]:
    """Essay items of the exam's completed attempts that wait for staff's marks."""
    return (
        AttemptItem.objects.filter(
            attempt__exam=exam,
            attempt__state=AttemptState.COMPLETED,
            question__type=QuestionType.ESSAY,
            result=ItemResult.PENDING,
        )
        .select_related("question", "attempt__user")
        .order_by("attempt__completed_at", "attempt_id", "order", "pk")
    )


def chosen_choice_ids(*, choice_ids: set[int], question_ids: set[int]) -> set[int]:
    """Those of `choice_ids` (choices of `question_ids`) that some attempt has saved as its answer.

    Saved answers are JSON lists of ids (no foreign key; SQLite cannot search inside them), so the
    questions' non-empty answers are read until every choice is found or there are no more.
    """
    chosen = set()
    selections = (
        AttemptItem.objects.filter(question_id__in=question_ids)
        .exclude(selected_answers=[])
        .order_by()
        .values_list("selected_answers", flat=True)
    )
    for selected in selections.iterator(chunk_size=2000):
        chosen.update(pk for pk in selected if pk in choice_ids)
        if len(chosen) == len(choice_ids):
            break
    return chosen
