"""Base viewsets: what every endpoint of one API family shares."""

from django.utils import timezone
from rest_framework.permissions import IsAdminUser
from rest_framework.viewsets import GenericViewSet

from .pagination import AdminPagination


class AdminViewSet(GenericViewSet):
    """The v2.5 admin API: staff only (anonymous 401, student 403), 200 rows a page."""

    permission_classes = [IsAdminUser]
    pagination_class = AdminPagination

    def get_serializer_context(self):
        # One clock reading per request, so every row's time_taken agrees with its neighbours'.
        return {**super().get_serializer_context(), "now": timezone.now()}
