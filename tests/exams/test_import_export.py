from decimal import Decimal

import pytest

from exams.models import Answer, Question, Subject
from tests.factories import AnswerFactory, AttemptItemFactory, QuestionFactory, SubjectFactory
from tests.spreadsheets import (
    admin_export,
    admin_import_confirm,
    admin_import_preview,
    formula_cells,
    read_spreadsheet,
    row_errors,
    spreadsheet,
)

pytestmark = pytest.mark.django_db

HEADERS = [
    "id",
    "type",
    "question_html",
    "subject",
    "difficulty",
    "marks",
    "negative_marks",
    "explanation_html",
    "numerical_answer",
    "numerical_tolerance",
    "choice_1",
    "choice_2",
    "choice_3",
    "choice_4",
    "choice_5",
    "choice_6",
    "correct",
    "language",
]


def question_row(**cells):
    """A row of HEADERS: an R question with two choices, the first correct, unless told otherwise."""
    defaults = {
        "type": "R",
        "question_html": "<p>2 + 2?</p>",
        "subject": "Maths / Arithmetic",
        "marks": "4",
        "negative_marks": "1",
        "choice_1": "4",
        "choice_2": "5",
        "correct": "1",
    }
    return [{**defaults, **cells}.get(column, "") for column in HEADERS]


def described(question):
    """What staff see of a question: its fields and its choices as (text, correct) in order."""
    return (
        question.type,
        question.question_html,
        str(question.subject) if question.subject else None,
        question.difficulty,
        question.marks,
        question.negative_marks,
        question.explanation_html,
        question.numerical_answer,
        question.numerical_tolerance,
        [(answer.text_html, answer.is_correct) for answer in question.answers.all()],
    )


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    return client


def import_file(browser, rows, file_format="csv"):
    preview = admin_import_preview(browser, Question, spreadsheet([HEADERS, *rows], file_format), file_format)
    assert row_errors(preview) == {}
    return admin_import_confirm(browser, Question, preview)


