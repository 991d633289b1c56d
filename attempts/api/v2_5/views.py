from rest_framework.mixins import ListModelMixin

from attempts.filtersets import AdminAttemptFilterSet
from attempts.selectors import admin_attempt_list
from testpress.api.viewsets import AdminViewSet

from .serializers import AdminAttemptSerializer


class AdminAttemptViewSet(ListModelMixin, AdminViewSet):
    serializer_class = AdminAttemptSerializer
    filterset_class = AdminAttemptFilterSet

    def get_queryset(self):
        return admin_attempt_list()
