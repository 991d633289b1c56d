"""Staff write a question's translations beside it in the admin: a text for each of its choices."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from exams.models import AnswerTranslation, ExamLanguage, Language, QuestionTranslation
from tests.admin_cases import AdminSmokeCases
from tests.exams.test_admin import change_form_data
from tests.factories import ExamFactory, QuestionFactory, language, translate

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    return client


class TestLanguageAdmin(AdminSmokeCases):
    model = Language

    def make_row(self):
        return Language.objects.create(code=f"x{Language.objects.count()}", title="Test")

    def changelist_queries(self, row):
        return ["q=Test"]

    def test_the_code_cannot_change_once_saved(self, browser):
        hindi = language("hi")
        url = reverse("admin:exams_language_change", args=[hindi.pk])
        response = browser.post(url, {"code": "xx", "title": "Hindi"})
        assert response.status_code == 302
        hindi.refresh_from_db()
        assert (hindi.code, hindi.title) == ("hi", "Hindi")


def post_question(browser, question, edit):
    url = reverse("admin:exams_question_change", args=[question.pk])
    return browser.post(url, edit(change_form_data(browser.get(url))))


def with_translation(data: dict, code: str, choices: list[str], **fields) -> dict:
    """The form's data with one more translation row into `code`."""
    row = int(data["translations-TOTAL_FORMS"])
    data["translations-TOTAL_FORMS"] = str(row + 1)
    data[f"translations-{row}-language"] = code
    data[f"translations-{row}-question_html"] = fields.get("question_html", "<p>प्रश्न</p>")
    data[f"translations-{row}-explanation_html"] = fields.get("explanation_html", "")
    for number, text in enumerate(choices, 1):
        data[f"translations-{row}-choice_{number}"] = text
    return data


def with_new_choice(data: dict, text: str) -> dict:
    row = int(data["answers-TOTAL_FORMS"])
    data.update(
        {"answers-TOTAL_FORMS": str(row + 1), f"answers-{row}-order": "9", f"answers-{row}-text_html": text}
    )
    return data


HINDI_CHOICES = ["<p>एक</p>", "<p>दो</p>", "<p>तीन</p>", "<p>चार</p>"]


class TestTranslationInline:
    def test_a_translation_gives_each_choice_its_text_on_the_same_answer(self, browser):
        question = QuestionFactory(with_choices=4)
        language("hi")

        def add(data):
            return with_translation(
                data,
                "hi",
                HINDI_CHOICES,
                question_html='<p onclick="steal()">प्रश्न<script>steal()</script></p>',
            )

        assert post_question(browser, question, add).status_code == 302
        translation = QuestionTranslation.objects.get(question=question)
        assert (translation.language_id, translation.question_html) == ("hi", "<p>प्रश्न</p>")
        texts = dict(translation.answers.values_list("answer_id", "text_html"))
        answer_ids = question.answers.order_by("order", "id").values_list("pk", flat=True)
        assert texts == dict(zip(answer_ids, HINDI_CHOICES, strict=True))

    def test_the_page_shows_each_choices_text_in_its_field(self, browser):
        question = QuestionFactory(with_choices=2)
        translate(question, "hi", choices=["<p>क</p>", "<p>ख</p>"])
        response = browser.get(reverse("admin:exams_question_change", args=[question.pk]))
        form = response.context["inline_admin_formsets"][1].formset.forms[0]
        assert (form["choice_1"].value(), form["choice_2"].value(), form["choice_3"].value()) == (
            "<p>क</p>",
            "<p>ख</p>",
            None,
        )

    @pytest.mark.parametrize(
        ("choices", "field", "message"),
        [
            (
                HINDI_CHOICES[:3],
                "choice_4",
                "The question has 4 choices: give choice 4 its text in this language too.",
            ),
            (
                [*HINDI_CHOICES, "<p>पाँच</p>"],
                "choice_5",
                "The question has 4 choice(s), so there is no choice 5 to translate.",
            ),
            (
                ["<p>एक</p>", "", "<p>तीन</p>", "<p>चार</p>"],
                "choice_2",
                "Give this choice its text in this language too.",
            ),
        ],
    )
    def test_a_translation_whose_choices_differ_from_the_questions_is_refused(
        self, browser, choices, field, message
    ):
        question = QuestionFactory(with_choices=4)
        language("hi")
        response = post_question(browser, question, lambda data: with_translation(data, "hi", choices))
        assert response.status_code == 200
        form = response.context["inline_admin_formsets"][1].formset.forms[0]
        assert form.errors[field] == [message]
        assert escape(message) in response.content.decode()
        assert not QuestionTranslation.objects.exists()
        assert not AnswerTranslation.objects.exists()

    def test_a_choice_added_beside_an_existing_translation_needs_its_text_there(self, browser):
        question = QuestionFactory(with_choices=4)
        translation = translate(question, "hi")
        before = list(translation.answers.values_list("answer_id", "text_html"))

        response = post_question(browser, question, lambda data: with_new_choice(data, "<p>Five</p>"))
        assert response.status_code == 200
        assert "The question has 5 choice(s) and this translation 4" in response.content.decode()
        assert question.answers.count() == 4
        assert list(translation.answers.values_list("answer_id", "text_html")) == before

        def add_both(data):
            data["translations-0-choice_5"] = "<p>पाँच</p>"
            return with_new_choice(data, "<p>Five</p>")

        assert post_question(browser, question, add_both).status_code == 302
        fifth = question.answers.order_by("order", "id").last()
        assert (fifth.text_html, fifth.translations.get().text_html) == ("<p>Five</p>", "<p>पाँच</p>")

    def test_a_choice_deleted_takes_its_translated_text_with_it(self, browser):
        question = QuestionFactory(with_choices=3)
        translate(question, "hi")
        third = question.answers.order_by("order", "id").last()

        def delete_third(data):
            data["answers-2-DELETE"] = "on"
            data["translations-0-choice_3"] = ""
            return data

        assert post_question(browser, question, delete_third).status_code == 302
        assert not AnswerTranslation.objects.filter(answer_id=third.pk).exists()
        assert QuestionTranslation.objects.get(question=question).answers.count() == 2

    def test_a_translation_into_the_questions_own_language_is_refused(self, browser):
        question = QuestionFactory(with_choices=2, language=language("en"))
        response = post_question(
            browser, question, lambda data: with_translation(data, "en", ["<p>a</p>", "<p>b</p>"])
        )
        assert response.status_code == 200
        assert "This is the question&#x27;s own language: choose another." in response.content.decode()
        assert not QuestionTranslation.objects.exists()

    def test_a_question_without_choices_is_translated_without_any(self, browser):
        question = QuestionFactory(numerical=True)
        language("hi")
        assert (
            post_question(browser, question, lambda data: with_translation(data, "hi", [])).status_code == 302
        )
        assert QuestionTranslation.objects.get(question=question).answers.count() == 0


class TestExamLanguagesInline:
    def test_staff_list_an_exams_languages_in_order_on_its_page(self, browser):
        exam = ExamFactory(published=False)
        language("en"), language("hi")
        url = reverse("admin:exams_exam_change", args=[exam.pk])
        data = change_form_data(browser.get(url))
        data.update(
            {
                "exam_languages-TOTAL_FORMS": "2",
                "exam_languages-0-language": "hi",
                "exam_languages-0-order": "1",
                "exam_languages-1-language": "en",
                "exam_languages-1-order": "2",
            }
        )
        response = browser.post(url, data)
        assert response.status_code == 302, response.context["errors"]
        assert list(ExamLanguage.objects.filter(exam=exam).values_list("language", flat=True)) == ["hi", "en"]
