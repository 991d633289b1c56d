"""Offline exams: the paper an app stores (v2.4), the answers it sends later (v3), and the attempt a
task makes of them. Without a broker the task runs after the request's commit, in the request's
process (the commit callbacks are run here with django_capture_on_commit_callbacks)."""

import json
import logging
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from attempts import offline, services, tasks
from attempts.choices import AttemptState
from attempts.models import Attempt, OfflineSubmission, WebhookEvent
from attempts.services import attempt_create, attempt_end, attempt_save_item
from exams.models import ExamQuestion
from testpress.celery import app
from tests.admin_cases import AdminSmokeCases
from tests.attempts.conftest import correct_ids
from tests.factories import (
    BatchFactory,
    DirectionFactory,
    ExamFactory,
    ExamQuestionFactory,
    LanguageFactory,
    QuestionFactory,
    UserFactory,
    offer_in,
    translate,
)
from tests.query_counts import request_queries

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def paper_url(exam) -> str:
    return f"/api/v2.4/exams/{exam.pk}/questions/"


def submit_url(exam) -> str:
    return f"/api/v3/exams/{exam.pk}/submit-offline-exam-answers/"


@pytest.fixture
def offline_exam(exam_of):
    """R (first choice right), C (first two right), N (9.81 ± 0.01), E; 1 mark each, −0.25 wrong."""
    return exam_of("RCNE", is_offline_exam=True, negative_marks=Decimal("0.25"))


def links_of(exam) -> list[ExamQuestion]:
    return list(ExamQuestion.objects.filter(exam=exam).select_related("question").order_by("order", "id"))


def the_answers(exam) -> list[dict]:
    """R right, C wrong (one of two), N right, E written: the same responses given online below."""
    r, c, n, e = links_of(exam)
    return [
        {"exam_question_id": r.pk, "selected_answers": correct_ids(r.question), "duration": 40},
        {"exam_question_id": c.pk, "selected_answers": correct_ids(c.question)[:1], "duration": "0:01:10"},
        {"exam_question_id": n.pk, "short_text": "9.815"},
        {"exam_question_id": e.pk, "essay_text": "An essay."},
    ]


def body(exam, now, answers=None, *, started=None, completed=None) -> dict:
    started = started or now - 40 * MINUTE
    completed = completed or now - 15 * MINUTE
    return {
        "offline_attempt": {"started_on": started.isoformat(), "completed_on": completed.isoformat()},
        "offline_answers": the_answers(exam) if answers is None else answers,
    }


@pytest.fixture
def submit(student_client, django_capture_on_commit_callbacks):
    """POST a submission as the student and run what its commit queued (the task, here in process)."""

    def send(exam, payload, client=student_client):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(submit_url(exam), payload, format="json")

    return send


def refused(response, status=400) -> str:
    assert response.status_code == status, response.content
    return json.dumps(response.json())


# --- The exam's flags --------------------------------------------------------------------------


def test_the_student_exam_prints_the_offline_flags(student_client, exam_of):
    exam = exam_of("R", is_offline_exam=True, grace_duration_for_offline_submission=30)
    data = student_client.get(f"/api/v2.1/exams/{exam.slug}/").json()
    assert (data["is_offline_exam"], data["grace_duration_for_offline_submission"]) == (True, 30)
    online = student_client.get(f"/api/v2.1/exams/{exam_of('R').slug}/").json()
    assert (online["is_offline_exam"], online["grace_duration_for_offline_submission"]) == (False, 0)


# --- The paper ---------------------------------------------------------------------------------


