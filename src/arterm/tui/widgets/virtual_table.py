"""A virtual table: shows a window of a very large, SQL-backed result set.

`DataTable` keeps every row in memory and takes ~11 s to load 100k rows. `VirtualTable` never holds
more than a few pages: it is a Line API widget (`ScrollView` + `render_line`) whose virtual height
is the number of matching rows, and it asks a *provider* for the pages it is about to draw.

The provider is any object with two (possibly slow, blocking) methods::

    class CustomerRows:
        def count(self) -> int: ...
        def fetch(self, offset: int, limit: int) -> list[tuple[object, Sequence[str | Text]]]: ...

The widget only ever calls them from thread workers, never on the event loop. A worker hands its
result back with `post_message` (thread safe and non-blocking) and the widget applies it on the
event loop; every result carries the *generation* it was requested for, so results that belong to a
provider that has since been replaced are dropped.

Cell values are untrusted text (customer names come from CFDI files and user input): they are shown
with `rich.text.Text`, never parsed as markup, and control characters / terminal escape sequences
are removed before anything reaches the screen.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import count as _counter
from typing import TYPE_CHECKING, ClassVar, Literal, NamedTuple, Protocol, runtime_checkable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from textual import events, on
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...domain.text import _NEEDS_CLEANING, _UNSAFE, _replacement, printable

if TYPE_CHECKING:
    from textual.geometry import Region

__all__ = ["Column", "Row", "RowProvider", "VirtualTable", "sanitize_cell"]

CellValue = str | Text
Row = tuple[Hashable, Sequence[CellValue]]
"""A row as returned by a provider: `(row_key, cell_values)`."""


@runtime_checkable
class RowProvider(Protocol):
    """Where a `VirtualTable` gets its rows.

    Both methods may block (they usually run SQL) and are always called from a worker thread,
    possibly from two threads at once (a page fetch can overlap a count): open a connection or
    session per call, or otherwise make them thread safe.
    """

    def count(self) -> int:
        """Return the total number of rows."""
        ...

    def fetch(self, offset: int, limit: int) -> Sequence[Row]:
        """Return up to `limit` rows starting at `offset`, in a stable order."""
        ...


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a `VirtualTable`.

    Attributes:
        key: Identifier of the column (unique within a table).
        label: Header text, shown literally (never parsed as markup).
        width: Width of the cell content in terminal cells (one space of padding is added on
            each side).
        align: `"right"` for numbers and money, `"left"` for everything else.
    """

    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"column {self.key!r}: width must be at least 1")
        if self.align not in ("left", "right"):
            raise ValueError(f"column {self.key!r}: align must be 'left' or 'right'")


# --------------------------------------------------------------------------------------------------
# Untrusted text
# --------------------------------------------------------------------------------------------------

def sanitize_cell(value: object) -> CellValue:
    """Make an untrusted cell value safe to draw.

    Terminal escape sequences and bidi overrides are removed, tabs and line breaks become a space
    and other control characters become U+FFFD. Strings stay strings (they are later drawn as
    plain text, never as markup); `Text` keeps its styles. Anything else is converted with `str`.
    """
    if isinstance(value, Text):
        plain = value.plain
        if not _NEEDS_CLEANING.search(plain):
            return value
        cleaned = Text(style=value.style, end="")
        position = 0
        for match in _UNSAFE.finditer(plain):
            if match.start() > position:
                cleaned.append_text(value[position : match.start()])
            if replacement := _replacement(match):
                cleaned.append(replacement)
            position = match.end()
        cleaned.append_text(value[position:])
        return cleaned
    return printable("" if value is None else value if isinstance(value, str) else str(value))


def _fit_plain(value: str, width: int, align: str) -> str:
    """Truncate (with an ellipsis) or pad a sanitized string to exactly `width` cells."""
    length = cell_len(value)
    if length > width:
        # set_cell_size pads with a space when it has to split a double-width character.
        value = set_cell_size(value, width - 1) + "…"
        length = width
    padding = " " * (width - length)
    return padding + value if align == "right" else value + padding


