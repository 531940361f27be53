"""Send a customer's account statement: preview, recipients, period, then send through the outbox.

``StatementDialog(customer_id)`` (the profile's "send statement" key pushes exactly this) shows
the statement as the customer will read it (the plain-text rendering, literally, scrollable), who
gets it — To (billing emails), CC (the assigned operator), BCC (archive) — and in which language.
The period (from / to) is editable; the preview follows. Send (ctrl+s or the button) queues the
message and delivers it in a thread worker; the dialog shows the progress and the outcome:

- sent → notification, the dialog closes with ``True``;
- not accepted (server down, refused) → the message stays in the outbox (queued / failed) with
  its error, shown here; closing returns ``True`` (it is queued: ``arterm outbox --retry``);
- nothing queued (no email, bad period, bad configuration) → the error is shown; closing returns
  ``False``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static, TextArea
from ..widgets.inputs import OrderedInput, OrderedTextArea

from ... import i18n
from ..base import BaseModal, clean, literal

if TYPE_CHECKING:
    from ...mail.outbox import DeliveryResult
    from ...mail.statements import PreparedStatement


class StatementDialog(BaseModal):
    DEFAULT_CSS = """
    StatementDialog {
        align: center middle;
    }
    StatementDialog > #statement-dialog {
        width: 96;
        max-width: 100%;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    StatementDialog #statement-title {
        text-style: bold;
        width: 100%;
        margin-bottom: 1;
    }
    StatementDialog #statement-meta {
        grid-size: 2;
        grid-columns: 10 1fr;
        grid-rows: auto;
        height: auto;
    }
    StatementDialog .meta-label {
        color: $text-muted;
    }
    StatementDialog #statement-warnings {
        color: $warning;
        height: auto;
        display: none;
    }
    StatementDialog #statement-warnings.-shown {
        display: block;
    }
    StatementDialog #statement-period {
        height: auto;
        margin-top: 1;
    }
    StatementDialog #statement-period Label {
        padding: 1 1 0 0;
    }
    StatementDialog #statement-period Input {
        width: 18;
    }
    StatementDialog #statement-preview {
        height: 1fr;
        margin-top: 1;
    }
    StatementDialog #statement-status {
        height: auto;
        min-height: 1;
    }
    StatementDialog #statement-status.-error {
        color: $error;
    }
    StatementDialog #statement-status.-ok {
        color: $success;
    }
    StatementDialog #statement-buttons {
        height: auto;
        align-horizontal: right;
    }
    StatementDialog #statement-buttons Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "send", "key.mail_send", id="statement.send"),
        Binding("escape", "close", "key.mail_close", id="statement.close"),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self._prepared: PreparedStatement | None = None
        self._generation = 0
        self._loading = False
        self._sending = False
        self._queued = False  # a message of this dialog is in the outbox (sent or not): dismiss True
        self._period_ok = True

    # ------------------------------------------------------------------------------- compose
    def compose(self) -> ComposeResult:
        from ...queries.statement import default_period

        start, end = default_period(self.app.today(), self.app.settings.statements.period_days)
        with Vertical(id="statement-dialog"):
            yield Label(self.tr("ui.statement"), id="statement-title")
            with Grid(id="statement-meta"):
                for key, wid in (("mail.to", "to"), ("mail.cc", "cc"), ("mail.bcc", "bcc"), ("mail.language", "lang")):
                    yield Label(self.tr(key), classes="meta-label", id=f"label-{wid}")
                    yield Static("", id=f"statement-{wid}")
            yield Static("", id="statement-warnings")
            with Horizontal(id="statement-period"):
                yield Label(self.tr("mail.period_from"), id="label-from")
                yield OrderedInput(i18n.fmt_date(start, self.lang), id="period-from")
                yield Label(self.tr("mail.period_to"), id="label-to")
                yield OrderedInput(i18n.fmt_date(end, self.lang), id="period-to")
            yield OrderedTextArea("", id="statement-preview", read_only=True, soft_wrap=False, show_cursor=False,
                           highlight_cursor_line=False)
            yield Static(self.tr("mail.preparing"), id="statement-status")
            with Horizontal(id="statement-buttons"):
                yield Button(self.tr("mail.send"), id="send", variant="primary", disabled=True)
                yield Button(self.tr("mail.cancel"), id="close")

    def on_mount(self) -> None:
        self._reload()

    def apply_language(self) -> None:
        for key, wid in (("mail.to", "to"), ("mail.cc", "cc"), ("mail.bcc", "bcc"), ("mail.language", "lang")):
            self.query_one(f"#label-{wid}", Label).update(self.tr(key))
        self.query_one("#label-from", Label).update(self.tr("mail.period_from"))
        self.query_one("#label-to", Label).update(self.tr("mail.period_to"))
        self.query_one("#send", Button).label = self.tr("mail.send")
        self.query_one("#close", Button).label = self.tr("mail.close" if self._queued else "mail.cancel")
        if self._prepared is not None:
            self._show_meta(self._prepared)

    # ------------------------------------------------------------------------------- period
    def _period(self) -> tuple[date, date] | None:
        values = []
        for wid in ("period-from", "period-to"):
            text = self.query_one(f"#{wid}", Input).value
            try:
                values.append(i18n.parse_date(text, self.lang, today=self.app.today()))
            except Exception:  # noqa: BLE001 - DomainError: shown below
                self._set_status(self.tr("mail.bad_date", value=text), error=True)
                return None
        if values[0] > values[1]:
            self._set_status(self.tr("mail.bad_period"), error=True)
            return None
        if values[1] > self.app.today():
            self._set_status(self.tr("mail.period_future", date=self.day(self.app.today())), error=True)
            return None
        return values[0], values[1]

    @on(Input.Changed)
    def _period_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._sending or self._queued:
            return
        self._reload()

    def _reload(self) -> None:
        period = self._period()
        self._period_ok = period is not None
        self._update_send_button()
        if period is None:
            return
        self._generation += 1
        self._loading = True
        self._update_send_button()
        self._set_status(self.tr("mail.preparing"))
        self._load(self._generation, period[0], period[1])

    @work(thread=True, exclusive=True, group="statement-preview", exit_on_error=False)
    def _load(self, generation: int, date_from: date, date_to: date) -> None:
        from ...domain.errors import DomainError
        from ...mail.statements import prepare_statement

        app = self.app
        try:
            db = app.database()
            with db.read() as s:
                prepared = prepare_statement(s, settings=app.settings, customer_id=self.customer_id,
                                             date_from=date_from, date_to=date_to, today=app.today(), lang=app.lang)
            text = prepared.preview(app.settings, "text")
        except DomainError as exc:
            app.call_from_thread(self._load_failed, generation, str(exc))
            return
        app.call_from_thread(self._loaded, generation, prepared, text)

    def _load_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._prepared = None
        self._update_send_button()
        self._set_status(message, error=True)

    def _loaded(self, generation: int, prepared: PreparedStatement, text: str) -> None:
        if generation != self._generation:
            return  # the period changed meanwhile: a newer preview is on its way
        self._loading = False
        self._prepared = prepared
        self.query_one("#statement-title", Label).update(
            literal(self.tr("mail.dialog.title", name=prepared.statement.customer.name)))
        self.query_one("#statement-preview", TextArea).load_text(clean(text))
        self._show_meta(prepared)
        if prepared.recipient_error is not None:
            self._set_status(str(prepared.recipient_error), error=True)
        else:
            self._set_status("")
        self._update_send_button()

    def _show_meta(self, prepared: PreparedStatement) -> None:
        r = prepared.recipients
        self.query_one("#statement-to", Static).update(literal(", ".join(r.to) if r else "—"))
        self.query_one("#statement-cc", Static).update(literal(", ".join(r.cc) if r and r.cc else "—"))
        self.query_one("#statement-bcc", Static).update(literal(", ".join(r.bcc) if r and r.bcc else "—"))
        self.query_one("#statement-lang", Static).update(self.tr(f"lang.{prepared.statement.language}"))
        warnings = r.warning_texts(self.lang) if r else []
        box = self.query_one("#statement-warnings", Static)
        box.update(literal("\n".join(f"⚠ {w}" for w in warnings)))
        box.set_class(bool(warnings), "-shown")

    # ------------------------------------------------------------------------------- send
    def _update_send_button(self) -> None:
        ready = (self._prepared is not None and self._prepared.recipients is not None and self._period_ok
                 and not self._loading and not self._sending and not self._queued)
        self.query_one("#send", Button).disabled = not ready

    def _set_status(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        status = self.query_one("#statement-status", Static)
        status.update(literal(text))
        status.set_class(error, "-error")
        status.set_class(ok, "-ok")

    @on(Button.Pressed, "#send")
    def _send_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_send()

    @on(Button.Pressed, "#close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_send(self) -> None:
        if self.query_one("#send", Button).disabled or self._prepared is None:
            return
        self._sending = True
        self._update_send_button()
        for wid in ("#period-from", "#period-to"):
            self.query_one(wid, Input).disabled = True
        self.query_one("#close", Button).disabled = True
        self._set_status(self.tr("mail.sending"))
        self._send(self._prepared)

    @work(thread=True, exclusive=True, group="statement-send", exit_on_error=False)
    def _send(self, prepared: PreparedStatement) -> None:
        from ...domain.errors import DomainError
        from ...mail.outbox import deliver
        from ...mail.statements import queue_statement

        app = self.app
        try:
            db = app.database()
            with db.write() as s:
                outbox_id = queue_statement(s, actor=app.operator, prepared=prepared, settings=app.settings)
        except DomainError as exc:
            app.call_from_thread(self._send_refused, str(exc))
            return
        app.call_from_thread(self._mark_queued)
        result = deliver(db, outbox_id, smtp=app.settings.smtp, actor=app.operator, today=app.today(), lang=app.lang)
        app.call_from_thread(self._sent, result)

    def _mark_queued(self) -> None:
        self._queued = True

    def _send_refused(self, message: str) -> None:
        self._sending = False
        for wid in ("#period-from", "#period-to"):
            self.query_one(wid, Input).disabled = False
        self.query_one("#close", Button).disabled = False
        self._set_status(message, error=True)
        self._update_send_button()

    def _sent(self, result: DeliveryResult) -> None:
        self._sending = False
        self._queued = True
        close = self.query_one("#close", Button)
        close.disabled = False
        close.label = self.tr("mail.close")
        self._update_send_button()
        if result.outcome == "sent":
            r = self._prepared.recipients if self._prepared else None
            to = ", ".join(r.to) if r else ""
            text = self.tr("mail.outcome.sent", to=to)
            if result.error:  # the server refused some recipients (the customer's?) and accepted others
                text += " — " + result.error
            self._set_status(text, ok=not result.error, error=bool(result.error))
            self.app.notify(clean(text), title=self.tr("ui.statement"), markup=False,
                            severity="warning" if result.error else "information", timeout=15 if result.error else 5)
            self.dismiss(True)
            return
        key = "mail.outcome.failed" if result.outcome in ("failed", "uncertain") else "mail.outcome.queued"
        text = self.tr(key, error=result.error) + " — " + self.tr("mail.queued_as", id=result.outbox_id)
        self._set_status(text, error=True)
        self.app.notify(clean(text), title=self.tr("ui.statement"), severity="warning", timeout=10, markup=False)
        close.focus()

    def action_close(self) -> None:
        if self._sending:
            return
        self.dismiss(self._queued)

    # results of this dialog for tests / callers
    @property
    def prepared(self) -> PreparedStatement | None:
        return self._prepared

    def preview_text(self) -> str:
        return self.query_one("#statement-preview", TextArea).text

    def meta_text(self, which: str) -> str:
        """The plain text shown for ``to`` / ``cc`` / ``bcc`` / ``lang``."""
        content: Any = self.query_one(f"#statement-{which}", Static).content
        return content.plain if hasattr(content, "plain") else str(content)
