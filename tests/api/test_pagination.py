"""The admin lists' count: exact, and reused for a few seconds only when it is large."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attempts.choices import AttemptState
from attempts.models import Attempt
from testpress.api.pagination import CachedCountPaginator
from tests.factories import AttemptFactory

pytestmark = pytest.mark.django_db

URL = "/api/v2.5/admin/attempts/"


def count_queries(ctx) -> int:
    return sum("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)


def test_a_small_list_counts_every_time_so_new_rows_show_at_once(staff_client):
    AttemptFactory.create_batch(2)
    assert staff_client.get(URL).json()["count"] == 2
    AttemptFactory()
    assert staff_client.get(URL).json()["count"] == 3


def test_a_large_count_is_reused_for_the_next_pages(staff_client, monkeypatch):
    monkeypatch.setattr(CachedCountPaginator, "cache_from", 3)
    AttemptFactory.create_batch(3)
    assert staff_client.get(f"{URL}?per_page=1").json()["count"] == 3
    AttemptFactory()
    with CaptureQueriesContext(connection) as ctx:
        body = staff_client.get(f"{URL}?per_page=1&page=2").json()
    assert body["count"] == 3 and count_queries(ctx) == 0
    # Another filter is another count.
    assert staff_client.get(f"{URL}?state=0").json()["count"] == 4


def test_a_filter_that_can_match_nothing_counts_zero():
    assert CachedCountPaginator(Attempt.objects.filter(pk__in=[]), 10).count == 0


def test_a_cache_outage_still_answers_the_exact_count(staff_client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("testpress.api.pagination.cache.get", broken)
    AttemptFactory.create_batch(2)
    assert staff_client.get(URL).json()["count"] == 2


def test_the_admin_attempts_count_reads_the_attempts_alone(staff_client):
    # The page joins users and exams for the columns it prints; the count needs neither, and a join to
    # every user is what made counting a few thousand attempts cost as much as printing a page.
    AttemptFactory.create_batch(2, state=AttemptState.COMPLETED)
    AttemptFactory(state=AttemptState.RUNNING)
    with CaptureQueriesContext(connection) as ctx:
        body = staff_client.get(f"{URL}?state={AttemptState.COMPLETED.value}").json()
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert body["count"] == 2 and len(body["results"]) == 2
    assert len(counts) == 1 and "JOIN" not in counts[0].upper()
