"""GET access_codes/<code>/exams/: the published exams an access code opens, as the exams list prints them."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from attempts.filtersets import ExamListFilterSet
from attempts.selectors import access_code_exam_list
from exams.models import Exam
from testpress.api.clock import RequestNowMixin
from testpress.api.schema import responses

from .serializers import ExamSerializer

CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="The access code, as staff gave it.")


@extend_schema(parameters=[CODE], responses=responses({200: ExamSerializer(many=True)}, 400, 401, 404))
class AccessCodeExamsView(RequestNowMixin, generics.ListAPIView):
    """Listed even when limited to batches the user is not in: holding the code is what opens them.
    An unknown code: 404 access_code_not_found."""

    serializer_class = ExamSerializer
    filterset_class = ExamListFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Exam.objects.none()
        return access_code_exam_list(user=self.request.user, code=self.kwargs["code"])
