"""``PaymentDialog(payment_id)``: a payment's detail and what can be done with it.

Shows amount, date, status, origin, forma de pago, reference, what is still unapplied, the REP
status (pending: its deadline — the 5th of the following month — and the days left or late) and
the allocations. The operator can record the REP UUID by hand (ctrl+s / Enter; clears "REP
pending"), apply the unapplied credit to open documents oldest first (``a``) or cancel the
payment (``x``). Dismisses ``True`` when anything changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static
from ..widgets.inputs import OrderedInput

from ... import ledger
from ...queries.lists import AllocationRow, PaymentRow, payment_detail, rep_deadline
from ..base import literal
from ._form import BadValue, FormInvalid, FormModal, TButton, TLabel, check_uuid, field_row

ACTIVE = ("applied", "partial", "unapplied")


@dataclass(frozen=True)
class PaymentView:
    payment: PaymentRow
    allocations: tuple[AllocationRow, ...]
    customer_id: int


class PaymentDialog(FormModal):
    AUTO_FOCUS = "#pay-allocations"
    SAVE_KEY = "form.payment_detail.save_rep"
    CLOSE_KEY = "form.button.close"
    BINDINGS = [
        Binding("a", "apply_credit", "form.key.apply_credit", id="payment_apply_credit"),
        Binding("x", "cancel_payment", "form.key.cancel_payment", id="payment_cancel"),
    ]
    FIELD_ALIASES = {"cfdi_uuid": "rep_uuid", "payment": "form", "source": "form", "allocations": "form",
                     "date": "form"}

    def __init__(self, payment_id: int) -> None:
        super().__init__()
        self.payment_id = payment_id
        self.view: PaymentView | None = None
        self.changed = False

    def form_title(self) -> tuple[str]:
        return ("form.payment_detail.title",)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="pay-detail", classes="detail")
        yield Static("", id="pay-rep", classes="detail")
        yield TLabel("form.payment_detail.allocations", classes="section-title")
        yield DataTable(id="pay-allocations", cursor_type="row", zebra_stripes=True)
        yield field_row("rep_uuid", "form.field.rep_uuid",
                        OrderedInput(id="rep_uuid", compact=True, max_length=40,
                              placeholder="xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"))
        with Horizontal(classes="form-buttons"):
            yield TButton("form.payment_detail.apply_credit", id="apply-credit")
            yield TButton("form.payment_detail.cancel_payment", id="cancel-payment", variant="error")

    def cancel_result(self) -> bool:
        return self.changed

    # -- loading ------------------------------------------------------------------------------
    def read(self, session: Any) -> PaymentView:
        payment, allocations, customer_id = payment_detail(session, self.payment_id)
        return PaymentView(payment, allocations, customer_id)

    def loaded_data(self, data: PaymentView) -> None:
        self.view = data
        self.render_view()

    def relabel(self) -> None:
        self.render_view()

    def render_view(self) -> None:
        v = self.view
        table = self.query_one("#pay-allocations", DataTable)
        table.clear(columns=True)
        for key, width in (("form.col.document", 16), ("form.col.amount", 20), ("form.col.applied_on", 12),
                           ("form.col.reversed_on", 12)):
            label = Text(self.tr(key), justify="right" if key == "form.col.amount" else "left")
            table.add_column(label, width=width, key=key)  # type: ignore[arg-type]
        if v is None:
            return
        p = v.payment
        money = lambda cents: self.money(cents, p.currency)  # noqa: E731
        rows: list[tuple[str, Text | str]] = [
            ("ui.amount", Text(money(p.amount), style="bold")),
            ("ui.payment_date", self.day(p.paid_on)),
            ("ui.status", self.tr(f"status.{p.status}")),
            ("form.field.origin", self.tr(f"origin.{p.origin}")),
            ("ui.forma_pago", f"{p.forma_pago} {self.tr(f'forma_pago.{p.forma_pago}')}"),
            ("ui.reference", literal(p.reference)),
            ("ui.unapplied", money(p.unapplied)),
        ]
        self.query_one("#pay-detail", Static).update(self._grid(rows))
        self.query_one("#pay-rep", Static).update(self._rep_text(p))
        for a in v.allocations:
            table.add_row(literal(a.document_ref), Text(money(a.amount), justify="right"), self.day(a.applied_on),
                          self.day(a.reversed_on), key=str(a.id))
        active = p.status in ACTIVE
        self.query_one("#apply-credit", Button).disabled = not (active and p.unapplied > 0)
        self.query_one("#cancel-payment", Button).disabled = p.status in ("cancelled", "rejected")
        self.query_one("#rep_uuid", Input).disabled = p.status == "cancelled"
        self.query_one("#form-save", Button).disabled = p.status == "cancelled"

    def _grid(self, rows: list[tuple[str, Text | str]]) -> Text:
        out = Text()
        width = max(len(self.tr(k)) for k, _ in rows) + 2
        for i, (key, value) in enumerate(rows):
            out.append(self.tr(key).ljust(width), style="dim")
            out.append(value if isinstance(value, Text) else Text(value))
            if i < len(rows) - 1:
                out.append("\n")
        return out

    def _rep_text(self, p: PaymentRow) -> Text:
        out = Text()
        if p.rep_status == "pending":
            deadline = p.rep_deadline or rep_deadline(p.paid_on)
            days = (deadline - self.app.today()).days
            out.append(self.tr("rep.pending"), style="bold")
            out.append(" · " + self.tr("form.payment_detail.rep_deadline", date=self.day(deadline)) + " · ")
            if days >= 0:
                out.append(self.tr(f"form.days_left.{'one' if days == 1 else 'other'}", n=days))
            else:
                out.append(self.tr(f"form.days_late.{'one' if -days == 1 else 'other'}", n=-days), style="bold reverse")
        elif p.rep_status == "issued":
            out.append(self.tr("rep.issued") + " · ", style="bold")
            out.append(literal(p.rep_uuid or ""))
        else:
            out.append(self.tr("rep.not_required") if p.rep_status == "not_required" else literal(p.rep_status))
        return out

    # -- REP ----------------------------------------------------------------------------------
    def validate(self) -> str:
        try:
            return check_uuid(self.query_one("#rep_uuid", Input).value)
        except BadValue as bad:
            raise FormInvalid({"rep_uuid": (bad.key, bad.values)}) from None

    def write(self, session: Any, payload: str) -> str:
        ledger.set_rep(session, actor=self.app.operator, payment_id=self.payment_id, rep_uuid=payload)
        return "rep"

    def saved(self, result: Any) -> None:
        self.changed = True
        self.query_one("#rep_uuid", Input).value = ""
        self.notify(self.tr(f"form.payment_detail.done_{result}"), timeout=3)
        self.run_load()

    # -- credit and cancellation ----------------------------------------------------------------
    @on(Button.Pressed, "#apply-credit")
    def _apply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply_credit()

    @on(Button.Pressed, "#cancel-payment")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel_payment()

    def action_apply_credit(self) -> None:
        v = self.view
        if self.saving or v is None or v.payment.status not in ACTIVE or v.payment.unapplied <= 0:
            return
        self.clear_errors()
        self.saving = True
        self._apply_credit(v.customer_id)

    @work(thread=True, exclusive=True, group="payment-apply-credit", exit_on_error=False)
    def _apply_credit(self, customer_id: int) -> None:
        try:
            with self.app.database().write() as session:
                ledger.apply_credit(session, actor=self.app.operator, customer_id=customer_id,
                                    payment_id=self.payment_id, allocations="oldest", on=self.app.today())
        except Exception as exc:  # noqa: BLE001 - shown inline
            self.app.call_from_thread(self._save_failed, exc)
            return
        self.app.call_from_thread(self._saved, "credit")

    def action_cancel_payment(self) -> None:
        v = self.view
        if self.saving or v is None or v.payment.status in ("cancelled", "rejected"):
            return
        from .cancel import CancelDialog

        def done(cancelled: bool | None) -> None:
            if cancelled:
                self.changed = True
                self.notify(self.tr("form.payment_detail.done_cancel"), timeout=3)
                self.run_load()

        self.app.push_screen(CancelDialog(payment_id=self.payment_id), done)

