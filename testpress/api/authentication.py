"""`Authorization: JWT <token>`: simplejwt's authentication, strict about whom the token names.

A token is only as good as its signature; its claims are then read as untrusted input, so a claim of the
wrong type is a 401 like any other bad token, never a database error. A token also carries the user's
token_version from when it was issued: a password change or a deactivation raises the user's, which
refuses every token issued before (accounts.models.User.save).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.selectors import signed_in_user

from .filters import MAX_ID

# The claim carrying User.token_version. Tokens issued before it existed carry none and count as 0.
TOKEN_VERSION_CLAIM = "token_version"


def token_user_id(token: Token) -> int:
    """The user id a token names: a whole number, or its digits (simplejwt writes the id as a string).

    >>> token_user_id({"user_id": 12}), token_user_id({"user_id": "12"})
    (12, 12)

    Anything else (a list, an object, other text, a number no primary key can hold, a boolean) raises
    InvalidToken.
    """
    value = token.get(api_settings.USER_ID_CLAIM)
    # The length first: int() refuses strings of over 4300 digits with a ValueError of its own.
    if isinstance(value, str) and len(value) <= len(str(MAX_ID)) and value.isascii() and value.isdigit():
        value = int(value)
    # bool is an int to Python; `true` naming user 1 would be a coincidence, not an id.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    raise InvalidToken(_("Token contained no recognizable user identification"))


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token: Token):
        # Cached for a few seconds (accounts.selectors.signed_in_user): no query on most requests.
        user = signed_in_user(token_user_id(validated_token))
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if not is_current(validated_token, token_version=user.token_version):
            raise AuthenticationFailed(
                _("This token was issued before the password changed or the account was deactivated."),
                code="token_revoked",
            )
        return user


def is_current(token: Token, *, token_version: int) -> bool:
    """Whether the token was issued at the user's present token_version (a number, not a boolean)."""
    claim = token.get(TOKEN_VERSION_CLAIM, 0)
    return type(claim) is int and claim == token_version
