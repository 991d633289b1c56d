"""The review of an ended attempt (answers disclosed) and its per-subject totals, v2.1 student API."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from attempts.models import AttemptItem
from attempts.services import item_mark_essay
from tests.attempts.test_lifecycle_api import act, answer, begin, ok, question_of, questions
from tests.factories import (
    AttemptFactory,
    AttemptItemFactory,
    DirectionFactory,
    ExamFactory,
    QuestionFactory,
    SubjectFactory,
    UserFactory,
)
from tests.query_counts import assert_fixed_query_count

pytestmark = pytest.mark.django_db

REVIEW_ITEM_KEYS = {
    "id",
    "url",
    "order",
    "question",
    "result",
    "marks",
    "duration",
    "selected_answers",
    "short_text",
    "essay_text",
    "review",
    "correct_percentage",
}
REVIEW_QUESTION_KEYS = {
    "id",
    "question_html",
    "direction",
    "answers",
    "subject",
    "explanation_html",
    "type",
    "marks",
    "negative_marks",
    "language",
    "translations",
}
SUBJECT_KEYS = {"id", "name", "total", "correct", "unanswered", "incorrect", "parent", "leaf", "score"}


def chosen_by_position(item: dict, picks: str) -> list[int]:
    """Choice ids picked by position letters: "a" the first choice, "bd" the second and fourth."""
    ids = [choice["id"] for choice in item["question"]["answers"]]
    return [ids["abcd".index(letter)] for letter in picks]


def review_of(client, attempt: dict) -> list[dict]:
    return ok(client.get(attempt["review_url"], {"per_page": 100}))["results"]


def judged_by_hand(item: dict) -> str:
    """What a reader concludes from the review's own disclosure: right choices all and only picked."""
    right = {choice["id"] for choice in item["question"]["answers"] if choice["is_correct"]}
    picked = set(item["selected_answers"])
    if not picked:
        return "unanswered"
    return "correct" if picked == right else "incorrect"


class TestAccess:
    @pytest.fixture
    def running(self, student_client, exam_of):
        return begin(student_client, exam_of("R"))

    def test_review_and_subjects_wait_for_the_end(self, student_client, running):
        for url in (running["review_url"], f"{running['review_url']}subjects/"):
            response = student_client.get(url)
            assert (response.status_code, response.json()["error_code"]) == (403, "review_not_ready")
            assert isinstance(response.json()["detail"], str)

    def test_review_needs_the_exam_to_show_answers_but_subjects_do_not(self, student_client, exam_of):
        attempt = begin(student_client, exam_of("R", show_answers=False))
        ended = ok(act(student_client, attempt, "end"))
        response = student_client.get(ended["review_url"])
        assert (response.status_code, response.json()["error_code"]) == (403, "answers_hidden")
        subjects = ok(student_client.get(f"{ended['review_url']}subjects/"))["results"]
        assert [(s["total"], s["unanswered"]) for s in subjects] == [(1, 1)]
        assert "is_correct" not in str(subjects)

    def test_another_student_may_not_read_it_and_staff_may(
        self, other_student, client_for, staff_client, exam_of
    ):
        client = client_for(other_student)
        ended = ok(act(client, begin(client, exam_of("R")), "end"))
        stranger = client_for(UserFactory())
        assert stranger.get(ended["review_url"]).status_code == 403
        assert stranger.get(f"{ended['review_url']}subjects/").status_code == 403
        assert ok(staff_client.get(ended["review_url"]))["count"] == 1
        # The review discloses the answer key: staff need attempts.view_attempt, like the admin's.
        without_rights = client_for(UserFactory(is_staff=True))
        assert without_rights.get(ended["review_url"]).status_code == 403


