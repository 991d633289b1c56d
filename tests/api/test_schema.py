"""The OpenAPI document and its browsable docs describe the API as clients use it."""

import json
import re

import pytest

from testpress.api.auth import issue_token
from tests.attempts.test_admin_api import SEED_KEYS
from tests.factories import ExamFactory, UserFactory


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_docs_page_offers_the_student_document_first_then_the_admin_one(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    config = json.loads(re.search(rb'id="swagger-config"[^>]*>(.*?)</script>', response.content)[1])
    assert config["urls"] == [
        {"url": "/api/schema/?version=v2.1", "name": "Student API (v2.1)"},
        {"url": "/api/schema/?version=v2.5", "name": "Admin API (v2.5)"},
    ]
    assert config["urls.primaryName"] == "Student API (v2.1)"
    assert client.get("/api/docs/", {"version": "v2.5"}).context["config"]["urls.primaryName"] == (
        "Admin API (v2.5)"
    )


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/api/redoc/?version=v2.5"])
def test_the_docs_pages_load_every_script_and_style_from_this_server(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/") for asset in assets), assets
    assert "http://" not in page and "https://" not in page
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset


def test_redoc_shows_the_version_asked_for_and_links_the_other(client, db):
    page = client.get("/api/redoc/", {"version": "v2.5"}).content.decode()
    assert 'spec-url="/api/schema/?version=v2.5"' in page
    assert 'href="/api/redoc/?version=v2.1"' in page
    assert 'spec-url="/api/schema/?version=v2.1"' in client.get("/api/redoc/").content.decode()


def test_the_yaml_schema_loads(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")


def test_authentication_is_the_jwt_prefixed_header_or_a_bearer_token_either_one(schema):
    schemes = schema["components"]["securitySchemes"]
    jwt, bearer = schemes["jwtAuth"], schemes["bearerAuth"]
    assert (jwt["type"], jwt["in"], jwt["name"]) == ("apiKey", "header", "Authorization")
    assert "`JWT <token>`" in jwt["description"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    # A list of requirements: any one of them will do.
    assert schema["paths"]["/api/v2.5/admin/attempts/"]["get"]["security"] == [
        {"jwtAuth": []},
        {"bearerAuth": []},
    ]


@pytest.mark.parametrize("header", ["JWT", "Bearer"])
def test_either_scheme_authorizes_a_request(client, db, header):
    student = UserFactory()
    response = client.get("/api/v2.1/exams/", headers={"Authorization": f"{header} {issue_token(student)}"})
    assert response.status_code == 200


@pytest.mark.parametrize("version, api", [("v2.1", "student API"), ("v2.5", "admin API")])
def test_each_document_says_which_api_it_is_and_how_to_authorize(client, db, version, api):
    info = client.get("/api/schema/", {"format": "json", "version": version}).json()["info"]
    assert info["version"] == version
    assert f"The **{api}**" in info["description"]
    assert "POST /api/v2.1/auth-token/" in info["description"]
    assert "**Authorize**" in info["description"]


def test_the_auth_token_endpoint_needs_no_token(schema):
    assert "security" not in schema["paths"]["/api/v2.5/auth-token/"]["post"]


def test_each_version_documents_only_the_paths_it_serves(client, schema, db):
    student = client.get("/api/schema/", {"format": "json", "version": "v2.1"}).json()

    assert {"/api/v2.5/admin/attempts/", "/api/v2.5/auth-token/"} <= set(schema["paths"])
    assert all(p.startswith(("/api/v2.5/admin/", "/api/v2.5/auth-token/")) for p in schema["paths"])
    assert "/api/v2.1/auth-token/" in student["paths"]
    assert not any("/admin/" in p or p.startswith("/api/v2.5/") for p in student["paths"])


def test_admin_attempts_parameters_carry_their_public_names(schema):
    operation = schema["paths"]["/api/v2.5/admin/attempts/"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}

    assert set(params) == {"ordering", "state", "date_0", "date_1", "users", "exams", "page", "per_page"}
    assert params["state"]["schema"]["enum"] == [0, 1, 3]
    assert "-correct_answers_count" in params["ordering"]["schema"]["items"]["enum"]
    assert params["users"]["schema"] == {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        "maxItems": 200,
    }
    assert params["date_0"]["schema"]["format"] == "date"
    assert params["ordering"]["schema"]["uniqueItems"] is True


def test_admin_attempt_rows_are_documented_with_the_seed_keys(schema):
    components = schema["components"]["schemas"]
    page = components["PaginatedAdminAttemptList"]["properties"]
    assert set(page) == {"count", "next", "previous", "per_page", "results"}
    assert set(components["AdminAttempt"]["properties"]) == SEED_KEYS
    assert components["AdminAttempt"]["properties"]["time_taken"]["type"] == "string"


def test_an_exams_attempts_state_is_documented_as_the_labels_it_takes(client, student_client, db):
    student = client.get("/api/schema/", {"format": "json", "version": "v2.1"}).json()
    for path in ("/api/v2.1/exams/{slug}/attempts/", "/api/v2.1/exams/{slug}/attempts"):
        [state] = [p for p in student["paths"][path]["get"]["parameters"] if p["name"] == "state"]
        assert state["schema"] == {"type": "string", "enum": ["Completed", "Not Started", "Running"]}

    exam = ExamFactory()
    for label in state["schema"]["enum"]:
        assert (
            student_client.get(f"/api/v2.1/exams/{exam.slug}/attempts/", {"state": label}).status_code == 200
        )
    assert student_client.get(f"/api/v2.1/exams/{exam.slug}/attempts/", {"state": "1"}).status_code == 400


def documented_query_parameters(client, version: str):
    """(path, name) of each optional query parameter of the GETs without path parameters."""
    document = client.get("/api/schema/", {"format": "json", "version": version}).json()
    for path, item in document["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if parameter["in"] == "query" and "{" not in path:
                assert parameter["allowEmptyValue"] is True, (path, parameter["name"])
                yield path, parameter["name"]


@pytest.mark.parametrize("version, client_name", [("v2.1", "student_client"), ("v2.5", "staff_client")])
def test_an_empty_optional_query_parameter_is_the_same_as_none(request, client, db, version, client_name):
    """What `allowEmptyValue` declares (testpress.api.schema.declare_empty_query_values)."""
    ExamFactory()
    api = request.getfixturevalue(client_name)
    checked = 0
    for path, name in documented_query_parameters(client, version):
        without = api.get(path)
        empty = api.get(f"{path}?{name}=")
        assert (empty.status_code, empty.json()) == (without.status_code, without.json()), (path, name)
        assert without.status_code == 200
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("version", ["v2.1", "v2.5"])
def test_every_operation_documents_the_414_of_the_server_in_front(client, db, version):
    document = client.get("/api/schema/", {"format": "json", "version": version}).json()
    operations = [op for item in document["paths"].values() for op in item.values() if "responses" in op]
    assert operations
    assert all("8190 bytes" in op["responses"]["414"]["description"] for op in operations)


def test_attempt_sections_and_their_actions_are_documented(client, db):
    student = client.get("/api/schema/", {"format": "json", "version": "v2.1"}).json()
    base = "/api/v2.1/attempts/{id}/sections/{section_id}"
    for action in ("start", "end"):
        operation = student["paths"][f"{base}/{action}/"]["patch"]
        assert {"200", "403", "404", "409"} <= set(operation["responses"])
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/SectionResult"
        )
    assert "200" in student["paths"][f"{base}/questions/"]["get"]["responses"]
    row = student["components"]["schemas"]["SectionResult"]["properties"]
    assert {
        "id",
        "order",
        "name",
        "state",
        "duration",
        "remaining_time",
        "instructions",
        "questions_url",
        "start_url",
        "end_url",
        "score",
        "cut_off",
    } <= set(row)
    [state] = row["state"]["allOf"]
    enum = student["components"]["schemas"][state["$ref"].rpartition("/")[2]]["enum"]
    assert sorted(enum) == ["Completed", "Not Started", "Running"]
