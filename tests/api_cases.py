"""API checks written once: a test class declares its URL and the keys a row prints."""

import pytest

from tests.factories import UserFactory

REFUSED = {"detail": "You do not have permission to perform this action."}


class StaffOnlyEndpointCases:
    """An admin (v2.5) endpoint: anonymous 401 with a challenge, student 403, staff 200 with `keys` when
    they hold every one of `permissions` (as the Django admin would ask), 403 when they miss one."""

    keys: set[str] = set()
    # What a GET of the endpoint needs, as has_perm() names them: "app_label.codename".
    permissions: tuple[str, ...] = ()

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
        assert response.json() == REFUSED

    def test_student_holding_the_permissions_is_still_refused(self, client_for, url):
        # The admin API is the Django admin's: staff only, whatever else a user was granted.
        response = client_for(UserFactory(permissions=self.permissions)).get(url)
        assert response.status_code == 403

    def test_staff_without_rights_is_refused(self, client_for, url):
        response = client_for(UserFactory(is_staff=True)).get(url)
        assert response.status_code == 403
        assert response.json() == REFUSED

    def test_staff_holding_just_the_permissions_reads_the_documented_keys(self, client_for, url):
        assert self.permissions, "declare the permissions the endpoint needs"
        response = client_for(UserFactory(is_staff=True, permissions=self.permissions)).get(url)
        assert response.status_code == 200
        assert set(self.row_of(response.json())) == self.keys

    def test_staff_missing_any_one_permission_is_refused(self, client_for, url):
        for missing in self.permissions:
            granted = [name for name in self.permissions if name != missing]
            response = client_for(UserFactory(is_staff=True, permissions=granted)).get(url)
            assert response.status_code == 403, f"without {missing}"
            assert response.json() == REFUSED

    def test_staff_reads_the_documented_keys(self, staff_client, url):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert set(self.row_of(response.json())) == self.keys

    def test_inactive_staff_token_is_refused(self, client_for, url):
        client = client_for(UserFactory(staff=True, is_active=False))
        assert client.get(url).status_code == 401