class TestReviewDisclosesEverything:
    def test_items_carry_answers_explanations_and_what_each_scored(self, student_client, exam_of):
        exam = exam_of("RCN", variable_mark_per_question=True)
        exam.questions.update(marks=Decimal("4.00"), negative_marks=Decimal("1.00"))
        attempt = begin(student_client, exam)
        single, multiple, numerical = questions(student_client, attempt)
        ok(answer(student_client, single, selected_answers=chosen_by_position(single, "b"), review=True))
        ok(answer(student_client, multiple, selected_answers=chosen_by_position(multiple, "ab")))
        ended = ok(act(student_client, attempt, "end"))

        review = review_of(student_client, ended)
        assert [set(r) for r in review] == [REVIEW_ITEM_KEYS] * 3
        assert [set(r["question"]) for r in review] == [REVIEW_QUESTION_KEYS] * 3
        assert [r["order"] for r in review] == [1, 2, 3]
        assert [r["url"] for r in review] == [single["url"], multiple["url"], numerical["url"]]
        first = review[0]
        stored = question_of(single)
        assert first["question"] | {"answers": None} == {
            "id": stored.pk,
            "question_html": stored.question_html,
            "direction": None,
            "answers": None,
            "subject": stored.subject.name,
            "explanation_html": stored.explanation_html,
            "type": "R",
            "marks": "4.00",
            "negative_marks": "1.00",
            # A monolingual paper: the question in its default language, no translation.
            "language": "en",
            "translations": [],
        }
        assert [(c["id"], c["is_correct"]) for c in first["question"]["answers"]] == [
            (a.pk, a.is_correct) for a in stored.answers.all()
        ]
        assert (first["result"], first["marks"], first["review"]) == ("incorrect", "-1.00", True)
        assert [(r["result"], r["marks"]) for r in review[1:]] == [
            ("correct", "4.00"),
            ("unanswered", "0.00"),
        ]

    def test_the_questions_list_never_discloses_correct_answers(self, student_client, exam_of):
        from tests.attempts.test_lifecycle_api import keys_anywhere

        attempt = begin(student_client, exam_of("RCNE"))
        items = questions(student_client, attempt)
        assert "is_correct" not in keys_anywhere(items)
        assert "explanation_html" not in keys_anywhere(items)
        saved = ok(answer(student_client, items[0], selected_answers=chosen_by_position(items[0], "a")))
        assert "is_correct" not in keys_anywhere(saved)

    def test_correct_percentage_is_the_share_of_completed_attempts_right_on_each_question(
        self, client_for, exam_of
    ):
        exam = exam_of("RR")
        # Three students end: both right, first right only, none right. A fourth is still running.
        for picks in (("a", "a"), ("a", "b"), ("c", "")):
            client = client_for(UserFactory())
            attempt = begin(client, exam)
            for item, pick in zip(questions(client, attempt), picks, strict=True):
                if pick:
                    ok(answer(client, item, selected_answers=chosen_by_position(item, pick)))
            last = ok(act(client, attempt, "end"))
        runner = client_for(UserFactory())
        first = questions(runner, begin(runner, exam))[0]
        ok(answer(runner, first, selected_answers=chosen_by_position(first, "a")))

        assert [r["correct_percentage"] for r in review_of(client, last)] == [66.67, 33.33]

    def test_an_essay_waiting_for_marks_is_not_counted_against_its_question(self, client_for, exam_of):
        exam = exam_of("E", show_answers=True)
        ended = []
        for text in ("first essay", "second essay"):
            client = client_for(UserFactory())
            attempt = begin(client, exam)
            ok(answer(client, questions(client, attempt)[0], essay_text=text))
            ended.append((client, ok(act(client, attempt, "end"))))
        # Staff mark the first essay right; the second still waits: 1 correct of 1 judged.
        item_mark_essay(item=AttemptItem.objects.get(attempt_id=ended[0][1]["id"]), marks=Decimal(1))

        client, last = ended[1]
        assert [r["correct_percentage"] for r in review_of(client, last)] == [100]


