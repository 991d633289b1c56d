"""The exam-day live page: its figures on a small exam taken through the services, a fixed number of
queries whatever the attempts, and who may open it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attempts import live, services
from attempts.choices import RefusalCode, RefusedAction
from attempts.models import Attempt, AttemptItem, RefusedRequest
from attempts.refusals import refusal_record
from tests.factories import ExamFactory, UserFactory

from .conftest import build_exam, correct_ids, wrong_ids

pytestmark = pytest.mark.django_db

# The page is read at 09:30:00 UTC; the exam (three questions, 30 minutes) is open all day.
T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def url(exam) -> str:
    return reverse("admin:exams_exam_live", args=[exam.pk])


@pytest.fixture
def settings_grace(settings):
    settings.ATTEMPT_TIME_GRACE = timedelta(seconds=90)


@pytest.fixture
def world(settings_grace):
    """Eight students may take the exam; five started it through the services, at these times
    (T − minutes), on the wall clock too, since an item's `modified` is the real time of its save:

    s1: started 25, answered Q1 at 24, ended at 3; then two saves refused (2 and 1).
    s2: started 20, answered Q1 at 15, silent since: quiet.
    s3: started 10, Q1 at 9, Q1 changed at 4, Q2 at 1: writing, 2 answered.
    s4: started 5, a heartbeat at 0.5, nothing answered: writing.
    s5: a first attempt 24 → 22 (ended), a retake started 21, Q1 at 1.5: writing, 1 answered.
    s6, s7, s8 have not started; an inactive student and staff do not count.
    """
    exam = build_exam("RRN", start_date=T - timedelta(days=1), end_date=T + timedelta(days=1))
    s = {n: UserFactory(username=f"s{n}") for n in range(1, 9)}
    UserFactory(username="gone", is_active=False)
    UserFactory(username="proctor", staff=True)
    attempts = {}

    def at(before: float):
        traveller.move_to(T - minutes(before))
        return T - minutes(before)

    def save(attempt, order: int, before: float, *, right=True):
        item = attempt.items.select_related("question").get(order=order)
        chosen = correct_ids(item.question) if right else wrong_ids(item.question)[:1]
        services.attempt_save_item(attempt=attempt, item=item, selected_answers=chosen, now=at(before))

    with time_machine.travel(T - minutes(30), tick=False) as traveller:
        attempts["s1"] = services.attempt_create(user=s[1], exam=exam, now=at(25))
        first_of_s5 = services.attempt_create(user=s[5], exam=exam, now=at(24))
        save(attempts["s1"], 1, 24)
        services.attempt_end(attempt=first_of_s5, now=at(22))
        attempts["s5"] = services.attempt_create(user=s[5], exam=exam, now=at(21))
        attempts["s2"] = services.attempt_create(user=s[2], exam=exam, now=at(20))
        save(attempts["s2"], 1, 15)
        attempts["s3"] = services.attempt_create(user=s[3], exam=exam, now=at(10))
        save(attempts["s3"], 1, 9)
        attempts["s4"] = services.attempt_create(user=s[4], exam=exam, now=at(5))
        save(attempts["s3"], 1, 4, right=False)
        services.attempt_end(attempt=attempts["s1"], now=at(3))
        for before, action in ((2, RefusedAction.SAVE), (1, RefusedAction.START)):
            refusal_record(
                attempt=attempts["s1"], code=RefusalCode.ATTEMPT_COMPLETED, action=action, at=at(before)
            )
        save(attempts["s5"], 1, 1.5)
        save(attempts["s3"], 2, 1)
        services.attempt_heartbeat(attempt=attempts["s4"], now=at(0.5))
    return exam, attempts


class TestFigures:
    def test_headcount(self, world):
        exam, _ = world
        assert live.headcount(exam, now=T) == live.Headcount(
            may_take=8, started=5, writing=3, quiet=1, completed=1, not_started=3
        )

    def test_answers_saved_per_minute_count_each_item_in_the_minute_of_its_latest_save(self, world):
        exam, _ = world
        per_minute = live.saves_per_minute(exam, now=T + timedelta(seconds=20))
        assert [m.start for m in per_minute] == [T - minutes(14 - n) for n in range(15)]
        # 09:26 s3's Q1 (changed from 09:21, which no longer counts), 09:28 s5's Q1, 09:29 s3's Q2;
        # the saves at 09:06 and 09:15 are older than the fifteen minutes.
        assert {m.start: m.saves for m in per_minute if m.saves} == {
            T - minutes(4): 1,
            T - minutes(2): 1,
            T - minutes(1): 1,
        }

    def test_least_progress_lists_running_attempts_fewest_answered_first_with_time_left(self, world):
        exam, attempts = world
        rows = live.least_progress(exam, now=T)
        assert [(a.pk, a.answered, a.remaining) for a in rows] == [
            # A 30-minute exam; each gap between requests is charged at most the 90 s grace.
            (attempts["s4"].pk, 0, minutes(28)),  # 1:30 to the heartbeat, 0:30 since
            (attempts["s5"].pk, 1, minutes(27)),  # created before s2: 1:30 + 1:30
            (attempts["s2"].pk, 1, minutes(27)),  # 1:30 + 1:30
            (attempts["s3"].pk, 2, minutes(25)),  # 1:00 + 1:30 + 1:30 + 1:00
        ]

    def test_latest_refusals_newest_first(self, world):
        exam, attempts = world
        assert [(r.user.username, r.action, r.at) for r in live.latest_refusals(exam)] == [
            ("s1", RefusedAction.START, T - minutes(1)),
            ("s1", RefusedAction.SAVE, T - minutes(2)),
        ]

    def test_the_page_prints_them(self, admin_client, world):
        exam, attempts = world
        with time_machine.travel(T + timedelta(seconds=20), tick=False):
            response = admin_client.get(url(exam))
        content = response.content.decode()
        figures = {"writing": 3, "quiet": 1, "completed": 1, "started": 5, "not-started": 3, "may-take": 8}
        for name, value in figures.items():
            assert f'data-figure="{name}">{value}<' in content, name
        assert '<meta http-equiv="refresh" content="10">' in content
        assert 'data-figure="saves-total">3<' in content
        assert '<svg class="chart" data-chart="saves-per-minute"' in content
        # 09:29 UTC is 14:59 in Kolkata, the site's time zone.
        assert "<title>14:59: 1 answer(s) saved</title>" in content
        assert content.index(">s4</a>") < content.index(">s5</a>") < content.index(">s2</a>")
        assert '<td class="number">0 of 3</td>' in content
        assert '<td class="number">0:27:40</td>' in content  # s4 twenty seconds later
        assert "<td>Start or resume</td>" in content and "<td>The attempt had already ended</td>" in content
        assert "Open now." in content


class TestQueries:
    def test_the_same_queries_for_one_attempt_and_a_thousand(self, admin_client):
        exam = build_exam("RR")
        questions = list(exam.exam_questions.values_list("question_id", flat=True))
        admin_client.get(url(exam))  # warms the caches (content types, permissions)

        def add_attempts(count: int) -> None:
            users = UserFactory._meta.model.objects.bulk_create(
                UserFactory.build(username=f"bulk-{count}-{n}") for n in range(count)
            )
            Attempt.objects.bulk_create(Attempt(exam=exam, user=user) for user in users)
            made = Attempt.objects.filter(user__in=users)
            AttemptItem.objects.bulk_create(
                AttemptItem(attempt=attempt, question_id=question, order=order, selected_answers=[1])
                for attempt in made
                for order, question in enumerate(questions, start=1)
            )
            RefusedRequest.objects.bulk_create(
                RefusedRequest(
                    attempt=a, exam=exam, user_id=a.user_id, code="attempt_completed", action="save"
                )
                for a in made
            )

        def page_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(url(exam))
            assert response.status_code == 200
            return len(queries)

        add_attempts(1)
        one = page_queries()
        add_attempts(999)
        assert Attempt.objects.filter(exam=exam).count() == 1000
        assert page_queries() == one
        # The session and user, the exam, then live.py's five: who may take it, the attempts'
        # headcount, saves per minute, least progress, refusals (+ the savepoint pair of the request);
        # and the admin navigation's "may add the exam webhook" (a singleton: does it exist yet?).
        assert one == 2 + 1 + 5 + 1 + (2 if connection.settings_dict.get("ATOMIC_REQUESTS") else 0)


class TestWhoMayOpenIt:
    @pytest.mark.parametrize(
        ("permissions", "status"),
        [
            (["exams.view_exam", "attempts.view_attempt"], 200),
            (["exams.view_exam"], 403),
            (["attempts.view_attempt"], 403),
            ([], 403),
        ],
    )
    def test_staff_need_to_view_both_the_exam_and_its_attempts(self, client, permissions, status):
        client.force_login(UserFactory(is_staff=True, permissions=permissions))
        assert client.get(url(ExamFactory())).status_code == status

    def test_a_student_is_sent_to_the_login_page(self, client):
        client.force_login(UserFactory())
        response = client.get(url(ExamFactory()))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))

    def test_the_exam_list_links_open_exams_and_the_change_page_every_exam(self, admin_client):
        running, closed = ExamFactory(), ExamFactory(closed=True)
        changelist = admin_client.get(reverse("admin:exams_exam_changelist")).content.decode()
        assert f'href="{url(running)}"' in changelist
        assert f'href="{url(closed)}"' not in changelist
        change = admin_client.get(reverse("admin:exams_exam_change", args=[closed.pk])).content.decode()
        assert f'href="{url(closed)}"' in change

    def test_a_closed_exam_says_so(self, admin_client):
        content = admin_client.get(url(ExamFactory(closed=True))).content.decode()
        assert '<span class="closed">Closed</span>' in content
        assert "No attempt is running." in content
        assert "No request has been refused for an ended attempt." in content
