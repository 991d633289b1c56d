"""Question translations in the domain: the choice rule of the service, and what is stored."""

import pytest
from django.core.exceptions import ValidationError

from exams.models import AnswerTranslation, QuestionTranslation
from exams.services import question_translation_save, translated_choice_problems
from tests.factories import QuestionFactory, language, translate

pytestmark = pytest.mark.django_db


class TestTranslatedChoiceProblems:
    @pytest.mark.parametrize(
        ("texts", "count", "numbers"),
        [
            (["a", "b", "c"], 3, []),
            (["a", "b", "c", "", " "], 3, []),
            (["a", "b"], 3, [3]),
            (["a", "", "c"], 3, [2]),
            (["a", "b", "c", "d"], 3, [4]),
            ([], 0, []),
            (["a"], 0, [1]),
        ],
    )
    def test_names_each_choice_missing_blank_or_extra(self, texts, count, numbers):
        assert sorted(translated_choice_problems(texts=texts, choice_count=count)) == numbers


class TestQuestionTranslationSave:
    def test_html_of_the_translation_and_its_choices_is_stored_clean(self):
        question = QuestionFactory(with_choices=2)
        translate(
            question,
            "hi",
            question_html='<p onmouseover="steal()">प्रश्न<script>steal()</script></p>',
            explanation_html='<p style="color:red">क्योंकि</p>',
            choices=['<a href="javascript:steal()">एक</a>', '<img src="x.png" onerror="steal()">'],
        )
        translation = QuestionTranslation.objects.get()
        assert (translation.question_html, translation.explanation_html) == ("<p>प्रश्न</p>", "<p>क्योंकि</p>")
        texts = list(translation.answers.order_by("answer__order").values_list("text_html", flat=True))
        assert texts == ['<a rel="noopener noreferrer">एक</a>', '<img src="x.png">']

    def test_a_set_of_choices_unlike_the_questions_is_refused_and_nothing_written(self):
        question = QuestionFactory(with_choices=3)
        translation = QuestionTranslation(
            question=question, language=language("hi"), question_html="<p>प्र</p>"
        )
        with pytest.raises(ValidationError) as refused:
            question_translation_save(translation=translation, choices=["<p>क</p>", "<p>ख</p>"])
        assert list(refused.value.message_dict) == ["choice_3"]
        assert not QuestionTranslation.objects.exists()

    def test_saving_again_rewrites_each_choices_text_in_place(self):
        question = QuestionFactory(with_choices=2)
        translation = translate(question, "hi")
        before = list(AnswerTranslation.objects.order_by("pk").values_list("pk", "answer_id"))
        question_translation_save(translation=translation, choices=["<p>नया</p>", "<p>दूसरा</p>"])
        after = list(AnswerTranslation.objects.order_by("pk").values_list("pk", "answer_id", "text_html"))
        assert after == [
            (pk, answer, text)
            for (pk, answer), text in zip(before, ["<p>नया</p>", "<p>दूसरा</p>"], strict=True)
        ]

    def test_the_questions_own_language_cannot_be_a_translation(self):
        question = QuestionFactory(with_choices=1, language=language("hi"))
        with pytest.raises(ValidationError) as refused:
            translate(question, "hi")
        assert "language" in refused.value.message_dict

    def test_a_question_cannot_take_the_language_of_one_of_its_translations(self):
        question = QuestionFactory(with_choices=1)
        translate(question, "hi")
        question.language = language("hi")
        with pytest.raises(ValidationError) as refused:
            question.full_clean()
        assert "language" in refused.value.message_dict
