"""Staff preview a question, and a whole exam, as a student sees them: formulas, images, choices, sections."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.models import Question
from tests.factories import (
    AnswerFactory,
    DirectionFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FORMULA = (
    r'<p>Find <span class="math-tex">\(x^2 = 4\)</span></p><p><img src="/media/q/graph.png" alt="graph"></p>'
)


def signed_in(**user) -> Client:
    client = Client()
    client.force_login(UserFactory(**user))
    return client


def question_preview(question) -> str:
    return reverse("admin:exams_question_preview", args=[question.pk])


def exam_preview(exam) -> str:
    return reverse("admin:exams_exam_preview", args=[exam.pk])


def numbers_and_sections(page: str) -> list[str]:
    return re.findall(r'<span class="number">([^<]+)</span>|<h3 class="section-name">([^<]+)', page)


class TestQuestionPreview:
    def test_shows_the_direction_the_question_and_lettered_choices_then_the_key_apart(self, client, staff):
        question = QuestionFactory(
            question_html=FORMULA,
            direction=DirectionFactory(html="<p>Read the graph.</p>"),
            explanation_html="<p>Because it is a parabola.</p>",
        )
        AnswerFactory(question=question, text_html="<p>2</p>", is_correct=True, order=1)
        AnswerFactory(question=question, text_html="<p>3</p>", order=2)
        client.force_login(staff)

        page = client.get(question_preview(question)).content.decode()

        assert FORMULA in page
        assert "<p>Read the graph.</p>" in page
        assert re.findall(r'<span class="letter">(\w)</span><span class="content">(.*?)</span>', page) == [
            ("A", "<p>2</p>"),
            ("B", "<p>3</p>"),
        ]
        key = page[page.index('<details class="key">') :]
        assert '<strong class="correct-choice">A</strong>' in key
        assert "<p>Because it is a parabola.</p>" in key
        assert "/static/vendor/katex/katex.min.js" in page
        assert "/static/vendor/katex/contrib/auto-render.min.js" in page

    def test_html_that_skipped_the_cleaning_is_cleaned_on_the_page(self, client, staff):
        question = QuestionFactory()
        Question.objects.filter(pk=question.pk).update(
            question_html="<p onclick='steal()'>Q<script>steal()</script></p>"
        )
        client.force_login(staff)
        page = client.get(question_preview(question)).content.decode()
        assert "steal()" not in page
        assert '<div class="question content"><p>Q</p></div>' in page

    def test_a_numerical_question_shows_an_answer_box_and_its_value_in_the_key(self, client, staff):
        question = QuestionFactory(type="N", numerical_answer="9.8", numerical_tolerance="0.05")
        client.force_login(staff)
        page = client.get(question_preview(question)).content.decode()
        assert 'placeholder="Your answer (a number)"' in page
        assert '<strong class="numerical-key">9.8 ± 0.05</strong>' in page

    def test_the_question_form_links_to_it(self, client, staff):
        question = QuestionFactory()
        client.force_login(staff)
        page = client.get(reverse("admin:exams_question_change", args=[question.pk])).content.decode()
        assert f'href="{question_preview(question)}"' in page


class TestExamPreview:
    def test_questions_in_attempt_order_under_their_sections(self, client, staff):
        exam = ExamFactory(mark_per_question=4, negative_marks=1)
        physics, chemistry = (
            SectionFactory(exam=exam, name="Physics"),
            SectionFactory(exam=exam, name="Chemistry"),
        )
        for order, section in [(3, chemistry), (1, physics), (2, physics)]:
            ExamQuestionFactory(
                exam=exam, section=section, order=order, question__question_html=f"<p>Q at {order}</p>"
            )
        client.force_login(staff)

        page = client.get(exam_preview(exam)).content.decode()

        assert numbers_and_sections(page) == [
            ("", "Physics"),
            ("Question 1 of 3", ""),
            ("Question 2 of 3", ""),
            ("", "Chemistry"),
            ("Question 3 of 3", ""),
        ]
        assert [int(n) for n in re.findall(r"<p>Q at (\d)</p>", page)] == [1, 2, 3]
        assert "+4 / −1" in page
        assert "12 marks" in page

    def test_costs_the_same_queries_for_one_question_and_many(self, client, staff):
        exam = ExamFactory()
        ExamQuestionFactory(exam=exam, question__direction=DirectionFactory())
        client.force_login(staff)
        client.get(exam_preview(exam))

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(exam_preview(exam)).status_code == 200
            return len(captured)

        one = queries()
        for _ in range(4):
            ExamQuestionFactory(
                exam=exam, question__direction=DirectionFactory(), section=SectionFactory(exam=exam)
            )
        assert queries() == one

    def test_the_exam_form_links_to_it(self, client, staff):
        exam = ExamFactory()
        client.force_login(staff)
        page = client.get(reverse("admin:exams_exam_change", args=[exam.pk])).content.decode()
        assert f'href="{exam_preview(exam)}"' in page


class TestWhoMayPreview:
    def test_staff_who_may_view_see_it_others_do_not(self):
        question = QuestionFactory()
        exam = ExamFactory()
        viewer = signed_in(is_staff=True, permissions=["exams.view_question", "exams.view_exam"])
        assert viewer.get(question_preview(question)).status_code == 200
        assert viewer.get(exam_preview(exam)).status_code == 200

        other_staff = signed_in(is_staff=True, permissions=["exams.view_course"])
        assert other_staff.get(question_preview(question)).status_code == 403
        assert other_staff.get(exam_preview(exam)).status_code == 403

        for visitor in (Client(), signed_in()):
            response = visitor.get(exam_preview(exam))
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")

    def test_an_unknown_id_is_a_404(self, client, staff):
        client.force_login(staff)
        assert client.get(reverse("admin:exams_exam_preview", args=[999999])).status_code == 404
        assert client.get(reverse("admin:exams_question_preview", args=[999999])).status_code == 404
