"""POST auth-token/: username and password in, {"token": <JWT>, "refresh": <JWT>} out.

POST auth-token/refresh/: {"refresh": <JWT>} in, a new {"token": <JWT>} out, while the user is active and
has not changed their password since the refresh token was issued.
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .authentication import TOKEN_VERSION_CLAIM, JWTAuthentication
from .schema import responses
from .throttling import LoginAddressThrottle, LoginUsernameAddressThrottle


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
    """An access token whose payload carries what the clients read (user_id, username, email, exp) and the
    user's token_version, which a password change or a deactivation moves on."""
    token = AccessToken.for_user(user)
    # simplejwt writes the id as a string; the clients read a number, as in the seed's token.
    token["user_id"] = user.pk
    token["username"] = user.get_username()
    token["email"] = user.email
    token[TOKEN_VERSION_CLAIM] = user.token_version
    return str(token)


def issue_refresh_token(user) -> str:
    """A longer-lived token that only auth-token/refresh/ accepts (the API refuses it as an access token)."""
    token = RefreshToken.for_user(user)
    token["user_id"] = user.pk
    token[TOKEN_VERSION_CLAIM] = user.token_version
    return str(token)


class ObtainAuthToken(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    # Only these: a login is neither a read nor a write to count against a user.
    throttle_classes = [LoginUsernameAddressThrottle, LoginAddressThrottle]
    serializer_class = AuthTokenSerializer

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses=responses(
            {
                200: inline_serializer(
                    "AuthToken", {"token": serializers.CharField(), "refresh": serializers.CharField()}
                )
            }
        ),
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.serializer_class(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if _credentials_refused(serializer.errors):
                for throttle in self.get_throttles():
                    throttle.record_failure(request, self)
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        return Response({"token": issue_token(user), "refresh": issue_refresh_token(user)})


def _credentials_refused(errors) -> bool:
    """Wrong username or password, as opposed to a malformed body."""
    return any(
        getattr(error, "code", None) == "authorization" for error in errors.get("non_field_errors", [])
    )


class RefreshAuthTokenSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class RefreshAuthToken(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = RefreshAuthTokenSerializer

    def get_authenticate_header(self, request):
        # A refused refresh token is a 401 with the header the API's other 401s carry.
        return JWTAuthentication().authenticate_header(request)

    @extend_schema(
        operation_id="auth_token_refresh",
        request=RefreshAuthTokenSerializer,
        responses=responses(
            {200: inline_serializer("RefreshedAuthToken", {"token": serializers.CharField()})}, 401
        ),
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as error:
            raise InvalidToken(error.args[0]) from error
        # The same checks as every authenticated request: a deleted or deactivated user, or a password
        # changed since the refresh token was issued, gets a 401.
        user = JWTAuthentication().get_user(refresh)
        return Response({"token": issue_token(user)})
