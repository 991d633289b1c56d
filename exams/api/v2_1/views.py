"""The student exam endpoints: list (with state shortcuts) and detail by slug."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action

from attempts.selectors import end_overdue_before_read, exam_attempts
from exams.filtersets import ExamFilterSet, ExamListFilterSet
from exams.models import Exam
from exams.selectors import EXAM_STATES, exam_for_user, exam_list, exams_in_state
from testpress.api.clock import RequestNowMixin, request_now
from testpress.api.schema import responses

from .serializers import ExamDetailSerializer, ExamSerializer

EXAM_PAGE = responses({200: ExamSerializer(many=True)}, 400, 401, 404)


@extend_schema_view(
    list=extend_schema(responses=EXAM_PAGE),
    retrieve=extend_schema(responses=responses({200: ExamDetailSerializer}, 401, 403, 404)),
    available=extend_schema(responses=EXAM_PAGE),
    upcoming=extend_schema(responses=EXAM_PAGE),
    history=extend_schema(responses=EXAM_PAGE),
)
class ExamViewSet(RequestNowMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Exam.objects.none()
        user = self.request.user
        queryset = exam_list(user=user)
        if self.action in EXAM_STATES:
            queryset = exams_in_state(queryset, state=self.action, user=user, now=request_now(self.request))
        return queryset

    @property
    def filterset_class(self):
        # /exams/available/ and its siblings carry their state in the path, not in ?state=.
        return ExamListFilterSet if self.action == "list" else ExamFilterSet

    def get_serializer_class(self):
        return ExamDetailSerializer if self.action == "retrieve" else ExamSerializer

    def get_object(self):
        # The user's attempts printed below must not show an overdue one as still running.
        end_overdue_before_read(
            user=self.request.user, now=request_now(self.request), exam__slug=self.kwargs["slug"]
        )
        exam = exam_for_user(user=self.request.user, slug=self.kwargs["slug"])
        self.check_object_permissions(self.request, exam)
        exam.user_attempts = list(exam_attempts(user=self.request.user, exam=exam))
        return exam

    @action(detail=False)
    def available(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @action(detail=False)
    def upcoming(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @action(detail=False)
    def history(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
