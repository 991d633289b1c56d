"""OpenAPI extensions: authentication as the clients send it, and the error bodies every view answers."""

import re

from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.settings import api_settings

from .exceptions import json_not_found


class JWTScheme(OpenApiAuthenticationExtension):
    """The token from auth-token/ in `Authorization`, as `JWT <token>` or `Bearer <token>`: two schemes.

    OpenAPI's http/bearer sends only `Bearer`, so the header as Testpress clients send it is an apiKey
    holding the whole value. Either one authorizes a request: Swagger UI's Authorize dialog offers both.
    """

    target_class = "testpress.api.authentication.JWTAuthentication"
    name = ["jwtAuth", "bearerAuth"]
    # Outranks drf-spectacular's own simplejwt scheme, which describes only the first header type.
    priority = 1

    def get_security_requirement(self, auto_schema):
        # A list of requirements means "any one of them"; one dict with both names would require both.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": (
                    "The header as the Testpress apps send it: paste `JWT <token>` (the word JWT, a space, "
                    "then the token from `POST /api/v2.1/auth-token/`)."
                ),
            },
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": (
                    "Paste the token alone (from `POST /api/v2.1/auth-token/`); it is sent as "
                    "`Authorization: Bearer <token>`, which the API accepts too."
                ),
            },
        ]


class SchemaView(SpectacularAPIView):
    """The OpenAPI document of one API version: `?version=v2.1` for the student API, else the admin API.

    The document lives outside the versioned URLs, so it chooses its version from the query string.
    """

    versioning_class = None
    default_version = "v2.5"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        requested = request.query_params.get("version")
        self.api_version = requested if requested in api_settings.ALLOWED_VERSIONS else self.default_version
        return super().get(request, *args, **kwargs)


DESCRIPTIONS = {
    "v2.1": (
        "The **student API**: what the Testpress apps call to list exams, take them and read results. "
        "Served at v2.1 and, for older apps, at v2.2, v2.2.1 and v2.3 with the same behaviour; the offline "
        "exam's paper at v2.4 and its submission at v3 only."
    ),
    "v2.5": (
        "The **admin API**: staff read attempts, exams and users and enrol students; each endpoint asks "
        "for the same model permission as the Django admin."
    ),
}
AUTHORIZE = """

## Signing in (the Authorize button)

1. Call `POST /api/v2.1/auth-token/` with `{"username": "...", "password": "..."}` (here: open
   *auth-token*, *Try it out*, *Execute*). The answer's `token` lasts 7 days unless the server says
   otherwise; `auth-token/refresh/` turns its `refresh` into a new one.
2. Click **Authorize** and fill in **one** of the two boxes: *jwtAuth* with `JWT <token>` (the header as
   the apps send it), or *bearerAuth* with the token alone (sent as `Bearer <token>`).
3. Every request tried from this page now carries the header. Staff tokens reach the admin API.

The same document as JSON: `/api/schema/?version=v2.1` or `?version=v2.5` (`&format=json`).
Pages: [Swagger UI](/api/docs/) · [ReDoc, student API](/api/redoc/?version=v2.1) ·
[ReDoc, admin API](/api/redoc/?version=v2.5)."""


def describe_version(result, generator, **kwargs):
    """The document's description: which API this version is, and how to sign in from the docs pages."""
    # SchemaView's default is the admin document; v2.2, v2.2.1 and v2.3 are the student API.
    version = "v2.5" if generator.api_version in (None, "v2.5") else "v2.1"
    result["info"]["description"] = DESCRIPTIONS[version] + AUTHORIZE
    return result


def drop_paths_of_other_versions(result, generator, **kwargs):
    """Keep only the paths that exist: each API version's URLs accept their own versions only.

    drf-spectacular writes every versioned view under the requested version; /api/v2.5/exams/
    does not exist (the student API stops at v2.3), so it must not be documented. The offline exam
    endpoints, served at their own versions only (v2.4, v3), carry no versioning and land in every
    document: they belong to the student one.
    """
    admin = generator.api_version in (None, "v2.5")
    result["paths"] = {
        path: item
        for path, item in result["paths"].items()
        if _resolves(path) and path.startswith("/api/v2.5/") == admin
    }
    return result


