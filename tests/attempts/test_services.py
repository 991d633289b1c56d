import itertools
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from attempts import errors, services, timing
from attempts.choices import AttemptResult, AttemptState, ItemResult
from attempts.models import Attempt, AttemptItem
from attempts.services import (
    attempt_create,
    attempt_end,
    attempt_heartbeat,
    attempt_rescore,
    attempt_save_item,
    attempt_start,
    end_overdue_attempts,
    item_mark_essay,
)
from testpress.errors import Conflict, Invalid, NotFound
from tests.factories import AttemptFactory, UserFactory
from tests.query_counts import statements

from .conftest import correct_ids, wrong_ids

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def items_of(attempt):
    return list(attempt.items.select_related("question").order_by("order"))


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


class TestAttemptCreate:
    def test_creates_a_running_attempt_with_one_item_per_question_in_order(self, exam_of, student, now):
        exam = exam_of("RCNE")
        attempt = attempt_create(user=student, exam=exam, now=now)

        attempt = reload(attempt)
        assert attempt.state == AttemptState.RUNNING
        assert attempt.attempt_number == 1
        assert attempt.date == attempt.last_started_time == attempt.clock_checked_at == now
        assert (attempt.total_questions, attempt.total_marks) == (4, D("4.00"))
        links = list(exam.exam_questions.order_by("order"))
        items = items_of(attempt)
        assert [i.question_id for i in items] == [link.question_id for link in links]
        assert [i.section_id for i in items] == [link.section_id for link in links]
        assert [i.order for i in items] == [1, 2, 3, 4]

    def test_a_create_that_loses_a_race_to_the_constraint_is_the_409_and_writes_nothing(
        self, exam_of, student, now, monkeypatch
    ):
        # As if the user's row lock had not kept a second create out: its history misses the first
        # attempt, and the one-open-attempt constraint refuses the insert.
        exam = exam_of("RR")
        first = attempt_create(user=student, exam=exam, now=now)
        monkeypatch.setattr(
            services, "_locked_history", lambda **_: {"used": 0, "last_number": 1, "open_id": None}
        )

        with pytest.raises(errors.AttemptRunning) as refused:
            attempt_create(user=student, exam=exam, now=now)

        assert refused.value.code == "attempt_running"
        assert list(Attempt.objects.values_list("pk", flat=True)) == [first.pk]
        assert AttemptItem.objects.count() == 2  # the loser's items went with its attempt
        # The caller's transaction (the test's) is still usable: the loser rolled back to its savepoint.
        assert Attempt.objects.get().state == AttemptState.RUNNING

    def test_total_marks_use_each_questions_marks_when_the_exam_says_so(self, exam_of, student, now):
        exam = exam_of("RR", variable_mark_per_question=True)
        first, second = (link.question for link in exam.exam_questions.all())
        first.marks, second.marks = D("2.5"), D("4")
        first.save(), second.save()
        assert attempt_create(user=student, exam=exam, now=now).total_marks == D("6.5")

    @pytest.mark.parametrize("when", ["upcoming", "closed"])
    def test_refused_when_the_exam_is_not_open(self, exam_of, student, now, when):
        window = {
            "upcoming": {"start_date": now + MINUTE, "end_date": now + timedelta(days=1)},
            "closed": {"start_date": now - timedelta(days=1), "end_date": now},
        }[when]
        exam = exam_of(**window)
        with pytest.raises(errors.ExamNotOpen) as refused:
            attempt_create(user=student, exam=exam, now=now)
        assert refused.value.code == "exam_not_open"
        assert not Attempt.objects.exists()

    def test_refused_with_409_and_the_attempt_id_while_one_is_open(self, exam_of, student, now):
        exam = exam_of()
        running = attempt_create(user=student, exam=exam, now=now)
        with pytest.raises(errors.AttemptRunning) as refused:
            attempt_create(user=student, exam=exam, now=now)
        assert isinstance(refused.value, Conflict)
        assert refused.value.extra == {"attempt_id": running.pk}
        assert Attempt.objects.count() == 1

    def test_a_not_started_attempt_also_blocks_a_new_one(self, exam_of, student, now):
        exam = exam_of()
        waiting = AttemptFactory(exam=exam, user=student, state=AttemptState.NOT_STARTED)
        with pytest.raises(errors.AttemptRunning) as refused:
            attempt_create(user=student, exam=exam, now=now)
        assert refused.value.extra == {"attempt_id": waiting.pk}

    def test_no_retakes_allows_one_attempt(self, exam_of, student, now):
        exam = exam_of(allow_retake=False)
        attempt_end(attempt=attempt_create(user=student, exam=exam, now=now), now=now)
        with pytest.raises(errors.RetakesExhausted) as refused:
            attempt_create(user=student, exam=exam, now=now)
        assert refused.value.code == "retakes_exhausted"

    def test_max_retakes_counts_retakes_after_the_first_attempt(self, exam_of, student, now):
        exam = exam_of(allow_retake=True, max_retakes=1)
        for number in (1, 2):
            attempt = attempt_create(user=student, exam=exam, now=now)
            assert attempt.attempt_number == number
            attempt_end(attempt=attempt, now=now)
        with pytest.raises(errors.RetakesExhausted):
            attempt_create(user=student, exam=exam, now=now)

    @pytest.mark.parametrize("max_retakes", [None, -1])
    def test_unlimited_retakes(self, exam_of, student, now, max_retakes):
        exam = exam_of(allow_retake=True, max_retakes=max_retakes)
        for _ in range(3):
            attempt_end(attempt=attempt_create(user=student, exam=exam, now=now), now=now)
        assert exam.attempts.count() == 3

    def test_numbers_follow_the_highest_even_after_a_deletion(self, exam_of, student, now):
        exam = exam_of()
        first = attempt_create(user=student, exam=exam, now=now)
        attempt_end(attempt=first, now=now)
        attempt_end(attempt=attempt_create(user=student, exam=exam, now=now), now=now)
        first.delete()
        assert attempt_create(user=student, exam=exam, now=now).attempt_number == 3

    @pytest.mark.parametrize(
        ("existing", "error"),
        [("running", errors.AttemptRunning), ("completed", errors.RetakesExhausted)],
    )
    def test_a_race_lost_at_the_constraint_gets_the_same_answer(
        self, exam_of, student, now, monkeypatch, existing, error
    ):
        """As if another request inserted between our read and our insert (the lock normally prevents it)."""
        exam = exam_of(allow_retake=False)
        other = attempt_create(user=student, exam=exam, now=now)
        if existing == "completed":
            attempt_end(attempt=other, now=now)
        real = services._history
        reads = iter([{"used": 0, "last_number": None, "open_id": None}])
        monkeypatch.setattr(services, "_history", lambda **kw: next(reads, None) or real(**kw))

        with pytest.raises(error):
            attempt_create(user=student, exam=exam, now=now)
        assert Attempt.objects.count() == 1

    def test_other_users_and_exams_do_not_count(self, exam_of, student, now):
        exam = exam_of(allow_retake=False)
        attempt_create(user=UserFactory(), exam=exam, now=now)
        attempt_create(user=student, exam=exam_of(allow_retake=False), now=now)
        assert attempt_create(user=student, exam=exam, now=now).attempt_number == 1


