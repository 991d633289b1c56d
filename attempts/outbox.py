"""The webhook outbox: an event row written with the change it reports, its task queued on commit.

record() is one INSERT in the caller's transaction (record_with: run with the statements of the
change, one round trip on PostgreSQL): a rolled-back start or end leaves no event and queues
nothing. The task is queued by name after the commit; a queueing that fails (the broker is down) is
logged and left to the re-queue sweep (tasks.requeue_webhook_events), which finds the event still
pending.
"""

import logging

from django.db import transaction
from django.utils import timezone

from testpress.celery import app

from .models import Attempt, WebhookEvent
from .writes import Statement, insert_statement, run_together

logger = logging.getLogger(__name__)

DELIVER_TASK = "attempts.deliver_webhook_event"


def record(*, attempt: Attempt, kind: str) -> WebhookEvent:
    """Write the event of `attempt` being started or completed; its delivery is queued on commit."""
    event = WebhookEvent.objects.create(attempt=attempt, kind=kind)
    transaction.on_commit(lambda: enqueue(event.pk))
    return event


def record_with(statements: list[Statement], *, attempt: Attempt, kind: str) -> WebhookEvent:
    """record(), its INSERT run last of `statements` (the change it reports): writes.run_together."""
    event = WebhookEvent(attempt=attempt, kind=kind)
    [(event.pk,)] = run_together([*statements, insert_statement(event)])
    transaction.on_commit(lambda: enqueue(event.pk))
    return event


def enqueue(event_id: int, *, countdown: float | None = None) -> bool:
    """Queue one delivery try of `event_id`; False (logged) when the broker cannot take it now.

    Without a broker (settings.CELERY_TASK_ALWAYS_EAGER) the try runs here and now.
    """
    try:
        app.tasks[DELIVER_TASK].apply_async((event_id,), countdown=countdown)
    except Exception:
        logger.warning("Could not queue webhook event %s; the re-queue sweep will", event_id, exc_info=True)
        return False
    return True


def send_again(*, event_ids) -> int:
    """Staff's "send again": each event becomes pending, due now with a fresh retry schedule, whatever
    it was (delivered, failed, skipped), and a try is queued on commit; how many events."""
    event_ids = list(event_ids)
    changed = WebhookEvent.objects.filter(pk__in=event_ids).update(
        status=WebhookEvent.Status.PENDING, next_attempt_at=timezone.now(), tries=0
    )
    for event_id in event_ids:
        transaction.on_commit(lambda event_id=event_id: enqueue(event_id))
    return changed