def _fit_text(value: Text, width: int, align: str) -> Text:
    """Truncate (with an ellipsis) or pad a sanitized `Text` to exactly `width` cells."""
    text = value.copy()
    text.end = ""
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    missing = width - text.cell_len
    if missing > 0:
        if align == "right":
            text.pad_left(missing)
        else:
            text.pad_right(missing)
    return text


class _PreparedRow(NamedTuple):
    """A fetched row, made safe and fitted to the columns (done in the worker thread)."""

    key: Hashable
    values: tuple[object, ...]
    """The values exactly as the provider returned them."""
    line: str | None
    """The whole padded line when every cell is a plain string (the fast path)."""
    cells: tuple[CellValue, ...]
    """Fitted cells, used when at least one cell is a `Text`."""


# --------------------------------------------------------------------------------------------------
# Private messages from worker threads
# --------------------------------------------------------------------------------------------------


class _DataLoaded(Message, bubble=False):
    """Count and first pages for a new provider (or a refresh) are ready."""

    def __init__(
        self,
        generation: int,
        provider: RowProvider | None,
        count: int,
        pages: dict[int, list[_PreparedRow]],
        keep_cursor: bool,
        partial: frozenset[int] = frozenset(),
    ) -> None:
        super().__init__()
        self.generation = generation
        self.provider = provider
        self.count = count
        self.pages = pages
        self.keep_cursor = keep_cursor
        self.partial = partial


class _PageLoaded(Message, bubble=False):
    """One page of rows is ready."""

    def __init__(self, generation: int, page: int, rows: list[_PreparedRow]) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.rows = rows


class _LoadError(Message, bubble=False):
    """The provider raised."""

    def __init__(self, generation: int, page: int | None, error: Exception) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.error = error


_instance_ids = _counter(1)

_NO_HIGHLIGHT = object()

FIRST_LOAD_EXTRA = 5
"""Rows loaded beyond the bottom of the screen before a new provider's first paint."""
COMPLETE_AFTER = 0.05
"""Seconds after that paint when the rest of its page is fetched."""


@dataclass
class _TableMessage(Message):
    """Base of the table's messages: ``table`` is the sender and the message's ``control``."""

    table: VirtualTable

    @property
    def control(self) -> VirtualTable:
        return self.table


