from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from attempts.choices import AttemptState
from exams.models import Exam
from tests.factories import (
    AttemptFactory,
    BatchFactory,
    CourseFactory,
    ExamFactory,
    ExamQuestionFactory,
    UserFactory,
)
from tests.query_counts import assert_fixed_query_count, request_queries
from tests.seed_shapes import (
    ATTEMPT_EXTRA_KEYS,
    ATTEMPT_SUMMARY_KEYS,
    EXAM_DETAIL_KEYS,
    EXAM_EXTRA_KEYS,
    EXAM_LIST_KEYS,
)

pytestmark = pytest.mark.django_db

EXAMS = "/api/v2.1/exams/"
STATE_PATHS = ["available", "upcoming", "history"]


def slugs(response):
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"]}


class TestExamShape:
    def test_list_rows_carry_exactly_the_seed_keys_plus_the_client_extras(self, student_client):
        ExamFactory()
        row = student_client.get(EXAMS).json()["results"][0]
        assert set(row) == EXAM_LIST_KEYS | EXAM_EXTRA_KEYS

    def test_detail_carries_the_seed_keys_and_attempts_in_summary_shape(self, student, student_client):
        exam = ExamFactory()
        AttemptFactory(exam=exam, user=student)
        body = student_client.get(f"{EXAMS}{exam.slug}/").json()
        assert set(body) == EXAM_DETAIL_KEYS | EXAM_EXTRA_KEYS
        assert set(body["attempts"][0]) == ATTEMPT_SUMMARY_KEYS | ATTEMPT_EXTRA_KEYS

    def test_values_print_in_the_seeds_formats(self, student_client):
        exam = ExamFactory(
            title="Aptitude Analytical Maths (NBE Template)",
            slug="aptitude-analytical-maths-nbe-template-15",
            course=CourseFactory(name="Uncategorized"),
            start_date=datetime(2013, 8, 2, 11, 55, 22, 123456, tzinfo=UTC),
            end_date=datetime(2099, 8, 1, 11, 55, 22, tzinfo=UTC),
            duration=timedelta(minutes=30, seconds=30),
            template_type=4,
            allow_pdf=True,
        )
        Exam.objects.filter(pk=exam.pk).update(created=datetime(2015, 11, 7, 7, 7, 41, 597000, tzinfo=UTC))
        ExamQuestionFactory.create_batch(2, exam=exam)

        row = student_client.get(EXAMS).json()["results"][0]

        assert row == row | {
            "url": "http://testserver/api/v2.1/exams/aptitude-analytical-maths-nbe-template-15/",
            "attempts_url": "http://testserver/api/v2.1/exams/aptitude-analytical-maths-nbe-template-15/attempts/",
            "id": exam.id,
            "course": "Uncategorized",
            "start_date": "2013-08-02T17:25:22+05:30",
            "end_date": "2099-08-01T17:25:22+05:30",
            "duration": "0:30:30",
            "number_of_questions": 2,
            "negative_marks": "0.00",
            "mark_per_question": "1.00",
            "template_type": 4,
            "allow_retake": True,
            "max_retakes": None,
            "enable_ranks": False,
            "rank_publishing_date": None,
            "allow_pdf": True,
            "created": "2015-11-07T07:07:41.597Z",
            "comments_count": 0,
            "attempts_count": 0,
            "paused_attempts_count": 0,
            "languages": [],
        }

    def test_untimed_exam_prints_null_duration_and_open_end(self, student_client):
        ExamFactory(duration=None, end_date=None)
        row = student_client.get(EXAMS).json()["results"][0]
        assert (row["duration"], row["end_date"]) == (None, None)

    def test_rank_publishing_date_is_a_local_schedule_time(self, student_client):
        ExamFactory(enable_ranks=True, rank_publishing_date=datetime(2015, 10, 20, 12, 42, 44, tzinfo=UTC))
        assert (
            student_client.get(EXAMS).json()["results"][0]["rank_publishing_date"]
            == "2015-10-20T18:12:44+05:30"
        )

    def test_counts_are_the_requesting_users_attempts(self, student, other_student, student_client):
        exam = ExamFactory()
        AttemptFactory(exam=exam, user=student, completed=True)
        AttemptFactory(exam=exam, user=student, attempt_number=2)
        AttemptFactory(exam=exam, user=other_student)
        row = student_client.get(EXAMS).json()["results"][0]
        assert (row["attempts_count"], row["paused_attempts_count"]) == (2, 1)


