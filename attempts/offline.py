"""Offline exams: a submission received, stored in the request's transaction, and queued on commit;
a task turns it into one completed, scored attempt (services.attempt_create_offline).

As with the webhook outbox (attempts/outbox.py), the row is the durable record: a broker that is
down when the request commits loses nothing, since the re-queue sweep (tasks.requeue_offline_submissions)
finds the submission still pending. Processing locks the row and makes the attempt and marks the row
processed in one transaction, so a task run twice, or two at once, makes one attempt; the unique
(exam, user, started_on) of the row makes the app's resends land on the first row.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from exams.models import Exam
from testpress.celery import app

from . import errors, services
from .models import Attempt, OfflineSubmission

logger = logging.getLogger(__name__)

PROCESS_TASK = "attempts.process_offline_submission"
Status = OfflineSubmission.Status


def submission_receive(
    *,
    user,
    exam: Exam,
    started_on: datetime,
    completed_on: datetime,
    answers: list[dict],
    now: datetime | None = None,
) -> OfflineSubmission:
    """Check an offline submission and store it; its processing is queued on commit.

    Refusals, before anything is written: 403 not_offline_exam; 400 invalid_offline_attempt
    (started_on after completed_on, before the exam opened, completed_on in the future beyond
    settings.OFFLINE_CLOCK_SKEW); 400 offline_submission_late (completed_on after the exam's end_date
    plus its grace); 400 invalid_offline_answer (services.offline_answers_checked); 403
    retakes_exhausted when the user's attempts are used up already. The same (exam, user, started_on)
    sent again answers the row stored the first time, unchanged, and queues nothing new.
    """
    now = now or timezone.now()
    if not exam.is_offline_exam:
        raise errors.NotAnOfflineExam()
    existing = OfflineSubmission.objects.filter(exam=exam, user=user, started_on=started_on).first()
    if existing is not None:
        return existing
    _check_times(exam, started_on=started_on, completed_on=completed_on, now=now)
    checked = services.offline_answers_checked(exam=exam, answers=answers)
    if exam.remaining_attempts(Attempt.objects.filter(exam=exam, user=user).count()) == 0:
        raise errors.RetakesExhausted()
    try:
        with transaction.atomic():
            submission = OfflineSubmission.objects.create(
                exam=exam,
                user=user,
                started_on=started_on,
                completed_on=completed_on,
                answers=checked,
                received_at=now,
                next_attempt_at=now,
            )
    except IntegrityError:
        # The same sitting sent twice at once: the other request stored it first.
        return OfflineSubmission.objects.get(exam=exam, user=user, started_on=started_on)
    transaction.on_commit(lambda: enqueue(submission.pk))
    return submission


def _check_times(exam: Exam, *, started_on: datetime, completed_on: datetime, now: datetime) -> None:
    if started_on > completed_on:
        raise errors.InvalidOfflineAttempt("started_on is later than completed_on.")
    if started_on < exam.start_date:
        raise errors.InvalidOfflineAttempt(
            f"started_on is before the exam opened ({timezone.localtime(exam.start_date).isoformat()})."
        )
    if completed_on > now + settings.OFFLINE_CLOCK_SKEW:
        raise errors.InvalidOfflineAttempt("completed_on is in the future.")
    deadline = exam.offline_submission_deadline
    if deadline is not None and completed_on > deadline:
        raise errors.OfflineSubmissionLate(
            f"completed_on is later than the exam's end date plus "
            f"{exam.grace_duration_for_offline_submission} minutes of grace "
            f"({timezone.localtime(deadline).isoformat()}): the submission is too late."
        )


def enqueue(submission_id: int) -> bool:
    """Queue the processing of a submission; False (logged) when the broker cannot take it now.

    Without a broker (settings.CELERY_TASK_ALWAYS_EAGER) it runs here and now.
    """
    try:
        app.tasks[PROCESS_TASK].apply_async((submission_id,))
    except Exception:
        logger.warning(
            "Could not queue offline submission %s; the re-queue sweep will", submission_id, exc_info=True
        )
        return False
    return True


def submission_process(submission_id: int, *, now: datetime | None = None) -> str | None:
    """Make the attempt of a pending submission; its status after, None when it was not pending.

    Retakes used up by then: the submission is *refused* (the reason kept on the row, logged), not
    an error. Anything else that raises (a bug, bad data) leaves it pending, due again after a
    growing delay (settings.OFFLINE_RETRY_DELAYS), and is logged with its traceback.
    """
    now = now or timezone.now()
    try:
        return _process(submission_id, now)
    except Exception:
        logger.exception("Could not process offline submission %s; it stays pending", submission_id)
        _postpone(submission_id, now)
        return Status.PENDING


@transaction.atomic
def _process(submission_id: int, now: datetime) -> str | None:
    submission = (
        OfflineSubmission.objects.select_for_update(of=("self",))
        .select_related("exam", "user")
        .filter(pk=submission_id, status=Status.PENDING)
        .first()
    )
    if submission is None:
        return None
    try:
        attempt = services.attempt_create_offline(
            user=submission.user,
            exam=submission.exam,
            started_on=submission.started_on,
            completed_on=submission.completed_on,
            answers=submission.answers,
        )
    except errors.RetakesExhausted as refusal:
        logger.warning(
            "Offline submission %s of user %s for exam %s refused: %s",
            submission.pk,
            submission.user_id,
            submission.exam_id,
            refusal.message,
        )
        submission.status, submission.refusal = Status.REFUSED, refusal.message
    else:
        submission.status, submission.attempt = Status.PROCESSED, attempt
    submission.tries += 1
    submission.processed_at = now
    submission.save(update_fields=["status", "refusal", "attempt", "tries", "processed_at"])
    return submission.status


def _postpone(submission_id: int, now: datetime) -> None:
    submission = OfflineSubmission.objects.filter(pk=submission_id, status=Status.PENDING).first()
    if submission is None:
        return
    delays = settings.OFFLINE_RETRY_DELAYS
    delay = delays[min(submission.tries, len(delays) - 1)]
    submission.tries += 1
    submission.next_attempt_at = now + timedelta(seconds=delay)
    submission.save(update_fields=["tries", "next_attempt_at"])


def due_submissions(*, now: datetime | None = None) -> list[int]:
    """Pending submissions due for longer than settings.OFFLINE_REQUEUE_AFTER_SECONDS: their task was
    lost (a publish while the broker was down, a worker killed mid-task) or a retry is due."""
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.OFFLINE_REQUEUE_AFTER_SECONDS)
    due = OfflineSubmission.objects.filter(status=Status.PENDING, next_attempt_at__lte=late)
    due = due.order_by("next_attempt_at").values_list("pk", flat=True)
    return list(due[: settings.OFFLINE_REQUEUE_BATCH])
