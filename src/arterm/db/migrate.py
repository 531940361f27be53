"""Schema versioning with Alembic.

Opening a database checks its revision with one cheap query; Alembic itself is imported only when
the database is new or behind (keeping startup fast).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

HEAD_REVISION = "0010"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010")


class SchemaError(RuntimeError):
    pass


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def alembic_config(conn: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Serialize concurrent upgrades of one database (several servers starting at once).
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(724051)"))
        command.upgrade(alembic_config(conn), revision)


def ensure_schema(engine: Engine, *, read_engine: Engine | None = None) -> str | None:
    """Upgrade a new or older database to the head revision. Returns the revision found before.

    The revision is read through ``read_engine`` when given (SQLite: a plain ``BEGIN``, which
    another process's write lock does not block; the write engine's ``BEGIN IMMEDIATE`` would wait
    for it); only an upgrade takes the write lock.
    """
    with (read_engine or engine).connect() as conn:
        found = current_revision(conn)
        conn.rollback()
    if found == HEAD_REVISION:
        return found
    if found is not None and found not in KNOWN_REVISIONS:
        raise SchemaError(
            f"database schema {found!r} is newer than this arterm ({HEAD_REVISION}); upgrade arterm"
        )
    upgrade(engine)
    return found