class TestMaxRetakesByVersion:
    @pytest.mark.parametrize(
        ("version", "unlimited"), [("v2.1", None), ("v2.2", -1), ("v2.2.1", -1), ("v2.3", -1)]
    )
    def test_unlimited_retakes_are_null_under_v2_1_and_minus_one_later(
        self, student_client, version, unlimited
    ):
        ExamFactory(max_retakes=None, slug="null-retakes")
        ExamFactory(max_retakes=-1, slug="minus-one-retakes")
        ExamFactory(max_retakes=2, slug="two-retakes")
        rows = student_client.get(f"/api/{version}/exams/").json()["results"]
        assert {row["slug"]: row["max_retakes"] for row in rows} == {
            "null-retakes": unlimited,
            "minus-one-retakes": unlimited,
            "two-retakes": 2,
        }

    def test_links_keep_the_requests_version(self, student_client):
        exam = ExamFactory()
        row = student_client.get("/api/v2.2.1/exams/").json()["results"][0]
        assert row["url"] == f"http://testserver/api/v2.2.1/exams/{exam.slug}/"
        assert row["attempts_url"] == f"http://testserver/api/v2.2.1/exams/{exam.slug}/attempts/"


class TestExamListFilters:
    def test_course_matches_the_course_name_case_insensitively(self, student_client):
        ExamFactory(slug="ibps", course=CourseFactory(name="IBPS PO"))
        ExamFactory(slug="tnpsc", course=CourseFactory(name="TNPSC"))
        ExamFactory(slug="ibps-2", course=CourseFactory(name="IBPS PO 2"))
        assert slugs(student_client.get(EXAMS, {"course": "ibps po"})) == {"ibps"}

    def test_course_slug_matches_the_name_with_hyphens_for_spaces(self, student_client):
        ExamFactory(slug="ibps", course=CourseFactory(name="IBPS PO"))
        ExamFactory(slug="ibps-2", course=CourseFactory(name="IBPS PO 2"))
        assert slugs(student_client.get(EXAMS, {"course_slug": "ibps-po"})) == {"ibps"}

    def test_q_searches_titles_case_insensitively(self, student_client):
        ExamFactory(slug="maths", title="Aptitude Analytical MATHS")
        ExamFactory(slug="english", title="Verbal English")
        assert slugs(student_client.get(EXAMS, {"q": "maths"})) == {"maths"}

    def test_state_narrows_to_the_users_exams_in_that_state(self, student, student_client):
        ExamFactory(slug="soon", upcoming=True)
        ExamFactory(slug="open")
        tried = ExamFactory(slug="tried")
        AttemptFactory(exam=tried, user=student, completed=True)
        ExamFactory(slug="closed", closed=True)
        found = {state: slugs(student_client.get(EXAMS, {"state": state})) for state in STATE_PATHS}
        assert found == {"upcoming": {"soon"}, "available": {"open"}, "history": {"tried"}}
        assert slugs(student_client.get(EXAMS)) == {"soon", "open", "tried", "closed"}

    @pytest.mark.parametrize("state", STATE_PATHS)
    def test_state_paths_answer_as_the_state_parameter(self, student, student_client, state):
        ExamFactory(slug="soon", upcoming=True)
        ExamFactory(slug="open")
        AttemptFactory(exam=ExamFactory(slug="tried", closed=True), user=student)
        assert slugs(student_client.get(f"{EXAMS}{state}/")) == slugs(
            student_client.get(EXAMS, {"state": state})
        )

    @pytest.mark.parametrize("state", STATE_PATHS)
    def test_state_paths_take_course_and_q(self, student, student_client, state):
        course = CourseFactory(name="TNPSC")
        make = {"upcoming": {"upcoming": True}, "available": {}, "history": {}}[state]
        wanted = ExamFactory(slug="wanted", title="Group 4 mock", course=course, **make)
        other_title = ExamFactory(slug="other-title", title="Group 2 mock", course=course, **make)
        other_course = ExamFactory(slug="other-course", title="Group 4 mock", **make)
        if state == "history":
            for exam in (wanted, other_title, other_course):
                AttemptFactory(exam=exam, user=student)
        assert slugs(student_client.get(f"{EXAMS}{state}/", {"course": "tnpsc", "q": "group 4"})) == {
            "wanted"
        }

    def test_unknown_state_is_a_400_naming_the_parameter(self, student_client):
        response = student_client.get(EXAMS, {"state": "archived"})
        assert response.status_code == 400
        assert list(response.json()) == ["state"]

    @pytest.mark.parametrize(
        "params",
        [
            {"q": "🎓 எழுத்து"},
            {"course": "x" * 5000},
            {"course_slug": "--%%__"},
            {"q": "%' OR 1=1 --"},
            {"per_page": "-5"},
            {"per_page": "1e9"},
            {"page": "1" * 40},
            {"unknown": "value"},
        ],
    )
    def test_odd_query_strings_never_break_the_list(self, student_client, params):
        ExamFactory()
        assert student_client.get(EXAMS, params).status_code in (200, 400, 404)

    def test_a_nul_character_is_refused_with_a_400(self, student_client):
        response = student_client.get(EXAMS, {"q": "a\x00b"})
        assert response.status_code == 400
        assert list(response.json()) == ["q"]


