"""Each documented filter and ordering of the v2.5 admin attempts list is served by an index.

At a realistic size (tens of thousands of attempts, fresh statistics) PostgreSQL's plan for the page
query must not scan the attempts table sequentially: a sequential scan is what turns into a second
per page at a million attempts. The paginator's COUNT is not checked: counting a filter that matches
most rows (state=1, a year of dates, no filter) reads them all with or without an index, and the
planner rightly picks a sequential scan for it (see the README's Benchmark for what that costs).
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attempts.models import Attempt
from attempts.selectors import ranked_attempts, with_standing

pytestmark = pytest.mark.postgres

ORDERINGS = [
    f"ordering={sign}{name}"
    for name in ("date", "correct_answers_count", "incorrect_answers_count", "unanswered_count")
    for sign in ("", "-")
]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """30,000 attempts over 5 exams, kept for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_load", exams=5, students=6000, attempts=30000, questions=5, running=50,
                     items_for=0, seed=5, stdout=io.StringIO())  # fmt: skip
        last = Attempt.objects.order_by("-id").values("user_id", "exam_id").first()
        yield last
        transaction.set_rollback(True)


def admin_cases(last) -> list[str]:
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    month_ago = (timezone.localdate() - timedelta(days=30)).isoformat()
    return [
        *ORDERINGS,
        "state=0",
        "state=1",
        "state=3",
        f"date_0={week_ago}",
        f"date_1={month_ago}",
        f"date_0={month_ago}&date_1={week_ago}",
        f"users={last['user_id']}",
        f"exams={last['exam_id']}",
    ]


def seq_scans_on_attempts(sql: str, params=()) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == Attempt._meta.db_table:
            found.append(node.get("Filter", "(no filter)"))
        stack.extend(node.get("Plans", []))
    return found


def test_every_admin_filter_and_ordering_uses_an_index(loaded, db, staff_client):
    table = Attempt._meta.db_table
    scanned = {}
    for params in admin_cases(loaded):
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(f"/api/v2.5/admin/attempts/?{params}")
        assert response.status_code == 200, (params, response.content)
        reads = [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]
        page = [sql for sql in reads if "LIMIT" in sql]
        # An empty result (no attempt is Not Started) is answered from the COUNT alone.
        assert page or not response.json()["results"], f"{params}: no page query captured"
        for sql in page:
            if found := seq_scans_on_attempts(sql):
                scanned.setdefault(params, []).extend(found)
    assert scanned == {}, f"sequential scans on {table}: {scanned}"


def test_the_standing_lookup_never_scans_the_attempts(loaded, db):
    """Rank and percentile sum the exam's score tallies; the attempt and its user's count are index reads."""
    attempt = ranked_attempts().order_by("id").first()
    sql, params = with_standing(Attempt.objects.filter(pk=attempt.pk)).query.sql_with_params()
    assert seq_scans_on_attempts(sql, params) == []
