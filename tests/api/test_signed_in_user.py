"""An API request reads its token's user from a short-lived cache: no query on most requests, and a
password change, deactivation or deletion still refuses the old token on the very next request."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.services import user_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMS = "/api/v2.1/exams/"


@pytest.fixture(autouse=True)
def cached(settings):
    settings.SIGNED_IN_USER_CACHE_SECONDS = 10
    cache.clear()
    yield
    cache.clear()


def user_queries(client) -> int:
    """How many queries of the accounts_user table a GET of the exam list ran."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(EXAMS).status_code == 200
    return sum('"accounts_user"' in query["sql"] for query in captured.captured_queries)


def test_the_user_is_read_once_then_served_from_the_cache(client_for):
    client = client_for(UserFactory())
    assert [user_queries(client) for _ in range(3)] == [1, 0, 0]


def test_a_password_change_refuses_the_old_token_on_the_next_request(client_for):
    student = UserFactory()
    client = client_for(student)
    assert client.get(EXAMS).status_code == 200
    user_update(user=student, password="An0ther-Pass-27", changed_by=UserFactory(is_superuser=True))
    assert client.get(EXAMS).status_code == 401
    assert client_for(User.objects.get(pk=student.pk)).get(EXAMS).status_code == 200


def test_a_deactivation_refuses_the_old_token_on_the_next_request(client_for):
    student = UserFactory()
    client = client_for(student)
    assert client.get(EXAMS).status_code == 200
    student.is_active = False
    student.save()
    assert client.get(EXAMS).status_code == 401


def test_a_deleted_user_is_refused_on_the_next_request(client_for):
    student = UserFactory()
    client = client_for(student)
    assert client.get(EXAMS).status_code == 200
    student.delete()
    assert client.get(EXAMS).status_code == 401


def test_a_change_around_save_shows_within_the_cache_lifetime(client_for):
    student = UserFactory()
    client = client_for(student)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert client.get(EXAMS).status_code == 200
        User.objects.filter(pk=student.pk).update(is_active=False)
        # The documented bound: the cached row is trusted until it expires...
        assert client.get(EXAMS).status_code == 200
        clock.move_to(start + timedelta(seconds=11))
        # ...and no longer.
        assert client.get(EXAMS).status_code == 401


def test_a_cache_that_cannot_be_reached_costs_the_query_not_the_request(client_for, monkeypatch):
    # Nothing listens on port 1: every cache call fails to connect.
    monkeypatch.setattr("accounts.selectors.cache", RedisCache("redis://127.0.0.1:1", {}))
    client = client_for(UserFactory())
    assert user_queries(client) == 1
    assert user_queries(client) == 1
