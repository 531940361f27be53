"""The customers screen, where arterm starts: a search box over a virtual table of customers.

- Typing filters the table (accent- and case-insensitive over name, RFC, code, emails and phone).
  The first keystroke after a pause queries at once; keys that arrive while a query is running or
  within ``DEBOUNCE`` seconds of the last one are coalesced into one trailing query.
- The table is a `VirtualTable` fed by ``providers.CustomerRows``: a count plus the pages on screen,
  queried in worker threads; never the whole table.
- Up/Down/PageUp/PageDown (and ctrl+Home/ctrl+End) in the search box move the table's highlight;
  Enter opens the highlighted customer (the first match unless the operator moved it). ``/``
  returns to the search box, Escape clears it.
- Sort (ctrl+s cycles name → total balance → overdue) and two quick filters: only overdue
  (ctrl+o) and assigned to me (ctrl+t). All of them are also in the command palette, and every
  label is clickable.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widgets import Input, Static

from ..base import BaseScreen, clean
from ..providers import PAGE_SIZE, SORTS, CustomerQuery, CustomerRows
from ..widgets import Column, VirtualTable
from ..widgets.footer import ArtermFooter
from ..widgets.inputs import OrderedInput

DEBOUNCE = 0.06
"""Seconds: keys closer together than this (or typed while a query runs) make one query."""

NAME_MIN = 20
MONEY_WIDTH = 16
"""Fits ``$999,999.99 MXN``; larger amounts drop the symbol (``1,065,669.08 MXN``), never digits."""
FIXED_COLUMNS = (("identifier", 8, "left"), ("rfc", 13, "left"), ("operator", 12, "left"),
                 ("current", MONEY_WIDTH, "right"), ("overdue", MONEY_WIDTH, "right"), ("total", MONEY_WIDTH, "right"))
"""Widths in cells; the name column takes what is left."""


def column_layout(width: int) -> dict[str, int]:
    """Column widths for a screen ``width`` cells wide: the name column absorbs the slack."""
    widths = {key: size for key, size, _ in FIXED_COLUMNS}
    used = sum(size + 2 for size in widths.values()) + 2  # one space each side; the name's padding
    scrollbar = 1
    widths["name"] = max(NAME_MIN, width - used - scrollbar)
    return widths


class SearchBox(OrderedInput):
    """The search box: Enter opens the highlighted customer (shown in the footer).

    Enter goes through the screen's queue (``Input.Submitted``), after the changes typed before
    it: the screen then knows whether the search for them is still running. Keys typed after
    Enter are held until the screen has opened the profile (they are the profile's: "c00123
    Enter 3" opens C00123 on its Sales tab) or found nothing to open (then they are typed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "customers.key.open", id="customers.open_from_search"),
    ]

    submitting = False  # Enter pressed, not yet handled by the screen

    # Every typed character widens the input's text, and Textual declares ``virtual_size`` with
    # ``layout=True`` on every widget: each keystroke laid out and redrew the whole screen before
    # its query had even started. The box has a fixed width and no scrollbar, so a repaint of the
    # box is enough (its horizontal scroll limit is read from ``virtual_size`` when it scrolls).
    virtual_size = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self) -> None:
        self.scroll_x = self.validate_scroll_x(self.scroll_x)  # text deleted while scrolled

    async def _on_key(self, event: events.Key) -> None:
        screen = self.screen
        if self.submitting or getattr(screen, "holding_keys", False):
            event.stop()
            event.prevent_default()
            screen.held_keys.append(events.Key(event.key, event.character))  # type: ignore[attr-defined]
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        self.submitting = True
        await super().action_submit()


