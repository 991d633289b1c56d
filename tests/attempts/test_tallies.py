"""Score tallies: who moves them, how drift is found and repaired, and ranks read from them.

The services that end and re-score attempts move the tallies, a delete hook covers cascades and the
admin's delete, and check_score_tallies compares them with a recount of the ranked attempts.
"""

import logging
import random
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from attempts import scoring
from attempts.choices import AttemptState
from attempts.models import RANKED, Attempt, ScoreTally
from attempts.selectors import NOT_RANKED, ranked_attempts, standing, with_standing
from attempts.services import (
    attempt_create,
    attempt_end,
    attempt_rescore,
    attempt_save_item,
    end_overdue_attempts,
    item_mark_essay,
)
from attempts.tallies import kept_tallies, rebuild_tallies, tally_drift
from exams.models import Exam
from tests.factories import AttemptFactory, ExamFactory, UserFactory

from .conftest import build_exam, correct_ids, wrong_ids

pytestmark = pytest.mark.django_db

MINUTE = timezone.timedelta(minutes=1)


def tallies(exam) -> dict:
    return {t.score: t.count for t in ScoreTally.objects.filter(exam=exam) if t.count}


def check(*args) -> str:
    out = StringIO()
    call_command("check_score_tallies", *args, stdout=out)
    return out.getvalue()


# --- What a ranked attempt is ----------------------------------------------------------------


def test_the_sql_and_the_python_spelling_of_ranked_agree():
    exam = ExamFactory()
    rows = [
        Attempt(exam=exam, user=UserFactory(), state=state, attempt_number=number)
        for state in AttemptState
        for number in (1, 2, 3)
    ]
    Attempt.objects.bulk_create(rows)
    in_python = {a.pk for a in Attempt.objects.all() if a.is_ranked}
    assert set(Attempt.objects.filter(RANKED).values_list("pk", flat=True)) == in_python
    assert set(ranked_attempts().values_list("pk", flat=True)) == in_python
    assert len(in_python) == 1  # only the completed first attempt


# --- The services move the tallies -----------------------------------------------------------


def test_ending_a_first_attempt_counts_its_score_and_ending_a_retake_does_not(student, now):
    exam = build_exam("RR", start_date=now - timezone.timedelta(days=1))
    first = attempt_create(user=student, exam=exam, now=now)
    assert tallies(exam) == {}
    attempt_end(attempt=first, now=now)
    assert tallies(exam) == {D("0.00"): 1}
    retake = attempt_create(user=student, exam=exam, now=now)
    for item in retake.items.select_related("question"):
        attempt_save_item(attempt=retake, item=item, selected_answers=correct_ids(item.question), now=now)
    attempt_end(attempt=retake, now=now)
    assert tallies(exam) == {D("0.00"): 1}


def test_the_sweep_counts_the_attempts_it_ends(student, now):
    exam = build_exam("R", start_date=now - timezone.timedelta(days=1), end_date=now + MINUTE)
    attempt_create(user=student, exam=exam, now=now)
    assert len(end_overdue_attempts(now=now + 2 * MINUTE).done) == 1
    assert tallies(exam) == {D("0.00"): 1}


def test_marking_an_essay_moves_the_attempt_to_its_new_score(student, now):
    exam = build_exam("E", start_date=now - timezone.timedelta(days=1))
    attempt = Attempt.objects.create(exam=exam, user=student, date=now, clock_checked_at=now)
    item = attempt.items.create(question=exam.questions.get(), essay_text="An answer.")
    attempt_end(attempt=attempt, now=now)
    item_mark_essay(item=item, marks=D("1"), now=now)
    assert tallies(exam) == {D("1.00"): 1}
    item_mark_essay(item=item, marks=None, now=now)
    assert tallies(exam) == {D("0.00"): 1}


def test_rescoring_after_a_key_change_moves_the_count():
    exam = ExamFactory()
    attempt = AttemptFactory(exam=exam, completed=True, score=D("5"))
    attempt_rescore(attempt=attempt)  # no items: the engine scores it 0
    assert tallies(exam) == {D("0.00"): 1}


