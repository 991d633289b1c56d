"""Background tasks of the attempt engine: thin wrappers over services, safe to run twice.

Sent by `celery -A testpress beat` (settings.CELERY_BEAT_SCHEDULE) and, for webhook events, queued
after the commit that wrote the event (attempts/outbox.py). Each one reads what to do from the
database, so a message delivered twice, or a worker killed half-way, changes nothing twice.
"""

import logging

from celery import shared_task
from django.conf import settings

from . import offline, outbox, services, tallies, webhooks

logger = logging.getLogger(__name__)


@shared_task(name="attempts.end_overdue_attempts")
def end_overdue_attempts() -> dict:
    """Complete every overdue attempt, one by one (services.end_overdue_attempts); counts of each."""
    swept = services.end_overdue_attempts()
    if swept.failed:
        logger.error("Could not end overdue attempts %s; they are left open", list(swept.failed))
    return {"done": len(swept.done), "skipped": len(swept.skipped), "failed": len(swept.failed)}


@shared_task(name="attempts.check_score_tallies")
def check_score_tallies() -> int:
    """The nightly drift check: log every score tally that differs from a recount; how many do.

    It only reports: a repair (`manage.py check_score_tallies --repair`) is staff's decision.
    """
    drift = tallies.tally_drift()
    for d in drift:
        logger.error(
            "Score tally drift: exam %s score %s tallied %s, counted %s; "
            "run `manage.py check_score_tallies --repair`",
            d.exam_id,
            d.score,
            d.tallied,
            d.counted,
        )
    return len(drift)


@shared_task(bind=True, name="attempts.deliver_webhook_event")
def deliver_webhook_event(self, event_id: int) -> str | None:
    """One delivery try of a webhook event (webhooks.deliver); queues the next try when it failed.

    Safe to run twice: a try first claims the event (webhooks.claim), and an event already delivered,
    failed, not due yet, or held by another try is left alone. A retry due within
    settings.WEBHOOK_COUNTDOWN_MAX_SECONDS is queued with that countdown; a later one is left to the
    re-queue sweep, so no message waits for hours in the broker.
    """
    outcome = webhooks.deliver(event_id)
    soon = outcome.retry_in is not None and outcome.retry_in <= settings.WEBHOOK_COUNTDOWN_MAX_SECONDS
    # In process (no broker) a countdown would block the sender: the sweep sends the retry there.
    if soon and not self.request.is_eager:
        outbox.enqueue(event_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="attempts.requeue_webhook_events")
def requeue_webhook_events() -> int:
    """Queue every pending event whose try is overdue (webhooks.due_events); how many were queued."""
    queued = 0
    for event_id in webhooks.due_events():
        queued += outbox.enqueue(event_id)
    return queued


@shared_task(name="attempts.process_offline_submission")
def process_offline_submission(submission_id: int) -> str | None:
    """Make the attempt of one offline submission (offline.submission_process); its status after.

    Safe to run twice: the submission is locked and only a pending one is processed.
    """
    return offline.submission_process(submission_id)


@shared_task(name="attempts.requeue_offline_submissions")
def requeue_offline_submissions() -> int:
    """Queue every pending submission whose task is overdue (offline.due_submissions); how many."""
    queued = 0
    for submission_id in offline.due_submissions():
        queued += offline.enqueue(submission_id)
    return queued
