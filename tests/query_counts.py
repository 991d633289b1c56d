"""Query budgets: what a request or a service costs in SQL statements, and that it does not grow with
its rows. Savepoints are bookkeeping, not work: statements() leaves them out."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def statements(call: Callable) -> list[str]:
    """The SQL statements `call()` runs, savepoints and their releases left out."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def request_queries(count: int, *, atomic: bool = True) -> int:
    """`count` queries of a view, plus the savepoint and its release when each request is atomic.

    `atomic=False` for views outside ATOMIC_REQUESTS (the student attempt views).
    """
    return count + (2 if atomic and connection.settings_dict.get("ATOMIC_REQUESTS") else 0)


def assert_fixed_query_count(
    assert_num_queries, client, url: str, *, make_row: Callable, expected: int, rows=50, atomic=True
):
    """GET `url` with one row, then with `rows` rows: both take `expected` queries (see request_queries).

    `assert_num_queries` is pytest-django's django_assert_num_queries fixture; `make_row()` adds one
    row the endpoint lists. The page size is raised so that all `rows` rows are serialized.
    """
    url = f"{url}{'&' if '?' in url else '?'}per_page=100"
    made = 0
    for count in (1, rows):
        while made < count:
            make_row()
            made += 1
        with assert_num_queries(request_queries(expected, atomic=atomic)):
            response = client.get(url)
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == count
