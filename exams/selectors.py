"""Reads of exams as a student sees them: which exams, in which state, with which counts."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import Batch
from attempts.choices import OPEN_STATES
from attempts.models import Attempt
from testpress.queries import subquery_count

from .models import Exam, ExamQuestion, Subject

UPCOMING, AVAILABLE, HISTORY = "upcoming", "available", "history"
EXAM_STATES = (AVAILABLE, UPCOMING, HISTORY)


def sees_every_exam(user) -> bool:
    """Staff who may view exams in the admin (exams.view_exam) see drafts and every batch's exams too.

    Students are answered without reading permissions: they hold none, and this is on every exam request.
    """
    return user.is_staff and user.has_perm("exams.view_exam")


def exams_visible_to(user) -> QuerySet[Exam]:
    """Published exams with no batches or sharing a batch with the user; see sees_every_exam for staff.

    Batches are tested with EXISTS rather than joined, so an exam in two of the user's batches
    is still one row.
    """
    if sees_every_exam(user):
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
    if exam is None or not (exam.published or sees_every_exam(user)):
        raise NotFound()
    if not exam.visible:
        raise PermissionDenied("This exam is not available to you.")
    return exam


# --- The admin API (v2.5) -----------------------------------------------------------------------

RUNNING, COMPLETED = "running", "completed"
EXAM_STATUSES = (RUNNING, UPCOMING, COMPLETED)


def admin_exam_list() -> QuerySet[Exam]:
    """Every exam with its question count and total marks (what Exam.question_marks sums to): one SELECT."""
    links = ExamQuestion.objects.filter(exam=OuterRef("pk")).order_by()
    own_marks = links.values("exam").annotate(total=Sum("question__marks")).values("total")
    return Exam.objects.annotate(number_of_questions=subquery_count(links)).annotate(
        total_marks=Case(
            When(variable_mark_per_question=True, then=Coalesce(Subquery(own_marks), Value(Decimal("0")))),
            default=F("mark_per_question") * F("number_of_questions"),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


def exams_in_status(queryset: QuerySet[Exam], *, status: str, now: datetime) -> QuerySet[Exam]:
    """Narrow to the exams that are `status` at `now`, by their schedule alone (as Exam.is_open reads it).

    upcoming: not started. running: started and not ended (an exam without end_date never ends).
    completed: ended.
    """
    if status == UPCOMING:
        return queryset.filter(start_date__gt=now)
    if status == RUNNING:
        return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gt=now), start_date__lte=now)
    if status == COMPLETED:
        return queryset.filter(end_date__lte=now)
    raise ValueError(f"Unknown exam status {status!r}")


def subject_and_descendant_ids(subject_id: int) -> set[int]:
    """The subject and every subject under it, from one read of the tree (empty for an unknown id)."""
    parents = dict(Subject.objects.values_list("pk", "parent_id"))
    if subject_id not in parents:
        return set()
    children: dict[int, list[int]] = {}
    for pk, parent_id in parents.items():
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [subject_id]
    while todo:
        pk = todo.pop()
        found.add(pk)
        todo.extend(children.get(pk, ()))
    return found


def exams_with_subject(queryset: QuerySet[Exam], *, subject_id: int) -> QuerySet[Exam]:
    """Exams holding a question of the subject or of a subject under it; EXISTS keeps one row per exam."""
    ids = subject_and_descendant_ids(subject_id)
    if not ids:
        return queryset.none()
    links = ExamQuestion.objects.filter(exam=OuterRef("pk"), question__subject_id__in=ids)
    return queryset.filter(Exists(links))


def exams_of_batch(queryset: QuerySet[Exam], *, batch_id: int) -> QuerySet[Exam]:
    """Exams limited to the batch (an exam without batches is open to all, not limited to any)."""
    limited = Exam.batches.through.objects.filter(exam=OuterRef("pk"), batch_id=batch_id)
    return queryset.filter(Exists(limited))
