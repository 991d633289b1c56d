"""Reads of exams as a student sees them: which exams, in which state, with which counts."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import Batch
from attempts.choices import OPEN_STATES
from attempts.models import Attempt
from testpress.queries import subquery_count

from .models import Exam, ExamQuestion

UPCOMING, AVAILABLE, HISTORY = "upcoming", "available", "history"
EXAM_STATES = (AVAILABLE, UPCOMING, HISTORY)


def exams_visible_to(user) -> QuerySet[Exam]:
    """Published exams with no batches or sharing a batch with the user; staff see every exam.

    Batches are tested with EXISTS rather than joined, so an exam in two of the user's batches
    is still one row.
    """
    if user.is_staff:
        return Exam.objects.all()
    limited = Batch.objects.filter(exams=OuterRef("pk"))
    return Exam.objects.filter(Q(published=True) & (~Exists(limited) | Exists(limited.filter(students=user))))


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


def exam_list(*, user) -> QuerySet[Exam]:
    return with_user_counts(exams_visible_to(user), user=user)


def exams_in_state(queryset: QuerySet[Exam], *, state: str, user, now: datetime) -> QuerySet[Exam]:
    """Narrow to the exams that are `state` for this user at `now`.

    upcoming: not started yet. available: started, not ended, and not yet attempted by the user.
    history: attempted at least once by the user (whatever the schedule says).
    """
    attempted = Exists(Attempt.objects.filter(exam=OuterRef("pk"), user=user))
    if state == UPCOMING:
        return queryset.filter(start_date__gt=now)
    if state == AVAILABLE:
        not_ended = Q(end_date__isnull=True) | Q(end_date__gt=now)
        return queryset.filter(not_ended, ~attempted, start_date__lte=now)
    if state == HISTORY:
        return queryset.filter(attempted)
    raise ValueError(f"Unknown exam state {state!r}")


def exam_for_user(*, user, slug: str) -> Exam:
    """The exam as the user's API prints it.

    404 when there is no such exam or it is unpublished (for a student); 403 when it exists but is
    limited to batches the user is not in.
    """
    visible = exams_visible_to(user).filter(pk=OuterRef("pk"))
    exam = (
        with_user_counts(Exam.objects.filter(slug=slug), user=user).annotate(visible=Exists(visible)).first()
    )
    if exam is None or not (exam.published or user.is_staff):
        raise NotFound()
    if not exam.visible:
        raise PermissionDenied("This exam is not available to you.")
    return exam
