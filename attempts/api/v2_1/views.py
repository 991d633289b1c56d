"""The student attempt endpoints: the user's attempts, one attempt, and one exam's attempts."""

from functools import cached_property

from rest_framework import generics, viewsets

from attempts.filtersets import AttemptFilterSet, ExamAttemptFilterSet
from attempts.models import Attempt
from attempts.selectors import attempt_for_user, attempt_list, exam_attempts
from exams.models import Exam
from exams.selectors import exam_for_user
from testpress.api.clock import RequestNowMixin

from .serializers import AttemptSerializer


class AttemptViewSet(RequestNowMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AttemptSerializer
    filterset_class = AttemptFilterSet
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attempt.objects.none()
        return attempt_list(user=self.request.user)

    def get_object(self):
        attempt = attempt_for_user(user=self.request.user, pk=int(self.kwargs["pk"]))
        self.check_object_permissions(self.request, attempt)
        return attempt


class ExamAttemptsView(RequestNowMixin, generics.ListAPIView):
    """GET exams/<slug>/attempts/: the user's attempts of one exam; ?state=Running finds one to resume."""

    serializer_class = AttemptSerializer
    filterset_class = ExamAttemptFilterSet

    @cached_property
    def exam(self) -> Exam:
        """The exam in the path, as the user may see it (404 unknown/unpublished, 403 other batches)."""
        return exam_for_user(user=self.request.user, slug=self.kwargs["slug"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attempt.objects.none()
        return exam_attempts(user=self.request.user, exam=self.exam)
