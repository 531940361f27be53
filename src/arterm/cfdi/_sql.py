"""A thin driver-level SQL layer for the importer's hot path.

SQLAlchemy Core costs ~0.5-1 ms of Python per statement with ``.values(...)`` compiled each time,
and a ``begin_nested()`` savepoint about as much again; the importer runs a handful of statements
per file at thousands of files per second. ``Raw`` sends fixed SQL strings straight to the DBAPI
cursor of the *same* connection (so everything stays in the caller's transaction and savepoints)
and converts dates the way SQLAlchemy stores them on each engine:

* SQLite: ``date`` → ``YYYY-MM-DD``, aware ``datetime`` → naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff``,
  booleans → 0/1 (what ``sqlalchemy``'s SQLite types write and read back);
* PostgreSQL (psycopg 3): Python objects as they are; ``?`` placeholders become ``%s``.

SQL strings here are constants written in this package: no value is ever formatted into them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy.engine import Connection


class Raw:
    __slots__ = ("conn", "pg", "cur", "_cache", "dbapi_error", "integrity_error")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None
        self.cur = dbapi_conn.cursor()
        self._cache: dict[str, str] = {}
        dbapi = conn.dialect.dbapi
        self.dbapi_error: type[BaseException] = dbapi.Error  # type: ignore[union-attr]
        self.integrity_error: type[BaseException] = dbapi.IntegrityError  # type: ignore[union-attr]

    def close(self) -> None:
        try:
            self.cur.close()
        except Exception:  # noqa: BLE001 - closing a cursor of a dead connection
            pass

    # -------------------------------------------------------------------------------- statements
    def _sql(self, sql: str) -> str:
        if not self.pg:
            return sql
        out = self._cache.get(sql)
        if out is None:
            out = self._cache[sql] = sql.replace("?", "%s")
        return out

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.cur
        cur.execute(self._sql(sql), params)
        return cur

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        cur = self.cur
        cur.execute(self._sql(sql), params)
        return cur.fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.cur
        cur.execute(self._sql(sql), params)
        return cur.fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def many(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        self.cur.executemany(self._sql(sql), list(seq))

    def rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self.cur
        cur.execute(self._sql(sql), params)
        return cur.rowcount

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert of rows already in this engine's storage format (see ``day``/``stamp``):
        ``COPY ... FROM STDIN`` on PostgreSQL, one ``executemany`` on SQLite. Same idea as
        ``arterm.db.bulk.insert_rows``, without its per-value conversion (the importer builds its
        rows converted, and that conversion was a tenth of the import's time)."""
        if not rows:
            return
        cols = ", ".join(columns)
        if self.pg and len(rows) > 10:
            with self.cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("%s" if self.pg else "?" for _ in columns)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        if len(rows) == 1:
            self.cur.execute(sql, rows[0])
        else:
            self.cur.executemany(sql, rows)

    # -------------------------------------------------------------------------------- savepoints
    def savepoint(self, name: str = "cfdi_file") -> str:
        """One fixed name per level: a new name per file would defeat the driver's statement cache."""
        self.cur.execute(f"SAVEPOINT {name}")
        return name

    def release(self, name: str) -> None:
        self.cur.execute(f"RELEASE SAVEPOINT {name}")

    def rollback_to(self, name: str) -> None:
        self.cur.execute(f"ROLLBACK TO SAVEPOINT {name}")
        self.cur.execute(f"RELEASE SAVEPOINT {name}")

    # -------------------------------------------------------------------------------- values
    def day(self, value: date | None) -> Any:
        if value is None or self.pg:
            return value
        return value.isoformat()

    def stamp(self, value: datetime) -> Any:
        if self.pg:
            return value
        if value.utcoffset() is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool) -> Any:
        return value if self.pg else int(value)

    @staticmethod
    def to_day(value: Any) -> date:
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])
