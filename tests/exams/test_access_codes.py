"""Access codes: staff give an exam codes; a student holding one finds the exam and may start it, even
when it is limited to batches they are not in. The visibility rule stays exams_visible_to."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from attempts.models import Attempt
from exams.selectors import exams_visible_to
from tests.attempts.conftest import build_exam
from tests.factories import AccessCodeFactory, BatchFactory, ExamFactory, UserFactory
from tests.query_counts import request_queries
from tests.seed_shapes import EXAM_EXTRA_KEYS, EXAM_LIST_KEYS

pytestmark = pytest.mark.django_db

STUDENT_VERSIONS = ["v2.1", "v2.2", "v2.2.1", "v2.3"]


@pytest.fixture
def batch_exam(db):
    """A published exam limited to a batch the student is not in, with the code JEE-2025."""
    exam = build_exam("R", slug="batch-only", batches=[BatchFactory(name="Elsewhere")])
    exam.restricted_to_batches = True
    exam.save(update_fields=["restricted_to_batches"])
    AccessCodeFactory(exam=exam, code="JEE-2025")
    return exam


class TestTheModel:
    def test_a_code_is_unique(self, batch_exam):
        with pytest.raises(IntegrityError):
            AccessCodeFactory(exam=ExamFactory(), code="JEE-2025")

    @pytest.mark.parametrize("code", ["has space", "a/b", "", "ü"])
    def test_a_code_is_letters_digits_hyphens_and_underscores(self, code):
        with pytest.raises(ValidationError):
            AccessCodeFactory.build(exam=ExamFactory(), code=code).full_clean()


class TestVisibility:
    def test_a_code_opens_its_published_exam_whatever_its_batches(self, batch_exam, student):
        assert batch_exam not in exams_visible_to(student)
        assert batch_exam in exams_visible_to(student, access_code="JEE-2025")

    def test_a_code_opens_nothing_unpublished_and_no_other_exam(self, batch_exam, student):
        draft = ExamFactory(published=False)
        AccessCodeFactory(exam=draft, code="DRAFT")
        other = ExamFactory(batches=[BatchFactory(name="Elsewhere")])
        assert draft not in exams_visible_to(student, access_code="DRAFT")
        assert other not in exams_visible_to(student, access_code="JEE-2025")

    def test_codes_match_exactly(self, batch_exam, student):
        assert batch_exam not in exams_visible_to(student, access_code="jee-2025")


class TestAccessCodeExams:
    @pytest.mark.parametrize("version", STUDENT_VERSIONS)
    def test_lists_the_exams_a_code_opens_as_the_exam_list_prints_them(
        self, student_client, batch_exam, version
    ):
        body = student_client.get(f"/api/{version}/access_codes/JEE-2025/exams/").json()
        assert (body["count"], body["per_page"], body["next"], body["previous"]) == (1, 20, None, None)
        [row] = body["results"]
        assert set(row) == EXAM_LIST_KEYS | EXAM_EXTRA_KEYS
        assert (row["slug"], row["attempts_url"]) == (
            "batch-only",
            f"http://testserver/api/{version}/exams/batch-only/attempts/",
        )

    def test_the_exam_lists_filters_apply(self, student_client, batch_exam):
        url = "/api/v2.1/access_codes/JEE-2025/exams/"
        assert student_client.get(url, {"state": "available"}).json()["count"] == 1
        assert student_client.get(url, {"state": "history"}).json()["count"] == 0
        assert student_client.get(url, {"q": "no such title"}).json()["count"] == 0
        assert student_client.get(url, {"state": "nonsense"}).status_code == 400

    def test_an_unknown_code_is_404(self, student_client, batch_exam):
        response = student_client.get("/api/v2.1/access_codes/NOPE/exams/")
        assert response.status_code == 404
        assert response.json()["error_code"] == "access_code_not_found"

    def test_an_unpublished_exams_code_lists_nothing(self, student_client):
        AccessCodeFactory(exam=ExamFactory(published=False), code="SOON")
        assert student_client.get("/api/v2.1/access_codes/SOON/exams/").json()["count"] == 0

    def test_anonymous_is_asked_to_log_in(self, api_client, batch_exam):
        assert api_client.get("/api/v2.1/access_codes/JEE-2025/exams/").status_code == 401

    def test_the_list_costs_the_exam_lists_queries_and_one_more(
        self, student_client, batch_exam, django_assert_num_queries
    ):
        # The exam list's 4 (its bench row's 3 and the exams' languages), and whether the code exists at
        # all (404 otherwise).
        with django_assert_num_queries(request_queries(5)):
            assert student_client.get("/api/v2.1/access_codes/JEE-2025/exams/").status_code == 200


class TestStartingWithACode:
    def test_the_right_code_starts_an_attempt_of_a_batch_limited_exam(
        self, student, student_client, batch_exam
    ):
        response = student_client.post(
            "/api/v2.1/exams/batch-only/attempts/", {"access_code": "JEE-2025"}, format="json"
        )
        assert response.status_code == 201, response.content
        assert Attempt.objects.get(pk=response.json()["id"]).user == student

    def test_without_a_code_the_batch_rule_stands(self, student_client, batch_exam):
        for body in ({}, {"access_code": ""}):
            response = student_client.post("/api/v2.1/exams/batch-only/attempts/", body, format="json")
            assert response.status_code == 403
        assert not Attempt.objects.exists()

    @pytest.mark.parametrize("code", ["WRONG", "jee-2025", "OTHER-EXAM"])
    def test_a_wrong_code_is_403_with_a_message(self, student_client, batch_exam, code):
        AccessCodeFactory(exam=ExamFactory(), code="OTHER-EXAM")
        response = student_client.post(
            "/api/v2.1/exams/batch-only/attempts/", {"access_code": code}, format="json"
        )
        assert response.status_code == 403
        assert response.json() == {
            "detail": "This access code does not open this exam.",
            "error_code": "wrong_access_code",
        }
        assert not Attempt.objects.exists()

    def test_a_wrong_code_is_refused_on_an_exam_open_to_all_too(self, student_client):
        build_exam("R", slug="open")
        response = student_client.post(
            "/api/v2.1/exams/open/attempts/", {"access_code": "WRONG"}, format="json"
        )
        assert response.status_code == 403

    def test_a_code_does_not_open_an_unpublished_exam(self, student_client):
        AccessCodeFactory(exam=ExamFactory(slug="draft", published=False), code="DRAFT")
        response = student_client.post(
            "/api/v2.1/exams/draft/attempts/", {"access_code": "DRAFT"}, format="json"
        )
        assert response.status_code == 404

    def test_the_code_does_not_make_the_exam_visible_elsewhere(self, student_client, batch_exam):
        student_client.post(
            "/api/v2.1/exams/batch-only/attempts/", {"access_code": "JEE-2025"}, format="json"
        )
        assert student_client.get("/api/v2.1/exams/batch-only/").status_code == 403
        other = UserFactory()
        assert batch_exam not in exams_visible_to(other)


class TestTheAdmin:
    def test_staff_edit_an_exams_codes_inline(self, client, batch_exam):
        client.force_login(UserFactory(staff=True, username="root"))
        page = client.get(f"/admin/exams/exam/{batch_exam.pk}/change/")
        assert page.status_code == 200
        assert b"access_codes-TOTAL_FORMS" in page.content and b"JEE-2025" in page.content
