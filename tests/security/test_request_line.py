"""gunicorn passes a request line of up to 8190 bytes (its maximum, about nginx's default buffer) to the app.

Past it gunicorn answers its own HTML 414, never the app; behind nginx the proxy refuses first (README,
Deployment). The server is the production one of test_crash_safety.
"""

import pytest
import requests

from tests.factories import UserFactory
from tests.processes import TIMEOUT, token_for
from tests.security.test_crash_safety import gunicorn  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LIMIT = 8190


def get_with_request_line(base: str, length: int, token: str) -> requests.Response:
    """GET the student's exam list with an ignored parameter padding `GET <uri> HTTP/1.1` to `length`."""
    path = "/api/v2.1/exams/?pad="
    uri = path + "x" * (length - len("GET  HTTP/1.1") - len(path))
    response = requests.get(base + uri, headers={"Authorization": f"JWT {token}"}, timeout=TIMEOUT)
    assert len(f"GET {response.request.path_url} HTTP/1.1") == length
    return response


def test_a_request_line_up_to_the_limit_reaches_the_app_and_a_longer_one_is_gunicorns_414(gunicorn):  # noqa: F811
    base, _ = gunicorn
    token = token_for(UserFactory())

    longest = get_with_request_line(base, LIMIT, token)
    assert longest.status_code == 200, longest.text[:300]
    assert longest.json()["results"] == []

    too_long = get_with_request_line(base, LIMIT + 1, token)
    assert too_long.status_code == 414
