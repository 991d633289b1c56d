"""One clock reading per request, so every filter and row of a response agrees on "now"."""

from datetime import datetime

from django.utils import timezone


def request_now(request) -> datetime:
    now = getattr(request, "_testpress_now", None)
    if now is None:
        now = request._testpress_now = timezone.now()
    return now


class RequestNowMixin:
    """Gives serializers the request's single `now` as context["now"]."""

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": request_now(self.request)}
