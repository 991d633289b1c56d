"""The exam's paper is cached between requests (exams/paper.py): every staff edit of what students read
shows on the next request, and a stale paper never decides a score."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.cache.backends.dummy import DummyCache

from attempts.services import attempt_create, attempt_end
from exams import paper
from exams.models import Answer, ExamQuestion
from exams.paper import cached_part, paper_stamp
from exams.services import exam_add_questions
from tests.factories import (
    AnswerFactory,
    DirectionFactory,
    QuestionFactory,
    SectionFactory,
    SubjectFactory,
    offer_in,
    translate,
)
from tests.query_counts import statements

from .conftest import wrong_ids


@pytest.fixture
def taking(student, student_client, exam_of):
    """An attempt of a two-question exam (a single-choice and a numerical question), its paper cached."""
    exam = exam_of("RN", mark_per_question=Decimal("4"), negative_marks=Decimal("1"))
    attempt = attempt_create(user=student, exam=exam)
    url = f"/api/v2.1/attempts/{attempt.pk}/questions/"

    def questions() -> list[dict]:
        response = student_client.get(url)
        assert response.status_code == 200, response.content
        return [item["question"] for item in response.json()["results"]]

    def save(item, **answer):
        return student_client.put(f"{url}{item.pk}/", answer, format="json")

    questions()
    items = list(attempt.items.order_by("order").select_related("question"))
    return exam, attempt, items, questions, save


def test_a_question_text_edit_shows_on_the_next_page(taking):
    exam, attempt, items, questions, save = taking
    question = items[0].question
    question.question_html = "<p>What is 6 × 7?</p>"
    question.save()
    assert questions()[0]["question_html"] == "<p>What is 6 × 7?</p>"


def test_a_choice_edit_addition_and_removal_show_and_are_answerable(taking):
    exam, attempt, items, questions, save = taking
    question = items[0].question
    first = question.answers.order_by("order", "id").first()
    first.text_html = "Forty-two"
    first.save()
    added = AnswerFactory(question=question, text_html="Forty-three", order=99)
    assert questions()[0]["answers"][0]["text_html"] == "Forty-two"
    assert questions()[0]["answers"][-1] == {"id": added.pk, "text_html": "Forty-three"}
    # The new choice is one of the question's at once: a save of it is not refused by an old paper.
    assert save(items[0], selected_answers=[added.pk]).status_code == 200

    removed = wrong_ids(question)[-1]
    save(items[0], selected_answers=[])
    Answer.objects.get(pk=removed).delete()
    assert removed not in {answer["id"] for answer in questions()[0]["answers"]}
    response = save(items[0], selected_answers=[removed])
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_choice"


def test_the_exams_marks_direction_and_subject_show_on_the_next_page(taking):
    exam, attempt, items, questions, save = taking
    exam.mark_per_question = Decimal("2.50")
    exam.save()
    assert {q["marks"] for q in questions()} == {"2.50"}

    question = items[0].question
    question.direction, question.subject = DirectionFactory(html="<p>Read the passage.</p>"), SubjectFactory()
    question.save()
    assert questions()[0]["direction"] == "<p>Read the passage.</p>"
    question.direction.html = "<p>Read the passage again.</p>"
    question.direction.save()
    question.subject.name = "Arithmetic"
    question.subject.save()
    assert (questions()[0]["direction"], questions()[0]["subject"]) == (
        "<p>Read the passage again.</p>",
        "Arithmetic",
    )


def _move_last(exam):
    link = ExamQuestion.objects.filter(exam=exam).order_by("order").first()
    link.order = 100
    link.save()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda exam: _move_last(exam), id="question order"),
        pytest.param(lambda exam: SectionFactory(exam=exam, name="Reasoning"), id="section added"),
        pytest.param(lambda exam: exam.sections.first().delete(), id="section removed"),
        pytest.param(
            lambda exam: exam_add_questions(exam=exam, questions=[QuestionFactory(with_choices=2)]),
            id="question added",
        ),
        pytest.param(
            lambda exam: ExamQuestion.objects.filter(exam=exam).last().delete(), id="question removed"
        ),
        pytest.param(
            lambda exam: setattr(exam, "published", not exam.published) or exam.save(), id="publish"
        ),
    ],
)
def test_every_kind_of_edit_gives_the_paper_a_new_stamp(taking, edit):
    exam = taking[0]
    before = paper_stamp(exam.pk)
    edit(exam)
    assert paper_stamp(exam.pk) != before


def test_an_edit_of_another_exams_question_keeps_this_paper(taking, exam_of):
    exam = taking[0]
    other = exam_of("R")
    before = paper_stamp(exam.pk)
    question = other.questions.get()
    question.question_html = "<p>Elsewhere</p>"
    question.save()
    assert paper_stamp(exam.pk) == before


def test_a_stale_paper_never_scores_an_answer(taking):
    exam, attempt, items, questions, save = taking
    single = items[0].question
    chosen = wrong_ids(single)[0]
    assert save(items[0], selected_answers=[chosen]).status_code == 200
    # The key changes without a signal (a bulk update): the cached paper still holds the old choices.
    Answer.objects.filter(question=single).update(is_correct=False)
    Answer.objects.filter(pk=chosen).update(is_correct=True)
    ended = attempt_end(attempt=attempt)
    # Scored from the database: the choice is right now (+4); the numerical question was not answered.
    assert (ended.correct_count, ended.score) == (1, Decimal("4.00"))


def test_translations_follow_their_edits_and_the_exams_languages(taking):
    exam, attempt, items, questions, save = taking
    offer_in(exam, "en", "hi")
    translation = translate(items[0].question, "hi", question_html="<p>6 × 7 कितना है?</p>")
    assert [t["question_html"] for t in questions()[0]["translations"]] == ["<p>6 × 7 कितना है?</p>"]

    translation.question_html = "<p>छह गुणा सात?</p>"
    translation.save()
    first_choice = translation.answers.order_by("answer__order", "answer_id").first()
    first_choice.text_html = "<p>बयालीस</p>"
    first_choice.save()
    printed = questions()[0]["translations"][0]
    assert printed["question_html"] == "<p>छह गुणा सात?</p>"
    assert "<p>बयालीस</p>" in {choice["text_html"] for choice in printed["answers"]}

    exam.exam_languages.filter(language_id="hi").delete()
    assert questions()[0]["translations"] == []


def test_a_bilingual_page_from_the_cached_paper_reads_no_translation(taking):
    exam, attempt, items, questions, save = taking
    offer_in(exam, "en", "hi")
    for item in items:
        translate(item.question, "hi")
    assert all(question["translations"] for question in questions())  # the paper built again, cached
    # user, attempt with its exam, items: the translations come with the paper.
    assert len(statements(questions)) == 3


def test_requests_that_miss_a_part_together_build_it_once():
    # When an exam starts, every worker misses its paper at once: one builds, the others get its result.
    started, calls = threading.Event(), []

    def build():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return {"built": len(calls)}

    exam_id = 990_001
    results = []
    first = threading.Thread(target=lambda: results.append(cached_part(exam_id, "questions", build)))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: results.append(cached_part(exam_id, "questions", build)))
        for _ in range(3)
    ]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    assert len(calls) == 1
    assert results == [{"built": 1}] * 4


def test_a_build_that_never_finishes_holds_the_others_back_only_for_the_wait(monkeypatch):
    monkeypatch.setattr(paper, "BUILD_WAIT_SECONDS", 0.1)
    exam_id = 990_002
    # Another request marked the part as being built and died before keeping it.
    cache.add(f"paper:{exam_id}:{paper_stamp(exam_id)}:questions:building", 1, 60)
    assert cached_part(exam_id, "questions", lambda: "built here") == "built here"
    assert cached_part(exam_id, "questions", lambda: "not again") == "built here"


def test_another_servers_edit_shows_though_this_process_keeps_the_part(taking):
    exam, attempt, items, questions, save = taking
    # Another app server's edit: the row changes there and its signal gives the exam a new stamp in
    # the shared cache; this process had the old part and its question text.
    Question = items[0].question.__class__
    Question.objects.filter(pk=items[0].question_id).update(question_html="<p>Edited elsewhere</p>")
    assert questions()[0]["question_html"] != "<p>Edited elsewhere</p>"  # the stamp still names the old
    paper._new_stamps({f"paper-stamp:{exam.pk}"})
    assert questions()[0]["question_html"] == "<p>Edited elsewhere</p>"


def test_a_part_this_process_keeps_is_not_fetched_again(taking, monkeypatch):
    exam, attempt, items, questions, save = taking
    answer = wrong_ids(items[0].question)[:1]
    assert save(items[0], selected_answers=answer).status_code == 200  # the questions and the choices used
    fetched = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: fetched.append(key) or get(key, *args))
    questions()
    assert save(items[0], selected_answers=answer).status_code == 200
    # The stamp is read each time (it carries other servers' edits); the parts themselves are not.
    assert fetched and set(fetched) == {f"paper-stamp:{exam.pk}"}


def test_requests_leave_the_part_they_share_as_it_was_built(taking, student_client, monkeypatch):
    exam, attempt, items, questions, save = taking
    first = questions()
    for version in ("v2.1", "v2.2", "v2.3"):
        assert student_client.get(f"/api/{version}/attempts/{attempt.pk}/questions/").status_code == 200
    assert save(items[1], short_text="42").status_code == 200
    # A page from the part as the shared cache holds it (unpickled afresh) against the kept one.
    monkeypatch.setattr(paper, "_recent_parts", paper._RecentParts(paper.RECENT_PARTS))
    assert questions() == first


def test_a_process_keeps_the_parts_it_used_most_recently():
    recent = paper._RecentParts(2)
    recent.keep("a", 1)
    recent.keep("b", 2)
    assert recent.get("a") == 1  # a is now the more recent
    recent.keep("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)


def test_with_a_cache_that_keeps_nothing_every_edit_shows_at_once(taking, monkeypatch):
    # CACHE_URL=dummycache:// (or a stamp evicted at once): the stamp cannot be read back, so no part
    # kept by this process may be taken for the current paper.
    exam, attempt, items, questions, save = taking
    monkeypatch.setattr(paper, "cache", DummyCache("", {}))
    question = items[0].question
    for text in ("<p>First</p>", "<p>Second</p>"):
        question.question_html = text
        question.save()
        assert questions()[0]["question_html"] == text
    removed = question.answers.order_by("pk").first()
    removed.delete()
    assert save(items[0], selected_answers=[removed.pk]).status_code == 400
