"""Token lifecycle: refresh, tokens of deactivated users, token kinds, signing keys and the user claim."""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import UserFactory

LOGIN = "/api/v2.1/auth-token/"
REFRESH_URLS = ["/api/v2.1/auth-token/refresh/", "/api/v2.5/auth-token/refresh/"]
PROTECTED = "/api/v2.1/exams/"


def tokens_for(client, username="testpress"):
    response = client.post(LOGIN, {"username": username, "password": "demo-pass-123"}, format="json")
    assert response.status_code == 200
    return response.json()


def assert_refused(response):
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("JWT")


@pytest.mark.django_db
class TestRefresh:
    @pytest.mark.parametrize("url", REFRESH_URLS)
    def test_the_login_refresh_token_buys_a_new_working_access_token(self, api_client, student, url):
        refresh = tokens_for(api_client)["refresh"]

        response = api_client.post(url, {"refresh": refresh}, format="json")

        assert response.status_code == 200
        token = response.json()["token"]
        payload = AccessToken(token).payload
        assert (payload["user_id"], payload["username"]) == (student.pk, "testpress")
        lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
        assert abs(payload["exp"] - timezone.now().timestamp() - lifetime) < 5
        api_client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
        assert api_client.get(PROTECTED).status_code == 200

    def test_the_refresh_token_lives_as_long_as_configured(self, api_client, student):
        refresh = RefreshToken(tokens_for(api_client)["refresh"])
        lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()
        assert abs(refresh["exp"] - timezone.now().timestamp() - lifetime) < 5

    def test_a_refresh_token_does_not_open_the_api(self, api_client, student):
        api_client.credentials(HTTP_AUTHORIZATION=f"JWT {tokens_for(api_client)['refresh']}")
        assert_refused(api_client.get(PROTECTED))

    def test_an_access_token_cannot_be_refreshed(self, api_client, student):
        assert_refused(api_client.post(REFRESH_URLS[0], {"refresh": tokens_for(api_client)["token"]}))

    def test_an_expired_refresh_token_is_a_401(self, api_client, student):
        refresh = RefreshToken.for_user(student)
        refresh.set_exp(lifetime=-timedelta(seconds=1))
        assert_refused(api_client.post(REFRESH_URLS[0], {"refresh": str(refresh)}))

    @pytest.mark.parametrize("value", ["garbage", "a.b.c", "x" * 2000])
    def test_a_garbage_refresh_token_is_a_401(self, api_client, value):
        assert_refused(api_client.post(REFRESH_URLS[0], {"refresh": value}, format="json"))

    @pytest.mark.parametrize(
        "body, field",
        [({}, "refresh"), ({"refresh": ["x"]}, "refresh"), ({"refresh": "x" * 2001}, "refresh")],
    )
    def test_a_malformed_body_is_a_400_naming_the_field(self, api_client, body, field):
        response = api_client.post(REFRESH_URLS[0], body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_a_deactivated_user_cannot_refresh(self, api_client, student):
        refresh = tokens_for(api_client)["refresh"]
        student.is_active = False
        student.save()
        assert_refused(api_client.post(REFRESH_URLS[0], {"refresh": refresh}))

    def test_a_deleted_user_cannot_refresh(self, api_client, student):
        refresh = tokens_for(api_client)["refresh"]
        student.delete()
        assert_refused(api_client.post(REFRESH_URLS[0], {"refresh": refresh}))


@pytest.mark.django_db
class TestAccessTokens:
    def test_deactivating_a_user_stops_their_token_at_the_next_request(self, client_for, student):
        client = client_for(student)
        assert client.get(PROTECTED).status_code == 200

        student.is_active = False
        student.save()

        assert_refused(client.get(PROTECTED))

    def test_tokens_are_signed_with_the_configured_key_and_no_other(self, api_client, student):
        token = tokens_for(api_client)["token"]
        payload = jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
        assert payload["username"] == "testpress"

        # Same claims signed with a guessed key (a leaked one from another deployment, say).
        forged = jwt.encode(payload, "a-guessed-key-that-is-not-the-configured-one", "HS256")
        api_client.credentials(HTTP_AUTHORIZATION=f"JWT {forged}")
        assert_refused(api_client.get(PROTECTED))


def signed_with_user_id(token_class, value) -> str:
    """A token signed with the configured key whose user_id claim is `value`, whatever its type."""
    token = token_class()
    token["user_id"] = value
    return str(token)


# user_id claims a correctly signed token may carry that name no user, each given the real user's id.
BAD_USER_IDS = {
    "list": lambda pk: [pk],
    "dict": lambda pk: {"id": pk},
    "text": lambda pk: f"{pk}abc",
    "empty-text": lambda pk: "",
    "padded-digits": lambda pk: f" {pk}",
    "non-ascii-digits": lambda pk: "\u0661" * len(str(pk)),
    "huge-number": lambda pk: 10**30,
    "huge-digits": lambda pk: "9" * 30,
    "thousands-of-digits": lambda pk: "9" * 5000,
    "past-bigint": lambda pk: 2**63,
    "zero": lambda pk: 0,
    "negative": lambda pk: -pk,
    "float": lambda pk: float(pk),
    "boolean": lambda pk: True,
    "null": lambda pk: None,
}


@pytest.mark.django_db
class TestUserIdClaim:
    @pytest.mark.parametrize("make_value", BAD_USER_IDS.values(), ids=BAD_USER_IDS.keys())
    def test_a_signed_access_token_naming_no_user_is_a_401(self, api_client, make_value):
        # The user has id 1 on a fresh SQLite database, so `true` or 1.0 would find them if let through.
        user = UserFactory()
        api_client.credentials(
            HTTP_AUTHORIZATION=f"JWT {signed_with_user_id(AccessToken, make_value(user.pk))}"
        )
        assert_refused(api_client.get(PROTECTED))

    # auth-token/refresh/ answers 400 to a refresh token over 2000 characters before reading it.
    @pytest.mark.parametrize(
        "make_value",
        [make for name, make in BAD_USER_IDS.items() if name != "thousands-of-digits"],
        ids=[name for name in BAD_USER_IDS if name != "thousands-of-digits"],
    )
    def test_a_signed_refresh_token_naming_no_user_is_a_401(self, api_client, make_value):
        user = UserFactory()
        refresh = signed_with_user_id(RefreshToken, make_value(user.pk))
        assert_refused(api_client.post(REFRESH_URLS[0], {"refresh": refresh}, format="json"))

    @pytest.mark.parametrize("as_text", [False, True], ids=["number", "digits"])
    def test_the_id_as_a_number_or_as_simplejwts_digits_names_the_user(self, api_client, as_text):
        user = UserFactory()
        value = str(user.pk) if as_text else user.pk
        api_client.credentials(HTTP_AUTHORIZATION=f"JWT {signed_with_user_id(AccessToken, value)}")
        assert api_client.get(PROTECTED).status_code == 200
        response = api_client.post(REFRESH_URLS[0], {"refresh": signed_with_user_id(RefreshToken, value)})
        assert AccessToken(response.json()["token"])["user_id"] == user.pk
