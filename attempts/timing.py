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

Sectionally timed attempts (attempt.sectionally_timed) run one clock per section (AttemptSection),
under the same two modes: a section's time counts only while it is Running, each gap capped by the
grace; in strict mode its deadline is fixed when it starts (started + its duration, never past the
exam's end_date). The attempt's time is the sum of its sections' and its remaining time the sum of
what its unfinished sections have left; a completed section has nothing left, even if it was ended
early. Between two sections (one completed, the next not started) no clock runs.

Worked example (sections of 10 and 20 minutes, pause mode): section 1 started at 10:00 and ended
at 10:06 → 6:00 used, 20:00 remaining (the 4:00 left of section 1 is gone); section 2 started at
10:30 → at 10:31, 7:00 used and 19:00 remaining.
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
    return _uncounted(attempt.state, attempt.clock_checked_at, attempt.exam, now)


def _uncounted(state, checked_at: datetime | None, exam, now: datetime) -> timedelta:
    if state != AttemptState.RUNNING or checked_at is None:
        return ZERO
    end_date = exam.end_date
    if end_date is not None and end_date < now:
        now = end_date
    return min(max(now - checked_at, ZERO), settings.ATTEMPT_TIME_GRACE)


def _strict_end(start: datetime | None, duration: timedelta | None, exam) -> datetime | None:
    """start + duration, never past the exam's end_date; None when there is neither."""
    ends = [when for when in (_plus(start, duration), exam.end_date) if when is not None]
    return min(ends, default=None)


def _plus(start: datetime | None, duration: timedelta | None) -> datetime | None:
    return None if start is None or duration is None else start + duration


def deadline(attempt) -> datetime | None:
    """A strict-mode attempt's end: created + duration, never past the exam's end_date; None when the
    attempt pauses (the default mode), has no end at all (untimed, never closing) or is timed by
    section (each section has its own deadline: section_deadline)."""
    exam = attempt.exam
    if not exam.disable_attempt_resume or attempt.sectionally_timed:
        return None
    return _strict_end(attempt.date, exam.duration, exam)


def section_clocks(attempt) -> list:
    """A sectionally timed attempt's sections (AttemptSection) in order; the selectors and services
    prefetch them (selectors.load_section_clocks), else this reads them."""
    return list(attempt.attempt_sections.all())


def running_section(attempt):
    """The section being taken now, or None (before the first, between two, after the last)."""
    return next((clock for clock in section_clocks(attempt) if clock.state == AttemptState.RUNNING), None)


def section_deadline(clock, exam) -> datetime | None:
    """A strict-mode section's end, fixed when it starts: started + its duration, never past the exam's
    end_date; None in pause mode and before it starts."""
    if not exam.disable_attempt_resume or clock.started_at is None:
        return None
    return _strict_end(clock.started_at, clock.duration, exam)


def section_time_taken_at(clock, exam, now: datetime) -> timedelta:
    """A section's time as of `now`, never beyond its duration (time_taken_at's rules, for one section)."""
    if exam.disable_attempt_resume and clock.state == AttemptState.RUNNING:
        end = section_deadline(clock, exam)
        taken = max((now if end is None else min(now, end)) - clock.started_at, ZERO)
    else:
        taken = clock.time_taken + _uncounted(clock.state, clock.clock_checked_at, exam, now)
    return min(taken, clock.duration)


def section_remaining_at(clock, exam, now: datetime) -> timedelta:
    """What a section has left as of `now`: nothing once it is completed (ended early or not)."""
    if clock.state == AttemptState.COMPLETED:
        return ZERO
    remaining = clock.duration - section_time_taken_at(clock, exam, now)
    end = section_deadline(clock, exam)
    if end is not None:
        remaining = min(remaining, end - now)
    return max(remaining, ZERO)


def section_is_overdue(clock, exam, now: datetime) -> bool:
    """A running section whose time has run out (or whose exam has closed): it must be completed."""
    if clock.state != AttemptState.RUNNING:
        return False
    if exam.has_ended(now):
        return True
    end = section_deadline(clock, exam)
    if end is not None:
        return end <= now
    return section_remaining_at(clock, exam, now) <= ZERO


def time_taken_at(attempt, now: datetime) -> timedelta:
    """time_taken as of `now`, never beyond the exam's duration.

    Strict mode: the wall time from creation to `now` (or to the deadline, once past), whatever the
    requests in between; a completed attempt keeps what was counted at its end. Timed by section:
    the sum of its sections' times.
    """
    if attempt.sectionally_timed:
        if attempt.state == AttemptState.COMPLETED:
            return attempt.time_taken
        return sum((section_time_taken_at(c, attempt.exam, now) for c in section_clocks(attempt)), ZERO)
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
    exam closes has 10:00 left, not 30:00. Timed by section: what its sections have left, summed.
    """
    if attempt.sectionally_timed:
        return sum((section_remaining_at(c, attempt.exam, now) for c in section_clocks(attempt)), ZERO)
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

    Strict mode: once `now` reaches the deadline, whether or not the student was there. Timed by
    section: when its running section is overdue (the server completes that section, and the
    attempt with it when it was the last).
    """
    if attempt.state == AttemptState.COMPLETED:
        return False
    if attempt.exam.has_ended(now):
        return True
    if attempt.sectionally_timed:
        return any(section_is_overdue(clock, attempt.exam, now) for clock in section_clocks(attempt))
    end = deadline(attempt)
    if end is not None:
        return end <= now
    remaining = remaining_time_at(attempt, now)
    return remaining is not None and remaining <= ZERO
