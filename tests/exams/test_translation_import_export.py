"""Question import/export carries translations: a column group per language (question_html_hi,
explanation_html_hi, choice_1_hi … choice_6_hi), on the question's own choices."""

import pytest

from exams.models import Answer, AnswerTranslation, Question, QuestionTranslation
from tests.exams.test_import_export import HEADERS
from tests.factories import QuestionFactory, language, translate
from tests.spreadsheets import (
    admin_export,
    admin_import_confirm,
    admin_import_preview,
    read_spreadsheet,
    row_errors,
    spreadsheet,
)

pytestmark = pytest.mark.django_db

HINDI = ["question_html_hi", "explanation_html_hi", *(f"choice_{n}_hi" for n in range(1, 7))]


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    language("en"), language("hi")
    return client


def headers_with_hindi() -> list[str]:
    return [*HEADERS, *HINDI]


def row(**cells) -> list[str]:
    """An R question with two choices, the first correct, and its Hindi group as given."""
    defaults = {
        "type": "R",
        "question_html": "<p>2 + 2?</p>",
        "subject": "Maths",
        "choice_1": "4",
        "choice_2": "5",
        "correct": "1",
    }
    return [{**defaults, **cells}.get(column, "") for column in headers_with_hindi()]


HINDI_CELLS = {
    "question_html_hi": "<p>२ + २ कितना होता है?</p>",
    "explanation_html_hi": "<p>गिनिए।</p>",
    "choice_1_hi": "चार",
    "choice_2_hi": "पाँच",
}


def described(question) -> dict:
    """The question's translations as staff read them: per language, its texts on the question's choices."""
    return {
        translation.language_id: (
            translation.question_html,
            translation.explanation_html,
            [
                (row.answer.text_html, row.text_html)
                for row in translation.answers.select_related("answer").order_by("answer__order", "answer_id")
            ],
        )
        for translation in question.translations.all()
    }


def preview_of(browser, rows, file_format="csv"):
    return admin_import_preview(
        browser, Question, spreadsheet([headers_with_hindi(), *rows], file_format), file_format
    )


class TestExport:
    def test_each_language_has_its_column_group_on_the_questions_choices(self, browser):
        question = QuestionFactory(with_choices=3, language=language("en"))
        translate(question, "hi", choices=["<p>क</p>", "<p>ख</p>", "<p>ग</p>"])
        QuestionFactory(with_choices=2)

        headers, translated, plain = read_spreadsheet(admin_export(browser, Question))

        # A group per language, in the order of their codes.
        assert headers == [*HEADERS, *(h.replace("_hi", "_en") for h in HINDI), *HINDI]
        cells = dict(zip(headers, translated, strict=True))
        assert cells["language"] == "en"
        assert [cells[f"choice_{n}_hi"] for n in range(1, 5)] == ["<p>क</p>", "<p>ख</p>", "<p>ग</p>", ""]
        assert cells["question_html_hi"] == QuestionTranslation.objects.get().question_html
        assert cells["question_html_en"] == ""
        assert all(
            value == "" for header, value in zip(headers, plain, strict=True) if header.endswith("_hi")
        )

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_an_export_imports_back_to_the_same_translations(self, browser, file_format):
        question = QuestionFactory(with_choices=4)
        translate(question, "hi", explanation_html="<p>क्योंकि।</p>")
        other = QuestionFactory(with_choices=2)
        before = {q.pk: described(q) for q in Question.objects.all()}
        answer_ids = list(Answer.objects.order_by("pk").values_list("pk", flat=True))

        exported = admin_export(browser, Question, file_format)
        AnswerTranslation.objects.update(text_html="changed")
        translate(other, "hi")

        preview = admin_import_preview(browser, Question, exported, file_format)
        assert row_errors(preview) == {}
        admin_import_confirm(browser, Question, preview)

        assert {q.pk: described(q) for q in Question.objects.all()} == before
        assert list(Answer.objects.order_by("pk").values_list("pk", flat=True)) == answer_ids


class TestImport:
    def test_a_new_row_brings_its_translation_cleaned_onto_its_own_choices(self, browser):
        cells = {**HINDI_CELLS, "question_html_hi": '<p onclick="x()">२ + २?<script>x()</script></p>'}
        preview = preview_of(browser, [row(language="EN", **cells)])
        assert row_errors(preview) == {}
        admin_import_confirm(browser, Question, preview)

        question = Question.objects.get()
        assert question.language_id == "en"
        assert described(question) == {"hi": ("<p>२ + २?</p>", "<p>गिनिए।</p>", [("4", "चार"), ("5", "पाँच")])}

    @pytest.mark.parametrize(
        ("cells", "column", "message"),
        [
            (
                {**HINDI_CELLS, "choice_2_hi": ""},
                "choice_2_hi",
                "The question has 2 choices: give choice 2 its text in this language too.",
            ),
            (
                {**HINDI_CELLS, "choice_3_hi": "छह"},
                "choice_3_hi",
                "The question has 2 choice(s), so there is no choice 3 to translate.",
            ),
            ({**HINDI_CELLS, "question_html_hi": ""}, "question_html_hi", "Give the question in “hi”"),
            ({**HINDI_CELLS, "language": "hi"}, "question_html_hi", "This is the question's own language"),
            ({"language": "fr"}, "language", "There is no language “fr”"),
        ],
    )
    def test_a_group_that_does_not_match_the_questions_choices_is_refused_and_nothing_imported(
        self, browser, cells, column, message
    ):
        preview = preview_of(browser, [row(**HINDI_CELLS), row(**cells)])
        errors = row_errors(preview)
        assert list(errors) == [2]
        assert message in " ".join(errors[2][column])
        assert "confirm_form" not in preview.context
        assert not Question.objects.exists()
        assert not QuestionTranslation.objects.exists()

    def test_a_blank_group_deletes_that_translation(self, browser):
        question = QuestionFactory(with_choices=2)
        translate(question, "hi")
        preview = preview_of(browser, [row(id=str(question.pk), choice_1="a", choice_2="b")])
        assert row_errors(preview) == {}
        admin_import_confirm(browser, Question, preview)
        assert not QuestionTranslation.objects.exists()
        assert question.answers.count() == 2

    def test_a_new_choice_needs_its_text_in_every_translation_the_question_has(self, browser):
        question = QuestionFactory(with_choices=2)
        translate(question, "hi")
        only_english = [h for h in headers_with_hindi() if not h.endswith("_hi")]
        cells = {"id": str(question.pk), "type": "R", "question_html": "<p>q</p>", "correct": "1"}
        cells.update(choice_1="a", choice_2="b", choice_3="c")
        content = spreadsheet([only_english, [cells.get(h, "") for h in only_english]])

        errors = row_errors(admin_import_preview(browser, Question, content))

        assert "The question has translations (hi) that this file does not carry" in " ".join(
            errors[1]["__all__"]
        )
        assert question.answers.count() == 2

    def test_a_group_of_a_language_nobody_added_is_refused_before_any_row(self, browser):
        headers = [*HEADERS, "question_html_xx", "choice_1_xx"]
        content = spreadsheet([headers, [*row()[: len(HEADERS)], "<p>?</p>", "a"]])
        preview = admin_import_preview(browser, Question, content)
        assert "There is no language “xx”: add it under Languages, or remove its columns." in (
            preview.content.decode()
        )
        assert not Question.objects.exists()
