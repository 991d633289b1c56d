"""The API's documentation pages, served whole from the app (no CDN): Swagger UI over both versions, ReDoc.

Swagger UI's script and styles come from drf-spectacular-sidecar through the static files; the page
lists the student document (v2.1) first and the admin one (v2.5) in its top bar's dropdown.
"""

from django.templatetags.static import static
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.response import Response

# The pages load and call nothing but this server: ReDoc's footer logo (a CDN image) is not fetched,
# whatever a future Swagger UI or ReDoc release links to. Both style elements inline.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
    ]
)
# (version, name in the dropdown), the first one shown unless `?version=` names another.
DOCUMENTS = [("v2.1", "Student API (v2.1)"), ("v2.5", "Admin API (v2.5)")]


def schema_url(version: str) -> str:
    return f"{reverse('schema')}?version={version}"


def requested_version(request) -> str:
    version = request.query_params.get("version")
    return version if version in dict(DOCUMENTS) else DOCUMENTS[0][0]


class SwaggerDocsView(SpectacularSwaggerView):
    template_name = "api/swagger_ui.html"
    versioning_class = None

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        config = {
            "urls": [{"url": schema_url(version), "name": name} for version, name in DOCUMENTS],
            "urls.primaryName": dict(DOCUMENTS)[requested_version(request)],
        }
        return Response(
            {
                "title": self.title,
                "swagger_ui_css": self._swagger_ui_resource("swagger-ui.css"),
                "swagger_ui_bundle": self._swagger_ui_resource("swagger-ui-bundle.js"),
                "swagger_ui_standalone": self._swagger_ui_resource("swagger-ui-standalone-preset.js"),
                "favicon_href": self._swagger_ui_favicon(),
                "script": static("api/swagger_ui.js"),
                "config": config,
            },
            template_name=self.template_name,
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
        )


class RedocDocsView(SpectacularRedocView):
    """ReDoc shows one document: `?version=v2.5` for the admin API, else the student API."""

    template_name = "api/redoc.html"
    versioning_class = None

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        version = requested_version(request)
        return Response(
            {
                "title": f"{self.title}: {dict(DOCUMENTS)[version]}",
                "redoc_standalone": self._redoc_standalone(),
                "schema_url": schema_url(version),
                "documents": [
                    {"name": name, "url": f"{reverse('api-redoc')}?version={v}", "current": v == version}
                    for v, name in DOCUMENTS
                ],
            },
            template_name=self.template_name,
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
        )
