"""An answer acknowledged with 200 survives `kill -9` of the gunicorn worker that saved it.

A real gunicorn runs the production WSGI app (one worker) on loopback against the test database; the
test commits its data (transaction=True) so that other process sees it. An end interrupted half-way is
covered in tests/attempts/test_services.py::TestAttemptEnd::
test_a_failure_mid_end_leaves_the_attempt_open_and_unscored (still Running, no item result written).
"""

import os
import signal

import pytest
import requests

from attempts.models import AttemptItem
from attempts.services import attempt_create
from tests import processes
from tests.attempts.conftest import build_exam, correct_ids
from tests.factories import UserFactory
from tests.processes import TIMEOUT, token_for, wait_for, workers_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gunicorn():
    """(base URL, master process) of a one-worker production gunicorn; killed whatever happens."""
    with processes.gunicorn() as server:
        yield server


def test_an_acknowledged_answer_survives_kill_9_of_its_worker(gunicorn):
    base, master = gunicorn
    student = UserFactory()
    attempt = attempt_create(user=student, exam=build_exam("RR"))
    item = attempt.items.select_related("question").order_by("order").first()
    answer = correct_ids(item.question)
    url = f"{base}/api/v2.1/attempts/{attempt.pk}/questions/{item.pk}/"
    auth = {"Authorization": f"JWT {token_for(student)}"}

    (worker,) = wait_for(lambda: workers_of(master), "the worker")
    saved = requests.put(url, json={"selected_answers": answer}, headers=auth, timeout=TIMEOUT)
    assert saved.status_code == 200, saved.text
    os.kill(worker, signal.SIGKILL)

    assert AttemptItem.objects.get(pk=item.pk).selected_answers == answer
    respawned = wait_for(lambda: workers_of(master) - {worker}, "a new worker")
    assert worker not in respawned
    read = wait_for(lambda: requests.get(url, headers=auth, timeout=2), "the respawned worker to answer")
    assert read.status_code == 200
    assert read.json()["selected_answers"] == answer
