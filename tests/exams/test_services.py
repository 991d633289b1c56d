import pytest
from django.core.exceptions import ValidationError

from exams.models import ExamQuestion
from exams.services import exam_add_questions, exam_publish
from tests.factories import ExamFactory, ExamQuestionFactory, QuestionFactory, SectionFactory

pytestmark = pytest.mark.django_db


def held(exam) -> list[tuple[int, int, int | None]]:
    return list(
        ExamQuestion.objects.filter(exam=exam)
        .order_by("order")
        .values_list("question_id", "order", "section_id")
    )


class TestPublicationProblems:
    def test_an_exam_with_keyed_questions_may_be_published(self):
        exam = ExamFactory(published=False)
        ExamQuestionFactory(exam=exam)
        ExamQuestionFactory(exam=exam, question=QuestionFactory(numerical=True))
        ExamQuestionFactory(exam=exam, question=QuestionFactory(essay=True))
        assert exam.publication_problems() == []

    def test_an_exam_without_questions_may_not(self):
        assert ExamFactory().publication_problems() == [
            "Add at least one question before publishing the exam."
        ]

    def test_each_question_without_a_key_is_named(self):
        exam = ExamFactory()
        no_choice = QuestionFactory(with_choices=3, with_choices__correct=0)
        no_choices_at_all = QuestionFactory(multiple=True)
        no_value = QuestionFactory(numerical=True, numerical_answer=None)
        for question in (no_choice, no_choices_at_all, no_value, QuestionFactory(with_choices=2)):
            ExamQuestionFactory(exam=exam, question=question)
        assert exam.publication_problems() == [
            f"Mark a correct choice on these questions: Q{no_choice.pk}, Q{no_choices_at_all.pk}.",
            f"Give these numerical questions their answer value: Q{no_value.pk}.",
        ]

    def test_the_questions_about_to_be_saved_are_judged_instead_of_the_saved_ones(self):
        exam = ExamFactory()
        ExamQuestionFactory(exam=exam)
        unkeyed = QuestionFactory()
        assert exam.publication_problems(question_ids=[]) == [
            "Add at least one question before publishing the exam."
        ]
        assert f"Q{unkeyed.pk}" in exam.publication_problems(question_ids=[unkeyed.pk])[0]


class TestExamAddQuestions:
    def test_appends_in_the_order_given_and_skips_questions_already_held(self):
        exam = ExamFactory()
        first = ExamQuestionFactory(exam=exam, order=4).question
        a, b = QuestionFactory(with_choices=2), QuestionFactory(with_choices=2)
        added = exam_add_questions(exam=exam, questions=[b, first, a, b])
        assert added == 2
        assert held(exam) == [(first.pk, 4, None), (b.pk, 5, None), (a.pk, 6, None)]

    def test_puts_them_in_the_section_given(self):
        section = SectionFactory()
        question = QuestionFactory(with_choices=2)
        assert exam_add_questions(exam=section.exam, questions=[question], section=section) == 1
        assert held(section.exam) == [(question.pk, 1, section.pk)]

    def test_a_section_of_another_exam_is_refused_and_nothing_is_added(self):
        exam = ExamFactory()
        with pytest.raises(ValidationError) as refused:
            exam_add_questions(
                exam=exam, questions=[QuestionFactory(with_choices=2)], section=SectionFactory()
            )
        assert "section" in refused.value.message_dict
        assert held(exam) == []

    def test_a_published_exam_refuses_a_question_without_a_key(self):
        exam = ExamFactory(published=True)
        ExamQuestionFactory(exam=exam)
        unkeyed = QuestionFactory(with_choices=2, with_choices__correct=0)
        with pytest.raises(ValidationError) as refused:
            exam_add_questions(exam=exam, questions=[QuestionFactory(with_choices=2), unkeyed])
        assert f"Q{unkeyed.pk}" in refused.value.messages[0]
        assert len(held(exam)) == 1

    def test_a_draft_takes_any_question(self):
        exam = ExamFactory(published=False)
        assert exam_add_questions(exam=exam, questions=[QuestionFactory()]) == 1


class TestExamPublish:
    def test_publishes_a_ready_exam(self):
        exam = ExamFactory(published=False)
        ExamQuestionFactory(exam=exam)
        exam_publish(exam=exam)
        exam.refresh_from_db()
        assert exam.published

    def test_refuses_with_the_problems_and_leaves_it_a_draft(self):
        exam = ExamFactory(published=False)
        with pytest.raises(ValidationError) as refused:
            exam_publish(exam=exam)
        assert refused.value.messages == ["Add at least one question before publishing the exam."]
        exam.refresh_from_db()
        assert not exam.published
