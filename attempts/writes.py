"""Exam day's writes as few statements as they can be: conditional writes, and writes run together.

A save or a heartbeat on a running attempt reads it without a lock, decides with the same rules
(attempts.timing, the service's checks) and writes the new clock on condition that the attempt is
still as it was read: `WHERE id = … AND state = … AND clock_checked_at = …`. Under PostgreSQL's READ
COMMITTED an UPDATE that waits for another transaction's lock re-checks its WHERE against the row that
transaction left, so an end (or another save) that got there first makes the write match nothing,
and the service falls back to its locked path, which decides again. Nothing is written then.

An end, under the attempt's lock, writes the items it scored, the attempt, its score tally and its
webhook event: on PostgreSQL in one statement (run_together), one round trip. A create writes its
attempt, then its items, sections and webhook event so, in one more.
"""

from itertools import chain
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery

# A statement not yet run: its SQL and parameters.
Statement = tuple[str, tuple]


def update_if_unchanged(instance: Model, unchanged: dict[str, object], fields: list[str], *,
                        then: Model | None = None, then_fields: tuple[str, ...] = ()) -> bool:  # fmt: skip
    """Write `fields` of `instance` where its row still holds the values of `unchanged` (None: NULL);
    then, only if it did, `then_fields` of `then`. True when both were written, False when nothing was
    (the row had changed, or `then`'s row is gone).

    All or nothing without a transaction of the caller's: on PostgreSQL the two UPDATEs are one
    statement (a data-modifying WITH whose first part also requires `then`'s row), one round trip and
    its own transaction; elsewhere two, in a transaction of their own (a savepoint in the caller's).
    """
    if then is None:
        return _execute(save_statement(instance, fields, where=unchanged)) == 1
    guarded_sql, guarded_params = save_statement(instance, fields, where=unchanged)
    then_meta = type(then)._meta
    guarded = (
        f"{guarded_sql} AND EXISTS (SELECT 1 FROM {connection.ops.quote_name(then_meta.db_table)} "
        f"WHERE {connection.ops.quote_name(then_meta.pk.column)} = %s)",
        (*guarded_params, _db_value(then_meta.pk, then.pk)),
    )
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


def save_statement(instance: Model, fields, *, where: dict[str, object] | None = None) -> Statement:
    """`instance.save(update_fields=fields)` as a statement, not run; with `where`, only if its row
    still holds those values (None: NULL).

    The ORM builds and compiles an UPDATE in Python on every call (in-process on the bench database,
    0.2 ms of a heartbeat and 0.7 ms of a save). The SQL depends only on the model, the fields, and
    which values are NULL or booleans compared in `where` (_shape_of), so the ORM compiles it once per
    database connection and such a shape, and each call puts in its values as the ORM would (each
    field's own conversion for the database).
    """
    where = where or {}
    model, meta = type(instance), type(instance)._meta
    values = [getattr(instance, field) for field in fields]
    shape = (model, tuple(fields), tuple(where), *map(_shape_of, (*values, *where.values())))
    # The thread's own connection, not the module's proxy: what is compiled is kept with it.
    compiled = _compiled_updates.setdefault(connections[DEFAULT_DB_ALIAS], {})
    entry = compiled.get(shape)
    params = [
        _set_value(meta.get_field(field), value)
        for field, value in zip(fields, values, strict=True)
        if value is not None
    ]
    params.append(_db_value(meta.pk, instance.pk))
    params.extend(_db_value(meta.get_field(name), v) for name, v in where.items() if _is_parameter(v))
    if entry is None:
        entry = compiled[shape] = (_compiled_update(instance, fields, where, len(params)), len(params))
    sql, expected = entry
    if len(params) != expected:
        # A shape that should have told two SQLs apart: refuse loudly rather than run the wrong one.
        raise ValueError(f"{len(params)} values for the {expected} of the UPDATE compiled for {shape}")
    return sql, tuple(params)


# The compiled UPDATEs by shape (save_statement) with how many values each takes, kept with the
# thread's connection object.
_compiled_updates: WeakKeyDictionary = WeakKeyDictionary()


def _shape_of(value) -> object:
    """What of a value the ORM's SQL depends on: NULL is written as such (`= NULL`, `IS NULL`), and a
    boolean compared in a WHERE is written as the column or its NOT, not as a parameter."""
    return value if value is None or type(value) is bool else ""


def _is_parameter(value) -> bool:
    """Whether a value compared in a WHERE is sent as a parameter (see _shape_of)."""
    return value is not None and type(value) is not bool


def _compiled_update(instance: Model, fields, where: dict, parameters: int) -> str:
    """The ORM's SQL for save_statement's shape: the SET values in the order of `fields`, then the
    primary key, then `where`'s values in its order (a filter each, so the ORM keeps that order)."""
    rows = type(instance).objects.filter(pk=instance.pk)
    for name, value in where.items():
        rows = rows.filter(**{name: value})
    sql, params = update_statement(rows, {field: getattr(instance, field) for field in fields})
    if len(params) != parameters:
        raise ValueError(f"Not an UPDATE to compile once: {parameters} values for {len(params)} in {sql}")
    return sql


def _set_value(field, value):
    """`value` as the ORM sends it for `SET field = value` (SQLUpdateCompiler.as_sql)."""
    _refuse_expression(field, value)
    if hasattr(value, "prepare_database_save"):  # a related object: its key, as the ORM takes it
        if not field.remote_field:
            raise TypeError(f"{field.name} is not a relation: it cannot be set to {value!r}")
        value = value.prepare_database_save(field)
    return field.get_db_prep_save(value, connection)


def _db_value(field, value):
    """`value` as the ORM sends it for `field = value` in a WHERE."""
    _refuse_expression(field, value)
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


def _refuse_expression(field, value) -> None:
    # An expression is SQL, not a value: sent as a parameter it would be compared or written as text.
    if hasattr(value, "resolve_expression"):
        raise TypeError(f"{field.name} is an expression, which changes the SQL: save it with the ORM")


def update_statement(queryset: QuerySet, changes: dict) -> Statement:
    """`queryset.update(**changes)` as a statement, not run."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(changes)
    return query.get_compiler(queryset.db).as_sql()


def insert_statement(instance: Model) -> Statement:
    """Saving the new `instance` as a statement, not run: one INSERT returning its primary key."""
    [statement] = _insert_statements(type(instance), [instance], returning=True)
    return statement


def insert_rows(objs: list[Model]) -> list[Statement]:
    """`bulk_create(objs)` as statements, not run: as many INSERTs as the database's limit on
    parameters asks for, returning nothing (the objects get no primary keys)."""
    if not objs:
        return []
    model = type(objs[0])
    fields = _inserted_fields(model)
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    return [
        statement
        for start in range(0, len(objs), size)
        for statement in _insert_statements(model, objs[start : start + size], returning=False)
    ]


def _inserted_fields(model: type[Model]) -> list:
    return [field for field in model._meta.local_concrete_fields if not field.primary_key]


def _insert_statements(model: type[Model], objs: list[Model], *, returning: bool) -> list[Statement]:
    query = InsertQuery(model)
    query.insert_values(_inserted_fields(model), objs)
    compiler = query.get_compiler(connection.alias)
    if returning:
        compiler.returning_fields = [model._meta.pk]
    return compiler.as_sql()


def _execute(statement: Statement) -> int:
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
