"""GET /api/v2.5/admin/exams/: the list, its filters and ordering; <id>/: the exam an attempt's exam_url
points at."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from exams.choices import ExamType
from exams.models import Subject
from tests.api_cases import StaffOnlyEndpointCases
from tests.factories import BatchFactory, ExamFactory, ExamQuestionFactory, QuestionFactory
from tests.query_counts import assert_fixed_query_count

LIST_URL = "/api/v2.5/admin/exams/"
IST = timezone.get_fixed_timezone(330)

KEYS = {
    "id",
    "title",
    "description",
    "created",
    "modified",
    "start_date",
    "end_date",
    "duration",
    "number_of_questions",
    "negative_marks",
    "mark_per_question",
    "pass_percentage",
    "published",
    "enable_ranks",
    "show_score",
    "show_percentile",
    "show_pass_or_fail",
    "total_marks",
}


def url_of(exam) -> str:
    return f"/api/v2.5/admin/exams/{exam.id}/"


class TestPermissions(StaffOnlyEndpointCases):
    keys = KEYS
    permissions = ("exams.view_exam",)

    @pytest.fixture
    def url(self, db):
        return url_of(ExamFactory())


@pytest.mark.django_db
class TestExamDetail:
    def test_prints_the_schedule_in_local_time_and_marks_with_two_decimals(self, staff_client):
        exam = ExamFactory(
            title="Aptitude",
            start_date=datetime(2013, 8, 2, 11, 55, 22, 123, tzinfo=UTC),
            end_date=None,
            duration=timedelta(hours=3),
            negative_marks=Decimal("0.25"),
            mark_per_question=Decimal("2"),
            pass_percentage=Decimal("40"),
            published=False,
        )

        body = staff_client.get(url_of(exam)).json()

        assert body["title"] == "Aptitude"
        assert body["start_date"] == "2013-08-02T17:25:22+05:30"
        assert body["end_date"] is None
        assert body["duration"] == "3:00:00"
        assert (body["negative_marks"], body["mark_per_question"]) == ("0.25", "2.00")
        assert body["pass_percentage"] == "40.00"
        assert body["published"] is False
        assert body["created"].endswith("Z") and len(body["created"]) == len("2021-03-16T03:59:21.860924Z")

    def test_total_marks_are_the_exams_marks_times_its_questions(self, staff_client):
        exam = ExamFactory(mark_per_question=Decimal("2.50"))
        for _ in range(3):
            ExamQuestionFactory(exam=exam, question=QuestionFactory(marks=Decimal("9")))

        body = staff_client.get(url_of(exam)).json()

        assert (body["number_of_questions"], body["total_marks"]) == (3, "7.50")

    def test_with_variable_marks_total_marks_add_up_each_questions_own(self, staff_client):
        exam = ExamFactory(variable_mark_per_question=True, mark_per_question=Decimal("100"))
        for marks in ("1.00", "2.50", "4.00"):
            ExamQuestionFactory(exam=exam, question=QuestionFactory(marks=Decimal(marks)))
        ExamQuestionFactory(question=QuestionFactory(marks=Decimal("50")))  # another exam's

        body = staff_client.get(url_of(exam)).json()

        assert (body["number_of_questions"], body["total_marks"]) == (3, "7.50")

    @pytest.mark.parametrize("variable", [False, True])
    def test_an_exam_without_questions_is_worth_nothing(self, staff_client, variable):
        exam = ExamFactory(variable_mark_per_question=variable)
        body = staff_client.get(url_of(exam)).json()
        assert (body["number_of_questions"], body["total_marks"]) == (0, "0.00")

    def test_total_marks_agree_with_what_each_question_is_worth(self, staff_client):
        exam = ExamFactory(variable_mark_per_question=True)
        links = [
            ExamQuestionFactory(exam=exam, question=QuestionFactory(marks=Decimal(m))) for m in ("3", "0.5")
        ]

        body = staff_client.get(url_of(exam)).json()

        assert Decimal(body["total_marks"]) == sum(exam.question_marks(link.question)[0] for link in links)

    @pytest.mark.parametrize("path", ["/api/v2.5/admin/exams/999999/", "/api/v2.5/admin/exams/mock-test/"])
    def test_an_unknown_exam_is_404(self, staff_client, path):
        response = staff_client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_costs_two_queries_whatever_the_number_of_questions(
        self, staff_client, django_assert_num_queries
    ):
        exam = ExamFactory(variable_mark_per_question=True)
        for _ in range(20):
            ExamQuestionFactory(exam=exam)
        # The token's user and the annotated exam, inside the request's SAVEPOINT / RELEASE.
        with django_assert_num_queries(4):
            assert staff_client.get(url_of(exam)).status_code == 200


class TestListPermissions(StaffOnlyEndpointCases):
    keys = KEYS
    permissions = ("exams.view_exam",)

    @pytest.fixture
    def url(self, db):
        ExamFactory()
        return LIST_URL


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("detail", [False, True])
def test_writes_are_not_allowed(staff_client, method, detail):
    exam = ExamFactory(title="Kept")
    response = getattr(staff_client, method)(url_of(exam) if detail else LIST_URL, {"title": "Changed"})
    assert response.status_code == 405
    exam.refresh_from_db()
    assert exam.title == "Kept"


@pytest.mark.django_db
class TestExamList:
    def test_rows_match_the_detail_newest_start_first(self, staff_client):
        older = ExamFactory(start_date=at(2021, 1, 1), end_date=None, mark_per_question=Decimal("2"))
        newer = ExamFactory(start_date=at(2021, 2, 1), end_date=None)
        for _ in range(2):
            ExamQuestionFactory(exam=older)

        rows = staff_client.get(LIST_URL).json()["results"]

        assert [row["id"] for row in rows] == [newer.id, older.id]
        assert rows[1] == staff_client.get(url_of(older)).json()
        assert (rows[1]["number_of_questions"], rows[1]["total_marks"]) == (2, "4.00")

    def test_unpublished_exams_are_listed_too(self, staff_client):
        hidden = ExamFactory(published=False)
        assert ids(staff_client.get(LIST_URL)) == [hidden.id]

    def test_the_query_count_does_not_grow_with_the_page(self, staff_client, django_assert_num_queries):
        def make_row():
            exam = ExamFactory(variable_mark_per_question=True, batches=[BatchFactory()])
            ExamQuestionFactory(exam=exam)

        # The token's user, COUNT(*), and the page's exams with their question counts and marks.
        assert_fixed_query_count(
            django_assert_num_queries,
            staff_client,
            LIST_URL + "?status=running",
            make_row=make_row,
            expected=3,
        )

    def test_filtered_by_subject_the_count_does_not_grow_either(
        self, staff_client, django_assert_num_queries
    ):
        subject = Subject.objects.create(name="Physics")

        def make_row():
            exam = ExamFactory()
            for _ in range(2):
                ExamQuestionFactory(exam=exam, question=QuestionFactory(subject=subject))

        # One more than unfiltered: the subject tree, read once to find the sub-subjects.
        assert_fixed_query_count(
            django_assert_num_queries,
            staff_client,
            f"{LIST_URL}?subject={subject.id}",
            make_row=make_row,
            expected=4,
        )


@pytest.mark.django_db
class TestOrdering:
    @pytest.fixture
    def exams(self):
        """Starts and ends ordered differently; c never closes."""
        return {
            "a": ExamFactory(start_date=at(2021, 1, 2), end_date=at(2021, 1, 3)),
            "b": ExamFactory(start_date=at(2021, 1, 3), end_date=at(2021, 1, 9)),
            "c": ExamFactory(start_date=at(2021, 1, 1), end_date=None),
            "d": ExamFactory(start_date=at(2021, 1, 4), end_date=at(2021, 1, 5)),
        }

    @pytest.mark.parametrize(
        "ordering, expected",
        [
            (None, "dbac"),
            ("start_date", "cabd"),
            ("-start_date", "dbac"),
            ("end_date", "adbc"),
            ("-end_date", "cbda"),
        ],
    )
    def test_ordering(self, staff_client, exams, ordering, expected):
        params = {"ordering": ordering} if ordering else {}
        assert ids(staff_client.get(LIST_URL, params)) == [exams[key].id for key in expected]

    def test_ties_are_broken_by_id(self, staff_client):
        first, second = (ExamFactory(start_date=at(2021, 1, 1), end_date=at(2021, 2, 1)) for _ in range(2))
        assert ids(staff_client.get(LIST_URL, {"ordering": "end_date"})) == [first.id, second.id]
        assert ids(staff_client.get(LIST_URL, {"ordering": "-start_date"})) == [second.id, first.id]


@pytest.mark.django_db
class TestScheduleFilters:
    @pytest.fixture
    def exams(self):
        return {
            "15th": ExamFactory(
                start_date=datetime(2021, 3, 15, 23, 0, tzinfo=IST),
                end_date=datetime(2021, 3, 16, 1, 0, tzinfo=IST),
            ),
            "16th": ExamFactory(
                start_date=datetime(2021, 3, 16, 10, 0, tzinfo=IST),
                end_date=datetime(2021, 3, 16, 23, 59, 59, tzinfo=IST),
            ),
            "17th": ExamFactory(
                start_date=datetime(2021, 3, 17, 0, 0, tzinfo=IST),
                end_date=datetime(2021, 3, 17, 1, 0, tzinfo=IST),
            ),
            "open": ExamFactory(start_date=datetime(2021, 3, 16, 0, 0, tzinfo=IST), end_date=None),
        }

    def picked(self, client, exams, params) -> set[str]:
        found = set(ids(client.get(LIST_URL, params)))
        return {name for name, exam in exams.items() if exam.id in found}

    def test_start_date_as_a_day_keeps_exams_starting_that_local_day_or_later(self, staff_client, exams):
        assert self.picked(staff_client, exams, {"start_date": "2021-03-16"}) == {"16th", "17th", "open"}

    def test_end_date_as_a_day_keeps_exams_ending_by_the_end_of_that_local_day(self, staff_client, exams):
        assert self.picked(staff_client, exams, {"end_date": "2021-03-16"}) == {"15th", "16th"}

    def test_a_date_time_is_an_instant_local_unless_it_says_otherwise(self, staff_client, exams):
        assert self.picked(staff_client, exams, {"start_date": "2021-03-16T10:00"}) == {"16th", "17th"}
        assert self.picked(staff_client, exams, {"start_date": "2021-03-16T04:30:01Z"}) == {"17th"}
        assert self.picked(staff_client, exams, {"end_date": "2021-03-16T01:00:00"}) == {"15th"}
        assert self.picked(staff_client, exams, {"end_date": "2021-03-16T18:29:58+00:00"}) == {"15th"}

    def test_both_bounds_together(self, staff_client, exams):
        params = {"start_date": "2021-03-16", "end_date": "2021-03-17"}
        assert self.picked(staff_client, exams, params) == {"16th", "17th"}

    @pytest.mark.parametrize(
        "params",
        [
            {"start_date": "0001-01-01", "end_date": "9999-12-31"},
            {"start_date": "0001-01-01T00:00", "end_date": "9999-12-31T23:59:59"},
            {"start_date": "0001-01-01T00:00+14:00", "end_date": "9999-12-31T23:59:59-14:00"},
        ],
    )
    def test_the_calendars_ends_do_not_break(self, staff_client, exams, params):
        assert self.picked(staff_client, exams, params) == {"15th", "16th", "17th"}


@pytest.mark.django_db
class TestStatus:
    def test_status_is_read_off_the_schedule_at_request_time(self, staff_client):
        # The token is issued now: travel around now, not to a date before it was issued.
        now = timezone.now().replace(microsecond=0)
        hour = timedelta(hours=1)
        upcoming = ExamFactory(start_date=now + hour, end_date=now + 2 * hour)
        running = ExamFactory(start_date=now - hour, end_date=now + hour)
        never_closes = ExamFactory(start_date=now - hour, end_date=None)
        starts_now = ExamFactory(start_date=now, end_date=now + hour)
        completed = ExamFactory(start_date=now - 2 * hour, end_date=now - hour)
        ends_now = ExamFactory(start_date=now - hour, end_date=now)

        with time_machine.travel(now, tick=False):
            assert ids(staff_client.get(LIST_URL, {"status": "upcoming"})) == [upcoming.id]
            assert set(ids(staff_client.get(LIST_URL, {"status": "running"}))) == {
                running.id,
                never_closes.id,
                starts_now.id,
            }
            assert set(ids(staff_client.get(LIST_URL, {"status": "completed"}))) == {
                completed.id,
                ends_now.id,
            }

        with time_machine.travel(now + 3 * hour, tick=False):
            assert ids(staff_client.get(LIST_URL, {"status": "upcoming"})) == []
            assert ids(staff_client.get(LIST_URL, {"status": "running"})) == [never_closes.id]


@pytest.mark.django_db
class TestContentFilters:
    def test_subject_takes_in_its_sub_subjects_and_lists_each_exam_once(self, staff_client):
        physics = Subject.objects.create(name="Physics")
        mechanics = Subject.objects.create(name="Mechanics", parent=physics)
        kinematics = Subject.objects.create(name="Kinematics", parent=mechanics)
        chemistry = Subject.objects.create(name="Chemistry")
        deep, shallow, other = ExamFactory(), ExamFactory(), ExamFactory()
        for _ in range(3):
            ExamQuestionFactory(exam=deep, question=QuestionFactory(subject=kinematics))
        ExamQuestionFactory(exam=shallow, question=QuestionFactory(subject=physics))
        ExamQuestionFactory(exam=other, question=QuestionFactory(subject=chemistry))

        assert sorted(ids(staff_client.get(LIST_URL, {"subject": physics.id}))) == sorted(
            [deep.id, shallow.id]
        )
        assert ids(staff_client.get(LIST_URL, {"subject": mechanics.id})) == [deep.id]
        assert ids(staff_client.get(LIST_URL, {"subject": chemistry.id})) == [other.id]
        assert ids(staff_client.get(LIST_URL, {"subject": chemistry.id + 1000})) == []
        assert staff_client.get(LIST_URL, {"subject": physics.id}).json()["count"] == 2

    def test_batch_keeps_exams_limited_to_it_once_each(self, staff_client):
        morning, evening = BatchFactory(), BatchFactory()
        both = ExamFactory(batches=[morning, evening])
        only_evening = ExamFactory(batches=[evening])
        ExamFactory()  # open to everyone, limited to no batch

        assert ids(staff_client.get(LIST_URL, {"batch": morning.id})) == [both.id]
        assert sorted(ids(staff_client.get(LIST_URL, {"batch": evening.id}))) == sorted(
            [both.id, only_evening.id]
        )
        assert ids(staff_client.get(LIST_URL, {"batch": evening.id + 1000})) == []

    def test_exam_type(self, staff_client):
        practice = ExamFactory(exam_type=ExamType.PRACTICE)
        final = ExamFactory(exam_type=ExamType.FINAL)
        mock = ExamFactory()

        assert ids(staff_client.get(LIST_URL, {"exam_type": "practice"})) == [practice.id]
        assert ids(staff_client.get(LIST_URL, {"exam_type": "final"})) == [final.id]
        assert ids(staff_client.get(LIST_URL, {"exam_type": "mock"})) == [mock.id]

    def test_filters_combine(self, staff_client):
        batch = BatchFactory()
        wanted = ExamFactory(batches=[batch], exam_type=ExamType.FINAL)
        ExamFactory(batches=[batch])
        ExamFactory(exam_type=ExamType.FINAL)
        assert ids(
            staff_client.get(LIST_URL, {"batch": batch.id, "exam_type": "final", "status": "running"})
        ) == [wanted.id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "param, value",
    [
        ("ordering", "title"),
        ("ordering", "date"),
        ("ordering", "start_date,created"),
        ("start_date", "2021-13-01"),
        ("start_date", "16/03/2021"),
        ("start_date", "2021-03-16T25:00"),
        ("end_date", "tomorrow"),
        ("end_date", "2021-03-16 10:00 05:30"),
        # ISO 8601 forms Python reads but the schema's pattern does not declare: refused, as declared.
        ("start_date", "20210316"),
        ("start_date", "2021-W11-2"),
        ("start_date", "2021-03-16T10"),
        ("start_date", " 2021-03-16"),
        ("start_date", "２０２１-03-16"),
        ("end_date", "2021-03-16T10:00+05"),
        ("end_date", "0000-00-00"),
        ("end_date", "0000-01-01"),
        ("end_date", "2021-02-30"),
        ("batch", "0"),
        ("status", "available"),
        ("status", "Running"),
        ("subject", "physics"),
        ("subject", "0"),
        ("subject", "99999999999999999999"),
        ("batch", "-1"),
        ("batch", "1.5"),
        ("exam_type", "quiz"),
        ("exam_type", "MOCK"),
    ],
)
def test_an_invalid_value_is_a_400_naming_the_parameter(staff_client, param, value):
    ExamFactory()
    response = staff_client.get(LIST_URL, {param: value})

    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [param]
    assert isinstance(body[param], list) and body[param]


@pytest.mark.django_db
def test_list_filters_do_not_touch_the_detail(staff_client):
    exam = ExamFactory(exam_type=ExamType.FINAL)
    assert staff_client.get(url_of(exam), {"exam_type": "practice", "ordering": "nope"}).status_code == 200


@pytest.mark.django_db
def test_the_date_parameters_read_exactly_the_declared_pattern(staff_client, client):
    """Every value that matches the schema's pattern and names a real moment is read; others are 400."""
    document = client.get("/api/schema/", {"format": "json", "version": "v2.5"}).json()
    params = {p["name"]: p["schema"] for p in document["paths"][LIST_URL]["get"]["parameters"]}
    pattern = re.compile(params["start_date"]["pattern"].replace("\\d", "[0-9]"))
    assert params["batch"]["minimum"] == params["subject"]["minimum"] == 1
    for value in [
        "2021-03-16",
        "2021-03-16T10:00",
        "2021-03-16 10:00:05",
        "2021-03-16T10:00:05.123456Z",
        "2021-03-16T10:00+0530",
        "2021-03-16T10:00:05-05:30",
    ]:
        assert pattern.fullmatch(value)
        assert staff_client.get(LIST_URL, {"start_date": value}).status_code == 200, value
