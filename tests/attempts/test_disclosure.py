"""show_score, show_percentile and show_pass_or_fail on every student representation of an attempt.

One rule (attempts/disclosure.py) decides; the list, the detail, the end answer, the exam detail's
attempts and review/subjects/ apply it, and the v2.5 admin API prints the real values.
"""

import json
from datetime import timedelta

import pytest
import time_machine

from attempts import disclosure, errors
from tests.attempts.conftest import correct_ids, wrong_ids
from tests.factories import AttemptFactory, ExamFactory
from tests.seed_shapes import ATTEMPT_KEYS

from .test_lifecycle_api import EXAMS, act, answer, begin, ok, question_of, questions

pytestmark = pytest.mark.django_db

SCORE_KEYS = ["score", "percentage", "accuracy", "correct_count", "incorrect_count", "unanswered_count"]
STANDING_KEYS = ["percentile", "rank", "max_rank"]
SCORE_HIDDEN = {
    "score": "NA",
    "percentage": "NA",
    "accuracy": "NA",
    "correct_count": None,
    "incorrect_count": None,
    "unanswered_count": None,
}
PERCENTILE_HIDDEN = {"percentile": "NA", "rank": "NA", "max_rank": 0}


def take(client, exam) -> tuple[dict, dict]:
    """One right and one wrong answer of a two-question exam, then end: (the attempt, the end answer)."""
    attempt = begin(client, exam)
    right, wrong = questions(client, attempt)
    ok(answer(client, right, selected_answers=correct_ids(question_of(right))))
    ok(answer(client, wrong, selected_answers=wrong_ids(question_of(wrong))[:1]))
    return attempt, ok(act(client, attempt, "end"))


def representations(client, exam, attempt: dict, ended: dict) -> dict[str, dict]:
    return {
        "end answer": ended,
        "detail": ok(client.get(attempt["url"])),
        "list": ok(client.get("/api/v2.1/attempts/"))["results"][0],
        "exam attempts": ok(client.get(f"{EXAMS}{exam.slug}/attempts/"))["results"][0],
        "exam detail": ok(client.get(f"{EXAMS}{exam.slug}/"))["attempts"][0],
    }


@pytest.fixture(autouse=True)
def frozen(now):
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        yield


def test_default_flags_show_everything_as_before(student_client, exam_of):
    exam = exam_of("RR", enable_ranks=True)
    attempt, ended = take(student_client, exam)
    for name, body in representations(student_client, exam, attempt, ended).items():
        assert {key: body[key] for key in SCORE_KEYS + STANDING_KEYS} == {
            "score": "1.00",
            "percentage": "50",
            "accuracy": 50,
            "correct_count": 1,
            "incorrect_count": 1,
            "unanswered_count": 0,
            "percentile": 100,
            "rank": 1,
            "max_rank": 1,
        }, name
    assert ok(student_client.get(f"{attempt['review_url']}subjects/"))["count"] >= 1


def test_show_score_off_hides_the_score_everywhere_and_keeps_the_standing(student_client, exam_of):
    exam = exam_of("RR", enable_ranks=True, show_score=False)
    attempt, ended = take(student_client, exam)
    for name, body in representations(student_client, exam, attempt, ended).items():
        assert {key: body[key] for key in SCORE_KEYS} == SCORE_HIDDEN, name
        assert {key: body[key] for key in STANDING_KEYS} == {"percentile": 100, "rank": 1, "max_rank": 1}, (
            name
        )
    sections = ok(student_client.get(attempt["url"]))["sections"]
    assert sections and all(
        (row["score"], row["correct"], row["incorrect"], row["unanswered"], row["total"])
        == (None, None, None, None, 2)
        for row in sections
    )


def test_show_score_off_refuses_the_subject_totals(student_client, exam_of):
    exam = exam_of("RR", show_score=False)
    attempt, _ = take(student_client, exam)
    response = student_client.get(f"{attempt['review_url']}subjects/")
    assert response.status_code == 403
    assert response.json()["error_code"] == "score_hidden"


def test_show_percentile_off_hides_rank_and_percentile_and_keeps_the_score(student_client, exam_of):
    exam = exam_of("RR", enable_ranks=True, show_percentile=False)
    attempt, ended = take(student_client, exam)
    for name, body in representations(student_client, exam, attempt, ended).items():
        assert {key: body[key] for key in STANDING_KEYS} == PERCENTILE_HIDDEN, name
        assert (body["score"], body["correct_count"]) == ("1.00", 1), name
    assert ok(student_client.get(f"{attempt['review_url']}subjects/"))["count"] >= 1


def test_both_off_hide_both_and_the_shape_stays_the_same(student_client, exam_of):
    exam = exam_of("RR", enable_ranks=True, show_score=False, show_percentile=False)
    attempt, ended = take(student_client, exam)
    detail = ok(student_client.get(attempt["url"]))
    assert set(detail) >= ATTEMPT_KEYS
    assert {key: detail[key] for key in SCORE_KEYS + STANDING_KEYS} == {**SCORE_HIDDEN, **PERCENTILE_HIDDEN}


def test_show_pass_or_fail_off_leaves_no_pass_or_fail_in_the_student_api(student_client, exam_of):
    exam = exam_of("RR", show_pass_or_fail=False, pass_percentage=40)
    attempt, ended = take(student_client, exam)
    printed = json.dumps(representations(student_client, exam, attempt, ended)).lower()
    printed = printed.replace('"show_pass_or_fail"', "")
    assert "pass" not in printed and "fail" not in printed


def test_the_exam_prints_its_flags(student_client, exam_of):
    exam = exam_of("R", show_score=False, show_percentile=False, show_pass_or_fail=False)
    for body in (
        ok(student_client.get(f"{EXAMS}{exam.slug}/")),
        ok(student_client.get(EXAMS))["results"][0],
    ):
        assert (body["show_score"], body["show_percentile"], body["show_pass_or_fail"]) == (
            False,
            False,
            False,
        )


def test_the_admin_api_prints_the_real_values(student_client, staff, client_for, exam_of):
    exam = exam_of("RR", show_score=False, show_percentile=False, show_pass_or_fail=False, pass_percentage=40)
    attempt, _ = take(student_client, exam)
    row = ok(client_for(staff).get(f"/api/v2.5/admin/attempts/{attempt['id']}/"))
    assert (row["score"], row["correct_answers_count"], row["result"]) == ("1.00", 1, "Pass")
    assert row["percentile"] == 100


class TestTheRule:
    def test_it_reads_the_exams_flags(self):
        exam = ExamFactory.build(show_score=False, show_percentile=True, show_pass_or_fail=False)
        shown = disclosure.shown_to_student(AttemptFactory.build(exam=exam))
        assert shown == disclosure.Shown(score=False, percentile=True, pass_or_fail=False)

    def test_defaults_show_everything(self):
        attempt = AttemptFactory.build(exam=ExamFactory.build())
        assert disclosure.shown_to_student(attempt) == disclosure.EVERYTHING

    def test_hidden_scores_refuse_the_breakdowns(self):
        attempt = AttemptFactory.build(exam=ExamFactory.build(show_score=False))
        with pytest.raises(errors.ScoreHidden):
            disclosure.require_score_shown(attempt)
