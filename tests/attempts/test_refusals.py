"""A student's request refused because the attempt had ended leaves one RefusedRequest row, cheaply,
and never fails the request itself."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attempts.choices import AttemptState, RefusalCode, RefusedAction
from attempts.models import Attempt, RefusedRequest
from attempts.refusals import refusal_record
from tests.admin_cases import AdminSmokeCases
from tests.attempts.test_lifecycle_api import _soon, act, answer, begin, ok, questions
from tests.factories import AttemptFactory, UserFactory

pytestmark = pytest.mark.django_db


def refusals() -> list[tuple]:
    return list(
        RefusedRequest.objects.order_by("id").values_list(
            "attempt_id", "exam_id", "user_id", "code", "action"
        )
    )


@pytest.fixture
def ended(student_client, exam_of):
    """An attempt its student has ended, and one of its items."""
    exam = exam_of("RR")
    attempt = begin(student_client, exam)
    item = questions(student_client, attempt)[0]
    ok(act(student_client, attempt, "end"))
    return attempt, item


def test_a_save_after_the_end_is_recorded_with_its_exam_student_and_time(student, student_client, ended):
    attempt, item = ended
    response = answer(student_client, item, review=True)
    assert (response.status_code, response.json()["error_code"]) == (409, "attempt_completed")
    exam_id = Attempt.objects.get(pk=attempt["id"]).exam_id
    assert refusals() == [
        (attempt["id"], exam_id, student.pk, RefusalCode.ATTEMPT_COMPLETED, RefusedAction.SAVE)
    ]


def test_each_refused_action_is_named(student_client, ended):
    attempt, item = ended
    assert student_client.get(attempt["questions_url"]).status_code == 409
    assert act(student_client, attempt, "start").status_code == 409
    assert act(student_client, attempt, "end").status_code == 409
    assert answer(student_client, item, selected_answers=[]).status_code == 409
    # A heartbeat reports the end, it is not refused; reading the attempt is not either.
    assert act(student_client, attempt, "heartbeat").status_code == 200
    assert student_client.get(attempt["url"]).status_code == 200
    assert [row[4] for row in refusals()] == [
        RefusedAction.QUESTIONS,
        RefusedAction.START,
        RefusedAction.END,
        RefusedAction.SAVE,
    ]


def test_a_save_that_finds_the_time_up_is_recorded_as_such(student_client, exam_of):
    exam = exam_of("RR", duration=timedelta(minutes=2))
    with time_machine.travel(_soon(exam), tick=False) as clock:
        attempt = begin(student_client, exam)
        first, second = questions(student_client, attempt)
        clock.shift(timedelta(minutes=1))
        ok(answer(student_client, first, review=True))
        clock.shift(timedelta(seconds=80))
        late = answer(student_client, second, review=True)
        assert late.status_code == 409
        again = answer(student_client, second, review=True)
        assert again.status_code == 409
        [time_up, completed] = RefusedRequest.objects.order_by("id")
        assert time_up.at == completed.at
    assert (time_up.code, completed.code) == (RefusalCode.TIME_UP, RefusalCode.ATTEMPT_COMPLETED)
    assert Attempt.objects.get(pk=attempt["id"]).state == AttemptState.COMPLETED


def test_staff_reading_an_ended_attempt_is_not_recorded(client_for, ended):
    staff = UserFactory(is_staff=True, permissions=["attempts.view_attempt"])
    attempt, _ = ended
    assert client_for(staff).get(attempt["questions_url"]).status_code == 409
    assert refusals() == []


def test_the_record_is_one_insert(student_client, ended):
    attempt, item = ended
    with CaptureQueriesContext(connection) as queries:
        assert answer(student_client, item, review=True).status_code == 409
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and RefusedRequest._meta.db_table in inserts[0]


def test_a_failed_record_still_answers_409_and_keeps_the_end_the_request_made(
    student_client, exam_of, monkeypatch, caplog
):
    """The insert fails for real (no such table). Unguarded, the failure would mark the request's
    transaction for rollback (on PostgreSQL it would also abort it), and the end of the overdue
    attempt that this very request made would be undone."""
    exam = exam_of("R", duration=timedelta(minutes=2))
    with time_machine.travel(_soon(exam), tick=False) as clock:
        attempt = begin(student_client, exam)
        [item] = questions(student_client, attempt)
        clock.shift(timedelta(minutes=1))
        ok(act(student_client, attempt, "heartbeat"))
        clock.shift(timedelta(seconds=80))  # past the 2 minutes, within the grace: time is up
        with monkeypatch.context() as patched:
            patched.setattr(RefusedRequest._meta, "db_table", "no_such_table")
            late = answer(student_client, item, review=True)
    assert (late.status_code, late.json()["error_code"]) == (409, "attempt_completed")
    # Read straight from the table: a read through the API would end the attempt again.
    stored = Attempt.objects.get(pk=attempt["id"])
    assert (stored.state, stored.time_taken) == (AttemptState.COMPLETED, timedelta(minutes=2))
    assert refusals() == []
    assert "Could not record the refused save" in caplog.text


class TestRefusedRequestAdmin(AdminSmokeCases):
    model = RefusedRequest
    # Written by the student API as it refuses, never typed in.
    add_status = 403
    many_rows = 20

    def make_row(self):
        attempt = AttemptFactory(completed=True)
        return refusal_record(
            attempt=attempt, code=RefusalCode.ATTEMPT_COMPLETED, action=RefusedAction.SAVE, at=timezone.now()
        )

    def changelist_queries(self, row):
        return [
            f"exam__id__exact={row.exam_id}",
            f"action__exact={RefusedAction.SAVE}",
            f"code__exact={RefusalCode.ATTEMPT_COMPLETED}",
            f"q={row.user.username}",
            f"at__year={timezone.localtime(row.at).year}&at__month={timezone.localtime(row.at).month}",
        ]

    def test_rows_link_their_attempt_and_nothing_is_editable(self, browser):
        row = self.make_row()
        changelist = browser.get(self.admin_url("changelist")).content.decode()
        assert f'href="{reverse("admin:attempts_attempt_change", args=[row.attempt_id])}"' in changelist
        response = browser.post(self.admin_url("change", row.pk), {"code": RefusalCode.TIME_UP})
        assert response.status_code == 403
