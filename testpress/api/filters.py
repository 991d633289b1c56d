"""Filter building blocks the FilterSets share: repeatable ids, local calendar days, stable ordering."""

import re
from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import BaseCSVField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

# Primary keys are 64-bit; a larger number can match nothing and must not reach the database driver.
MAX_ID = 2**63 - 1
# Ids one repeatable filter takes (`users=1&users=2...`): a page of the admin list's worth.
MAX_IDS = 200


class MultipleIdField(forms.Field):
    """Every value of a repeated query parameter (`users=1&users=2`) as a list of ids."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": "Enter a whole number between 1 and %(max)s; got %(value)s.",
        "too_many": "Give at most %(max)s ids.",
    }

    def to_python(self, value):
        if value and len(value) > MAX_IDS:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": MAX_IDS}
            )
        ids = []
        for item in value or []:
            if item in ("", None):
                continue
            try:
                number = int(str(item).strip())
            except ValueError:
                number = None
            if number is None or not 1 <= number <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"max": MAX_ID, "value": item}
                )
            ids.append(number)
        return ids


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "maxItems": MAX_IDS,
        "description": f"An id; repeat the parameter for several (at most {MAX_IDS}).",
    }
)
class MultipleIdFilter(django_filters.Filter):
    """Rows whose `field_name` is any of the given ids; repeat the parameter for more than one."""

    field_class = MultipleIdField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(*args, **kwargs)


class DayField(forms.Field):
    """A calendar day written YYYY-MM-DD, as the schema's `format: date` says, and nothing else (Django's
    DateField also reads "10/25/2006"; date.fromisoformat "20210316"). Empty is no filter."""

    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD; got %(value)s."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None


@extend_schema_field(OpenApiTypes.DATE)
class DayFilter(django_filters.Filter):
    field_class = DayField


def start_of_local_day(day: date) -> datetime | None:
    """Midnight opening `day` in the deployment's TIME_ZONE; None when it falls outside datetime's range."""
    try:
        return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone()).astimezone(UTC)
    except OverflowError:
        return None


def end_of_local_day(day: date) -> datetime | None:
    """The midnight that closes `day` (exclusive bound); None when there is no later day to stop at."""
    try:
        return start_of_local_day(day + timedelta(days=1))
    except OverflowError:
        return None


class OrderingTermsField(BaseCSVField):
    """`ordering=-date,correct_answers_count`: terms separated by commas, none empty, each field once.

    django-filter skips an empty term, but a list of only empty terms (`ordering=,`) reached the
    filter empty; a field named twice only makes the ORDER BY longer.
    """

    def clean(self, value):
        if value:
            if "" in value:
                raise forms.ValidationError(
                    "Remove the empty term: give fields separated by commas, e.g. -date.", code="empty"
                )
            fields = [term.removeprefix("-") for term in value]
            if len(set(fields)) < len(fields):
                raise forms.ValidationError("Order by each field once.", code="repeated")
        return super().clean(value)


class StableOrderingFilter(django_filters.OrderingFilter):
    """An OrderingFilter that breaks ties by id in the direction of the first key, so pages never overlap."""

    base_field_class = OrderingTermsField

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tie_breaker = "-id" if ordering[0].startswith("-") else "id"
        return qs.order_by(*ordering, tie_breaker)
