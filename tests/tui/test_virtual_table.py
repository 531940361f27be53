"""Pilot tests for VirtualTable against a real 100,000-row SQLite table (LIMIT/OFFSET paging)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message

from arterm.tui.widgets import Column, VirtualTable
from arterm.tui.widgets.virtual_table import Row, sanitize_cell
from .pilot_helpers import settle

ROWS = 100_000
SIZE = (100, 30)
VISIBLE = SIZE[1] - 1  # one line is the sticky header

MARKUP_NAME = "[bold red]X[/]"
ESCAPE_NAME = "\x1b[31mRojo\x1b[0m Ñandú"
WIDE_NAME = "東京商事 S.A."
ZETA_IDS = (40_000, 70_000, 99_000)

COLUMNS = [
    Column("id", "ID", 7, "right"),
    Column("name", "Nombre", 24),
    Column("rfc", "RFC", 13),
    Column("balance", "Saldo", 12, "right"),
]


def customer_name(customer_id: int) -> str:
    special = {1: MARKUP_NAME, 2: ESCAPE_NAME, 3: WIDE_NAME}
    if customer_id in special:
        return special[customer_id]
    if customer_id in ZETA_IDS:
        return f"Zeta {customer_id}"
    return f"Cliente {customer_id:06d}"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("virtual_table") / "customers.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " rfc TEXT NOT NULL, balance_cents INTEGER NOT NULL)"
        )
        connection.executemany(
            "INSERT INTO customer VALUES (?, ?, ?, ?)",
            (
                (i, customer_name(i), f"XAXX{i:06d}00", (i * 7919) % 10_000_000)
                for i in range(1, ROWS + 1)
            ),
        )
    connection.close()
    return path


class SqliteRows:
    """A real SQL provider: one connection per call, so any worker thread may use it."""

    def __init__(
        self,
        path: Path,
        name_like: str | None = None,
        *,
        gate: threading.Event | None = None,
    ) -> None:
        self.path = path
        self.name_like = name_like
        self.gate = gate
        self.fetch_started = threading.Event()
        self.fetch_returned = threading.Event()
        self.threads: set[int] = set()
        self.fetches: list[tuple[int, int]] = []

    def _where(self) -> tuple[str, tuple[object, ...]]:
        if self.name_like is None:
            return "", ()
        return " WHERE name LIKE ?", (self.name_like,)

    def count(self) -> int:
        self.threads.add(threading.get_ident())
        where, params = self._where()
        with sqlite3.connect(self.path) as connection:
            return connection.execute(f"SELECT count(*) FROM customer{where}", params).fetchone()[0]

    def fetch(self, offset: int, limit: int) -> list[tuple[object, Sequence[str]]]:
        self.threads.add(threading.get_ident())
        self.fetches.append((offset, limit))
        self.fetch_started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test never released the gate"
        where, params = self._where()
        with sqlite3.connect(self.path) as connection:
            rows = connection.execute(
                f"SELECT id, name, rfc, balance_cents FROM customer{where}"
                " ORDER BY id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        self.fetch_returned.set()
        return [(i, (str(i), name, rfc, f"{cents / 100:,.2f}")) for i, name, rfc, cents in rows]


class TableApp(App[None]):
    BINDINGS = [Binding("x", "probe", "Probe")]

    def __init__(self, provider: object | None) -> None:
        super().__init__()
        self.provider = provider
        self.events: list[Message] = []
        self.probes: list[tuple[int, bool]] = []
        self.probe_hook: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield VirtualTable(COLUMNS, self.provider, id="customers")

    def on_mount(self) -> None:
        self.query_one(VirtualTable).focus()

    def on_virtual_table_loaded(self, message: VirtualTable.Loaded) -> None:
        self.events.append(message)

    def on_virtual_table_row_selected(self, message: VirtualTable.RowSelected) -> None:
        self.events.append(message)

    def on_virtual_table_row_highlighted(self, message: VirtualTable.RowHighlighted) -> None:
        self.events.append(message)

    def on_virtual_table_load_failed(self, message: VirtualTable.LoadFailed) -> None:
        self.events.append(message)

    def action_probe(self) -> None:
        busy = self.probe_hook is not None and not self.probe_hook.is_set()
        self.probes.append((threading.get_ident(), busy))

    def of_type(self, kind: type[Message]) -> list:
        return [event for event in self.events if isinstance(event, kind)]


def screen_lines(app: App) -> list[str]:
    """The screen as it is painted (text only)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_first_page_and_count(db_path: Path) -> None:
    provider = SqliteRows(db_path)
    app = TableApp(provider)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        assert table.row_count == ROWS
        assert [event.count for event in app.of_type(VirtualTable.Loaded)] == [ROWS]
        assert table.cursor_row == 0 and table.cursor_key == 1
        assert table.get_cached_row(3) == (4, ("4", "Cliente 000004", "XAXX00000400", "316.76"))
        assert table.virtual_size.height == ROWS + 1
        lines = screen_lines(app)
        assert "ID" in lines[0] and "Nombre" in lines[0] and "Saldo" in lines[0]
        assert "Cliente 000004" in lines[4]
        assert f"{VISIBLE} " in lines[VISIBLE][:9]  # the last visible line is row id 29
        assert "…" not in "".join(lines)  # no placeholder left
        # Never the whole table: small LIMIT/OFFSET pages only, all off the event loop.
        assert provider.fetches and all(limit == 200 for _, limit in provider.fetches)  # (at mount: whole pages)
        assert sum(limit for _, limit in provider.fetches) <= 600
        assert threading.get_ident() not in provider.threads
        highlighted = app.of_type(VirtualTable.RowHighlighted)
        assert (highlighted[0].key, highlighted[0].index) == (1, 0)
        # The cursor row is drawn with the theme's cursor style, other rows are not.
        cursor_style = next(iter(table.render_line(1))).style
        plain_style = next(iter(table.render_line(2))).style
        assert cursor_style.bgcolor != plain_style.bgcolor
        await pilot.press("down")
        assert next(iter(table.render_line(2))).style == cursor_style
        assert next(iter(table.render_line(1))).style == plain_style


