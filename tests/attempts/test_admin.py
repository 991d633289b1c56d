import pytest
from django.utils.html import escape

from attempts.choices import AttemptState
from attempts.models import Attempt
from tests.admin_cases import AdminSmokeCases
from tests.factories import AttemptFactory, AttemptItemFactory

pytestmark = pytest.mark.django_db


class TestAttemptAdmin(AdminSmokeCases):
    model = Attempt
    # Attempts are started by students through the engine, never typed in.
    add_status = 403
    # The changelist must cost the same queries at 30 attempts as at one.
    many_rows = 30

    def make_row(self):
        attempt = AttemptFactory(completed=True, score="3.00", correct_count=3, incorrect_count=1)
        AttemptItemFactory.create_batch(2, attempt=attempt)
        return attempt

    def changelist_queries(self, row):
        return [
            f"state__exact={AttemptState.COMPLETED}",
            f"exam__id__exact={row.exam_id}",
            f"q={row.user.username}",
            f"q={row.user.email}",
            "o=4",
        ]

    def test_the_change_page_shows_scores_and_items_without_inputs(self, browser):
        attempt = self.make_row()
        content = browser.get(self.admin_url("change", attempt.pk)).content.decode()
        assert "3.00" in content
        assert escape(str(attempt.items.first().question)) in content
        for field in ("score", "correct_count", "time_taken", "state"):
            assert f'name="{field}"' not in content
        assert 'name="items-0-review"' not in content

    def test_a_post_to_the_change_page_changes_nothing(self, browser):
        attempt = self.make_row()
        response = browser.post(self.admin_url("change", attempt.pk), {"score": "99.00"})
        assert response.status_code == 403
        attempt.refresh_from_db()
        assert str(attempt.score) == "3.00"
