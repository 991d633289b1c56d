import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve

from attempts.api.offline_exams import OfflinePaperView, OfflineSubmissionView
from testpress.api.auth import ObtainAuthToken, RefreshAuthToken
from testpress.api.docs import RedocDocsView, SwaggerDocsView
from testpress.api.exceptions import json_not_found
from testpress.api.schema import SchemaView

# Mobile clients in the field still call the student API under these older version prefixes.
STUDENT_VERSIONS = r"v2\.1|v2\.2|v2\.2\.1|v2\.3"
ADMIN_VERSIONS = r"v2\.5"

student_api = [
    path("auth-token/", ObtainAuthToken.as_view(), name="auth-token"),
    path("auth-token/refresh/", RefreshAuthToken.as_view(), name="auth-token-refresh"),
    path("", include("attempts.api.urls")),
    path("", include("accounts.api.urls")),
]

admin_api = [
    path("auth-token/", ObtainAuthToken.as_view(), name="auth-token"),
    path("auth-token/refresh/", RefreshAuthToken.as_view(), name="auth-token-refresh"),
    path("admin/", include("attempts.api.admin_urls")),
    path("admin/", include("exams.api.admin_urls")),
    path("admin/", include("accounts.api.admin_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(rf"^api/(?P<version>{STUDENT_VERSIONS})/", include(student_api)),
    re_path(rf"^api/(?P<version>{ADMIN_VERSIONS})/", include(admin_api)),
    # Offline exams: the only endpoints of v2.4 and v3 (the rest of the student API stops at v2.3).
    path("api/v2.4/exams/<int:pk>/questions/", OfflinePaperView.as_view(), name="offline-exam-paper"),
    path(
        "api/v3/exams/<int:pk>/submit-offline-exam-answers/",
        OfflineSubmissionView.as_view(),
        name="offline-exam-submit",
    ),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(), name="api-docs"),
    path("api/redoc/", RedocDocsView.as_view(), name="api-redoc"),
    # Uploaded question images (settings.SERVE_MEDIA: development, tests, a small install).
    *(
        [
            re_path(
                rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$",
                require_safe(serve),
                {"document_root": settings.MEDIA_ROOT},
            )
        ]
        if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/")
        else []
    ),
    # Unknown API paths answer JSON even with DEBUG on (Django's debug 404 page is HTML).
    re_path(r"^api/", json_not_found),
]

handler400 = "testpress.api.exceptions.json_bad_request"
handler403 = "testpress.api.exceptions.json_permission_denied"
handler404 = "testpress.api.exceptions.json_not_found"
handler500 = "testpress.api.exceptions.json_server_error"