async def test_paging_keys_move_cursor_and_view(db_path: Path) -> None:
    provider = SqliteRows(db_path)
    app = TableApp(provider)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)

        await pilot.press("pagedown")
        await settle(pilot)
        assert table.cursor_row == VISIBLE
        assert table.cursor_key == VISIBLE + 1
        assert table.scroll_offset.y == VISIBLE
        assert f"{VISIBLE + 1} " in screen_lines(app)[1][:9]

        await pilot.press("down", "down", "up")
        assert table.cursor_row == VISIBLE + 1

        await pilot.press("pageup")
        await settle(pilot)
        assert table.cursor_row == 1 and table.scroll_offset.y == 0

        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == ROWS - 1
        assert table.get_cached_row(ROWS - 1)[0] == ROWS
        assert table.cursor_key == ROWS
        lines = screen_lines(app)
        assert "Cliente 100000" in lines[VISIBLE]
        assert f"Cliente {ROWS - VISIBLE + 1:06d}" in lines[1]
        assert "…" not in "".join(lines)
        assert app.of_type(VirtualTable.RowHighlighted)[-1].key == ROWS

        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0 and table.cursor_key == 1
        assert MARKUP_NAME in screen_lines(app)[1]

        # Far pages were fetched on demand; memory stays bounded.
        assert max(offset for offset, _ in provider.fetches) >= ROWS - 200
        assert len(provider.fetches) < 10


async def test_next_page_is_prefetched_near_the_edge(db_path: Path) -> None:
    provider = SqliteRows(db_path)
    app = TableApp(provider)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        table.move_cursor(180)  # screen shows rows 152..180, page 0 (rows 0..199)
        await settle(pilot)
        assert table.get_cached_row(260) is not None  # page 1 is already here
        fetched = len(provider.fetches)
        await pilot.press("pagedown")  # into page 1: no new query needed to paint it
        assert table.cursor_row == 180 + VISIBLE
        assert "…" not in "".join(screen_lines(app))
        await settle(pilot)
        assert {offset for offset, _ in provider.fetches[fetched:]} <= {400}