def test_deleting_attempts_or_their_user_takes_them_out():
    exam = ExamFactory()
    AttemptFactory(exam=exam, completed=True, score=D("4"))
    deleted = AttemptFactory.create_batch(2, exam=exam, completed=True, score=D("6"))
    deleted[0].delete()
    deleted[1].user.delete()
    assert tallies(exam) == {D("4.00"): 1}


def test_a_save_outside_the_services_moves_no_tally(student):
    exam = ExamFactory()
    attempt = Attempt.objects.create(exam=exam, user=student, state=AttemptState.COMPLETED, score=D("3"))
    attempt.score = D("4")
    attempt.save()
    Attempt(pk=attempt.pk, exam=exam, user=student, state=AttemptState.COMPLETED, score=D("5")).save()
    assert tallies(exam) == {}
    assert [(d.score, d.tallied, d.counted) for d in tally_drift()] == [(D("5.00"), 0, 1)]


def test_taking_away_what_a_tally_does_not_hold_is_logged_as_drift_and_stops_at_zero(caplog):
    exam = ExamFactory()
    counted = AttemptFactory(exam=exam, completed=True, score=D("2"))
    # Inserted around the services, so in no tally.
    (uncounted,) = Attempt.objects.bulk_create(
        [Attempt(exam=exam, user=UserFactory(), state=AttemptState.COMPLETED, score=D("2"))]
    )
    assert [(d.tallied, d.counted) for d in tally_drift()] == [(1, 2)]
    with caplog.at_level(logging.WARNING, logger="attempts.tallies"):
        uncounted.delete()  # takes the other's count: a tally cannot tell its attempts apart
        assert caplog.records == []
        counted.delete()
    assert ScoreTally.objects.get(exam=exam).count == 0
    assert [r.getMessage() for r in caplog.records] == [
        f"Score tally drift: exam {exam.pk} has no ranked attempt at 2.00 to take away; "
        "run `manage.py check_score_tallies --repair`."
    ]
    assert tally_drift() == []


# --- Finding and repairing drift -------------------------------------------------------------


def test_check_finds_a_score_changed_by_update_and_repair_fixes_it():
    exams = ExamFactory.create_batch(2)
    for exam in exams:
        AttemptFactory.create_batch(2, exam=exam, completed=True, score=D("3"))
    moved = AttemptFactory(exam=exams[0], completed=True, score=D("3"))
    assert check() == "Score tallies agree with the attempts.\n"

    Attempt.objects.filter(pk=moved.pk).update(score=D("7.5"))

    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("check_score_tallies", stdout=out)
    assert failed.value.returncode == 1
    assert out.getvalue().splitlines() == [
        f"exam {exams[0].pk} score 3.00: tallied 3, counted 2",
        f"exam {exams[0].pk} score 7.50: tallied 0, counted 1",
    ]
    assert "2 score tallies of 1 exam(s) differ" in str(failed.value)
    # --exam narrows the check: the other exam is in step.
    assert check("--exam", str(exams[1].pk)) == "Score tallies agree with the attempts.\n"

    assert check("--repair").endswith(f"Repaired the score tallies of exam(s) {exams[0].pk}.\n")
    assert tallies(exams[0]) == {D("3.00"): 2, D("7.50"): 1}
    assert tallies(exams[1]) == {D("3.00"): 2}
    assert check() == "Score tallies agree with the attempts.\n"


def test_rebuild_gives_the_tallies_the_services_kept():
    exams = ExamFactory.create_batch(2)
    rng = random.Random(7)
    for _ in range(40):
        AttemptFactory(
            exam=rng.choice(exams),
            completed=rng.random() < 0.8,
            score=D(rng.randint(-8, 40)) / 4,
            attempt_number=1 if rng.random() < 0.8 else 2,
        )
    kept = {exam.pk: tallies(exam) for exam in exams}
    ScoreTally.objects.all().delete()
    call_command("rebuild_score_tallies", stdout=StringIO())
    assert {exam.pk: tallies(exam) for exam in exams} == kept
    assert rebuild_tallies(exam_ids=[exams[0].pk]) == len(kept[exams[0].pk])


