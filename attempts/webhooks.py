"""The exam webhook: what is sent when an attempt starts or completes, how it is signed, one delivery.

The outbox row (models.WebhookEvent) is written by the services in the transaction that starts or
completes the attempt (attempts/outbox.py); a task calls deliver() for it. The payload is built at
the first try, from the attempt as it is then but in the state the event records (a "started" event
prints no result even when the attempt has ended since), and kept on the row: every retry sends the
same data under the same webhook-id. `key` and `hash` are added at each send, with the secret of the
moment.

Signatures, for an institute with secret "s3cret" and key "pk_1":
- hash: HMAC-SHA512 hex, keyed with the secret, of the percent-encoded values of key, attempt_id,
  correct_answers_count, secret, incorrect_answers_count, unanswered_answers_count, percentage,
  score, user_id joined with "|": "pk_1|42|3|s3cret|1|0|75|2.75|7" for attempt 42 of user 7.
- webhook-signature (Standard Webhooks): "v1," + base64 HMAC-SHA256, keyed with the secret's UTF-8
  bytes, of "<webhook-id>.<webhook-timestamp>.<body>".
"""

import base64
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exams.choices import Difficulty

from . import selectors
from .models import Attempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import ItemCounts

logger = logging.getLogger(__name__)

Kind, Status = WebhookEvent.Kind, WebhookEvent.Status
# The values the hash covers, in its order; "secret" is the secret itself.
HASHED = (
    "key",
    "attempt_id",
    "correct_answers_count",
    "secret",
    "incorrect_answers_count",
    "unanswered_answers_count",
    "percentage",
    "score",
    "user_id",
)
# The key of questions given no difficulty level, as in the v2.5 admin attempt detail.
NO_DIFFICULTY = "none"
EXCERPT = 500


# --- Where to, and with which secret ---------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    public_key: str
    enabled: bool

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.url)


def endpoint() -> Endpoint:
    """The webhook as configured: the admin's row, each value overridden by its EXAM_WEBHOOK_* setting.

    A URL from the environment turns the webhook on; a 410 from the receiver turns it off either way
    until staff tick *enabled* again (which clears the reason).
    """
    row = WebhookEndpoint.objects.filter(pk=WebhookEndpoint.SINGLETON_PK).first() or WebhookEndpoint()
    url = settings.EXAM_WEBHOOK_URL or row.url
    enabled = (bool(settings.EXAM_WEBHOOK_URL) or row.enabled) and not row.disabled_reason
    return Endpoint(
        url=url,
        secret=settings.EXAM_WEBHOOK_SECRET or row.secret,
        public_key=settings.EXAM_WEBHOOK_PUBLIC_KEY or row.public_key,
        enabled=enabled,
    )


def disable_endpoint(reason: str) -> None:
    row, _ = WebhookEndpoint.objects.get_or_create(pk=WebhookEndpoint.SINGLETON_PK)
    row.enabled = False
    row.disabled_reason = reason[:200]
    row.save(update_fields=["enabled", "disabled_reason"])


# --- The payload -----------------------------------------------------------------------------


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _local(value: datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).replace(microsecond=0).isoformat()


def _number(value) -> int | float:
    """80 stays 80, 66.666… becomes 66.67 (the API's compact numbers)."""
    quantized = Decimal(value).quantize(Decimal("0.01"))
    return int(quantized) if quantized == quantized.to_integral_value() else float(quantized)


def _counts(counts: ItemCounts) -> dict:
    return {
        "total_count": counts.total,
        "correct_answers_count": counts.correct,
        "incorrect_answers_count": counts.incorrect,
        "unanswered_count": counts.unanswered,
        # No item is partly correct (an essay given part of its marks counts as correct).
        "partial_correct_answers_count": 0,
    }


def _as_started(counts: ItemCounts) -> ItemCounts:
    return ItemCounts(total=counts.total, unanswered=counts.total)


