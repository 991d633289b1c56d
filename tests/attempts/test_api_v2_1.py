from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from attempts.choices import AttemptState
from tests.factories import (
    AttemptFactory,
    BatchFactory,
    CourseFactory,
    ExamFactory,
    ExamQuestionFactory,
    UserFactory,
)
from tests.query_counts import assert_fixed_query_count, request_queries
from tests.seed_shapes import ATTEMPT_EXTRA_KEYS, ATTEMPT_KEYS, EXAM_EXTRA_KEYS, NESTED_EXAM_KEYS

pytestmark = pytest.mark.django_db

ATTEMPTS = "/api/v2.1/attempts/"


def detail(client, attempt, version="v2.1"):
    response = client.get(f"/api/{version}/attempts/{attempt.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


class TestAttemptShape:
    def test_attempt_and_its_exam_carry_exactly_the_seed_keys_plus_the_client_extras(
        self, student, student_client
    ):
        AttemptFactory(user=student)
        row = student_client.get(ATTEMPTS).json()["results"][0]
        assert set(row) == ATTEMPT_KEYS | ATTEMPT_EXTRA_KEYS
        assert set(row["exam"]) == NESTED_EXAM_KEYS | EXAM_EXTRA_KEYS

    def test_a_completed_attempt_prints_in_the_seeds_formats(self, student, student_client):
        exam = ExamFactory(duration=timedelta(minutes=30, seconds=30), slug="aptitude")
        attempt = AttemptFactory(
            exam=exam,
            user=student,
            completed=True,
            date=datetime(2015, 7, 14, 5, 16, 12, 86000, tzinfo=UTC),
            last_started_time=datetime(2015, 7, 14, 5, 20, 36, 851999, tzinfo=UTC),
            time_taken=timedelta(seconds=38),
            total_questions=20,
            score=Decimal("2"),
            percentage=Decimal("10.00"),
            correct_count=2,
            incorrect_count=6,
            unanswered_count=12,
            speed=14,
            accuracy=25,
        )
        body = detail(student_client, attempt)
        link = f"http://testserver/api/v2.1/attempts/{attempt.id}/"
        assert body == body | {
            "url": link,
            "id": attempt.id,
            "user": "testpress",
            "date": "2015-07-14T05:16:12.086Z",
            "total_questions": 20,
            "score": "2.00",
            "review_url": f"{link}review/",
            "questions_url": f"{link}questions/",
            "correct_count": 2,
            "incorrect_count": 6,
            "last_started_time": "2015-07-14T05:20:36.851Z",
            "remaining_time": "0:29:52",
            "time_taken": "0:00:38",
            "state": "Completed",
            "percentage": "10",
            "unanswered_count": 12,
            "commented_questions_count": 0,
            "comments_count": 0,
            "allow_retake": True,
            "remaining_attempts": None,
            "total_bonus": 0,
            "sections": [],
            "speed": 14,
            "accuracy": 25,
        }
        assert body["exam"]["url"] == "http://testserver/api/v2.1/exams/aptitude/"
        assert body["exam"]["duration"] == "0:30:30"

    @pytest.mark.parametrize(
        ("stored", "printed"), [("9.50", "10"), ("10.49", "10"), ("66.67", "67"), ("0.00", "0")]
    )
    def test_percentage_is_rounded_to_a_whole_number_string(self, student, student_client, stored, printed):
        attempt = AttemptFactory(user=student, completed=True, percentage=Decimal(stored))
        assert detail(student_client, attempt)["percentage"] == printed

    def test_a_never_started_attempt_says_not_started(self, student, student_client):
        attempt = AttemptFactory(user=student, state=AttemptState.NOT_STARTED, clock_checked_at=None)
        assert detail(student_client, attempt)["state"] == "Not Started"

    def test_links_and_retakes_follow_the_requests_version(self, student, student_client):
        attempt = AttemptFactory(user=student, exam=ExamFactory(max_retakes=None))
        body = detail(student_client, attempt, version="v2.2")
        assert body["url"] == f"http://testserver/api/v2.2/attempts/{attempt.id}/"
        assert body["review_url"] == f"http://testserver/api/v2.2/attempts/{attempt.id}/review/"
        assert body["exam"]["max_retakes"] == -1
        assert detail(student_client, attempt)["exam"]["max_retakes"] is None


class TestAttemptClock:
    @pytest.mark.parametrize(
        ("last_check", "taken", "remaining"),
        [(timedelta(seconds=30), "0:05:30", "0:24:30"), (timedelta(minutes=20), "0:06:30", "0:23:30")],
        ids=["recent-check", "long-silence-charged-only-the-grace"],
    )
    def test_a_running_attempt_is_charged_the_time_since_its_last_check(
        self, student, client_for, settings, last_check, taken, remaining
    ):
        settings.ATTEMPT_TIME_GRACE = timedelta(seconds=90)
        with time_machine.travel(timezone.now(), tick=False):
            attempt = AttemptFactory(
                user=student, time_taken=timedelta(minutes=5), clock_checked_at=timezone.now() - last_check
            )
            body = detail(client_for(student), attempt)
        assert (body["time_taken"], body["remaining_time"]) == (taken, remaining)

    def test_an_untimed_exam_has_no_remaining_time(self, student, student_client):
        attempt = AttemptFactory(user=student, completed=True, exam=ExamFactory(duration=None))
        assert detail(student_client, attempt)["remaining_time"] is None


class TestRemainingAttempts:
    @pytest.mark.parametrize(
        ("exam_kwargs", "expected"),
        [
            ({"allow_retake": True, "max_retakes": None}, None),
            ({"allow_retake": True, "max_retakes": -1}, None),
            ({"allow_retake": True, "max_retakes": 2}, 1),
            ({"allow_retake": False, "max_retakes": None}, 0),
        ],
    )
    def test_counts_the_attempts_already_made(self, student, student_client, exam_kwargs, expected):
        exam = ExamFactory(**exam_kwargs)
        AttemptFactory(exam=exam, user=student, completed=True)
        latest = AttemptFactory(exam=exam, user=student, attempt_number=2)
        AttemptFactory(exam=exam)  # someone else's attempt does not use the student's allowance
        body = detail(student_client, latest)
        assert (body["remaining_attempts"], body["allow_retake"]) == (expected, exam_kwargs["allow_retake"])


class TestRankAndPercentile:
    @pytest.fixture
    def ranked_exam(self):
        """Completed first attempts scoring 9, 7, 7, 5; a better retake and a running attempt beside them."""
        exam = ExamFactory(enable_ranks=True)
        users = {
            name: UserFactory(username=name) for name in ("nine", "seven-a", "seven-b", "five", "runner")
        }
        for name, score in (("nine", 9), ("seven-a", 7), ("seven-b", 7), ("five", 5)):
            AttemptFactory(exam=exam, user=users[name], completed=True, score=Decimal(score))
        AttemptFactory(exam=exam, user=users["seven-a"], attempt_number=2, completed=True, score=Decimal(10))
        AttemptFactory(exam=exam, user=users["runner"], score=Decimal(8))
        return exam, users

    def standings(self, client_for, users):
        result = {}
        for name, user in users.items():
            for row in client_for(user).get(ATTEMPTS).json()["results"]:
                result[name if row["id"] == min_id(user) else f"{name} retake"] = (
                    row["rank"],
                    row["max_rank"],
                    row["percentile"],
                )
        return result

    def test_ties_share_a_rank_and_retakes_do_not_count(self, ranked_exam, client_for):
        exam, users = ranked_exam
        assert self.standings(client_for, users) == {
            "nine": (1, 4, 100),
            "seven-a": (2, 4, 75),
            "seven-b": (2, 4, 75),
            "five": (4, 4, 25),
            "seven-a retake": (1, 4, 100),
            "runner": ("NA", 0, 0),
        }

    def test_percentile_keeps_two_decimals(self, client_for):
        exam = ExamFactory()
        users = [UserFactory() for _ in range(3)]
        for user, score in zip(users, (3, 2, 1), strict=True):
            AttemptFactory(exam=exam, user=user, completed=True, score=Decimal(score))
        assert [detail(client_for(u), u.attempts.get())["percentile"] for u in users] == [100, 66.67, 33.33]

    @pytest.mark.parametrize(
        "exam_kwargs",
        [
            {"enable_ranks": False},
            {"enable_ranks": True, "rank_publishing_date": timezone.now() + timedelta(days=1)},
        ],
        ids=["ranks-disabled", "publishing-date-ahead"],
    )
    def test_rank_is_na_until_the_exam_publishes_ranks(self, client_for, exam_kwargs):
        exam = ExamFactory(**exam_kwargs)
        best = AttemptFactory(exam=exam, completed=True, score=Decimal(9))
        AttemptFactory(exam=exam, completed=True, score=Decimal(1))
        body = detail(client_for(best.user), best)
        assert (body["rank"], body["max_rank"], body["percentile"], body["rank_enabled"]) == (
            "NA",
            0,
            100,
            False,
        )

    def test_rank_shows_once_the_publishing_date_has_passed(self, client_for):
        exam = ExamFactory(enable_ranks=True, rank_publishing_date=timezone.now() - timedelta(minutes=1))
        attempt = AttemptFactory(exam=exam, completed=True, score=Decimal(3))
        body = detail(client_for(attempt.user), attempt)
        assert (body["rank"], body["max_rank"], body["rank_enabled"]) == (1, 1, True)


def min_id(user):
    return user.attempts.order_by("id").values_list("id", flat=True).first()


class TestAttemptList:
    def test_lists_only_the_users_attempts_newest_first(self, student, student_client):
        now = timezone.now()
        old = AttemptFactory(user=student, completed=True, date=now - timedelta(days=3))
        new = AttemptFactory(user=student, date=now - timedelta(hours=1))
        AttemptFactory()
        assert [row["id"] for row in student_client.get(ATTEMPTS).json()["results"]] == [new.id, old.id]

    def test_course_filters_on_the_exams_course_name(self, student, student_client):
        wanted = AttemptFactory(user=student, exam=ExamFactory(course=CourseFactory(name="TNPSC")))
        AttemptFactory(user=student, exam=ExamFactory(course=CourseFactory(name="IBPS")))
        rows = student_client.get(ATTEMPTS, {"course": "tnpsc"}).json()["results"]
        assert [row["id"] for row in rows] == [wanted.id]

    def test_q_searches_the_exams_title(self, student, student_client):
        wanted = AttemptFactory(user=student, exam=ExamFactory(title="FORUM IAS RBI DEMO"))
        AttemptFactory(user=student, exam=ExamFactory(title="AIIMS Exam"))
        rows = student_client.get(ATTEMPTS, {"q": "rbi"}).json()["results"]
        assert [row["id"] for row in rows] == [wanted.id]

    def test_attempts_stay_listed_after_their_exam_is_hidden(self, student, student_client):
        unpublished = AttemptFactory(user=student, completed=True, exam=ExamFactory(published=False))
        moved = AttemptFactory(user=student, completed=True, exam=ExamFactory(batches=[BatchFactory()]))
        rows = student_client.get(ATTEMPTS).json()["results"]
        assert {row["id"]: row["exam"]["id"] for row in rows} == {
            unpublished.id: unpublished.exam_id,
            moved.id: moved.exam_id,
        }

    def test_nested_exam_counts_are_the_users(self, student, student_client):
        exam = ExamFactory()
        ExamQuestionFactory.create_batch(2, exam=exam)
        AttemptFactory(exam=exam, user=student, completed=True)
        AttemptFactory(exam=exam, user=student, attempt_number=2)
        AttemptFactory(exam=exam)
        nested = student_client.get(ATTEMPTS).json()["results"][0]["exam"]
        assert (nested["number_of_questions"], nested["attempts_count"], nested["paused_attempts_count"]) == (
            2,
            2,
            1,
        )

    @pytest.mark.parametrize(
        "params", [{"course": "ü" * 3000}, {"q": "' OR '1'='1"}, {"page": "-1"}, {"per_page": "x"}]
    )
    def test_odd_query_strings_never_break_the_list(self, student, student_client, params):
        AttemptFactory(user=student)
        assert student_client.get(ATTEMPTS, params).status_code in (200, 400, 404)

    def test_page_past_the_end_is_invalid(self, student_client):
        response = student_client.get(ATTEMPTS, {"page": 2})
        assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})

    def test_list_costs_the_same_at_1_and_50_rows(self, student, student_client, django_assert_num_queries):
        course = CourseFactory()

        def make_row():
            exam = ExamFactory(course=course, enable_ranks=True, max_retakes=3)
            ExamQuestionFactory(exam=exam)
            AttemptFactory(exam=exam, user=student, completed=True, score=Decimal(2))
            AttemptFactory(exam=exam, completed=True, score=Decimal(5))

        # user, overdue check, count, page, the page's exams, their languages
        assert_fixed_query_count(
            django_assert_num_queries, student_client, ATTEMPTS, make_row=make_row, expected=6, atomic=False
        )


