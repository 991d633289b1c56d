"""OpenAPI extensions: describe authentication the way the clients actually send it."""

import re

from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.settings import api_settings

from .exceptions import json_not_found


class JWTScheme(OpenApiAuthenticationExtension):
    """`Authorization: JWT <token>` (Bearer also accepted). OpenAPI's http/bearer would only allow Bearer."""

    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    name = "jwtAuth"
    # Outranks drf-spectacular's own simplejwt scheme, which describes only the first header type.
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'The token from POST /api/v2.1/auth-token/, prefixed with "JWT ": '
                "`Authorization: JWT <token>`. The prefix `Bearer ` is accepted too."
            ),
        }


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


def drop_paths_of_other_versions(result, generator, **kwargs):
    """Keep only the paths that exist: each API version's URLs accept their own versions only.

    drf-spectacular writes every versioned view under the requested version; /api/v2.5/exams/
    does not exist (the student API stops at v2.3), so it must not be documented.
    """
    result["paths"] = {path: item for path, item in result["paths"].items() if _resolves(path)}
    return result


def _resolves(path: str) -> bool:
    try:
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
    except Resolver404:
        return False
    # Unknown /api/ paths resolve too, to the catch-all that answers a JSON 404.
    return match.func is not json_not_found
