"""An exam as it is being written, for the staff's live page: five queries whatever the number of
attempts (who may take it, the attempts' headcount, answers saved per minute, the least progress,
the latest refusals), each an aggregate or a short indexed list; nothing loops over attempts. Their
cost follows what the exam is doing (its attempts, its running attempts' items, the items saved in
the last 15 minutes), not how many past exams the tables hold: bench/live_page.py measures it.

Worked example: 40 students may take the exam; 25 have an attempt, 3 of them ended; of the 22 still
open, 18 sent a request in the last 2 minutes: started 25, writing now 18, quiet 4, completed 3,
not yet started 15.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMinute

from exams.models import Exam
from exams.selectors import students_who_may_see

from . import timing
from .choices import OPEN_STATES, AttemptState
from .models import Attempt, AttemptItem, RefusedRequest

# A student is writing now when their attempt heard from their app this recently (any request on a
# running attempt moves its clock_checked_at: a save, a heartbeat every minute, a resume).
WRITING_WINDOW = timedelta(minutes=2)
# The answers-saved chart: this many whole minutes, the current one last.
SAVES_MINUTES = 15
# Rows of the least-progress list and of the latest refusals.
LIST_ROWS = 10


@dataclass(frozen=True)
class Headcount:
    """Students, not attempts: a retake is one more attempt of the same student."""

    # Active students who may see the exam (exams.selectors.students_who_may_see).
    may_take: int
    # Students with an attempt of it, whether or not they still may take it.
    started: int
    # Students whose open attempt heard from their app within WRITING_WINDOW.
    writing: int
    # Students with an open attempt that has gone quiet (app closed, no network) or not begun.
    quiet: int
    # Students whose attempts have all ended.
    completed: int
    # Students who may take it and have no attempt of it yet.
    not_started: int


def headcount(exam: Exam, *, now: datetime) -> Headcount:
    """Two aggregate queries: the students who may take it, and the exam's attempts.

    A student has at most one open attempt of an exam (a database constraint), so the students in
    progress are the open attempts counted, and those who started and are not in progress have
    completed.
    """
    students = students_who_may_see(exam).aggregate(
        may_take=Count("pk"),
        # NOT IN a list the database hashes once: no per-student probe of the attempts.
        not_started=Count("pk", filter=~Q(pk__in=Attempt.objects.filter(exam=exam).values("user_id"))),
    )
    attempts = Attempt.objects.filter(exam=exam).aggregate(
        started=Count("user_id", distinct=True),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        writing=Count("pk", filter=Q(state=AttemptState.RUNNING, clock_checked_at__gte=now - WRITING_WINDOW)),
    )
    return Headcount(
        may_take=students["may_take"],
        started=attempts["started"],
        writing=attempts["writing"],
        quiet=attempts["open"] - attempts["writing"],
        completed=attempts["started"] - attempts["open"],
        not_started=students["not_started"],
    )


@dataclass(frozen=True)
class Minute:
    start: datetime
    saves: int


def saves_per_minute(exam: Exam, *, now: datetime) -> list[Minute]:
    """Answers saved in each of the last SAVES_MINUTES whole minutes, zeros included (one query).

    Counted from what is stored, AttemptItem.modified, which every save of an item moves: an item
    saved twice counts once, in the minute of its latest save, so a busy minute whose answers were
    changed again later reads low. Items never saved (duration still empty: their `modified` is the
    attempt's start) are left out. A save of the review flag alone counts as a save.
    """
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=SAVES_MINUTES - 1)
    counts = dict(
        AttemptItem.objects.filter(attempt__exam=exam, modified__gte=first, duration__isnull=False)
        .annotate(minute=TruncMinute("modified"))
        .values("minute")
        .annotate(saves=Count("pk"))
        .values_list("minute", "saves")
        .order_by()
    )
    counts = {minute.timestamp(): saves for minute, saves in counts.items()}
    minutes = (first + timedelta(minutes=n) for n in range(SAVES_MINUTES))
    return [Minute(start=minute, saves=counts.get(minute.timestamp(), 0)) for minute in minutes]


def least_progress(exam: Exam, *, now: datetime) -> list[Attempt]:
    """The running attempts with the fewest questions answered, fewest first (one query).

    Each has `answered` (items with a choice, a number or an essay saved), its user, and
    `remaining` (timing.remaining_time_at, None for an untimed exam). Ties: the earliest created first.
    The ten are picked by a subquery that counts the running attempts' items grouped by attempt id
    alone, so that only those ten rows are joined with their users and counted again; every attempt
    has its items from its start (services.attempt_create), so none is missed for having none.
    """
    answered = ~Q(selected_answers=[]) | ~Q(short_text="") | ~Q(essay_text="")
    fewest = (
        AttemptItem.objects.filter(attempt__exam=exam, attempt__state=AttemptState.RUNNING)
        .values("attempt_id")
        .annotate(answered=Count("pk", filter=answered))
        .order_by("answered", "attempt_id")
        .values("attempt_id")[:LIST_ROWS]
    )
    on_items = ~Q(items__selected_answers=[]) | ~Q(items__short_text="") | ~Q(items__essay_text="")
    attempts = list(
        Attempt.objects.filter(pk__in=fewest)
        .annotate(answered=Count("items", filter=on_items))
        .select_related("user")
        .order_by("answered", "pk")
    )
    for attempt in attempts:
        attempt.exam = exam
        attempt.remaining = timing.remaining_time_at(attempt, now)
    return attempts


def latest_refusals(exam: Exam) -> list[RefusedRequest]:
    """The exam's latest requests refused because their attempt had ended, newest first (one query)."""
    return list(
        RefusedRequest.objects.filter(exam=exam).select_related("user").order_by("-at", "-id")[:LIST_ROWS]
    )
