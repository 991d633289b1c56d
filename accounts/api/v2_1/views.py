"""The signed-in user (GET and PATCH /me/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from accounts.services import user_update_profile
from testpress.api.schema import responses

from .serializers import MeSerializer, MeUpdateSerializer


class MeView(generics.GenericAPIView):
    """The token's user: GET prints them, PATCH changes their name, email or phone."""

    serializer_class = MeSerializer

    @extend_schema(responses=responses({200: MeSerializer}, 401))
    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=responses({200: MeSerializer}, 400, 401))
    def patch(self, request, *args, **kwargs):
        changes = MeUpdateSerializer(data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, **changes.validated_data)
        return Response(self.get_serializer(user).data)
