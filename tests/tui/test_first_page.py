"""The customers screen's first page read ahead by a forked child (``cli.open_app`` starts
``providers.read_first_page`` through ``arterm.prefetch``), on real databases.

The app cases run in a fresh interpreter: ``prefetch`` forks only a single-threaded process, and
a pytest-xdist worker has threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from arterm.db.engine import Database
from arterm.demo.generate import generate_demo
from arterm.tui.providers import PAGE_SIZE, CustomerQuery, CustomerRows, read_first_page

TODAY = date(2026, 11, 28)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def test_the_child_reads_what_the_screen_would_read(any_db_url: str) -> None:
    """Same count and rows as the screen's own first load, under the key the screen asks with."""
    db = Database(any_db_url)
    try:
        generate_demo(db, customers=130, seed=3, today=TODAY, current_operator="tester", invoices_per_customer=(0, 3))
        key, exact, estimated, rows = read_first_page(any_db_url, "tester", TODAY)
        screen = CustomerRows(lambda: db, CustomerQuery(), "tester", TODAY, url=any_db_url)
        assert key == screen.first_page_key()
        assert (exact, estimated) == (130, None) and screen.count() == 130
        assert rows == screen.fetch_rows(0, PAGE_SIZE) and len(rows) == PAGE_SIZE
        # Another operator, day or query is another key: the screen would not take those rows.
        assert CustomerRows(lambda: db, CustomerQuery(), "otra", TODAY, url=any_db_url).first_page_key() != key
        assert CustomerRows(lambda: db, CustomerQuery(sort="balance"), "tester", TODAY,
                            url=any_db_url).first_page_key() != key
        assert CustomerRows(lambda: db, CustomerQuery(), "tester", date(2026, 11, 29),
                            url=any_db_url).first_page_key() != key
    finally:
        db.dispose()


def test_the_child_neither_creates_nor_upgrades_a_database(tmp_path: Path) -> None:
    from arterm.db.engine import DatabaseError

    missing = tmp_path / "missing.db"
    with pytest.raises(DatabaseError):
        read_first_page(f"sqlite:///{missing}", "tester", TODAY)
    assert not missing.exists()


@pytest.mark.parametrize("revision", ["0099", "0007"])
def test_the_child_reads_only_a_database_at_this_arterms_schema(tmp_path: Path, revision: str) -> None:
    """A newer schema: the app refuses to open it, so its rows must not be on screen either
    (they were, under the app's error). An older one: the app upgrades it first, and the rows
    are read after that."""
    import sqlalchemy as sa

    from arterm.db.migrate import SchemaError

    url = f"sqlite:///{tmp_path / 'other.db'}"
    db = Database(url)
    try:
        generate_demo(db, customers=5, seed=3, today=TODAY, current_operator="tester", invoices_per_customer=(0, 1))
        assert read_first_page(url, "tester", TODAY)[1] == 5
        with db.write() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        db.dispose()
    with pytest.raises(SchemaError):
        read_first_page(url, "tester", TODAY)


