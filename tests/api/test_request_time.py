"""No single request holds a worker for long, whatever the body: the largest the server accepts, and the
largest it refuses once read, are answered well within a second (measured in-process with the test
client; the real figures, tens of milliseconds, print with `pytest -s`).

A bound with a wide margin, not a benchmark: the quadratic answer check this guards against took
minutes on a 1.5 MB body, so only a regression of that order fails here, not a busy machine.
"""

import json
import time

import pytest
from django.conf import settings

from accounts.services import MAX_BATCHES
from attempts.models import AttemptItem
from tests.attempts.conftest import build_exam, correct_ids

pytestmark = pytest.mark.django_db

BUDGET_SECONDS = 1.0


def filled_to_the_cap(body: dict) -> str:
    """`body` with an unknown key padded so the JSON is exactly DATA_UPLOAD_MAX_MEMORY_SIZE bytes."""
    without = json.dumps({**body, "pad": ""})
    padded = json.dumps({**body, "pad": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len(without))})
    assert len(padded.encode()) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return padded


def ids_filling_the_cap() -> str:
    """{"selected_answers": [1, 2, ...]} with as many ids as fit in DATA_UPLOAD_MAX_MEMORY_SIZE bytes."""
    ids, size = [], len('{"selected_answers": []}')
    while size + len(str(len(ids) + 1)) + 2 <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        ids.append(len(ids) + 1)
        size += len(str(ids[-1])) + 2
    return json.dumps({"selected_answers": ids})


def timed(client, method: str, url: str, body: str):
    getattr(client, method)(url, "{}", content_type="application/json")  # the URLconf and caches are warm
    started = time.perf_counter()
    response = getattr(client, method)(url, body, content_type="application/json")
    return response, time.perf_counter() - started


@pytest.fixture
def item(student, student_client) -> dict:
    """The multiple-choice item of a running attempt, as the questions list prints it."""
    attempt = student_client.post(f"/api/v2.1/exams/{build_exam('CNE').slug}/attempts/").json()
    return student_client.get(attempt["questions_url"]).json()["results"][0]


def test_the_largest_answer_the_server_accepts(student_client, item):
    correct = correct_ids(AttemptItem.objects.get(pk=item["id"]).question)
    body = filled_to_the_cap(
        {
            "selected_answers": correct * (AttemptItem.MAX_SELECTED_ANSWERS // len(correct)),
            "review": True,
            "short_text": "9" * 100,
            "essay_text": "w" * AttemptItem.ESSAY_MAX_LENGTH,
        }
    )
    response, seconds = timed(student_client, "put", item["url"], body)
    print(f"\nanswer save, largest accepted body ({len(body):,} bytes): {seconds * 1000:.0f} ms")
    assert response.status_code == 200, response.content
    assert seconds < BUDGET_SECONDS


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(json.dumps({"selected_answers": list(range(1, 200_001))}), id="200,000 ids"),
        pytest.param(ids_filling_the_cap(), id="ids filling the body cap"),
    ],
)
def test_the_largest_selection_the_server_reads_and_refuses(student_client, item, body):
    response, seconds = timed(student_client, "put", item["url"], body)
    print(f"\nanswer save, {len(body):,} bytes of ids: {response.status_code} in {seconds * 1000:.0f} ms")
    assert response.status_code == 400
    assert seconds < BUDGET_SECONDS


def test_the_largest_user_the_admin_api_accepts(staff_client):
    body = filled_to_the_cap(
        {
            "username": "u" * 150,
            "password": "Pw-" + "k7" * 62 + "x",
            "first_name": "f" * 150,
            "last_name": "l" * 150,
            "email": f"{'e' * 64}@{'d' * 63}.{'c' * 63}.example",
            "phone": "9" * 32,
            "batches": [f"{n:03d}" + "b" * 147 for n in range(MAX_BATCHES)],
        }
    )
    response, seconds = timed(staff_client, "post", "/api/v2.5/admin/users/", body)
    print(f"\nadmin user create, largest accepted body ({len(body):,} bytes): {seconds * 1000:.0f} ms")
    assert response.status_code == 201, response.content
    assert len(response.json()["batches"]) == MAX_BATCHES
    assert seconds < BUDGET_SECONDS
