"""Base viewsets: what every endpoint of one API family shares."""

from django.utils import timezone
from rest_framework.permissions import IsAdminUser
from rest_framework.viewsets import GenericViewSet

from .pagination import AdminPagination
from .permissions import AdminModelPermissions


class AdminViewSet(GenericViewSet):
    """The v2.5 admin API: staff only (anonymous 401, student 403), and of staff those the Django admin
    would let do the same (view, add or change the model: 403 otherwise), 200 rows a page."""

    permission_classes = [IsAdminUser, AdminModelPermissions]
    pagination_class = AdminPagination
    # Permissions ("app_label.codename") an action needs besides the model's, for what else it prints.
    extra_permissions: tuple[str, ...] = ()

    def get_serializer_context(self):
        # One clock reading per request, so every row's time_taken agrees with its neighbours'.
        return {**super().get_serializer_context(), "now": timezone.now()}
