"""Every error answers JSON, never an HTML page, in DEBUG or not; a crash leaves no rows behind."""

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.models import Batch
from testpress.api.exceptions import Conflict
from testpress.urls import urlpatterns as project_urlpatterns


class WriteThenCrash(APIView):
    permission_classes = [AllowAny]
    versioning_class = None

    def post(self, request, *args, **kwargs):
        Batch.objects.create(name="written before the crash")
        raise RuntimeError("a bug")


class WriteThenRefuse(APIView):
    """Like a service that completes an overdue attempt, then refuses the late answer."""

    permission_classes = [AllowAny]
    versioning_class = None

    def post(self, request, *args, **kwargs):
        Batch.objects.create(name="kept despite the refusal")
        raise Conflict("Too late.")


urlpatterns = [
    path("api/test/crash/", WriteThenCrash.as_view()),
    path("api/test/refuse/", WriteThenRefuse.as_view()),
    *project_urlpatterns,
]
handler404 = "testpress.api.exceptions.json_not_found"
handler500 = "testpress.api.exceptions.json_server_error"


def assert_json(response, status: int):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["detail"], str)


@pytest.mark.django_db
class TestNotFound:
    @pytest.mark.parametrize("debug", [False, True])
    @pytest.mark.parametrize(
        "path", ["/api/nope/", "/api/v2.1/nope/", "/api/v9/exams/", "/api/v2.5/admin/nope/"]
    )
    def test_an_unknown_api_path_is_a_json_404(self, staff_client, path, debug):
        with override_settings(DEBUG=debug):
            response = staff_client.get(path)
        assert_json(response, 404)

    def test_an_unknown_page_outside_the_api_is_a_json_404(self, client):
        assert_json(client.get("/no-such-page/"), 404)


@pytest.mark.django_db
class TestMethodAndFormat:
    @pytest.mark.parametrize("method", ["post", "put", "delete"])
    def test_a_wrong_method_is_a_json_405(self, staff_client, method):
        response = getattr(staff_client, method)("/api/v2.5/admin/attempts/")
        assert_json(response, 405)
        assert response.json()["detail"] == f'Method "{method.upper()}" not allowed.'

    def test_asking_for_html_only_is_a_json_406(self, staff_client):
        response = staff_client.get("/api/v2.5/admin/attempts/", HTTP_ACCEPT="text/html")
        assert_json(response, 406)

    def test_a_browser_accept_header_that_also_takes_json_is_served(self, staff_client):
        response = staff_client.get(
            "/api/v2.5/admin/attempts/", HTTP_ACCEPT="text/html,application/json;q=0.9"
        )
        assert response.status_code == 200

    def test_malformed_json_is_a_json_400(self, api_client):
        response = api_client.post(
            "/api/v2.1/auth-token/", data='{"username": "admin", ', content_type="application/json"
        )
        assert_json(response, 400)
        assert "JSON parse error" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
class TestServerError:
    @pytest.mark.parametrize("debug", [False, True])
    def test_a_crash_answers_json_and_rolls_its_writes_back(self, api_client, debug):
        with override_settings(DEBUG=debug):
            response = api_client.post("/api/test/crash/")

        assert response.status_code == 500
        assert response.json() == {"detail": "A server error occurred."}
        assert not Batch.objects.filter(name="written before the crash").exists()

    def test_a_refusal_keeps_what_was_written_before_it(self, api_client):
        response = api_client.post("/api/test/refuse/")

        assert_json(response, 409)
        assert Batch.objects.filter(name="kept despite the refusal").exists()
