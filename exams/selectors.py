"""Reads of exams: which a user may see, and the admin API's lists.

What an exam looks like to one student (their attempt counts, available/upcoming/history) reads
attempts, so it lives in attempts/selectors.py.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Batch, User
from testpress.queries import subquery_count

from . import errors
from .models import AccessCode, Exam, ExamLanguage, ExamQuestion, Subject


def sees_every_exam(user) -> bool:
    """Staff who may view exams in the admin (exams.view_exam) see drafts and every batch's exams too.

    Students are answered without reading permissions: they hold none, and this is on every exam request.
    """
    return user.is_staff and user.has_perm("exams.view_exam")


def exams_visible_to(user, *, access_code: str | None = None) -> QuerySet[Exam]:
    """The one rule of who sees an exam: every read, the detail and starting an attempt go through it.

    Staff see every exam. A student sees a published exam that is open to all (not restricted to
    batches and holding none) or that shares a batch with them. An exam restricted to batches whose
    batches were all deleted is seen by no student: it fails closed. A batch on an exam limits it even
    if the flag were off. Batches are tested with EXISTS rather than joined, so an exam in two of the
    user's batches is still one row.

    `access_code` also opens the published exam that holds that code, whatever its batches.
    """
    if sees_every_exam(user):
        return Exam.objects.all()
    limited = Batch.objects.filter(exams=OuterRef("pk"))
    allowed = _open_to_all() | Exists(limited.filter(students=user))
    if access_code is not None:
        allowed |= Exists(AccessCode.objects.filter(exam=OuterRef("pk"), code=access_code))
    return Exam.objects.filter(Q(published=True) & allowed)


def with_visibility(queryset: QuerySet[Exam], user, *, access_code: str | None = None) -> QuerySet[Exam]:
    """Annotate `visible`: whether exams_visible_to(user, access_code=...) holds the exam (an EXISTS)."""
    visible = exams_visible_to(user, access_code=access_code).filter(pk=OuterRef("pk"))
    return queryset.annotate(visible=Exists(visible))


def require_known(exam: Exam | None, user) -> Exam:
    """404 when there is no such exam, or it is unpublished and the user does not see drafts."""
    if exam is None or not (exam.published or sees_every_exam(user)):
        raise errors.ExamNotFound()
    return exam


def require_visible(exam: Exam) -> Exam:
    """403 for an exam annotated by with_visibility that the user may not see (another batch's)."""
    if not exam.visible:
        raise errors.ExamNotAvailable()
    return exam


def visible_exam(*, user, pk: int) -> Exam:
    """One exam by id, with its number_of_questions, as the student API's exam detail decides who sees
    it (404 unknown or unpublished, 403 another batch's): one query."""
    exams = Exam.objects.filter(pk=pk).annotate(
        number_of_questions=subquery_count(ExamQuestion.objects.filter(exam=OuterRef("pk")))
    )
    return require_visible(require_known(with_visibility(exams, user).first(), user))


def _open_to_all() -> Q:
    """An exam not restricted to batches and holding none: every student sees it once published."""
    return Q(restricted_to_batches=False) & ~Exists(Batch.objects.filter(exams=OuterRef("pk")))


def students_who_may_see(exam: Exam) -> QuerySet[User]:
    """exams_visible_to read the other way: the students (active, not staff) who see `exam`.

    Published and open to all: every active student. Published with batches: their members.
    Unpublished, or restricted with its batches all deleted: nobody. tests/exams/test_selectors.py
    holds it to exams_visible_to on every kind of exam. No subquery depends on the student: the
    database reads the exam's conditions and its batches' members once, not once per student.
    """
    published = Exam.objects.filter(pk=exam.pk, published=True)
    members = User.batches.through.objects.filter(batch__exams=exam.pk).values("user_id")
    return User.objects.filter(is_active=True, is_staff=False).filter(
        Exists(published) & (Exists(published.filter(_open_to_all())) | Q(pk__in=members))
    )


def exams_opened_by(code: str) -> QuerySet[Exam]:
    """The published exams an access code opens, to anyone who holds it; 404 access_code_not_found for
    a code no exam holds (an unpublished exam's code is known, and opens nothing yet)."""
    if not AccessCode.objects.filter(code=code).exists():
        raise errors.AccessCodeNotFound()
    return Exam.objects.filter(published=True, access_codes__code=code)


def require_access_code_of(exam: Exam, code: str) -> None:
    """403 wrong_access_code when `code` is not one of the exam's codes."""
    if not AccessCode.objects.filter(exam=exam, code=code).exists():
        raise errors.WrongAccessCode()


# A paper is bilingual when its exam lists two or more languages: one listed language is a monolingual
# paper, printed with no languages and no translations.
BILINGUAL_FROM = 2


def is_bilingual(language_count: int) -> bool:
    return language_count >= BILINGUAL_FROM


def language_count(exam) -> Subquery:
    """How many languages the exam (a value or an OuterRef) lists, as a scalar subquery."""
    return subquery_count(ExamLanguage.objects.filter(exam=exam))


def exam_is_bilingual(exam) -> bool:
    return is_bilingual(ExamLanguage.objects.filter(exam=exam).count())


def paper_languages() -> QuerySet[ExamLanguage]:
    """The languages exams are printed with, in each exam's order, with their code and title: only an
    exam's that lists two or more (one language is a monolingual paper, printed with none). One SELECT,
    whatever the number of exams."""
    others = ExamLanguage.objects.filter(exam=OuterRef("exam_id")).exclude(pk=OuterRef("pk"))
    return (
        ExamLanguage.objects.filter(Exists(others)).select_related("language").order_by("exam", "order", "id")
    )


def exam_paper_languages(exam: Exam) -> QuerySet[ExamLanguage]:
    return paper_languages().filter(exam=exam)


def exams_left_without_batches(batch_ids: Iterable[int]) -> QuerySet[Exam]:
    """Exams limited to these batches and no other: no student will see them once the batches are deleted."""
    batch_ids = list(batch_ids)
    links = Exam.batches.through.objects.filter(exam=OuterRef("pk"))
    return Exam.objects.filter(
        Exists(links.filter(batch_id__in=batch_ids)), ~Exists(links.exclude(batch_id__in=batch_ids))
    ).order_by("title", "pk")


# --- The admin API (v2.5) -----------------------------------------------------------------------

UPCOMING, RUNNING, COMPLETED = "upcoming", "running", "completed"
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


def exams_in_schedule_status(queryset: QuerySet[Exam], *, status: str, now: datetime) -> QuerySet[Exam]:
    """Narrow to the exams that are `status` at `now`, by their schedule alone (Exam's schedule rule).

    upcoming: not started. running: open (started, not ended). completed: ended.
    """
    if status == UPCOMING:
        return queryset.exclude(Exam.started_q(now))
    if status == RUNNING:
        return queryset.filter(Exam.open_q(now))
    if status == COMPLETED:
        return queryset.filter(Exam.ended_q(now))
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


def link_subject_tree(subjects) -> dict[int, Subject]:
    """Gives each subject its chain of parents from one query, so str(subject) (its path) costs none.

    Returns the whole tree by id. The tree is small (a few hundred nodes), the pages that list
    subjects are not.
    """
    tree = {subject.pk: subject for subject in Subject.objects.only("pk", "name", "parent_id")}
    for subject in [*tree.values(), *subjects]:
        if subject is not None and subject.parent_id in tree:
            subject.parent = tree[subject.parent_id]
    return tree


def exam_questions_in_order(exam: Exam) -> list[ExamQuestion]:
    """The exam's questions in the order an attempt gets them (order, then id), each with its section,
    question, direction and choices: what the student-view preview prints. Two queries."""
    return list(
        ExamQuestion.objects.filter(exam=exam)
        .select_related("section", "question__direction")
        .prefetch_related("question__answers")
        .order_by("order", "id")
    )
