"""Shared fixtures: throwaway databases on SQLite and PostgreSQL.

PostgreSQL tests read ``ARTERM_TEST_PG_URL``; each test gets its own schema, dropped afterwards.
Without the variable they are skipped, unless ``ARTERM_REQUIRE_PG=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from arterm.db.engine import Database

PG_URL = os.environ.get("ARTERM_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("ARTERM_REQUIRE_PG") == "1"
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real data/config; a fixed operator name."""
    monkeypatch.setenv("ARTERM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # first frames kept by arterm.launch
    monkeypatch.delenv("ARTERM_CONFIG", raising=False)
    monkeypatch.delenv("ARTERM_DATABASE_URL", raising=False)
    monkeypatch.delenv("ARTERM_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("LANG", "es_MX.UTF-8")


def pg_available() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("ARTERM_REQUIRE_PG=1 but ARTERM_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL not configured (set ARTERM_TEST_PG_URL)")
    return PG_URL


class PgSchema:
    """A fresh schema in the test database, reachable through ``url`` (search_path set)."""

    def __init__(self, base_url: str) -> None:
        import sqlalchemy as sa

        from arterm.db.engine import normalize_url

        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self.base_url = normalize_url(base_url)
        self._admin = sa.create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        try:
            with self._admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {self.name}")
        except Exception as exc:  # pragma: no cover - depends on the environment
            self._admin.dispose()
            if REQUIRE_PG:
                pytest.fail(f"PostgreSQL at ARTERM_TEST_PG_URL is not usable: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        sep = "&" if "?" in self.base_url else "?"
        self.url = f"{self.base_url}{sep}options=-csearch_path%3D{self.name},public"

    def drop(self) -> None:
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")
        self._admin.dispose()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of the engine given by ``request.param`` (default sqlite)."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = PgSchema(pg_available())
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture(params=ENGINES)
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``db_url`` but parametrized over SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = PgSchema(pg_available())
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def db(any_db_url: str) -> Iterator[Database]:
    """A migrated, empty database on each engine."""
    database = Database(any_db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    try:
        yield database
    finally:
        database.dispose()
