"""Every change to an attempt: create, start, heartbeat, save an answer, end, sweep, re-score.

Rules every service keeps:
- The attempt row is locked (SELECT ... FOR UPDATE) before it is read for a decision, so a save
  and an end on the same attempt run one after the other: the save is in the final score or it
  is refused with 409.
- Time is the server's (attempts/timing.py); every request on an open attempt moves its clock.
- An open attempt found overdue is completed with what was saved, and that completion is
  committed even when the request is then refused: start and save_item decide inside their own
  transaction and raise the 409 after it has committed. Under ATOMIC_REQUESTS that transaction is
  a savepoint of the request's, which still commits: the API's exception handler rolls a request
  back on a crash only, never on a refusal. A caller that rolls back on the refusal loses the
  completion until the sweep or the next read makes it again.
- `now` defaults to timezone.now(); pass one value to make a request's reads and writes agree.
- A service that makes an attempt ranked or changes a ranked score moves its score tally in the
  same transaction (_save_scored); nothing else does (attempts/tallies.py).
- Starting (attempt_create) and completing (_complete: end, time-out, sweep, staff) write the
  webhook's outbox row in the same transaction, one INSERT (attempts/outbox.py); an offline sitting
  (attempt_create_offline) is both at once and writes both.
- A sectionally timed attempt (attempt.sectionally_timed) also moves the clock of its running
  section (AttemptSection), read with the locked attempt; only that section's items may be saved.
  A section whose time ran out is completed like an overdue attempt, and the attempt with it when
  it was the last; the next section waits for the client to start it.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import timezone

from exams.choices import QuestionType
from exams.models import Answer, Exam, ExamQuestion, Question, is_sectionally_timed
from exams.paper import QuestionChoices, paper_choices
from testpress.queries import PreparedQuery

from . import errors, outbox, scoring, selectors, tallies, timing, writes
from .choices import OPEN_STATES, AttemptState, ItemResult
from .models import Attempt, AttemptItem, AttemptSection, WebhookEvent
from .writes import Statement, update_if_unchanged

CLOCK_FIELDS = ["state", "time_taken", "clock_checked_at", "last_started_time"]
SECTION_CLOCK_FIELDS = ["state", "time_taken", "clock_checked_at", "started_at", "completed_at"]
SCORE_FIELDS = [
    "total_marks",
    "score",
    "correct_count",
    "incorrect_count",
    "unanswered_count",
    "pending_count",
    "percentage",
    "accuracy",
    "speed",
    "result",
]
ANSWER_FIELDS = ("selected_answers", "short_text", "essay_text")

logger = logging.getLogger(__name__)


# --- Creating and resuming --------------------------------------------------------------------


def attempt_create(*, user, exam: Exam, now: datetime | None = None) -> Attempt:
    """Start a new attempt of `exam` for `user`: Running, clock on, one item per exam question.

    When every question sits in a section with a duration (exams.models.is_sectionally_timed), the
    attempt is timed by section: one AttemptSection per section holding questions, in the exam's
    section order, all Not Started (one INSERT); its clock runs once the client starts the first.

    Refuses with 403 exam_not_open (before start_date, after end_date), 409 attempt_running (an
    open attempt exists; its id is in the answer) or 403 retakes_exhausted. Visibility (published,
    batches) is the caller's selector's business.

    Two simultaneous creates by one user queue on a lock of the user's row, so the second sees the
    first's attempt and gets the 409. The database constraints (one open attempt per user and exam,
    unique attempt_number) back that up: a lost race surfaces as an IntegrityError and is
    answered the same way.

    An open attempt whose time ran out with nobody reading it since is no obstacle: it is ended (and
    that committed) and the attempt created. Only then: looking for one before every create cost a
    query, and a fifth of a create's time in building it.
    """
    now = now or timezone.now()
    try:
        return _create_or_refuse(user=user, exam=exam, now=now)
    except errors.AttemptRunning as running:
        if running.attempt_id is None or not _end_if_overdue(running.attempt_id, now):
            raise
    return _create_or_refuse(user=user, exam=exam, now=now)


def _create_or_refuse(*, user, exam: Exam, now: datetime) -> Attempt:
    try:
        return _create(user=user, exam=exam, now=now)
    except IntegrityError:
        # Rolled back whole (or to the savepoint of a caller's transaction), so it can be read again.
        _refuse_another(exam=exam, history=_history(exam=exam, user=user))
        raise


@transaction.atomic
def _create(*, user, exam: Exam, now: datetime) -> Attempt:
    if not exam.is_open(now):
        raise errors.ExamNotOpen()

    history = _locked_history(exam=exam, user=user)
    _refuse_another(exam=exam, history=history)

    links = _links_in_order(exam)
    sectional = is_sectionally_timed(link.section for link in links)
    attempt = Attempt.objects.create(
        exam=exam,
        user=user,
        attempt_number=(history["last_number"] or 0) + 1,
        state=AttemptState.RUNNING,
        date=now,
        last_started_time=now,
        clock_checked_at=now,
        sectionally_timed=sectional,
        total_questions=len(links),
        total_marks=sum((exam.question_marks(link.question)[0] for link in links), Decimal("0")),
    )
    items = [
        AttemptItem(attempt=attempt, question_id=link.question_id, section_id=link.section_id, order=position)
        for position, link in enumerate(links, start=1)
    ]
    sections = []
    if sectional:
        in_order = sorted({link.section for link in links}, key=lambda section: (section.order, section.pk))
        sections = [
            AttemptSection(attempt=attempt, section=section, order=position, duration=section.duration)
            for position, section in enumerate(in_order)
        ]
    # The items, the sections and the webhook's outbox row: one statement on PostgreSQL.
    outbox.record_with(
        [*writes.insert_rows(items), *writes.insert_rows(sections)],
        attempt=attempt,
        kind=WebhookEvent.Kind.STARTED,
    )
    return attempt


def _links_in_order(exam: Exam) -> list[ExamQuestion]:
    return selectors.exam_links_in_order(exam.pk)


# Every create locks its user's row so; compiled on the first, inside its transaction.
_USER_ROW_LOCK = PreparedQuery(
    lambda user: get_user_model().objects.select_for_update(no_key=True).filter(pk=user).values("pk"), "user"
)


def _locked_history(*, exam: Exam, user) -> dict:
    """_history under a lock of the user's row: one user's attempt creations run one at a time."""
    _USER_ROW_LOCK.rows(user=user.pk)
    return _history(exam=exam, user=user)


def _history(*, exam: Exam, user) -> dict:
    return selectors.attempt_history(exam_id=exam.pk, user_id=user.pk)


def _refuse_another(*, exam: Exam, history: dict) -> None:
    if history["open_id"] is not None:
        raise errors.AttemptRunning(history["open_id"])
    if exam.remaining_attempts(history["used"]) == 0:
        raise errors.RetakesExhausted()


def attempt_start(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Resume an attempt: its clock runs from now. Harmless on a running one.

    The gap since the last request is charged first, as for any request (at most the grace), so
    calling start instead of heartbeat never stops the clock. 409 attempt_completed when it has
    ended; when it is overdue it is completed now (committed) and the 409 follows.
    """
    now = now or timezone.now()
    return _move_clock_if_unchanged(attempt.pk, attempt.user_id, now, start=True) or _raise_refusal(
        _start(attempt.pk, attempt.user_id, now)
    )


