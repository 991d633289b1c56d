"""GET /api/v2.5/admin/attempts/: the seed's fields and formats, its filters, ordering and pages."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from attempts.choices import AttemptResult, AttemptState
from attempts.models import Attempt
from tests.api_cases import StaffOnlyEndpointCases
from tests.factories import AttemptFactory, ExamFactory, UserFactory

URL = "/api/v2.5/admin/attempts/"
SEED_KEYS = {
    "id",
    "date",
    "exam_id",
    "user_id",
    "email",
    "name",
    "phone",
    "correct_answers_count",
    "incorrect_answers_count",
    "unanswered_count",
    "score",
    "percentage",
    "time_taken",
    "remaining_time",
    "result",
    "state",
    "last_started_time",
    "last_answer_updated_time",
    "speed",
    "exam_url",
    "user_url",
}
IST = timezone.get_fixed_timezone(330)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def many_attempts(count: int, **kwargs) -> list[Attempt]:
    """`count` completed attempts of one exam by one user, newest last, inserted in one statement."""
    exam, user = ExamFactory(), UserFactory()
    start = at(2021, 1, 1)
    rows = [
        Attempt(
            exam=exam,
            user=user,
            attempt_number=n + 1,
            state=AttemptState.COMPLETED,
            date=start + timedelta(n),
        )
        for n in range(count)
    ]
    return Attempt.objects.bulk_create(rows)


class TestPermissions(StaffOnlyEndpointCases):
    keys = SEED_KEYS

    @pytest.fixture
    def url(self, db):
        AttemptFactory()
        return URL


@pytest.mark.django_db
class TestRow:
    def test_a_completed_attempt_prints_as_the_seed(self, staff_client):
        user = UserFactory(email="", first_name="", last_name="", phone="")
        exam = ExamFactory(duration=None)
        attempt = AttemptFactory(
            exam=exam,
            user=user,
            completed=True,
            date=datetime(2021, 3, 16, 3, 59, 21, 860924, tzinfo=UTC),
            last_started_time=None,
            correct_count=220,
            incorrect_count=20,
            unanswered_count=200,
            score=Decimal("90"),
            percentage=Decimal("0"),
        )

        row = staff_client.get(URL).json()["results"][0]

        assert row == {
            "id": attempt.id,
            "date": "2021-03-16T03:59:21.860924Z",
            "exam_id": exam.id,
            "user_id": user.id,
            "email": None,
            "name": None,
            "phone": None,
            "correct_answers_count": 220,
            "incorrect_answers_count": 20,
            "unanswered_count": 200,
            "score": "90.00",
            "percentage": 0,
            "time_taken": "0:00:00",
            "remaining_time": None,
            "result": "Not taken",
            "state": "Completed",
            "last_started_time": None,
            "last_answer_updated_time": None,
            "speed": 0,
            "exam_url": f"http://testserver/api/v2.5/admin/exams/{exam.id}/",
            "user_url": f"http://testserver/api/v2.5/admin/users/{user.id}/",
        }

    def test_user_details_result_percentage_and_speed_are_printed(self, staff_client):
        user = UserFactory(email="asha@example.com", first_name="Asha", last_name="Rao", phone="9845012345")
        AttemptFactory(
            user=user,
            completed=True,
            percentage=Decimal("66.67"),
            result=AttemptResult.PASS,
            speed=42,
            last_answer_updated_time=datetime(2021, 3, 16, 4, 0, 1, 5, tzinfo=UTC),
        )
        AttemptFactory(completed=True, result=AttemptResult.FAIL, percentage=Decimal("20.00"))

        rows = staff_client.get(URL + "?ordering=date").json()["results"]

        assert rows[0]["email"] == "asha@example.com"
        assert rows[0]["name"] == "Asha Rao"
        assert rows[0]["phone"] == "9845012345"
        assert rows[0]["result"] == "Pass"
        assert rows[0]["percentage"] == 66.67
        assert rows[0]["speed"] == 42
        assert rows[0]["last_answer_updated_time"] == "2021-03-16T04:00:01.000005Z"
        assert (rows[1]["result"], rows[1]["percentage"]) == ("Fail", 20)

    def test_a_running_attempt_shows_its_clock_as_of_the_request(self, staff_client):
        now = timezone.now()
        exam = ExamFactory(duration=timedelta(minutes=30))
        AttemptFactory(
            exam=exam, time_taken=timedelta(minutes=10), clock_checked_at=now - timedelta(seconds=30)
        )
        AttemptFactory(state=AttemptState.NOT_STARTED, clock_checked_at=None, last_started_time=None)

        with time_machine.travel(now, tick=False):
            rows = staff_client.get(URL + "?ordering=date").json()["results"]

        assert (rows[0]["state"], rows[0]["time_taken"], rows[0]["remaining_time"]) == (
            "Running",
            "0:10:30",
            "0:19:30",
        )
        assert (rows[1]["state"], rows[1]["time_taken"], rows[1]["remaining_time"]) == (
            "Not Started",
            "0:00:00",
            "0:30:00",
        )

    def test_links_lead_to_the_exam_and_the_user(self, staff_client):
        attempt = AttemptFactory()
        row = staff_client.get(URL).json()["results"][0]

        exam = staff_client.get(row["exam_url"])
        user = staff_client.get(row["user_url"])

        assert (exam.status_code, exam.json()["id"]) == (200, attempt.exam_id)
        assert (user.status_code, user.json()["id"]) == (200, attempt.user_id)


@pytest.mark.django_db
class TestFilters:
    def test_state_picks_running_completed_or_not_started(self, staff_client):
        running = AttemptFactory(state=AttemptState.RUNNING)
        completed = AttemptFactory(completed=True)
        not_started = AttemptFactory(state=AttemptState.NOT_STARTED)

        assert ids(staff_client.get(URL, {"state": 0})) == [running.id]
        assert ids(staff_client.get(URL, {"state": 1})) == [completed.id]
        assert ids(staff_client.get(URL, {"state": 3})) == [not_started.id]

    def test_users_and_exams_may_repeat(self, staff_client):
        a, b, c = AttemptFactory(), AttemptFactory(), AttemptFactory()

        assert set(ids(staff_client.get(URL, {"users": [a.user_id, b.user_id]}))) == {a.id, b.id}
        assert set(ids(staff_client.get(URL, {"exams": [b.exam_id, c.exam_id]}))) == {b.id, c.id}
        assert ids(staff_client.get(URL, {"users": a.user_id})) == [a.id]

    def test_users_and_exams_combine(self, staff_client):
        exam = ExamFactory()
        wanted = AttemptFactory(exam=exam)
        AttemptFactory(exam=exam)
        AttemptFactory(user=wanted.user)

        assert ids(staff_client.get(URL, {"users": wanted.user_id, "exams": exam.id})) == [wanted.id]

    def test_an_id_that_matches_nothing_gives_an_empty_page(self, staff_client):
        attempt = AttemptFactory()
        assert ids(staff_client.get(URL, {"users": attempt.user_id + 1000})) == []

    def test_dates_are_whole_days_in_the_deployment_time_zone(self, staff_client, settings):
        assert settings.TIME_ZONE == "Asia/Kolkata"
        late_on_15th = AttemptFactory(date=datetime(2021, 3, 15, 23, 59, 59, tzinfo=IST))
        first_of_16th = AttemptFactory(date=datetime(2021, 3, 16, 0, 0, tzinfo=IST))
        last_of_16th = AttemptFactory(date=datetime(2021, 3, 16, 23, 59, 59, 999999, tzinfo=IST))
        early_on_17th = AttemptFactory(date=datetime(2021, 3, 17, 0, 0, tzinfo=IST))

        on_16th = staff_client.get(URL, {"date_0": "2021-03-16", "date_1": "2021-03-16"})
        from_16th = staff_client.get(URL, {"date_0": "2021-03-16"})
        to_16th = staff_client.get(URL, {"date_1": "2021-03-16"})

        assert set(ids(on_16th)) == {first_of_16th.id, last_of_16th.id}
        assert set(ids(from_16th)) == {first_of_16th.id, last_of_16th.id, early_on_17th.id}
        assert set(ids(to_16th)) == {late_on_15th.id, first_of_16th.id, last_of_16th.id}

    def test_dates_at_the_calendar_edges_do_not_break(self, staff_client):
        attempt = AttemptFactory()
        assert ids(staff_client.get(URL, {"date_0": "0001-01-01", "date_1": "9999-12-31"})) == [attempt.id]

    @pytest.mark.parametrize(
        "param, value",
        [
            ("ordering", "score"),
            ("ordering", "id"),
            ("ordering", "date,nope"),
            ("state", "2"),
            ("state", "Running"),
            ("date_0", "2021-13-01"),
            ("date_0", "16/03/2021"),
            ("date_1", "yesterday"),
            ("users", "abc"),
            ("users", "0"),
            ("users", "99999999999999999999"),
            ("exams", "1.5"),
            ("exams", "-3"),
        ],
    )
    def test_an_invalid_value_is_a_400_naming_the_parameter(self, staff_client, param, value):
        AttemptFactory()
        response = staff_client.get(URL, {param: value})

        assert response.status_code == 400
        body = response.json()
        assert list(body) == [param]
        assert isinstance(body[param], list) and body[param]

    def test_one_bad_value_among_repeated_ids_is_refused(self, staff_client):
        attempt = AttemptFactory()
        response = staff_client.get(URL, {"users": [attempt.user_id, "x"]})
        assert response.status_code == 400
        assert list(response.json()) == ["users"]


@pytest.mark.django_db
class TestOrdering:
    @pytest.fixture
    def attempts(self):
        """Three attempts whose dates and counts are ordered differently from each other."""
        return {
            "a": AttemptFactory(date=at(2021, 1, 2), correct_count=5, incorrect_count=1, unanswered_count=9),
            "b": AttemptFactory(date=at(2021, 1, 3), correct_count=1, incorrect_count=9, unanswered_count=5),
            "c": AttemptFactory(date=at(2021, 1, 1), correct_count=9, incorrect_count=5, unanswered_count=1),
        }

    @pytest.mark.parametrize(
        "ordering, expected",
        [
            (None, "bac"),
            ("-date", "bac"),
            ("date", "cab"),
            ("correct_answers_count", "bac"),
            ("-correct_answers_count", "cab"),
            ("incorrect_answers_count", "acb"),
            ("-incorrect_answers_count", "bca"),
            ("unanswered_count", "cba"),
            ("-unanswered_count", "abc"),
        ],
    )
    def test_ordering(self, staff_client, attempts, ordering, expected):
        params = {"ordering": ordering} if ordering else {}
        assert ids(staff_client.get(URL, params)) == [attempts[key].id for key in expected]

    def test_ties_are_broken_by_id_so_pages_never_overlap(self, staff_client):
        same_day = at(2021, 1, 1)
        first, second, third = (AttemptFactory(date=same_day, correct_count=3) for _ in range(3))

        assert ids(staff_client.get(URL)) == [third.id, second.id, first.id]
        assert ids(staff_client.get(URL, {"ordering": "date"})) == [first.id, second.id, third.id]
        assert ids(staff_client.get(URL, {"ordering": "-correct_answers_count"})) == [
            third.id,
            second.id,
            first.id,
        ]


@pytest.mark.django_db
class TestPagination:
    def test_two_hundred_a_page_and_the_next_link_keeps_the_filters(self, staff_client):
        attempts = many_attempts(201)
        exam_id = attempts[0].exam_id

        first = staff_client.get(URL, {"exams": exam_id, "ordering": "date"}).json()

        assert (first["count"], first["per_page"], len(first["results"])) == (201, 200, 200)
        assert first["previous"] is None
        assert first["next"].startswith("http://testserver/api/v2.5/admin/attempts/?")
        assert f"exams={exam_id}" in first["next"] and "ordering=date" in first["next"]
        second = staff_client.get(first["next"]).json()
        assert [row["id"] for row in second["results"]] == [attempts[-1].id]
        assert second["next"] is None
        assert second["previous"].startswith("http://testserver/")

    def test_per_page_is_capped_at_a_thousand(self, staff_client):
        many_attempts(3)
        assert staff_client.get(URL, {"per_page": 5000}).json()["per_page"] == 1000
        assert staff_client.get(URL, {"per_page": 2}).json()["per_page"] == 2

    @pytest.mark.parametrize("page", ["3", "0", "last-but-one"])
    def test_a_page_past_the_end_or_not_a_number_is_404(self, staff_client, page):
        many_attempts(3)
        response = staff_client.get(URL, {"per_page": 2, "page": page})
        assert response.status_code == 404
        assert response.json() == {"detail": "Invalid page."}


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_page(staff_client, django_assert_num_queries):
    # The token's user, the page's COUNT(*), the page's rows with their user and exam; and the
    # SAVEPOINT / RELEASE of the request's transaction (ATOMIC_REQUESTS inside the test's own).
    AttemptFactory()
    with django_assert_num_queries(5):
        assert len(ids(staff_client.get(URL))) == 1

    for _ in range(49):
        AttemptFactory()
    with django_assert_num_queries(5):
        assert len(ids(staff_client.get(URL))) == 50
