import pytest

from attempts.timing import remaining_time_at
from tests.factories import AttemptFactory, ExamQuestionFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_exam_and_attempt():
    link = ExamQuestionFactory()
    attempt = AttemptFactory(exam=link.exam)
    assert attempt.exam.exam_questions.count() == 1
    assert link.question.answers.filter(is_correct=True).count() == 1
    assert remaining_time_at(attempt, attempt.clock_checked_at) == link.exam.duration
