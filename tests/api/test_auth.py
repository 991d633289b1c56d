"""POST auth-token/ and the Authorization header every other endpoint reads."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory

TOKEN_URLS = ["/api/v2.1/auth-token/", "/api/v2.5/auth-token/"]
PROTECTED = "/api/v2.5/admin/attempts/"
BAD_CREDENTIALS = {"non_field_errors": ["Unable to log in with provided credentials."]}


@pytest.fixture
def staff_user(db):
    return UserFactory(staff=True, username="admin", email="admin@example.com")


@pytest.mark.django_db
class TestObtainToken:
    @pytest.mark.parametrize("url", TOKEN_URLS)
    def test_json_body_gives_a_token(self, api_client, staff_user, url):
        response = api_client.post(url, {"username": "admin", "password": "demo-pass-123"}, format="json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert isinstance(response.json()["token"], str)

    @pytest.mark.parametrize("fmt", ["multipart", None])
    def test_form_body_gives_a_token(self, api_client, staff_user, fmt):
        data = {"username": "admin", "password": "demo-pass-123"}
        if fmt is None:
            response = api_client.post(
                TOKEN_URLS[0],
                "username=admin&password=demo-pass-123",
                content_type="application/x-www-form-urlencoded",
            )
        else:
            response = api_client.post(TOKEN_URLS[0], data, format=fmt)
        assert response.status_code == 200
        assert response.json()["token"]

    def test_payload_carries_user_id_username_email_and_exp(self, api_client, staff_user):
        before = timezone.now()
        token = api_client.post(TOKEN_URLS[0], {"username": "admin", "password": "demo-pass-123"}).json()[
            "token"
        ]

        payload = AccessToken(token).payload

        assert payload["user_id"] == staff_user.id
        assert payload["username"] == "admin"
        assert payload["email"] == "admin@example.com"
        lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
        expected = (before + lifetime).timestamp()
        assert expected - 5 <= payload["exp"] <= expected + 5

    @pytest.mark.parametrize("prefix", ["JWT", "Bearer"])
    def test_the_token_opens_the_api_with_either_prefix(self, api_client, staff_user, prefix):
        token = api_client.post(TOKEN_URLS[1], {"username": "admin", "password": "demo-pass-123"}).json()[
            "token"
        ]
        api_client.credentials(HTTP_AUTHORIZATION=f"{prefix} {token}")
        assert api_client.get(PROTECTED).status_code == 200

    @pytest.mark.parametrize(
        "username, password", [("admin", "wrong"), ("nobody", "demo-pass-123"), ("ADMIN ", "demo-pass-123")]
    )
    def test_wrong_credentials_are_a_400_in_the_long_standing_shape(
        self, api_client, staff_user, username, password
    ):
        response = api_client.post(TOKEN_URLS[0], {"username": username, "password": password})
        assert response.status_code == 400
        assert response.json() == BAD_CREDENTIALS

    def test_an_inactive_user_gets_no_token(self, api_client):
        UserFactory(username="gone", is_active=False)
        response = api_client.post(TOKEN_URLS[0], {"username": "gone", "password": "demo-pass-123"})
        assert response.status_code == 400
        assert response.json() == BAD_CREDENTIALS

    @pytest.mark.parametrize(
        "body, missing",
        [
            ({}, {"username", "password"}),
            ({"username": "admin"}, {"password"}),
            ({"password": "x"}, {"username"}),
        ],
    )
    def test_missing_fields_are_named(self, api_client, body, missing):
        response = api_client.post(TOKEN_URLS[0], body)
        assert response.status_code == 400
        assert set(response.json()) == missing
        assert all(messages == ["This field is required."] for messages in response.json().values())

    def test_get_is_a_json_405(self, api_client):
        response = api_client.get(TOKEN_URLS[0])
        assert response.status_code == 405
        assert response.json() == {"detail": 'Method "GET" not allowed.'}


@pytest.mark.django_db
class TestBadTokens:
    def assert_refused(self, response):
        assert response.status_code == 401
        assert response.json()["detail"]
        assert response.headers["WWW-Authenticate"].startswith("JWT")

    def test_an_expired_token_is_a_401(self, api_client, staff_user):
        token = AccessToken.for_user(staff_user)
        token.set_exp(lifetime=-timedelta(seconds=1))
        api_client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
        self.assert_refused(api_client.get(PROTECTED))

    @pytest.mark.parametrize("header", ["JWT garbage", "JWT", "Bearer a.b.c", "JWT one two"])
    def test_a_garbage_token_is_a_401(self, api_client, header):
        api_client.credentials(HTTP_AUTHORIZATION=header)
        self.assert_refused(api_client.get(PROTECTED))

    def test_a_token_signed_with_another_key_is_a_401(self, api_client, staff_user):
        token = str(AccessToken.for_user(staff_user))
        header, payload, signature = token.split(".")
        api_client.credentials(HTTP_AUTHORIZATION=f"JWT {header}.{payload}.{signature[::-1]}")
        self.assert_refused(api_client.get(PROTECTED))

    def test_the_token_of_a_deleted_user_is_a_401(self, api_client, client_for, staff_user):
        client = client_for(staff_user)
        staff_user.delete()
        self.assert_refused(client.get(PROTECTED))

    def test_no_header_at_all_is_a_401(self, api_client):
        self.assert_refused(api_client.get(PROTECTED))
