"""attempts/writes.py: a conditional write of an attempt and one of its items is all or nothing, with
no transaction of the caller's around it (the answer save runs it so on exam day)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from attempts import writes
from attempts.models import Attempt, AttemptItem, AttemptSection
from attempts.writes import insert_rows, run_together, save_statement, update_if_unchanged, update_statement
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
        attempt, {"clock_checked_at": as_read_at}, ["time_taken"], then=item, then_fields=("review",)
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


def _as_compared(params):
    # psycopg's Jsonb wrapper has no equality of its own: compare what it wraps.
    return [(type(p), p.obj) if hasattr(p, "obj") else (type(p), p) for p in params]


def _orm_statement(instance, fields, where):
    rows = type(instance).objects.filter(pk=instance.pk)
    for name, value in where.items():
        rows = rows.filter(**{name: value})
    return update_statement(rows, {field: getattr(instance, field) for field in fields})


@pytest.mark.parametrize("clock_checked_at", [None, "now"])
def test_an_update_compiled_once_is_the_orms_own_for_every_value(attempt_and_item, clock_checked_at):
    """save_statement compiles an UPDATE once per shape and then only puts values in: each later call
    must send what the ORM itself would, NULLs and booleans (which change the SQL) included. Both
    booleans within one test: a shape that mixed them up would pass one after the other's compile."""
    attempt, item = attempt_and_item
    now = timezone.now()
    for n in range(4):  # the first calls compile, the others reuse them with new values
        review = n % 2 == 0
        attempt.time_taken = timedelta(minutes=n)
        attempt.clock_checked_at = None if clock_checked_at is None else now + timedelta(seconds=n)
        attempt.last_answer_updated_time = None if n == 1 else now
        item.selected_answers, item.short_text, item.review = [n, n + 7], f"{n}.5", review
        item.duration, item.modified = timedelta(seconds=n), now
        cases = [
            (attempt, ["state", "time_taken", "clock_checked_at", "last_answer_updated_time"],
             {"state": attempt.state, "clock_checked_at": attempt.clock_checked_at}),
            (item, ("selected_answers", "short_text", "review", "duration", "modified"), {}),
            (item, ("short_text",), {"review": review, "essay_text": f"essay {n}"}),
        ]  # fmt: skip
        for instance, fields, where in cases:
            sql, params = save_statement(instance, fields, where=where)
            orm_sql, orm_params = _orm_statement(instance, fields, where)
            assert sql == orm_sql
            assert _as_compared(params) == _as_compared(orm_params)


def test_the_same_fields_of_two_models_or_under_two_conditions_are_two_statements(attempt_and_item):
    # An attempt and its section share these columns; the same values compared under other names too.
    attempt, _ = attempt_and_item
    section = AttemptSection(pk=attempt.pk, state=attempt.state, time_taken=timedelta(minutes=3),
                             clock_checked_at=timezone.now())  # fmt: skip
    fields = ["state", "time_taken", "clock_checked_at"]
    cases = [
        (attempt, {"state": attempt.state}),
        (section, {"state": section.state}),
        (attempt, {"time_taken": attempt.time_taken}),
        (section, {"time_taken": section.time_taken}),
    ]
    for instance, where in [*cases, *cases]:  # each compiled, then each taken from what was compiled
        assert save_statement(instance, fields, where=where)[0] == _orm_statement(instance, fields, where)[0]


def test_a_shape_that_cannot_tell_two_statements_apart_is_refused_not_run(attempt_and_item, monkeypatch):
    attempt, _ = attempt_and_item
    monkeypatch.setattr(writes, "_shape_of", lambda value: "")  # NULLs no longer told apart
    attempt.clock_checked_at = timezone.now()
    save_statement(attempt, ["clock_checked_at"], where={"state": attempt.state})
    attempt.clock_checked_at = None  # `SET clock_checked_at = NULL` takes one value fewer
    with pytest.raises(ValueError, match="values for the"):
        save_statement(attempt, ["clock_checked_at"], where={"state": attempt.state})


def test_an_expression_in_a_condition_is_refused_even_after_the_shape_was_compiled(attempt_and_item):
    _, item = attempt_and_item
    save_statement(item, ["short_text"], where={"essay_text": "an essay"})
    with pytest.raises(TypeError, match="expression"):
        save_statement(item, ["short_text"], where={"essay_text": F("short_text")})


def test_rows_past_the_databases_batch_size_go_in_several_inserts_and_all_land(db, monkeypatch):
    attempt = AttemptFactory()
    questions = QuestionFactory.create_batch(5)
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    items = [AttemptItem(attempt=attempt, question=q, order=n) for n, q in enumerate(questions)]
    statements = insert_rows(items)
    assert len(statements) == 3
    run_together(statements)
    assert list(attempt.items.order_by("order").values_list("question_id", flat=True)) == [
        q.pk for q in questions
    ]


def test_a_statement_compiled_once_writes_what_it_is_given(attempt_and_item):
    attempt, item = attempt_and_item
    for minutes in (2, 3):
        attempt.time_taken = timedelta(minutes=minutes)
        assert (
            update_if_unchanged(attempt, {"clock_checked_at": attempt.clock_checked_at}, ["time_taken"])
            is True
        )
        assert Attempt.objects.get().time_taken == timedelta(minutes=minutes)


def test_a_related_object_is_saved_by_its_key_and_an_expression_is_refused(attempt_and_item):
    attempt, item = attempt_and_item
    other = AttemptFactory()
    item.attempt = other
    sql, params = save_statement(item, ["attempt"])
    orm_sql, orm_params = _orm_statement(item, ["attempt"], {})
    assert (sql, _as_compared(params)) == (orm_sql, _as_compared(orm_params))
    assert other.pk in params
    item.short_text = other
    with pytest.raises(TypeError, match="not a relation"):
        save_statement(item, ["short_text"])
    attempt.time_taken = F("time_taken") + timedelta(minutes=1)
    with pytest.raises(TypeError, match="expression"):
        save_statement(attempt, ["time_taken"])
