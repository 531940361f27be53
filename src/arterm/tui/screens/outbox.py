"""The mail outbox: every email sent (or not yet) to customers, newest first, with a retry action.

Rows come from ``mail.outbox.list_outbox`` a page at a time (``VirtualTable``: the outbox grows
with every statement, it is never loaded whole). The highlighted message's full error and
recipients show below the table.

Keys: ``r`` retry what is pending (queued and failed: never accepted by a server, so no duplicate
is possible); ``f`` force-resend the highlighted *uncertain* message (its outcome is unknown: it may
arrive twice); ``m`` mark the highlighted uncertain message as sent (after checking with the
customer); ``ctrl+r`` refresh; ``escape`` back. Sending runs in a thread worker.

``palette_commands(app)`` (module level) yields the entry that opens this screen, for whoever
builds the app's command palette; the screen's own ``palette_commands()`` offers retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, Static

from ... import i18n
from ..base import BaseScreen, clean, literal
from ..widgets import Column, VirtualTable
from ..widgets.footer import ArtermFooter

if TYPE_CHECKING:
    from ...db.engine import Database
    from ...mail.outbox import DeliveryResult, OutboxRow

STATUS_STYLE = {"sent": "green", "queued": "yellow", "failed": "red", "uncertain": "magenta", "sending": "cyan",
              "replaced": "dim"}


class OutboxRows:
    """RowProvider over the outbox (one read transaction per call: safe from any worker thread)."""

    def __init__(self, db: Database, lang: str) -> None:
        self.db = db
        self.lang = lang
        self.rows: dict[int, OutboxRow] = {}

    def count(self) -> int:
        from ...mail.outbox import count_outbox

        with self.db.read() as s:
            return count_outbox(s)

    def fetch(self, offset: int, limit: int) -> Sequence[tuple[Any, Sequence[str | Text]]]:
        from ...mail.outbox import list_outbox

        with self.db.read() as s:
            rows = list_outbox(s, offset=offset, limit=limit)
        out = []
        for r in rows:
            self.rows[r.id] = r
            when = r.sent_at or r.created_at
            out.append((r.id, [
                str(r.id),
                Text(i18n.t(f"mail.status.{r.status}", self.lang), style=STATUS_STYLE.get(r.status, "")),
                Text(f"{r.customer_identifier} {r.customer_name}"),
                Text(", ".join(r.to)),
                str(r.attempts),
                i18n.fmt_datetime(when.astimezone(), self.lang),
                Text(r.last_error),
            ]))
        return out


class OutboxScreen(BaseScreen):
    DEFAULT_CSS = """
    OutboxScreen #outbox-title {
        text-style: bold;
        padding: 0 1;
    }
    OutboxScreen #outbox-count {
        color: $text-muted;
        padding: 0 1;
    }
    OutboxScreen #outbox-detail {
        height: auto;
        max-height: 8;
        padding: 0 1;
        border-top: solid $primary;
    }
    OutboxScreen #outbox-status {
        height: auto;
        padding: 0 1;
    }
    OutboxScreen #outbox-status.-error {
        color: $error;
    }
    """

    BINDINGS = [
        Binding("r", "retry", "key.mail_retry", id="outbox.retry"),
        Binding("f", "force", "key.mail_force", id="outbox.force"),
        Binding("m", "mark_sent", "key.mail_mark_sent", id="outbox.mark_sent"),
        Binding("ctrl+r", "refresh", "key.mail_refresh", id="outbox.refresh"),
        Binding("escape", "app.pop_screen", "key.back", id="outbox.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._provider: OutboxRows | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Label(self.tr("mail.outbox.title"), id="outbox-title")
        yield Label("", id="outbox-count")
        yield VirtualTable(self._columns(), id="outbox-table")
        yield Static("", id="outbox-detail")
        yield Static("", id="outbox-status")
        yield ArtermFooter()

    def _columns(self) -> list[Column]:
        return [
            Column("id", self.tr("mail.col.id"), 4, "right"),
            Column("status", self.tr("mail.col.status"), 10),
            Column("customer", self.tr("mail.col.customer"), 24),
            Column("to", self.tr("mail.col.to"), 24),
            Column("attempts", self.tr("mail.col.attempts"), 8, "right"),
            Column("when", self.tr("mail.col.when"), 16),
            Column("error", self.tr("mail.col.error"), 20),
        ]

    def on_mount(self) -> None:
        self._open()

    @work(thread=True, exclusive=True, group="outbox-open", exit_on_error=False)
    def _open(self) -> None:
        db = self.app.database()
        self.app.call_from_thread(self._set_provider, OutboxRows(db, self.app.lang))

    def _set_provider(self, provider: OutboxRows) -> None:
        self._provider = provider
        self.query_one(VirtualTable).set_provider(provider)
        self.query_one(VirtualTable).focus()
        self._count()

    def apply_language(self) -> None:
        self.query_one("#outbox-title", Label).update(self.tr("mail.outbox.title"))
        if self._provider is not None:
            self._provider.lang = self.app.lang
            self.query_one(VirtualTable).refresh_data()
            self._count()

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        yield ("cmd.mail_retry", "cmd.mail_retry_help", self.action_retry)

    # ---------------------------------------------------------------------------- reading
    @work(thread=True, exclusive=True, group="outbox-count", exit_on_error=False)
    def _count(self) -> None:
        from ...mail.outbox import PENDING, count_outbox

        with self.app.database().read() as s:
            total, pending = count_outbox(s), count_outbox(s, statuses=PENDING)
        self.app.call_from_thread(self._show_count, total, pending)

    def _show_count(self, total: int, pending: int) -> None:
        self.query_one("#outbox-count", Label).update(self.tr("mail.outbox.count", n=total, pending=pending))

    @on(VirtualTable.RowHighlighted)
    def _highlighted(self, event: VirtualTable.RowHighlighted) -> None:
        row = self._provider.rows.get(event.key) if self._provider else None  # type: ignore[arg-type]
        if row is None:
            return
        lines = [f"#{row.id} · {row.subject}",
                 f"{self.tr('mail.to')}: {', '.join(row.to)}",
                 f"{self.tr('mail.cc')}: {', '.join(row.cc) or '—'} · {self.tr('mail.bcc')}: {', '.join(row.bcc) or '—'}"]
        if row.last_error:
            lines.append(row.last_error)
        self.query_one("#outbox-detail", Static).update(literal("\n".join(lines)))

    def action_refresh(self) -> None:
        if self._provider is not None:
            self.query_one(VirtualTable).refresh_data()
            self._count()

    def _highlighted_row(self) -> OutboxRow | None:
        key = self.query_one(VirtualTable).cursor_key
        return self._provider.rows.get(key) if self._provider and key is not None else None  # type: ignore[arg-type]

    # ---------------------------------------------------------------------------- sending
    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#outbox-status", Static)
        status.update(literal(text))
        status.set_class(error, "-error")

    def action_retry(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._status(self.tr("mail.sending"))
        self._retry(None, False)

    def action_force(self) -> None:
        row = self._highlighted_row()
        if self._busy or row is None or row.status != "uncertain":
            return
        self._busy = True
        self._status(self.tr("mail.sending"))
        self._retry([row.id], True)

    @work(thread=True, exclusive=True, group="outbox-send", exit_on_error=False)
    def _retry(self, ids: list[int] | None, force: bool) -> None:
        from ...mail.outbox import send_pending

        app = self.app
        try:
            results = send_pending(app.database(), smtp=app.settings.smtp, actor=app.operator, ids=ids, force=force,
                                   today=app.today(), lang=app.lang)
        finally:
            app.call_from_thread(self._done_busy)
        app.call_from_thread(self._retried, results)

    def _done_busy(self) -> None:
        self._busy = False

    def _retried(self, results: list[DeliveryResult]) -> None:
        if not results:
            self._status(self.tr("mail.nothing_pending"))
        else:
            counts = {k: sum(1 for r in results if r.outcome == k) for k in ("sent", "queued", "failed", "uncertain",
                                                                          "skipped")}
            text = self.tr("mail.retry_summary", sent=counts["sent"], queued=counts["queued"],
                           failed=counts["failed"] + counts["uncertain"], skipped=counts["skipped"])
            errors = [r.error for r in results if r.outcome in ("queued", "failed", "uncertain") and r.error]
            if errors:
                text += "\n" + errors[0]
            self._status(text, error=bool(errors))
            self.app.notify(clean(text), title=self.tr("mail.outbox.title"), markup=False,
                            severity="warning" if errors else "information")
        self.action_refresh()

    def action_mark_sent(self) -> None:
        row = self._highlighted_row()
        if self._busy or row is None or row.status != "uncertain":
            return
        self._mark(row.id)

    @work(thread=True, exclusive=True, group="outbox-send", exit_on_error=False)
    def _mark(self, outbox_id: int) -> None:
        from ...mail.outbox import mark_sent

        app = self.app
        with app.database().write() as s:
            mark_sent(s, actor=app.operator, outbox_id=outbox_id, on_date=app.today(), lang=app.lang)
        app.call_from_thread(self._status, self.tr("mail.marked_sent", id=outbox_id))
        app.call_from_thread(self.action_refresh)


def palette_commands(app: Any) -> Iterable[tuple[str, str, Callable[[], Any]]]:
    """The palette entry that opens the outbox (for the app's / another screen's provider)."""
    yield ("cmd.mail_outbox", "cmd.mail_outbox_help", lambda: app.push_screen(OutboxScreen()))
