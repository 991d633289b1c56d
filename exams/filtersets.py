"""The student exam list's query parameters, under their public names."""

import django_filters
from django.db.models import Value
from django.db.models.functions import Lower, Replace

from testpress.api.clock import request_now

from .models import Exam
from .selectors import EXAM_STATES, exams_in_state


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
        return exams_in_state(queryset, state=value, user=self.request.user, now=request_now(self.request))
