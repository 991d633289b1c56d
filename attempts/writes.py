"""Exam day's writes as few statements as they can be: conditional writes, and writes run together.

A save or a heartbeat on a running attempt reads it without a lock, decides with the same rules
(attempts.timing, the service's checks) and writes the new clock on condition that the attempt is
still as it was read: `WHERE id = … AND state = … AND clock_checked_at = …`. Under PostgreSQL's READ
COMMITTED an UPDATE that waits for another transaction's lock re-checks its WHERE against the row that
transaction left, so an end (or another save) that got there first makes the write match nothing,
and the service falls back to its locked path, which decides again. Nothing is written then.

An end, under the attempt's lock, writes the items it scored, the attempt, its score tally and its
webhook event: on PostgreSQL in one statement (run_together), one round trip.
"""

from itertools import chain

from django.db import connection, transaction
from django.db.models import Exists, Model, Q, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery

# A statement not yet run: its SQL and parameters.
Statement = tuple[str, tuple]


def update_if_unchanged(instance: Model, unchanged: Q, fields: list[str], *, then: Model | None = None,
                        then_fields: tuple[str, ...] = ()) -> bool:  # fmt: skip
    """Write `fields` of `instance` where its row still matches `unchanged`; then, only if it did,
    `then_fields` of `then`. True when both were written, False when nothing was (the row had changed,
    or `then`'s row is gone).

    All or nothing without a transaction of the caller's: on PostgreSQL the two UPDATEs are one
    statement (a data-modifying WITH whose first part also requires `then`'s row), one round trip and
    its own transaction; elsewhere two, in a transaction of their own (a savepoint in the caller's).
    """
    if then is None:
        return _execute(save_statement(instance, fields, where=unchanged)) == 1
    then_exists = Q(Exists(type(then).objects.filter(pk=then.pk)))
    guarded = save_statement(instance, fields, where=unchanged & then_exists)
    following = save_statement(then, then_fields)
    if connection.vendor != "postgresql":
        try:
            with transaction.atomic():
                if _execute(guarded) != 1 or _execute(following) != 1:
                    raise _NotWritten
        except _NotWritten:
            return False
        return True
    (guarded_sql, guarded_params), (following_sql, following_params) = guarded, following
    sql = f"WITH guarded AS ({guarded_sql} RETURNING 1) {following_sql} AND EXISTS (SELECT 1 FROM guarded)"
    with connection.cursor() as cursor:
        cursor.execute(sql, (*guarded_params, *following_params))
        return cursor.rowcount == 1


class _NotWritten(Exception):
    """Rolls the two statements of update_if_unchanged back when either matched nothing."""


def run_together(statements: list[Statement]) -> list[tuple]:
    """Run `statements` in the caller's transaction; the rows the last one returns (its RETURNING).

    On PostgreSQL they are one statement, one round trip: the last one with the others in front of it
    as data-modifying WITHs. Those run exactly once, all on the same snapshot and in no set order, so
    the statements must change different rows and none may read what another writes. Elsewhere they
    run one after another, in order.
    """
    if connection.vendor == "postgresql" and len(statements) > 1:
        *first, (last_sql, last_params) = statements
        front = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(first))
        statements = [(f"WITH {front} {last_sql}", (*chain.from_iterable(p for _, p in first), *last_params))]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def save_statement(instance: Model, fields, *, where: Q | None = None) -> Statement:
    """`instance.save(update_fields=fields)` as a statement, not run (with `where`: if its row matches)."""
    rows = type(instance).objects.filter(pk=instance.pk).filter(where or Q())
    return update_statement(rows, {field: getattr(instance, field) for field in fields})


def update_statement(queryset: QuerySet, changes: dict) -> Statement:
    """`queryset.update(**changes)` as a statement, not run."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(changes)
    return query.get_compiler(queryset.db).as_sql()


def insert_statement(instance: Model) -> Statement:
    """Saving the new `instance` as a statement, not run: one INSERT returning its primary key."""
    model = type(instance)
    query = InsertQuery(model)
    query.insert_values([f for f in model._meta.local_concrete_fields if not f.primary_key], [instance])
    compiler = query.get_compiler(connection.alias)
    compiler.returning_fields = [model._meta.pk]
    [statement] = compiler.as_sql()
    return statement


def _execute(statement: Statement) -> int:
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