@pytest.fixture
def admin_browser(client, staff):
    client.force_login(staff)
    return client


def test_a_mixed_workload_through_the_services_and_the_admin_leaves_no_drift(admin_browser, now):
    """Creates, answers, ends, the sweep, retakes, essay marks, re-scores, deletes: tallies keep up."""
    start = {"start_date": now - timezone.timedelta(days=1), "allow_retake": True, "enable_ranks": True}
    exam = build_exam("RRE", negative_marks=D("0.5"), **start)
    other = build_exam("R", **start)
    students = UserFactory.create_batch(9)

    def sit(user, *, exam=exam, right=(), wrong=(), essay="", at=now):
        attempt = attempt_create(user=user, exam=exam, now=at)
        for n, item in enumerate(attempt.items.select_related("question").order_by("order")):
            if n in right:
                attempt_save_item(
                    attempt=attempt, item=item, selected_answers=correct_ids(item.question), now=at
                )
            elif n in wrong:
                attempt_save_item(
                    attempt=attempt, item=item, selected_answers=wrong_ids(item.question)[:1], now=at
                )
            elif essay and item.question.type == "E":
                attempt_save_item(attempt=attempt, item=item, essay_text=essay, now=at)
        return attempt

    attempt_end(attempt=sit(students[0], right=(0, 1)), now=now)
    essayist = sit(students[1], right=(0,), wrong=(1,), essay="Words.")
    attempt_end(attempt=essayist, now=now)
    attempt_end(attempt=sit(students[2]), now=now)
    attempt_end(attempt=sit(students[2], right=(0, 1)), now=now)  # a retake
    overdue = sit(students[3], wrong=(0,))
    Attempt.objects.filter(pk=overdue.pk).update(time_taken=timezone.timedelta(minutes=30))
    assert len(end_overdue_attempts(now=now).done) == 1
    sit(students[4], right=(0,))  # left running
    by_admin_action = sit(students[5], right=(1,))
    deleted_in_admin = sit(students[6], right=(0, 1))
    attempt_end(attempt=deleted_in_admin, now=now)
    attempt_end(attempt=sit(students[7], wrong=(0, 1)), now=now)
    other_attempt = attempt_end(attempt=sit(students[8], exam=other, right=(0,)), now=now)
    changelist = reverse("admin:attempts_attempt_changelist")
    post = admin_browser.post
    assert (
        post(changelist, {"action": "end_attempts", "_selected_action": [by_admin_action.pk]}).status_code
        == 302
    )
    # Worth 1 each, −0.5 when wrong: first attempts scored 2, 0.5 (essay pending), 0, −0.5, 1, 2, −1.
    assert tallies(exam) == {
        D("2.00"): 2,
        D("0.50"): 1,
        D("0.00"): 1,
        D("-0.50"): 1,
        D("1.00"): 1,
        D("-1.00"): 1,
    }

    # Essay marks, from the admin's marking page and the service: 0.5 → 1.5 → 1.
    essay = essayist.items.get(question__type="E")
    assert (
        post(reverse("admin:exams_exam_essays", args=[exam.pk]), {f"marks-{essay.pk}": "1"}).status_code
        == 302
    )
    assert tallies(exam)[D("1.50")] == 1
    item_mark_essay(item=essay, marks=D("0.5"), now=now)
    assert tallies(exam)[D("1.00")] == 2 and D("1.50") not in tallies(exam)

    # The first question's key changes; every completed attempt is re-scored, from the admin and not.
    first = exam.exam_questions.order_by("order").first().question
    right, wrong = correct_ids(first), wrong_ids(first)
    first.answers.filter(pk__in=right).update(is_correct=False)
    first.answers.filter(pk=wrong[0]).update(is_correct=True)
    completed = list(Attempt.objects.filter(exam=exam, state=AttemptState.COMPLETED))
    rescore = {"action": "rescore_attempts", "_selected_action": [a.pk for a in completed[:4]]}
    assert post(changelist, rescore).status_code == 302
    for attempt in completed[4:]:
        attempt_rescore(attempt=attempt)
    # A right first answer is now wrong (−1.5), a wrong one right (+1.5).
    assert tallies(exam) == {D("0.50"): 3, D("-0.50"): 1, D("0.00"): 1, D("1.00"): 2}

    # Deletes: an attempt from its page and one from the list, a user (cascade), an exam.
    yes = {"post": "yes"}
    assert post(reverse("admin:attempts_attempt_delete", args=[deleted_in_admin.pk]), yes).status_code == 302
    first_of_retaker = Attempt.objects.get(user=students[2], attempt_number=1)
    delete = {"action": "delete_selected", "_selected_action": [first_of_retaker.pk], **yes}
    assert post(changelist, delete).status_code == 302
    assert post(reverse("admin:accounts_user_delete", args=[students[7].pk]), yes).status_code == 302
    refused = post(reverse("admin:exams_exam_delete", args=[exam.pk]), yes)
    assert refused.status_code == 200 and Exam.objects.filter(pk=exam.pk).exists()  # it has attempts
    assert post(reverse("admin:attempts_attempt_delete", args=[other_attempt.pk]), yes).status_code == 302
    assert post(reverse("admin:exams_exam_delete", args=[other.pk]), yes).status_code == 302

    assert not Exam.objects.filter(pk=other.pk).exists()
    assert tallies(exam) == {D("0.50"): 1, D("-0.50"): 1, D("1.00"): 2}
    assert check() == "Score tallies agree with the attempts.\n"
    assert sum(kept_tallies().values()) == ranked_attempts().count() == 4


