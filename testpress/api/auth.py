"""POST auth-token/: username and password in, {"token": <JWT>} out."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken


class AuthTokenSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        user = authenticate(self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None or not user.is_active:
            message = _("Unable to log in with provided credentials.")
            raise serializers.ValidationError(message, code="authorization")
        attrs["user"] = user
        return attrs


def issue_token(user) -> str:
    """An access token whose payload carries what the clients read: user_id, username, email, exp."""
    token = AccessToken.for_user(user)
    # simplejwt writes the id as a string; the clients read a number, as in the seed's token.
    token["user_id"] = user.pk
    token["username"] = user.get_username()
    token["email"] = user.email
    return str(token)


class ObtainAuthToken(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = AuthTokenSerializer

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: inline_serializer("AuthToken", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return Response({"token": issue_token(serializer.validated_data["user"])})