class VirtualTable(ScrollView, can_focus=True):
    """A read-only table over a row provider, for result sets of any size.

    Only the rows on screen (plus a page or so either side) are ever fetched. Call
    `set_provider` with a new provider whenever the query changes (e.g. on every debounced
    keystroke of a search box); the old rows stay on screen until the new count and first page
    arrive, and then both are swapped in at once.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "cursor_up",
            "Up",
            show=False,
            tooltip="Previous row",
            id="virtual_table.cursor_up",
        ),
        Binding(
            "down",
            "cursor_down",
            "Down",
            show=False,
            tooltip="Next row",
            id="virtual_table.cursor_down",
        ),
        Binding(
            "pageup",
            "page_up",
            "Page up",
            show=False,
            tooltip="One screen up",
            id="virtual_table.page_up",
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            tooltip="One screen down",
            id="virtual_table.page_down",
        ),
        Binding(
            "home,ctrl+home",
            "first_row",
            "First",
            show=False,
            tooltip="First row",
            id="virtual_table.first_row",
        ),
        Binding(
            "end,ctrl+end",
            "last_row",
            "Last",
            show=False,
            tooltip="Last row",
            id="virtual_table.last_row",
        ),
        Binding(
            "enter",
            "select_cursor",
            "Open",
            tooltip="Open the highlighted row",
            id="virtual_table.select",
        ),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | up / down | Move the cursor one row. |
    | pageup / pagedown | Move the cursor (and the view) one screen. |
    | home / end | First / last row. |
    | enter | Select the row under the cursor (posts `RowSelected`). |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--placeholder",
    }
    """
    | Class | Description |
    | :- | :- |
    | `virtual-table--header` | The sticky header line. |
    | `virtual-table--cursor` | The row under the cursor. |
    | `virtual-table--placeholder` | Rows whose page has not arrived yet. |
    """

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .virtual-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .virtual-table--placeholder {
            color: $text-muted;
            text-style: dim;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    # ------------------------------------------------------------------ messages

    @dataclass
    class RowHighlighted(_TableMessage):
        """The cursor moved to another row (posted once the row's data is loaded)."""

        key: Hashable
        index: int

    @dataclass
    class RowSelected(_TableMessage):
        """A row was chosen with Enter or a mouse click."""

        key: Hashable
        index: int

    @dataclass
    class Loaded(_TableMessage):
        """A provider's count and first page are on screen (`set_provider` / `refresh_data`)."""

        count: int

    @dataclass
    class LoadFailed(_TableMessage):
        """The provider raised; the previous rows stay on screen."""

        error: Exception

    # Textual declares ``virtual_size`` with ``layout=True`` on every widget: a new row count laid
    # out and redrew the whole screen (~10 ms of every keystroke at 100k customers), although the
    # table's own size does not depend on it. Only its scrollbars do: ``_scroll_update`` (what the
    # layout pass would call) resizes them, and a scrollbar that appears or goes away still asks
    # for a layout itself (``show_vertical_scrollbar`` is a layout reactive). (The search box does
    # the same: ``screens.customers.SearchBox``. A shared mixin would change Textual's CSS bases.)
    virtual_size = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self) -> None:
        self._scrollbar_changes.clear()
        self._scroll_update(self.virtual_size)

    # ------------------------------------------------------------------ construction

    def __init__(
        self,
        columns: Sequence[Column],
        provider: RowProvider | None = None,
        *,
        page_size: int = 200,
        cache_pages: int = 20,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """
        Args:
            columns: The columns, left to right.
            provider: Initial row provider (loaded when the widget is mounted).
            page_size: Rows fetched per query.
            cache_pages: Pages kept in memory (least recently used pages are dropped).
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if not columns:
            raise ValueError("a VirtualTable needs at least one column")
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate column keys: {keys}")
        if page_size < 1 or cache_pages < 2:
            raise ValueError("page_size must be >= 1 and cache_pages >= 2")
        self._columns: tuple[Column, ...] = tuple(columns)
        self._page_size = page_size
        self._cache_pages = cache_pages
        self._total_width = sum(column.width + 2 for column in self._columns)
        self._header_line = "".join(
            f" {_fit_plain(str(sanitize_cell(column.label)), column.width, column.align)} "
            for column in self._columns
        )
        self._placeholder_line = "".join(
            f" {_fit_plain('…', column.width, column.align)} " for column in self._columns
        )
        self._group = f"virtual-table-{next(_instance_ids)}"

        self._provider: RowProvider | None = provider
        # Two generations: the latest load requested (set_provider / refresh_data) and the one
        # whose rows are on screen. Until a load lands, the old rows stay and can still page.
        self._generation = 0
        self._shown_generation = 0
        self._shown_provider: RowProvider | None = None
        self._row_count = 0
        self._cursor_row = 0
        self._loading = False
        self._pages: OrderedDict[int, list[_PreparedRow]] = OrderedDict()
        self._in_flight: set[int] = set()
        self._failed_pages: set[int] = set()
        # Pages loaded only up to the end of the screen (a new provider's first load): completed
        # shortly after they are painted.
        self._partial: set[int] = set()
        self._highlighted: object = _NO_HIGHLIGHT
        self._window_check_scheduled = False
        self._started = False  # set in on_mount; loads requested before that start there

        self._strip_cache: LRUCache[tuple[int, bool, int], Strip] = LRUCache(1024)
        self._render_state: tuple[object, ...] = ()
        self._frame: tuple[Style, int] | None = None

    # ------------------------------------------------------------------ public API

    @property
    def columns(self) -> tuple[Column, ...]:
        """The table's columns."""
        return self._columns

    @property
    def provider(self) -> RowProvider | None:
        """The provider set last (its rows may still be loading: see `is_loading`)."""
        return self._provider

    @property
    def row_count(self) -> int:
        """Number of rows of the data on screen (the shown provider's `count()`)."""
        return self._row_count

    @property
    def cursor_row(self) -> int:
        """Index of the row under the cursor."""
        return self._cursor_row

    @property
    def cursor_key(self) -> Hashable | None:
        """Key of the row under the cursor, or `None` if there is none or it is not loaded yet."""
        row = self._peek_row(self._cursor_row)
        return None if row is None else row.key

    @property
    def is_loading(self) -> bool:
        """True while a new provider (or a refresh) is being loaded."""
        return self._loading

    @property
    def pages_pending(self) -> bool:
        """True while pages are being fetched or a first page is still to be completed."""
        return bool(self._in_flight or (self._partial - self._failed_pages))

    def get_cached_row(self, index: int) -> Row | None:
        """The row at `index` (key and values as the provider returned them) if it is loaded."""
        row = self._peek_row(index)
        return None if row is None else (row.key, row.values)

    def set_provider(self, provider: RowProvider | None) -> None:
        """Show the rows of another provider; the cursor goes back to the first row.

        Returns at once. The current rows stay on screen (and can still be scrolled) until the
        new count and first page arrive together; results still on their way for any earlier
        provider are discarded. `None` empties the table.
        """
        self._provider = provider
        self._start_load(keep_cursor=False)

    def refresh_data(self) -> None:
        """Fetch the count and the visible rows again from the same provider, keeping the cursor."""
        self._start_load(keep_cursor=True)

    def move_cursor(self, index: int, *, scroll: bool = True) -> None:
        """Move the cursor to the row at `index` (clamped to the rows available)."""
        index = max(0, min(index, self._row_count - 1))
        previous = self._cursor_row
        self._cursor_row = index
        if previous != index:
            self._refresh_row(previous)
            self._refresh_row(index)
        if scroll:
            self._scroll_cursor_into_view()
        self._check_highlight()

    # ------------------------------------------------------------------ loading

    def on_mount(self) -> None:
        # (ScrollView.on_mount runs too: Textual calls the handler of every class in the MRO.)
        self._started = True
        self.virtual_size = Size(self._total_width, 1)
        if self._provider is not None:
            self._start_load(keep_cursor=False)

    def on_unmount(self) -> None:
        self._started = False
        self._generation += 1  # anything still in flight is now stale
        self._shown_generation = -1

    @property
    def _visible_rows(self) -> int:
        """Data rows that fit on screen (the header takes one line)."""
        return max(0, self.scrollable_content_region.height - 1)

    def _start_load(self, *, keep_cursor: bool) -> None:
        self._generation += 1
        if not self._started:
            return  # on_mount starts it
        provider = self._provider
        if provider is None:
            self._apply(_DataLoaded(self._generation, None, 0, {}, keep_cursor))
            return
        self._loading = True
        top = self.scroll_offset.y if keep_cursor else 0
        self.run_worker(
            partial(
                self._load_in_thread,
                self._generation,
                provider,
                top,
                self._visible_rows,  # 0: not laid out yet
                keep_cursor,
            ),
            name="count + first page",
            group=f"{self._group}-load",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _load_in_thread(
        self, generation: int, provider: RowProvider, top: int, visible: int, keep_cursor: bool
    ) -> None:
        """Worker thread: count, then fetch the page(s) that will be on screen."""
        try:
            total = max(0, int(provider.count()))
            if generation != self._generation:
                return  # superseded while counting: skip the fetch
            size = self._page_size
            # Only the rows the screen shows (and a few more) before the first paint; the rest of
            # the page is fetched right after (a keystroke's query: 100 rows -> ~40). Whole pages
            # when the table has no height yet (its first load, at mount).
            end = top + visible + FIRST_LOAD_EXTRA if visible else None
            visible = max(1, visible)
            top = max(0, min(top, total - visible))
            pages: dict[int, list[_PreparedRow]] = {}
            partial: set[int] = set()
            if total:
                end = min(total, end or (top + visible - 1) // size * size + size)
                for page in range(top // size, (min(total, top + visible) - 1) // size + 1):
                    start = page * size
                    limit = min(size, end - start)
                    pages[page] = self._prepare(provider.fetch(start, limit))
                    if limit < size and start + len(pages[page]) < total:
                        partial.add(page)
            message: Message = _DataLoaded(generation, provider, total, pages, keep_cursor, frozenset(partial))
        except Exception as error:  # noqa: BLE001 - reported to the app as LoadFailed
            message = _LoadError(generation, None, error)
        self._post_from_thread(message)

    def _page_in_thread(self, generation: int, provider: RowProvider, page: int) -> None:
        """Worker thread: fetch one page."""
        try:
            if generation != self._shown_generation:
                return  # those rows are no longer on screen
            size = self._page_size
            message: Message = _PageLoaded(
                generation, page, self._prepare(provider.fetch(page * size, size))
            )
        except Exception as error:  # noqa: BLE001
            message = _LoadError(generation, page, error)
        self._post_from_thread(message)

    def _post_from_thread(self, message: Message) -> None:
        try:
            self.post_message(message)
        except RuntimeError:
            pass  # the app's loop is gone (shutting down): nothing left to update

    def _prepare(self, rows: Sequence[Row]) -> list[_PreparedRow]:
        """Sanitize and fit rows to the columns (runs in the worker thread)."""
        columns = self._columns
        prepared: list[_PreparedRow] = []
        for key, values in rows:
            values = tuple(values)
            cells: list[CellValue] = []
            plain = True
            for position, column in enumerate(columns):
                value = sanitize_cell(values[position]) if position < len(values) else ""
                if isinstance(value, Text):
                    plain = False
                    cells.append(_fit_text(value, column.width, column.align))
                else:
                    cells.append(_fit_plain(value, column.width, column.align))
            line = "".join(f" {cell} " for cell in cells) if plain else None
            prepared.append(_PreparedRow(key, values, line, tuple(cells)))
        return prepared

    @on(_DataLoaded)
    def _on_data_loaded(self, message: _DataLoaded) -> None:
        message.stop()
        if message.generation == self._generation:
            self._apply(message)

    def _apply(self, message: _DataLoaded) -> None:
        """Swap in a new count and first page(s) in one go (on the event loop)."""
        self._loading = False
        self._shown_generation = message.generation
        self._shown_provider = message.provider
        self._failed_pages.clear()
        self._row_count = message.count
        self._pages.clear()
        self._pages.update(sorted(message.pages.items()))
        self._partial = set(message.partial)
        self._in_flight.clear()
        self._strip_cache.clear()
        self.virtual_size = Size(self._total_width, message.count + 1)
        if message.keep_cursor:
            self._cursor_row = max(0, min(self._cursor_row, message.count - 1))
            self._scroll_cursor_into_view()
        else:
            self._cursor_row = 0
            self.scroll_to(y=0, animate=False, force=True)
        self.refresh()
        self._ensure_window(complete=False)
        if self._partial:  # once this frame is out
            self.set_timer(COMPLETE_AFTER, self._ensure_window)
        self.post_message(self.Loaded(self, message.count))
        self._check_highlight()

    @on(_PageLoaded)
    def _on_page_loaded(self, message: _PageLoaded) -> None:
        message.stop()
        if message.generation != self._shown_generation:
            return
        page = message.page
        self._in_flight.discard(page)
        self._pages[page] = message.rows
        self._partial.discard(page)
        self._pages.move_to_end(page)
        self._evict_pages()
        first = page * self._page_size
        last = first + self._page_size
        for cache_key in list(self._strip_cache.keys()):
            if first <= cache_key[0] < last:
                self._strip_cache.discard(cache_key)
        top = self.scroll_offset.y
        if first < top + self._visible_rows and last > top:
            self.refresh()
        if first <= self._cursor_row < last:
            self._check_highlight()

    @on(_LoadError)
    def _on_load_error(self, message: _LoadError) -> None:
        message.stop()
        if message.page is None:
            if message.generation != self._generation:
                return
            self._loading = False  # the previous rows stay on screen
        else:
            if message.generation != self._shown_generation:
                return
            self._in_flight.discard(message.page)
            self._failed_pages.add(message.page)  # retried by refresh_data / set_provider
        self.post_message(self.LoadFailed(self, message.error))

    def _evict_pages(self) -> None:
        size = self._page_size
        needed = (self._visible_rows + 2 * self._prefetch_margin) // size + 2
        while len(self._pages) > max(self._cache_pages, needed):
            page, _ = self._pages.popitem(last=False)
            self._partial.discard(page)

    @property
    def _prefetch_margin(self) -> int:
        """Rows beyond each edge of the screen that should already be loaded."""
        return max(2 * self._visible_rows, self._page_size // 4)

    def _ensure_window(self, *, complete: bool = True) -> None:
        """Request the pages on screen first, then those within the prefetch margin (and the rest
        of partly loaded pages, unless ``complete`` is false)."""
        self._window_check_scheduled = False
        if self._shown_provider is None or not self._row_count or not self._started:
            return
        size = self._page_size
        top = self.scroll_offset.y
        visible = max(1, self._visible_rows)
        last_row = self._row_count - 1
        on_screen = range(top // size, min(last_row, top + visible - 1) // size + 1)
        margin = self._prefetch_margin
        nearby = range(
            max(0, top - margin) // size, min(last_row, top + visible - 1 + margin) // size + 1
        )
        for page in (*on_screen, *nearby):
            self._request_page(page, complete=complete)
        if complete:
            for page in list(self._partial):  # scrolled away since: complete them all the same
                self._request_page(page)

    def _request_page(self, page: int, *, complete: bool = True) -> None:
        loaded = page in self._pages and not (complete and page in self._partial)
        if loaded or page in self._in_flight or page in self._failed_pages:
            return
        provider = self._shown_provider
        if provider is None:
            return
        self._in_flight.add(page)
        self.run_worker(
            partial(self._page_in_thread, self._shown_generation, provider, page),
            name=f"page {page}",
            group=f"{self._group}-pages",
            thread=True,
            exit_on_error=False,
        )

    def _peek_row(self, index: int) -> _PreparedRow | None:
        if not 0 <= index < self._row_count:
            return None
        page, offset = divmod(index, self._page_size)
        rows = self._pages.get(page)
        if rows is None or offset >= len(rows):
            return None
        return rows[offset]

    # ------------------------------------------------------------------ cursor and keys

    def _check_highlight(self) -> None:
        """Post `RowHighlighted` when the cursor's row (index and key) changed and is loaded."""
        if not self._row_count:
            self._highlighted = _NO_HIGHLIGHT
            return
        row = self._peek_row(self._cursor_row)
        if row is None:
            return  # posted when its page arrives
        state = (self._cursor_row, row.key)
        if state != self._highlighted:
            self._highlighted = state
            self.post_message(self.RowHighlighted(self, row.key, self._cursor_row))

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # virtual line = row index + 1 (the header)

    def _scroll_cursor_into_view(self) -> None:
        visible = self._visible_rows
        if not visible:
            return
        top = round(self.scroll_y)
        cursor = self._cursor_row
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, force=True)
        elif cursor >= top + visible:
            self.scroll_to(y=cursor - visible + 1, animate=False, force=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor_row + 1)

    def action_page_down(self) -> None:
        page = max(1, self._visible_rows)
        self.scroll_to(y=round(self.scroll_y) + page, animate=False, force=True)
        self.move_cursor(self._cursor_row + page)

    def action_page_up(self) -> None:
        page = max(1, self._visible_rows)
        self.scroll_to(y=max(0, round(self.scroll_y) - page), animate=False, force=True)
        self.move_cursor(self._cursor_row - page)

    def action_first_row(self) -> None:
        self.move_cursor(0)

    def action_last_row(self) -> None:
        self.move_cursor(self._row_count - 1)

    def action_select_cursor(self) -> None:
        row = self._peek_row(self._cursor_row)
        if row is not None:
            self.post_message(self.RowSelected(self, row.key, self._cursor_row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return  # border, scrollbar or header
        index = self.scroll_offset.y + offset.y - 1
        if index >= self._row_count:
            return
        event.stop()
        self.move_cursor(index)
        self.action_select_cursor()

    # ------------------------------------------------------------------ scrolling and sizing

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._ensure_window()

    def on_resize(self, event: events.Resize) -> None:
        self._strip_cache.clear()
        self._scroll_cursor_into_view()
        self._ensure_window()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip_cache.clear()

    # ------------------------------------------------------------------ rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        # Work out once per frame what every line needs (rich_style is not cheap).
        base_style = self.rich_style
        # Focus changes the cursor's colours; the theme changes everything.
        state = (self.get_pseudo_class_state(), base_style)
        if state != self._render_state:
            self._render_state = state
            self._strip_cache.clear()
        self._frame = (base_style, self.scrollable_content_region.width)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        base_style, width = self._frame or (self.rich_style, self.scrollable_content_region.width)
        scroll_x, scroll_y = self.scroll_offset
        full_width = max(self._total_width, width)
        if y == 0:
            strip = self._render_header(full_width, base_style)
        else:
            strip = self._render_row(scroll_y + y - 1, full_width, base_style)
        return strip.crop_extend(scroll_x, scroll_x + width, base_style)

    def _render_header(self, full_width: int, base_style: Style) -> Strip:
        cache_key = (-1, False, full_width)
        strip = self._strip_cache.get(cache_key)
        if strip is None:
            style = base_style + self.get_component_rich_style("virtual-table--header")
            strip = Strip([Segment(self._header_line, style)], self._total_width)
            strip = strip.extend_cell_length(full_width, style)
            self._strip_cache.set(cache_key, strip)
        return strip

    def _render_row(self, index: int, full_width: int, base_style: Style) -> Strip:
        if index >= self._row_count:
            return Strip.blank(full_width, base_style)
        is_cursor = index == self._cursor_row
        cache_key = (index, is_cursor, full_width)
        strip = self._strip_cache.get(cache_key)
        if strip is not None:
            return strip
        page, offset = divmod(index, self._page_size)
        rows = self._pages.get(page)
        if rows is None:
            self._schedule_window_check()
            style = base_style + self.get_component_rich_style("virtual-table--placeholder")
            if is_cursor:
                style += self.get_component_rich_style("virtual-table--cursor")
            strip = Strip([Segment(self._placeholder_line, style)], self._total_width)
            return strip.extend_cell_length(full_width, style)  # not cached: about to change
        self._pages.move_to_end(page)
        style = base_style
        if is_cursor:
            style = base_style + self.get_component_rich_style("virtual-table--cursor")
        if offset >= len(rows):  # the provider returned fewer rows than it counted
            strip = Strip.blank(full_width, style)
        else:
            row = rows[offset]
            if row.line is not None:
                strip = Strip([Segment(row.line, style)], self._total_width)
            else:
                strip = Strip(self._row_segments(row.cells, style), self._total_width)
            strip = strip.extend_cell_length(full_width, style)
        self._strip_cache.set(cache_key, strip)
        return strip

    def _row_segments(self, cells: Sequence[CellValue], style: Style) -> list[Segment]:
        console = self.app.console
        segments: list[Segment] = []
        pending = ""
        for cell in cells:
            if isinstance(cell, Text):
                segments.append(Segment(f"{pending} ", style))
                pending = " "
                segments.extend(Segment.apply_style(cell.render(console, end=""), style))
            else:
                pending += f" {cell} "
        if pending:
            segments.append(Segment(pending, style))
        return segments

    def _schedule_window_check(self) -> None:
        """A row on screen is missing: request pages after this frame (not while rendering)."""
        if not self._window_check_scheduled:
            self._window_check_scheduled = True
            self.call_later(self._ensure_window)
