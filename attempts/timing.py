"""The server's clock for attempts: how much time an attempt has used and whether it is over.

Time counts only while the attempt is open and the student is there. Each request on a running
attempt counts the wall time since the previous one, but at most ATTEMPT_TIME_GRACE: a phone that
closed the app at 10:00 and comes back at 10:20 is charged the grace, not twenty minutes.

Worked example (30-minute exam, 90 s grace): start at 10:00, heartbeats at 10:01 and 10:02 → 2:00
used; app closed, next heartbeat at 10:30 → 2:00 + 1:30 = 3:30 used, 26:30 remaining.
"""

from datetime import datetime, timedelta

from django.conf import settings

from .choices import AttemptState

ZERO = timedelta(0)


def uncounted_time(attempt, now: datetime) -> timedelta:
    """Time since the clock was last checked that the attempt may still be charged for.

    No time counts after the exam closes: an attempt last checked at 16:59 of an exam that
    closed at 17:00 and swept at 17:30 is charged 1:00, not the whole grace.
    """
    if attempt.state != AttemptState.RUNNING or attempt.clock_checked_at is None:
        return ZERO
    end_date = attempt.exam.end_date
    if end_date is not None and end_date < now:
        now = end_date
    return min(max(now - attempt.clock_checked_at, ZERO), settings.ATTEMPT_TIME_GRACE)


def time_taken_at(attempt, now: datetime) -> timedelta:
    """time_taken as of `now`, never beyond the exam's duration."""
    taken = attempt.time_taken + uncounted_time(attempt, now)
    duration = attempt.exam.duration
    return min(taken, duration) if duration is not None else taken


def remaining_time_at(attempt, now: datetime) -> timedelta | None:
    """Time left as of `now`; None for an untimed exam."""
    duration = attempt.exam.duration
    if duration is None:
        return None
    return max(duration - time_taken_at(attempt, now), ZERO)


def is_overdue(attempt, now: datetime) -> bool:
    """An open attempt whose time has run out or whose exam has closed: it must be completed."""
    if attempt.state == AttemptState.COMPLETED:
        return False
    if attempt.exam.has_ended(now):
        return True
    remaining = remaining_time_at(attempt, now)
    return remaining is not None and remaining <= ZERO