class TestAttemptStart:
    def test_resuming_charges_the_gap_up_to_the_grace_and_restarts_the_clock(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        later = now + timedelta(hours=1)
        started = attempt_start(attempt=attempt, now=later)
        assert started.time_taken == timedelta(seconds=90)
        assert reload(attempt).last_started_time == reload(attempt).clock_checked_at == later

    def test_harmless_on_a_running_attempt(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        started = attempt_start(attempt=attempt, now=now)
        assert (started.state, started.time_taken) == (AttemptState.RUNNING, timedelta(0))

    def test_starts_a_not_started_attempt(self, exam_of, student, now):
        attempt = AttemptFactory(
            exam=exam_of(), user=student, state=AttemptState.NOT_STARTED, clock_checked_at=None
        )
        started = attempt_start(attempt=attempt, now=now)
        assert (started.state, started.clock_checked_at) == (AttemptState.RUNNING, now)

    def test_refused_on_a_completed_attempt(self, exam_of, student, now):
        attempt = attempt_end(attempt=attempt_create(user=student, exam=exam_of(), now=now), now=now)
        with pytest.raises(errors.AttemptCompleted) as refused:
            attempt_start(attempt=attempt, now=now + MINUTE)
        assert refused.value.code == "attempt_completed"
        assert reload(attempt).last_started_time == now

    def test_an_overdue_attempt_is_completed_and_refused(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=29, seconds=30))
        with pytest.raises(errors.AttemptTimeUp) as refused:
            attempt_start(attempt=attempt, now=now + timedelta(hours=1))
        assert refused.value.code == "attempt_completed"
        attempt = reload(attempt)
        assert attempt.state == AttemptState.COMPLETED
        assert attempt.time_taken == timedelta(minutes=30)


class TestAttemptHeartbeat:
    def test_counts_the_time_since_the_last_request(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        attempt_heartbeat(attempt=attempt, now=now + MINUTE)
        beat = attempt_heartbeat(attempt=attempt, now=now + 2 * MINUTE)
        assert (beat.time_taken, beat.clock_checked_at) == (2 * MINUTE, now + 2 * MINUTE)
        assert timing.remaining_time_at(beat, now + 2 * MINUTE) == timedelta(minutes=28)
        assert reload(attempt).time_taken == 2 * MINUTE

    def test_completes_the_attempt_when_the_time_is_up(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=29, seconds=30))
        beat = attempt_heartbeat(attempt=attempt, now=now + MINUTE)
        assert beat.state == AttemptState.COMPLETED
        assert timing.remaining_time_at(beat, now + MINUTE) == timedelta(0)
        assert reload(attempt).completed_at == now + MINUTE

    def test_on_a_completed_attempt_answers_it_unchanged(self, exam_of, student, now):
        ended = attempt_end(attempt=attempt_create(user=student, exam=exam_of(), now=now), now=now)
        beat = attempt_heartbeat(attempt=ended, now=now + timedelta(hours=1))
        assert (beat.state, beat.time_taken, beat.completed_at) == (AttemptState.COMPLETED, timedelta(0), now)


class TestAttemptSaveItem:
    @pytest.fixture
    def attempt(self, exam_of, student, now):
        return attempt_create(user=student, exam=exam_of("RCNE"), now=now)

    def test_saves_the_choices_and_moves_the_clock(self, attempt, now):
        single = items_of(attempt)[0]
        choice = correct_ids(single.question)
        saved = attempt_save_item(attempt=attempt, item=single, selected_answers=choice, now=now + MINUTE)
        assert (saved.selected_answers, saved.duration) == (choice, MINUTE)
        assert reload(single).selected_answers == choice
        attempt = reload(attempt)
        assert attempt.time_taken == MINUTE
        assert attempt.last_answer_updated_time == attempt.clock_checked_at == now + MINUTE

    def test_only_the_given_fields_change(self, attempt, now):
        essay = items_of(attempt)[3]
        attempt_save_item(attempt=attempt, item=essay, essay_text="First draft.", review=True, now=now)
        attempt_save_item(attempt=attempt, item=essay, review=False, now=now)
        essay = reload(essay)
        assert (essay.essay_text, essay.review) == ("First draft.", False)

    def test_a_review_flag_alone_is_not_an_answer(self, attempt, now):
        attempt_save_item(attempt=attempt, item=items_of(attempt)[0], review=True, now=now + MINUTE)
        assert reload(attempt).last_answer_updated_time is None

    def test_time_spent_adds_up_per_item(self, attempt, now):
        single = items_of(attempt)[0]
        attempt_save_item(attempt=attempt, item=single, review=True, now=now + MINUTE)
        attempt_save_item(attempt=attempt, item=single, review=False, now=now + 3 * MINUTE)
        assert reload(single).duration == timedelta(seconds=150)

    def test_numerical_answer_is_stored_trimmed(self, attempt, now):
        numerical = items_of(attempt)[2]
        attempt_save_item(attempt=attempt, item=numerical, short_text=" 9.81 ", now=now)
        assert reload(numerical).short_text == "9.81"

    def test_clearing_an_answer(self, attempt, now):
        single = items_of(attempt)[0]
        attempt_save_item(
            attempt=attempt, item=single, selected_answers=correct_ids(single.question), now=now
        )
        attempt_save_item(attempt=attempt, item=single, selected_answers=[], now=now)
        assert reload(single).selected_answers == []

    @pytest.mark.parametrize(
        ("position", "changes", "error"),
        [
            (0, {"selected_answers": "other-question"}, errors.InvalidChoice),
            (0, {"selected_answers": "two-ids"}, errors.InvalidChoice),
            (0, {"selected_answers": ["abc"]}, errors.InvalidChoice),
            (0, {"selected_answers": [True]}, errors.InvalidChoice),
            (0, {"selected_answers": 5}, errors.InvalidChoice),
            (2, {"short_text": "nine point eight"}, errors.InvalidNumericalAnswer),
            (2, {"short_text": "NaN"}, errors.InvalidNumericalAnswer),
            (2, {"short_text": "1e999999999"}, errors.InvalidNumericalAnswer),
            (2, {"short_text": "1e-999999999"}, errors.InvalidNumericalAnswer),
            (3, {"short_text": "x" * 101}, errors.InvalidText),
            (1, {"selected_answers": "other-question", "review": True}, errors.InvalidChoice),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, attempt, now, position, changes, error):
        items = items_of(attempt)
        item = items[position]
        if changes.get("selected_answers") == "other-question":
            changes["selected_answers"] = [
                correct_ids(item.question)[0],
                correct_ids(items[0].question)[0] + 1000,
            ]
        if changes.get("selected_answers") == "two-ids":
            changes["selected_answers"] = wrong_ids(item.question)[:2]
        with pytest.raises(error) as refused:
            attempt_save_item(attempt=attempt, item=item, now=now + MINUTE, **changes)
        assert isinstance(refused.value, Invalid)
        assert refused.value.code == error.code
        assert error.field in refused.value.fields
        assert reload(item).selected_answers == [] and not reload(item).review
        assert reload(attempt).time_taken == timedelta(0)

    @pytest.mark.parametrize(
        "selection",
        [
            pytest.param(list(range(1, 200_001)), id="200,000 ids"),
            # Endless: a service that read every id before counting them would never return.
            pytest.param(itertools.count(1), id="endless ids"),
        ],
    )
    def test_a_selection_longer_than_the_cap_is_refused_before_its_ids_are_read(
        self, attempt, now, selection
    ):
        multiple = items_of(attempt)[1]
        with pytest.raises(errors.InvalidChoice) as refused:
            attempt_save_item(attempt=attempt, item=multiple, selected_answers=selection, now=now + MINUTE)
        cap = AttemptItem.MAX_SELECTED_ANSWERS
        assert refused.value.fields == {"selected_answers": [f"Choose at most {cap} answers."]}
        assert reload(multiple).selected_answers == []
        assert reload(attempt).time_taken == timedelta(0)

    def test_a_selection_at_the_cap_keeps_each_id_once_in_the_order_given(self, attempt, now):
        multiple = items_of(attempt)[1]
        first, second = correct_ids(multiple.question)
        selection = [second, first] * (AttemptItem.MAX_SELECTED_ANSWERS // 2)
        saved = attempt_save_item(attempt=attempt, item=multiple, selected_answers=selection, now=now)
        assert saved.selected_answers == reload(multiple).selected_answers == [second, first]

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            ("²", "'²'"),
            ("9" * 5000, "'" + "9" * 30 + "'"),
            (-1, "-1"),
            (0, "0"),
            (2**63, "9223372036854775808"),
            (10**5000, "a value of type int"),
            (1.0, "a value of type float"),
            ([[1]], "a value of type list"),
        ],
        ids=["superscript", "5000 digits", "negative", "zero", "2**63", "10**5000", "float", "list"],
    )
    def test_a_value_that_is_not_an_id_is_named_in_the_refusal(self, attempt, now, value, shown):
        single = items_of(attempt)[0]
        with pytest.raises(errors.InvalidChoice) as refused:
            attempt_save_item(attempt=attempt, item=single, selected_answers=[value], now=now)
        assert refused.value.fields == {"selected_answers": [f"Not an answer id: {shown}."]}

    def test_an_essay_over_the_limit_is_refused_and_one_at_it_is_kept(self, attempt, now):
        essay = items_of(attempt)[3]
        limit = AttemptItem.ESSAY_MAX_LENGTH
        with pytest.raises(errors.InvalidEssayText) as refused:
            attempt_save_item(attempt=attempt, item=essay, essay_text="w" * (limit + 1), now=now)
        assert refused.value.fields == {"essay_text": [f"Keep the essay within {limit} characters."]}
        assert reload(essay).essay_text == ""
        attempt_save_item(attempt=attempt, item=essay, essay_text="w" * limit, now=now)
        assert len(reload(essay).essay_text) == limit

    def test_a_choice_of_another_question_of_the_same_exam_is_refused(self, attempt, now):
        single, multiple = items_of(attempt)[:2]
        with pytest.raises(errors.InvalidChoice):
            attempt_save_item(
                attempt=attempt, item=single, selected_answers=[correct_ids(multiple.question)[0]], now=now
            )

    def test_an_item_of_another_attempt_is_not_found(self, attempt, exam_of, now):
        stranger = attempt_create(user=UserFactory(), exam=exam_of(), now=now)
        with pytest.raises(errors.ItemNotFound) as refused:
            attempt_save_item(attempt=attempt, item=items_of(stranger)[0], review=True, now=now)
        assert isinstance(refused.value, NotFound)

    def test_save_after_end_is_refused_and_changes_nothing(self, attempt, now):
        single = items_of(attempt)[0]
        attempt_end(attempt=attempt, now=now + MINUTE)
        with pytest.raises(errors.AttemptCompleted) as refused:
            attempt_save_item(
                attempt=attempt,
                item=single,
                selected_answers=correct_ids(single.question),
                now=now + 2 * MINUTE,
            )
        assert refused.value.code == "attempt_completed"
        assert reload(single).selected_answers == []
        assert reload(attempt).score == D("0")

    def test_save_when_time_is_up_completes_the_attempt_and_is_refused(self, attempt, now):
        single = items_of(attempt)[0]
        attempt_save_item(
            attempt=attempt, item=single, selected_answers=correct_ids(single.question), now=now
        )
        Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=29, seconds=30))
        multiple = items_of(attempt)[1]
        with pytest.raises(errors.AttemptTimeUp):
            attempt_save_item(
                attempt=attempt,
                item=multiple,
                selected_answers=correct_ids(multiple.question),
                now=now + MINUTE,
            )
        attempt = reload(attempt)
        assert attempt.state == AttemptState.COMPLETED
        assert (attempt.correct_count, attempt.score) == (1, D("1"))
        assert reload(multiple).selected_answers == []