class TestThePaper:
    def test_it_holds_every_question_with_its_choices_section_subject_and_direction(
        self, student_client, offline_exam
    ):
        direction = DirectionFactory(html="<p>Read this.</p>")
        first = links_of(offline_exam)[0]
        first.question.direction = direction
        first.question.save()

        response = student_client.get(paper_url(offline_exam))

        assert response.status_code == 200, response.content
        page = response.json()
        assert set(page) == {"count", "next", "previous", "per_page", "results"}
        assert (page["count"], page["next"], page["previous"], page["per_page"]) == (4, None, None, 20)
        paper = page["results"]
        assert set(paper) == {"directions", "subjects", "sections", "exam_questions", "questions"}
        links = links_of(offline_exam)
        assert paper["exam_questions"] == [
            {
                "id": link.pk,
                "order": position,
                "question_id": link.question_id,
                "section_id": link.section_id,
                "exam_id": offline_exam.pk,
            }
            for position, link in enumerate(links, start=1)
        ]
        assert paper["directions"] == [{"id": direction.pk, "html": "<p>Read this.</p>"}]
        assert [s["id"] for s in paper["sections"]] == [links[0].section_id]
        assert {s["id"] for s in paper["subjects"]} == {link.question.subject_id for link in links}
        single = paper["questions"][0]
        assert set(single) == {
            "id",
            "direction_id",
            "answers",
            "language",
            "question_html",
            "subject_id",
            "type",
            "marks",
            "negative_marks",
            "translations",
        }
        assert (single["id"], single["direction_id"], single["type"]) == (
            first.question_id,
            direction.pk,
            "R",
        )
        assert [a["id"] for a in single["answers"]] == list(
            first.question.answers.order_by("order", "id").values_list("pk", flat=True)
        )
        assert set(single["answers"][0]) == {"id", "text_html"}
        assert (single["marks"], single["negative_marks"]) == ("1.00", "0.25")
        assert (single["language"], single["translations"]) == ("en", [])

    def test_it_never_carries_a_correct_answer_or_an_explanation(self, student_client, offline_exam):
        raw = student_client.get(paper_url(offline_exam)).content.decode()
        assert "is_correct" not in raw
        assert "explanation" not in raw
        assert "Because." not in raw  # the explanation's text
        assert "9.81" not in raw  # the numerical key
        assert "tolerance" not in raw

    def test_a_page_carries_only_what_its_questions_name(self, student_client, exam_of):
        exam = exam_of("RRR", is_offline_exam=True)
        links = links_of(exam)
        for link in links:
            link.question.direction = DirectionFactory()
            link.question.save()

        first = student_client.get(paper_url(exam), {"per_page": 2}).json()
        second = student_client.get(first["next"]).json()

        assert first["count"] == 3 and first["next"].startswith("http://testserver/api/v2.4/exams/")
        assert [q["id"] for q in first["results"]["questions"]] == [
            links[0].question_id,
            links[1].question_id,
        ]
        assert len(first["results"]["directions"]) == len(first["results"]["subjects"]) == 2
        assert [q["id"] for q in second["results"]["questions"]] == [links[2].question_id]
        assert [eq["order"] for eq in second["results"]["exam_questions"]] == [3]
        assert second["results"]["directions"] == [
            {"id": links[2].question.direction_id, "html": links[2].question.direction.html}
        ]

    def test_variable_marks_print_each_questions_own(self, student_client, exam_of):
        exam = exam_of("R", is_offline_exam=True, variable_mark_per_question=True)
        question = links_of(exam)[0].question
        question.marks, question.negative_marks = Decimal("4"), Decimal("1")
        question.save()
        printed = student_client.get(paper_url(exam)).json()["results"]["questions"][0]
        assert (printed["marks"], printed["negative_marks"]) == ("4.00", "1.00")

    def test_each_question_prints_its_own_language(self, student_client, exam_of):
        exam = exam_of("RR", is_offline_exam=True)
        hindi = links_of(exam)[1].question
        hindi.language = LanguageFactory(code="hi", title="हिन्दी")
        hindi.save()
        printed = student_client.get(paper_url(exam)).json()["results"]["questions"]
        assert [(q["language"], q["translations"]) for q in printed] == [("en", []), ("hi", [])]

    def test_a_bilingual_paper_carries_each_questions_translations_on_the_same_choices(
        self, student_client, exam_of
    ):
        exam = exam_of("RR", is_offline_exam=True)
        offer_in(exam, "en", "hi")
        first, second = (link.question for link in links_of(exam))
        translate(first, "hi", question_html="<p>पहला प्रश्न</p>")
        printed = student_client.get(paper_url(exam)).json()["results"]["questions"]
        [hindi] = printed[0]["translations"]
        assert (hindi["language"], hindi["question_html"]) == ("hi", "<p>पहला प्रश्न</p>")
        assert [a["id"] for a in hindi["answers"]] == [a["id"] for a in printed[0]["answers"]]
        assert "is_correct" not in str(printed) and printed[1]["translations"] == []

    def test_costs_the_same_queries_for_one_question_and_many(
        self, django_assert_num_queries, student_client
    ):
        exam = ExamFactory(is_offline_exam=True)
        url = f"{paper_url(exam)}?per_page=100"
        for count in (1, 30):
            while ExamQuestion.objects.filter(exam=exam).count() < count:
                question = QuestionFactory(with_choices=4, direction=DirectionFactory())
                ExamQuestionFactory(exam=exam, question=question, order=count)
            # The user, the exam with its visibility, its language count, the count, the page with its
            # questions, their choices.
            with django_assert_num_queries(request_queries(6)):
                response = student_client.get(url)
            assert len(response.json()["results"]["questions"]) == count


