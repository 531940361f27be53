"""Engine and session factory for SQLite (embedded default) and PostgreSQL (shared deployments).

Write transactions on SQLite start with ``BEGIN IMMEDIATE`` so two processes never both read a
balance and then both try to write it; on PostgreSQL every balance change is a conditional
``UPDATE`` that re-checks the row under its lock. Each ``Database.write()`` block is one
transaction: it commits at the end or rolls back on any error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine import Connection

from .migrate import ensure_schema

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseError(RuntimeError):
    """The database cannot be opened or is of an unknown (newer) schema."""


PG_CONNECT_TIMEOUT = 10
"""Seconds to wait for a PostgreSQL server to accept a connection (libpq's ``connect_timeout``)."""


def normalize_url(url: str) -> str:
    """Accept ``postgres://``/``postgresql://`` and pick psycopg 3; keep SQLite URLs as they are."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _missing_sqlite_file(database: str, query: object) -> bool:
    """A SQLite URL naming a file that is not there (not ``:memory:``, not a ``file:`` URI)."""
    if not database or database == ":memory:" or (isinstance(query, dict) and query.get("uri")):
        return False
    return not Path(database).exists()


class Database:
    """One database: its engines and sessions. Thread-safe; share one per process."""

    def __init__(self, url: str, *, upgrade: bool = True, schema: str | None = None, create: bool = True) -> None:
        """``create=False``: a SQLite file that does not exist is a ``DatabaseError`` instead of a
        new empty database (and its folders): a mistyped path for a command that only reads."""
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if not create and _missing_sqlite_file(database, parsed.query):
                parsed.get_dialect()  # an unknown driver (sqlite+nodriver) is a bad URL first
                raise DatabaseError(f"database file {database} does not exist; "
                                    "`arterm demo` or `arterm db upgrade` creates one")
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                # WAL once per file: persistent, lets readers run while a writer works.
                # Only when not WAL yet: setting it needs a lock, so while another process holds
                # the write lock (a long import) every other command failed to open the database.
                raw = sa.create_engine(self.url)
                with raw.connect() as conn:
                    if str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower() != "wal":
                        conn.exec_driver_sql("PRAGMA journal_mode = WAL")
                raw.dispose()
            self.write_engine = _sqlite_engine(self.url, immediate=True)
            self.read_engine = _sqlite_engine(self.url, immediate=False)
        elif self.dialect == "postgresql":
            kwargs: dict = {"pool_pre_ping": True}
            # A server that does not answer (a host that drops packets, a stuck proxy) is an error
            # after a while, not a command or a screen that waits for ever. A connect_timeout in
            # the URL wins.
            connect_args: dict = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT}
            if schema:
                connect_args["options"] = f"-csearch_path={schema},public"
            if connect_args:
                kwargs["connect_args"] = connect_args
            self.write_engine = sa.create_engine(self.url, **kwargs)
            self.read_engine = self.write_engine
        else:
            raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
        self._lock = threading.Lock()
        if upgrade:
            ensure_schema(self.write_engine, read_engine=self.read_engine)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def write(self, *, wait_ms: int | None = None) -> Iterator[Connection]:
        """One read-write transaction: commit on success, roll back on any exception.

        ``wait_ms``: give up (``OperationalError``) after waiting this long for another writer,
        instead of SQLite's 30 s busy timeout or PostgreSQL's unbounded row-lock wait. For work
        that may be skipped, such as storing a cache.
        """
        if wait_ms is None:
            with self.write_engine.begin() as conn:
                yield conn
            return
        with self.write_engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if self.is_sqlite:  # before BEGIN IMMEDIATE, which is what waits
                raw.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    if not self.is_sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
                    yield conn
            finally:
                if self.is_sqlite:
                    raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")  # type: ignore[union-attr]

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (rolled back at the end)."""
        with self.read_engine.connect() as conn:  # closing rolls the transaction back
            yield conn

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def open_database(url: str, *, upgrade: bool = True, create: bool = True) -> Database:
    """``Database(url)``, with every way of failing to open it (a malformed URL, a file that is not
    a database, no permission, a missing driver) as a one-line ``DatabaseError``. ``create=False``:
    a missing SQLite file is refused, not created (commands that only read)."""
    try:
        return Database(url, upgrade=upgrade, create=create)
    except sa.exc.ArgumentError:  # also NoSuchModuleError (unknown dialect or driver)
        raise DatabaseError("invalid database URL: use sqlite:///path or postgresql://user@host/name") from None
    except sa.exc.DBAPIError as exc:  # OperationalError, DatabaseError ("file is not a database"), ...
        raise DatabaseError(f"cannot open database: {_first_line(exc.orig)}") from None
    except OSError as exc:  # the folder of a SQLite file cannot be created
        raise DatabaseError(f"cannot open database: {exc}") from None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def database_error_message(error: sa.exc.DBAPIError) -> str:
    """One line for a driver error met while using an open database (e.g. writing to a read-only
    SQLite file), without SQLAlchemy's SQL text, parameters and background link."""
    return f"database error: {_first_line(error.orig)}"
