"""The student API prints exams, attempts and their sections through plain printers
(testpress/api/printing.py); the same serializers' declared DRF fields describe the schema. For every
shape a student can read, both must print the same bytes."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.reverse import reverse
from rest_framework.test import APIRequestFactory
from rest_framework.versioning import URLPathVersioning

from attempts.choices import AttemptState
from attempts.services import attempt_create, attempt_end, attempt_save_item, attempt_section_start
from testpress.api.printing import PlainPrinting, absolute_url
from tests.attempts.conftest import build_exam, correct_ids
from tests.attempts.test_sectional_exams import add_sections
from tests.factories import AttemptFactory, ExamFactory, offer_in


def _as_drf_fields_print(serializer, instance):
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture
def varied_exams(student):
    """Exams and attempts of every shape the student pages print: timed and untimed, ended and open,
    ranks published or not, scores hidden, bilingual, limited retakes, timed by section, sections
    only grouping questions, items outside any section, each attempt state."""
    now = timezone.now()
    plain = build_exam("RCN", mark_per_question=Decimal("2.50"), negative_marks=Decimal("0.25"))
    attempt = attempt_create(user=student, exam=plain, now=now - timedelta(minutes=5))
    item = attempt.items.order_by("order").first()
    attempt_save_item(attempt=attempt, item=item, selected_answers=correct_ids(item.question), now=now)
    attempt_end(attempt=attempt, now=now)
    retake = attempt_create(user=student, exam=plain, now=now)
    item = retake.items.order_by("order").last()
    attempt_save_item(attempt=retake, item=item, short_text="9.81", review=True, now=now)
    item = retake.items.order_by("order").first()
    attempt_save_item(attempt=retake, item=item, selected_answers=correct_ids(item.question), now=now)

    untimed = ExamFactory(duration=None, end_date=None, allow_retake=False, enable_ranks=True,
                          rank_publishing_date=now - timedelta(hours=1), show_score=False)  # fmt: skip
    AttemptFactory(
        exam=untimed, user=student, completed=True, score=Decimal("-1.50"), percentage=Decimal("9.5")
    )
    hidden = build_exam("R", show_percentile=False, max_retakes=2, enable_ranks=True)
    AttemptFactory(exam=hidden, user=student, state=AttemptState.NOT_STARTED, last_started_time=None,
                   clock_checked_at=None)  # fmt: skip

    bilingual = build_exam("RR")
    offer_in(bilingual, "en", "hi")
    attempt_create(user=student, exam=bilingual, now=now)

    sectional = add_sections(ExamFactory(duration=timedelta(minutes=15)), [10, 5])
    in_sections = attempt_create(user=student, exam=sectional, now=now - timedelta(minutes=2))
    sectional.sections.filter(order=2).update(cut_off=Decimal("4.5"))
    first = sectional.sections.order_by("order").first()
    attempt_section_start(attempt=in_sections, section_id=first.pk, now=now - timedelta(minutes=2))
    return now


def test_every_student_page_prints_as_the_declared_fields_print(student_client, varied_exams, monkeypatch):
    pages = ["/api/v2.1/exams/", "/api/v2.3/exams/", "/api/v2.1/attempts/", "/api/v2.2/attempts/"]
    with time_machine.travel(varied_exams + timedelta(seconds=30), tick=False):
        exams = student_client.get(pages[0]).json()["results"]
        attempts = student_client.get(pages[2]).json()["results"]
        pages += [exam["url"] for exam in exams] + [attempt["url"] for attempt in attempts]
        pages += [exam["url"] + "languages/" for exam in exams]
        pages += [attempt[link] for attempt in attempts for link in ("questions_url", "review_url")]
        printed = {page: student_client.get(page).json() for page in pages}
        monkeypatch.setattr(PlainPrinting, "printed", _as_drf_fields_print)
        by_fields = {page: student_client.get(page).json() for page in pages}

    for page in pages:
        assert printed[page] == by_fields[page], page
    # What the comparison covered: not one shape six times.
    assert len(exams) == 5 and len(attempts) == 6
    assert {attempt["state"] for attempt in attempts} == {"Running", "Not Started", "Completed"}
    assert {exam["duration"] for exam in exams} >= {None, "0:15:00"}
    assert any(exam["languages"] for exam in exams)
    assert {row["name"] for attempt in attempts for row in attempt["sections"]} == set()  # lists print []
    sectioned = [page for page in pages if "/attempts/" in page and printed[page].get("sections")]
    assert {row["remaining_time"] is None for page in sectioned for row in printed[page]["sections"]} == {
        True,
        False,
    }
    assert {row["cut_off"] for page in sectioned for row in printed[page]["sections"]} >= {"0.00", "4.50"}
    reviewed = [row for page in pages if "/review/" in page for row in printed[page].get("results", [])]
    assert {row["result"] for row in reviewed} >= {"correct", "unanswered"}
    assert {row["selected_answers"] != [] for page in pages if "/questions/" in page
            for row in printed[page].get("results", [])} == {True, False}  # fmt: skip
    details = [printed[page] for page in pages if "/attempts/" in page and "/api/v2.1/attempts/" != page]
    assert {detail["score"] for detail in details if "score" in detail} >= {"NA", "2.50"}


@pytest.mark.parametrize("host", ["testserver", "exams.example.com", "localhost:8000"])
@pytest.mark.parametrize("version", ["v2.1", "v2.3"])
@pytest.mark.parametrize("secure", [False, True])
def test_a_url_from_a_reversed_pattern_is_the_url_reverse_prints(settings, host, version, secure):
    # Each request part a URL is made of changes it: a template made for one must never serve another.
    settings.ALLOWED_HOSTS = ["testserver", "exams.example.com", "localhost"]
    factory = APIRequestFactory()
    for view_name, kwarg, value in [("attempt-detail", "pk", 41), ("exam-attempts", "slug", "jee-mock_2")]:
        for _ in range(2):  # the first builds the template, the second reads it
            request = Request(factory.get("/", HTTP_HOST=host, secure=secure))
            request.version, request.versioning_scheme = version, URLPathVersioning()
            expected = reverse(view_name, kwargs={kwarg: value}, request=request)
            assert absolute_url({"request": request}, view_name, **{kwarg: value}) == expected
            assert expected.startswith(f"{'https' if secure else 'http'}://{host}/api/{version}/")


def test_a_url_of_two_values_puts_each_in_its_own_place():
    request = Request(APIRequestFactory().get("/"))
    request.version, request.versioning_scheme = "v2.1", URLPathVersioning()
    for pk, item_id in [(7, 70), (70, 7), (90807060504030201, 2)]:  # the last: an id that looks like a mark
        expected = reverse("attempt-question", kwargs={"pk": pk, "item_id": item_id}, request=request)
        assert absolute_url({"request": request}, "attempt-question", pk=pk, item_id=item_id) == expected