class TestAttemptEnd:
    def test_scores_every_type_with_negative_marks(self, exam_of, student, now):
        exam = exam_of("RCNER", mark_per_question=D("4"), negative_marks=D("1"), pass_percentage=D("40"))
        attempt = attempt_create(user=student, exam=exam, now=now)
        single, multiple, numerical, essay, blank = items_of(attempt)
        save = {"attempt": attempt, "now": now + MINUTE}
        attempt_save_item(item=single, selected_answers=correct_ids(single.question), **save)
        attempt_save_item(item=multiple, selected_answers=correct_ids(multiple.question)[:1], **save)
        attempt_save_item(item=numerical, short_text="9.805", **save)
        attempt_save_item(item=essay, essay_text="Photosynthesis makes sugar.", **save)

        ended = attempt_end(attempt=attempt, now=now + 2 * MINUTE)

        assert ended == reload(attempt)
        ended = reload(attempt)
        assert (ended.state, ended.completed_at, ended.clock_checked_at) == (
            AttemptState.COMPLETED,
            now + 2 * MINUTE,
            None,
        )
        assert ended.time_taken == 2 * MINUTE
        # 4 + 4 − 1 (the partial multiple choice) with the essay pending and one left blank.
        assert (ended.score, ended.total_marks, ended.percentage) == (D("7"), D("20"), D("35.00"))
        assert (ended.correct_count, ended.incorrect_count, ended.unanswered_count, ended.pending_count) == (
            2,
            1,
            1,
            1,
        )
        assert (ended.accuracy, ended.speed, ended.result) == (67, 120, AttemptResult.FAIL)
        results = [(i.result, i.marks) for i in items_of(ended)]
        assert results == [
            (ItemResult.CORRECT, D("4")),
            (ItemResult.INCORRECT, D("-1")),
            (ItemResult.CORRECT, D("4")),
            (ItemResult.PENDING, D("0")),
            (ItemResult.UNANSWERED, D("0")),
        ]

    def test_an_ended_attempt_cannot_end_again(self, exam_of, student, now):
        attempt = attempt_end(attempt=attempt_create(user=student, exam=exam_of(), now=now), now=now)
        with pytest.raises(errors.AttemptCompleted):
            attempt_end(attempt=attempt, now=now + MINUTE)
        assert reload(attempt).completed_at == now

    def test_an_overdue_attempt_ends_normally(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        ended = attempt_end(attempt=attempt, now=now + timedelta(days=30))
        assert ended.state == AttemptState.COMPLETED
        assert ended.time_taken == timedelta(seconds=90)

    def test_the_students_own_end_of_an_overdue_attempt_completes_it_timed_out_and_is_refused(
        self, exam_of, student, now
    ):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=29, seconds=30))
        with pytest.raises(errors.AttemptTimeUp) as refused:
            attempt_end(attempt=attempt, now=now + timedelta(hours=1), refuse_overdue=True)
        # The answer the end gave when the sweep had completed it first.
        assert (refused.value.code, refused.value.message) == ("attempt_completed", "This attempt has ended.")
        ended = reload(attempt)
        assert (ended.state, ended.time_taken) == (AttemptState.COMPLETED, timedelta(minutes=30))

    def test_ending_an_empty_exam(self, exam_of, student, now):
        ended = attempt_end(attempt=attempt_create(user=student, exam=exam_of(""), now=now), now=now)
        assert (ended.score, ended.percentage, ended.total_questions) == (D("0"), D("0"), 0)

    def test_responses_stored_around_the_save_service_score_incorrect(self, exam_of, student, now):
        exam = exam_of("RCNR", mark_per_question=D("4"), negative_marks=D("1"))
        attempt = attempt_create(user=student, exam=exam, now=now)
        single, multiple, numerical, last = items_of(attempt)
        AttemptItem.objects.filter(pk=single.pk).update(selected_answers="junk")
        AttemptItem.objects.filter(pk=multiple.pk).update(selected_answers=[[1], {"a": 2}])
        AttemptItem.objects.filter(pk=numerical.pk).update(short_text="1e999999999")
        AttemptItem.objects.filter(pk=last.pk).update(selected_answers=correct_ids(last.question))

        ended = attempt_end(attempt=attempt, now=now + MINUTE)

        assert (ended.state, ended.correct_count, ended.incorrect_count, ended.score) == (
            AttemptState.COMPLETED,
            1,
            3,
            D("1"),
        )
        assert [i.result for i in items_of(attempt)] == [ItemResult.INCORRECT] * 3 + [ItemResult.CORRECT]

    def test_a_failure_mid_end_leaves_the_attempt_open_and_unscored(self, exam_of, student, now, monkeypatch):
        attempt = attempt_create(user=student, exam=exam_of("RR"), now=now)
        single = items_of(attempt)[0]
        attempt_save_item(
            attempt=attempt, item=single, selected_answers=correct_ids(single.question), now=now
        )

        def broken(*args, **kwargs):
            raise RuntimeError("scoring crashed")

        monkeypatch.setattr("attempts.scoring.attempt_totals", broken)
        with pytest.raises(RuntimeError):
            attempt_end(attempt=attempt, now=now + MINUTE)
        attempt = reload(attempt)
        assert (attempt.state, attempt.correct_count, attempt.time_taken) == (
            AttemptState.RUNNING,
            0,
            timedelta(0),
        )
        assert {i.result for i in items_of(attempt)} == {""}


