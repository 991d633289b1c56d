"""GET /api/v2.5/admin/users/<id>/: the user an admin attempt's user_url points at."""

from datetime import UTC, datetime

import pytest

from tests.api_cases import StaffOnlyEndpointCases
from tests.factories import BatchFactory, UserFactory

KEYS = {
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "phone",
    "batches",
    "is_active",
    "is_staff",
    "date_joined",
}


def url_of(user) -> str:
    return f"/api/v2.5/admin/users/{user.id}/"


class TestPermissions(StaffOnlyEndpointCases):
    keys = KEYS

    @pytest.fixture
    def url(self, db):
        return url_of(UserFactory())


@pytest.mark.django_db
class TestUserDetail:
    def test_prints_the_user_with_batch_names(self, staff_client):
        user = UserFactory(
            username="asha",
            email="asha@example.com",
            first_name="Asha",
            last_name="Rao",
            phone="9845012345",
            date_joined=datetime(2021, 3, 16, 3, 59, 21, 860924, tzinfo=UTC),
            batches=[BatchFactory(name="Morning"), BatchFactory(name="Evening")],
        )

        body = staff_client.get(url_of(user)).json()

        assert body == {
            "id": user.id,
            "username": "asha",
            "email": "asha@example.com",
            "first_name": "Asha",
            "last_name": "Rao",
            "phone": "9845012345",
            "batches": ["Evening", "Morning"],
            "is_active": True,
            "is_staff": False,
            "date_joined": "2021-03-16T03:59:21.860924Z",
        }

    def test_an_inactive_user_can_still_be_read(self, staff_client):
        user = UserFactory(is_active=False)
        body = staff_client.get(url_of(user)).json()
        assert (body["id"], body["is_active"], body["batches"]) == (user.id, False, [])

    def test_an_unknown_user_is_404(self, staff_client):
        response = staff_client.get("/api/v2.5/admin/users/999999/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