class TestWhoGetsThePaper:
    def test_anonymous_is_asked_to_log_in(self, api_client, offline_exam):
        assert api_client.get(paper_url(offline_exam)).status_code == 401

    def test_another_batchs_exam_is_forbidden(self, student_client, exam_of):
        exam = exam_of("R", is_offline_exam=True, batches=[BatchFactory()])
        assert student_client.get(paper_url(exam)).status_code == 403

    def test_an_unpublished_or_unknown_exam_is_not_found(self, student_client, exam_of):
        draft = exam_of("R", is_offline_exam=True, published=False)
        assert student_client.get(paper_url(draft)).status_code == 404
        assert student_client.get("/api/v2.4/exams/999999/questions/").status_code == 404

    def test_an_online_exam_has_no_paper(self, student_client, exam_of):
        response = student_client.get(paper_url(exam_of("R")))
        assert (response.status_code, response.json()["error_code"]) == (403, "not_offline_exam")

    def test_the_paper_is_secret_until_the_exam_opens(self, student_client, exam_of, now):
        exam = exam_of("R", is_offline_exam=True, start_date=now + timedelta(hours=1))
        response = student_client.get(paper_url(exam))
        assert (response.status_code, response.json()["error_code"]) == (403, "exam_not_open")

    def test_only_these_two_endpoints_live_at_v2_4_and_v3(self, student_client, offline_exam):
        for path in ("/api/v2.4/exams/", f"/api/v3/exams/{offline_exam.pk}/questions/", "/api/v3/me/"):
            response = student_client.get(path)
            assert (response.status_code, response["Content-Type"]) == (404, "application/json"), path


# --- The submission ----------------------------------------------------------------------------


def online_attempt(user, exam, now) -> Attempt:
    """The same responses as the_answers, given through the online engine."""
    attempt = attempt_create(user=user, exam=exam, now=now - 40 * MINUTE)
    items = list(attempt.items.select_related("question").order_by("order"))
    r, c, n, e = items
    attempt_save_item(
        attempt=attempt, item=r, selected_answers=correct_ids(r.question), now=now - 39 * MINUTE
    )
    attempt_save_item(
        attempt=attempt, item=c, selected_answers=correct_ids(c.question)[:1], now=now - 38 * MINUTE
    )
    attempt_save_item(attempt=attempt, item=n, short_text="9.815", now=now - 37 * MINUTE)
    attempt_save_item(attempt=attempt, item=e, essay_text="An essay.", now=now - 36 * MINUTE)
    return attempt_end(attempt=attempt, now=now - 35 * MINUTE)


# What scoring writes, but speed: answers per hour of the time taken, which is the sitting's own.
RESULT_FIELDS = ["state", "total_questions", *(f for f in services.SCORE_FIELDS if f != "speed")]