@transaction.atomic
def _start(pk: int, taker_id: int | None, now: datetime) -> Attempt | errors.AttemptCompleted:
    attempt = _lock(pk, taker_id=taker_id)
    refusal = _close_if_due(attempt, now)
    if refusal:
        return refusal
    _tick(attempt, now)
    _run(attempt, now)
    _save_clock(attempt)
    return attempt


def attempt_heartbeat(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Count the time since the last request (at most the grace) and answer the attempt as it is.

    When the time is up or the exam has closed, the attempt is completed and returned Completed:
    a heartbeat reports, it is never refused, so a client polling an ended attempt just sees it ended.
    A not-started attempt is not started by a heartbeat.
    """
    now = now or timezone.now()
    return _move_clock_if_unchanged(attempt.pk, attempt.user_id, now) or _heartbeat(
        attempt.pk, attempt.user_id, now
    )


def _move_clock_if_unchanged(
    pk: int, taker_id: int | None, now: datetime, *, start: bool = False
) -> Attempt | None:
    """A heartbeat (or a start) of a running, not overdue attempt in two statements: the attempt read with
    its exam, then its clock written on condition that it is unchanged (attempts/writes.py). None when
    the locked path must decide: the attempt is not running, is overdue or changed in between."""
    # Read with what the answer prints of its exam: the API prints the attempt from this one query.
    attempt = None if taker_id is None else selectors.attempt_for_clock(pk, taker_id=taker_id)
    if attempt is None or not _simply_running(attempt, now):
        return None
    unchanged = {"state": attempt.state, "clock_checked_at": attempt.clock_checked_at}
    _tick(attempt, now)
    if start:
        _run(attempt, now)
    return attempt if update_if_unchanged(attempt, unchanged, CLOCK_FIELDS) else None


@transaction.atomic
def _heartbeat(pk: int, taker_id: int | None, now: datetime) -> Attempt:
    attempt = _lock(pk, taker_id=taker_id)
    if _close_if_due(attempt, now) is None:
        _tick(attempt, now)
        _save_clock(attempt)
    return attempt


# --- Sections of an attempt timed by section ---------------------------------------------------


def attempt_section_start(*, attempt: Attempt, section_id: int, now: datetime | None = None) -> Attempt:
    """Start the attempt's section `section_id` (a Section id): its clock runs from now. Answers the
    attempt, its sections read (timing.section_clocks).

    Only the first section not completed may start, once every one before it is completed: 409
    section_not_startable otherwise. A running section is answered as it is (its clock charged, as by
    any request). Sections that are only groups (not timed by section): start/ resumes the attempt,
    as attempt_start. 404 section_not_found for a section of no question of this attempt; 409
    attempt_completed as for attempt_start.
    """
    return _raise_refusal(_section_start(attempt.pk, section_id, now or timezone.now()))


@transaction.atomic
def _section_start(pk: int, section_id: int, now: datetime):
    attempt = _lock(pk)
    refusal = _close_if_due(attempt, now)
    if refusal:
        return refusal
    if not attempt.sectionally_timed:
        _require_grouping_section(attempt, section_id)
        _tick(attempt, now)
        _run(attempt, now)
        _save_clock(attempt)
        return attempt
    clock = _section_of(attempt, section_id)
    if not clock.is_running:
        first_open = next(c for c in timing.section_clocks(attempt) if not c.is_completed)
        if clock is not first_open:
            return errors.SectionNotStartable()
    _tick(attempt, now)
    if not clock.is_running:
        clock.state, clock.started_at, clock.clock_checked_at = AttemptState.RUNNING, now, now
        _run(attempt, now)
    _save_clock(attempt)
    return attempt


def attempt_section_end(*, attempt: Attempt, section_id: int, now: datetime | None = None) -> Attempt:
    """Complete the attempt's running section `section_id`; the last one completes and scores the
    attempt. Answers the attempt, its sections read.

    Before its time is up, only when the exam has allow_preemptive_section_ending: 403
    section_end_not_allowed otherwise. A completed section is answered as it is (its time ran out, or
    an earlier end/ got through); one not started: 409 section_not_running. Sections that are only
    groups end with the attempt: 403 section_end_not_allowed. 404 section_not_found, 409
    attempt_completed as for attempt_section_start.
    """
    return _raise_refusal(_section_end(attempt.pk, section_id, now or timezone.now()))


@transaction.atomic
def _section_end(pk: int, section_id: int, now: datetime):
    attempt = _lock(pk)
    refusal = _close_if_due(attempt, now)
    if refusal:
        return refusal
    if not attempt.sectionally_timed:
        _require_grouping_section(attempt, section_id)
        return errors.SectionEndNotAllowed(errors.SectionEndNotAllowed.untimed_message)
    clock = _section_of(attempt, section_id)
    if clock.is_completed:
        return attempt
    if not clock.is_running:
        return errors.SectionNotRunning()
    if not attempt.exam.allow_preemptive_section_ending:
        return errors.SectionEndNotAllowed()
    _end_section(attempt, clock, now)
    return attempt


def _section_of(attempt: Attempt, section_id: int) -> AttemptSection:
    clock = next((c for c in timing.section_clocks(attempt) if c.section_id == section_id), None)
    if clock is None:
        raise errors.SectionNotFound()
    return clock


def _require_grouping_section(attempt: Attempt, section_id: int) -> None:
    """404 section_not_found unless one of the attempt's items is in that section."""
    if not AttemptItem.objects.filter(attempt=attempt, section_id=section_id).exists():
        raise errors.SectionNotFound()


def _end_section(attempt: Attempt, clock: AttemptSection, now: datetime) -> None:
    """Complete a running section at `now` (its time charged up to then, never past its end); the
    attempt is completed and scored with it when no section is left."""
    _tick(attempt, now)
    clock.state, clock.completed_at, clock.clock_checked_at = AttemptState.COMPLETED, now, None
    if all(c.is_completed for c in timing.section_clocks(attempt)):
        _complete(attempt, now)
        return
    attempt.save(update_fields=CLOCK_FIELDS)
    clock.save(update_fields=SECTION_CLOCK_FIELDS)


# --- Answering -------------------------------------------------------------------------------


def attempt_save_item(
    *,
    attempt: Attempt,
    item: AttemptItem,
    selected_answers: list[int] | None = None,
    review: bool | None = None,
    short_text: str | None = None,
    essay_text: str | None = None,
    now: datetime | None = None,
) -> AttemptItem:
    """Save the student's response to one item; only the fields given (not None) change.

    Answers the item as stored. The clock moves as for a heartbeat, and the time counted is added
    to the item's `duration` (the student was on this question). last_answer_updated_time moves when
    an answer field is given (a review flag alone is not an answer).

    Refusals: 409 attempt_completed when the attempt has ended or is overdue (an overdue one is
    completed, and stays completed); 409 section_not_running when the attempt is timed by section and
    the item's section is not the one running (a section whose time ran out is completed first, and
    stays completed); 404 item_not_found for an item of another attempt; 400
    invalid_choice (an id that is not one of the question's answers, two ids on a single-choice
    question, more than AttemptItem.MAX_SELECTED_ANSWERS ids), invalid_numerical_answer,
    invalid_text (short_text over 100 characters, essay_text over AttemptItem.ESSAY_MAX_LENGTH).
    Nothing changes on a refusal, not even the clock.

    A running attempt's save is written without a lock, on condition that the attempt is unchanged
    since it was read (attempts/writes.py); when it has changed, or is not simply running, the save is
    decided again with the attempt locked.
    """
    changes = {"selected_answers": selected_answers, "review": review, "short_text": short_text,
               "essay_text": essay_text}  # fmt: skip
    changes = {field: value for field, value in changes.items() if value is not None}
    now = now or timezone.now()
    saved = _save_item_if_unchanged(attempt.pk, attempt.user_id, item.pk, changes=changes, now=now)
    if saved is None:
        saved = _raise_refusal(_save_item(attempt.pk, attempt.user_id, item.pk, changes=changes, now=now))
    return saved


def _save_item_if_unchanged(
    attempt_pk: int, taker_id: int | None, item_pk: int, *, changes: dict, now: datetime
) -> AttemptItem | None:
    """The save of a running, not overdue attempt in two statements: the item read with its attempt
    and exam, then one conditional write of the clock and the item, all or nothing (attempts/writes.py:
    no transaction around them, whose BEGIN and COMMIT would be two more round trips on PostgreSQL).
    None when the locked path must decide."""
    item = (
        None
        if taker_id is None
        else selectors.item_for_save(item_pk, attempt_id=attempt_pk, taker_id=taker_id)
    )
    if item is None or not _simply_running(item.attempt, now):
        return None
    attempt = item.attempt
    changes = _validated(_question_choices(attempt.exam_id, item.question_id), changes)
    unchanged = {"state": attempt.state, "clock_checked_at": attempt.clock_checked_at}
    item_fields = _apply(attempt, item, changes, now)
    written = update_if_unchanged(
        attempt, unchanged, [*CLOCK_FIELDS, "last_answer_updated_time"], then=item, then_fields=item_fields
    )
    # Not written: the attempt changed since it was read (or the item went), and the locked path decides.
    return item if written else None


@transaction.atomic
def _save_item(attempt_pk: int, taker_id: int | None, item_pk: int, *, changes: dict, now: datetime):
    # The item, its attempt (locked) and the exam in one query; the attempt alone when the item is not its.
    items = AttemptItem.objects.select_related("attempt__exam").select_for_update(of=("attempt",))
    items = items.filter(pk=item_pk, attempt_id=attempt_pk)
    item = (items if taker_id is None else items.filter(attempt__user_id=taker_id)).first()
    if item is None:
        attempt = _lock(attempt_pk, taker_id=taker_id)
    else:
        attempt = item.attempt
        _read_sections(attempt)
    refusal = _close_if_due(attempt, now)
    if refusal:
        return refusal
    if item is None:
        raise errors.ItemNotFound()
    if attempt.sectionally_timed:
        running = timing.running_section(attempt)
        if running is None or running.section_id != item.section_id:
            # Returned, not raised: a section completed on the way (its time ran out) stays completed.
            return errors.SectionNotRunning()
    changes = _validated(_question_choices(attempt.exam_id, item.question_id), dict(changes))
    item_fields = _apply(attempt, item, changes, now)
    _save_clock(attempt, "last_answer_updated_time")
    item.save(update_fields=item_fields)
    return item


def _apply(attempt: Attempt, item: AttemptItem, changes: dict, now: datetime) -> tuple[str, ...]:
    """A save's changes on the attempt's clock and the item (in memory); the item's fields to write.

    The time counted since the last request is added to the item's duration: the student was on it.
    """
    counted = _tick(attempt, now)
    if attempt.state == AttemptState.NOT_STARTED:
        _run(attempt, now)
    if any(field in changes for field in ANSWER_FIELDS):
        attempt.last_answer_updated_time = now
    for field, value in changes.items():
        setattr(item, field, value)
    item.duration = (item.duration or timedelta(0)) + counted
    item.modified = now
    return (*changes, "duration", "modified")


def _question_choices(exam_id: int, question_id: int) -> QuestionChoices:
    """The question's type and choices, from the exam's cached paper (exams/paper.py); read from the
    database for a question the exam no longer holds. Only used to refuse an answer, never to score."""
    choices = paper_choices(exam_id).get(question_id)
    if choices is None:
        question_type = Question.objects.filter(pk=question_id).values_list("type", flat=True).get()
        answer_ids = Answer.objects.filter(question_id=question_id).values_list("pk", flat=True)
        choices = QuestionChoices(question_type, frozenset(answer_ids))
    return choices


def _validated(question: QuestionChoices, changes: dict) -> dict:
    if "selected_answers" in changes:
        changes["selected_answers"] = _selection(question, changes["selected_answers"])
    if "short_text" in changes:
        text = str(changes["short_text"]).strip()
        if len(text) > AttemptItem._meta.get_field("short_text").max_length:
            raise errors.InvalidText("Keep the answer within 100 characters.")
        if question.type == QuestionType.NUMERICAL and text and scoring.parse_numerical(text) is None:
            raise errors.InvalidNumericalAnswer(scoring.NUMERICAL_ANSWER_RULE)
        changes["short_text"] = text
    if "essay_text" in changes:
        changes["essay_text"] = str(changes["essay_text"])
        if len(changes["essay_text"]) > AttemptItem.ESSAY_MAX_LENGTH:
            raise errors.InvalidEssayText(f"Keep the essay within {AttemptItem.ESSAY_MAX_LENGTH} characters.")
    if "review" in changes:
        changes["review"] = bool(changes["review"])
    return changes


def _selection(question: QuestionChoices, values) -> list[int]:
    """The distinct ids in the order given, each one of the question's answers.

    Linear in the ids sent, and at most AttemptItem.MAX_SELECTED_ANSWERS of them are read: a longer
    list is refused before its first id is looked at, whatever its length.
    """
    if isinstance(values, str | bytes | dict) or not hasattr(values, "__iter__"):
        raise errors.InvalidChoice("Send a list of answer ids.")
    cap = AttemptItem.MAX_SELECTED_ANSWERS
    values = list(islice(values, cap + 1))
    if len(values) > cap:
        raise errors.InvalidChoice(f"Choose at most {cap} answers.")
    ids = list(dict.fromkeys(_answer_id(value) for value in values))
    if question.type == QuestionType.SINGLE and len(ids) > 1:
        raise errors.InvalidChoice("This question takes one answer.")
    unknown = [i for i in ids if i not in question.choice_ids]
    if unknown:
        raise errors.InvalidChoice(f"Not an answer of this question: {', '.join(map(str, unknown))}.")
    return ids


def _answer_id(value) -> int:
    """A positive 64-bit id, given as a number or as ASCII digits ("12")."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not (value > 0 and value.bit_length() <= 63):
        if isinstance(value, str):
            shown = repr(value[:30])
        elif isinstance(value, int) and value.bit_length() <= 64:
            shown = str(value)
        else:
            shown = f"a value of type {type(value).__name__}"
        raise errors.InvalidChoice(f"Not an answer id: {shown}.")
    return value


# --- Offline exams (attempts/offline.py receives and queues; these make the attempt) -----------


def offline_answers_checked(*, exam: Exam, answers: list[dict]) -> list[dict]:
    """An offline submission's answers fitted to the exam, by the online save's rules, as stored.

    Each answer names an `exam_question_id` of this exam, once, with any of `selected_answers`,
    `short_text`, `essay_text` (checked as an online save checks them: choices of that question, a
    number for a numerical one, lengths) and `duration` (a timedelta or None). Answers come back keyed
    by question: {"question_id", "selected_answers", "short_text", "essay_text", "duration"
    (seconds or None)}. 400 invalid_offline_answer naming the exam question otherwise. The exam's
    questions in one query, their choices from the cached paper (exams/paper.py): at most two more.
    """
    links = {link.pk: link for link in ExamQuestion.objects.filter(exam=exam)}
    given = [answer["exam_question_id"] for answer in answers]
    unknown = [pk for pk in dict.fromkeys(given) if pk not in links]
    if unknown:
        raise errors.InvalidOfflineAnswer(
            f"Not questions of this exam: exam_question_id {', '.join(map(str, unknown))}."
        )
    repeated = [pk for pk, times in Counter(given).items() if times > 1]
    if repeated:
        raise errors.InvalidOfflineAnswer(
            f"Answer each question once: exam_question_id {', '.join(map(str, repeated))} came twice or more."
        )
    choices = paper_choices(exam.pk)

    checked = []
    for answer in answers:
        link = links[answer["exam_question_id"]]
        changes = {field: answer[field] for field in ANSWER_FIELDS if answer.get(field) is not None}
        try:
            question = choices.get(link.question_id) or _question_choices(exam.pk, link.question_id)
            changes = _validated(question, changes)
        except errors.Invalid as refusal:
            raise errors.InvalidOfflineAnswer(f"exam_question_id {link.pk}: {refusal.message}") from None
        duration = answer.get("duration")
        checked.append(
            {
                "question_id": link.question_id,
                "selected_answers": changes.get("selected_answers", []),
                "short_text": changes.get("short_text", ""),
                "essay_text": changes.get("essay_text", ""),
                "duration": None if duration is None else duration.total_seconds(),
            }
        )
    return checked


@transaction.atomic
def attempt_create_offline(
    *, user, exam: Exam, started_on: datetime, completed_on: datetime, answers: list[dict]
) -> Attempt:
    """One completed, scored attempt from an offline sitting: answers as offline_answers_checked
    stores them, the clock from started_on to completed_on (at most the exam's duration).

    The same retake limit as attempt_create (403 retakes_exhausted, under the same lock of the user's
    row); the schedule was checked when the submission came in, so a submission processed after the
    exam closed still counts. A running online attempt of the exam does not stop it: it was written
    on the device. Scored by the same code as an ended online attempt, its score tally moved, and
    the webhook's started and completed events written, all in this transaction.
    """
    history = _locked_history(exam=exam, user=user)
    if exam.remaining_attempts(history["used"]) == 0:
        raise errors.RetakesExhausted()

    links = _links_in_order(exam)
    by_question = {answer["question_id"]: answer for answer in answers}
    taken = max(completed_on - started_on, timedelta(0))
    attempt = Attempt.objects.create(
        exam=exam,
        user=user,
        attempt_number=(history["last_number"] or 0) + 1,
        state=AttemptState.COMPLETED,
        date=started_on,
        last_started_time=started_on,
        last_answer_updated_time=completed_on if answers else None,
        clock_checked_at=None,
        time_taken=taken if exam.duration is None else min(taken, exam.duration),
        completed_at=completed_on,
        total_questions=len(links),
    )
    items = []
    for position, link in enumerate(links, start=1):
        answer = by_question.get(link.question_id, {})
        seconds = answer.get("duration")
        items.append(
            AttemptItem(
                attempt=attempt,
                question_id=link.question_id,
                section_id=link.section_id,
                order=position,
                selected_answers=answer.get("selected_answers", []),
                short_text=answer.get("short_text", ""),
                essay_text=answer.get("essay_text", ""),
                duration=None if seconds is None else timedelta(seconds=seconds),
            )
        )
    AttemptItem.objects.bulk_create(items)
    _score(attempt)
    _save_scored(attempt, None, SCORE_FIELDS)
    outbox.record(attempt=attempt, kind=WebhookEvent.Kind.STARTED)
    outbox.record(attempt=attempt, kind=WebhookEvent.Kind.COMPLETED)
    return attempt


# --- Ending ----------------------------------------------------------------------------------


def attempt_end(*, attempt: Attempt, now: datetime | None = None, refuse_overdue: bool = False) -> Attempt:
    """End an open attempt: count its last stretch of time, score every item, state Completed.

    One transaction, the attempt row locked: an end interrupted half-way leaves the attempt open
    and unscored, never half-scored. 409 attempt_completed when it has already ended (the
    sweep may have ended an overdue one first: that is the answer the client gets).

    `refuse_overdue`, for the student's own end/: an attempt found overdue ended when its time did, not
    by the student, so it is completed as timed out (committed) and the end refused as if the sweep
    had come first (409 attempt_completed, AttemptTimeUp). Otherwise an overdue attempt ends as any
    other, its time charged up to its end.
    """
    return _raise_refusal(_end(attempt.pk, attempt.user_id, now or timezone.now(), refuse_overdue))


@transaction.atomic
def _end(pk: int, taker_id: int | None, now: datetime, refuse_overdue: bool):
    attempt = _lock(pk, taker_id=taker_id)
    if attempt.is_completed:
        raise errors.AttemptCompleted()
    if refuse_overdue and timing.is_overdue(attempt, now) and _settle(attempt, now):
        # Answered as when the sweep got there first (its plain message), recorded as time up.
        return errors.AttemptTimeUp(errors.AttemptCompleted.message)
    _complete(attempt, now)
    return attempt


@dataclass(frozen=True)
class EachOutcome:
    """What a change made one attempt at a time did: the ids changed, skipped and failed."""

    done: tuple[int, ...] = ()
    # Not in a state for the change (already completed, still running): nothing to do.
    skipped: tuple[int, ...] = ()
    # The change raised; the attempt is left as it was and the error is logged with its traceback.
    failed: tuple[int, ...] = ()


def _one_by_one(pks: Iterable[int], change: Callable[[int], bool], *, what: str) -> EachOutcome:
    """Apply `change` (atomic, True when it changed the attempt) to each id on its own.

    One attempt the engine cannot change (data written around the services, a bug) must not keep the
    others from being ended or scored: its error is logged and the next one goes on. Each change is
    its own transaction, or a savepoint inside a caller's, so a failure undoes that attempt only.
    """
    done, skipped, failed = [], [], []
    for pk in pks:
        try:
            changed = change(pk)
        except Exception:
            logger.exception("Could not %s attempt %s; it is left as it was", what, pk)
            failed.append(pk)
        else:
            (done if changed else skipped).append(pk)
    return EachOutcome(tuple(done), tuple(skipped), tuple(failed))


def end_overdue_attempts(
    *, now: datetime | None = None, queryset: QuerySet[Attempt] | None = None
) -> EachOutcome:
    """Complete every open attempt whose time is up or whose exam has closed.

    One query finds the candidates (restricted to `queryset` when given, e.g. one user's attempts
    before a read); each is then locked, checked again and ended on its own (_one_by_one), so the
    sweep never holds many locks and one failure neither undoes nor blocks the others. `done` are
    the ids it ended; `skipped` the candidates no longer overdue when locked.
    """
    now = now or timezone.now()
    candidates = (queryset if queryset is not None else Attempt.objects.all()).filter(_overdue_at(now))
    pks = list(candidates.values_list("pk", flat=True))
    return _one_by_one(pks, lambda pk: _end_if_overdue(pk, now), what="end overdue")


def _overdue_at(now: datetime) -> Q:
    """timing.is_overdue in SQL: the exam has closed, or time_taken + uncounted ≥ duration.

    uncounted = min(now − clock_checked_at, grace), so the time condition is: already used up,
    or within the grace of the end with at least the rest elapsed since the last check.
    Strict mode (exam.disable_attempt_resume): created (date) + duration ≤ now. Timed by section: the
    same rules for its running section (timing.section_is_overdue), its start instead of the creation.
    """
    grace = settings.ATTEMPT_TIME_GRACE
    remaining = F("exam__duration") - F("time_taken")
    paused_out = Q(
        Q(time_taken__gte=F("exam__duration"))
        | Q(
            state=AttemptState.RUNNING,
            time_taken__gte=F("exam__duration") - grace,
            clock_checked_at__lte=now - remaining,
        ),
        exam__disable_attempt_resume=False,
    )
    strict_out = Q(exam__disable_attempt_resume=True, date__lte=now - F("exam__duration"))
    whole = Q(sectionally_timed=False) & (paused_out | strict_out)
    section_out = Q(sectionally_timed=True) & Exists(_overdue_sections(now).filter(attempt=OuterRef("pk")))
    return Q(state__in=OPEN_STATES) & (Q(exam__end_date__lte=now) | whole | section_out)


def _overdue_sections(now: datetime) -> QuerySet[AttemptSection]:
    """timing.section_is_overdue in SQL, for running sections (their exam's end aside)."""
    grace = settings.ATTEMPT_TIME_GRACE
    remaining = F("duration") - F("time_taken")
    paused_out = Q(
        Q(time_taken__gte=F("duration"))
        | Q(time_taken__gte=F("duration") - grace, clock_checked_at__lte=now - remaining),
        attempt__exam__disable_attempt_resume=False,
    )
    strict_out = Q(attempt__exam__disable_attempt_resume=True, started_at__lte=now - F("duration"))
    return AttemptSection.objects.filter(Q(state=AttemptState.RUNNING) & (paused_out | strict_out))


@transaction.atomic
def _end_if_overdue(pk: int, now: datetime) -> bool:
    """Complete what ran out: the attempt, or its running section (and the attempt when it was the last)."""
    attempt = _lock(pk)
    if not timing.is_overdue(attempt, now):
        return False
    _settle(attempt, now)
    return True


# --- Marking after the end -------------------------------------------------------------------


def attempts_end(*, pks: Iterable[int], now: datetime | None = None) -> EachOutcome:
    """End each open attempt of `pks` now, one at a time (staff's bulk action); completed ones are
    skipped, and one that cannot be ended is logged and left open while the others are ended."""
    now = now or timezone.now()
    return _one_by_one(pks, lambda pk: _end_if_open(pk, now), what="end")


@transaction.atomic
def _end_if_open(pk: int, now: datetime) -> bool:
    attempt = _lock(pk)
    if attempt.is_completed:
        return False
    _complete(attempt, now)
    return True


def attempts_rescore(*, pks: Iterable[int]) -> EachOutcome:
    """attempt_rescore for each completed attempt of `pks`, one at a time; open ones are skipped, and
    one that cannot be scored is logged and keeps its old score while the others are re-scored."""
    return _one_by_one(pks, _rescore_if_completed, what="re-score")


@transaction.atomic
def _rescore_if_completed(pk: int) -> bool:
    attempt = _lock(pk)
    if not attempt.is_completed:
        return False
    _rescore(attempt)
    return True


@transaction.atomic
def attempt_rescore(*, attempt: Attempt) -> Attempt:
    """Score a completed attempt again from its items (after essay marking or a question fix).

    Essays keep the marks staff gave; everything else is judged again against the questions as
    they are now. 409 attempt_not_completed on an open attempt.
    """
    locked = _lock(attempt.pk)
    if not locked.is_completed:
        raise errors.AttemptNotCompleted()
    _rescore(locked)
    return locked


@transaction.atomic
def item_mark_essay(*, item: AttemptItem, marks: Decimal | None, now: datetime | None = None) -> AttemptItem:
    """Staff's marks for an essay item, then the attempt is re-scored.

    0 ≤ marks ≤ what the question is worth here, at most two decimals. Marks above zero make the
    item correct (partial credit included), zero makes it incorrect with no negative marks; None
    takes the marks back (pending again). An overdue attempt is completed first; an attempt
    still running answers 409 attempt_not_completed. 400 not_an_essay, invalid_marks.
    """
    now = now or timezone.now()
    attempt = _lock(item.attempt_id)
    item = AttemptItem.objects.select_related("question").get(pk=item.pk)
    if item.question.type != QuestionType.ESSAY:
        raise errors.NotAnEssay()
    if marks is not None:
        marks = _essay_marks(marks, worth=attempt.exam.question_marks(item.question)[0])
    if not attempt.is_completed:
        if not timing.is_overdue(attempt, now):
            raise errors.AttemptNotCompleted()
        _complete(attempt, now)

    if marks is None:
        item.result, item.marks = "", None
    else:
        marked = scoring.essay_score(marks)
        item.result, item.marks = marked.result, marked.marks
    item.save(update_fields=["result", "marks"])
    _rescore(attempt)
    return item


def _essay_marks(marks, *, worth: Decimal) -> Decimal:
    try:
        value = Decimal(str(marks))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.quantize(scoring.CENTS):
        raise errors.InvalidEssayMarks("Give marks as a number with at most two decimals.")
    if not Decimal(0) <= value <= worth:
        raise errors.InvalidEssayMarks(f"Give between 0 and {worth} marks.")
    return value


# --- The shared steps ------------------------------------------------------------------------


def _lock(pk: int, *, taker_id: int | None = None) -> Attempt:
    """The attempt, locked, with its exam; AttemptNotFound when there is none (taken by `taker_id`).

    The student API hands the services an attempt it has not read (its id and the user acting), so
    that a request is one locked read: the taker is checked here, and the API reads the attempt to
    say why only when this finds nothing.
    """
    if taker_id is None:
        row = _LOCKED_ATTEMPT.first(pk=pk)
    else:
        row = _LOCKED_ATTEMPT_OF_TAKER.first(pk=pk, user=taker_id)
    if row is None:
        raise errors.AttemptNotFound()
    attempt = selectors.attempt_with_exam(row)
    _read_sections(attempt)
    return attempt


def _locked_attempt_with_exam(**filters) -> QuerySet[Attempt]:
    # of=("self",): lock the attempt only; locking its exam too would queue every student of it.
    return (
        Attempt.objects.select_for_update(of=("self",))
        .filter(**filters)
        .order_by()
        .values(*selectors.attempt_with_exam_columns())
    )


# Every end (and every locked start or heartbeat) reads so: compiled once, inside the first one's
# transaction (a locking read is refused outside one).
_LOCKED_ATTEMPT = PreparedQuery(lambda pk: _locked_attempt_with_exam(pk=pk), "pk")
_LOCKED_ATTEMPT_OF_TAKER = PreparedQuery(
    lambda pk, user: _locked_attempt_with_exam(pk=pk, user_id=user), "pk", "user"
)


def _simply_running(attempt: Attempt, now: datetime) -> bool:
    """Whether a request may move the attempt's clock without the lock (attempts/writes.py): it is
    running, not overdue, and has one clock (one timed by section has a clock per section too, and is
    decided under the lock)."""
    return (
        attempt.state == AttemptState.RUNNING
        and not attempt.sectionally_timed
        and not timing.is_overdue(attempt, now)
    )


def _read_sections(attempt: Attempt) -> None:
    """An attempt timed by section, just locked: its sections as the last change under the lock left
    them (one query). Others have none to read."""
    if attempt.sectionally_timed:
        prefetch_related_objects([attempt], "attempt_sections")


def _raise_refusal(outcome):
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _close_if_due(attempt: Attempt, now: datetime) -> errors.AttemptCompleted | None:
    """The refusal for a request on an ended attempt, completing an overdue one (or its overdue
    section) on the way."""
    if attempt.is_completed:
        return errors.AttemptCompleted()
    if timing.is_overdue(attempt, now) and _settle(attempt, now):
        return errors.AttemptTimeUp()
    return None


def _settle(attempt: Attempt, now: datetime) -> bool:
    """Complete an overdue attempt, or the overdue running section of one timed by section (the
    attempt too when no section is left); whether the attempt is now completed."""
    running = timing.running_section(attempt) if attempt.sectionally_timed else None
    if running is not None and not attempt.exam.has_ended(now):
        _end_section(attempt, running, now)
    else:
        _complete(attempt, now)
    return attempt.is_completed


def _tick(attempt: Attempt, now: datetime) -> timedelta:
    """Charge the time since the last check (timing's rules) and check the clock at `now`.

    Timed by section: the running section's clock moves, and the attempt's time is its sections' sum.
    """
    before = attempt.time_taken
    if attempt.sectionally_timed:
        running = timing.running_section(attempt)
        if running is not None:
            running.time_taken = timing.section_time_taken_at(running, attempt.exam, now)
            running.clock_checked_at = _later(running.clock_checked_at, now)
    attempt.time_taken = timing.time_taken_at(attempt, now)
    if attempt.state == AttemptState.RUNNING:
        _check_clock(attempt, now)
    return attempt.time_taken - before


def _save_clock(attempt: Attempt, *fields: str) -> None:
    """Save the attempt's clock (and `fields`), and its running section's: one UPDATE each."""
    attempt.save(update_fields=[*CLOCK_FIELDS, *fields])
    running = timing.running_section(attempt) if attempt.sectionally_timed else None
    if running is not None:
        running.save(update_fields=SECTION_CLOCK_FIELDS)


def _run(attempt: Attempt, now: datetime) -> None:
    """(Re)start the clock: a not-started attempt becomes Running."""
    attempt.state = AttemptState.RUNNING
    attempt.last_started_time = now
    _check_clock(attempt, now)


def _check_clock(attempt: Attempt, now: datetime) -> None:
    attempt.clock_checked_at = _later(attempt.clock_checked_at, now)


def _later(checked: datetime | None, now: datetime) -> datetime:
    # A request stamped earlier than the last check (another server's clock) must not rewind it,
    # or the same stretch of time would be charged twice.
    return now if checked is None or checked < now else checked


def _complete(attempt: Attempt, now: datetime) -> None:
    before = tallies.tally_key(attempt)
    _tick(attempt, now)
    sections = _complete_sections(attempt, now) if attempt.sectionally_timed else []
    attempt.state = AttemptState.COMPLETED
    attempt.completed_at = now
    attempt.clock_checked_at = None
    _score(attempt)
    _save_scored(
        attempt,
        before,
        [*CLOCK_FIELDS, "completed_at", *SCORE_FIELDS],
        also=sections,
        event=WebhookEvent.Kind.COMPLETED,
    )


def _complete_sections(attempt: Attempt, now: datetime) -> list[Statement]:
    """Every section not completed yet is completed now (their clocks already charged); the UPDATE of
    each section's clock, for _save_scored to run with the attempt's. A section completed in memory
    only (the last one _end_section ended) is written with them."""
    for clock in timing.section_clocks(attempt):
        if not clock.is_completed:
            clock.state, clock.completed_at, clock.clock_checked_at = AttemptState.COMPLETED, now, None
    return [writes.save_statement(clock, SECTION_CLOCK_FIELDS) for clock in timing.section_clocks(attempt)]


def _rescore(attempt: Attempt) -> None:
    before = tallies.tally_key(attempt)
    _score(attempt)
    _save_scored(attempt, before, SCORE_FIELDS)


def _save_scored(
    attempt: Attempt,
    before: tallies.TallyKey | None,
    fields: list[str],
    *,
    also: Iterable[Statement] = (),
    event: str | None = None,
) -> None:
    """Save a locked attempt's new state or score, with the items _score changed, `also` (more rows
    the change wrote) and, for `event`, the webhook's outbox row; its score tally moves along, all in
    the caller's transaction.

    `before` is its tally as it was locked (None while it was open). An ended first attempt is added
    to the tally of its score, written with the rest: on PostgreSQL all of it is one statement
    (writes.run_together). A re-scored one moves from the old score's tally to the new one's after
    them, two rows in score order (tallies.tally_move).
    """
    after = tallies.tally_key(attempt)
    statements = [
        *_item_results(attempt),
        writes.save_statement(attempt, fields),
        *also,
        *(tallies.tally_add(after) if before is None else []),
    ]
    if event is None:
        writes.run_together(statements)
    else:
        outbox.record_with(statements, attempt=attempt, kind=event)
    if before is not None:
        tallies.tally_move(before, after)


# What scoring reads of an item and of its question; the question's text stays in the database.
SCORING_FIELDS = (
    "selected_answers",
    "short_text",
    "essay_text",
    "result",
    "marks",
    "question__type",
    "question__marks",
    "question__negative_marks",
    "question__numerical_answer",
    "question__numerical_tolerance",
)


def _score(attempt: Attempt) -> None:
    """Judge every item and put the totals on the attempt; the caller saves it (_save_scored), and
    with it the items whose result or marks changed, which wait in attempt.rejudged_items.

    One query reads the items with their questions and the questions' correct choices, as this
    transaction sees them: never the exam's cached paper, which may be stale. total_marks is summed
    again from the items, so a change of marks after the attempt began moves the score and the
    total together.
    """
    exam = attempt.exam
    items, correct_ids = {}, defaultdict(set)
    for row in _scoring_rows(attempt):
        item = items.setdefault(row.pk, row)
        if row.correct_id is not None:
            correct_ids[item.question_id].add(row.correct_id)

    scores, total, changed = [], Decimal("0"), []
    for item in items.values():
        question = item.question
        marks, negative = exam.question_marks(question)
        staff_marked = item.result in (ItemResult.CORRECT, ItemResult.INCORRECT) and item.marks is not None
        key = scoring.AnswerKey(
            question.type,
            frozenset(correct_ids[question.pk]),
            question.numerical_answer,
            question.numerical_tolerance,
        )
        response = scoring.Response.stored(item.selected_answers, item.short_text, item.essay_text)
        score = scoring.score_item(
            key,
            response,
            marks=marks,
            negative_marks=negative,
            essay_marks=item.marks if staff_marked else None,
        )
        scores.append(score)
        total += marks
        if (item.result, item.marks) != (score.result, score.marks):
            item.result, item.marks = score.result, score.marks
            changed.append(item)
    attempt.rejudged_items = changed

    totals = scoring.attempt_totals(
        scores, total_marks=total, time_taken=attempt.time_taken, pass_percentage=exam.pass_percentage
    )
    for field in SCORE_FIELDS:
        setattr(attempt, field, getattr(totals, field))


def _scoring_rows(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The attempt's items with what scores them: a row per item and correct choice of its question
    (`correct_id`), one with None for a question without one (numerical, essay)."""
    correct = FilteredRelation("question__answers", condition=Q(question__answers__is_correct=True))
    return (
        AttemptItem.objects.filter(attempt=attempt)
        .annotate(correct=correct, correct_id=F("correct__id"))
        .select_related("question")
        .only(*SCORING_FIELDS)
        .order_by()
    )


def _item_results(attempt: Attempt) -> list[Statement]:
    """The items _score changed, as one UPDATE: each item's result and marks picked by its outcome
    (`WHEN id IN (…) THEN`), a handful of outcomes however many items share them."""
    outcomes = defaultdict(list)
    for item in attempt.rejudged_items:
        outcomes[item.result, item.marks].append(item.pk)
    if not outcomes:
        return []

    def by_outcome(name: str, index: int) -> Case:
        field = AttemptItem._meta.get_field(name)
        picks = [
            When(pk__in=pks, then=Value(picked[index], output_field=field))
            for picked, pks in outcomes.items()
        ]
        return Case(*picks, output_field=field)

    items = AttemptItem.objects.filter(pk__in=[pk for pks in outcomes.values() for pk in pks])
    changes = {"result": by_outcome("result", 0), "marks": by_outcome("marks", 1)}
    return [writes.update_statement(items, changes)]
