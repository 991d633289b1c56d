"""The production URLs plus /bench/ceiling/, served only when bench.settings is the settings module."""

from django.urls import re_path
from rest_framework.response import Response
from rest_framework.views import APIView

from testpress.urls import urlpatterns as production_urls


class CeilingView(APIView):
    """The least an authenticated JSON request can do here: same middleware, auth, throttles, renderer."""

    def get(self, request, *args, **kwargs):
        return Response({"id": request.user.pk})


# Versioned like the student API, so URLPathVersioning (the default versioning class) accepts it.
urlpatterns = [re_path(r"^bench/(?P<version>v2\.1)/ceiling/$", CeilingView.as_view()), *production_urls]
