"""Keep Exam.restricted_to_batches true whenever an exam has batches, whoever writes them; and give an
exam's cached paper a new stamp whenever what its students read changes (exams/paper.py).

Hooked to the model because batches are set from the admin form, the factories, seed_demo and
the shell alike, and a batch is deleted from its own admin page: an exam that was ever limited
to batches must stay limited when they go (exams.selectors.exams_visible_to).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from accounts.models import Batch

from .models import (
    Answer,
    AnswerTranslation,
    Direction,
    Exam,
    ExamLanguage,
    ExamQuestion,
    Question,
    QuestionTranslation,
    Section,
    Subject,
)
from .paper import invalidate_papers


@receiver(m2m_changed, sender=Exam.batches.through)
def restrict_exams_given_batches(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add" or not pk_set:
        return
    exam_ids = pk_set if reverse else {instance.pk}
    Exam.objects.filter(pk__in=exam_ids, restricted_to_batches=False).update(restricted_to_batches=True)
    if not reverse:
        instance.restricted_to_batches = True


@receiver(pre_delete, sender=Batch)
def keep_exams_of_a_deleted_batch_restricted(sender, instance, **kwargs):
    # Also covers rows whose batches were written around the signal above (bulk inserts, raw SQL).
    Exam.objects.filter(batches=instance, restricted_to_batches=False).update(restricted_to_batches=True)


# --- The cached paper (exams/paper.py): any change of what students read gives the exam a new stamp --


def _exams_of_questions(question_ids) -> set[int]:
    return set(ExamQuestion.objects.filter(question_id__in=question_ids).values_list("exam_id", flat=True))


@receiver([post_save, post_delete], sender=Exam)
def new_paper_for_exam(sender, instance, **kwargs):
    # Marks, publishing and the exam's own flags print in the paper; a new exam may reuse a deleted one's id.
    invalidate_papers([instance.pk])


@receiver([post_save, post_delete], sender=Section)
@receiver([post_save, post_delete], sender=ExamQuestion)
def new_paper_for_exam_part(sender, instance, **kwargs):
    invalidate_papers([instance.exam_id])


@receiver([post_save, post_delete], sender=Question)
def new_paper_for_question(sender, instance, **kwargs):
    invalidate_papers(_exams_of_questions([instance.pk]))


@receiver([post_save, post_delete], sender=Answer)
def new_paper_for_choice(sender, instance, **kwargs):
    invalidate_papers(_exams_of_questions([instance.question_id]))


@receiver(post_save, sender=Direction)
def new_paper_for_direction(sender, instance, **kwargs):
    invalidate_papers(_exams_of_questions(Question.objects.filter(direction=instance).values("pk")))


@receiver(post_save, sender=Subject)
def new_paper_for_subject(sender, instance, **kwargs):
    invalidate_papers(_exams_of_questions(Question.objects.filter(subject=instance).values("pk")))


@receiver([post_save, post_delete], sender=ExamLanguage)
def new_paper_for_exam_language(sender, instance, **kwargs):
    # Which translations print follows the exam's languages.
    invalidate_papers([instance.exam_id])


@receiver([post_save, post_delete], sender=QuestionTranslation)
def new_paper_for_translation(sender, instance, **kwargs):
    invalidate_papers(_exams_of_questions([instance.question_id]))


@receiver([post_save, post_delete], sender=AnswerTranslation)
def new_paper_for_choice_translation(sender, instance, **kwargs):
    question_id = QuestionTranslation.objects.filter(pk=instance.translation_id).values("question_id")
    invalidate_papers(_exams_of_questions(question_id))
