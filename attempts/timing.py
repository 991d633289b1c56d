"""The server's clock for attempts: how much time an attempt has used and whether it is over.

Two modes, chosen by the exam's `disable_attempt_resume`:

Pause and resume (the default). Time counts only while the attempt is open and the student is
there. Each request on a running attempt counts the wall time since the previous one, but at most
ATTEMPT_TIME_GRACE: a phone that closed the app at 10:00 and comes back at 10:20 is charged the
grace, not twenty minutes.

Worked example (30-minute exam, 90 s grace): start at 10:00, heartbeats at 10:01 and 10:02 → 2:00
used; app closed, next heartbeat at 10:30 → 2:00 + 1:30 = 3:30 used, 26:30 remaining.

Strict (`disable_attempt_resume`). The deadline is fixed when the attempt is created: its `date` +
the duration, never past the exam's end_date. Wall time counts whether the app is open or not.

Worked example (30-minute exam closing at 10:20): created at 10:00 → deadline 10:20, not 10:30;
app closed at 10:01, next heartbeat at 10:15 → 15:00 used, 5:00 remaining; at 10:20 it is overdue.
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


def deadline(attempt) -> datetime | None:
    """A strict-mode attempt's end: created + duration, never past the exam's end_date; None when the
    attempt pauses (the default mode) or has no end at all (untimed, never closing)."""
    exam = attempt.exam
    if not exam.disable_attempt_resume:
        return None
    ends = [when for when in (_created_plus_duration(attempt), exam.end_date) if when is not None]
    return min(ends, default=None)


def _created_plus_duration(attempt) -> datetime | None:
    duration = attempt.exam.duration
    return None if duration is None else attempt.date + duration


def time_taken_at(attempt, now: datetime) -> timedelta:
    """time_taken as of `now`, never beyond the exam's duration.

    Strict mode: the wall time from creation to `now` (or to the deadline, once past), whatever the
    requests in between; a completed attempt keeps what was counted at its end.
    """
    if attempt.exam.disable_attempt_resume and attempt.state != AttemptState.COMPLETED:
        end = deadline(attempt)
        taken = max((now if end is None else min(now, end)) - attempt.date, ZERO)
    else:
        taken = attempt.time_taken + uncounted_time(attempt, now)
    duration = attempt.exam.duration
    return min(taken, duration) if duration is not None else taken


def remaining_time_at(attempt, now: datetime) -> timedelta | None:
    """Time left as of `now`; None for an untimed exam.

    Strict mode counts down to the deadline, so an attempt created 10 minutes before a 30-minute
    exam closes has 10:00 left, not 30:00.
    """
    duration = attempt.exam.duration
    if duration is None:
        return None
    remaining = duration - time_taken_at(attempt, now)
    end = deadline(attempt)
    if end is not None and attempt.state != AttemptState.COMPLETED:
        remaining = min(remaining, end - now)
    return max(remaining, ZERO)


def is_overdue(attempt, now: datetime) -> bool:
    """An open attempt whose time has run out or whose exam has closed: it must be completed.

    Strict mode: once `now` reaches the deadline, whether or not the student was there.
    """
    if attempt.state == AttemptState.COMPLETED:
        return False
    if attempt.exam.has_ended(now):
        return True
    end = deadline(attempt)
    if end is not None:
        return end <= now
    remaining = remaining_time_at(attempt, now)
    return remaining is not None and remaining <= ZERO