class TestTheAttemptAgreesWithItsReview:
    def test_score_counts_rank_and_percentile_follow_from_the_disclosed_answers(self, client_for, exam_of):
        exam = exam_of("RRRRC", negative_marks=Decimal("0.50"), enable_ranks=True)
        plans = {
            "asha": "a a a b ab",
            "bala": "a b _ _ a",
            "chitra": "a a a a ab",
            "dev": "b b b _ _",
            "esha": "a b _ _ a",
        }
        ended = {}
        for name, plan in plans.items():
            client = client_for(UserFactory(username=name))
            attempt = begin(client, exam)
            for item, pick in zip(questions(client, attempt), plan.split(), strict=True):
                if pick != "_":
                    ok(answer(client, item, selected_answers=chosen_by_position(item, pick)))
            ended[name] = (client, ok(act(client, attempt, "end")))

        scores = {}
        for name, (client, attempt) in ended.items():
            review = review_of(client, attempt)
            verdicts = [judged_by_hand(item) for item in review]
            assert verdicts == [item["result"] for item in review]
            right, wrong = verdicts.count("correct"), verdicts.count("incorrect")
            score = Decimal(right) * Decimal("1.00") - Decimal(wrong) * Decimal("0.50")
            scores[name] = score
            assert sum(Decimal(item["marks"]) for item in review) == score
            total = sum(Decimal(item["question"]["marks"]) for item in review)
            assert (attempt["score"], attempt["correct_count"], attempt["incorrect_count"]) == (
                f"{score:.2f}",
                right,
                wrong,
            )
            assert attempt["unanswered_count"] == verdicts.count("unanswered")
            assert attempt["percentage"] == str(
                int((100 * score / total).quantize(1, rounding=ROUND_HALF_UP))
            )
            assert attempt["accuracy"] == (round(100 * right / (right + wrong)) if right + wrong else 0)

        for name, (client, attempt) in ended.items():
            body = ok(client.get(attempt["url"]))
            mine = scores[name]
            rank = 1 + sum(1 for s in scores.values() if s > mine)
            percentile = Decimal(100 * sum(1 for s in scores.values() if s <= mine)) / len(scores)
            assert (body["rank"], body["max_rank"]) == (rank, len(scores))
            assert Decimal(str(body["percentile"])) == percentile.quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )

    def test_subject_totals_add_up_the_review_including_parent_subjects(self, student_client, exam_of):
        exam = exam_of("RRR")
        physics = SubjectFactory(name="Physics")
        mechanics = SubjectFactory(name="Mechanics", parent=physics)
        optics = SubjectFactory(name="Optics", parent=physics)
        for question, subject in zip(
            exam.questions.order_by("exam_links__order"), (mechanics, mechanics, optics), strict=True
        ):
            question.subject = subject
            question.save(update_fields=["subject"])
        attempt = begin(student_client, exam)
        for item, pick in zip(questions(student_client, attempt), ("a", "b", None), strict=True):
            if pick:
                ok(answer(student_client, item, selected_answers=chosen_by_position(item, pick)))
        ended = ok(act(student_client, attempt, "end"))

        rows = {
            row["name"]: row for row in ok(student_client.get(f"{ended['review_url']}subjects/"))["results"]
        }
        assert all(set(row) == SUBJECT_KEYS for row in rows.values())
        summary = {
            name: (
                r["total"],
                r["correct"],
                r["incorrect"],
                r["unanswered"],
                r["score"],
                r["leaf"],
                r["parent"],
            )
            for name, r in rows.items()
        }
        assert summary == {
            "Physics": (3, 1, 1, 1, "1.00", False, None),
            "Mechanics": (2, 1, 1, 0, "1.00", True, physics.pk),
            "Optics": (1, 0, 0, 1, "0.00", True, physics.pk),
        }
        review = review_of(student_client, ended)
        assert rows["Physics"]["correct"] == sum(1 for r in review if r["result"] == "correct")


class TestQueryCounts:
    def test_review_costs_the_same_at_1_and_30_items(
        self, student, student_client, django_assert_num_queries
    ):
        attempt = AttemptFactory(user=student, completed=True, exam=ExamFactory())
        others = [AttemptFactory(exam=attempt.exam, completed=True) for _ in range(2)]

        def make_row():
            question = QuestionFactory(with_choices=4, direction=DirectionFactory())
            AttemptItemFactory(attempt=attempt, question=question, result="correct", marks=Decimal(1))
            for other in others:
                AttemptItemFactory(attempt=other, question=question, result="incorrect", marks=Decimal(0))

        # user, attempt with its exam, count, page (questions, directions, subjects), answers,
        # correct percentages
        assert_fixed_query_count(
            django_assert_num_queries,
            student_client,
            f"/api/v2.1/attempts/{attempt.pk}/review/",
            make_row=make_row,
            expected=6,
            rows=30,
            atomic=False,
        )
        rows = ok(student_client.get(f"/api/v2.1/attempts/{attempt.pk}/review/"))["results"]
        assert {row["correct_percentage"] for row in rows} == {33.33}
