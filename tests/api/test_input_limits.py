"""Hostile or careless input: every refusal is a 4xx JSON answer naming the problem, and nothing is stored."""

import json

import pytest
from django.conf import settings

from accounts.models import User
from attempts.models import AttemptItem
from tests.factories import AttemptFactory, ExamFactory, ExamQuestionFactory, QuestionFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v2.1/auth-token/"
STUDENT_LISTS = ["/api/v2.1/exams/", "/api/v2.1/attempts/"]
ADMIN_ATTEMPTS = "/api/v2.5/admin/attempts/"
ADMIN_USERS = "/api/v2.5/admin/users/"
GARBAGE_PAGE_SIZES = ["-1", "0", "000", "abc", "1e3", "2.5", "+5", " 5", "٥"]


def refused(response, status=400) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture
def item(student, student_client) -> dict:
    """The first item (single choice) of a running attempt of `student`, as the questions list prints it."""
    exam = ExamFactory()
    ExamQuestionFactory(exam=exam, question=QuestionFactory(with_choices=4))
    ExamQuestionFactory(exam=exam, question=QuestionFactory(numerical=True))
    attempt = student_client.post(f"/api/v2.1/exams/{exam.slug}/attempts/").json()
    items = student_client.get(attempt["questions_url"]).json()["results"]
    return items[0]


class TestPageSizes:
    @pytest.mark.parametrize(
        "url, asked, cap",
        [
            ("/api/v2.1/exams/", "1000", 100),
            ("/api/v2.1/attempts/", "101", 100),
            (ADMIN_ATTEMPTS, "5000", 1000),
        ],
    )
    def test_a_larger_page_is_capped(self, staff, staff_client, url, asked, cap):
        AttemptFactory.create_batch(3, user=staff)
        response = staff_client.get(url, {"per_page": asked})
        assert response.status_code == 200
        assert response.json()["per_page"] == cap

    @pytest.mark.parametrize("asked", ["99999999999999999999999999", "9" * 5000, "0001000"])
    def test_a_page_size_of_any_length_above_the_cap_is_capped(self, staff_client, asked):
        response = staff_client.get(ADMIN_ATTEMPTS, {"per_page": asked})
        assert response.status_code == 200
        assert response.json()["per_page"] == 1000

    @pytest.mark.parametrize("url, default", [(STUDENT_LISTS[0], 20), (ADMIN_ATTEMPTS, 200)])
    def test_an_empty_page_size_is_the_default(self, staff_client, url, default):
        assert staff_client.get(f"{url}?per_page=").json()["per_page"] == default

    @pytest.mark.parametrize(
        "query",
        [f"per_page={value}" for value in GARBAGE_PAGE_SIZES]
        + [
            "per_page=null",
            "per_page=false",
            "per_page=%C2%B2",
            "per_page=5&per_page=5",
            "per_page[]=5",
            "per_page[0]=5",
        ],
    )
    @pytest.mark.parametrize(
        "url, cap", [(STUDENT_LISTS[0], 100), (STUDENT_LISTS[1], 100), (ADMIN_ATTEMPTS, 1000)]
    )
    def test_a_page_size_that_cannot_be_read_is_a_400_naming_it(self, staff_client, url, cap, query):
        assert refused(staff_client.get(f"{url}?{query}")) == {
            "per_page": [f"Give per_page once, as a whole number from 1 (at most {cap})."]
        }

    @pytest.mark.parametrize(
        "page", ["0", "-1", "abc", "null", "99999999999999999999999999", "9" * 5000, "1&page=1", "2&page=1"]
    )
    def test_a_garbage_page_number_is_a_json_404(self, student_client, page):
        assert refused(student_client.get(f"{STUDENT_LISTS[0]}?page={page}"), 404) == {
            "detail": "Invalid page."
        }

    @pytest.mark.parametrize("query", ["page[]=1", "page[0]=1", "page[]=1&page[]=2"])
    def test_a_page_number_given_as_a_list_is_a_json_404(self, student_client, query):
        assert refused(student_client.get(f"{STUDENT_LISTS[0]}?{query}"), 404) == {"detail": "Invalid page."}

    def test_page_last_and_an_empty_page_still_work(self, student_client):
        assert student_client.get(f"{STUDENT_LISTS[0]}?page=last").status_code == 200
        assert student_client.get(f"{STUDENT_LISTS[0]}?page=").status_code == 200


