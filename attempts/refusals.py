"""Requests on an ended attempt, recorded as they are refused, for staff watching the exam.

The services refuse by raising (a 409 attempt_completed); the student API's attempt views call
refusal_record() as they answer it. A record is one INSERT in a savepoint, and it never fails the
request: a database error is logged and the refusal answered all the same.
"""

import logging
from datetime import datetime

from django.db import DatabaseError, transaction

from .models import Attempt, RefusedRequest

logger = logging.getLogger(__name__)


def refusal_record(*, attempt: Attempt, code: str, action: str, at: datetime) -> RefusedRequest | None:
    """Record that `action` on `attempt` (by its student) was refused at `at`; None if it could not be.

    The savepoint keeps a failed insert from aborting the request's transaction (PostgreSQL refuses
    every later statement of an aborted one), which holds what the request committed before refusing
    (an overdue attempt ended on the way).
    """
    try:
        with transaction.atomic():
            return RefusedRequest.objects.create(
                attempt_id=attempt.pk,
                exam_id=attempt.exam_id,
                user_id=attempt.user_id,
                code=code,
                action=action,
                at=at,
            )
    except DatabaseError:
        logger.warning("Could not record the refused %s on attempt %s", action, attempt.pk, exc_info=True)
        return None
