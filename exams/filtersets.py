"""The admin exam list's query parameters, under their public names.

The student API's exam lists take theirs from attempts/filtersets.py: they filter on the user's attempts.
"""

import re
from datetime import UTC, datetime

import django_filters
from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

from testpress.api.clock import request_now
from testpress.api.filters import MAX_ID, StableOrderingFilter, end_of_local_day, start_of_local_day

from .choices import ExamType
from .models import Exam
from .selectors import EXAM_STATUSES, exams_in_schedule_status, exams_of_batch, exams_with_subject

# --- The admin exam list (v2.5) -----------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    """One id; a number outside the id range is refused instead of reaching the database driver."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


# What the schema declares; the field reads nothing else (Python's fromisoformat also takes "20210316",
# "2021-W11-2", "2021-03-16T10"). Years 0001-9999, months 01-12, days 01-31 (a 30th of February is
# still a 400), hours 00-23, offsets up to ±23:59. ECMA-262's \d is ASCII, hence re.ASCII.
DATE_OR_DATETIME_PATTERN = (
    r"^(\d{3}[1-9]|\d{2}[1-9]\d|\d[1-9]\d{2}|[1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"
)


class DateOrDateTimeField(forms.Field):
    """A local calendar day ("2021-03-16") as a date, or an instant ("2021-03-16T10:00", "...Z") as an
    aware datetime; a time without an offset is the deployment's local time."""

    default_error_messages = {
        "invalid": (
            "Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]); got %(value)s."
        )
    }

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value)
        try:
            declared = re.fullmatch(DATE_OR_DATETIME_PATTERN, text, re.ASCII)
            parsed = declared and (parse_date(text) or parse_datetime(text))
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        if isinstance(parsed, datetime) and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed


@extend_schema_field(
    {
        "type": "string",
        "pattern": DATE_OR_DATETIME_PATTERN,
        "example": "2021-03-16",
        "description": "A date (YYYY-MM-DD, a whole local day) or a date-time (ISO 8601).",
    }
)
class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


def as_utc(moment: datetime) -> datetime:
    """The instant in UTC; one too close to the calendar's ends to convert is pinned to that end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)


class ExamOrderingFilter(StableOrderingFilter):
    """Ordering by end_date puts exams that never close (no end_date) after every dated one, as if they
    ended last, on every database (SQLite and PostgreSQL disagree on where NULL sorts)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordered = super().filter(qs, value)
        return ordered.order_by(*(self._open_ended_last(term) for term in ordered.query.order_by))

    @staticmethod
    def _open_ended_last(term):
        if term == "end_date":
            return F("end_date").asc(nulls_last=True)
        if term == "-end_date":
            return F("end_date").desc(nulls_first=True)
        return term


class AdminExamFilterSet(django_filters.FilterSet):
    """`?status=running&start_date=2021-03-01&subject=4&batch=2&exam_type=mock&ordering=-start_date`."""

    ordering = ExamOrderingFilter(fields=(("start_date", "start_date"), ("end_date", "end_date")))
    start_date = DateOrDateTimeFilter(
        method="filter_start_date", label="Starting on or after (date or date-time)"
    )
    end_date = DateOrDateTimeFilter(method="filter_end_date", label="Ending on or before (date or date-time)")
    status = django_filters.ChoiceFilter(choices=[(s, s) for s in EXAM_STATUSES], method="filter_status")
    subject = IdFilter(method="filter_subject", label="Subject id; its sub-subjects count too")
    batch = IdFilter(method="filter_batch", label="Batch id")
    exam_type = django_filters.ChoiceFilter(choices=ExamType.choices)

    class Meta:
        model = Exam
        fields = []

    def filter_start_date(self, queryset, name, value):
        start = as_utc(value) if isinstance(value, datetime) else start_of_local_day(value)
        return queryset if start is None else queryset.filter(start_date__gte=start)

    def filter_end_date(self, queryset, name, value):
        # An exam without end_date never ends, so it ends before no date.
        queryset = queryset.filter(end_date__isnull=False)
        if isinstance(value, datetime):
            return queryset.filter(end_date__lte=as_utc(value))
        end = end_of_local_day(value)
        return queryset if end is None else queryset.filter(end_date__lt=end)

    def filter_status(self, queryset, name, value):
        return exams_in_schedule_status(queryset, status=value, now=request_now(self.request))

    def filter_subject(self, queryset, name, value):
        return exams_with_subject(queryset, subject_id=value)

    def filter_batch(self, queryset, name, value):
        return exams_of_batch(queryset, batch_id=value)