class TestQueryStrings:
    @pytest.mark.parametrize("url", [*STUDENT_LISTS, ADMIN_ATTEMPTS])
    def test_a_ten_kilobyte_search_finds_nothing_and_does_not_fail(self, staff_client, url):
        response = staff_client.get(url, {"q": "é" * 5 * 1024})
        assert response.status_code == 200
        assert response.json()["count"] == 0

    @pytest.mark.parametrize("url", [*STUDENT_LISTS, ADMIN_ATTEMPTS])
    @pytest.mark.parametrize("name", ["q", "page", "undeclared"])
    def test_a_nul_byte_in_any_parameter_is_a_400_naming_it(self, staff_client, url, name):
        assert refused(staff_client.get(f"{url}?{name}=a%00b")) == {
            name: ["Null characters are not allowed."]
        }

    def test_too_many_parameters_is_a_400(self, student_client):
        query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
        body = refused(student_client.get(f"{STUDENT_LISTS[0]}?{query}"))
        assert "Too many parameters" in body["detail"]

    def test_invalid_utf8_in_a_parameter_is_read_as_a_replacement_character(self, student_client):
        assert student_client.get(f"{STUDENT_LISTS[0]}?q=%ED%A0%80%FF").status_code == 200

    @pytest.mark.parametrize(
        "path", ["/api/v2.1/exams/a%00b/", "/api/v2.1/exams/a%00b", "/api/v2.1/exams/a%00b/attempts/"]
    )
    def test_a_nul_byte_in_a_path_is_a_json_404(self, student_client, path):
        assert refused(student_client.get(path), 404) == {"detail": "Not found."}

    def test_a_very_long_slug_is_a_404(self, student_client):
        assert refused(student_client.get(f"/api/v2.1/exams/{'x' * 10_000}/"), 404)


class TestLoginBodies:
    @pytest.mark.parametrize(
        "body, field, message",
        [
            ({"username": ["a"], "password": "x"}, "username", "Not a valid string."),
            ({"username": {"a": 1}, "password": "x"}, "username", "Not a valid string."),
            ({"username": "a\x00", "password": "x"}, "username", "Null characters are not allowed."),
            (
                {"username": "\ud800", "password": "x"},
                "username",
                "Surrogate characters are not allowed: U+D800.",
            ),
            ({"username": "a" * 151, "password": "x"}, "username", "Ensure this field has no more than 150"),
            ({"username": "a", "password": None}, "password", "This field may not be null."),
        ],
    )
    def test_a_wrong_value_is_a_400_naming_the_field(self, api_client, body, field, message):
        raw = json.dumps(body)  # keeps a lone surrogate as the \\ud800 escape a client would send
        errors = refused(api_client.post(LOGIN, raw, content_type="application/json"))
        assert list(errors) == [field]
        assert errors[field][0].startswith(message)

    @pytest.mark.parametrize(
        "raw, content_type, message",
        [
            ("[1, 2]", "application/json", "Invalid data. Expected a dictionary, but got list."),
            ('{"username": ', "application/json", "JSON parse error"),
            (b"\xff\xfe", "application/json", "JSON parse error"),
            ("<xml/>", "application/xml", 'Unsupported media type "application/xml" in request.'),
        ],
    )
    def test_a_malformed_body_is_a_4xx_saying_why(self, api_client, raw, content_type, message):
        response = api_client.post(LOGIN, raw, content_type=content_type)
        assert response.status_code in (400, 415)
        body = response.json()
        assert (body.get("detail") or body["non_field_errors"][0]).startswith(message)

    def test_unknown_fields_are_ignored(self, api_client, student):
        body = {"username": "testpress", "password": "demo-pass-123", "is_staff": True, "remember": 1}
        assert api_client.post(LOGIN, body, format="json").status_code == 200


