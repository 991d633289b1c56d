"""attempts/writes.py: a conditional write of an attempt and one of its items is all or nothing, with
no transaction of the caller's around it (the answer save runs it so on exam day)."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from attempts.models import Attempt, AttemptItem
from attempts.writes import update_if_unchanged
from tests.factories import AttemptFactory, AttemptItemFactory, QuestionFactory


@pytest.fixture
def attempt_and_item(db):
    attempt = AttemptFactory(time_taken=timedelta(minutes=1))
    item = AttemptItemFactory(attempt=attempt, question=QuestionFactory())
    return attempt, item


def _write(attempt, item, *, as_read_at):
    attempt.time_taken = timedelta(minutes=2)
    item.review = True
    return update_if_unchanged(
        attempt, Q(clock_checked_at=as_read_at), ["time_taken"], then=item, then_fields=("review",)
    )


def test_both_rows_are_written_when_the_attempt_is_as_read(attempt_and_item):
    attempt, item = attempt_and_item
    assert _write(attempt, item, as_read_at=attempt.clock_checked_at) is True
    assert Attempt.objects.get().time_taken == timedelta(minutes=2)
    assert AttemptItem.objects.get().review is True


def test_nothing_is_written_when_the_attempt_changed(attempt_and_item):
    attempt, item = attempt_and_item
    assert _write(attempt, item, as_read_at=timezone.now() - timedelta(hours=1)) is False
    assert Attempt.objects.get().time_taken == timedelta(minutes=1)
    assert AttemptItem.objects.get().review is False


def test_nothing_is_written_when_the_item_is_gone(attempt_and_item):
    # The attempt's half must not land alone: its clock would move for an answer that was not saved.
    attempt, item = attempt_and_item
    AttemptItem.objects.filter(pk=item.pk).delete()
    assert _write(attempt, item, as_read_at=attempt.clock_checked_at) is False
    assert Attempt.objects.get().time_taken == timedelta(minutes=1)