# --- Ranks served from the tallies equal the rule over the ranked scores --------------------


def test_the_served_rank_and_percentile_equal_the_rule_over_the_ranked_scores():
    """200 random attempts (ties, every state, retakes, an exam whose ranks are not out yet)."""
    rng = random.Random(2024)
    now = timezone.now()
    exams = [
        ExamFactory(enable_ranks=True, rank_publishing_date=None),
        ExamFactory(enable_ranks=True, rank_publishing_date=now - MINUTE),
        ExamFactory(enable_ranks=True, rank_publishing_date=now + timezone.timedelta(days=1)),
    ]
    users = UserFactory.create_batch(40)
    numbers, open_pairs, made = {}, set(), []
    for _ in range(200):
        exam, user = rng.choice(exams), rng.choice(users)
        pair = (exam.pk, user.pk)
        numbers[pair] = numbers.get(pair, 0) + 1
        state = rng.choices(list(AttemptState), weights=[15, 70, 15])[0]
        if pair in open_pairs:
            state = AttemptState.COMPLETED  # one open attempt per user and exam
        if state != AttemptState.COMPLETED:
            open_pairs.add(pair)
        score = D(rng.randint(-6, 14)) / 2
        made.append(
            AttemptFactory(exam=exam, user=user, attempt_number=numbers[pair], state=state, score=score)
        )

    ranked_scores = {
        exam.pk: [
            a.score
            for a in made
            if a.exam_id == exam.pk and a.state == AttemptState.COMPLETED and a.attempt_number == 1
        ]
        for exam in exams
    }
    served = with_standing(Attempt.objects.filter(exam__in=exams)).select_related("exam")
    seen = 0
    for attempt in served:
        result = standing(attempt, now=now)
        if attempt.state != AttemptState.COMPLETED:
            expected = (NOT_RANKED, 0, D(0))
        else:
            rank, percentile = scoring.rank_among(attempt.score, ranked_scores[attempt.exam_id])
            if attempt.exam.ranks_published(now):
                expected = (rank, len(ranked_scores[attempt.exam_id]), percentile)
            else:
                expected = (NOT_RANKED, 0, percentile)
        assert (result.rank, result.max_rank, result.percentile) == expected, attempt.pk
        seen += 1
    assert seen == 200
    # The data had what the rule must get right: ties, retakes, attempts not completed.
    scores = ranked_scores[exams[0].pk]
    assert len(set(scores)) < len(scores)
    assert any(a.attempt_number > 1 and a.state == AttemptState.COMPLETED for a in made)
    assert any(a.attempt_number == 1 and a.state != AttemptState.COMPLETED for a in made)
