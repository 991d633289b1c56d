import pytest

from tests.factories import AttemptFactory, ExamQuestionFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_exam_and_attempt():
    link = ExamQuestionFactory()
    attempt = AttemptFactory(exam=link.exam)
    assert attempt.exam.exam_questions.count() == 1
    assert link.question.answers.filter(is_correct=True).count() == 1
    assert attempt.remaining_time == link.exam.duration
