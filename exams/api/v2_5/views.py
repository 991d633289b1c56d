from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin

from exams.filtersets import AdminExamFilterSet
from exams.selectors import admin_exam_list
from testpress.api.schema import responses
from testpress.api.viewsets import AdminViewSet

from .serializers import AdminExamSerializer


@extend_schema_view(
    list=extend_schema(responses=responses({200: AdminExamSerializer(many=True)}, 401, 403, 404)),
    retrieve=extend_schema(responses=responses({200: AdminExamSerializer}, 401, 403, 404)),
)
class AdminExamViewSet(ListModelMixin, RetrieveModelMixin, AdminViewSet):
    serializer_class = AdminExamSerializer
    filterset_class = AdminExamFilterSet

    def get_queryset(self):
        return admin_exam_list()
