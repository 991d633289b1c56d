"""Sectionally timed exams through the student API: sections taken one at a time, each on its own clock.

Every step follows a URL the server printed (the attempt's `sections`, their start_url, end_url and
questions_url, the items' url). The wall clock is moved with time_machine.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attempts.models import Attempt, AttemptItem, AttemptSection
from attempts.services import end_overdue_attempts
from tests.attempts.conftest import QUESTION_KINDS, correct_ids, wrong_ids
from tests.factories import (
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
    offer_in,
    translate,
)
from tests.query_counts import request_queries

from .test_lifecycle_api import EXAMS, act, answer, begin, ok, question_of, questions

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
STUDENT_VERSIONS = ["v2.1", "v2.2", "v2.2.1", "v2.3"]
SECTION_KEYS = {
    "id",
    "order",
    "name",
    "state",
    "duration",
    "remaining_time",
    "instructions",
    "questions_url",
    "start_url",
    "end_url",
}


def add_sections(exam, minutes: list[int | None], per_section: int = 2):
    """Sections of these durations (None: untimed), each with `per_section` single-choice questions."""
    order = 0
    for position, length in enumerate(minutes):
        section = SectionFactory(
            exam=exam,
            order=position + 1,
            name=f"Part {position + 1}",
            duration=None if length is None else length * MINUTE,
            instructions=f"<p>Part {position + 1}: answer all.</p>",
        )
        for _ in range(per_section):
            order += 1
            question = QuestionFactory(**QUESTION_KINDS["R"])
            ExamQuestionFactory(exam=exam, question=question, section=section, order=order)
    return exam


@pytest.fixture
def sectional_exam(db, now):
    """Three sections of 10, 5 and 5 minutes, two questions each; opened a day ago, closing in a week."""

    def make(minutes=(10, 5, 5), **fields):
        fields.setdefault("start_date", now - timedelta(days=1))
        fields.setdefault("end_date", now + timedelta(days=7))
        fields.setdefault("duration", sum((m or 0 for m in minutes), 0) * MINUTE)
        return add_sections(ExamFactory(**fields), list(minutes))

    return make


@pytest.fixture
def clock(now):
    """The wall clock, a minute after the tokens were issued (a clock set before them rejects them)."""
    with time_machine.travel(now + MINUTE, tick=False) as traveller:
        yield traveller


def patch(client, url):
    return client.patch(url, format="json")


def section(attempt: dict, position: int) -> dict:
    return attempt["sections"][position]


def refresh(client, attempt: dict) -> dict:
    return ok(client.get(attempt["url"]))


def section_items(client, row: dict) -> list[dict]:
    return ok(client.get(row["questions_url"], {"per_page": 100}))["results"]


def answer_all(client, items: list[dict], *, right: bool = True) -> None:
    for item in items:
        question = question_of(item)
        ok(answer(client, item, selected_answers=correct_ids(question) if right else wrong_ids(question)[:1]))


# --- The shape -------------------------------------------------------------------------------


class TestShape:
    def test_a_new_attempt_prints_its_sections_not_started_in_order(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam()
        attempt = begin(student_client, exam)
        rows = attempt["sections"]
        assert SECTION_KEYS <= set(rows[0])
        assert [(r["order"], r["name"], r["state"], r["duration"], r["remaining_time"]) for r in rows] == [
            (0, "Part 1", "Not Started", "0:10:00", "0:10:00"),
            (1, "Part 2", "Not Started", "0:05:00", "0:05:00"),
            (2, "Part 3", "Not Started", "0:05:00", "0:05:00"),
        ]
        assert rows[0]["instructions"] == "<p>Part 1: answer all.</p>"
        assert rows[0]["start_url"] == (
            f"http://testserver/api/v2.1/attempts/{attempt['id']}/sections/{rows[0]['id']}/start/"
        )
        # Its duration is the sum of its sections', and no clock runs before the first starts.
        assert (attempt["remaining_time"], attempt["time_taken"]) == ("0:20:00", "0:00:00")
        # Nothing to answer until a section runs.
        assert questions(student_client, attempt) == []

    @pytest.mark.parametrize("version", STUDENT_VERSIONS)
    def test_every_student_prefix_prints_and_serves_the_section_urls(
        self, student_client, sectional_exam, clock, version
    ):
        exam = sectional_exam()
        created = begin(student_client, exam)
        attempt = ok(student_client.get(f"/api/{version}/attempts/{created['id']}/"))
        first = section(attempt, 0)
        for key in ("questions_url", "start_url", "end_url"):
            assert first[key].startswith(
                f"http://testserver/api/{version}/attempts/{attempt['id']}/sections/"
            )
        started = ok(patch(student_client, first["start_url"]))
        assert started["state"] == "Running"
        assert started["end_url"] == first["end_url"]
        assert len(section_items(student_client, started)) == 2

    def test_untimed_sections_are_groups_with_the_new_keys(self, student_client, sectional_exam, clock):
        exam = sectional_exam(minutes=(10, None))
        attempt = begin(student_client, exam)
        assert Attempt.objects.get(pk=attempt["id"]).sectionally_timed is False
        assert not AttemptSection.objects.exists()
        first, second = attempt["sections"]
        assert SECTION_KEYS <= set(first)
        # Each prints the attempt's state and no clock of its own; all the questions stay answerable.
        assert [(r["order"], r["state"], r["remaining_time"]) for r in (first, second)] == [
            (0, "Running", None),
            (1, "Running", None),
        ]
        assert len(questions(student_client, attempt)) == 4
        assert len(section_items(student_client, second)) == 2
        assert ok(patch(student_client, second["start_url"]))["state"] == "Running"
        refused = patch(student_client, second["end_url"])
        assert (refused.status_code, refused.json()["error_code"]) == (403, "section_end_not_allowed")

    def test_scores_and_cut_off_per_section_and_their_disclosure(self, student_client, sectional_exam, clock):
        exam = sectional_exam(minutes=(5, 5), allow_preemptive_section_ending=True, show_score=False)
        attempt = begin(student_client, exam)
        for position in (0, 1):
            row = ok(patch(student_client, section(refresh(student_client, attempt), position)["start_url"]))
            answer_all(student_client, section_items(student_client, row), right=position == 0)
            ok(patch(student_client, row["end_url"]))
        ended = refresh(student_client, attempt)
        assert ended["state"] == "Completed"
        # show_score off: the per-section counts and score are withheld, the cut-off (a rule) is not.
        assert [(r["score"], r["correct"], r["cut_off"]) for r in ended["sections"]] == [
            (None, None, "0.00"),
            (None, None, "0.00"),
        ]
        exam.show_score = True
        exam.save(update_fields=["show_score"])
        shown = refresh(student_client, attempt)
        assert [(r["score"], r["correct"], r["state"]) for r in shown["sections"]] == [
            ("2.00", 2, "Completed"),
            ("0.00", 0, "Completed"),
        ]


# --- Starting and ending ------------------------------------------------------------------------


class TestStartAndEnd:
    def test_a_section_starts_only_after_those_before_it(self, student_client, sectional_exam, clock):
        exam = sectional_exam(allow_preemptive_section_ending=True)
        attempt = begin(student_client, exam)
        refused = patch(student_client, section(attempt, 1)["start_url"])
        assert (refused.status_code, refused.json()["error_code"]) == (409, "section_not_startable")
        ok(patch(student_client, section(attempt, 0)["start_url"]))
        # The first is running: the second still waits for it.
        refused = patch(student_client, section(attempt, 1)["start_url"])
        assert (refused.status_code, refused.json()["error_code"]) == (409, "section_not_startable")
        ok(patch(student_client, section(attempt, 0)["end_url"]))
        # A completed section cannot start again; the next one can.
        refused = patch(student_client, section(attempt, 0)["start_url"])
        assert (refused.status_code, refused.json()["error_code"]) == (409, "section_not_startable")
        assert ok(patch(student_client, section(attempt, 1)["start_url"]))["state"] == "Running"
        assert [r["state"] for r in refresh(student_client, attempt)["sections"]] == [
            "Completed",
            "Running",
            "Not Started",
        ]

    def test_starting_a_running_section_again_answers_it_unchanged(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam()
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        clock.shift(2 * MINUTE)
        again = ok(patch(student_client, first["start_url"]))
        assert (again["state"], again["time_taken"], again["remaining_time"]) == (
            "Running",
            "0:01:30",
            "0:08:30",
        )
        assert AttemptSection.objects.get(section_id=first["id"]).started_at == first_start(exam)

    def test_ending_early_without_permission_is_refused_and_changes_nothing(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam()
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        clock.shift(MINUTE)
        refused = patch(student_client, first["end_url"])
        assert (refused.status_code, refused.json()["error_code"]) == (403, "section_end_not_allowed")
        stored = AttemptSection.objects.get(section_id=first["id"])
        assert (stored.get_state_display(), stored.completed_at) == ("Running", None)

    def test_ending_early_with_permission_completes_it_and_the_next_waits(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam(allow_preemptive_section_ending=True)
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        clock.shift(3 * MINUTE)
        ended = ok(patch(student_client, first["end_url"]))
        assert (ended["state"], ended["time_taken"], ended["remaining_time"]) == (
            "Completed",
            "0:01:30",
            "0:00:00",
        )
        # Ending it again answers it as it is.
        assert ok(patch(student_client, first["end_url"])) == ended
        clock.shift(30 * MINUTE)
        read = refresh(student_client, attempt)
        # Between sections no clock runs: the time left is the next two sections' whole.
        assert (read["state"], read["time_taken"], read["remaining_time"]) == (
            "Running",
            "0:01:30",
            "0:10:00",
        )
        assert section(read, 1)["state"] == "Not Started"
        not_running = patch(student_client, section(read, 1)["end_url"])
        assert (not_running.status_code, not_running.json()["error_code"]) == (409, "section_not_running")

    def test_a_section_of_another_exam_is_404(self, student_client, sectional_exam, clock):
        attempt = begin(student_client, sectional_exam())
        stranger = SectionFactory()
        url = f"{attempt['url']}sections/{stranger.pk}/"
        for response in (patch(student_client, f"{url}start/"), student_client.get(f"{url}questions/")):
            assert (response.status_code, response.json()["error_code"]) == (404, "section_not_found")


def first_start(exam):
    return AttemptSection.objects.filter(attempt__exam=exam, order=0).get().started_at


# --- Saving ------------------------------------------------------------------------------------


class TestSaving:
    def test_saving_into_a_section_that_is_not_running_is_refused_and_changes_nothing(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam()
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        mine = section_items(student_client, first)
        later = AttemptItem.objects.filter(attempt_id=attempt["id"]).exclude(pk__in=[i["id"] for i in mine])[
            0
        ]
        later_url = f"{attempt['url']}questions/{later.pk}/"
        clock.shift(MINUTE)
        before = Attempt.objects.get(pk=attempt["id"])
        running_before = AttemptSection.objects.get(section_id=first["id"])
        refused = student_client.put(
            later_url, {"selected_answers": correct_ids(later.question)}, format="json"
        )
        assert (refused.status_code, refused.json()["error_code"]) == (409, "section_not_running")
        later.refresh_from_db()
        after = Attempt.objects.get(pk=attempt["id"])
        running_after = AttemptSection.objects.get(section_id=first["id"])
        assert (later.selected_answers, later.duration) == ([], None)
        assert (after.time_taken, after.clock_checked_at) == (before.time_taken, before.clock_checked_at)
        assert (running_after.time_taken, running_after.clock_checked_at) == (
            running_before.time_taken,
            running_before.clock_checked_at,
        )
        # The attempt's questions are the running section's; the later section's are closed.
        assert [i["id"] for i in questions(student_client, attempt)] == [i["id"] for i in mine]
        closed = student_client.get(section(attempt, 1)["questions_url"])
        assert (closed.status_code, closed.json()["error_code"]) == (409, "section_not_running")

    def test_a_section_whose_time_runs_out_mid_save_keeps_what_came_before(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam()
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        early, late = section_items(student_client, first)
        # Heartbeats every minute up to 9:30 used; the next save lands after the 10 minutes.
        for _ in range(9):
            clock.shift(MINUTE)
            ok(act(student_client, attempt, "heartbeat"))
        clock.shift(30 * timedelta(seconds=1))
        ok(answer(student_client, early, selected_answers=correct_ids(question_of(early))))
        clock.shift(MINUTE)
        refused = answer(student_client, late, selected_answers=correct_ids(question_of(late)))
        assert (refused.status_code, refused.json()["error_code"]) == (409, "section_not_running")
        assert AttemptItem.objects.get(pk=late["id"]).selected_answers == []
        assert AttemptItem.objects.get(pk=early["id"]).selected_answers == correct_ids(question_of(early))
        read = refresh(student_client, attempt)
        assert [(r["state"], r["time_taken"]) for r in read["sections"][:2]] == [
            ("Completed", "0:10:00"),
            ("Not Started", "0:00:00"),
        ]
        assert read["state"] == "Running"


# --- The clock ---------------------------------------------------------------------------------


class TestSectionClock:
    def test_pause_model_counts_a_section_while_the_app_talks_gaps_capped_by_the_grace(
        self, student_client, sectional_exam, clock, settings
    ):
        settings.ATTEMPT_TIME_GRACE = timedelta(seconds=90)
        exam = sectional_exam()
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        clock.shift(MINUTE)
        ok(act(student_client, attempt, "heartbeat"))
        clock.shift(20 * MINUTE)
        beat = ok(act(student_client, attempt, "heartbeat"))
        row = section(beat, 0)
        assert (row["state"], row["time_taken"], row["remaining_time"]) == ("Running", "0:02:30", "0:07:30")
        assert (beat["time_taken"], beat["remaining_time"]) == ("0:02:30", "0:17:30")
        assert first["remaining_time"] == "0:10:00"

    def test_strict_mode_fixes_a_sections_deadline_when_it_starts(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam(disable_attempt_resume=True)
        attempt = begin(student_client, exam)
        # The attempt waits ten minutes before the first section: strict time counts per section.
        clock.shift(10 * MINUTE)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        assert first["remaining_time"] == "0:10:00"
        clock.shift(7 * MINUTE)
        row = section(refresh(student_client, attempt), 0)
        assert (row["time_taken"], row["remaining_time"]) == ("0:07:00", "0:03:00")
        clock.shift(3 * MINUTE)
        read = refresh(student_client, attempt)
        assert [(r["state"], r["time_taken"]) for r in read["sections"]] == [
            ("Completed", "0:10:00"),
            ("Not Started", "0:00:00"),
            ("Not Started", "0:00:00"),
        ]
        assert (read["state"], read["remaining_time"]) == ("Running", "0:10:00")

    def test_strict_mode_a_section_never_runs_past_the_exams_end(
        self, student_client, sectional_exam, clock, now
    ):
        exam = sectional_exam(disable_attempt_resume=True, end_date=now + 5 * MINUTE)
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        assert first["remaining_time"] == "0:04:00"
        clock.shift(4 * MINUTE)
        read = refresh(student_client, attempt)
        assert (read["state"], section(read, 0)["time_taken"]) == ("Completed", "0:04:00")


# --- The sweep and the end ----------------------------------------------------------------------


class TestSweepAndScore:
    def test_the_sweep_completes_an_overdue_section_and_leaves_the_attempt_running(
        self, student_client, sectional_exam, clock
    ):
        exam = sectional_exam(disable_attempt_resume=True)
        attempt = begin(student_client, exam)
        ok(patch(student_client, section(attempt, 0)["start_url"]))
        clock.shift(11 * MINUTE)
        assert end_overdue_attempts().done == (attempt["id"],)
        states = list(AttemptSection.objects.filter(attempt_id=attempt["id"]).values_list("state", flat=True))
        assert states == [1, 3, 3]
        assert Attempt.objects.get(pk=attempt["id"]).get_state_display() == "Running"
        # Nothing more is overdue: the next section waits for its start.
        assert end_overdue_attempts().done == ()

    def test_the_sweep_completes_and_scores_an_attempt_whose_last_section_expired(
        self, student_client, sectional_exam, clock, settings
    ):
        exam = sectional_exam(minutes=(5, 5), allow_preemptive_section_ending=True)
        attempt = begin(student_client, exam)
        first = ok(patch(student_client, section(attempt, 0)["start_url"]))
        answer_all(student_client, section_items(student_client, first))
        ok(patch(student_client, first["end_url"]))
        last = ok(patch(student_client, section(attempt, 1)["start_url"]))
        item = section_items(student_client, last)[0]
        ok(answer(student_client, item, selected_answers=correct_ids(question_of(item))))
        # The app goes away; in pause mode the gap is charged up to the grace, then the section is out.
        settings.ATTEMPT_TIME_GRACE = timedelta(minutes=10)
        clock.shift(6 * MINUTE)
        assert end_overdue_attempts().done == (attempt["id"],)
        stored = Attempt.objects.get(pk=attempt["id"])
        assert (stored.get_state_display(), stored.correct_count, stored.score) == (
            "Completed",
            3,
            Decimal("3"),
        )
        assert not AttemptSection.objects.filter(attempt=stored).exclude(state=1).exists()

    def test_completing_the_last_section_scores_as_the_same_answers_in_one_untimed_exam(
        self, student, student_client, sectional_exam, exam_of, clock
    ):
        fields = {"negative_marks": Decimal("0.25"), "allow_preemptive_section_ending": True}
        sectional = sectional_exam(**fields)
        plain = exam_of("RRRRRR", **fields)
        pattern = [True, False, True, True, False, False]

        attempt = begin(student_client, sectional)
        answered = 0
        for position in range(3):
            row = ok(patch(student_client, section(refresh(student_client, attempt), position)["start_url"]))
            for item in section_items(student_client, row):
                question = question_of(item)
                chosen = correct_ids(question) if pattern[answered] else wrong_ids(question)[:1]
                ok(answer(student_client, item, selected_answers=chosen))
                answered += 1
            last = ok(patch(student_client, row["end_url"]))
        assert last["state"] == "Completed"
        sectional_result = refresh(student_client, attempt)

        other = begin(student_client, plain)
        for right, item in zip(pattern, questions(student_client, other), strict=True):
            question = question_of(item)
            ok(
                answer(
                    student_client,
                    item,
                    selected_answers=correct_ids(question) if right else wrong_ids(question)[:1],
                )
            )
        plain_result = ok(act(student_client, other, "end"))

        keys = ("state", "score", "correct_count", "incorrect_count", "unanswered_count", "percentage")
        assert [sectional_result[k] for k in keys] == [plain_result[k] for k in keys]
        # Three right (+3), three wrong at −0.25 each (−0.75).
        assert sectional_result["score"] == "2.25"


# --- What it costs -------------------------------------------------------------------------------


class TestQueryBudgets:
    @pytest.mark.parametrize("action", ["detail", "start", "heartbeat"])
    def test_detail_start_and_heartbeat_cost_the_same_at_1_and_5_sections(
        self, client_for, sectional_exam, clock, action
    ):
        counts = []
        for minutes in ([10], [10, 5, 5, 5, 5]):
            client = client_for(UserFactory())
            attempt = begin(client, sectional_exam(minutes=minutes))
            ok(patch(client, section(attempt, 0)["start_url"]))
            with CaptureQueriesContext(connection) as captured:
                if action == "detail":
                    ok(client.get(attempt["url"]))
                else:
                    ok(act(client, attempt, action))
            counts.append(len(captured))
        # detail: user, attempt (standing, exam), its exam's languages, its section counts, its clocks.
        # start/heartbeat: user, the unlocked read that finds the attempt timed by section (so decided
        # under the lock), lock, clocks, update attempt, update the running section, the exam with the
        # user's counts and its language count, section counts; and the service's savepoint and its
        # release inside a test's transaction (4 in all for an attempt of an exam not timed by section,
        # test_lifecycle_api's budgets).
        budget = {"detail": 6, "start": 10, "heartbeat": 10}[action]
        assert counts == [request_queries(budget, atomic=False)] * 2


# --- The whole exam, end to end ----------------------------------------------------------------


def test_a_sectionally_timed_exam_end_to_end_following_printed_urls(student_client, sectional_exam, clock):
    """Start each section, answer it, end it, then read the review: only URLs the server printed.

    Written step by step so that more can be added per section (a second language, say).
    """
    exam = sectional_exam(allow_preemptive_section_ending=True, negative_marks=Decimal("1.00"))
    listed = ok(student_client.get(f"{EXAMS}available/"))["results"]
    attempts_url = next(row["attempts_url"] for row in listed if row["slug"] == exam.slug)
    attempt = ok(student_client.post(attempts_url), 201)

    for position in range(len(attempt["sections"])):
        row = section(refresh(student_client, attempt), position)
        assert row["state"] == "Not Started"
        started = ok(patch(student_client, row["start_url"]))
        assert started["state"] == "Running"
        items = section_items(student_client, started)
        assert [i["id"] for i in items] == [i["id"] for i in questions(student_client, attempt)]
        first, second = items
        ok(answer(student_client, first, selected_answers=correct_ids(question_of(first))))
        ok(answer(student_client, second, selected_answers=wrong_ids(question_of(second))[:1]))
        clock.shift(MINUTE)
        ok(act(student_client, attempt, "heartbeat"))
        ended = ok(patch(student_client, started["end_url"]))
        assert ended["state"] == "Completed"

    result = refresh(student_client, attempt)
    assert (result["state"], result["score"], result["correct_count"], result["incorrect_count"]) == (
        "Completed",
        "0.00",
        3,
        3,
    )
    assert [(r["state"], r["score"], r["time_taken"]) for r in result["sections"]] == [
        ("Completed", "0.00", "0:01:00"),
        ("Completed", "0.00", "0:01:00"),
        ("Completed", "0.00", "0:01:00"),
    ]
    review = ok(student_client.get(result["review_url"]))["results"]
    assert [r["result"] for r in review] == ["correct", "incorrect"] * 3


def test_creating_an_attempt_costs_the_same_at_1_and_5_sections(sectional_exam, now):
    from attempts.services import attempt_create
    from tests.query_counts import statements

    runs = [(UserFactory(), sectional_exam(minutes=minutes)) for minutes in ([10], [10, 5, 5, 5, 5])]
    # As for any exam (services' TestQueryBudget.test_create: 6, 5 on PostgreSQL), plus the sections'
    # one INSERT (on PostgreSQL in the same statement as the items and the outbox row).
    costs = [
        len(statements(lambda user=user, exam=exam: attempt_create(user=user, exam=exam, now=now + MINUTE)))
        for user, exam in runs
    ]
    assert costs == ([5, 5] if connection.vendor == "postgresql" else [7, 7])
    assert [AttemptSection.objects.filter(attempt__exam=exam).count() for _, exam in runs] == [1, 5]


def test_a_sectionally_timed_bilingual_exam_answered_in_hindi_end_to_end(
    student_client, sectional_exam, clock
):
    """As above, with the paper in English and Hindi: each answer is chosen from the Hindi text, by the
    printed Hindi choices' ids, and scores as the same answer; the review discloses in both languages."""
    exam = sectional_exam(allow_preemptive_section_ending=True, negative_marks=Decimal("1.00"))
    offer_in(exam, "en", "hi")
    for link in exam.exam_questions.select_related("question"):
        translate(link.question, "hi")
    listed = ok(student_client.get(f"{EXAMS}available/"))["results"]
    row = next(row for row in listed if row["slug"] == exam.slug)
    assert [language["code"] for language in row["languages"]] == ["en", "hi"]
    attempt = ok(student_client.post(row["attempts_url"]), 201)

    for position in range(len(attempt["sections"])):
        started = ok(patch(student_client, section(refresh(student_client, attempt), position)["start_url"]))
        first, second = section_items(student_client, started)
        for item, right in ((first, True), (second, False)):
            [hindi] = item["question"]["translations"]
            assert (item["question"]["language"], hindi["language"]) == ("en", "hi")
            key = set(correct_ids(question_of(item)))
            # The student reads the Hindi choices; the ids printed beside them are the answer.
            chosen = [choice["id"] for choice in hindi["answers"] if (choice["id"] in key) == right][:1]
            assert all(choice["text_html"].startswith("<p>[hi]") for choice in hindi["answers"])
            ok(answer(student_client, item, selected_answers=chosen))
        clock.shift(MINUTE)
        assert ok(patch(student_client, started["end_url"]))["state"] == "Completed"

    result = refresh(student_client, attempt)
    assert (result["state"], result["correct_count"], result["incorrect_count"], result["score"]) == (
        "Completed",
        3,
        3,
        "0.00",
    )
    review = ok(student_client.get(result["review_url"]))["results"]
    assert [r["result"] for r in review] == ["correct", "incorrect"] * 3
    for item in review:
        [hindi] = item["question"]["translations"]
        english_key = {a["id"]: a["is_correct"] for a in item["question"]["answers"]}
        assert {a["id"]: a["is_correct"] for a in hindi["answers"]} == english_key