class TestASubmission:
    def test_is_accepted_and_scored_exactly_as_the_same_answers_online(
        self, submit, student, offline_exam, now
    ):
        response = submit(offline_exam, body(offline_exam, now))

        assert (response.status_code, response.json()) == (
            202,
            {"message": "Exam answers are being processed"},
        )
        attempt = Attempt.objects.get(user=student, exam=offline_exam)
        online = online_attempt(UserFactory(), offline_exam, now)
        assert [getattr(attempt, f) for f in RESULT_FIELDS] == [getattr(online, f) for f in RESULT_FIELDS]
        assert (attempt.correct_count, attempt.incorrect_count, attempt.pending_count) == (2, 1, 1)
        assert attempt.score == Decimal("1.75")
        assert [(i.result, i.marks) for i in attempt.items.order_by("order")] == [
            (i.result, i.marks) for i in online.items.order_by("order")
        ]

    def test_keeps_the_sittings_times_and_each_answers_time(self, submit, student, offline_exam, now):
        submit(offline_exam, body(offline_exam, now, started=now - 40 * MINUTE, completed=now - 15 * MINUTE))

        attempt = Attempt.objects.get(user=student)
        assert (attempt.state, attempt.date, attempt.completed_at) == (
            AttemptState.COMPLETED,
            now - 40 * MINUTE,
            now - 15 * MINUTE,
        )
        assert attempt.time_taken == 25 * MINUTE
        items = list(attempt.items.order_by("order"))
        assert [i.duration for i in items] == [timedelta(seconds=40), timedelta(seconds=70), None, None]
        submission = OfflineSubmission.objects.get()
        assert (submission.status, submission.attempt_id) == ("processed", attempt.pk)

    def test_time_taken_is_at_most_the_exams_duration(self, submit, student, offline_exam, now):
        submit(offline_exam, body(offline_exam, now, started=now - 5 * 60 * MINUTE, completed=now))
        assert Attempt.objects.get(user=student).time_taken == offline_exam.duration

    def test_the_student_sees_it_in_their_attempts_list(self, submit, student_client, offline_exam, now):
        submit(offline_exam, body(offline_exam, now))
        rows = student_client.get("/api/v2.1/attempts/").json()["results"]
        assert [(r["exam"]["id"], r["state"], r["score"]) for r in rows] == [
            (offline_exam.pk, "Completed", "1.75")
        ]

    def test_a_sectionally_timed_exam_makes_one_completed_attempt_readable_like_any(
        self, submit, student_client, student, exam_of, now
    ):
        exam = exam_of("RR", is_offline_exam=True)
        exam.sections.update(duration=timedelta(minutes=10))
        first = links_of(exam)[0]
        answers = [{"exam_question_id": first.pk, "selected_answers": correct_ids(first.question)}]
        assert submit(exam, body(exam, now, answers)).status_code == 202

        attempt = Attempt.objects.get(user=student)
        detail = student_client.get(f"/api/v2.1/attempts/{attempt.pk}/")
        assert detail.status_code == 200, detail.content
        assert (detail.json()["state"], detail.json()["correct_count"]) == ("Completed", 1)

    def test_it_writes_the_webhooks_started_and_completed_events(self, submit, student, offline_exam, now):
        submit(offline_exam, body(offline_exam, now))
        attempt = Attempt.objects.get(user=student)
        kinds = WebhookEvent.objects.filter(attempt=attempt).order_by("pk").values_list("kind", flat=True)
        assert list(kinds) == ["started", "completed"]

    def test_questions_left_out_are_unanswered(self, submit, student, offline_exam, now):
        submit(offline_exam, body(offline_exam, now, answers=[]))
        attempt = Attempt.objects.get(user=student)
        assert (attempt.unanswered_count, attempt.score, attempt.items.count()) == (4, Decimal("0.00"), 4)

    def test_a_late_one_is_refused_and_the_grace_is_honoured(self, submit, exam_of, now):
        exam = exam_of(
            "R",
            is_offline_exam=True,
            start_date=now - timedelta(days=1),
            end_date=now - 20 * MINUTE,
            grace_duration_for_offline_submission=10,
        )
        late = refused(submit(exam, body(exam, now, answers=[], completed=now - 9 * MINUTE)))
        assert "later than the exam's end date plus 10 minutes of grace" in late
        assert "offline_submission_late" in late
        assert not OfflineSubmission.objects.exists() and not Attempt.objects.exists()

        in_grace = submit(exam, body(exam, now, answers=[], completed=now - 11 * MINUTE))
        assert in_grace.status_code == 202
        assert Attempt.objects.get().state == AttemptState.COMPLETED

    def test_a_question_of_another_exam_is_refused(self, submit, offline_exam, exam_of, now):
        elsewhere = links_of(exam_of("R", is_offline_exam=True))[0]
        answers = [{"exam_question_id": elsewhere.pk, "selected_answers": correct_ids(elsewhere.question)}]
        message = refused(submit(offline_exam, body(offline_exam, now, answers)))
        assert f"Not questions of this exam: exam_question_id {elsewhere.pk}" in message
        assert not OfflineSubmission.objects.exists() and not Attempt.objects.exists()

    def test_a_choice_of_another_exams_question_is_refused(self, submit, offline_exam, exam_of, now):
        foreign = links_of(exam_of("R", is_offline_exam=True))[0].question
        single = links_of(offline_exam)[0]
        answers = [{"exam_question_id": single.pk, "selected_answers": correct_ids(foreign)}]
        message = refused(submit(offline_exam, body(offline_exam, now, answers)))
        assert f"exam_question_id {single.pk}: Not an answer of this question" in message
        assert not OfflineSubmission.objects.exists() and not Attempt.objects.exists()

    @pytest.mark.parametrize(
        "answer, says",
        [
            ({"short_text": "nine"}, "Enter a number"),
            ({"selected_answers": "1"}, "selected_answers"),
            ({"duration": -5}, "from 0 to 86400 seconds"),
            ({"duration": "soon"}, "H:MM:SS"),
            ({"duration": [1]}, "H:MM:SS"),
        ],
    )
    def test_a_response_the_question_cannot_take_is_refused(self, submit, offline_exam, now, answer, says):
        numerical = links_of(offline_exam)[2]
        message = refused(
            submit(offline_exam, body(offline_exam, now, [{"exam_question_id": numerical.pk, **answer}]))
        )
        assert says in message
        assert not OfflineSubmission.objects.exists()

    def test_a_question_answered_twice_is_refused(self, submit, offline_exam, now):
        first = links_of(offline_exam)[0]
        answers = [{"exam_question_id": first.pk}, {"exam_question_id": first.pk}]
        assert "Answer each question once" in refused(submit(offline_exam, body(offline_exam, now, answers)))

    def test_more_answers_than_the_exam_has_questions_are_refused_unread(self, submit, offline_exam, now):
        answers = [{"exam_question_id": "not even a number"}] * 5
        message = refused(submit(offline_exam, body(offline_exam, now, answers)))
        assert "no more than 4" in message

    def test_times_that_do_not_fit_are_refused(self, submit, offline_exam, now):
        backwards = body(offline_exam, now, started=now - 10 * MINUTE, completed=now - 20 * MINUTE)
        assert "started_on is later than completed_on" in refused(submit(offline_exam, backwards))
        early = body(offline_exam, now, started=offline_exam.start_date - MINUTE)
        assert "started_on is before the exam opened" in refused(submit(offline_exam, early))
        future = body(offline_exam, now, completed=now + 60 * MINUTE)
        assert "completed_on is in the future" in refused(submit(offline_exam, future))
        missing = refused(submit(offline_exam, {"offline_answers": []}))
        assert "offline_attempt" in missing
        assert not OfflineSubmission.objects.exists()

    def test_an_online_exam_takes_no_submission(self, submit, exam_of, now):
        exam = exam_of("R")
        response = submit(exam, body(exam, now, answers=[]))
        assert (response.status_code, response.json()["error_code"]) == (403, "not_offline_exam")

    def test_visibility_is_the_exam_details(self, submit, api_client, exam_of, now):
        other_batch = exam_of("R", is_offline_exam=True, batches=[BatchFactory()])
        assert submit(other_batch, body(other_batch, now, answers=[])).status_code == 403
        draft = exam_of("R", is_offline_exam=True, published=False)
        assert submit(draft, body(draft, now, answers=[])).status_code == 404
        assert api_client.post(submit_url(draft), {}, format="json").status_code == 401
        assert not OfflineSubmission.objects.exists()