class TestQuestionImport:
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_a_confirmed_file_creates_each_question_with_its_choices(self, browser, file_format):
        rows = [
            question_row(difficulty="Easy", explanation_html="<p>Count.</p>"),
            question_row(
                type="C",
                question_html="<p>Primes?</p>",
                subject="Number theory",
                choice_1="2",
                choice_2="4",
                choice_3="5",
                correct="1, 3",
            ),
            question_row(
                type="N",
                question_html="<p>g?</p>",
                subject="Physics / Mechanics",
                numerical_answer="9.81",
                numerical_tolerance="0.01",
                choice_1="",
                choice_2="",
                correct="",
            ),
            question_row(
                type="e", question_html="<p>Explain.</p>", subject="", choice_1="", choice_2="", correct=""
            ),
        ]

        response = import_file(browser, rows, file_format)

        assert response.status_code == 302
        single, multiple, numerical, essay = Question.objects.order_by("pk")
        assert described(single) == (
            "R",
            "<p>2 + 2?</p>",
            "Maths / Arithmetic",
            "easy",
            Decimal("4"),
            Decimal("1"),
            "<p>Count.</p>",
            None,
            Decimal("0"),
            [("4", True), ("5", False)],
        )
        assert described(multiple)[2] == "Number theory"
        assert described(multiple)[-1] == [("2", True), ("4", False), ("5", True)]
        assert (numerical.type, numerical.numerical_answer, numerical.numerical_tolerance) == (
            "N",
            Decimal("9.81"),
            Decimal("0.01"),
        )
        assert str(numerical.subject) == "Physics / Mechanics"
        assert not numerical.answers.exists()
        assert (essay.type, essay.subject) == ("E", None)

    def test_a_subject_path_reuses_the_tree_and_a_lone_name_finds_its_node(self, browser):
        optics = SubjectFactory(name="Optics", parent=SubjectFactory(name="Physics", parent=None))

        import_file(browser, [question_row(subject="Physics / Optics"), question_row(subject="Optics")])

        assert [question.subject for question in Question.objects.all()] == [optics, optics]
        assert Subject.objects.count() == 2

    def test_the_preview_shows_the_rows_and_writes_nothing(self, browser):
        preview = admin_import_preview(
            browser, Question, spreadsheet([HEADERS, question_row(), question_row()])
        )

        assert preview.context["result"].totals["new"] == 2
        assert "confirm_form" in preview.context
        assert b"2 + 2?" in preview.content
        assert b"Maths / Arithmetic" in preview.content
        result = preview.context["result"]
        first_row = dict(zip(result.diff_headers, result.rows[0].diff, strict=True))
        assert (first_row["choice_1"], first_row["correct"]) == (
            '<ins style="background:#e6ffe6;">4</ins>',
            '<ins style="background:#e6ffe6;">1</ins>',
        )
        assert not Question.objects.exists()
        assert not Subject.objects.exists()

    @pytest.mark.parametrize(
        ("bad_row", "column", "message"),
        [
            (question_row(type="X"), "type", "not a valid choice"),
            (question_row(correct="1, 2"), "correct", "one correct choice, not 2"),
            (question_row(correct=""), "correct", "one correct choice, not 0"),
            (question_row(type="C", correct=""), "correct", "at least one correct"),
            (question_row(correct="3"), "correct", "no choice 3"),
            (question_row(correct="first"), "correct", "not a choice number"),
            (question_row(choice_2="", choice_3="5"), "choice_2", "blank"),
            (question_row(choice_2=""), "choice_2", "at least two choices"),
            (question_row(type="N", numerical_answer="9.8"), "choice_1", "has no choices"),
            (
                question_row(type="N", choice_1="", choice_2="", correct=""),
                "numerical_answer",
                "answer value",
            ),
            (question_row(marks="four"), "marks", "“four” is not a number"),
            (question_row(difficulty="brutal"), "difficulty", "not a valid choice"),
            (question_row(id="99999"), "id", "no question 99999"),
        ],
    )
    def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(
        self, browser, bad_row, column, message
    ):
        preview = admin_import_preview(browser, Question, spreadsheet([HEADERS, question_row(), bad_row]))

        errors = row_errors(preview)
        assert list(errors) == [2]
        assert message in " ".join(errors[2][column])
        assert "confirm_form" not in preview.context
        assert not Question.objects.exists()
        assert not Subject.objects.exists()

    def test_an_id_updates_the_question_and_keeps_its_choice_ids(self, browser):
        question = QuestionFactory(question_html="<p>old</p>", with_choices=3)
        first, second, third = question.answers.all()
        row = question_row(
            id=str(question.pk), question_html="<p>new</p>", choice_1="A", choice_2="B", correct="2"
        )

        import_file(browser, [row])

        question.refresh_from_db()
        assert question.question_html == "<p>new</p>"
        assert [(a.pk, a.text_html, a.is_correct) for a in question.answers.all()] == [
            (first.pk, "A", False),
            (second.pk, "B", True),
        ]
        assert not Answer.objects.filter(pk=third.pk).exists()
        assert Question.objects.count() == 1

    def test_a_row_leaving_out_a_chosen_choice_is_refused_naming_it(self, browser):
        question = QuestionFactory(with_choices=3)
        before = list(question.answers.values_list("pk", "text_html", "is_correct"))
        AttemptItemFactory(question=question, selected_answers=[before[2][0]])
        row = question_row(id=str(question.pk), choice_1="A", choice_2="B", correct="1")

        preview = admin_import_preview(browser, Question, spreadsheet([HEADERS, row]))

        assert row_errors(preview) == {
            1: {
                "choice_3": [
                    "Choice 3 “Choice 3” has been chosen in an attempt, so the row must keep it "
                    "(its text and whether it is correct may change)."
                ]
            }
        }
        assert "confirm_form" not in preview.context
        assert list(question.answers.values_list("pk", "text_html", "is_correct")) == before

    def test_a_row_may_reword_and_rekey_a_chosen_choice_which_keeps_its_id(self, browser):
        question = QuestionFactory(with_choices=3)
        first, second, third = question.answers.all()
        AttemptItemFactory(question=question, selected_answers=[third.pk])
        row = question_row(
            id=str(question.pk), choice_1="A", choice_2="B", choice_3="C, reworded", correct="3"
        )

        import_file(browser, [row])

        assert [(a.pk, a.text_html, a.is_correct) for a in question.answers.all()] == [
            (first.pk, "A", False),
            (second.pk, "B", False),
            (third.pk, "C, reworded", True),
        ]