def payload_data(attempt: Attempt, *, kind: str) -> dict:
    """Everything the webhook sends but `key` and `hash`, for `attempt` in the state of `kind`.

    subject_stats and difficulty_level_stats are the v2.5 admin attempt detail's rows (the same
    selectors, the same shapes). A started attempt prints its questions all unanswered, no score
    and no completed_on.
    """
    started = kind == Kind.STARTED
    shape = _as_started if started else (lambda counts: counts)
    subjects = selectors.subject_stats(attempt)
    by_level = selectors.difficulty_stats(attempt)
    levels = {level: by_level.get(level, ItemCounts()) for level in Difficulty.values}
    if "" in by_level:
        levels[NO_DIFFICULTY] = by_level[""]
    exam, user = attempt.exam, attempt.user
    return {
        "username": user.username,
        "email": user.email,
        "user_id": user.pk,
        "attempt_id": attempt.pk,
        "attempt_state": kind,
        "exam": {
            "id": exam.pk,
            "title": exam.title,
            "duration": None if exam.duration is None else str(exam.duration),
            "start_date": _local(exam.start_date),
            "end_date": _local(exam.end_date),
        },
        "total_count": attempt.total_questions,
        "correct_answers_count": 0 if started else attempt.correct_count,
        "incorrect_answers_count": 0 if started else attempt.incorrect_count,
        "unanswered_answers_count": attempt.total_questions if started else attempt.unanswered_count,
        "partial_correct_answers_count": 0,
        "score": "0.00" if started else f"{Decimal(attempt.score):.2f}",
        "percentage": 0 if started else _number(attempt.percentage),
        "accuracy": 0 if started else attempt.accuracy,
        "speed": 0 if started else attempt.speed,
        "subject_stats": [
            {
                **_counts(shape(row.counts)),
                "subject_id": row.subject_id,
                "subject_name": row.name,
                "parent_subject_id": row.parent_id,
                "is_leaf": row.is_leaf,
                "score": "0.00" if started else f"{row.counts.score:.2f}",
            }
            for row in subjects
        ],
        "difficulty_level_stats": {level: _counts(shape(counts)) for level, counts in levels.items()},
        "attempt_start_time": _utc(attempt.date),
        "completed_on": None if started else _utc(attempt.completed_at),
        "institute_attempt_id": attempt.pk,
    }


def testpress_hash(data: dict, *, key: str, secret: str) -> str:
    """The Testpress `hash` of a payload (see the module docstring for the worked example)."""
    values = {**data, "key": key, "secret": secret}
    message = "|".join(quote(str(values[name]), safe="") for name in HASHED)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha512).hexdigest()