def test_a_refresh_never_shows_what_the_child_read_before_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+r reads the database again: a page read ahead and not fetched (none to fetch: the
    child counted no customers) is not the refreshed page, nor is a page the child hands over
    while that refresh is already under way."""
    from arterm import prefetch

    url = f"sqlite:///{tmp_path / 'refresh.db'}"
    db = Database(url)
    try:
        empty = read_first_page(url, "tester", TODAY)
        assert empty[1:] == (0, None, [])
        screen = CustomerRows(lambda: db, CustomerQuery(), "tester", TODAY, url=url)
        monkeypatch.setattr(prefetch, "take", lambda target, timeout: empty)
        assert screen.count() == 0  # the table fetches no row for that count
        generate_demo(db, customers=7, seed=3, today=TODAY, current_operator="tester", invoices_per_customer=(0, 1))
        screen.forget_count()  # ctrl+r
        monkeypatch.setattr(prefetch, "take", lambda target, timeout: None)  # taken already
        assert screen.count() == 7 and len(screen.fetch_rows(0, 40)) == 7

        # The first load still waits for the child when ctrl+r starts another load.
        later = CustomerRows(lambda: db, CustomerQuery(), "tester", TODAY, url=url)

        def take_during_refresh(target: str, timeout: float) -> tuple:
            later.forget_count()
            return empty

        monkeypatch.setattr(prefetch, "take", take_during_refresh)
        later.count()  # the superseded load
        monkeypatch.setattr(prefetch, "take", lambda target, timeout: None)
        assert later.count() == 7 and len(later.fetch_rows(0, 40)) == 7  # the refresh's load
    finally:
        db.dispose()


APP = """
    import asyncio, json, sys
    from datetime import date
    from arterm import prefetch

    url, child_operator, child_day = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
    started = prefetch.start("arterm.tui.providers:read_first_page", url, child_operator, child_day)

    from arterm.config import Settings, UiSettings
    from arterm.tui.app import ArtermApp

    seen = {}

    def text(app):
        return "\\n".join(strip.text for strip in app.screen._compositor.render_strips())

    async def until(pilot, condition):
        for _ in range(2000):
            if condition():
                return True
            await pilot.pause(0.01)
        return False

    async def main():
        app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url=url, operator="tester",
                        today=date(2026, 11, 28))
        shown = app.customers_shown

        def customers_shown():  # the first rows are on screen
            seen.setdefault("sqlalchemy_before_rows", "sqlalchemy" in sys.modules)
            shown()

        app.customers_shown = customers_shown
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.screen.loaded_at)
            await until(pilot, lambda: app._db is not None)  # opened once the rows are painted
            first_rows = text(app)
            await pilot.press(*sys.argv[4])
            await until(pilot, lambda: app.screen.table.row_count == 1 and not app.screen.table.is_loading)
            await pilot.pause(0.2)
            searched = text(app)
        print(json.dumps({"started": started, "first_rows": first_rows, "searched": searched, **seen}))

    asyncio.run(main())
"""


def run_app(url: str, operator: str, day: date, search: str, script: str = APP) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), url, operator, day.isoformat(), search],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def demo_url(any_db_url: str) -> str:
    db = Database(any_db_url)
    try:
        generate_demo(db, customers=140, seed=5, today=TODAY, current_operator="tester", invoices_per_customer=(0, 3))
    finally:
        db.dispose()
    return any_db_url


def expected(url: str) -> tuple[list[str], str]:
    """The names the first screenful shows, and one customer's identifier to search for."""
    db = Database(url)
    try:
        rows = CustomerRows(lambda: db, CustomerQuery(), "tester", TODAY).fetch_rows(0, 5)
    finally:
        db.dispose()
    return [r.name[:20] for r in rows], rows[3].identifier


def test_the_app_shows_the_rows_the_child_read_and_then_opens_the_database(demo_url: str) -> None:
    names, identifier = expected(demo_url)
    out = run_app(demo_url, "tester", TODAY, identifier)
    assert out["started"] is True
    assert out["sqlalchemy_before_rows"] is False  # the rows came from the child, not from a query
    assert "140 clientes" in out["first_rows"] and all(name in out["first_rows"] for name in names)
    # The database was opened after the rows: a search reads it as usual.
    assert "1 cliente" in out["searched"] and identifier in out["searched"] and names[0] not in out["searched"]


def test_a_page_read_for_something_else_is_not_shown(demo_url: str) -> None:
    """The child read another operator's start (say): the screen reads the database itself."""
    names, identifier = expected(demo_url)
    out = run_app(demo_url, "otra", TODAY, identifier)
    assert out["started"] is True
    assert out["sqlalchemy_before_rows"] is True
    assert "140 clientes" in out["first_rows"] and all(name in out["first_rows"] for name in names)
    assert "1 cliente" in out["searched"] and identifier in out["searched"]


def test_a_child_that_fails_leaves_the_start_as_it_was(tmp_path: Path) -> None:
    """No database yet: the child may not create one, so it fails; the app creates it and shows
    an empty list."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    out = run_app(url, "tester", TODAY, "", APP.replace("await pilot.press(*sys.argv[4])", "pass")
                  .replace("row_count == 1", "row_count == 0"))
    assert out["started"] is True and out["sqlalchemy_before_rows"] is True
    assert "Ningún cliente" in out["first_rows"]
    assert (tmp_path / "new.db").exists()