class TestExamListPagination:
    def test_page_past_the_end_or_not_a_number_is_invalid(self, student_client):
        ExamFactory()
        for page in ("2", "abc", "0"):
            response = student_client.get(EXAMS, {"page": page})
            assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})

    def test_pages_link_to_each_other_with_absolute_urls(self, student_client):
        ExamFactory.create_batch(3)
        first = student_client.get(EXAMS, {"per_page": 2}).json()
        assert (first["count"], first["per_page"], first["previous"], len(first["results"])) == (
            3,
            2,
            None,
            2,
        )
        assert first["next"] == "http://testserver/api/v2.1/exams/?page=2&per_page=2"
        second = student_client.get(first["next"]).json()
        assert second["next"] is None
        assert second["previous"] == "http://testserver/api/v2.1/exams/?per_page=2"
        assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])

    def test_default_page_is_20_and_per_page_is_capped_at_100(self, student_client):
        ExamFactory.create_batch(101, course=CourseFactory())
        assert len(student_client.get(EXAMS).json()["results"]) == 20
        body = student_client.get(EXAMS, {"per_page": 500}).json()
        assert (body["per_page"], len(body["results"])) == (100, 100)


class TestExamPermissions:
    def test_anonymous_gets_401_with_a_challenge(self, api_client):
        exam = ExamFactory()
        for path in (EXAMS, f"{EXAMS}available/", f"{EXAMS}{exam.slug}/", f"{EXAMS}{exam.slug}/attempts/"):
            response = api_client.get(path)
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("JWT")
            assert "detail" in response.json()

    def test_a_bad_token_gets_401(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="JWT not-a-token")
        assert api_client.get(EXAMS).status_code == 401

    def test_batch_limited_exams_show_only_to_their_batches(self, client_for, student):
        batch = BatchFactory()
        student.batches.add(batch)
        ExamFactory(slug="mine", batches=[batch])
        ExamFactory(slug="theirs", batches=[BatchFactory()])
        ExamFactory(slug="everyone")
        assert slugs(client_for(student).get(EXAMS)) == {"mine", "everyone"}
        assert client_for(student).get(f"{EXAMS}mine/").status_code == 200
        forbidden = client_for(student).get(f"{EXAMS}theirs/")
        assert forbidden.status_code == 403
        assert isinstance(forbidden.json()["detail"], str)

    def test_deleting_an_exams_only_batch_hides_it_from_every_student(
        self, client_for, student, other_student, staff_client
    ):
        batch = BatchFactory()
        student.batches.add(batch)
        exam = ExamFactory(slug="theirs", batches=[batch])
        ExamQuestionFactory(exam=exam)
        ExamFactory(slug="everyone")
        assert slugs(client_for(student).get(EXAMS)) == {"theirs", "everyone"}

        batch.delete()

        for someone in (student, other_student):
            client = client_for(someone)
            assert slugs(client.get(EXAMS)) == {"everyone"}
            assert slugs(client.get(f"{EXAMS}available/")) == {"everyone"}
            assert client.get(f"{EXAMS}theirs/").status_code == 403
            assert client.get(f"{EXAMS}theirs/attempts/").status_code == 403
            assert client.post(f"{EXAMS}theirs/attempts/").status_code == 403
        assert not exam.attempts.exists()
        assert slugs(staff_client.get(EXAMS)) == {"theirs", "everyone"}
        assert staff_client.get(f"{EXAMS}theirs/").status_code == 200

    def test_unpublished_and_unknown_exams_are_404(self, student_client):
        ExamFactory(slug="draft", published=False)
        assert slugs(student_client.get(EXAMS)) == set()
        for slug in ("draft", "no-such-exam"):
            response = student_client.get(f"{EXAMS}{slug}/")
            assert (response.status_code, list(response.json())) == (404, ["detail"])

    def test_staff_see_every_exam(self, staff_client):
        ExamFactory(slug="draft", published=False)
        ExamFactory(slug="theirs", batches=[BatchFactory()])
        assert slugs(staff_client.get(EXAMS)) == {"draft", "theirs"}
        assert staff_client.get(f"{EXAMS}theirs/").status_code == 200

    def test_staff_see_every_exam_only_when_they_may_view_exams(self, client_for):
        ExamFactory(slug="draft", published=False)
        ExamFactory(slug="theirs", batches=[BatchFactory()])
        ExamFactory(slug="everyone")
        # Being staff gives nothing by itself, as in the Django admin: they see what a student sees.
        without_rights = client_for(UserFactory(is_staff=True))
        assert slugs(without_rights.get(EXAMS)) == {"everyone"}
        assert without_rights.get(f"{EXAMS}draft/").status_code == 404
        assert without_rights.get(f"{EXAMS}theirs/").status_code == 403

        viewer = client_for(UserFactory(is_staff=True, permissions=["exams.view_exam"]))
        assert slugs(viewer.get(EXAMS)) == {"draft", "theirs", "everyone"}
        assert viewer.get(f"{EXAMS}draft/").status_code == 200

    def test_writes_are_not_allowed(self, student_client):
        exam = ExamFactory()
        assert student_client.post(EXAMS, {}).status_code == 405
        assert student_client.delete(f"{EXAMS}{exam.slug}/").status_code == 405