def standard_signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` header value: "v1,<base64 HMAC-SHA256>"."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def signed_request(event: WebhookEvent, ep: Endpoint, *, timestamp: int) -> tuple[bytes, dict]:
    """The body and headers of one try of `event` (its payload built already)."""
    data = event.payload
    body = json.dumps(
        {**data, "key": ep.public_key, "hash": testpress_hash(data, key=ep.public_key, secret=ep.secret)},
        separators=(",", ":"),
        # The stored payload comes back from PostgreSQL's jsonb with its keys reordered: sorted keys
        # keep every try's body byte for byte the same.
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "testpress-exams-webhook/1",
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(
            secret=ep.secret, webhook_id=event.webhook_id, timestamp=timestamp, body=body
        ),
    }
    return body, headers


# --- Delivering ------------------------------------------------------------------------------


def retry_delay(tries: int) -> float | None:
    """Seconds until the next try after `tries` failed ones, jittered ±20 %; None when it is the last.

    The default schedule (settings.WEBHOOK_RETRY_DELAYS) is 30 s, 2 min, 10 min, 30 min, 1 h, 2 h,
    4 h, 8 h, 8 h, 8 h: 31 h 42 min in all, at least 25 h 21 min with every jitter at −20 %.
    """
    delays = settings.WEBHOOK_RETRY_DELAYS
    if tries > len(delays):
        return None
    return delays[tries - 1] * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class Outcome:
    """What one call of deliver() did: `status` of the event after it, and when to try again."""

    claimed: bool
    status: str | None = None
    retry_in: float | None = None


def claim(event_id: int, *, now: datetime) -> bool:
    """Take a due event for one try: its next_attempt_at moves a lease ahead, so no other task sends it
    meanwhile, and a task that dies holding it leaves it due again when the lease runs out."""
    lease = timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    return bool(
        WebhookEvent.objects.filter(pk=event_id, status=Status.PENDING, next_attempt_at__lte=now).update(
            next_attempt_at=now + lease
        )
    )


def deliver(event_id: int, *, now: datetime | None = None) -> Outcome:
    """One try of a due pending event; anything else (delivered, failed, not due, held) is left alone.

    2xx within settings.WEBHOOK_TIMEOUT_SECONDS: delivered. 410: the endpoint is turned off and the
    event fails. Anything else (another status, a timeout, no connection): tried again after
    retry_delay(), and failed after the last. No webhook configured: skipped, nothing sent.
    """
    now = now or timezone.now()
    if not claim(event_id, now=now):
        return Outcome(claimed=False)
    event = WebhookEvent.objects.get(pk=event_id)
    ep = endpoint()
    if not ep.active:
        event.status = Status.SKIPPED
        event.save(update_fields=["status"])
        return Outcome(claimed=True, status=event.status)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    started = time.monotonic()
    code, excerpt = None, ""
    try:
        if event.payload is None:
            attempt = Attempt.objects.select_related("exam", "user").get(pk=event.attempt_id)
            event.payload = payload_data(attempt, kind=event.kind)
            event.save(update_fields=["payload"])
        body, headers = signed_request(event, ep, timestamp=int(now.timestamp()))
    except Exception as error:
        # A bug or bad data must not hold the event forever: it is a failed try like any other.
        logger.exception("Could not build the payload of webhook event %s", event.webhook_id)
        excerpt = f"Could not build the payload: {type(error).__name__}: {error}"[:EXCERPT]
    else:
        try:
            response = requests.post(
                ep.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            )
            code, excerpt = response.status_code, response.text[:EXCERPT]
        except requests.RequestException as error:
            excerpt = f"{type(error).__name__}: {error}"[:EXCERPT]
    elapsed = time.monotonic() - started
    ok = code is not None and 200 <= code < 300 and elapsed <= timeout

    with transaction.atomic():
        WebhookDelivery.objects.create(
            event=event,
            attempted_at=now,
            status_code=code,
            ok=ok,
            duration_ms=int(elapsed * 1000),
            response_excerpt=excerpt,
        )
        event.tries += 1
        retry_in = None
        if ok:
            event.status, event.delivered_at = Status.DELIVERED, timezone.now()
        elif code == 410:
            event.status = Status.FAILED
            disable_endpoint(f"The receiver answered 410 Gone at {_utc(timezone.now())}.")
            logger.warning("Exam webhook %s answered 410 Gone: turned off", ep.url)
        else:
            retry_in = retry_delay(event.tries)
            if retry_in is None:
                event.status = Status.FAILED
                logger.error("Webhook event %s failed after %s tries", event.webhook_id, event.tries)
            else:
                event.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
        event.save(update_fields=["status", "delivered_at", "tries", "next_attempt_at"])
    return Outcome(claimed=True, status=event.status, retry_in=retry_in)


def due_events(*, now: datetime | None = None) -> list[int]:
    """Pending events due for longer than settings.WEBHOOK_REQUEUE_AFTER_SECONDS: their task was lost
    (a publish while the broker was down, a worker killed with the lease held, a retry left to the sweep)."""
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER_SECONDS)
    due = WebhookEvent.objects.filter(status=Status.PENDING, next_attempt_at__lte=late)
    due = due.order_by("next_attempt_at").values_list("pk", flat=True)
    return list(due[: settings.WEBHOOK_REQUEUE_BATCH])
