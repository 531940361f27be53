"""Fast bulk inserts that skip SQLAlchemy's per-row parameter processing.

SQLite gets one ``executemany`` with values already in its storage format (ISO dates, naive UTC
datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` — what SQLAlchemy itself writes); PostgreSQL gets
``COPY ... FROM STDIN``. Used by the demo generator and the CFDI importer, inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _sqlite_converter(col: sa.Column):  # type: ignore[no-untyped-def]
    kind = type(col.type).__name__
    if kind in ("UtcDateTime", "DateTime"):
        def conv(v: Any) -> Any:
            if v is None:
                return None
            if v.tzinfo is not None:
                v = v.astimezone(timezone.utc).replace(tzinfo=None)
            return v.isoformat(" ", "microseconds")  # = strftime("%Y-%m-%d %H:%M:%S.%f"), 4x faster
        return conv
    if kind == "Date":
        return lambda v: None if v is None else v.isoformat()
    if kind == "Boolean":
        return lambda v: None if v is None else int(v)
    return None


Prepared = tuple[tuple[str, ...], list[tuple[Any, ...]]]


def prepare_rows(dialect: str, table: sa.Table, rows: Sequence[dict[str, Any]]) -> Prepared:
    """(columns, value tuples) for ``insert_prepared``: for SQLite already in its storage format.

    Plain data (picklable): the demo builds it in another process than the one that inserts it.
    """
    if not rows:
        return (), []
    cols = tuple(rows[0].keys())
    converters = [_sqlite_converter(table.c[c]) for c in cols] if dialect == "sqlite" else []
    if any(converters):
        # Column by column: C-level map/itemgetter instead of a Python expression per value.
        columns = []
        for c, conv in zip(cols, converters, strict=True):
            values = list(map(itemgetter(c), rows))
            columns.append(list(map(conv, values)) if conv else values)
        return cols, list(zip(*columns, strict=True))
    if len(cols) == 1:
        return cols, [(row[cols[0]],) for row in rows]
    return cols, list(map(itemgetter(*cols), rows))


def insert_prepared(conn: Connection, table: sa.Table, prepared: Prepared) -> int:
    """Insert what ``prepare_rows`` made (for this connection's dialect); returns how many rows."""
    cols, data = prepared
    if not data:
        return 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        return len(data)
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    conn.exec_driver_sql(sql, data)
    return len(data)


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table``; returns how many."""
    return insert_prepared(conn, table, prepare_rows(conn.dialect.name, table, rows))


__all__ = ["Prepared", "insert_prepared", "insert_rows", "prepare_rows", "date", "datetime"]
