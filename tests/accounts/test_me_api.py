"""GET and PATCH /me/: the signed-in user, under every student version prefix."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STUDENT_VERSIONS = ["v2.1", "v2.2", "v2.2.1", "v2.3"]
ME_FIELDS = ["id", "url", "username", "display_name", "first_name", "last_name", "email", "phone", "photo"]


@pytest.mark.parametrize("version", STUDENT_VERSIONS)
def test_me_prints_the_tokens_user_under_every_student_version(client_for, version):
    user = UserFactory(username="asha", first_name="Asha", last_name="Rao", email="a@example.com", phone="98")
    response = client_for(user).get(f"/api/{version}/me/")
    assert response.status_code == 200
    assert list(response.json()) == ME_FIELDS
    assert response.json() == {
        "id": user.pk,
        "url": f"http://testserver/api/{version}/me/",
        "username": "asha",
        "display_name": "Asha Rao",
        "first_name": "Asha",
        "last_name": "Rao",
        "email": "a@example.com",
        "phone": "98",
        "photo": None,
    }


def test_display_name_is_the_username_without_a_name(client_for):
    user = UserFactory(username="nameless", first_name="", last_name="")
    assert client_for(user).get("/api/v2.1/me/").json()["display_name"] == "nameless"


def test_anonymous_is_asked_to_log_in(api_client):
    assert api_client.get("/api/v2.1/me/").status_code == 401
    assert api_client.patch("/api/v2.1/me/", {"first_name": "X"}, format="json").status_code == 401


@pytest.mark.parametrize("version", STUDENT_VERSIONS)
def test_patch_changes_the_contact_fields(client_for, version):
    user = UserFactory(username="ravi")
    body = {"first_name": "Ravi", "last_name": "Kumar", "email": "ravi@example.com", "phone": "9876543210"}
    response = client_for(user).patch(f"/api/{version}/me/", body, format="json")
    assert response.status_code == 200
    assert {key: response.json()[key] for key in body} == body
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email, user.phone) == tuple(body.values())


def test_patch_changes_only_the_fields_sent(client_for):
    user = UserFactory(first_name="Keep", last_name="Me", email="keep@example.com")
    client_for(user).patch("/api/v2.1/me/", {"phone": "123"}, format="json")
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email, user.phone) == (
        "Keep",
        "Me",
        "keep@example.com",
        "123",
    )


def test_patch_ignores_username_password_and_unknown_keys(client_for):
    user = UserFactory(username="fixed", password="Tr1cky-Pass-81")
    body = {"username": "renamed", "password": "An0ther-Pass-27", "is_staff": True, "first_name": "Fixed"}
    response = client_for(user).patch("/api/v2.1/me/", body, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.username == "fixed" and user.first_name == "Fixed"
    assert user.check_password("Tr1cky-Pass-81") and not user.is_staff


@pytest.mark.parametrize(
    "body, field",
    [
        ({"first_name": "After", "email": "not-an-email"}, "email"),
        ({"first_name": "After", "phone": "9" * 33}, "phone"),
        ({"first_name": ["a list"], "phone": "2"}, "first_name"),
        ({"first_name": "After", "last_name": "x" * 151}, "last_name"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_changes_nothing(client_for, body, field):
    user = UserFactory(first_name="Before", email="before@example.com", phone="1")
    response = client_for(user).patch("/api/v2.1/me/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert (user.first_name, user.email, user.phone) == ("Before", "before@example.com", "1")


def test_staff_change_their_own_names_through_me(client_for):
    staff = UserFactory(is_staff=True, username="teacher")
    response = client_for(staff).patch("/api/v2.1/me/", {"last_name": "Teach"}, format="json")
    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.last_name == "Teach" and staff.is_staff
