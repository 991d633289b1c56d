from rest_framework.mixins import RetrieveModelMixin

from accounts.selectors import admin_user_list
from testpress.api.viewsets import AdminViewSet

from .serializers import AdminUserSerializer


class AdminUserViewSet(RetrieveModelMixin, AdminViewSet):
    serializer_class = AdminUserSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return admin_user_list()