# gunicorn's limit_request_line (gunicorn.conf.py); the proxy in front has its own, about the same.
REQUEST_LINE_TOO_LONG = {
    "description": (
        "The request line (method, path and query string) is over 8190 bytes: refused by the server in "
        "front of the app (gunicorn or the proxy) with its own HTML page, not JSON."
    )
}


def declare_request_line_limit(result, generator, **kwargs):
    """Every operation may get the 414 of the web server in front, whatever the view documents."""
    for item in result["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("414", REQUEST_LINE_TOO_LONG)
    return result


def declare_empty_query_values(result, generator, **kwargs):
    """Mark every optional query parameter `allowEmptyValue`: the server reads `name=` as if the parameter
    were left out (django-filter skips empty values; so do `page` and `per_page`), and says so. An
    `ordering` names each field once: `uniqueItems`.

    tests/api/test_schema.py::test_an_empty_optional_query_parameter_is_the_same_as_none checks each one.
    """
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                # StableOrderingFilter takes each field once (nor `date,-date`, which a schema cannot say).
                if parameter["in"] == "query" and parameter["name"] == "ordering":
                    parameter["schema"]["uniqueItems"] = True
    return result


def _resolves(path: str) -> bool:
    try:
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
    except Resolver404:
        return False
    # Unknown /api/ paths resolve too, to the catch-all that answers a JSON 404.
    return match.func is not json_not_found


class ErrorSerializer(serializers.Serializer):
    """Every refusal but a validation error (testpress/api/exceptions.py); some add keys, e.g. attempt_id."""

    detail = serializers.CharField()
    error_code = serializers.CharField(required=False, help_text="What the clients branch on.")


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: messages keyed by the field they are about (any field name), or a `detail` for the body."""

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    error_code = serializers.CharField(required=False)


ERROR_RESPONSES = {
    400: OpenApiResponse(ValidationErrorSerializer, "Invalid input; nothing was changed."),
    401: OpenApiResponse(ErrorSerializer, "No token, or a token that is invalid, expired or deactivated."),
    403: OpenApiResponse(ErrorSerializer, "Not allowed to this user (or not now, see `error_code`)."),
    404: OpenApiResponse(ErrorSerializer, "No such object (or page)."),
    409: OpenApiResponse(ErrorSerializer, "The object's state forbids it, see `error_code`."),
    413: OpenApiResponse(
        ErrorSerializer, "A body over the size the server reads (DATA_UPLOAD_MAX_MEMORY_SIZE)."
    ),
    415: OpenApiResponse(ErrorSerializer, "A body in a media type the server does not read."),
    429: OpenApiResponse(ErrorSerializer, "Too many requests; retry after `Retry-After` seconds."),
}


def responses(success: dict, *codes: int) -> dict:
    """`success` ({status: serializer}) and the error responses with these codes.

    Every request may get a 400 (a NUL byte in any query parameter, testpress/middleware.py) and a 429.
    """
    return {**success, **{code: ERROR_RESPONSES[code] for code in sorted({400, *codes, 429})}}


class SlashlessAliasSchema(AutoSchema):
    """An operation also routed without its trailing slash (mobile clients call both): its own operationId."""

    def get_operation_id(self):
        return f"{super().get_operation_id()}_no_slash"


def slashless_alias(view_class):
    """The view to route at the path without its trailing slash, documented under its own operationIds.

    A class attribute, not an as_view() argument: drf-spectacular builds per-method schemas from the class.
    """
    return type(f"{view_class.__name__}NoSlash", (view_class,), {"schema": SlashlessAliasSchema()})
