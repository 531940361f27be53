"""Fast bulk inserts that skip SQLAlchemy's per-row parameter processing.

SQLite gets one ``executemany`` with values already in its storage format (ISO dates, naive UTC
datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` — what SQLAlchemy itself writes); PostgreSQL gets
``COPY ... FROM STDIN``. Used by the demo generator and the CFDI importer, inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _sqlite_converter(col: sa.Column):  # type: ignore[no-untyped-def]
    kind = type(col.type).__name__
    if kind in ("UtcDateTime", "DateTime"):
        def conv(v: Any) -> Any:
            if v is None:
                return None
            if v.utcoffset() is not None:
                v = v.astimezone(timezone.utc).replace(tzinfo=None)
            return v.strftime("%Y-%m-%d %H:%M:%S.%f")
        return conv
    if kind == "Date":
        return lambda v: None if v is None else v.isoformat()
    if kind == "Boolean":
        return lambda v: None if v is None else int(v)
    return None


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table``; returns how many."""
    if not rows:
        return 0
    cols = list(rows[0].keys())
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in cols])
        return len(rows)
    converters = [_sqlite_converter(table.c[c]) for c in cols]
    if any(converters):
        pairs = list(zip(cols, converters, strict=True))
        data = [tuple(conv(row[c]) if conv else row[c] for c, conv in pairs) for row in rows]
    else:
        data = [tuple(row[c] for c in cols) for row in rows]
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    conn.exec_driver_sql(sql, data)
    return len(rows)


__all__ = ["insert_rows", "date", "datetime"]
