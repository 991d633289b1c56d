import pytest
from django.core.exceptions import ValidationError

from exams.models import Answer
from tests.factories import AttemptItemFactory, QuestionFactory

pytestmark = pytest.mark.django_db


class TestDeletingAChoice:
    """An attempt's saved answer holds choice ids: a chosen choice must outlive any edit of its question."""

    @pytest.fixture
    def question(self):
        question = QuestionFactory(with_choices=3)
        first, second, _ = question.answers.all()
        AttemptItemFactory(question=question, selected_answers=[second.pk])
        AttemptItemFactory(question=question, selected_answers=[])
        return question

    def test_a_chosen_choice_refuses_to_be_deleted_and_is_named(self, question):
        chosen = question.answers.all()[1]
        with pytest.raises(ValidationError) as refused:
            chosen.delete()
        assert refused.value.messages == [
            "The choice “Choice 2” has been chosen in an attempt, so it cannot be deleted: "
            "change its text or whether it is correct instead."
        ]
        assert Answer.objects.filter(pk=chosen.pk).exists()

    def test_a_bulk_delete_holding_a_chosen_choice_deletes_none(self, question):
        with pytest.raises(ValidationError, match="Choice 2"):
            question.answers.all().delete()
        with pytest.raises(ValidationError, match="Choice 2"):
            Answer.objects.filter(question=question).delete()
        assert question.answers.count() == 3

    def test_choices_nobody_chose_may_be_deleted(self, question):
        first, _, third = question.answers.all()
        first.delete()
        Answer.objects.filter(pk=third.pk).delete()
        assert [answer.text_html for answer in question.answers.all()] == ["<p>Choice 2</p>"]

    def test_a_choice_chosen_in_another_question_is_not_confused_with_one_of_this(self, question):
        other = QuestionFactory(with_choices=2)
        AttemptItemFactory(question=other, selected_answers=[other.answers.first().pk])
        assert Answer.objects.filter(question=question).chosen_in_attempts() == [question.answers.all()[1]]
        other.answers.last().delete()