class TestEndOverdueAttempts:
    def test_ends_only_the_overdue_ones(self, exam_of, now):
        exam = exam_of()
        fresh = attempt_create(user=UserFactory(), exam=exam, now=now)
        out_of_time = attempt_create(user=UserFactory(), exam=exam, now=now)
        Attempt.objects.filter(pk=out_of_time.pk).update(time_taken=timedelta(minutes=30))
        nearly = attempt_create(user=UserFactory(), exam=exam, now=now)
        Attempt.objects.filter(pk=nearly.pk).update(time_taken=timedelta(minutes=29))
        done = attempt_end(attempt=attempt_create(user=UserFactory(), exam=exam, now=now), now=now)

        assert end_overdue_attempts(now=now + timedelta(seconds=59)).done == (out_of_time.pk,)
        assert end_overdue_attempts(now=now + timedelta(seconds=60)).done == (nearly.pk,)
        states = {a.pk: a.state for a in Attempt.objects.all()}
        assert states[fresh.pk] == AttemptState.RUNNING
        assert states[out_of_time.pk] == states[nearly.pk] == states[done.pk] == AttemptState.COMPLETED
        assert reload(done).completed_at == now

    def test_ends_every_open_attempt_of_a_closed_exam(self, exam_of, now):
        exam = exam_of(end_date=now + timedelta(hours=1), duration=None)
        running = attempt_create(user=UserFactory(), exam=exam, now=now)
        waiting = AttemptFactory(exam=exam, state=AttemptState.NOT_STARTED, date=now)
        assert end_overdue_attempts(now=now + timedelta(minutes=59)).done == ()
        assert len(end_overdue_attempts(now=now + timedelta(hours=2)).done) == 2
        assert reload(running).state == reload(waiting).state == AttemptState.COMPLETED

    def test_queryset_limits_the_sweep(self, exam_of, student, now):
        exam = exam_of(end_date=now + MINUTE)
        mine = attempt_create(user=student, exam=exam, now=now)
        theirs = attempt_create(user=UserFactory(), exam=exam, now=now)
        later = now + timedelta(hours=1)
        assert end_overdue_attempts(now=later, queryset=Attempt.objects.filter(user=student)).done == (
            mine.pk,
        )
        assert (reload(mine).state, reload(theirs).state) == (AttemptState.COMPLETED, AttemptState.RUNNING)

    def test_the_sweep_command_reports_how_many_it_ended(self, exam_of, capsys):
        exam = exam_of()
        for _ in range(2):
            AttemptFactory(exam=exam, time_taken=timedelta(minutes=30))
        call_command("end_overdue_attempts")
        # The former name, which cron entries may still call, is the same command.
        call_command("end_expired_attempts")
        assert capsys.readouterr().out.splitlines() == [
            "Completed 2 overdue attempts.",
            "Completed 0 overdue attempts.",
        ]