class TestBodySize:
    def test_a_body_over_the_limit_is_a_json_413_and_nothing_is_stored(self, staff_client):
        users = User.objects.count()
        body = {
            "username": "big",
            "password": "pw-123456",
            "first_name": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        }

        response = staff_client.post(ADMIN_USERS, body, format="json")

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        assert refused(response, 413) == {"detail": f"Request body too large: the limit is {limit} bytes."}
        assert User.objects.count() == users

    def test_a_body_over_the_limit_is_refused_before_login(self, api_client, student):
        body = json.dumps({"username": "testpress", "password": "demo-pass-123", "pad": "x" * 3_000_000})
        assert refused(api_client.post(LOGIN, body, content_type="application/json"), 413)

    @pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
    def test_too_many_form_fields_is_a_400(self, api_client, content_type):
        fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
        if content_type == "multipart/form-data":
            response = api_client.post(LOGIN, fields, format="multipart")
        else:
            response = api_client.post(LOGIN, "&".join(f"{k}=1" for k in fields), content_type=content_type)
        assert "Too many parameters" in refused(response)["detail"]

    def test_a_broken_multipart_body_is_a_400(self, api_client):
        response = api_client.post(LOGIN, b"--x\r\nnot a part", content_type="multipart/form-data; boundary=")
        assert refused(response)["detail"]


