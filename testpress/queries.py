"""Query expressions the selectors share, and queries compiled once for exam day's hot path."""

from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, Func, IntegerField, Model, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.sql.compiler import SQLCompiler


def subquery_count(queryset: QuerySet) -> Subquery:
    """COUNT(*) of a correlated queryset as one scalar subquery.

    A JOIN + Count() would multiply rows as soon as two counts sit on the same query; a subquery per
    count keeps each one exact and the page at one SELECT.
    """
    counted = queryset.order_by().annotate(_count=Func(F("pk"), function="COUNT")).values("_count")
    return Subquery(counted, output_field=IntegerField())


def subquery_sum(queryset: QuerySet, field: str) -> Coalesce:
    """SUM(field) of a correlated queryset as one scalar subquery; 0 when no row matches."""
    summed = queryset.order_by().annotate(_sum=Func(F(field), function="SUM")).values("_sum")
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


class PreparedQuery:
    """A `.values()` queryset built and compiled once per database connection, then run with new values.

    Django builds and compiles a queryset on every call, in Python: for exam day's hottest reads (an
    attempt with its exam and the user's counts of it) that costs several times what the database takes
    to answer. `build(**markers)` is called once per connection with a marker integer for each named
    parameter; its SQL is kept with the places of the markers among its parameters, and each call runs
    that SQL with the call's values and converts the columns as Django's own iteration would (the
    compiler's converters: SQLite's datetimes and decimals, for one). The queryset's shape must not
    depend on the values, and each parameter must reach the SQL as a plain parameter (an equality
    filter on a key or an integer column; `texts` name those on a text column, a slug).
    """

    # Positive and within 32 bits: Django drops a lookup whose integer is out of the column's range.
    FIRST_MARKER = 2_103_456_780

    def __init__(self, build: Callable[..., QuerySet], *parameters: str, texts: tuple[str, ...] = ()):
        self.build = build
        self.markers: dict[str, int | str] = {
            name: self.FIRST_MARKER + n for n, name in enumerate(parameters)
        }
        # No slug, code or name holds a control character: the marker cannot be a real value.
        self.markers.update({name: f"\x1fmarker-{name}\x1f" for name in texts})
        self._compiled: WeakKeyDictionary = WeakKeyDictionary()

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values) -> list[dict]:
        connection = connections[using]
        if not _in_range(connection, values):
            return []
        compiled = self.compiled_for(connection, using)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.parameters(values))
            return compiled.dicts(cursor.fetchall())

    def first(self, using: str = DEFAULT_DB_ALIAS, **values) -> dict | None:
        rows = self.rows(using, **values)
        return rows[0] if rows else None

    def compiled_for(self, connection, using: str) -> "_Compiled":
        return self._compiled.get(connection) or self._compile(connection, using)

    def _compile(self, connection, using: str) -> "_Compiled":
        queryset = self.build(**self.markers)
        query = queryset.query
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        names_at = {marker: name for name, marker in self.markers.items()}
        placed = [(names_at.get(value) if type(value) in (int, str) else None, value) for value in params]
        missing = set(self.markers) - {name for name, _ in placed if name}
        if missing:
            raise ValueError(f"{', '.join(sorted(missing))} did not reach the SQL as parameters: {sql}")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        compiled = _Compiled(
            sql=sql,
            params=placed,
            names=[*query.extra_select, *query.values_select, *query.annotation_select],
            compiler=compiler,
            converters=compiler.get_converters(fields),
        )
        self._compiled[connection] = compiled
        return compiled


def _in_range(connection, values: dict) -> bool:
    """Whether every integer of `values` fits a 64-bit column. An id from a URL can be any number of
    digits: as the ORM does for such a lookup, a query given a longer one matches nothing (SQLite
    could not even take it as a parameter)."""
    low, high = connection.ops.integer_field_range("BigIntegerField")
    return all(low <= value <= high for value in values.values() if type(value) is int)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Each parameter with the name of the call's value that replaces it (None: the value as compiled).
    params: list[tuple[str | None, object]]
    names: list[str]
    compiler: SQLCompiler
    converters: dict

    def parameters(self, values: dict) -> list:
        return [values[name] if name else value for name, value in self.params]

    def dicts(self, rows) -> list[dict]:
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [dict(zip(self.names, row, strict=True)) for row in rows]


class PreparedPair:
    """Two prepared queries in one statement: the one row of `first` beside each row of `second`
    (`LEFT JOIN … ON 1 = 1`), one round trip where there would be two. `second`'s rows must never be
    all NULL (a count among them does it): such a row stands for "none"."""

    def __init__(self, first: PreparedQuery, second: PreparedQuery):
        self.first, self.second = first, second

    def read(self, using: str = DEFAULT_DB_ALIAS, **values) -> tuple[dict, list[dict]] | None:
        """first's row and second's rows, each query given the values it names; None when first has
        no row."""
        connection = connections[using]
        if not _in_range(connection, values):
            return None
        first = self.first.compiled_for(connection, using)
        second = self.second.compiled_for(connection, using)
        sql = f"SELECT * FROM ({first.sql}) first_query LEFT JOIN ({second.sql}) second_query ON 1 = 1"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*first.parameters(values), *second.parameters(values)])
            rows = cursor.fetchall()
        if not rows:
            return None
        width = len(first.names)
        beside = [row[width:] for row in rows if any(value is not None for value in row[width:])]
        return first.dicts([rows[0][:width]])[0], second.dicts(beside)


def from_values(model: type[Model], row: dict, prefix: str = "", using: str = DEFAULT_DB_ALIAS) -> Model:
    """An instance of `model` from a `.values()` row holding every concrete column of it (under
    `prefix`, "exam__" for the attempt's exam), as if Django had read it."""
    return model.from_db(
        using,
        None,
        [row[f"{prefix}{field.attname}"] for field in model._meta.concrete_fields],
    )


def concrete_columns(model: type[Model], prefix: str = "") -> list[str]:
    """The `.values()` names of every concrete column of `model`, for from_values."""
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]
