"""``DocumentScreen(document_id)``: one invoice, sales note or credit note.

Header (reference, kind, status with days overdue, dates, currency and exchange rate, PUE/PPD,
forma de pago, CFDI UUID, contract), lines, totals with the open balance, the allocations it
received (for a credit note: what it was applied to), this document's activity, and at the bottom
a Notes box: what the operator types there is saved to this document with ctrl+s (and so shows in
the customer's Notes tab). ``p`` records a payment for it, ``x`` cancels it, Escape goes back
(dismissing ``True`` when anything was changed here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TextArea

from ... import ledger
from ...domain.text import clean_text
from ...queries.customers import customer_detail
from ...queries.lists import (
    ActivityRow,
    DocumentDetail,
    NoteRow,
    document_detail,
    list_activity,
    list_notes,
)
from ..base import BaseScreen, literal
from ..widgets.footer import ArtermFooter
from ..widgets.inputs import OrderedTextArea

MAX_ACTIVITY = 200
MAX_NOTES = 100
MAX_NOTE = 5000
OPEN = ("current", "overdue")
NUMERIC_COLUMNS = {"docview.col.quantity", "docview.col.unit_price", "docview.col.tax", "docview.col.amount",
                   "docview.col.iva"}


@dataclass(frozen=True)
class DocumentView:
    detail: DocumentDetail
    customer_name: str
    activity: tuple[ActivityRow, ...]
    notes: tuple[NoteRow, ...]


class DocumentScreen(BaseScreen):
    CSS_PATH = "document.tcss"
    AUTO_FOCUS = "#doc-lines"
    BINDINGS = [
        Binding("p", "add_payment", "docview.key.add_payment", id="document_add_payment"),
        Binding("x", "cancel_document", "docview.key.cancel", id="document_cancel"),
        Binding("n", "focus_note", "docview.key.note", id="document_focus_note"),
        Binding("ctrl+s", "save_note", "docview.key.save_note", id="document_save_note"),
        Binding("escape", "back", "key.back", id="document_back"),
    ]

    def __init__(self, document_id: int) -> None:
        super().__init__()
        self.document_id = document_id
        self.view: DocumentView | None = None
        self.changed = False
        self.saving_note = False

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="doc-main"):
            yield Static("", id="doc-title")
            with Horizontal(id="doc-top"):
                yield Static("", id="doc-header")
                yield Static("", id="doc-totals")
            yield Static("", id="doc-lines-title", classes="section-title")
            yield DataTable(id="doc-lines", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="doc-middle"):
                with Vertical(id="doc-allocations-box"):
                    yield Static("", id="doc-allocations-title", classes="section-title")
                    yield DataTable(id="doc-allocations", cursor_type="row", zebra_stripes=True)
                with Vertical(id="doc-activity-box"):
                    yield Static("", id="doc-activity-title", classes="section-title")
                    yield DataTable(id="doc-activity", cursor_type="row", zebra_stripes=True)
            with Vertical(id="doc-notes"):
                yield Static("", id="doc-notes-title", classes="section-title")
                with Horizontal(id="doc-notes-row"):
                    yield VerticalScroll(id="doc-notes-list")
                    with Vertical(id="doc-note-editor"):
                        yield OrderedTextArea(id="doc-note-input", soft_wrap=True, show_line_numbers=False,
                                       tab_behavior="focus")
                        yield Static("", id="doc-note-error", classes="field-error")
                        yield Static("", id="doc-note-hint", classes="muted")
        yield ArtermFooter()

    def on_mount(self) -> None:
        self.query_one("#doc-note-error").display = False
        self.render_view()
        self.load()

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        yield "docview.key.add_payment", "docview.help.add_payment", self.action_add_payment
        yield "docview.key.cancel", "docview.help.cancel", self.action_cancel_document
        yield "docview.key.note", "docview.help.note", self.action_focus_note

    # -- data ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="document-load", exit_on_error=False)
    def load(self) -> None:
        today = self.app.today()
        with self.app.database().read() as s:
            detail = document_detail(s, self.document_id, as_of=today)
            name = customer_detail(s, detail.customer_id).name
            activity = list_activity(s, detail.customer_id, document_id=self.document_id, limit=MAX_ACTIVITY,
                                     as_of=today)
            notes = list_notes(s, detail.customer_id, document_id=self.document_id, limit=MAX_NOTES)
        self.app.call_from_thread(self._loaded, DocumentView(detail, name, tuple(activity), tuple(notes)))

    def _loaded(self, view: DocumentView) -> None:
        if self not in self.app.screen_stack:
            return  # closed while loading
        self.view = view
        self.render_view()
        self.refresh_bindings()

    def apply_language(self) -> None:
        self.render_view()

    # -- drawing ------------------------------------------------------------------------------
    def _columns(self, table: DataTable[Any], columns: list[tuple[str, int | None]]) -> None:
        table.clear(columns=True)
        for key, width in columns:
            justify = "right" if key in NUMERIC_COLUMNS else "left"
            table.add_column(Text(self.tr(key), justify=justify), width=width, key=key)  # type: ignore[arg-type]

    def render_view(self) -> None:
        self.query_one("#doc-lines-title", Static).update(self.tr("docview.lines"))
        self.query_one("#doc-activity-title", Static).update(self.tr("docview.activity"))
        self.query_one("#doc-notes-title", Static).update(self.tr("docview.notes"))
        self.query_one("#doc-note-hint", Static).update(self.tr("docview.note_hint"))
        self.query_one("#doc-note-input", TextArea).placeholder = self.tr("docview.note_placeholder")
        error = self.query_one("#doc-note-error", Static)
        if getattr(error, "message_key", None):
            error.update(literal("⚠ " + self.tr(error.message_key)))  # type: ignore[attr-defined]
        lines = self.query_one("#doc-lines", DataTable)
        self._columns(lines, [("docview.col.n", 3), ("docview.col.description", 40), ("docview.col.quantity", 9),
                              ("docview.col.unit_price", 14), ("docview.col.tax", 6), ("docview.col.amount", 15),
                              ("docview.col.iva", 14)])
        allocations = self.query_one("#doc-allocations", DataTable)
        activity = self.query_one("#doc-activity", DataTable)
        self._columns(activity, [("docview.col.date", 10), ("docview.col.event", 20), ("docview.col.amount", 16),
                                 ("docview.col.by", 8), ("docview.col.detail", None)])
        v = self.view
        if v is None:
            self._columns(allocations, [("docview.col.source", 12)])
            self.query_one("#doc-title", Static).update(self.tr("ui.loading"))
            self.query_one("#doc-allocations-title", Static).update("")
            return
        d = v.detail
        r = d.row
        is_credit_note = r.kind == "credit_note"
        money = lambda cents: self.money(cents, r.currency)  # noqa: E731

        title = Text()
        title.append(f"{self.tr(f'kind.{r.kind}')} ", style="bold")
        title.append(literal(r.reference, "bold"))
        title.append(" · ")
        title.append(literal(v.customer_name))
        self.query_one("#doc-title", Static).update(title)
        self.query_one("#doc-header", Static).update(self._header(v))
        self.query_one("#doc-totals", Static).update(self._totals(d))

        for n, line in enumerate(d.lines, start=1):
            lines.add_row(str(n), literal(line.description), Text(_num(line.quantity), justify="right"),
                          Text(_num(line.unit_price, 2), justify="right"),
                          Text(_pct(line.tax_rate), justify="right"),
                          Text(self.amount(line.amount), justify="right"),
                          Text(self.amount(line.tax), justify="right"))

        self.query_one("#doc-allocations-title", Static).update(
            self.tr("docview.applied_to" if is_credit_note else "docview.received"))
        self._columns(allocations, [("docview.col.document" if is_credit_note else "docview.col.source", 11),
                                    ("docview.col.applied_on", 10), ("docview.col.amount", 16),
                                    ("docview.col.reversed_on", 10)])
        for a in d.allocations:
            who = a.document_ref if is_credit_note else (
                self.tr("docview.payment_ref", id=a.payment_id) if a.payment_id else a.source_ref)
            style = "strike dim" if a.reversed_on else ""
            allocations.add_row(literal(who, style), self.day(a.applied_on),
                                Text(money(a.amount), justify="right", style=style), self.day(a.reversed_on),
                                key=str(a.id))
        if not d.allocations:
            allocations.add_row(Text(self.tr("docview.none"), style="dim"), "", "", "")

        # A payment's events carry the whole payment; here the amount is what it applied to this
        # document (QA: three payments of $20,000 listed under a $33,706.70 invoice), and the
        # detail says what the whole payment was.
        applied: dict[int, int] = {}
        for a in d.allocations:
            if a.payment_id is not None:
                applied[a.payment_id] = applied.get(a.payment_id, 0) + a.amount
        for act in v.activity:
            amount = "" if act.amount is None else self.money(act.amount, act.currency or r.currency)
            detail = literal(act.detail.splitlines()[0] if act.detail else "")
            if act.document_id is None and act.payment_id in applied:
                detail = Text.assemble(self.tr("docview.of_payment", amount=amount), "  ", detail)
                amount = self.money(applied[act.payment_id], r.currency)
            activity.add_row(self.day(act.on_date), self.tr(f"activity.{act.kind}"), Text(amount, justify="right"),
                             literal(act.actor), detail, key=str(act.id))

        notes = self.query_one("#doc-notes-list", VerticalScroll)
        notes.remove_children()
        if v.notes:
            notes.mount_all([Static(self._note_text(note), classes="note") for note in v.notes])
        else:
            notes.mount(Static(self.tr("docview.no_notes"), classes="muted"))

    def _header(self, v: DocumentView) -> Text:
        d = v.detail
        r = d.row
        status = Text(self.tr(f"status.{r.status}"), style="bold")
        if r.status == "overdue":
            status.stylize("reverse")
            status.append(" · " + self.tr(f"ui.days_count.{'one' if r.days_overdue == 1 else 'other'}",
                                          n=r.days_overdue))
        currency = r.currency if r.currency == "MXN" else f"{r.currency} · {self.tr('ui.exchange_rate')} {d.exchange_rate}"
        metodo = f"{r.metodo_pago} {self.tr(f'metodo_pago.{r.metodo_pago}')}" if r.metodo_pago else "—"
        forma = f"{d.forma_pago} {self.tr(f'forma_pago.{d.forma_pago}')}" if d.forma_pago else "—"
        rows: list[tuple[str, Text | str]] = [
            ("ui.status", status),
            ("ui.issue_date", self.day(r.issue_date)),
            ("ui.due_date", self.day(r.due_date)),
            ("ui.currency", currency),
            ("form.field.metodo_pago", metodo),
            ("form.field.forma_pago", forma),
            ("ui.uuid", literal(r.cfdi_uuid) if r.cfdi_uuid else "—"),
        ]
        if r.contract_id is not None:
            rows.append(("ui.contract", f"#{r.contract_id}"))
        if d.description:
            rows.append(("ui.description", literal(d.description)))
        if r.status == "cancelled" and d.cancel_reason:
            rows.append(("docview.cancel_reason", literal(d.cancel_reason)))
        width = max(len(self.tr(k)) for k, _ in rows) + 2
        out = Text()
        for i, (key, value) in enumerate(rows):
            out.append(self.tr(key).ljust(width), style="dim")
            out.append(value if isinstance(value, Text) else Text(value))
            if i < len(rows) - 1:
                out.append("\n")
        return out

    def _totals(self, d: DocumentDetail) -> Text:
        r = d.row
        rows = [("ui.subtotal", d.subtotal, "")]
        if d.discount:
            rows.append(("docview.discount", -d.discount, ""))
        rows += [("docview.iva", d.tax, ""), ("ui.total", r.total, "bold")]
        label = "docview.unapplied" if r.kind == "credit_note" else "ui.open_balance"
        rows.append((label, r.balance, "bold reverse" if r.status == "overdue" else "bold"))
        width = max(len(self.tr(k)) for k, _, _ in rows) + 2
        out = Text(justify="right")
        for i, (key, cents, style) in enumerate(rows):
            out.append(self.tr(key).ljust(width), style="dim")
            out.append(self.money(cents, r.currency).rjust(20), style=style)
            if i < len(rows) - 1:
                out.append("\n")
        return out

    def _note_text(self, note: NoteRow) -> Text:
        out = Text()
        out.append(f"{self.day(note.created_at)} · ", style="dim")
        out.append(literal(note.author, "dim bold"))
        out.append("\n")
        out.append(literal(note.text))
        return out

    # -- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        r = self.view.detail.row if self.view is not None else None
        if action == "add_payment":
            return r is not None and r.kind != "credit_note" and r.status in OPEN and r.balance > 0
        if action == "cancel_document":
            return r is not None and r.status != "cancelled"
        return True

    def action_back(self) -> None:
        note = self.query_one("#doc-note-input", TextArea)
        if self.focused is note:
            self.query_one("#doc-activity", DataTable).focus()
            return
        self.dismiss(self.changed)

    def action_focus_note(self) -> None:
        self.query_one("#doc-note-input", TextArea).focus()

    def action_add_payment(self) -> None:
        if self.view is None or not self.check_action("add_payment", ()):
            return
        from ..dialogs.payment_form import PaymentForm

        self.app.push_screen(PaymentForm(self.view.detail.customer_id, self.document_id), self._after_change)

    def action_cancel_document(self) -> None:
        if self.view is None or not self.check_action("cancel_document", ()):
            return
        from ..dialogs.cancel import CancelDialog

        self.app.push_screen(CancelDialog(document_id=self.document_id), self._after_change)

    def _after_change(self, result: Any) -> None:
        if result:
            self.changed = True
            self.notify(self.tr("docview.saved"), timeout=3)
            self.load()

    @on(DataTable.RowSelected, "#doc-allocations")
    def _allocation_selected(self, event: DataTable.RowSelected) -> None:
        if self.view is None or event.row_key.value is None:
            return
        chosen = next((a for a in self.view.detail.allocations if str(a.id) == event.row_key.value), None)
        if chosen is None:
            return
        if self.view.detail.row.kind == "credit_note":
            self.app.push_screen(DocumentScreen(chosen.document_id), self._after_change)
        elif chosen.payment_id is not None:
            from ..dialogs.payment import PaymentDialog

            self.app.push_screen(PaymentDialog(chosen.payment_id), self._after_change)
        elif chosen.credit_note_id is not None:
            self.app.push_screen(DocumentScreen(chosen.credit_note_id), self._after_change)

    # -- notes --------------------------------------------------------------------------------
    def _note_error(self, key: str | None, **values: Any) -> None:
        error = self.query_one("#doc-note-error", Static)
        error.message_key = key  # type: ignore[attr-defined]
        if key is None:
            error.update("")
            error.display = False
        else:
            error.update(literal("⚠ " + self.tr(key, **values)))
            error.display = True

    def action_save_note(self) -> None:
        if self.view is None or self.saving_note:
            return
        text = self.query_one("#doc-note-input", TextArea).text
        if not text.strip():
            self._note_error("docview.note_empty")
            self.action_focus_note()
            return
        if len(clean_text(text, max_len=10**9)) > MAX_NOTE:
            self._note_error("docview.note_too_long")
            return
        self._note_error(None)
        self.saving_note = True
        self._save_note(self.view.detail.customer_id, text)

    @work(thread=True, exclusive=True, group="document-note", exit_on_error=False)
    def _save_note(self, customer_id: int, text: str) -> None:
        try:
            with self.app.database().write() as s:
                ledger.add_note(s, actor=self.app.operator, customer_id=customer_id, text=text,
                                document_id=self.document_id)
        except Exception as exc:  # noqa: BLE001 - shown under the note box
            self.app.call_from_thread(self._note_failed, exc)
            return
        self.app.call_from_thread(self._note_saved)

    def _note_saved(self) -> None:
        self.saving_note = False
        self.changed = True
        if self not in self.app.screen_stack:
            return
        self.query_one("#doc-note-input", TextArea).clear()
        self.notify(self.tr("docview.note_saved"), timeout=3)
        self.load()

    def _note_failed(self, exc: BaseException) -> None:
        self.saving_note = False
        if self not in self.app.screen_stack:
            return
        error = self.query_one("#doc-note-error", Static)
        error.message_key = None  # type: ignore[attr-defined]
        error.update(literal("⚠ " + self.tr("form.err.refused", detail=str(exc))))
        error.display = True


def _num(text: str, places: int = 0) -> str:
    """A stored decimal without useless trailing zeros, keeping at least ``places`` decimals
    (``2.000000`` → ``2``; with places=2 ``500.000000`` → ``500.00``, ``1.125000`` → ``1.125``)."""
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(places, "0")
    return f"{whole}.{frac}" if frac else whole


def _pct(rate: str) -> str:
    try:
        from decimal import Decimal

        value = Decimal(rate) * 100
    except Exception:  # noqa: BLE001 - show what is stored
        return rate
    return f"{value.normalize():f}%"
