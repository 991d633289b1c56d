"""Bilingual papers in the student API: the exam's languages, and each item's question in them.

A question's translations share its choices (the same Answer rows and ids), so an answer saved while
reading any language is the same answer.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from attempts.models import Attempt
from exams.models import ExamLanguage, QuestionTranslation
from tests.attempts.conftest import correct_ids, wrong_ids
from tests.attempts.test_lifecycle_api import act, answer, begin, ok, question_of, questions
from tests.factories import (
    AttemptFactory,
    BatchFactory,
    DirectionFactory,
    ExamFactory,
    ExamQuestionFactory,
    language,
    offer_in,
    translate,
)
from tests.query_counts import assert_fixed_query_count, request_queries

pytestmark = pytest.mark.django_db

VERSIONS = ["v2.1", "v2.2", "v2.2.1", "v2.3"]


def printed_languages(exam) -> list[dict]:
    return [
        {"id": link.pk, "code": link.language.code, "title": link.language.title, "exam_id": exam.pk}
        for link in ExamLanguage.objects.filter(exam=exam).select_related("language").order_by("order")
    ]


@pytest.fixture
def bilingual(exam_of):
    """An exam in English and Hindi: an R question (4 choices, the first right) and a C question (first two
    right), both translated into Hindi."""
    exam = exam_of("RC", variable_mark_per_question=False, mark_per_question=Decimal(2))
    offer_in(exam, "en", "hi")
    for link in exam.exam_questions.all():
        translate(link.question, "hi")
    return exam


# --- The exam's languages -----------------------------------------------------------------------


class TestExamLanguages:
    @pytest.mark.parametrize("version", VERSIONS)
    def test_list_and_detail_print_the_languages_in_the_exams_order(self, student_client, version):
        exam = ExamFactory()
        offer_in(exam, "hi", "en")
        expected = printed_languages(exam)
        assert [row["code"] for row in expected] == ["hi", "en"]
        assert expected[0]["title"] == "हिन्दी"
        listed = ok(student_client.get(f"/api/{version}/exams/"))["results"]
        assert [row["languages"] for row in listed] == [expected]
        assert ok(student_client.get(f"/api/{version}/exams/{exam.slug}/"))["languages"] == expected

    def test_an_exam_in_one_language_or_none_prints_none(self, student_client):
        offer_in(ExamFactory(title="Hindi only"), "hi")
        ExamFactory(title="Unlisted")
        listed = ok(student_client.get("/api/v2.1/exams/"))["results"]
        assert {row["title"]: row["languages"] for row in listed} == {"Hindi only": [], "Unlisted": []}

    def test_the_exam_inside_an_attempt_prints_its_languages(self, student, student_client, bilingual):
        AttemptFactory(exam=bilingual, user=student, completed=True)
        expected = printed_languages(bilingual)
        listed = ok(student_client.get("/api/v2.1/attempts/"))["results"]
        assert listed[0]["exam"]["languages"] == expected
        detail = ok(student_client.get(listed[0]["url"]))
        assert detail["exam"]["languages"] == expected

    def test_the_answers_of_create_and_heartbeat_print_them(self, student_client, bilingual):
        attempt = begin(student_client, bilingual)
        expected = printed_languages(bilingual)
        assert attempt["exam"]["languages"] == expected
        assert ok(act(student_client, attempt, "heartbeat"))["exam"]["languages"] == expected

    def test_heartbeat_of_a_monolingual_exam_reads_no_languages(self, student_client, exam_of):
        attempt = begin(student_client, exam_of("R"))
        response = act(student_client, attempt, "heartbeat")
        assert ok(response)["exam"]["languages"] == []

    def test_exam_lists_cost_the_same_at_1_and_30_bilingual_exams(
        self, student_client, django_assert_num_queries
    ):
        def make_row():
            exam = ExamFactory()
            offer_in(exam, "en", "hi")

        # user, count, page, the page's languages
        assert_fixed_query_count(
            django_assert_num_queries,
            student_client,
            "/api/v2.1/exams/",
            make_row=make_row,
            expected=4,
            rows=30,
        )

    def test_the_attempts_list_costs_the_same_at_1_and_30_bilingual_exams(
        self, student, student_client, django_assert_num_queries
    ):
        def make_row():
            exam = ExamFactory()
            offer_in(exam, "en", "hi")
            AttemptFactory(exam=exam, user=student, completed=True)

        # user, overdue check, count, page, the page's exams, their languages
        assert_fixed_query_count(
            django_assert_num_queries,
            student_client,
            "/api/v2.1/attempts/",
            make_row=make_row,
            expected=6,
            rows=30,
            atomic=False,
        )


class TestLanguagesEndpoint:
    @pytest.mark.parametrize("version", VERSIONS)
    def test_lists_the_exams_languages_paginated(self, student_client, version):
        exam = ExamFactory()
        offer_in(exam, "en", "hi")
        body = ok(student_client.get(f"/api/{version}/exams/{exam.slug}/languages/"))
        assert body == {
            "count": 2,
            "next": None,
            "previous": None,
            "per_page": 20,
            "results": printed_languages(exam),
        }

    def test_pages_through_them(self, student_client):
        exam = ExamFactory()
        offer_in(exam, "en", "hi", "ta")
        first = ok(student_client.get(f"/api/v2.1/exams/{exam.slug}/languages/", {"per_page": 2}))
        assert [row["code"] for row in first["results"]] == ["en", "hi"]
        second = ok(student_client.get(first["next"]))
        assert [row["code"] for row in second["results"]] == ["ta"]
        assert second["previous"].startswith("http://testserver/api/v2.1/exams/")

    def test_an_exam_in_one_language_lists_none(self, student_client):
        exam = ExamFactory()
        offer_in(exam, "hi")
        assert ok(student_client.get(f"/api/v2.1/exams/{exam.slug}/languages/"))["results"] == []

    def test_unknown_or_unpublished_exams_are_404(self, student_client):
        draft = ExamFactory(published=False)
        offer_in(draft, "en", "hi")
        for slug in ["no-such-exam", draft.slug]:
            response = student_client.get(f"/api/v2.1/exams/{slug}/languages/")
            assert response.status_code == 404, slug
            assert "detail" in response.json()

    def test_another_batchs_exam_is_403_as_its_detail_is(self, student_client):
        exam = ExamFactory(batches=[BatchFactory()], restricted_to_batches=True)
        offer_in(exam, "en", "hi")
        response = student_client.get(f"/api/v2.1/exams/{exam.slug}/languages/")
        assert response.status_code == student_client.get(f"/api/v2.1/exams/{exam.slug}/").status_code == 403

    def test_anonymous_gets_401(self, api_client):
        exam = ExamFactory()
        assert api_client.get(f"/api/v2.1/exams/{exam.slug}/languages/").status_code == 401

    def test_costs_two_queries_and_the_users(self, student_client, django_assert_num_queries):
        exam = ExamFactory()
        offer_in(exam, "en", "hi", "ta")
        # user, exam, its languages
        with django_assert_num_queries(request_queries(3)):
            ok(student_client.get(f"/api/v2.1/exams/{exam.slug}/languages/"))


# --- Items in two languages ---------------------------------------------------------------------


def expected_translation(question, code="hi", *, review=False) -> dict:
    translation = QuestionTranslation.objects.get(question=question, language=code)
    texts = {row.answer_id: row.text_html for row in translation.answers.all()}
    answers = [
        {"id": a.pk, "text_html": texts[a.pk], **({"is_correct": a.is_correct} if review else {})}
        for a in question.answers.order_by("order", "id")
    ]
    printed = {
        "language": code,
        "question_html": translation.question_html,
        "direction": None,
        "answers": answers,
        "subject": question.subject.name,
        "type": question.type,
        "marks": "2.00",
        "negative_marks": "0.00",
    }
    if review:
        printed["explanation_html"] = translation.explanation_html
    return printed


class TestItemsInTwoLanguages:
    def test_each_item_prints_its_language_and_its_translation_with_the_same_answer_ids(
        self, student_client, bilingual
    ):
        items = questions(student_client, begin(student_client, bilingual))
        for item in items:
            question = question_of(item)
            assert item["question"]["language"] == "en"
            assert item["question"]["translations"] == [expected_translation(question)]
            translated_ids = [a["id"] for a in item["question"]["translations"][0]["answers"]]
            assert translated_ids == [a["id"] for a in item["question"]["answers"]]
        hindi = items[0]["question"]["translations"][0]
        assert hindi["question_html"].startswith("<p>[hi]")
        assert "is_correct" not in str(items) and "explanation_html" not in str(items)

    def test_one_item_get_and_put_print_the_translation_too(self, student_client, bilingual):
        item = questions(student_client, begin(student_client, bilingual))[0]
        question = question_of(item)
        assert ok(student_client.get(item["url"]))["question"]["translations"] == [
            expected_translation(question)
        ]
        saved = ok(answer(student_client, item, review=True))
        assert saved["question"]["translations"] == [expected_translation(question)]

    def test_an_answer_chosen_from_the_translation_scores_as_the_same_answer(self, student_client, bilingual):
        attempt = begin(student_client, bilingual)
        single, multiple = questions(student_client, attempt)
        # Choose by the Hindi texts: the right ones are the first (R) and the first two (C) in Hindi.
        hindi_single = single["question"]["translations"][0]["answers"]
        hindi_multiple = multiple["question"]["translations"][0]["answers"]
        ok(answer(student_client, single, selected_answers=[hindi_single[0]["id"]]))
        ok(
            answer(
                student_client, multiple, selected_answers=[hindi_multiple[0]["id"], hindi_multiple[1]["id"]]
            )
        )
        ended = ok(act(student_client, attempt, "end"))
        assert (ended["score"], ended["correct_count"], ended["incorrect_count"]) == ("4.00", 2, 0)
        review = ok(student_client.get(ended["review_url"]))["results"]
        assert [r["selected_answers"] for r in review] == [
            correct_ids(question_of(single)),
            correct_ids(question_of(multiple)),
        ]

    def test_review_items_carry_the_translated_explanation_and_the_key(self, student_client, bilingual):
        attempt = begin(student_client, bilingual)
        first = questions(student_client, attempt)[0]
        ok(answer(student_client, first, selected_answers=wrong_ids(question_of(first))[:1]))
        ended = ok(act(student_client, attempt, "end"))
        review = ok(student_client.get(ended["review_url"]))["results"]
        for row in review:
            question = question_of(row)
            assert row["question"]["language"] == "en"
            assert row["question"]["translations"] == [expected_translation(question, review=True)]
        hindi = review[0]["question"]["translations"][0]
        assert [a["is_correct"] for a in hindi["answers"]] == [True, False, False, False]
        assert hindi["explanation_html"].startswith("<p>[hi]")

    def test_a_questions_own_language_is_printed_and_its_english_translation_listed(
        self, student_client, exam_of
    ):
        exam = exam_of("R")
        offer_in(exam, "hi", "en")
        question = exam.exam_questions.get().question
        question.language = language("hi")
        question.save()
        translate(question, "en")
        item = questions(student_client, begin(student_client, exam))[0]
        assert item["question"]["language"] == "hi"
        assert [t["language"] for t in item["question"]["translations"]] == ["en"]

    def test_translations_follow_the_exams_language_order(self, student_client, exam_of):
        exam = exam_of("R")
        offer_in(exam, "en", "ta", "hi")
        question = exam.exam_questions.get().question
        translate(question, "hi")
        translate(question, "ta")
        item = questions(student_client, begin(student_client, exam))[0]
        assert [t["language"] for t in item["question"]["translations"]] == ["ta", "hi"]

    def test_a_translation_prints_its_own_passage_or_else_the_questions(self, student_client, exam_of):
        exam = exam_of("RR")
        offer_in(exam, "en", "hi")
        passage = DirectionFactory(html="<p>The passage.</p>")
        hindi_passage = DirectionFactory(html="<p>गद्यांश।</p>")
        first, second = (link.question for link in exam.exam_questions.order_by("order"))
        for question in (first, second):
            question.direction = passage
            question.save()
        translate(first, "hi", direction=hindi_passage)
        translate(second, "hi")
        items = questions(student_client, begin(student_client, exam))
        assert [i["question"]["translations"][0]["direction"] for i in items] == [
            "<p>गद्यांश।</p>",
            "<p>The passage.</p>",
        ]

    def test_a_choice_the_translation_lacks_prints_in_the_questions_language(self, student_client, bilingual):
        question = bilingual.exam_questions.order_by("order").first().question
        QuestionTranslation.objects.get(question=question).answers.filter(answer__order=3).delete()
        item = questions(student_client, begin(student_client, bilingual))[0]
        translated = item["question"]["translations"][0]["answers"]
        assert [a["id"] for a in translated] == [a["id"] for a in item["question"]["answers"]]
        assert translated[3]["text_html"] == item["question"]["answers"][3]["text_html"]
        assert translated[0]["text_html"].startswith("<p>[hi]")

    def test_a_monolingual_exams_items_print_no_translation_and_run_no_query_for_them(
        self, student_client, exam_of
    ):
        bilingual_exam, monolingual_exam = exam_of("RR"), exam_of("RR")
        offer_in(bilingual_exam, "en", "hi")
        for exam in (bilingual_exam, monolingual_exam):
            for link in exam.exam_questions.all():
                translate(link.question, "hi")
        counts = {}
        for exam in (bilingual_exam, monolingual_exam):
            attempt = begin(student_client, exam)
            with CaptureQueriesContext(connection) as captured:
                items = questions(student_client, attempt)
            counts[exam.pk] = len(captured)
            assert all(item["question"]["translations"] for item in items) == (exam is bilingual_exam)
        # The translations and their choices' texts: two queries, only for the bilingual paper.
        assert counts[bilingual_exam.pk] == counts[monolingual_exam.pk] + 2

    @pytest.mark.parametrize("page", ["questions", "review"])
    def test_a_page_costs_the_same_at_1_and_30_translated_items(
        self, student, student_client, django_assert_num_queries, page
    ):
        exam = ExamFactory(duration=None)
        offer_in(exam, "en", "hi")
        attempt = AttemptFactory(exam=exam, user=student, completed=page == "review")

        def make_row():
            link = ExamQuestionFactory(exam=exam, question__direction=DirectionFactory())
            translate(link.question, "hi", direction=DirectionFactory(html="<p>गद्यांश</p>"))
            attempt.items.create(question=link.question, order=link.order)
            # As attempt_create writes them: the attempt's total_questions counts its items.
            Attempt.objects.filter(pk=attempt.pk).update(total_questions=F("total_questions") + 1)

        # questions: user, attempt (with its exam and language count), items (their number is the
        # attempt's total_questions); then the paper,
        # built again after each question added: the exam's language count, questions, choices,
        # translations, their choices' texts.
        # review: user, attempt, count, page, choices, translations, their choices' texts, the
        # per-question outcomes.
        expected = {"questions": 8, "review": 8}[page]
        assert_fixed_query_count(
            django_assert_num_queries,
            student_client,
            f"/api/v2.1/attempts/{attempt.pk}/{page}/",
            make_row=make_row,
            expected=expected,
            rows=30,
            atomic=False,
        )


class TestTheExamsLanguagesChangeWhileAttemptsRun:
    def test_a_language_taken_off_the_exam_leaves_its_items_working_in_the_questions_language(
        self, student_client, bilingual
    ):
        attempt = begin(student_client, bilingual)
        first = questions(student_client, attempt)[0]
        hindi_choice = first["question"]["translations"][0]["answers"][0]["id"]
        ExamLanguage.objects.filter(exam=bilingual, language="hi").delete()

        items = questions(student_client, attempt)
        assert [item["question"]["translations"] for item in items] == [[], []]
        assert ok(student_client.get(f"/api/v2.1/exams/{bilingual.slug}/"))["languages"] == []
        # The answer id read in Hindi is still the question's own choice.
        saved = ok(answer(student_client, items[0], selected_answers=[hindi_choice]))
        assert saved["selected_answers"] == [hindi_choice]
        assert ok(act(student_client, attempt, "end"))["correct_count"] == 1

    def test_a_language_added_back_brings_its_translations_back(self, student_client, bilingual):
        attempt = begin(student_client, bilingual)
        ExamLanguage.objects.filter(exam=bilingual, language="hi").delete()
        assert questions(student_client, attempt)[0]["question"]["translations"] == []
        offer_in(bilingual, "hi")
        assert [t["language"] for t in questions(student_client, attempt)[0]["question"]["translations"]] == [
            "hi"
        ]

    def test_a_translation_into_a_language_the_exam_does_not_list_is_not_printed(
        self, student_client, bilingual
    ):
        for link in bilingual.exam_questions.all():
            translate(link.question, "ta")
        items = questions(student_client, begin(student_client, bilingual))
        assert [[t["language"] for t in item["question"]["translations"]] for item in items] == [
            ["hi"],
            ["hi"],
        ]
