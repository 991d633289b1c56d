"""Query parameters of the admin users list, under their public names."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from testpress.api.filters import MAX_ID

from .models import Batch, User


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class TrueFalseFilter(django_filters.ChoiceFilter):
    """ "true" or "false" and nothing else: django-filter's BooleanFilter would ignore "maybe" silently."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=[("true", "true"), ("false", "false")], **kwargs)

    def filter(self, qs, value):
        return qs if value in ("", None) else qs.filter(**{self.field_name: value == "true"})


# Words one search takes: each adds a condition on four columns, and SQLite refuses a WHERE clause
# nested a thousand deep (thousands of words were a 500).
MAX_SEARCH_WORDS = 10


def few_words(value: str) -> None:
    if len(value.split()) > MAX_SEARCH_WORDS:
        raise ValidationError(f"Search with at most {MAX_SEARCH_WORDS} words.", code="too_many_words")


class AdminUserFilterSet(django_filters.FilterSet):
    """`?batch=Morning&q=asha&is_staff=false`."""

    batch = django_filters.CharFilter(method="filter_batch", label="Batch id or name (case-insensitive)")
    q = django_filters.CharFilter(
        method="filter_q",
        label=f"Words each found in the username, email, first or last name (at most {MAX_SEARCH_WORDS})",
        validators=[few_words],
    )
    is_staff = TrueFalseFilter()

    class Meta:
        model = User
        fields = []

    def filter_batch(self, queryset, name, value):
        value = value.strip()
        match = Q(name__iexact=value)
        # A batch may be named "2024": a number matches that name or that id. ASCII digits only, and
        # few enough for int() ("²" is a digit to isdigit(), and int() refuses 4,300 digits and more).
        if value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID)) and int(value) <= MAX_ID:
            match |= Q(pk=int(value))
        return queryset.filter(Exists(Batch.objects.filter(match, students=OuterRef("pk"))))

    def filter_q(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(username__icontains=word)
                | Q(email__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
            )
        return queryset