async def test_mouse_click_and_wheel(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        await pilot.click(VirtualTable, offset=(4, 5))  # line 5 = row index 4
        assert table.cursor_row == 4
        selected = app.of_type(VirtualTable.RowSelected)
        assert [(event.key, event.index) for event in selected] == [(5, 4)]
        await pilot.click(VirtualTable, offset=(4, 0))  # the header is not a row
        assert len(app.of_type(VirtualTable.RowSelected)) == 1

        for _ in range(3):
            table.post_message(_wheel_down(table))
        await settle(pilot)
        assert table.scroll_offset.y > 0
        assert table.cursor_row == 4  # the wheel scrolls the view, not the cursor


def _wheel_down(table: VirtualTable) -> events.MouseScrollDown:
    return events.MouseScrollDown(table, 2, 2, 0, 1, 0, False, False, False)


async def test_enter_posts_row_selected(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        selected = app.of_type(VirtualTable.RowSelected)
        assert [(event.key, event.index) for event in selected] == [(3, 2)]
        assert selected[0].table is app.query_one(VirtualTable)
        assert selected[0].control is selected[0].table


async def test_a_new_provider_paints_its_screenful_first_and_completes_the_page_after(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        loaded: list[tuple[bool, Row | None]] = []  # at Loaded: page pending? row 60 there?

        def on_loaded(message: Message) -> None:
            if isinstance(message, VirtualTable.Loaded):
                loaded.append((table.pages_pending, table.get_cached_row(60)))

        table.message_signal.subscribe(table, on_loaded, immediate=True)
        cliente = SqliteRows(db_path, "Cliente 00%")  # 9,996 rows
        table.set_provider(cliente)
        await settle(pilot)
        # First the rows on screen and a few more (what a keystroke waits for), then the whole page.
        assert cliente.fetches == [(0, VISIBLE + 5), (0, 200)]
        assert loaded == [(True, None)]  # the frame with the new rows did not wait for the rest
        assert not table.pages_pending
        assert table.get_cached_row(60) == (64, ("64", "Cliente 000064", "XAXX00006400", "5,068.16"))
        assert "Cliente 000007" in screen_lines(app)[4] and "…" not in "".join(screen_lines(app))


async def test_row_count_changes_resize_the_scrollbar_without_a_layout(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path, "Zeta %"))  # 3 rows: no scrollbar
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        assert not table.show_vertical_scrollbar
        table.set_provider(SqliteRows(db_path))
        await settle(pilot)
        assert table.show_vertical_scrollbar  # appeared: that one is a layout
        assert table.vertical_scrollbar.window_virtual_size == ROWS + 1
        await pilot.press("end")
        await settle(pilot)
        assert table.scroll_offset.y == table.max_scroll_y > 0
        table.set_provider(SqliteRows(db_path, "Cliente 00%"))
        await settle(pilot)
        assert table.vertical_scrollbar.window_virtual_size == 9_996 + 1
        assert table.scroll_offset.y == 0 and table.max_scroll_y == 9_996 + 1 - table.scrollable_content_region.height
        table.set_provider(SqliteRows(db_path, "Zeta %"))
        await settle(pilot)
        assert not table.show_vertical_scrollbar
        assert "Zeta 99000" in screen_lines(app)[3]


async def test_switching_provider_updates_rows_and_drops_stale_results(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        processed: list[Message] = []
        table.message_signal.subscribe(table, processed.append, immediate=True)

        await pilot.press("pagedown")
        gate = threading.Event()
        slow = SqliteRows(db_path, "Cliente 00%", gate=gate)  # 9,996 rows, held at the gate
        table.set_provider(slow)
        await asyncio.to_thread(slow.fetch_started.wait, 5)
        zeta = SqliteRows(db_path, "Zeta %")
        table.set_provider(zeta)
        await settle(pilot)

        assert table.row_count == 3
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        assert [table.get_cached_row(i)[0] for i in range(3)] == list(ZETA_IDS)
        assert table.get_cached_row(3) is None
        lines = screen_lines(app)
        assert "Zeta 40000" in lines[1] and "Zeta 99000" in lines[3]
        assert "Cliente" not in "".join(lines)

        # Now let the stale provider finish: its result arrives last and must be dropped.
        stale_before = sum(type(m).__name__ == "_DataLoaded" for m in processed)
        gate.set()
        await asyncio.to_thread(slow.fetch_returned.wait, 5)
        for _ in range(200):
            if sum(type(m).__name__ == "_DataLoaded" for m in processed) > stale_before:
                break
            await pilot.pause(0.01)
        else:
            raise AssertionError("the stale result never reached the table")
        await settle(pilot)
        assert table.row_count == 3
        assert [table.get_cached_row(i)[0] for i in range(3)] == list(ZETA_IDS)
        assert [event.count for event in app.of_type(VirtualTable.Loaded)] == [ROWS, 3]
        assert "Zeta 70000" in screen_lines(app)[2]


async def test_refresh_data_keeps_cursor(db_path: Path) -> None:
    provider = SqliteRows(db_path)
    app = TableApp(provider)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        table.move_cursor(5_000)
        await settle(pilot)
        top = table.scroll_offset.y
        table.refresh_data()
        await settle(pilot)
        assert table.cursor_row == 5_000 and table.cursor_key == 5_001
        assert table.scroll_offset.y == top
        assert [event.count for event in app.of_type(VirtualTable.Loaded)] == [ROWS, ROWS]


async def test_provider_error_is_reported_not_fatal(db_path: Path) -> None:
    class Broken:
        def count(self) -> int:
            raise sqlite3.OperationalError("database is locked")

        def fetch(self, offset: int, limit: int) -> list:
            raise AssertionError("not reached")

    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        table.set_provider(Broken())
        await settle(pilot)
        failed = app.of_type(VirtualTable.LoadFailed)
        assert len(failed) == 1 and "locked" in str(failed[0].error)
        assert table.row_count == ROWS  # the previous rows stay on screen ...
        assert not table.is_loading and app.is_running
        await pilot.press("end")  # ... and keep paging from the previous provider
        await settle(pilot)
        assert table.cursor_key == ROWS


async def test_untrusted_cells_render_literally(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        assert MARKUP_NAME in lines[1]
        assert "Rojo Ñandú" in lines[2]
        assert WIDE_NAME in lines[3]
        painted = "".join(lines)
        assert "\x1b" not in painted and "[31m" not in painted
        # Columns stay aligned in cells, whatever the characters' widths.
        rfc_columns = {cell_len(line[: line.index("XAXX")]) for line in lines[1:6]}
        assert rfc_columns == {7 + 2 + 24 + 2 + 1}
        # What reaches the terminal: the widget's segments carry no escape codes either.
        table = app.query_one(VirtualTable)
        for y in range(1, 4):
            assert all("\x1b" not in segment.text for segment in table.render_line(y))
        assert "[bold&#160;red]X[/]" in app.export_screenshot()


async def test_text_cells_keep_style_and_are_truncated(db_path: Path) -> None:
    class Styled:
        def count(self) -> int:
            return 2

        def fetch(self, offset: int, limit: int) -> list:
            rows = [
                (1, ("1", Text("Muy largo " * 5, style="bold"), "R", Text("-12.00", "red"))),
                (2, ("2", Text.assemble(("\x1b]0;pwned\x1b\\ok", "italic")), "R", "3.00")),
            ]
            return rows[offset : offset + limit]

    app = TableApp(Styled())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        assert "Muy largo Muy largo Muy… " in lines[1]
        assert "      -12.00 " in lines[1]  # right-aligned in its 12 cells
        assert " ok " in lines[2] and "pwned" not in lines[2]
        table = app.query_one(VirtualTable)
        segments = list(table.render_line(1))
        assert any(segment.text.strip() == "-12.00" and segment.style.color for segment in segments)


def test_sanitize_cell() -> None:
    assert sanitize_cell(MARKUP_NAME) == MARKUP_NAME
    assert sanitize_cell("\x1b[31mRojo\x1b[0m") == "Rojo"
    assert sanitize_cell("a\x1b]8;;http://evil\x1b\\b") == "ab"  # OSC 8 hyperlink
    assert sanitize_cell("a\x1b]0;title\x07b") == "ab"  # window title
    assert sanitize_cell("line1\r\nline2\tx") == "line1 line2 x"
    assert sanitize_cell("bell\x07 nul\x00") == "bell\ufffd nul\ufffd"
    assert sanitize_cell("abc\u202edcba") == "abcdcba"  # bidi override
    assert sanitize_cell("\x9b31mX") == "X"  # 8-bit CSI
    assert sanitize_cell(None) == "" and sanitize_cell(12) == "12"
    styled = sanitize_cell(Text.assemble(("A\x1b[2J", "bold"), "B"))
    assert isinstance(styled, Text) and styled.plain == "AB"
    assert styled.spans and styled.spans[0].style == "bold"


async def test_event_loop_is_never_blocked_by_the_provider(db_path: Path) -> None:
    app = TableApp(SqliteRows(db_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        main_thread = threading.get_ident()

        gate = threading.Event()
        slow = SqliteRows(db_path, "Cliente 001%", gate=gate)  # ids 1000..1999
        app.probe_hook = slow.fetch_returned
        table.set_provider(slow)
        assert await asyncio.to_thread(slow.fetch_started.wait, 5)

        # The fetch is stuck in its thread: the app must still handle a key and a timer.
        timer_fired = asyncio.Event()
        fired_while_busy: list[bool] = []

        def on_timer() -> None:
            fired_while_busy.append(not slow.fetch_returned.is_set())
            timer_fired.set()

        app.set_timer(0.01, on_timer)
        await pilot.press("x")
        await asyncio.wait_for(timer_fired.wait(), 5)
        assert app.probes == [(main_thread, True)]
        assert fired_while_busy == [True]
        assert table.is_loading and table.row_count == ROWS  # old rows still shown ...
        await pilot.press("end")  # ... and still page in from the old provider meanwhile
        for _ in range(500):
            if table.get_cached_row(ROWS - 1) is not None:
                break
            await pilot.pause(0.01)
        assert table.cursor_key == ROWS
        assert not slow.fetch_returned.is_set()

        gate.set()
        await settle(pilot)
        assert table.row_count == 1000
        assert main_thread not in slow.threads
        assert app.of_type(VirtualTable.Loaded)[-1].count == 1000
        assert table.cursor_key == 1000
