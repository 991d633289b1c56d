"""The v2.5 admin attempts list, 200 rows a page, printed from column values instead of model instances.

AdminAttemptSerializer declares the row (and documents it in the schema); at 200 rows a page its
DRF fields and the model instances behind them cost ~50 ms a page, most of the request. Here a page is
one `.values()` query and a plain function per row. tests/attempts/test_admin_list_rows.py holds
the two to the same output for every kind of attempt, so the serializer stays the row's definition.

The clock columns go through attempts.timing as for any attempt: each row is a light stand-in with
the attributes the timing rules read, and its exam an Exam built once per page from the row's columns.
"""

from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

from django.db.models import QuerySet
from rest_framework.reverse import reverse

from attempts.choices import AttemptResult, AttemptState
from attempts.models import AttemptSection
from attempts.timing import remaining_time_at, time_taken_at
from exams.models import Exam
from testpress.api.fields import compact_number

from .serializers import AdminAttemptSerializer

ATTEMPT_COLUMNS = (
    "id",
    "sectionally_timed",
    "date",
    "exam_id",
    "user_id",
    "state",
    "time_taken",
    "clock_checked_at",
    "last_started_time",
    "last_answer_updated_time",
    "correct_count",
    "incorrect_count",
    "unanswered_count",
    "score",
    "percentage",
    "result",
    "speed",
)
USER_COLUMNS = {"email": "user__email", "first_name": "user__first_name", "last_name": "user__last_name",
                "phone": "user__phone"}  # fmt: skip
# What the timing rules read of the exam.
EXAM_COLUMNS = {
    "duration": "exam__duration",
    "end_date": "exam__end_date",
    "disable_attempt_resume": "exam__disable_attempt_resume",
}
# What attempts.timing reads of the attempt itself.
TIMING_COLUMNS = ("state", "date", "time_taken", "clock_checked_at", "sectionally_timed")
STATE_NAMES = dict(AttemptState.choices)
RESULT_NAMES = dict(AttemptResult.choices)
# The serializer's own fields where the conversion is more than a lookup: the same text, one home.
_FIELDS = AdminAttemptSerializer().fields
_score = _FIELDS["score"].to_representation
_utc_micros = _FIELDS["date"].to_representation


def attempt_row_values(queryset: QuerySet) -> QuerySet:
    """The list's queryset (filtered and ordered) reading only the columns a row prints."""
    return queryset.values(*ATTEMPT_COLUMNS, *USER_COLUMNS.values(), *EXAM_COLUMNS.values())


def as_attempts(rows: list[dict]) -> list[SimpleNamespace]:
    """Stand-ins for Attempt with what attempts.timing reads (and `pk`), one Exam per exam on the page;
    the section clocks of those timed by section, one query for the page when there are any."""
    exams: dict[int, Exam] = {}
    clocks = defaultdict(list)
    sectional = [row["id"] for row in rows if row["sectionally_timed"]]
    for clock in AttemptSection.objects.filter(attempt_id__in=sectional) if sectional else ():
        clocks[clock.attempt_id].append(clock)
    attempts = []
    for row in rows:
        exam = exams.get(row["exam_id"])
        if exam is None:
            exam = exams[row["exam_id"]] = Exam(
                pk=row["exam_id"], **{field: row[column] for field, column in EXAM_COLUMNS.items()}
            )
        sections = clocks[row["id"]]
        attempts.append(
            SimpleNamespace(
                pk=row["id"],
                exam=exam,
                row=row,
                attempt_sections=SimpleNamespace(all=lambda sections=sections: sections),
                **{name: row[name] for name in TIMING_COLUMNS},
            )
        )
    return attempts


def attempt_rows(attempts: list[SimpleNamespace], *, request, now: datetime) -> list[dict]:
    """Each attempt as AdminAttemptSerializer prints it."""
    # reverse() once a page: every row's link differs only in its id.
    exam_url = reverse("admin-exam-detail", kwargs={"pk": 0}, request=request)
    user_url = reverse("admin-user-detail", kwargs={"pk": 0}, request=request)
    exam_url_head, user_url_head = (
        exam_url[: exam_url.rindex("/0/") + 1],
        user_url[: user_url.rindex("/0/") + 1],
    )
    return [_row(attempt, now, exam_url_head, user_url_head) for attempt in attempts]


def _row(attempt: SimpleNamespace, now: datetime, exam_url_head: str, user_url_head: str) -> dict:
    row = attempt.row
    remaining = remaining_time_at(attempt, now)
    return {
        "id": row["id"],
        "date": _utc_micros(row["date"]),
        "exam_id": row["exam_id"],
        "user_id": row["user_id"],
        "email": row["user__email"] or None,
        "name": f"{row['user__first_name']} {row['user__last_name']}".strip() or None,
        "phone": row["user__phone"] or None,
        "correct_answers_count": row["correct_count"],
        "incorrect_answers_count": row["incorrect_count"],
        "unanswered_count": row["unanswered_count"],
        "score": _score(row["score"]),
        "percentage": compact_number(row["percentage"]),
        "time_taken": str(time_taken_at(attempt, now)),
        "remaining_time": None if remaining is None else str(remaining),
        "result": RESULT_NAMES.get(row["result"], row["result"]),
        "state": STATE_NAMES.get(row["state"], row["state"]),
        "last_started_time": _utc_or_none(row["last_started_time"]),
        "last_answer_updated_time": _utc_or_none(row["last_answer_updated_time"]),
        "speed": row["speed"],
        "exam_url": f"{exam_url_head}{row['exam_id']}/",
        "user_url": f"{user_url_head}{row['user_id']}/",
    }


def _utc_or_none(value: datetime | None) -> str | None:
    return None if value is None else _utc_micros(value)
