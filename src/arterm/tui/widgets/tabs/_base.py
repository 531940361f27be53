"""What every tab of the customer profile shares.

- ``Fmt``: translation and number/date formats for one language. Plain data, safe to use from a
  worker thread (providers format their rows in the thread that fetched them).
- ``ProfileTab``: a ``TabPane`` that builds its widgets and loads its data the first time it is
  shown, again when the screen asks (``reload``), and lazily when it went stale while hidden
  (``mark_stale``). It talks to the screen with messages (``Open`` a row's target, ``Changed``
  after saving something).
- ``ListTab``: a tab made of one ``ProfileTable`` (a paged ``VirtualTable``) fed by a
  ``QueryProvider``, a preview line for the highlighted row and a count / empty message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from sqlalchemy.engine import Connection
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.message import Message
from textual.widgets import Static, TabPane
from textual.worker import Worker, WorkerState

from arterm import i18n
from arterm.tui.base import clean
from arterm.tui.widgets.virtual_table import (
    Column,
    Row,
    VirtualTable,
    _fit_plain,
    sanitize_cell,
)

if TYPE_CHECKING:
    from arterm.tui.app import ArtermApp

__all__ = ["styled", "Fmt", "ListTab", "ProfileTab", "ProfileTable", "QueryProvider", "fmt_for", "report_worker_error", "theme_style"]


@dataclass(frozen=True)
class Fmt:
    """Text and formats in one language (thread safe: plain data)."""

    lang: str
    alert: Style = Style()  # overdue / late: the theme's error colour
    muted: Style = Style(dim=True)

    def tr(self, key: str, **kwargs: Any) -> str:
        return i18n.t(key, self.lang, **kwargs)

    def trn(self, key: str, n: int, **kwargs: Any) -> str:
        return i18n.tn(key, n, self.lang, **kwargs)

    def money(self, cents: int | None, currency: str = "MXN") -> str:
        return "" if cents is None else i18n.fmt_money(cents, currency, self.lang)

    def amount(self, cents: int | None) -> str:
        return "" if cents is None else i18n.fmt_amount(cents, self.lang)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return i18n.fmt_datetime(value.astimezone(), self.lang)
        return i18n.fmt_date(value, self.lang)

    def days(self, n: int) -> str:
        return self.trn("profile.days", n)

    def terms(self, days: int) -> str:
        return self.tr("profile.terms_cash") if days == 0 else self.days(days)

    def status(self, status: str, days_overdue: int = 0) -> Text:
        label = self.tr(f"status.{status}")
        if status == "overdue":
            return styled(f"{label} {days_overdue} d" if days_overdue else label, self.alert)
        if status == "cancelled":
            return styled(label, self.muted)
        return Text(label)


def styled(text: str, style: Style | str = "") -> Text:
    """A ``Text`` whose style is a span over all of it: ``VirtualTable`` draws spans but not a
    ``Text``'s base style."""
    out = Text(text)
    if style:
        out.stylize(style)
    return out


def theme_style(app: Any, variable: str, **extra: Any) -> Style:
    """A Rich style in the colour of a theme variable (``error``, ``success``...)."""
    try:
        return Style(color=Color.parse(app.theme_variables[variable]).rich_color, **extra)
    except Exception:  # noqa: BLE001 - unknown theme / variable: no colour rather than a crash
        return Style(**extra)


def report_worker_error(node: Any, event: Worker.StateChanged) -> None:
    """Show a failed worker of ``node`` the way the app shows its own (an error notification)."""
    if event.state == WorkerState.ERROR:
        event.stop()
        node.app.on_worker_state_changed(event)


def fmt_for(app: Any) -> Fmt:
    """A ``Fmt`` for the app's current language and theme (call on the event loop)."""
    return Fmt(app.lang, alert=theme_style(app, "error", bold=True), muted=Style(dim=True))


class ProfileTable(VirtualTable):
    """A ``VirtualTable`` whose Enter is labelled in the operator's language and whose headers
    can be relabelled when the language changes."""

    BINDINGS: ClassVar = [
        Binding("enter", "select_cursor", "profile.key.open", id="profile.open"),
    ]

    def relabel(self, labels: Sequence[str]) -> None:
        """New header texts (same columns, same widths)."""
        columns = tuple(dataclasses.replace(c, label=label) for c, label in zip(self._columns, labels, strict=True))
        self._columns = columns
        self._header_line = "".join(
            f" {_fit_plain(str(sanitize_cell(c.label)), c.width, c.align)} " for c in columns
        )
        self._strip_cache.clear()
        self.refresh()

    @property
    def header_labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self._columns)


