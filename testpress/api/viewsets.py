"""Base viewsets: what every endpoint of one API family shares."""

from rest_framework.permissions import IsAdminUser
from rest_framework.viewsets import GenericViewSet

from .clock import RequestNowMixin
from .pagination import AdminPagination


class AdminViewSet(RequestNowMixin, GenericViewSet):
    """The v2.5 admin API: staff only (anonymous 401, student 403), 200 rows a page, rows by numeric id.

    The request's one clock reading (request_now) is the serializers' context["now"], so every row's
    time_taken agrees with its neighbours' and with the filters'.
    """

    permission_classes = [IsAdminUser]
    pagination_class = AdminPagination
    lookup_value_regex = r"[0-9]+"

    def filter_queryset(self, queryset):
        # The list's filters; one row is found by its id whatever the query string says.
        return super().filter_queryset(queryset) if self.action == "list" else queryset