class TestSendingItAgain:
    def test_the_same_sitting_twice_makes_one_attempt(self, submit, student, offline_exam, now):
        payload = body(offline_exam, now)
        first, second = submit(offline_exam, payload), submit(offline_exam, payload)

        assert (first.status_code, second.status_code) == (202, 202)
        assert second.json() == {"message": "Exam answers are being processed"}
        assert Attempt.objects.filter(user=student).count() == 1
        assert OfflineSubmission.objects.count() == 1

    def test_another_sitting_is_a_retake_within_the_exams_limit(self, submit, student, exam_of, now):
        exam = exam_of("R", is_offline_exam=True, allow_retake=True, max_retakes=1)
        submit(exam, body(exam, now, answers=[], started=now - 50 * MINUTE, completed=now - 45 * MINUTE))
        submit(exam, body(exam, now, answers=[], started=now - 40 * MINUTE, completed=now - 35 * MINUTE))
        assert list(Attempt.objects.order_by("attempt_number").values_list("attempt_number", flat=True)) == [
            1,
            2,
        ]

        third = submit(
            exam, body(exam, now, answers=[], started=now - 30 * MINUTE, completed=now - 25 * MINUTE)
        )
        assert (third.status_code, third.json()["error_code"]) == (403, "retakes_exhausted")
        assert Attempt.objects.count() == 2

    def test_a_retake_refused_when_processed_is_recorded_not_raised(
        self, student_client, student, exam_of, now, caplog, django_capture_on_commit_callbacks
    ):
        exam = exam_of("R", is_offline_exam=True, allow_retake=False)
        # Both arrive before either is processed (the worker is behind): each passes the request's check.
        with django_capture_on_commit_callbacks(execute=False) as queued:
            for started in (now - 50 * MINUTE, now - 40 * MINUTE):
                payload = body(exam, now, answers=[], started=started, completed=started + 5 * MINUTE)
                assert student_client.post(submit_url(exam), payload, format="json").status_code == 202
        with caplog.at_level(logging.WARNING, logger="attempts.offline"):
            for callback in queued:
                callback()

        assert Attempt.objects.count() == 1
        statuses = dict(OfflineSubmission.objects.values_list("started_on", "status"))
        assert statuses == {now - 50 * MINUTE: "processed", now - 40 * MINUTE: "refused"}
        assert (
            OfflineSubmission.objects.get(status="refused").refusal
            == "You have used all the attempts this exam allows."
        )
        assert "refused" in caplog.text