class QueryProvider:
    """Rows of one profile list: ``count(session)`` and ``fetch(session, offset, limit, fmt)``,
    each run in a worker thread on a read connection of its own."""

    def __init__(
        self,
        app: ArtermApp,
        count: Callable[[Connection], int],
        fetch: Callable[[Connection, int, int, Fmt, date], Sequence[Row]],
        fmt: Fmt,
    ) -> None:
        self._app = app
        self._count = count
        self._fetch = fetch
        self.fmt = fmt
        self.today = app.today()

    def count(self) -> int:
        with self._app.database().read() as session:
            return self._count(session)

    def fetch(self, offset: int, limit: int) -> Sequence[Row]:
        with self._app.database().read() as session:
            return self._fetch(session, offset, limit, self.fmt, self.today)


class ProfileTab(TabPane):
    """A tab of the customer profile."""

    TAB_ID: ClassVar[str] = ""
    TITLE_KEY: ClassVar[str] = ""
    NUMBER: ClassVar[int] = 0

    @dataclass
    class Open(Message):
        """Open what a row stands for: ``target`` is document | payment | contract."""

        target: str
        item_id: int

    class Changed(Message):
        """Something was saved from inside the tab: the profile should reload."""

    def __init__(self, customer_id: int, title: str, *, build_now: bool = False) -> None:
        super().__init__(title, id=self.TAB_ID)
        self.customer_id = customer_id
        self.loaded = False
        self.stale = False
        # A hidden tab has no widgets: they are built the first time it is shown. Opening a profile
        # then mounts, styles and lays out the visible tab only (~70 widgets fewer for Textual to
        # restyle on every open). ``ready``: the widgets exist; ``when_ready`` defers until then.
        self.ready = build_now
        self._wanted = build_now
        self._after_build: list[Callable[[], Any]] = []
        self._built_lang = ""

    def compose(self) -> ComposeResult:
        if self._wanted:
            self._built_lang = self.app.lang
            yield from self.compose_content()

    def compose_content(self) -> ComposeResult:
        """The tab's widgets (composed when the tab is first shown)."""
        yield from ()

    def when_ready(self, callback: Callable[[], Any]) -> None:
        """Call now if the tab's widgets exist, else once they are built (building them)."""
        if self.ready:
            callback()
            return
        self._after_build.append(callback)
        if not self._wanted:
            self._wanted = True
            self.run_worker(self._build(), group=f"build-{self.TAB_ID}", exit_on_error=False)

    async def _build(self) -> None:
        await self.recompose()
        if not self.is_attached:  # the profile was closed meanwhile
            return
        self.ready = True
        if self._built_lang != self.app.lang:  # the language changed while the widgets were built
            self.apply_language()
        callbacks, self._after_build = self._after_build, []
        for callback in callbacks:
            callback()

    # -- text ---------------------------------------------------------------------------------
    @property
    def fmt(self) -> Fmt:
        return fmt_for(self.app)

    def tr(self, key: str, **kwargs: Any) -> str:
        return i18n.t(key, self.app.lang, **kwargs)

    @classmethod
    def title_for(cls, lang: str) -> str:
        return f"{cls.NUMBER} {i18n.t(cls.TITLE_KEY, lang)}"

    # -- loading ------------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """Load when shown for the first time or when the data changed while it was hidden."""
        if not self.ready:
            self.when_ready(self.ensure_loaded)
        elif not self.loaded or self.stale:
            self.reload()

    def reload(self) -> None:
        if not self.ready:
            self.when_ready(self.reload)
            return
        self.loaded = True
        self.stale = False
        self.load()

    def mark_stale(self) -> None:
        self.stale = True

    async def forget(self) -> None:
        """Forget the customer shown: the profile screen is kept for the next customer.

        The widgets go (with whatever they showed, the cursor, a half-typed value) and are built
        again, for the next customer, the first time the tab is shown. Subclasses that keep the
        widgets (the first tab) clear what they show instead."""
        self.workers.cancel_node(self)  # a tab being built, a page being read: their results are dropped
        self.loaded = self.stale = False
        self._after_build = []
        self.ready = self._wanted = False
        await self.remove_children()

    def load(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- hooks for the screen -----------------------------------------------------------------
    def apply_language(self) -> None:
        """Relabel (the screen retitles the tab itself; only called once the tab is ``ready``)."""

    def focus_main(self) -> None:
        """Focus the tab's main widget."""

    def selected_document(self) -> int | None:
        """The document under the cursor (tabs that list documents)."""
        return None

    def selected_cancelled(self) -> bool:
        """The document under the cursor is cancelled (nothing to cancel there)."""
        return False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand errors of this tab's workers to the app's handler.
        report_worker_error(self, event)


class ListTab(ProfileTab):
    """One paged table (plus a preview of the highlighted row and a row count)."""

    # (key, header translation key, width, align)
    COLUMNS: ClassVar[tuple[tuple[str, str, int, str], ...]] = ()
    EMPTY_KEY: ClassVar[str] = "ui.no_results"

    _restore_cursor: int | None = None  # cursor row to put back once a relabelled table reloads

    def compose_content(self) -> ComposeResult:
        fmt = self.fmt
        yield ProfileTable(
            [Column(key, fmt.tr(label), width, align) for key, label, width, align in self.COLUMNS],  # type: ignore[arg-type]
            id=f"{self.TAB_ID}-table",
            page_size=100,
        )
        yield Static("", id=f"{self.TAB_ID}-preview", classes="profile-preview")
        yield Static("", id=f"{self.TAB_ID}-count", classes="profile-count")

    @property
    def table(self) -> ProfileTable:
        return self.query_one(ProfileTable)

    @property
    def preview(self) -> Static:
        return self.query_one(f"#{self.TAB_ID}-preview", Static)

    def make_provider(self) -> QueryProvider:  # pragma: no cover - abstract
        raise NotImplementedError

    def load(self) -> None:
        table = self.table
        if table.provider is None:
            table.set_provider(self.make_provider())
        else:
            table.refresh_data()

    def apply_language(self) -> None:
        fmt = self.fmt
        self.table.relabel([fmt.tr(label) for _, label, _, _ in self.COLUMNS])
        if self.loaded:
            # New provider: same queries, rows formatted in the new language (cursor kept).
            cursor = self.table.cursor_row
            self.table.set_provider(self.make_provider())
            self._restore_cursor = cursor
        self._show_count(self.table.row_count)

    def focus_main(self) -> None:
        self.table.focus()

    # -- rows ---------------------------------------------------------------------------------
    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        """The preview of the highlighted row (full texts that the columns cut)."""
        return None

    def target(self, key: Hashable) -> tuple[str, int] | None:
        """What Enter opens for a row: (document | payment | contract, id)."""
        return None

    def _show_count(self, count: int) -> None:
        counter = self.query_one(f"#{self.TAB_ID}-count", Static)
        counter.update(self.count_text(count) if self.loaded else "")
        self.set_class(self.loaded and count == 0, "-empty")

    def count_text(self, count: int) -> str:
        """The line under the table: how many rows, or what an empty list means."""
        return self.tr(self.EMPTY_KEY) if count == 0 else self.tr("profile.rows", n=count)

    @on(VirtualTable.Loaded)
    def _on_loaded(self, event: VirtualTable.Loaded) -> None:
        event.stop()
        self._show_count(event.count)
        if self._restore_cursor is not None:
            self.table.move_cursor(self._restore_cursor)
            self._restore_cursor = None
        key = self.table.cursor_key
        described = self.describe(key, self.fmt) if key is not None and event.count else None
        self.preview.update(described if described is not None else "")

    @on(VirtualTable.RowHighlighted)
    def _on_highlighted(self, event: VirtualTable.RowHighlighted) -> None:
        event.stop()
        described = self.describe(event.key, self.fmt)
        self.preview.update(described if described is not None else "")
        self.screen.refresh_bindings()  # keys that depend on the row (x: not on a cancelled one)

    @on(VirtualTable.RowSelected)
    def _on_selected(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        target = self.target(event.key)
        if target is not None:
            self.post_message(self.Open(*target))

    @on(VirtualTable.LoadFailed)
    def _on_failed(self, event: VirtualTable.LoadFailed) -> None:
        event.stop()
        self.notify(clean(event.error), title=self.tr("ui.error"), severity="error", timeout=10)

    def cursor_key(self) -> Hashable | None:
        return self.table.cursor_key