class CustomerTable(VirtualTable):
    """The customers' `VirtualTable`, with its Enter binding translated.

    Enter opens the row at once rather than through ``RowSelected``: that message is handled
    after the keys already queued behind Enter, so "Enter 5" lost its "5". Opened at once, the
    "5" reaches the profile's bindings (an unhandled key ends at the app, which looks up the
    bindings of the screen on top)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_row", "customers.key.open", id="customers.open_row"),
    ]

    def action_open_row(self) -> None:
        key = self.cursor_key
        open_customer = getattr(self.screen, "open_customer", None)
        if key is not None and open_customer is not None:
            open_customer(int(key))  # type: ignore[arg-type]


class Chip(Static):
    """A clickable label (filter / sort) that runs a screen action."""

    def __init__(self, action: str, *, id: str) -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id, classes="chip", markup=False)
        self.action = action

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.run_action(f"screen.{self.action}")


class CustomersScreen(BaseScreen):
    CSS_PATH = "customers.tcss"
    AUTO_FOCUS = "#customers-search"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "customers.key.search", id="customers.search"),
        Binding("ctrl+n", "new_customer", "customers.key.new", id="customers.new"),
        Binding("ctrl+s", "cycle_sort", "customers.key.sort", id="customers.sort"),
        Binding("ctrl+o", "toggle_overdue", "customers.key.only_overdue", id="customers.only_overdue"),
        Binding("ctrl+t", "toggle_mine", "customers.key.mine", id="customers.mine"),
        Binding("ctrl+r", "refresh", "customers.key.refresh", id="customers.refresh"),
        Binding("escape", "clear_search", "customers.key.clear", id="customers.clear", show=False),
        # From the search box the arrows drive the table (the table has its own when focused).
        Binding("down", "table('cursor_down')", show=False, id="customers.cursor_down"),
        Binding("up", "table('cursor_up')", show=False, id="customers.cursor_up"),
        Binding("pagedown", "table('page_down')", show=False, id="customers.page_down"),
        Binding("pageup", "table('page_up')", show=False, id="customers.page_up"),
        Binding("ctrl+home", "table('first_row')", show=False, id="customers.first_row"),
        Binding("ctrl+end", "table('last_row')", show=False, id="customers.last_row"),
    ]

    def __init__(self) -> None:
        super().__init__(id="customers")
        self._query = CustomerQuery()
        self._debounce: Timer | None = None
        self._last_query_at = 0.0
        self._open_when_loaded = False
        # Keys typed after Enter while the search was still running: they belong to the profile
        # about to open, not to the search box (the box holds them here; see ``SearchBox``).
        self.held_keys: list[events.Key] = []
        self._restore_cursor: int | None = None
        self._last_error: str | None = None
        self._count_shown: tuple[str, bool] = ("", False)
        self._table_width = 0
        self._table: CustomerTable  # built in compose (its widths depend on the terminal's)
        self._started = False
        self._context_day: date | None = None
        self.queries_run = 0
        """Providers handed to the table so far (tests check the debounce with it)."""
        self.loaded_at = 0.0
        """``time.perf_counter()`` when the table last applied a count and first page (the bench)."""

    # ------------------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="customers-top"):
            yield Static(id="customers-title", markup=False)
            yield Static(id="customers-context", markup=False)
        yield SearchBox(id="customers-search")
        with Horizontal(id="customers-bar"):
            yield Chip("toggle_overdue", id="filter-overdue")
            yield Chip("toggle_mine", id="filter-mine")
            yield Chip("cycle_sort", id="sort")
            yield Static(id="customers-count", markup=False)
        self._table_width = self.app.size.width
        self._table = CustomerTable(self._columns(self._table_width), classes="customers-table", page_size=PAGE_SIZE)
        yield self._table
        yield ArtermFooter(compact=True)

    def _columns(self, width: int) -> list[Column]:
        widths = column_layout(width)
        keys = ("identifier", "name", "rfc", "operator", "current", "overdue", "total")
        right = {"current", "overdue", "total"}
        return [Column(key, self.tr(f"customers.col.{key}"), widths[key], "right" if key in right else "left")
                for key in keys]

    @property
    def table(self) -> CustomerTable:
        """The table on screen (replaced when the language or the width changes)."""
        return self._table

    @property
    def search(self) -> SearchBox:
        return self.query_one(SearchBox)

    def on_mount(self) -> None:
        self.apply_language(rebuild=False)
        self._started = True
        from ..first_frame import days_to_keep

        days = days_to_keep(self)
        if days:
            # The picture kept for the next starts has no rows: take it before asking for them
            # (read ahead by a child, they could otherwise be in the very first frame).
            self.call_after_refresh(self._keep_first_frame, days)
        else:
            self._run_query()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _keep_first_frame(self, days: list[str]) -> None:
        """The screen as first painted, before its rows: shown by the next starts (``launch``);
        then the first query."""
        try:
            if not self.queries_run and not self.search.value and self.app.screen is self:
                from ..first_frame import keep

                keep(self, days, self._context_text, self._context_day)
        finally:
            if not self.queries_run:
                self._run_query()

    def _theme_changed(self, _theme: object) -> None:
        # The overdue colour comes from the theme: same query, new provider, same row.
        self._restore_cursor = self.table.cursor_row
        self.table.set_provider(self._provider())

    def apply_language(self, rebuild: bool = True) -> None:
        """Relabel everything; column headers are fixed per table, so the table is rebuilt."""
        self.query_one("#customers-title", Static).update(f"arterm · {self.tr('customers.title')}")
        self.search.placeholder = self.tr("customers.search_placeholder")
        self._show_chips()
        self._show_context()
        if rebuild:
            self._rebuild_table(self._table_width)
        else:
            self._show_count()

    def on_resize(self, event: events.Resize) -> None:
        if self._started and column_layout(event.size.width) != column_layout(self._table_width):
            self._rebuild_table(event.size.width)

    def _rebuild_table(self, width: int) -> None:
        """Swap in a table with new headers/widths (a Column is fixed once a table is built): same
        query, same highlighted row, same focus. The old table's late results are ignored."""
        old = self._table
        new = CustomerTable(self._columns(width), self._provider(), classes="customers-table", page_size=PAGE_SIZE)
        self._restore_cursor = old.cursor_row
        self._table_width = width
        self._table = new
        self.mount(new, before=old)
        if old.has_focus:
            self.call_after_refresh(new.focus)
        old.remove()

    # ------------------------------------------------------------------------------ texts
    def _show_context(self) -> None:
        app: Any = self.app
        self._context_day = app.today()  # what the frame kept for the next starts shows
        self.query_one("#customers-context", Static).update(self._context_text(self._context_day))

    def _context_text(self, day: date) -> str:
        app: Any = self.app
        return f"{clean(app.operator)} · {self.tr('customers.as_of', date=self.day(day))}"

    def _show_chips(self) -> None:
        query = self._query
        app: Any = self.app
        for chip_id, on_, label in (
            ("#filter-overdue", query.only_overdue, self.tr("customers.filter.only_overdue")),
            ("#filter-mine", query.mine, self.tr("customers.filter.mine", operator=clean(app.operator))),
        ):
            chip = self.query_one(chip_id, Chip)
            chip.update(Content(f"{'☑' if on_ else '☐'} {label}"))
            chip.set_class(on_, "-on")
        sort = self.tr("customers.sort_label", sort=self.tr(f"customers.sort.{query.sort}"))
        self.query_one("#sort", Chip).update(Content(f"⇅ {sort}"))

    def _show_count(self) -> None:
        table = self.table
        error = self._last_error is not None and not table.is_loading
        if error:
            text = self.tr("customers.load_error", error=self._last_error)
        elif table.is_loading and table.provider is not None and not table.row_count:
            text = self.tr("customers.searching")
        elif table.row_count == 0 and table.provider is not None and not table.is_loading:
            text = self.tr("customers.no_matches")
        else:
            count = table.row_count
            provider = table.provider
            if (isinstance(provider, CustomerRows) and provider.estimated is not None and provider.exact != count
                    and not table.is_loading):
                text = self.tr("customers.matches.about", count=f"{round(count, -2) or count:,}")
            else:
                form = "one" if count == 1 else "other"
                text = self.tr(f"customers.matches.{form}", count=f"{count:,}")
        if (text, error) != self._count_shown:  # a keystroke repaints the table, not the whole screen
            self._count_shown = (text, error)
            label = self.query_one("#customers-count", Static)
            label.set_class(error, "-error")
            label.update(text, layout=False)  # fixed size: no layout pass

    # ------------------------------------------------------------------------------ querying
    def _provider(self) -> CustomerRows:
        app: Any = self.app
        overdue_style = app.theme_variables.get("error", "")
        return CustomerRows(app.database, self._query, operator=app.operator, as_of=app.today(), lang=self.lang,
                            overdue_style=overdue_style, money_width=MONEY_WIDTH, url=app.url)

    def _run_query(self) -> None:
        """Hand the table a provider for the current query (it loads in its own workers)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._query = CustomerQuery(self.search.value, self._query.sort, self._query.only_overdue, self._query.mine)
        self._last_query_at = time.monotonic()
        self.queries_run += 1
        self.table.set_provider(self._provider())
        self._show_count()

    def _schedule_query(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        idle = time.monotonic() - self._last_query_at >= DEBOUNCE
        if idle and not self.table.is_loading:
            self._run_query()  # first key after a pause: no waiting
        else:
            self._debounce = self.set_timer(DEBOUNCE, self._run_query)

    @property
    def query_pending(self) -> bool:
        """A keystroke's query has not reached the screen yet."""
        return self._debounce is not None or self.table.is_loading

    @on(Input.Changed, "#customers-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._open_when_loaded = False
        self._release_held_keys()
        self._schedule_query()

    @property
    def holding_keys(self) -> bool:
        """Enter was pressed before the search's results arrived: the search box holds the keys
        that follow until the first match opens (see ``SearchBox``)."""
        return self._open_when_loaded

    def _release_held_keys(self) -> None:
        """Hand the held keys back to the app, in order: to the profile that just opened, or to the
        search box when nothing opened."""
        held, self.held_keys = self.held_keys, []
        for key in held:
            self.app.post_message(events.Key(key.key, key.character))

    @on(VirtualTable.Loaded)
    def _table_loaded(self, event: VirtualTable.Loaded) -> None:
        event.stop()
        if event.table is not self._table:
            return  # a table being replaced
        self.loaded_at = time.perf_counter()
        self._last_error = None
        self.app.customers_shown()  # type: ignore[attr-defined]
        if self._restore_cursor is not None:
            self.table.move_cursor(self._restore_cursor)
            self._restore_cursor = None
        self._show_count()
        if self._open_when_loaded and not self.query_pending:
            self._open_when_loaded = False
            self._open_highlighted()
            self._release_held_keys()
        provider = self.table.provider
        if isinstance(provider, CustomerRows) and provider.approximate:
            self._count_exactly(provider)

    @work(thread=True, exclusive=True, group="customers-exact-count", exit_on_error=False)
    def _count_exactly(self, provider: CustomerRows) -> None:
        """The rows are on screen with an estimated count: now count them exactly."""
        try:
            provider.count_exactly()
        except Exception:  # noqa: BLE001 - the estimate stays; a refresh (ctrl+r) counts again
            return
        self.app.call_from_thread(self._exact_count_ready, provider)

    def _exact_count_ready(self, provider: CustomerRows) -> None:
        if provider is self.table.provider and not self.table.is_loading:
            self.table.refresh_data()  # the exact count (cached) and the rows on screen

    @on(VirtualTable.LoadFailed)
    def _table_failed(self, event: VirtualTable.LoadFailed) -> None:
        event.stop()
        if event.table is not self._table:
            return
        from ..base import describe_error

        error = describe_error(event.error)
        self._open_when_loaded = False
        self._release_held_keys()
        app: Any = self.app
        opening_failed = app.database_error is not None  # the app has said so already
        if error != self._last_error and not opening_failed:  # once per distinct failure, not per key
            self.notify(self.tr("customers.load_error", error=error), title=self.tr("ui.error"),
                        severity="error", timeout=10)
        self._last_error = error
        self._show_count()

    def on_screen_resume(self) -> None:
        # Back from a profile or a form: balances may have changed.
        if self._started and self.table.provider is not None and not self.table.is_loading:
            self.reload()

    # ------------------------------------------------------------------------------ opening
    @on(Input.Submitted, "#customers-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box: the highlighted match (the first one unless the cursor moved)."""
        event.stop()
        self.search.submitting = False
        if self.query_pending:
            self._open_when_loaded = True  # Enter right after typing: the first match of what was typed
        else:
            self._open_highlighted()
            self._release_held_keys()

    @on(VirtualTable.RowSelected)
    def _row_selected(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        if event.table is not self._table:
            return
        self.open_customer(int(event.key))  # type: ignore[arg-type]

    def _open_highlighted(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.open_customer(int(key))  # type: ignore[arg-type]

    def open_customer(self, customer_id: int) -> None:
        from ..commands import open_customer

        open_customer(self.app, customer_id)

    def action_new_customer(self) -> None:
        from ..dialogs.customer_form import CustomerForm

        def created(customer_id: int | None) -> None:
            if customer_id is not None:
                self.reload()
                self.open_customer(customer_id)

        self.app.push_screen(CustomerForm(customer_id=None), created)

    # ------------------------------------------------------------------------------ actions
    def action_focus_search(self) -> None:
        self.search.focus()

    def action_clear_search(self) -> None:
        search = self.search
        if search.value:
            search.value = ""  # Input.Changed → a new query
        search.focus()

    def action_table(self, action: str) -> None:
        getattr(self.table, f"action_{action}")()

    def action_cycle_sort(self) -> None:
        sort = SORTS[(SORTS.index(self._query.sort) + 1) % len(SORTS)]
        self.set_sort(sort)

    def set_sort(self, sort: str) -> None:
        self._query = CustomerQuery(self._query.text, sort, self._query.only_overdue, self._query.mine)
        self._show_chips()
        self._run_query()

    def action_toggle_overdue(self) -> None:
        self._query = CustomerQuery(self._query.text, self._query.sort, not self._query.only_overdue, self._query.mine)
        self._show_chips()
        self._run_query()

    def action_toggle_mine(self) -> None:
        self._query = CustomerQuery(self._query.text, self._query.sort, self._query.only_overdue, not self._query.mine)
        self._show_chips()
        self._run_query()

    def action_refresh(self) -> None:
        self._last_error = None
        self.reload()
        self._show_count()

    def reload(self) -> None:
        """Read the count and the rows on screen again (same query, same highlighted row)."""
        provider = self.table.provider
        if isinstance(provider, CustomerRows):
            provider.forget_count()
        self.table.refresh_data()

    def palette_commands(self):  # type: ignore[no-untyped-def]
        yield "customers.cmd.new", "customers.cmd.new_help", self.action_new_customer
        for sort in SORTS:
            yield f"customers.cmd.sort_{sort}", "customers.cmd.sort_help", lambda sort=sort: self.set_sort(sort)
        yield "customers.cmd.only_overdue", "customers.cmd.filter_help", self.action_toggle_overdue
        yield "customers.cmd.mine", "customers.cmd.filter_help", self.action_toggle_mine
        yield "customers.cmd.refresh", "customers.cmd.refresh_help", self.action_refresh
