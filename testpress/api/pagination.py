"""Page-number pagination with the Testpress body: count, next, previous, per_page, results."""

import hashlib
import logging
from functools import cached_property

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import DatabaseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class CachedCountPaginator(Paginator):
    """An exact count, remembered for a few seconds when it is large.

    Counting a million attempts takes tens of milliseconds whatever the index, and staff paging
    through such a list would pay it on every page. Counts of `cache_from` rows or more are kept
    for `count_timeout` seconds (a page may lag new rows by that much, unnoticeable at that size);
    smaller counts are cheap and always fresh, so a list staff just added to shows the new rows.
    """

    cache_from = 10_000
    count_timeout = 30

    @cached_property
    def count(self):
        key = self._cache_key()
        if key is None:
            return super().count
        try:
            count = cache.get(key)
            if count is None:
                count = super().count
                if count >= self.cache_from:
                    cache.set(key, count, self.count_timeout)
            return count
        except DatabaseError:
            raise
        except Exception:  # a cache outage must not take the list down with it
            logger.warning("Page-count cache unavailable", exc_info=True)
            return super().count

    def _cache_key(self) -> str | None:
        try:
            sql, params = self.object_list.order_by().query.sql_with_params()
        except (AttributeError, EmptyResultSet):  # not a queryset, or one that matches nothing
            return None
        return "page-count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()


class TestpressPagination(PageNumberPagination):
    page_size_query_param = "per_page"

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "per_page": self.page.paginator.per_page,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["per_page"] = {"type": "integer", "example": self.page_size}
        paginated["required"] = ["count", "next", "previous", "per_page", "results"]
        return paginated


class StudentPagination(TestpressPagination):
    # The v2.1 student API's page size, and the most a client may ask for with ?per_page=.
    page_size = 20
    max_page_size = 100


class AdminPagination(TestpressPagination):
    page_size = 200
    max_page_size = 1000
    # Staff page through up to a million attempts: one COUNT per filter, not one per page.
    django_paginator_class = CachedCountPaginator
