"""Reads of users."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from testpress.queries import PreparedQuery

from .models import SIGNED_IN_USER_KEY, User

logger = logging.getLogger(__name__)

# What a request may read of its user without a query: every column but the password hash.
SIGNED_IN_FIELDS = tuple(field.attname for field in User._meta.concrete_fields if field.name != "password")
# Compiled once per connection: a cache miss is every request of a student whose last one came longer
# than the cache's lifetime ago, and building the query cost more than the database's answer.
_SIGNED_IN_ROW = PreparedQuery(lambda pk: User.objects.filter(pk=pk).values(*SIGNED_IN_FIELDS), "pk")


def signed_in_user(pk: int) -> User | None:
    """The user an API token names, from a short-lived cache; None when there is no such user.

    Exam day sends every student's request through here, so the row is read at most once per
    SIGNED_IN_USER_CACHE_SECONDS per user and not once per request. User.save() and delete() drop the
    entry (accounts.models.forget_signed_in_user), so a password change or a deactivation refuses the
    user's old tokens on the next request; a change that bypasses save() (a queryset update) shows
    within the cache's lifetime. A cache that cannot be reached costs the query, never the request.
    The instance has no password loaded (reading it costs a query).
    """
    seconds = settings.SIGNED_IN_USER_CACHE_SECONDS
    key = SIGNED_IN_USER_KEY.format(pk)
    row = _cache_get(key) if seconds else None
    if row is None:
        found = _SIGNED_IN_ROW.first(pk=pk)
        if found is None:
            return None
        row = tuple(found[field] for field in SIGNED_IN_FIELDS)
        if seconds:
            _cache_set(key, row, seconds)
    return User.from_db("default", SIGNED_IN_FIELDS, row)


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Could not read the signed-in user cache; reading the database", exc_info=True)
        return None


def _cache_set(key: str, row, seconds: int) -> None:
    try:
        cache.set(key, row, seconds)
    except Exception:
        logger.warning("Could not write the signed-in user cache", exc_info=True)


def admin_user_list() -> QuerySet[User]:
    """Users as the admin API prints them, batches prefetched: two SELECTs a page whatever its size."""
    return User.objects.prefetch_related("batches").order_by("id")
