"""Writes to exams that staff make from the admin: picking questions from the bank, publishing, images,
translations."""

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from .errors import QuestionImageInvalid
from .models import (
    AnswerTranslation,
    Exam,
    ExamQuestion,
    Question,
    QuestionTranslation,
    Section,
    is_sectionally_timed,
)
from .paper import invalidate_papers


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
    if new:
        invalidate_papers([exam.pk])  # bulk_create sends no post_save
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


@transaction.atomic
def exam_time_by_sections(*, exam: Exam) -> bool:
    """Set a sectionally timed exam's duration to the sum of its sections' (those holding questions),
    the time its attempts have; whether it is timed by section. Other exams are left as they are.

    Sections of 10, 5 and 5 minutes: the exam lasts 0:20:00, whatever duration was typed before.
    """
    sections = [link.section for link in ExamQuestion.objects.filter(exam=exam).select_related("section")]
    if not is_sectionally_timed(sections):
        return False
    total = sum((section.duration for section in {s.pk: s for s in sections}.values()), timedelta(0))
    if exam.duration != total:
        exam.duration = total
        exam.save(update_fields=["duration", "modified"])
    return True


def question_image_save(*, file) -> str:
    """Store an image uploaded for a question's HTML in the media storage; the URL to link to it.

    Only what Pillow reads as a PNG, JPEG, GIF or WebP image (settings.QUESTION_IMAGE_FORMATS) of at
    most QUESTION_IMAGE_MAX_BYTES is kept, whatever its name or declared type says: an SVG or an HTML
    page named photo.png is refused, since the files are served from the site itself. The name is a new
    random one under questions/<year>/<month>/, with the extension of the format read.
    """
    if file is None:
        raise QuestionImageInvalid("Choose an image file to upload.")
    limit = settings.QUESTION_IMAGE_MAX_BYTES
    if file.size > limit:
        raise QuestionImageInvalid(f"The image is too large: at most {limit // 1024:,} KB, please.")
    try:
        with Image.open(file) as image:
            kind = image.format
            # Reads the whole image: a truncated or corrupt file fails here, not in a student's app.
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise QuestionImageInvalid("This file is not an image that can be read.") from None
    extension = settings.QUESTION_IMAGE_FORMATS.get(kind)
    if extension is None:
        kinds = ", ".join(settings.QUESTION_IMAGE_FORMATS)
        raise QuestionImageInvalid(f"{kind} images are not accepted: upload one of {kinds}.")
    file.seek(0)
    name = default_storage.save(f"questions/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}", file)
    return default_storage.url(name)


def translated_choice_problems(*, texts: list[str], choice_count: int) -> dict[int, str]:
    """What keeps `texts` from being a translation of a question's `choice_count` choices, by choice
    number (1-based); empty when there is one text for each choice, in the question's order.

    Trailing blanks are no choices: 3 choices and texts ["a", "", "c", ""] → {2: "…blank…"};
    texts ["a", "b"] → {3: "…missing…"}; ["a", "b", "c", "d"] → {4: "…no such choice…"}.
    """
    texts = [text.strip() for text in texts]
    while texts and not texts[-1]:
        texts.pop()
    problems = {}
    for number, text in enumerate(texts, 1):
        if number > choice_count:
            problems[number] = (
                f"The question has {choice_count} choice(s), so there is no choice {number} to translate."
            )
        elif not text:
            problems[number] = "Give this choice its text in this language too."
    for number in range(len(texts) + 1, choice_count + 1):
        problems[number] = (
            f"The question has {choice_count} choices: give choice {number} its text in this language too."
        )
    return problems


@transaction.atomic
def question_translation_save(*, translation: QuestionTranslation, choices: list[str]) -> QuestionTranslation:
    """Save `translation` with `choices`, the texts of its question's choices in their order (order, id).

    The translated choices are the question's own (the same Answer rows, ids and key), so the texts must
    match them one for one: ValidationError keyed choice_<n> otherwise, and nothing is written.
    A choice's text is rewritten in place.
    """
    answers = list(translation.question.answers.order_by("order", "id"))
    problems = translated_choice_problems(texts=choices, choice_count=len(answers))
    if problems:
        raise ValidationError({f"choice_{number}": [message] for number, message in problems.items()})
    translation.full_clean()
    translation.save()
    existing = {row.answer_id: row for row in translation.answers.all()}
    for answer, text in zip(answers, choices, strict=False):
        row = existing.pop(answer.pk, None) or AnswerTranslation(translation=translation, answer=answer)
        if row.pk is None or row.text_html != text:
            row.text_html = text
            row.save()
    # Texts of choices the question no longer has.
    AnswerTranslation.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    return translation
