"""GET /api/v2.5/admin/exams/<id>/: the exam an admin attempt's exam_url points at."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.api_cases import StaffOnlyEndpointCases
from tests.factories import ExamFactory, ExamQuestionFactory, QuestionFactory

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
