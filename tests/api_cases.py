"""API checks written once: a test class declares its URL and the keys a row prints."""

import pytest

from tests.factories import UserFactory


class StaffOnlyEndpointCases:
    """An admin (v2.5) endpoint: anonymous 401 with a challenge, student 403, staff 200 with `keys`."""

    keys: set[str] = set()

    @pytest.fixture
    def url(self):
        raise NotImplementedError

    def row_of(self, body: dict) -> dict:
        """The object whose keys are compared: the first row of a list, the body of a detail."""
        return body["results"][0] if "results" in body else body

    def test_anonymous_is_asked_to_authenticate(self, api_client, url):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["detail"]
        assert response.headers["WWW-Authenticate"].startswith("JWT")

    def test_student_is_refused(self, student_client, url):
        response = student_client.get(url)
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to perform this action."}

    def test_staff_reads_the_documented_keys(self, staff_client, url):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert set(self.row_of(response.json())) == self.keys

    def test_inactive_staff_token_is_refused(self, client_for, url):
        client = client_for(UserFactory(staff=True, is_active=False))
        assert client.get(url).status_code == 401
