"""GET /api/v2.5/admin/attempts/: the seed's fields and formats, its filters, ordering and pages; <id>/: one
attempt with its breakdowns; <id>/user_answers/: the student's responses."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from attempts.choices import AttemptResult, AttemptState
from attempts.models import Attempt
from attempts.services import attempt_create, attempt_end, attempt_save_item, item_mark_essay
from exams.models import Subject
from tests.api_cases import StaffOnlyEndpointCases
from tests.factories import (
    AttemptFactory,
    AttemptItemFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
)
from tests.query_counts import assert_fixed_query_count, request_queries

from .conftest import correct_ids, wrong_ids

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
    permissions = ("attempts.view_attempt",)

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

    @pytest.mark.parametrize("page", ["list", "detail", "user_answers"])
    def test_an_overdue_attempt_is_completed_and_scored_before_it_is_printed(self, staff_client, page):
        start = timezone.now() - timedelta(hours=1)
        # The exam closed half an hour ago; nothing has read the attempt since.
        exam = ExamFactory(start_date=start - timedelta(days=1), end_date=start + timedelta(minutes=30))
        ExamQuestionFactory.create_batch(2, exam=exam)
        attempt = attempt_create(user=UserFactory(), exam=exam, now=start)
        first = attempt.items.order_by("order").first()
        attempt_save_item(
            attempt=attempt, item=first, selected_answers=correct_ids(first.question), now=start
        )

        path = {
            "list": URL,
            "detail": detail_url(attempt),
            "user_answers": detail_url(attempt) + "user_answers/",
        }
        response = staff_client.get(path[page])

        assert response.status_code == 200
        stored = Attempt.objects.get(pk=attempt.pk)
        assert (stored.state, stored.score, stored.correct_count) == (AttemptState.COMPLETED, Decimal("1"), 1)
        if page != "user_answers":
            row = response.json()["results"][0] if page == "list" else response.json()
            assert (row["state"], row["score"], row["correct_answers_count"]) == ("Completed", "1.00", 1)

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
            # Forms Django's DateField or date.fromisoformat read, but not `format: date`.
            ("date_0", "10/25/2006"),
            ("date_0", "20210316"),
            ("date_1", "2021-W11-2"),
            ("date_1", "2021-03-16T00:00"),
            ("date_1", " 2021-03-16"),
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

    @pytest.mark.parametrize("param", ["users", "exams"])
    def test_a_repeated_id_filter_takes_two_hundred_ids(self, staff_client, param):
        attempt = AttemptFactory()
        own = attempt.user_id if param == "users" else attempt.exam_id
        assert ids(staff_client.get(URL, {param: [own, *range(10**6, 10**6 + 199)]})) == [attempt.id]
        response = staff_client.get(URL, {param: [own, *range(10**6, 10**6 + 200)]})
        assert (response.status_code, response.json()) == (400, {param: ["Give at most 200 ids."]})

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


# --- One attempt ---------------------------------------------------------------------------------

DETAIL_KEYS = SEED_KEYS | {"percentile", "username", "sections", "subject_stats", "difficulty_level_stats"}
SECTION_KEYS = {
    "name",
    "order",
    "total_count",
    "correct_answers_count",
    "incorrect_answers_count",
    "unanswered_count",
    "time_taken",
    "score",
}
SUBJECT_KEYS = {
    "subject_id",
    "subject_name",
    "total_count",
    "correct_answers_count",
    "unanswered_count",
    "incorrect_answers_count",
    "parent_subject_id",
    "is_leaf",
    "score",
    "partial_correct_answers_count",
}
LEVEL_KEYS = {
    "correct_answers_count",
    "incorrect_answers_count",
    "partial_correct_answers_count",
    "unanswered_count",
    "total_count",
}
ANSWER_KEYS = {
    "id",
    "order",
    "question_id",
    "question_html",
    "type",
    "selected_answers",
    "selected_answers_text",
    "short_text",
    "essay_text",
    "review",
    "result",
    "marks",
    "duration",
    "correct_answers",
}


def detail_url(attempt) -> str:
    return f"{URL}{attempt.id}/"


def answers_url(attempt) -> str:
    return f"{URL}{attempt.id}/user_answers/"


@pytest.fixture
def taken(student, now):
    """A scored attempt: Physics (Mechanics ×2, Optics) in section A, an unfiled essay in section B.

    The exam gives 4 a question and takes 1 for a wrong one. Answers, a minute apart: Mechanics
    right (easy), Mechanics wrong (hard), Optics right (easy), the essay written and given 2.50 of 4.
    """
    physics = Subject.objects.create(name="Physics")
    mechanics = Subject.objects.create(name="Mechanics", parent=physics)
    optics = Subject.objects.create(name="Optics", parent=physics)
    exam = ExamFactory(
        start_date=now - timedelta(days=1),
        end_date=now + timedelta(days=1),
        mark_per_question=Decimal("4.00"),
        negative_marks=Decimal("1.00"),
    )
    a, b = SectionFactory(exam=exam, order=1, name="A"), SectionFactory(exam=exam, order=2, name="B")
    plan = [
        (mechanics, "easy", a, {}),
        (mechanics, "hard", a, {}),
        (optics, "easy", a, {}),
        (None, "", b, None),
    ]
    for order, (subject, difficulty, section, choices) in enumerate(plan, start=1):
        kind = {"with_choices": 4} if choices is not None else {"essay": True}
        question = QuestionFactory(subject=subject, difficulty=difficulty, **kind)
        ExamQuestionFactory(exam=exam, question=question, section=section, order=order)

    attempt = attempt_create(user=student, exam=exam, now=now)
    items = list(attempt.items.select_related("question").order_by("order"))
    responses = [
        {"selected_answers": correct_ids(items[0].question)},
        {"selected_answers": wrong_ids(items[1].question)[:1], "review": True},
        {"selected_answers": correct_ids(items[2].question)},
        {"essay_text": "Light bends."},
    ]
    for minute, (item, response) in enumerate(zip(items, responses, strict=True), start=1):
        attempt_save_item(attempt=attempt, item=item, now=now + timedelta(minutes=minute), **response)
    attempt = attempt_end(attempt=attempt, now=now + timedelta(minutes=5))
    item_mark_essay(item=items[3], marks=Decimal("2.50"), now=now + timedelta(minutes=6))
    attempt.refresh_from_db()
    return attempt


class TestDetailPermissions(StaffOnlyEndpointCases):
    keys = DETAIL_KEYS
    permissions = ("attempts.view_attempt",)

    @pytest.fixture
    def url(self, db):
        return detail_url(AttemptFactory())


class TestUserAnswersPermissions(StaffOnlyEndpointCases):
    keys = ANSWER_KEYS
    permissions = ("attempts.view_attempt", "exams.view_question", "exams.view_answer")

    @pytest.fixture
    def url(self, db):
        return answers_url(AttemptItemFactory().attempt)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["", "{id}/", "{id}/user_answers/"])
def test_writes_are_not_allowed_and_change_nothing(staff_client, method, path):
    item = AttemptItemFactory(essay_text="kept")
    attempt = item.attempt
    url = URL + path.format(id=attempt.id)

    response = getattr(staff_client, method)(url, {"state": 1, "essay_text": "changed"})

    assert response.status_code == 405
    assert response.json()["detail"]
    item.refresh_from_db()
    assert (item.essay_text, Attempt.objects.get().state) == ("kept", AttemptState.RUNNING)


@pytest.mark.django_db
class TestAttemptDetail:
    def test_prints_the_list_row_plus_the_detail_keys(self, staff_client):
        attempt = AttemptFactory(completed=True, score=Decimal("3"))
        now = timezone.now()

        with time_machine.travel(now, tick=False):
            row = staff_client.get(URL).json()["results"][0]
            body = staff_client.get(detail_url(attempt)).json()

        assert set(body) == DETAIL_KEYS
        assert {key: body[key] for key in SEED_KEYS} == row
        assert body["username"] == attempt.user.username

    def test_percentile_among_the_exams_ranked_attempts(self, staff_client):
        exam = ExamFactory()
        low, mid, high = (
            AttemptFactory(exam=exam, completed=True, score=Decimal(score)) for score in ("2", "5", "9")
        )
        retake = AttemptFactory(
            exam=exam, user=high.user, attempt_number=2, completed=True, score=Decimal("1")
        )
        running = AttemptFactory(exam=exam)

        percentile = {
            a: staff_client.get(detail_url(a)).json()["percentile"] for a in (low, mid, high, running)
        }

        assert percentile == {low: 33.33, mid: 66.67, high: 100, running: 0}
        # A retake is not ranked, but it stands among the ranked ones: 0 of 3 scored as little as 1.
        assert staff_client.get(detail_url(retake)).json()["percentile"] == 0

    def test_sections_in_exam_order_with_counts_time_and_score(self, staff_client, taken):
        sections = staff_client.get(detail_url(taken)).json()["sections"]

        assert all(set(row) == SECTION_KEYS for row in sections)
        assert sections == [
            {
                "name": "A",
                "order": 1,
                "total_count": 3,
                "correct_answers_count": 2,
                "incorrect_answers_count": 1,
                "unanswered_count": 0,
                "time_taken": "0:03:00",
                "score": "7.00",
            },
            {
                "name": "B",
                "order": 2,
                "total_count": 1,
                "correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "unanswered_count": 0,
                "time_taken": "0:01:00",
                "score": "2.50",
            },
        ]

    def test_items_outside_any_section_share_a_nameless_row(self, staff_client):
        attempt = AttemptItemFactory(section=None).attempt
        sections = staff_client.get(detail_url(attempt)).json()["sections"]
        assert [
            (row["name"], row["order"], row["total_count"], row["unanswered_count"]) for row in sections
        ] == [(None, None, 1, 1)]

    def test_subject_stats_roll_up_to_the_parent(self, staff_client, taken):
        rows = staff_client.get(detail_url(taken)).json()["subject_stats"]

        assert all(set(row) == SUBJECT_KEYS for row in rows)
        by_name = {row["subject_name"]: row for row in rows}
        physics = Subject.objects.get(name="Physics")
        assert by_name["Physics"] == {
            "subject_id": physics.id,
            "subject_name": "Physics",
            "total_count": 3,
            "correct_answers_count": 2,
            "unanswered_count": 0,
            "incorrect_answers_count": 1,
            "parent_subject_id": None,
            "is_leaf": False,
            "score": "7.00",
            "partial_correct_answers_count": 0,
        }
        mechanics = by_name["Mechanics"]
        assert (mechanics["parent_subject_id"], mechanics["is_leaf"], mechanics["score"]) == (
            physics.id,
            True,
            "3.00",
        )
        assert (mechanics["correct_answers_count"], mechanics["incorrect_answers_count"]) == (1, 1)
        # The essay has no subject; partly credited (2.50 of 4), it counts as correct, not partially.
        assert (
            by_name["Uncategorized"]["subject_id"],
            by_name["Uncategorized"]["correct_answers_count"],
        ) == (
            None,
            1,
        )
        assert by_name["Uncategorized"]["partial_correct_answers_count"] == 0

    def test_difficulty_levels_every_level_and_none_for_unlevelled_questions(self, staff_client, taken):
        levels = staff_client.get(detail_url(taken)).json()["difficulty_level_stats"]

        assert set(levels) == {"easy", "medium", "hard", "none"}
        assert all(set(counts) == LEVEL_KEYS for counts in levels.values())
        assert levels["easy"] == {
            "correct_answers_count": 2,
            "incorrect_answers_count": 0,
            "partial_correct_answers_count": 0,
            "unanswered_count": 0,
            "total_count": 2,
        }
        assert (levels["hard"]["incorrect_answers_count"], levels["hard"]["total_count"]) == (1, 1)
        assert levels["medium"]["total_count"] == 0
        assert (levels["none"]["correct_answers_count"], levels["none"]["total_count"]) == (1, 1)

    def test_a_running_attempt_counts_every_item_unanswered(self, staff_client):
        item = AttemptItemFactory(section=SectionFactory(name="Only"))
        body = staff_client.get(detail_url(item.attempt)).json()
        assert (body["state"], body["percentile"]) == ("Running", 0)
        assert (body["sections"][0]["unanswered_count"], body["sections"][0]["score"]) == (1, "0.00")

    @pytest.mark.parametrize("path", ["999999/", "999999/user_answers/", "abc/", "abc/user_answers/"])
    def test_an_unknown_attempt_is_404(self, staff_client, path):
        response = staff_client.get(URL + path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_list_filters_do_not_touch_the_detail(self, staff_client):
        attempt = AttemptFactory(state=AttemptState.RUNNING)
        response = staff_client.get(detail_url(attempt), {"state": 1, "ordering": "nope"})
        assert (response.status_code, response.json()["id"]) == (200, attempt.id)

    def test_the_query_count_is_the_same_for_1_and_30_items(self, staff_client, django_assert_num_queries):
        subjects = [Subject.objects.create(name=f"S{n}") for n in range(3)]
        attempt = AttemptFactory(completed=True)
        sections = [SectionFactory(exam=attempt.exam, order=n) for n in range(3)]

        def add_item(n):
            question = QuestionFactory(
                with_choices=4, subject=subjects[n % 3], difficulty=["easy", "hard", ""][n % 3]
            )
            AttemptItemFactory(attempt=attempt, question=question, section=sections[n % 3], result="correct")

        # The token's user; the attempt with its user, exam and standing; sections (counts with their
        # rows); subjects (counts, then the tree); difficulty levels.
        add_item(0)
        with django_assert_num_queries(request_queries(6)):
            assert staff_client.get(detail_url(attempt)).status_code == 200
        for n in range(1, 30):
            add_item(n)
        with django_assert_num_queries(request_queries(6)):
            body = staff_client.get(detail_url(attempt)).json()
        assert sum(row["total_count"] for row in body["sections"]) == 30


@pytest.mark.django_db
class TestUserAnswers:
    def test_each_response_with_its_question_and_key_in_exam_order(self, staff_client, taken):
        body = staff_client.get(answers_url(taken)).json()

        assert body["count"] == 4 and body["per_page"] == 200
        rows = body["results"]
        assert all(set(row) == ANSWER_KEYS for row in rows)
        items = list(taken.items.select_related("question").order_by("order"))
        assert [row["id"] for row in rows] == [item.id for item in items]

        right, wrong, _, essay = rows
        first_question = items[0].question
        chosen = first_question.answers.get(is_correct=True)
        assert right == {
            "id": items[0].id,
            "order": items[0].order,
            "question_id": first_question.id,
            "question_html": first_question.question_html,
            "type": "R",
            "selected_answers": [chosen.id],
            "selected_answers_text": [chosen.text_html],
            "short_text": "",
            "essay_text": "",
            "review": False,
            "result": "correct",
            "marks": "4.00",
            "duration": "0:01:00",
            "correct_answers": [chosen.id],
        }
        wrong_choice = items[1].question.answers.get(pk=wrong["selected_answers"][0])
        assert wrong_choice.is_correct is False
        assert (wrong["result"], wrong["marks"], wrong["review"]) == ("incorrect", "-1.00", True)
        assert wrong["selected_answers_text"] == [wrong_choice.text_html]
        assert wrong["correct_answers"] == correct_ids(items[1].question)
        assert (essay["type"], essay["essay_text"], essay["result"], essay["marks"]) == (
            "E",
            "Light bends.",
            "correct",
            "2.50",
        )
        assert (essay["selected_answers"], essay["correct_answers"]) == ([], [])

    def test_several_correct_choices_and_numerical_values(self, staff_client):
        multiple = QuestionFactory(multiple=True, with_choices=4, with_choices__correct=2)
        numerical = QuestionFactory(numerical=True)
        attempt = AttemptFactory()
        picked = list(multiple.answers.order_by("-order").values_list("pk", flat=True)[:2])
        AttemptItemFactory(attempt=attempt, question=multiple, order=1, selected_answers=picked)
        AttemptItemFactory(attempt=attempt, question=numerical, order=2, short_text="9.80")

        multi_row, numeric_row = staff_client.get(answers_url(attempt)).json()["results"]

        texts = dict(multiple.answers.values_list("pk", "text_html"))
        assert multi_row["type"] == "C" and multi_row["selected_answers"] == picked
        assert multi_row["selected_answers_text"] == [texts[pk] for pk in picked]
        assert (
            multi_row["correct_answers"] == correct_ids(multiple) and len(multi_row["correct_answers"]) == 2
        )
        assert (numeric_row["type"], numeric_row["short_text"], numeric_row["correct_answers"]) == (
            "N",
            "9.80",
            [],
        )

    def test_a_running_attempt_shows_responses_not_yet_scored(self, staff_client):
        item = AttemptItemFactory()
        row = staff_client.get(answers_url(item.attempt)).json()["results"][0]
        assert (row["result"], row["marks"], row["duration"], row["selected_answers"]) == (
            None,
            None,
            None,
            [],
        )

    def test_a_choice_deleted_since_prints_no_text(self, staff_client):
        # A chosen choice can no longer be deleted; rows from before that rule may still point at one.
        item = AttemptItemFactory()
        gone = item.question.answers.last()
        gone_id = gone.pk
        gone.delete()
        item.selected_answers = [gone_id]
        item.save()
        row = staff_client.get(answers_url(item.attempt)).json()["results"][0]
        assert (row["selected_answers"], row["selected_answers_text"]) == ([gone_id], [None])

    def test_only_this_attempts_items_paginated(self, staff_client):
        attempt = AttemptFactory()
        mine = [AttemptItemFactory(attempt=attempt, order=n) for n in range(3)]
        AttemptItemFactory()  # another attempt's

        first = staff_client.get(answers_url(attempt), {"per_page": 2}).json()
        second = staff_client.get(first["next"]).json()

        assert first["count"] == 3
        assert [row["id"] for row in first["results"] + second["results"]] == [item.id for item in mine]
        assert staff_client.get(answers_url(attempt), {"page": 3, "per_page": 2}).status_code == 404

    def test_the_query_count_does_not_grow_with_the_page(self, staff_client, django_assert_num_queries):
        attempt = AttemptFactory()
        # The token's user, the attempt, COUNT(*), the items with their questions, the questions' choices.
        assert_fixed_query_count(
            django_assert_num_queries,
            staff_client,
            answers_url(attempt),
            make_row=lambda: AttemptItemFactory(attempt=attempt, selected_answers=[]),
            expected=5,
        )