class TestExamDetail:
    def test_detail_answers_without_the_trailing_slash(self, student_client):
        exam = ExamFactory()
        response = student_client.get(f"{EXAMS}{exam.slug}")
        assert response.status_code == 200
        assert response.json()["url"] == f"http://testserver/api/v2.1/exams/{exam.slug}/"

    def test_detail_lists_only_this_users_attempts_newest_first(self, student, other_student, student_client):
        exam = ExamFactory()
        now = timezone.now()
        older = AttemptFactory(exam=exam, user=student, completed=True, date=now - timedelta(days=2))
        newer = AttemptFactory(exam=exam, user=student, attempt_number=2, date=now - timedelta(days=1))
        AttemptFactory(exam=exam, user=other_student)
        AttemptFactory(user=student)  # another exam
        body = student_client.get(f"{EXAMS}{exam.slug}/").json()
        assert [a["id"] for a in body["attempts"]] == [newer.id, older.id]
        assert [a["state"] for a in body["attempts"]] == ["Running", "Completed"]
        assert body["attempts"][0]["url"] == f"http://testserver/api/v2.1/attempts/{newer.id}/"
        assert (body["attempts_count"], body["paused_attempts_count"]) == (2, 1)

    def test_detail_costs_the_same_queries_with_many_attempts(
        self, student, student_client, django_assert_num_queries
    ):
        exam = ExamFactory()
        AttemptFactory(exam=exam, user=student, completed=True)
        # user, overdue check, exam, its languages, its attempts
        with django_assert_num_queries(request_queries(5)):
            assert len(student_client.get(f"{EXAMS}{exam.slug}/").json()["attempts"]) == 1
        for number in range(2, 31):
            AttemptFactory(exam=exam, user=student, completed=True, attempt_number=number)
        with django_assert_num_queries(request_queries(5)):
            assert len(student_client.get(f"{EXAMS}{exam.slug}/").json()["attempts"]) == 30


