"""Query parameters of the student API's exam and attempt lists and the admin attempt list, under
their public names."""

import django_filters
from django.db.models import Value
from django.db.models.functions import Lower, Replace

from exams.models import Exam
from testpress.api.clock import request_now
from testpress.api.filters import (
    DayFilter,
    MultipleIdFilter,
    StableOrderingFilter,
    end_of_local_day,
    start_of_local_day,
)

from .choices import AttemptState
from .models import Attempt
from .selectors import EXAM_STATES, exams_in_user_state


class ExamFilterSet(django_filters.FilterSet):
    """What /exams/available/, /upcoming/ and /history/ take: their state is in the path."""

    course = django_filters.CharFilter(field_name="course__name", lookup_expr="iexact")
    # Courses have no slug: "ibps-po" finds the course named "IBPS PO" (case-insensitive, "-" for " ").
    course_slug = django_filters.CharFilter(method="filter_course_slug")
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains")

    class Meta:
        model = Exam
        fields = []

    def filter_course_slug(self, queryset, name, value):
        slug = Replace(Lower("course__name"), Value(" "), Value("-"))
        return queryset.alias(course_slug=slug).filter(course_slug=value.lower().replace(" ", "-"))


class ExamListFilterSet(ExamFilterSet):
    state = django_filters.ChoiceFilter(choices=[(s, s) for s in EXAM_STATES], method="filter_state")

    def filter_state(self, queryset, name, value):
        return exams_in_user_state(
            queryset, state=value, user=self.request.user, now=request_now(self.request)
        )


class AttemptFilterSet(django_filters.FilterSet):
    """The student's attempts list: filters on the attempt's exam."""

    course = django_filters.CharFilter(field_name="exam__course__name", lookup_expr="iexact")
    q = django_filters.CharFilter(field_name="exam__title", lookup_expr="icontains")

    class Meta:
        model = Attempt
        fields = []


class ExamAttemptFilterSet(django_filters.FilterSet):
    """One exam's attempts: ?state=Running finds the attempt to resume. States go by their labels."""

    state = django_filters.ChoiceFilter(
        choices=[(label, label) for label in AttemptState.labels], method="filter_state"
    )

    class Meta:
        model = Attempt
        fields = []

    # `value: str` documents the parameter as the labels it takes; the model field would make it an integer.
    def filter_state(self, queryset, name, value: str):
        return queryset.filter(state={s.label: s for s in AttemptState}[value])


class AdminAttemptFilterSet(django_filters.FilterSet):
    """The v2.5 admin list: `?state=1&date_0=2020-01-11&date_1=2021-02-02&users=1&users=2&ordering=-date`."""

    ordering = StableOrderingFilter(
        fields=(
            ("date", "date"),
            ("correct_count", "correct_answers_count"),
            ("incorrect_count", "incorrect_answers_count"),
            ("unanswered_count", "unanswered_count"),
        ),
    )
    state = django_filters.ChoiceFilter(choices=AttemptState.choices)
    date_0 = DayFilter(method="filter_from_day", label="Started on or after (YYYY-MM-DD)")
    date_1 = DayFilter(method="filter_to_day", label="Started on or before (YYYY-MM-DD)")
    users = MultipleIdFilter(field_name="user_id", label="User id; repeat for several")
    exams = MultipleIdFilter(field_name="exam_id", label="Exam id; repeat for several")

    class Meta:
        model = Attempt
        fields = []

    def filter_from_day(self, queryset, name, value):
        start = start_of_local_day(value)
        return queryset if start is None else queryset.filter(date__gte=start)

    def filter_to_day(self, queryset, name, value):
        end = end_of_local_day(value)
        return queryset if end is None else queryset.filter(date__lt=end)
