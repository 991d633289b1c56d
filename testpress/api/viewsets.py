"""Base viewsets: what every endpoint of one API family shares."""

from rest_framework.permissions import IsAdminUser
from rest_framework.viewsets import GenericViewSet

from .clock import RequestNowMixin
from .pagination import AdminPagination
from .permissions import AdminModelPermissions


class AdminViewSet(RequestNowMixin, GenericViewSet):
    """The v2.5 admin API: staff only (anonymous 401, student 403), and of staff those the Django admin
    would let do the same (view, add or change the model: 403 otherwise); 200 rows a page, rows by
    numeric id.

    The request's one clock reading (request_now) is the serializers' context["now"], so every row's
    time_taken agrees with its neighbours' and with the filters'.
    """

    permission_classes = [IsAdminUser, AdminModelPermissions]
    pagination_class = AdminPagination
    lookup_value_regex = r"[0-9]+"
    # Permissions ("app_label.codename") an action needs besides the model's, for what else it prints.
    extra_permissions: tuple[str, ...] = ()

    def filter_queryset(self, queryset):
        # The list's filters; one row is found by its id whatever the query string says.
        return super().filter_queryset(queryset) if self.action == "list" else queryset
