"""A questions page reads a window of the attempt's items (selectors.AttemptItemWindows): every page
size and page number a client may ask for reads the right items, however many windows were asked."""

import pytest

from attempts import selectors
from attempts.services import attempt_create
from tests.attempts.test_lifecycle_api import ok


@pytest.mark.parametrize("most_windows", [selectors.MOST_ITEM_WINDOWS, 2])
def test_every_page_size_pages_through_the_items_in_order(
    student, student_client, exam_of, monkeypatch, most_windows
):
    monkeypatch.setattr(selectors, "MOST_ITEM_WINDOWS", most_windows)
    monkeypatch.setattr(selectors, "_ITEM_WINDOWS", {})  # none compiled yet: each page size adds its own
    attempt = attempt_create(user=student, exam=exam_of("RCNER"))
    in_order = list(attempt.items.order_by("order", "id").values_list("pk", flat=True))
    url = f"/api/v2.1/attempts/{attempt.pk}/questions/"

    for per_page in range(1, 7):
        pages = [ok(student_client.get(url, {"per_page": per_page, "page": n})) for n in range(1, 6)
                 if n == 1 or (n - 1) * per_page < len(in_order)]  # fmt: skip
        assert {page["count"] for page in pages} == {5}
        assert [item["id"] for page in pages for item in page["results"]] == in_order, per_page
    assert len(selectors._ITEM_WINDOWS) <= most_windows
