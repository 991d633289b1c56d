"""Reads of attempts."""

from django.db.models import QuerySet

from .models import Attempt


def admin_attempt_list() -> QuerySet[Attempt]:
    """Every attempt, newest first, with the user and exam its row prints: one SELECT a page."""
    return Attempt.objects.select_related("user", "exam").order_by("-date", "-id")
