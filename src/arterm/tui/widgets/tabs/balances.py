"""Balances tab (Saldos): payment terms edited in place, aging per currency, payments received and
the REPs still owed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from arterm import ledger
from arterm.domain.aging import buckets as aging_buckets
from arterm.domain.errors import DomainError
from arterm.queries import lists, profile
from arterm.queries.balances import Balance, customer_balances
from arterm.queries.customers import CustomerDetail, customer_detail
from arterm.tui.base import literal

from ..inputs import OrderedInput
from ._base import Fmt, ProfileTab

REP_LIMIT = 50
RECENT_LIMIT = 5
_TERMS = re.compile(r"\s*(\d{1,3})\s*", re.ASCII)


@dataclass(frozen=True)
class BalancesData:
    as_of: date
    limits: tuple[int, ...]
    detail: CustomerDetail
    balances: tuple[Balance, ...]
    received: tuple[profile.PaymentTotals, ...]
    recent: tuple[lists.PaymentRow, ...]
    rep: tuple[profile.RepPending, ...]
    rep_count: int


def read_balances(app: Any, customer_id: int) -> BalancesData:
    """Everything the tab shows, in one read (call from a worker thread). Raises ``NotFound``."""
    as_of = app.today()
    limits = tuple(app.settings.aging_buckets)
    with app.database().read() as s:
        detail = customer_detail(s, customer_id)
        balances = customer_balances(s, [customer_id], as_of=as_of, limits=limits, include_zero=True)
        received = profile.payment_summary(s, customer_id, as_of=as_of)
        recent = lists.list_payments(s, customer_id, limit=RECENT_LIMIT)
        rep = profile.rep_pending(s, customer_id, as_of=as_of, limit=REP_LIMIT)
        rep_count = profile.count_rep_pending(s, customer_id)
    return BalancesData(as_of, limits, detail, tuple(balances), received, tuple(recent), tuple(rep), rep_count)


def parse_terms(text: str) -> int | None:
    """Days typed by the operator, or None when it is not a whole number from 0 to 365."""
    match = _TERMS.fullmatch(text or "")
    if match is None:
        return None
    days = int(match.group(1))
    return days if days <= 365 else None


def bucket_label(key: str, fmt: Fmt) -> str:
    if key == "current":
        return fmt.tr("profile.total.current")
    if key.endswith("+"):
        return fmt.tr("profile.aging.over", n=key[:-1])
    lo, hi = key.split("-")
    return fmt.tr("profile.aging.range", lo=lo, hi=hi)


def rep_time_left(days_left: int, fmt: Fmt) -> Text:
    if days_left > 0:
        return Text(fmt.trn("profile.rep.left", days_left))
    if days_left == 0:
        return Text(fmt.tr("profile.rep.today"), style=fmt.alert)
    return Text(fmt.trn("profile.rep.late", -days_left), style=fmt.alert)


class TextGrid(Static):
    """A small read-only table drawn as one text: columns padded to their widest cell.

    The Balances tab's three summaries used ``DataTable``s, which render and cache every cell
    apart; redrawing them was the largest part of showing a profile again (bench/README-tui.md).
    ``header`` and ``rows`` keep the plain texts shown (what the tests read)."""

    DEFAULT_CSS = """
    TextGrid {
        height: auto;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    def show(self, columns: Sequence[tuple[str | Text, str, int]], rows: Sequence[Sequence[str | Text]]) -> None:
        """``columns``: (label, "left" | "right", max width or 0); ``rows``: one cell per column."""
        head = [_text(label) for label, _, _ in columns]
        body = [[_text(cell) for cell in row] for row in rows]
        self.header = tuple(t.plain for t in head)
        self.rows = tuple(tuple(t.plain for t in row) for row in body)
        self.update(grid_text(head, body, [(align, limit) for _, align, limit in columns]))

    def clear(self) -> None:
        self.header, self.rows = (), ()
        self.update("")


def _text(value: str | Text) -> Text:
    return value.copy() if isinstance(value, Text) else Text(value)


def grid_text(header: list[Text], rows: list[list[Text]], columns: Sequence[tuple[str, int]]) -> Text:
    """Header (bold) and rows, each cell padded by one space on each side, amounts aligned right."""
    lines = [header, *rows]
    widths = []
    for index, (_, limit) in enumerate(columns):
        width = max(line[index].cell_len for line in lines)
        widths.append(min(width, limit) if limit else width)
    out = Text(end="", no_wrap=True, overflow="ellipsis")
    for number, line in enumerate(lines):
        if number:
            out.append("\n")
        for cell, width, (align, _) in zip(line, widths, columns, strict=True):
            if cell.cell_len > width:
                cell.truncate(width, overflow="ellipsis")
            if number == 0:
                cell.stylize("bold")
            pad = " " * (width - cell.cell_len)
            out.append(" ")
            if align == "right":
                out.append(pad)
            out.append_text(cell)
            if align != "right":
                out.append(pad)
            out.append(" ")
    return out


def _fit_height(table: DataTable) -> None:
    """Give a table the height of its header and rows (its CSS max-height still caps it).

    With ``height: auto`` a DataTable takes its height from the size it measures on its next Idle
    event, and in the scrolling right-hand column that size was sometimes never laid out: CI
    caught the Balances tab with those tables zero lines high. An explicit height does not wait
    for that measurement."""
    table.styles.height = (1 if table.show_header else 0) + table.row_count if table.columns else 0


def _right(value: str, style: str | object = "") -> Text:
    return Text(value, style=style or "", justify="right")  # type: ignore[arg-type]


class TermsInput(OrderedInput):
    """Payment terms in days; Escape puts the saved value back instead of leaving the profile."""

    BINDINGS: ClassVar = [Binding("escape", "revert", "ui.cancel", id="profile.terms_revert")]

    saved_value = ""

    class Reverted(Message):
        """Escape: the typed value was dropped."""

    def action_revert(self) -> None:
        self.value = self.saved_value
        self.post_message(self.Reverted())
        self.screen.set_focus(None)


class BalancesTab(ProfileTab):
    TAB_ID = "balances"
    TITLE_KEY = "profile.tab.balances"
    NUMBER = 1

    data: BalancesData | None = None

    def compose_content(self) -> ComposeResult:
        with Horizontal(id="balances-columns"):
            with Vertical(id="balances-left"):
                with Horizontal(id="terms-row"):
                    yield Label("", id="terms-label")
                    yield TermsInput("", id="terms-input", max_length=12, select_on_focus=True)
                    yield Label("", id="terms-hint")
                yield Static("", id="terms-message")
                yield Static("", id="aging-title", classes="section-title")
                yield TextGrid(id="aging-table")
            with Vertical(id="balances-right"):
                yield Static("", id="received-title", classes="section-title")
                yield TextGrid(id="received-table")
                yield Static("", id="recent-title", classes="section-title")
                yield TextGrid(id="recent-table")
                yield Static("", id="rep-title", classes="section-title")
                yield DataTable(id="rep-table", cursor_type="row")
                yield Static("", id="rep-more", classes="muted")

    def on_mount(self) -> None:
        self.when_ready(self._set_up)

    def _set_up(self) -> None:
        self._relabel_static()

    # -- loading ------------------------------------------------------------------------------
    def load(self) -> None:
        self._load_data()

    @work(thread=True, exclusive=True, group="profile-balances", exit_on_error=False)
    def _load_data(self) -> None:
        app = self.app
        data = read_balances(app, self.customer_id)
        app.call_from_thread(self.show_data, data)

    def show_data(self, data: BalancesData) -> None:
        """Show what ``read_balances`` read (dropped when it is another customer's)."""
        if data.detail.id != self.customer_id:  # read for the customer this (kept) screen showed before
            return
        self.loaded, self.stale = True, False
        self.data = data
        self.query_one("#balances-columns").display = True
        terms = self.query_one(TermsInput)
        value = str(data.detail.payment_terms_days)
        if not terms.has_focus or terms.value == terms.saved_value:
            terms.value = value
        terms.saved_value = value
        self._render_data()

    async def forget(self) -> None:
        """Keep the widgets (the first tab is shown on every open), hide and forget what they show.

        A read still running is not cancelled: ``show_data`` drops data of another customer. A save of
        the terms still running completes (its message is dropped the same way)."""
        self.loaded = self.stale = False
        self.data = None
        if not self.ready:
            return
        self._message = ("", {}, False)
        self._render_message()
        terms = self.query_one(TermsInput)
        terms.saved_value = terms.value = ""
        for grid in self.query(TextGrid):
            grid.clear()
        self.query_one("#rep-table", DataTable).clear(columns=True)
        self.query_one("#balances-columns").display = False
        self.query_one("#balances-right").scroll_home(animate=False)

    # -- drawing ------------------------------------------------------------------------------
    def apply_language(self) -> None:
        self._relabel_static()
        self._render_data()
        self._render_message()

    def _relabel_static(self) -> None:
        fmt = self.fmt
        self.query_one("#terms-label", Label).update(fmt.tr("profile.terms") + ":")
        self.query_one("#terms-hint", Label).update(fmt.tr("profile.terms.hint"))
        self.query_one("#received-title", Static).update(fmt.tr("profile.received.title"))
        self.query_one("#recent-title", Static).update(fmt.tr("profile.recent.title"))

    def _render_data(self) -> None:
        data = self.data
        if data is None:
            return
        fmt = self.fmt
        self.query_one("#aging-title", Static).update(fmt.tr("profile.aging.title", date=fmt.day(data.as_of)))
        self._render_aging(data, fmt)
        self._render_received(data, fmt)
        self._render_recent(data, fmt)
        self._render_rep(data, fmt)
        _fit_height(self.query_one("#rep-table", DataTable))

    def _render_aging(self, data: BalancesData, fmt: Fmt) -> None:
        columns = [(fmt.tr("profile.aging.bucket"), "left", 0), *[(b.currency, "right", 0) for b in data.balances]]
        rows: list[list[str | Text]] = []
        for bucket in aging_buckets(data.limits):
            cells: list[str | Text] = [bucket_label(bucket.key, fmt)]
            for b in data.balances:
                cents = b.buckets.get(bucket.key, 0)
                cells.append(Text(fmt.money(cents, b.currency), style=fmt.alert if cents and bucket.lo > 0 else ""))
            rows.append(cells)
        rows.append([Text(fmt.tr("profile.total.overdue"), style="bold"),
                     *[Text(fmt.money(b.overdue, b.currency), style=fmt.alert if b.overdue else "bold")
                       for b in data.balances]])
        rows.append([Text(fmt.tr("profile.total.total"), style="bold"),
                     *[Text(fmt.money(b.total, b.currency), style="bold") for b in data.balances]])
        rows.append([fmt.tr("profile.total.credit"), *[fmt.money(b.credit, b.currency) for b in data.balances]])
        self.query_one("#aging-table", TextGrid).show(columns, rows)

    def _render_received(self, data: BalancesData, fmt: Fmt) -> None:
        grid = self.query_one("#received-table", TextGrid)
        title = self.query_one("#received-title", Static)
        if not data.received:
            grid.clear()
            grid.display = False
            title.update(f"{fmt.tr('profile.received.title')}: {fmt.tr('profile.received.none')}")
            return
        grid.display = True
        title.update(fmt.tr("profile.received.title"))
        several = len(data.received) > 1  # side by side: the short form "(3)" keeps them on screen

        def cell(cents: int, n: int, currency: str) -> str:
            if several:
                return fmt.tr("profile.received.short", amount=fmt.money(cents, currency), n=n)
            return fmt.trn("profile.received.count", n, amount=fmt.money(cents, currency))

        columns = [(fmt.tr("profile.received.period"), "left", 0), *[(t.currency, "right", 0) for t in data.received]]
        grid.show(columns, [
            [fmt.tr("profile.received.last30"), *[cell(t.last_30, t.count_30, t.currency) for t in data.received]],
            [fmt.tr("profile.received.last90"), *[cell(t.last_90, t.count_90, t.currency) for t in data.received]],
            [fmt.tr("profile.received.ytd"), *[cell(t.year_to_date, t.count_ytd, t.currency) for t in data.received]],
            [fmt.tr("profile.received.last"), *[fmt.day(t.last_paid_on) for t in data.received]],
        ])

    def _render_recent(self, data: BalancesData, fmt: Fmt) -> None:
        grid = self.query_one("#recent-table", TextGrid)
        title = self.query_one("#recent-title", Static)
        grid.display = bool(data.recent)
        title.display = bool(data.recent)
        columns = [(fmt.tr("profile.col.date"), "left", 0), (fmt.tr("profile.col.amount"), "right", 0),
                   (fmt.tr("profile.col.forma_pago"), "left", 20), (fmt.tr("profile.col.status"), "left", 0)]
        rows: list[list[str | Text]] = []
        for p in data.recent:
            muted = fmt.muted if p.status in ("cancelled", "rejected") else ""
            rows.append([
                fmt.day(p.paid_on),
                Text(fmt.money(p.amount, p.currency), style=muted),
                f"{p.forma_pago} {fmt.tr(f'forma_pago.{p.forma_pago}')}",
                Text(fmt.tr(f"status.{p.status}"), style=muted),
            ])
        grid.show(columns, rows)

    def _render_rep(self, data: BalancesData, fmt: Fmt) -> None:
        table = self.query_one("#rep-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        title = self.query_one("#rep-title", Static)
        more = self.query_one("#rep-more", Static)
        if not data.rep:
            table.display = False
            title.update(fmt.tr("profile.rep.none"))
            more.update("")
            return
        table.display = True
        title.update(fmt.tr("profile.rep.title", n=data.rep_count))
        table.add_column(fmt.tr("profile.col.paid_on"), key="paid_on")
        table.add_column(_right(fmt.tr("profile.col.amount")), key="amount")
        table.add_column(fmt.tr("profile.col.deadline"), key="deadline")
        table.add_column(fmt.tr("profile.col.days"), key="days")
        for r in data.rep:
            table.add_row(fmt.day(r.paid_on), _right(fmt.money(r.amount, r.currency)), fmt.day(r.deadline),
                          rep_time_left(r.days_left, fmt), key=str(r.payment_id))
        table.move_cursor(row=min(cursor, len(data.rep) - 1))
        extra = data.rep_count - len(data.rep)
        more.update(fmt.tr("profile.rep.more", n=extra) if extra > 0 else "")

    # -- actions ------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#rep-table")
    def _open_rep_payment(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Open("payment", int(event.row_key.value)))

    def focus_main(self) -> None:
        table = self.query_one("#rep-table", DataTable)
        if table.display:
            table.focus()

    def focus_terms(self) -> None:
        self.when_ready(lambda: self.query_one(TermsInput).focus())

    @on(TermsInput.Reverted)
    def _on_terms_reverted(self, event: TermsInput.Reverted) -> None:
        event.stop()
        self._terms_message("")

    @on(Input.Submitted, "#terms-input")
    def _on_terms_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save_terms(event.value)

    _message: tuple[str, dict[str, object], bool] = ("", {}, False)

    def _terms_message(self, key: str, *, error: bool = False, **kwargs: object) -> None:
        """Show a message under the terms field (kept as key + values: relabelled on a language switch)."""
        self._message = (key, kwargs, error)
        self._render_message()

    def _render_message(self) -> None:
        key, kwargs, error = self._message
        message = self.query_one("#terms-message", Static)
        if isinstance(kwargs.get("days"), int):
            kwargs = {**kwargs, "days": self.fmt.terms(kwargs["days"])}  # type: ignore[arg-type]
        message.update(literal(self.tr(key, **kwargs)) if key else "")
        message.set_class(error, "-error")
        message.set_class(not error and bool(key), "-ok")

    def save_terms(self, text: str) -> None:
        """Validate what was typed; save it in a worker when it is a valid change."""
        days = parse_terms(text)
        if days is None:
            self._terms_message("profile.terms.invalid", error=True)
            return
        data = self.data
        if data is not None and days == data.detail.payment_terms_days:
            self._terms_message("profile.terms.unchanged")
            return
        self._terms_message("profile.terms.saving")
        self.screen.set_focus(None)  # done typing: number and letter keys work the profile again
        self._save_terms(days, data.detail.version if data is not None else None, self.customer_id)

    @work(thread=True, exclusive=True, group="profile-terms", exit_on_error=False)
    def _save_terms(self, days: int, version: int | None, customer_id: int) -> None:
        app = self.app
        try:
            with app.database().write() as s:
                ledger.set_payment_terms(s, actor=app.operator, customer_id=customer_id, days=days,
                                         expected_version=version)
        except DomainError as exc:
            app.call_from_thread(self._terms_failed, str(exc), customer_id)
            return
        app.call_from_thread(self._terms_saved, days, customer_id)

    def _terms_failed(self, error: str, customer_id: int) -> None:
        if customer_id != self.customer_id:
            return
        self._terms_message("profile.terms.error", error=True, error_text=error)
        self.post_message(self.Changed())  # someone else may have changed the customer: show it

    def _terms_saved(self, days: int, customer_id: int) -> None:
        if customer_id != self.customer_id:  # saved; the (kept) screen shows another customer by now
            return
        terms = self.query_one(TermsInput)
        terms.saved_value = terms.value = str(days)
        self._terms_message("profile.terms.saved", days=days)
        self.post_message(self.Changed())
