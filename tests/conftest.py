import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from testpress.api.auth import issue_token

from .factories import UserFactory


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counts (and anything else cached) never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """An API client that sends `Authorization: JWT <token>` for the given user, as the apps do."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"JWT {issue_token(user)}")
        return client

    return make


@pytest.fixture
def student(db):
    return UserFactory(username="testpress")


@pytest.fixture
def other_student(db):
    return UserFactory(username="someone-else")


@pytest.fixture
def staff(db):
    return UserFactory(staff=True, username="admin")


@pytest.fixture
def student_client(client_for, student):
    return client_for(student)


@pytest.fixture
def staff_client(client_for, staff):
    return client_for(staff)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need row locks and real concurrency, which SQLite does not have."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...); SQLite has no row locks"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
