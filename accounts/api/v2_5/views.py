from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.response import Response

from accounts.filtersets import AdminUserFilterSet
from accounts.selectors import admin_user_list
from accounts.services import user_create, user_update
from testpress.api.schema import responses
from testpress.api.viewsets import AdminViewSet

from .serializers import AdminUserSerializer, AdminUserUpdateSerializer, AdminUserWriteSerializer


@extend_schema_view(
    list=extend_schema(responses=responses({200: AdminUserSerializer(many=True)}, 401, 403, 404)),
    retrieve=extend_schema(responses=responses({200: AdminUserSerializer}, 401, 403, 404)),
)
class AdminUserViewSet(ListModelMixin, RetrieveModelMixin, AdminViewSet):
    """Users for staff. A user created here is a student (is_staff false): staff are made in the Django
    admin, so a leaked staff token cannot mint more staff, and only a superuser's changes staff accounts."""

    serializer_class = AdminUserSerializer
    filterset_class = AdminUserFilterSet

    def get_queryset(self):
        return admin_user_list()

    @extend_schema(
        request=AdminUserWriteSerializer, responses=responses({201: AdminUserSerializer}, 401, 403)
    )
    def create(self, request, *args, **kwargs):
        data = self._valid(AdminUserWriteSerializer(data=request.data))
        user = user_create(**data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AdminUserUpdateSerializer, responses=responses({200: AdminUserSerializer}, 401, 403, 404)
    )
    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        data = self._valid(AdminUserUpdateSerializer(data=request.data, partial=True))
        return Response(self.get_serializer(user_update(user=user, changed_by=request.user, **data)).data)

    @staticmethod
    def _valid(serializer) -> dict:
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
