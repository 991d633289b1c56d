from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.response import Response

from attempts.api.overdue import OverdueFirstMixin
from attempts.filtersets import AdminAttemptFilterSet
from attempts.selectors import (
    admin_attempt_list,
    attempt_items,
    difficulty_stats,
    section_stats,
    subject_stats,
    with_standing,
)
from testpress.api.pagination import CountedApart
from testpress.api.schema import responses
from testpress.api.viewsets import AdminViewSet

from .rows import as_attempts, attempt_row_values, attempt_rows
from .serializers import AdminAttemptDetailSerializer, AdminAttemptSerializer, AdminUserAnswerSerializer


@extend_schema_view(
    list=extend_schema(responses=responses({200: AdminAttemptSerializer(many=True)}, 401, 403, 404)),
    retrieve=extend_schema(responses=responses({200: AdminAttemptDetailSerializer}, 401, 403, 404)),
)
class AdminAttemptViewSet(OverdueFirstMixin, ListModelMixin, RetrieveModelMixin, AdminViewSet):
    """Every student's attempts for staff, each printed as of the request's clock: an overdue one is
    completed first, as the student API does, so staff never see it Running with no time left."""

    serializer_class = AdminAttemptSerializer
    filterset_class = AdminAttemptFilterSet

    def get_queryset(self):
        if self.action == "retrieve":
            return with_standing(admin_attempt_list())
        return admin_attempt_list()

    def get_serializer_class(self):
        return AdminAttemptDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def list(self, request, *args, **kwargs):
        """200 rows a page from their columns (rows.py), not from model instances through the serializer."""
        filtered = self.filter_queryset(self.get_queryset())
        queryset = CountedApart(attempt_row_values(filtered), counted=filtered)
        page = as_attempts(self.paginate_queryset(queryset))
        # Read again only when a row of this page was overdue (then completed): no query otherwise.
        if self.end_any_overdue(page):
            page = as_attempts(self.paginate_queryset(queryset))
        return self.get_paginated_response(attempt_rows(page, request=request, now=self.now))

    def get_object(self):
        return self.as_of_now(super().get_object)

    def retrieve(self, request, *args, **kwargs):
        attempt = self.get_object()
        attempt.section_breakdown = section_stats(attempt)
        attempt.subject_breakdown = subject_stats(attempt)
        attempt.difficulty_breakdown = difficulty_stats(attempt)
        return Response(self.get_serializer(attempt).data)

    @extend_schema(responses=responses({200: AdminUserAnswerSerializer(many=True)}, 401, 403, 404))
    @action(
        detail=True,
        url_path="user_answers",
        serializer_class=AdminUserAnswerSerializer,
        filterset_class=None,
        # The questions and their correct choices: the question bank's, as in the admin's Questions.
        extra_permissions=("exams.view_question", "exams.view_answer"),
    )
    def user_answers(self, request, *args, **kwargs):
        """The student's responses item by item, in exam order, with the correct choices."""
        page = self.paginate_queryset(attempt_items(self.get_object()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