class TestTheTask:
    def test_run_twice_it_makes_one_attempt(self, submit, student, offline_exam, now, monkeypatch):
        monkeypatch.setattr(offline, "enqueue", lambda submission_id: False)
        submit(offline_exam, body(offline_exam, now))
        submission = OfflineSubmission.objects.get()

        assert tasks.process_offline_submission.delay(submission.pk).get() == "processed"
        assert tasks.process_offline_submission.delay(submission.pk).get() is None
        assert Attempt.objects.filter(user=student).count() == 1

    def test_a_broker_down_at_the_commit_loses_nothing_the_sweep_queues_it(
        self, submit, student, offline_exam, now, monkeypatch, caplog
    ):
        def broker_down(*args, **kwargs):
            raise ConnectionError("Redis is down")

        with monkeypatch.context() as patched, caplog.at_level(logging.WARNING, logger="attempts.offline"):
            patched.setattr(app.tasks[offline.PROCESS_TASK], "apply_async", broker_down)
            assert submit(offline_exam, body(offline_exam, now)).status_code == 202
        assert "the re-queue sweep will" in caplog.text
        assert OfflineSubmission.objects.get().status == "pending"
        assert not Attempt.objects.exists()

        assert tasks.requeue_offline_submissions.delay().get() == 1
        assert OfflineSubmission.objects.get().status == "processed"
        assert Attempt.objects.get(user=student).state == AttemptState.COMPLETED
        assert tasks.requeue_offline_submissions.delay().get() == 0

    def test_a_failure_leaves_it_pending_for_a_later_try(
        self, submit, offline_exam, now, monkeypatch, caplog
    ):
        def crash(**kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(services, "attempt_create_offline", crash)
        with caplog.at_level(logging.ERROR, logger="attempts.offline"):
            submit(offline_exam, body(offline_exam, now))

        submission = OfflineSubmission.objects.get()
        assert (submission.status, submission.tries) == ("pending", 1)
        assert submission.next_attempt_at > submission.received_at + 30 * timedelta(seconds=1)
        assert not Attempt.objects.exists()
        assert "Could not process offline submission" in caplog.text

    def test_the_sweep_is_on_beats_schedule(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE["requeue-offline-submissions"]
        assert (entry["task"], entry["schedule"]) == ("attempts.requeue_offline_submissions", 30)


def test_the_student_document_lists_both_endpoints_and_the_admin_document_neither(client):
    student = client.get("/api/schema/?version=v2.1&format=json").json()["paths"]
    admin = client.get("/api/schema/?version=v2.5&format=json").json()["paths"]
    paper, submit = "/api/v2.4/exams/{id}/questions/", "/api/v3/exams/{id}/submit-offline-exam-answers/"
    assert set(student[paper]["get"]["responses"]) >= {"200", "401", "403", "404"}
    assert set(student[submit]["post"]["responses"]) >= {"202", "400", "401", "403", "404"}
    assert set(student[submit]["post"]["requestBody"]["content"]) == {"application/json"}
    assert paper not in admin and submit not in admin


# --- What staff see -----------------------------------------------------------------------------


class TestOfflineSubmissionAdmin(AdminSmokeCases):
    model = OfflineSubmission
    # Written by the student API, never typed in.
    add_status = 403

    def make_row(self):
        exam = ExamFactory(is_offline_exam=True)
        now = timezone.now()
        return OfflineSubmission.objects.create(
            exam=exam, user=UserFactory(), started_on=now - 30 * MINUTE, completed_on=now - 5 * MINUTE
        )

    def changelist_queries(self, row):
        return [
            "status__exact=pending",
            f"exam__id__exact={row.exam_id}",
            f"q={row.user.username}",
            f"received_at__year={timezone.localtime(row.received_at).year}",
        ]


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------


def in_threads(count: int, work) -> list:
    """`work()` in `count` threads released at once, each on its own connection; their results."""
    barrier, results = threading.Barrier(count), []

    def run():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestAtTheSameTime:
    def test_the_same_submission_sent_at_once_makes_one_attempt(self, client_for, offline_exam, now):
        student = UserFactory()
        payload = body(offline_exam, now)

        def post():
            return client_for(student).post(submit_url(offline_exam), payload, format="json").status_code

        assert in_threads(8, post) == [202] * 8
        assert OfflineSubmission.objects.count() == 1
        assert Attempt.objects.filter(user=student).count() == 1
        assert OfflineSubmission.objects.get().status == "processed"

    def test_the_same_submission_processed_at_once_makes_one_attempt(self, offline_exam, now, monkeypatch):
        student = UserFactory()
        monkeypatch.setattr(offline, "enqueue", lambda submission_id: False)
        submission = offline.submission_receive(
            user=student,
            exam=offline_exam,
            started_on=now - 40 * MINUTE,
            completed_on=now - 15 * MINUTE,
            answers=[],
        )

        outcomes = in_threads(6, lambda: offline.submission_process(submission.pk))

        assert sorted(outcomes, key=str) == sorted(["processed"] + [None] * 5, key=str)
        assert Attempt.objects.filter(user=student).count() == 1


# --- Hostile values inside the body (tests/api/test_hostile_bodies.py covers its top level) ---------

NESTED_FIELDS = [
    ("offline_attempt", "started_on"),
    ("offline_attempt", "completed_on"),
    *(
        ("offline_answers", name)
        for name in ("exam_question_id", "duration", "selected_answers", "short_text", "essay_text")
    ),
]


@pytest.mark.parametrize("where, name", NESTED_FIELDS)
def test_a_hostile_value_inside_the_body_is_a_4xx_or_stores_only_bounded_values(
    student_client, offline_exam, now, where, name
):
    from tests.api.test_hostile_bodies import HOSTILE, PLACEHOLDER

    numerical = links_of(offline_exam)[2]
    failures = []
    for second, (hostile, raw) in enumerate(HOSTILE.items()):
        # A sitting of its own each time: a resend of an accepted one would be answered from its row.
        payload = body(
            offline_exam,
            now,
            [{"exam_question_id": numerical.pk}],
            started=now - 40 * MINUTE + second * timedelta(seconds=1),
        )
        target = payload[where] if where == "offline_attempt" else payload[where][0]
        target[name] = PLACEHOLDER
        response = student_client.post(
            submit_url(offline_exam),
            json.dumps(payload).replace(json.dumps(PLACEHOLDER), raw),
            content_type="application/json",
        )
        if response.status_code >= 500:
            failures.append(f"{where}.{name}={hostile}: {response.status_code} {response.content[:200]!r}")
    assert not failures, "\n".join(failures)
    for submission in OfflineSubmission.objects.all():
        [answer] = submission.answers
        assert len(answer["selected_answers"]) <= 20 and len(answer["essay_text"]) <= 100_000
        assert answer["short_text"] == "" or abs(Decimal(answer["short_text"])) < Decimal("1e15")
        assert answer["duration"] is None or 0 <= answer["duration"] <= 86400