class TestExamAttempts:
    def url(self, exam):
        return f"{EXAMS}{exam.slug}/attempts/"

    def test_lists_only_this_users_attempts_of_that_exam(self, student, other_student, student_client):
        exam = ExamFactory()
        mine = AttemptFactory(exam=exam, user=student)
        AttemptFactory(exam=exam, user=other_student)
        AttemptFactory(user=student)
        body = student_client.get(self.url(exam)).json()
        assert [a["id"] for a in body["results"]] == [mine.id]
        assert body["results"][0]["exam"]["slug"] == exam.slug

    def test_answers_without_the_trailing_slash(self, student, student_client):
        exam = ExamFactory()
        AttemptFactory(exam=exam, user=student)
        assert student_client.get(self.url(exam).rstrip("/")).json()["count"] == 1

    @pytest.mark.parametrize(
        ("state", "expected"), [("Running", "running"), ("Completed", "completed"), ("Not Started", "idle")]
    )
    def test_state_filter_finds_attempts_in_that_state(self, student, student_client, state, expected):
        exam = ExamFactory()
        made = {
            "completed": AttemptFactory(exam=exam, user=student, completed=True),
            "running": AttemptFactory(exam=exam, user=student, attempt_number=2),
        }
        other = ExamFactory()
        made["idle"] = AttemptFactory(exam=other, user=student, state=AttemptState.NOT_STARTED)
        target = other if expected == "idle" else exam
        ids = [a["id"] for a in student_client.get(self.url(target), {"state": state}).json()["results"]]
        assert ids == [made[expected].id]

    @pytest.mark.parametrize("state", ["running", "0", "Paused", ""])
    def test_unknown_state_is_a_400_naming_the_parameter(self, student, student_client, state):
        exam = ExamFactory()
        AttemptFactory(exam=exam, user=student)
        response = student_client.get(self.url(exam), {"state": state})
        if state == "":
            assert response.status_code == 200  # an empty parameter means no filter
        else:
            assert (response.status_code, list(response.json())) == (400, ["state"])

    def test_exam_visibility_rules_apply(self, student_client):
        ExamFactory(slug="draft", published=False)
        ExamFactory(slug="theirs", batches=[BatchFactory()])
        assert student_client.get(f"{EXAMS}draft/attempts/").status_code == 404
        assert student_client.get(f"{EXAMS}no-such/attempts/").status_code == 404
        assert student_client.get(f"{EXAMS}theirs/attempts/").status_code == 403

    def test_posting_creates_an_attempt(self, student_client):
        # The lifecycle itself is tested in tests/attempts/test_lifecycle_api.py.
        response = student_client.post(self.url(ExamFactory()), {})
        assert (response.status_code, response.json()["state"]) == (201, "Running")


class TestQueryBudgets:
    @pytest.mark.parametrize("path", ["", "available/", "upcoming/", "history/", "?state=history&q=mock"])
    def test_exam_lists_cost_the_same_at_1_and_50_rows(
        self, student, student_client, django_assert_num_queries, path
    ):
        course = CourseFactory()
        batch = BatchFactory()
        student.batches.add(batch)

        def make_row():
            exam = ExamFactory(course=course, upcoming=path == "upcoming/", batches=[batch])
            ExamQuestionFactory(exam=exam)
            if "history" in path:
                AttemptFactory(exam=exam, user=student)

        # user, count, page, the page's languages
        assert_fixed_query_count(
            django_assert_num_queries, student_client, f"{EXAMS}{path}", make_row=make_row, expected=4
        )

    def test_exam_attempts_cost_the_same_at_1_and_50_rows(
        self, student, student_client, django_assert_num_queries
    ):
        exam = ExamFactory(max_retakes=-1, enable_ranks=True)
        numbers = iter(range(1, 100))

        def make_row():
            AttemptFactory(exam=exam, user=student, completed=True, attempt_number=next(numbers))

        # user, overdue check, exam, its languages, count, page
        assert_fixed_query_count(
            django_assert_num_queries,
            student_client,
            f"{EXAMS}{exam.slug}/attempts/",
            make_row=make_row,
            expected=6,
            atomic=False,
        )
