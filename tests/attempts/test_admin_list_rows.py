"""The v2.5 admin attempts list prints its rows from column values (attempts/api/v2_5/rows.py); the detail
and the schema use AdminAttemptSerializer. Every kind of row must print the same either way."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from attempts.api.v2_5.serializers import AdminAttemptSerializer
from attempts.choices import AttemptResult, AttemptState
from attempts.models import Attempt
from attempts.services import attempt_create, attempt_section_start
from tests.factories import AttemptFactory, ExamFactory, UserFactory

from .test_sectional_exams import add_sections

URL = "/api/v2.5/admin/attempts/"


@pytest.fixture
def varied_attempts(db):
    """One attempt of each shape a row can take: every state, both timer modes, an exam without
    duration or end, blank and filled user details, awkward scores and percentages."""
    now = timezone.now()
    open_exam = ExamFactory(duration=timedelta(minutes=30), end_date=now + timedelta(days=1))
    strict_exam = ExamFactory(
        duration=timedelta(minutes=45), end_date=now + timedelta(minutes=20), disable_attempt_resume=True
    )
    untimed_exam = ExamFactory(duration=None, end_date=None)
    named = UserFactory(first_name="Asha", last_name="Rao", email="asha@example.com", phone="+91 98450 00000")
    blank = UserFactory(first_name="", last_name="", email="", phone="")
    half_named = UserFactory(first_name="", last_name="Iyer", email="iyer@example.com", phone="")
    started = now - timedelta(minutes=7, seconds=13, microseconds=420)
    sectional = add_sections(
        ExamFactory(duration=timedelta(minutes=15), end_date=now + timedelta(days=1)), [10, 5]
    )
    in_sections = attempt_create(user=named, exam=sectional, now=started)
    attempt_section_start(
        attempt=in_sections, section_id=sectional.sections.order_by("order").first().pk, now=started
    )
    return [
        in_sections,
        AttemptFactory(exam=open_exam, user=named, date=started, time_taken=timedelta(minutes=3, seconds=2),
                       clock_checked_at=now - timedelta(seconds=40)),
        AttemptFactory(exam=open_exam, user=blank, state=AttemptState.NOT_STARTED, last_started_time=None,
                       clock_checked_at=None),
        AttemptFactory(exam=strict_exam, user=half_named, date=started),
        AttemptFactory(exam=untimed_exam, user=named, date=started - timedelta(days=400),
                       time_taken=timedelta(hours=2, microseconds=76906)),
        AttemptFactory(
            exam=open_exam, user=half_named, completed=True, attempt_number=1, score=Decimal("-1.50"),
            percentage=Decimal("66.67"), correct_count=2, incorrect_count=5, unanswered_count=3,
            speed=41, result=AttemptResult.FAIL, last_answer_updated_time=now - timedelta(minutes=1),
            time_taken=timedelta(minutes=29, seconds=59, microseconds=999999),
        ),
        AttemptFactory(exam=untimed_exam, user=blank, completed=True, score=Decimal("12"),
                       percentage=Decimal("80.00"), result=AttemptResult.PASS),
    ]  # fmt: skip


def test_each_kind_of_row_prints_as_the_serializer_prints_it(staff_client, varied_attempts):
    # The detail prints the list's keys through AdminAttemptSerializer's fields; one frozen clock for both.
    with time_machine.travel(timezone.now(), tick=False):
        response = staff_client.get(URL)
        assert response.status_code == 200, response.content
        listed = response.json()["results"]
        details = {row["id"]: staff_client.get(f"{URL}{row['id']}/").json() for row in listed}

    assert len(listed) == len(varied_attempts)
    assert Attempt.objects.filter(sectionally_timed=True).count() == 1
    for row in listed:
        assert row == {key: details[row["id"]][key] for key in row}
    assert list(listed[0]) == AdminAttemptSerializer.Meta.fields
    # The comparison covers the cases it is for, not six copies of one shape.
    assert {row["state"] for row in listed} == {"Running", "Not Started", "Completed"}
    assert {row["name"] for row in listed} == {"Asha Rao", None, "Iyer"}
    assert {row["email"] for row in listed} >= {None, "asha@example.com"}
    assert None in {row["remaining_time"] for row in listed}
    assert "-1.50" in {row["score"] for row in listed}
