"""Bulk writes Django's ORM makes slow at the sizes this project writes them.

Helpers for any model: `rows_update` writes many rows with different values in one
statement, `history_record_rows` records their new state in django-simple-history's table in
one more (and `column_max_length`, the length a value must fit). Hand-written because the
library calls they stand in for (`QuerySet.bulk_update`, `bulk_history_create`) cost time
that grows with the rows in Python: see each docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model

# Rows per INSERT ... SELECT of history_record_rows: keeps the IN list's parameters bounded.
_HISTORY_BATCH = 500


def column_max_length(model: type[Model], field: str) -> int:
    """The column length a value must fit (a normalized URL is checked before any write)."""
    column = model._meta.get_field(field)
    assert isinstance(column, Field) and column.max_length is not None
    return column.max_length


def rows_update(model: type[Model], objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of each of ``objs`` by primary key, in one statement on PostgreSQL.

    For hundreds of rows with different values. Django's bulk_update builds a CASE WHEN per
    field over all rows, whose compilation grows quadratically (~6 s for 1,000 claims, ~25 ms
    per link in a batch of link checks); this is ``UPDATE ... FROM unnest(arrays)``, one array
    per column, typed by the model field's own cast type. Other databases (SQLite in
    development): one prepared UPDATE per row, which costs little in-process. Like
    bulk_update: no save(), no signals, no auto_now (set ``updated_at`` yourself); history is
    the caller's (`history_record_rows`).
    """
    if not objs:
        return
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk = meta.pk
    assert pk is not None
    columns: list[Field[Any, Any]] = [pk, *(_field(meta, name) for name in fields)]
    rows = [
        [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns] for obj in objs
    ]
    table, pk_column = quote(meta.db_table), quote(str(pk.column))
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{quote(str(c.column))} = %s" for c in columns[1:])
            sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
            cursor.executemany(sql, [row[1:] + row[:1] for row in rows])
            return
        # One array parameter per column, unnested into rows, rather than one parameter per
        # column and row: half the time in psycopg and the server. Casts type the arrays.
        arrays = ", ".join(f"%s::{c.cast_db_type(connection)}[]" for c in columns)
        names = [quote(f"c{i}") for i in range(len(columns))]
        assignments = ", ".join(
            f"{quote(str(c.column))} = v.{name}"
            for c, name in zip(columns[1:], names[1:], strict=True)
        )
        # Identifiers come from the model's own metadata, quoted; every value is a parameter.
        sql = (
            f"UPDATE {table} SET {assignments} "  # noqa: S608
            f"FROM unnest({arrays}) AS v ({', '.join(names)}) "
            f"WHERE {table}.{pk_column} = v.{names[0]}"
        )
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def history_record_rows(
    model: type[Model], pks: Sequence[Any], *, reason: str, by: Any, when: datetime
) -> None:
    """Record the current state of rows ``pks`` in ``model``'s django-simple-history table.

    What ``bulk_history_create(update=True)`` records (a "~" change with this reason, user and
    date), copied by the database in one ``INSERT ... SELECT`` per 500 rows instead of
    building two model instances per row in Python.
    """
    history = model.history.model  # type: ignore[attr-defined]
    meta, hmeta = model._meta, history._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    tracked = ", ".join(quote(f.column) for f in history.tracked_fields)
    extra = ("history_date", "history_change_reason", "history_type", "history_user")
    extra_columns = ", ".join(quote(str(_field(hmeta, name).column)) for name in extra)
    values = [
        _field(hmeta, "history_date").get_db_prep_save(when, connection),
        reason,
        "~",
        getattr(by, "pk", None),
    ]
    pk = meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        for start in range(0, len(pks), _HISTORY_BATCH):
            batch = [
                pk.get_db_prep_save(v, connection) for v in pks[start : start + _HISTORY_BATCH]
            ]
            sql = (
                f"INSERT INTO {quote(hmeta.db_table)} ({tracked}, {extra_columns}) "  # noqa: S608
                f"SELECT {tracked}, %s, %s, %s, %s FROM {quote(meta.db_table)} "
                f"WHERE {quote(str(pk.column))} IN ({', '.join(['%s'] * len(batch))})"
            )
            cursor.execute(sql, values + batch)


def _field(meta: Any, name: str) -> Field[Any, Any]:
    field = meta.get_field(name)
    assert isinstance(field, Field), name  # a concrete field, not a reverse relation
    return field