class TestOneBadAttemptAmongMany:
    """The sweep and staff's bulk actions change each attempt on its own: one that is corrupt or
    that the engine cannot change never keeps the others from being ended or scored."""

    @pytest.fixture
    def overdue(self, exam_of, now):
        """Three attempts of an exam that has closed, each with the single-choice question right; the
        middle one also holds a number stored around the save service (as an older release did)."""
        exam = exam_of("RN", end_date=now + MINUTE)
        attempts = []
        for minute in range(3):
            attempt = attempt_create(user=UserFactory(), exam=exam, now=now + minute * timedelta(seconds=10))
            single, _ = items_of(attempt)
            attempt_save_item(
                attempt=attempt, item=single, selected_answers=correct_ids(single.question), now=now
            )
            attempts.append(attempt)
        numerical = items_of(attempts[1])[1]
        AttemptItem.objects.filter(pk=numerical.pk).update(short_text="1e999999999")
        exam.end_date = now
        exam.save(update_fields=["end_date"])
        return attempts

    @pytest.fixture
    def sweep(self, request, now):
        """The sweep as the service or as the cron command: the ids it ended, or the command's error."""

        def by_service():
            return end_overdue_attempts(now=now + timedelta(hours=1))

        def by_command():
            try:
                call_command("end_overdue_attempts")
            except CommandError as error:
                return str(error)
            return None

        return {"service": by_service, "command": by_command}[request.param]

    def scores(self, attempts):
        return [(reload(a).state, reload(a).correct_count, reload(a).incorrect_count) for a in attempts]

    @pytest.mark.parametrize("sweep", ["service", "command"], indirect=True)
    def test_a_corrupt_number_is_scored_incorrect_and_every_attempt_is_ended(self, overdue, sweep):
        sweep()
        completed = AttemptState.COMPLETED
        assert self.scores(overdue) == [(completed, 1, 0), (completed, 1, 1), (completed, 1, 0)]

    @pytest.mark.parametrize("sweep", ["service", "command"], indirect=True)
    def test_an_attempt_the_engine_cannot_end_is_logged_and_skipped_and_the_others_are_ended(
        self, overdue, sweep, monkeypatch, caplog
    ):
        first, broken, last = overdue
        score = services._score

        def failing_for_one(attempt):
            if attempt.pk == broken.pk:
                raise RuntimeError("a scoring bug")
            score(attempt)

        monkeypatch.setattr(services, "_score", failing_for_one)

        outcome = sweep()

        completed = AttemptState.COMPLETED
        assert self.scores([first, last]) == [(completed, 1, 0), (completed, 1, 0)]
        assert (reload(broken).state, reload(broken).completed_at) == (AttemptState.RUNNING, None)
        if isinstance(outcome, services.EachOutcome):
            assert (set(outcome.done), outcome.failed) == ({first.pk, last.pk}, (broken.pk,))
        else:
            assert outcome == (
                f"Could not end 1 overdue attempt(s), left open: {broken.pk}. The errors are in the log."
            )
        [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
        assert logged.getMessage() == f"Could not end overdue attempt {broken.pk}; it is left as it was"
        assert "a scoring bug" in logged.exc_text

    def test_rescoring_goes_on_past_one_it_cannot_score_and_skips_open_ones(
        self, overdue, exam_of, now, monkeypatch
    ):
        first, broken, last = overdue
        services.attempts_end(pks=[a.pk for a in overdue], now=now + MINUTE)
        running = attempt_create(user=UserFactory(), exam=exam_of("R"), now=now)
        # Staff find the key was wrong: the choice everyone picked is not the correct one.
        single = items_of(first)[0].question
        was_wrong = wrong_ids(single)[0]
        single.answers.update(is_correct=False)
        single.answers.filter(pk=was_wrong).update(is_correct=True)
        score = services._score
        monkeypatch.setattr(
            services, "_score", lambda attempt: 1 / 0 if attempt.pk == broken.pk else score(attempt)
        )

        outcome = services.attempts_rescore(pks=[first.pk, broken.pk, running.pk, last.pk])

        assert outcome == services.EachOutcome(
            done=(first.pk, last.pk), skipped=(running.pk,), failed=(broken.pk,)
        )
        completed = AttemptState.COMPLETED
        assert self.scores(overdue) == [(completed, 0, 1), (completed, 1, 1), (completed, 0, 1)]


class TestMarkingAndRescoring:
    @pytest.fixture
    def ended(self, exam_of, student, now):
        exam = exam_of("RE", mark_per_question=D("5"), negative_marks=D("2"), pass_percentage=D("50"))
        attempt = attempt_create(user=student, exam=exam, now=now)
        single, essay = items_of(attempt)
        attempt_save_item(
            attempt=attempt, item=single, selected_answers=correct_ids(single.question), now=now
        )
        attempt_save_item(attempt=attempt, item=essay, essay_text="My essay.", now=now)
        return attempt_end(attempt=attempt, now=now + MINUTE)

    def test_a_pending_essay_leaves_the_attempt_completed_with_the_marked_score(self, ended):
        assert (ended.state, ended.pending_count, ended.score, ended.result) == (
            AttemptState.COMPLETED,
            1,
            D("5"),
            AttemptResult.PASS,
        )

    def test_marks_above_zero_make_the_essay_correct_and_rescore(self, ended):
        essay = items_of(ended)[1]
        marked = item_mark_essay(item=essay, marks=D("3.5"))
        assert (marked.result, marked.marks) == (ItemResult.CORRECT, D("3.5"))
        attempt = reload(ended)
        assert (attempt.score, attempt.pending_count, attempt.correct_count, attempt.percentage) == (
            D("8.5"),
            0,
            2,
            D("85.00"),
        )

    def test_zero_marks_make_it_incorrect_without_negative_marks(self, ended):
        item_mark_essay(item=items_of(ended)[1], marks=0)
        attempt = reload(ended)
        assert (attempt.score, attempt.incorrect_count, attempt.accuracy) == (D("5"), 1, 50)

    def test_taking_the_marks_back_makes_it_pending_again(self, ended):
        essay = items_of(ended)[1]
        item_mark_essay(item=essay, marks=D("4"))
        item_mark_essay(item=essay, marks=None)
        attempt = reload(ended)
        assert (attempt.score, attempt.pending_count, reload(essay).result) == (D("5"), 1, ItemResult.PENDING)

    @pytest.mark.parametrize("marks", [D("5.01"), D("-1"), "abc", D("1.234"), "NaN"])
    def test_marks_out_of_range_are_refused(self, ended, marks):
        with pytest.raises(errors.InvalidEssayMarks) as refused:
            item_mark_essay(item=items_of(ended)[1], marks=marks)
        assert isinstance(refused.value, Invalid)
        assert reload(ended).pending_count == 1

    def test_only_essays_are_marked_by_hand(self, ended):
        with pytest.raises(errors.NotAnEssay):
            item_mark_essay(item=items_of(ended)[0], marks=1)

    def test_an_essay_of_a_running_attempt_waits_for_the_end(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of("E"), now=now)
        with pytest.raises(errors.AttemptNotCompleted) as refused:
            item_mark_essay(item=items_of(attempt)[0], marks=1, now=now)
        assert isinstance(refused.value, Conflict)

    def test_an_essay_of_an_overdue_attempt_is_marked_after_ending_it(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of("E"), now=now)
        Attempt.objects.filter(pk=attempt.pk).update(time_taken=timedelta(minutes=30))
        item_mark_essay(item=items_of(attempt)[0], marks=1, now=now + MINUTE)
        attempt = reload(attempt)
        assert (attempt.state, attempt.score) == (AttemptState.COMPLETED, D("1"))

    def test_rescore_follows_a_corrected_answer_key_and_keeps_essay_marks(self, ended):
        single, essay = items_of(ended)
        item_mark_essay(item=essay, marks=D("2"))
        chosen = single.question.answers.get(pk=single.selected_answers[0])
        chosen.is_correct = False
        chosen.save()
        single.question.answers.exclude(pk=chosen.pk).filter(order=1).update(is_correct=True)

        rescored = attempt_rescore(attempt=ended)

        assert (rescored.score, rescored.correct_count, rescored.incorrect_count) == (D("0"), 1, 1)
        assert (reload(single).result, reload(single).marks) == (ItemResult.INCORRECT, D("-2"))
        assert reload(essay).marks == D("2")

    def test_rescore_of_a_running_attempt_is_refused(self, exam_of, student, now):
        attempt = attempt_create(user=student, exam=exam_of(), now=now)
        with pytest.raises(errors.AttemptNotCompleted):
            attempt_rescore(attempt=attempt)


class TestQueryBudget:
    """What each request-path service costs: at most its budget, and the same for 1 question as for 20."""

    @pytest.fixture
    def attempts(self, exam_of, now):
        return [
            attempt_create(user=UserFactory(), exam=exam_of(types), now=now) for types in ("R", "RCNE" * 5)
        ]

    def cost(self, attempts, call) -> list[int]:
        return [len(statements(lambda attempt=attempt: call(attempt))) for attempt in attempts]

    def test_save_item(self, attempts, now):
        items = [AttemptItem.objects.select_related("question").filter(attempt=a).first() for a in attempts]
        choices = {item.attempt_id: correct_ids(item.question) for item in items}

        def save(attempt):
            item = next(item for item in items if item.attempt_id == attempt.pk)
            attempt_save_item(attempt=attempt, item=item, selected_answers=choices[attempt.pk], now=now)

        # lock the attempt, read the item and its question's choices, update the attempt, update the item
        small, large = self.cost(attempts, save)
        assert small == large <= 5

    def test_heartbeat(self, attempts, now):
        small, large = self.cost(attempts, lambda a: attempt_heartbeat(attempt=a, now=now + MINUTE))
        assert small == large <= 2

    def test_end(self, attempts, now):
        # lock, the items with their questions' keys, then the items' results, the attempt, the score
        # tally's upsert and the webhook outbox row (attempts/outbox.py): one statement on PostgreSQL
        # (writes.run_together), four elsewhere
        small, large = self.cost(attempts, lambda a: attempt_end(attempt=a, now=now + MINUTE))
        assert small == large == (3 if connection.vendor == "postgresql" else 6)

    def test_create(self, exam_of, now):
        runs = [(UserFactory(), exam_of("R")), (UserFactory(), exam_of("RCNE" * 5))]
        # lock the user, count their attempts, read the exam's questions, insert the attempt, its items,
        # the webhook outbox row (attempts/outbox.py); the last two are one statement on PostgreSQL
        small, large = (
            len(statements(lambda user=user, exam=exam: attempt_create(user=user, exam=exam, now=now)))
            for user, exam in runs
        )
        assert small == large == (5 if connection.vendor == "postgresql" else 6)

    def test_create_writes_every_item_of_a_paper_longer_than_one_insert_takes(self, exam_of, now):
        # SQLite takes 999 parameters a statement: 250 items are written in several INSERTs.
        exam = exam_of("R" * 250)
        attempt = attempt_create(user=UserFactory(), exam=exam, now=now)
        items = list(attempt.items.order_by("order").values_list("order", "question_id"))
        in_exam = list(exam.exam_questions.order_by("order", "id").values_list("question_id", flat=True))
        assert [order for order, _ in items] == list(range(1, 251))
        assert [question for _, question in items] == in_exam