class TestQuestionExport:
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_an_export_imports_back_to_the_same_questions(self, browser, file_format):
        physics = SubjectFactory(name="Physics", parent=None)
        single = QuestionFactory(subject=SubjectFactory(name="Optics", parent=physics), difficulty="hard")
        for order, (text, correct) in enumerate(
            [("<p>a</p>", False), ("<p>b</p>", True), ("<p>c</p>", False)]
        ):
            AnswerFactory(question=single, text_html=text, is_correct=correct, order=order)
        multiple = QuestionFactory(multiple=True, subject=physics, marks=Decimal("2.50"), with_choices=4)
        Answer.objects.filter(question=multiple, order=3).update(is_correct=True)
        QuestionFactory(numerical=True, subject=None, numerical_tolerance=Decimal("0.05"))
        QuestionFactory(essay=True)
        before = [described(question) for question in Question.objects.all()]

        exported = admin_export(browser, Question, file_format)
        Question.objects.filter(pk=single.pk).update(question_html="<p>changed</p>", difficulty="")
        Answer.objects.filter(question=multiple).update(is_correct=False, text_html="changed")
        preview = admin_import_preview(browser, Question, exported, file_format)
        assert row_errors(preview) == {}
        admin_import_confirm(browser, Question, preview)

        assert [described(question) for question in Question.objects.all()] == before
        assert Question.objects.count() == 4

    def test_the_export_has_the_import_columns_with_choices_and_correct_numbers(self, browser):
        question = QuestionFactory(
            multiple=True,
            subject=SubjectFactory(name="Optics", parent=SubjectFactory(name="Physics")),
            with_choices=3,
        )
        Answer.objects.filter(question=question, order=2).update(is_correct=True)

        headers, row = read_spreadsheet(admin_export(browser, Question))

        assert headers == HEADERS
        exported = dict(zip(headers, row, strict=True))
        assert exported["subject"] == "Physics / Optics"
        assert [exported[f"choice_{n}"] for n in range(1, 5)] == [
            "<p>Choice 1</p>",
            "<p>Choice 2</p>",
            "<p>Choice 3</p>",
            "",
        ]
        assert exported["correct"] == "1, 3"


class TestFormulaCells:
    """Question text typed (or imported) as a formula must not run where the export is opened."""

    FORMULAS = {
        "question_html": '=HYPERLINK("http://evil.example","Q")',
        "explanation_html": "-2+3+cmd|' /C calc'!A0",
        "choice_1": "+SUM(1+1)*cmd|' /C calc'!A0",
        "choice_2": "@SUM(1+1)*cmd|' /C calc'!A0",
    }

    @pytest.fixture
    def questions(self, db):
        cells = self.FORMULAS
        question = QuestionFactory(
            question_html=cells["question_html"], explanation_html=cells["explanation_html"], subject=None
        )
        AnswerFactory(question=question, text_html=cells["choice_1"], is_correct=True, order=1)
        AnswerFactory(question=question, text_html=cells["choice_2"], order=2)
        # A negative number is no formula and stays one.
        numerical = QuestionFactory(numerical=True, numerical_answer=Decimal("-9.81"), subject=None)
        return question, numerical

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_the_export_quotes_each_cell_starting_with_a_formula_character(
        self, browser, questions, file_format
    ):
        exported = admin_export(browser, Question, file_format)

        headers, row, numerical_row = read_spreadsheet(exported, file_format)
        cells = dict(zip(headers, row, strict=True))
        assert {column: cells[column] for column in self.FORMULAS} == {
            column: "'" + formula for column, formula in self.FORMULAS.items()
        }
        assert Decimal(str(dict(zip(headers, numerical_row, strict=True))["numerical_answer"])) == Decimal(
            "-9.81"
        )
        if file_format == "xlsx":
            assert formula_cells(exported) == []

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_a_quoted_export_imports_back_to_the_same_questions(self, browser, questions, file_format):
        before = [described(question) for question in Question.objects.all()]
        exported = admin_export(browser, Question, file_format)
        Question.objects.update(question_html="changed", explanation_html="", numerical_answer=Decimal("1"))

        preview = admin_import_preview(browser, Question, exported, file_format)
        assert row_errors(preview) == {}
        admin_import_confirm(browser, Question, preview)

        assert [described(question) for question in Question.objects.all()] == before


def test_imported_html_is_stored_clean(browser):
    row = question_row(
        question_html='<p onclick="steal()">2 + 2?</p><script>steal()</script>',
        explanation_html='<a href="javascript:steal()">why</a>',
        choice_1='<img src="4.png" onerror="steal()">',
    )

    import_file(browser, [row])

    question = Question.objects.get()
    assert (question.question_html, question.explanation_html) == (
        "<p>2 + 2?</p>",
        '<a rel="noopener noreferrer">why</a>',
    )
    assert [answer.text_html for answer in question.answers.all()] == ['<img src="4.png">', "5"]
