"""Writes to exams that staff make from the admin: picking questions from the bank, publishing."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from .models import Exam, ExamQuestion, Question, Section


@transaction.atomic
def exam_add_questions(*, exam: Exam, questions: Iterable[Question], section: Section | None = None) -> int:
    """Append `questions` to the end of `exam`, in the order given; how many were added.

    Questions the exam already holds are skipped (they keep their place). `section` must be one
    of the exam's. A published exam stays publishable: adding a question without a key (no
    correct choice, no numerical value) is refused and adds nothing.

    Exam holding Q1, Q2 at orders 1, 2; adding [Q2, Q7, Q5] appends Q7 at 3 and Q5 at 4 and returns 2.
    """
    if section is not None and section.exam_id != exam.pk:
        raise ValidationError({"section": [f"“{section}” is a section of another exam."]})
    # Lock the exam so two staff appending at once do not take the same order numbers.
    Exam.objects.select_for_update().filter(pk=exam.pk).values_list("pk").first()
    links = ExamQuestion.objects.filter(exam=exam)
    held = set(links.values_list("question_id", flat=True))
    last = links.aggregate(last=Max("order"))["last"] or 0
    new = []
    for question in questions:
        if question.pk not in held:
            held.add(question.pk)
            new.append(ExamQuestion(exam=exam, question=question, section=section, order=last + len(new) + 1))
    ExamQuestion.objects.bulk_create(new)
    if new and exam.published:
        problems = exam.publication_problems()
        if problems:
            raise ValidationError(problems)
    return len(new)


@transaction.atomic
def exam_publish(*, exam: Exam) -> Exam:
    """Publish `exam`; ValidationError listing the publication problems when it may not be."""
    problems = exam.publication_problems()
    if problems:
        raise ValidationError(problems)
    if not exam.published:
        exam.published = True
        exam.save(update_fields=["published", "modified"])
    return exam
