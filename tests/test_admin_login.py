"""The Django admin's login locks out a username at one address after repeated failures (django-axes)."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

LOGIN = reverse("admin:login")
API_LOGIN = "/api/v2.1/auth-token/"
PASSWORD = "demo-pass-123"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    """The production defaults, named here so that the tests read plainly."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def admin_user(db):
    UserFactory(staff=True, username="head")
    return UserFactory(staff=True, username="admin")


def admin_login(username="admin", password=PASSWORD, address="10.0.0.1", client=None, **headers):
    client = client or Client()
    return client.post(
        f"{LOGIN}?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response.url == "/admin/"


def fail(times, username="admin", address="10.0.0.1", **headers):
    return [admin_login(username, "wrong", address, **headers) for _ in range(times)]


def assert_locked_out(response, username="admin"):
    assert response.status_code == 429
    content = response.content.decode()
    assert f"Too many failed logins for “{username}” from your address." in content
    assert "Try again in 15 minutes" in content


class TestAdminLoginLockout:
    def test_after_five_wrong_passwords_the_right_one_is_refused_there(self, admin_user):
        responses = fail(4)
        assert [response.status_code for response in responses] == [200] * 4
        assert "Please enter the correct username and password" in responses[0].content.decode()

        assert_locked_out(fail(1)[0])
        client = Client()
        assert_locked_out(admin_login(client=client))
        assert "_auth_user_id" not in client.session
        assert client.get("/admin/").status_code == 302

    def test_the_same_username_from_another_address_still_logs_in(self, admin_user):
        fail(5, address="203.0.113.9")
        assert logged_in(admin_login(address="10.0.0.1"))

    def test_another_username_from_the_same_address_still_logs_in(self, admin_user):
        # A classroom or an office behind one address: one person's lockout is theirs alone.
        fail(5, address="10.0.0.1")
        assert logged_in(admin_login("head", address="10.0.0.1"))

    def test_the_lockout_ends_after_the_cool_off(self, admin_user):
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            fail(5)
            assert_locked_out(admin_login())
            traveller.shift(timedelta(minutes=16))
            assert logged_in(admin_login())

    def test_a_successful_login_clears_the_count(self, admin_user):
        fail(4)
        assert logged_in(admin_login())
        fail(4)
        assert logged_in(admin_login())

    def test_behind_the_proxy_the_client_address_comes_from_forwarded_for(self, admin_user, settings):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        proxy = "127.0.0.1"
        fail(5, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert_locked_out(admin_login(address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5"))
        assert logged_in(admin_login(address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6"))

    def test_without_a_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(self, admin_user):
        for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
            fail(1, HTTP_X_FORWARDED_FOR=forged)
        assert_locked_out(admin_login(HTTP_X_FORWARDED_FOR="6.6.6.6"))


class TestTheApiLoginIsLeftToItsThrottles:
    """auth-token/ passes the same axes backend; its refusals are the API throttles' business."""

    def api_login(self, api_client, password=PASSWORD, address="10.0.0.1"):
        body = {"username": "admin", "password": password}
        return api_client.post(API_LOGIN, body, format="json", REMOTE_ADDR=address)

    def test_refused_api_logins_are_not_recorded_nor_counted_for_the_admin(self, api_client, admin_user):
        for _ in range(10):
            assert self.api_login(api_client, "wrong").status_code == 400

        assert not AccessAttempt.objects.exists()
        assert logged_in(admin_login())

    def test_the_api_login_works_as_before(self, api_client, admin_user):
        response = self.api_login(api_client)
        assert response.status_code == 200
        assert set(response.json()) == {"token", "refresh"}

    def test_an_admin_lockout_does_not_refuse_the_api_login(self, api_client, admin_user):
        fail(5)
        assert self.api_login(api_client).status_code == 200