class TestAttemptPermissions:
    def test_anonymous_gets_401_with_a_challenge(self, api_client):
        attempt = AttemptFactory()
        for path in (ATTEMPTS, f"{ATTEMPTS}{attempt.id}/"):
            response = api_client.get(path)
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("JWT")

    def test_another_students_attempt_is_forbidden(self, other_student, student_client):
        response = student_client.get(f"{ATTEMPTS}{AttemptFactory(user=other_student).id}/")
        assert response.status_code == 403
        assert isinstance(response.json()["detail"], str)

    def test_staff_may_read_any_attempt(self, other_student, staff_client):
        attempt = AttemptFactory(user=other_student)
        body = detail(staff_client, attempt)
        assert body["user"] == "someone-else"
        assert body["exam"]["attempts_count"] == 0  # the exam's counts are the reader's own

    def test_staff_read_others_attempts_only_when_they_may_view_attempts(self, other_student, client_for):
        attempt = AttemptFactory(user=other_student)
        url = f"{ATTEMPTS}{attempt.id}/"
        assert client_for(UserFactory(is_staff=True)).get(url).status_code == 403
        viewer = client_for(UserFactory(is_staff=True, permissions=["attempts.view_attempt"]))
        assert detail(viewer, attempt)["user"] == "someone-else"

    def test_staff_list_holds_only_their_own_attempts(self, staff, staff_client):
        mine = AttemptFactory(user=staff)
        AttemptFactory()
        assert [row["id"] for row in staff_client.get(ATTEMPTS).json()["results"]] == [mine.id]

    @pytest.mark.parametrize("pk", ["999999", "abc", "9" * 30, "-1"])
    def test_unknown_or_malformed_ids_are_404(self, student_client, pk):
        response = student_client.get(f"{ATTEMPTS}{pk}/")
        assert (response.status_code, list(response.json())) == (404, ["detail"])

    def test_writes_are_not_allowed(self, student, student_client):
        attempt = AttemptFactory(user=student)
        assert student_client.post(ATTEMPTS, {}).status_code == 405
        assert student_client.delete(f"{ATTEMPTS}{attempt.id}/").status_code == 405

    def test_detail_costs_a_fixed_number_of_queries(self, student, student_client, django_assert_num_queries):
        attempt = AttemptFactory(user=student, completed=True)
        # user, attempt, its exam, its exam's languages, its per-section counts (one more for the sections
        # when it has items)
        with django_assert_num_queries(request_queries(5, atomic=False)):
            detail(student_client, attempt)