class TestNesting:
    """However deep a client nests its input, the answer is a 4xx saying why, never a RecursionError."""

    DEEP = 100_000

    @pytest.mark.parametrize("depth", [DEEP, 5_000])
    @pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
    def test_a_body_nested_deeper_than_the_parser_goes_is_a_400(self, api_client, depth, opening, closing):
        body = opening * depth + "1" + closing * depth
        response = api_client.post(LOGIN, body, content_type="application/json")
        assert refused(response) == {"detail": "JSON parse error - lists and objects are nested too deeply."}

    # From shallow to past json.loads' limit: each level the serializer or the parser refuses.
    @pytest.mark.parametrize("depth", [2, 30, 500, 850, 880, 895, 900, 905, 910, 950, DEEP])
    def test_a_field_nested_at_any_depth_is_a_400_and_saves_nothing(self, student_client, item, depth):
        body = '{"selected_answers": [' + "[" * depth + "1" + "]" * depth + "], "
        body += '"essay_text": ' + "[" * depth + '"x"' + "]" * depth + "}"
        response = student_client.put(item["url"], body, content_type="application/json")
        errors = refused(response)
        assert set(errors) in ({"selected_answers", "essay_text"}, {"detail"})
        assert AttemptItem.objects.get(pk=item["id"]).selected_answers == []

    # Past 4,300 digits int() raises; Django caps a multipart header at 1,024 bytes.
    @pytest.mark.parametrize("format, digits", [("urlencoded", 5000), ("urlencoded", 10), ("multipart", 500)])
    def test_a_form_list_index_longer_than_an_index_is_a_400_naming_the_field(
        self, student_client, item, format, digits
    ):
        name = f"selected_answers[{'9' * digits}]"
        if format == "multipart":
            response = student_client.put(item["url"], {name: "1"}, format="multipart")
        else:
            response = student_client.put(
                item["url"], f"{name}=1", content_type="application/x-www-form-urlencoded"
            )
        shown = name if len(name) <= 40 else f"{name[:40]}…"
        assert refused(response) == {"detail": f"Form field '{shown}': a list index has at most 9 digits."}

    def test_a_form_list_with_indexes_is_read_as_a_list(self, student_client, item):
        answer = AttemptItem.objects.get(pk=item["id"]).question.answers.first()
        body = f"selected_answers[0]={answer.pk}&review=true"
        response = student_client.put(item["url"], body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.content
        assert AttemptItem.objects.get(pk=item["id"]).selected_answers == [answer.pk]

    @pytest.mark.parametrize("query", ["q=" + "[" * DEEP, "[" * 5000 + "=1", "q[" + "9" * 5000 + "]=1"])
    def test_a_query_string_is_flat_whatever_its_brackets(self, student_client, query):
        response = student_client.get(f"{STUDENT_LISTS[0]}?{query}")
        assert response.status_code == 200
        assert response.json()["count"] == 0


class TestAdminUserCreate:
    def test_unknown_fields_cannot_grant_staff(self, staff_client):
        body = {"username": "newbie", "password": "pw-123456", "is_staff": True, "is_superuser": True}
        assert staff_client.post(ADMIN_USERS, body, format="json").status_code == 201
        assert User.objects.filter(username="newbie", is_staff=False, is_superuser=False).exists()

    @pytest.mark.parametrize(
        "field, value", [("username", "a\x00b"), ("first_name", "\ud800"), ("batches", "A"), ("email", 5)]
    )
    def test_a_bad_value_is_a_400_naming_the_field_and_stores_nothing(self, staff_client, field, value):
        users = User.objects.count()
        body = json.dumps({"username": "newbie", "password": "pw-123456", field: value})
        errors = refused(staff_client.post(ADMIN_USERS, body, content_type="application/json"))
        assert field in errors
        assert User.objects.count() == users


class TestAnswerBodies:
    """PUT attempts/<id>/questions/<item>/: the write a student makes most often."""

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"selected_answers": "1"}, "selected_answers"),
            ({"selected_answers": [None]}, "selected_answers"),
            ({"selected_answers": [-1]}, "selected_answers"),
            ({"selected_answers": [2**70]}, "selected_answers"),
            ({"review": "maybe"}, "review"),
            ({"short_text": "a\x00"}, "short_text"),
            ({"short_text": "9" * 101}, "short_text"),
            ({"essay_text": "\ud800"}, "essay_text"),
            ({"essay_text": "w" * (AttemptItem.ESSAY_MAX_LENGTH + 1)}, "essay_text"),
            ({"selected_answers": list(range(1, 200_001))}, "selected_answers"),
            ({"essay_text": ["x"]}, "essay_text"),
        ],
    )
    def test_a_bad_answer_is_a_400_naming_the_field_and_saves_nothing(
        self, student_client, item, body, field
    ):
        errors = refused(student_client.put(item["url"], json.dumps(body), content_type="application/json"))
        assert field in errors
        stored = AttemptItem.objects.get(pk=item["id"])
        assert (stored.review, stored.selected_answers, stored.short_text, stored.essay_text) == (
            False,
            [],
            "",
            "",
        )

    def test_unknown_fields_in_an_answer_are_ignored(self, student_client, item):
        response = student_client.put(item["url"], {"review": True, "is_correct": True}, format="json")
        assert response.status_code == 200
        assert AttemptItem.objects.get(pk=item["id"]).review is True


@pytest.mark.parametrize("digits", [20, 400])
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v2.1/attempts/{id}/questions/"),
        ("put", "/api/v2.1/attempts/{id}/heartbeat/"),
        ("put", "/api/v2.1/attempts/{id}/start/"),
        ("put", "/api/v2.1/attempts/{real}/questions/{id}/"),
    ],
)
def test_an_id_longer_than_any_column_is_not_found(student, student_client, method, path, digits):
    # The hot reads run precompiled SQL (testpress.queries.PreparedQuery): a 20-digit id must still be
    # a 404, not a database error, and must leave the connection usable for the next request.
    attempt = AttemptFactory(user=student)
    url = path.format(id="9" * digits, real=attempt.pk)
    response = getattr(student_client, method)(url, {"review": True}, format="json")
    assert response.status_code == 404, response.content
    assert student_client.put(f"/api/v2.1/attempts/{attempt.pk}/heartbeat/").status_code == 200
