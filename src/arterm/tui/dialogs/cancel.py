"""``CancelDialog(document_id=None, payment_id=None)``: cancel a document or a payment.

The dialog says what will happen before anything does (money applied to a cancelled invoice
becomes the customer's credit; a cancelled credit note or payment reopens what it paid), asks for
a reason, then asks once more (``ConfirmDialog``). Dismisses ``True`` when it was cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input
from ..widgets.inputs import OrderedInput

from ... import ledger
from ...queries.lists import AllocationRow, DocumentDetail, PaymentRow, document_detail, payment_detail
from ._form import FormInvalid, FormModal, TLabel, field_row
from .confirm import ConfirmDialog

MAX_REASON = 500


@dataclass(frozen=True)
class Target:
    kind: str  # invoice | sales_note | credit_note | payment
    reference: str
    status: str
    currency: str
    total: int
    open_balance: int  # documents: what is still owed; payments: unapplied credit
    allocations: tuple[AllocationRow, ...]  # active ones only


class CancelDialog(FormModal):
    AUTO_FOCUS = "#reason"
    CLOSE_KEY = "form.button.back"
    SAVE_VARIANT = "error"
    FIELD_ALIASES = {"document": "form", "payment": "form"}

    def __init__(self, document_id: int | None = None, payment_id: int | None = None) -> None:
        if (document_id is None) == (payment_id is None):
            raise ValueError("give either document_id or payment_id")
        super().__init__()
        self.document_id = document_id
        self.payment_id = payment_id
        self.target: Target | None = None

    def form_title(self) -> tuple[str]:
        return ("form.cancel.title_document" if self.document_id is not None else "form.cancel.title_payment",)

    def save_key(self) -> str:
        return "form.cancel.button_document" if self.document_id is not None else "form.cancel.button_payment"

    def compose_body(self) -> ComposeResult:
        yield TLabel("ui.loading", id="cancel-what")
        yield Vertical(id="consequences")
        yield field_row("reason", "form.field.reason", OrderedInput(id="reason", compact=True, max_length=MAX_REASON))

    # -- loading ------------------------------------------------------------------------------
    def read(self, session: Any) -> Target:
        today = self.app.today()
        if self.document_id is not None:
            d: DocumentDetail = document_detail(session, self.document_id, as_of=today)
            active = tuple(a for a in d.allocations if a.reversed_on is None)
            return Target(d.row.kind, d.row.reference, d.row.status, d.row.currency, d.row.total, d.row.balance, active)
        assert self.payment_id is not None
        p: PaymentRow
        p, allocations, _customer = payment_detail(session, self.payment_id)
        active = tuple(a for a in allocations if a.reversed_on is None)
        return Target("payment", f"#{p.id}", p.status, p.currency, p.amount, p.unapplied, active)

    def loaded_data(self, data: Target) -> None:
        self.target = data
        self.render_target()

    def relabel(self) -> None:
        self.render_target()

    def render_target(self) -> None:
        t = self.target
        if t is None:
            return
        what = self.query_one("#cancel-what", TLabel)
        what.set_key("form.cancel.what", kind=self.tr(f"kind.{t.kind}") if t.kind != "payment" else self.tr("ui.payment"),
                     reference=t.reference, total=self.money(t.total, t.currency),
                     status=self.tr(f"status.{t.status}"))
        box = self.query_one("#consequences", Vertical)
        box.remove_children()
        lines: list[tuple[str, dict[str, Any]]] = []
        money = lambda cents: self.money(cents, t.currency)  # noqa: E731
        applied = sum(a.amount for a in t.allocations)
        refs = ", ".join(a.document_ref for a in t.allocations)
        if t.status == "cancelled":
            lines.append(("form.cancel.already", {}))
        elif t.kind in ("invoice", "sales_note"):
            if t.open_balance:
                lines.append(("form.cancel.doc_open", {"amount": money(t.open_balance)}))
            paid = sum(a.amount for a in t.allocations if a.payment_id is not None)
            credited = applied - paid
            if paid:
                lines.append(("form.cancel.doc_payments_to_credit", {"amount": money(paid)}))
            if credited:
                lines.append(("form.cancel.doc_credit_notes_to_credit", {"amount": money(credited)}))
        elif t.kind == "credit_note":
            if applied:
                lines.append(("form.cancel.cn_reopens", {"amount": money(applied), "documents": refs}))
            if t.open_balance:
                lines.append(("form.cancel.cn_credit_removed", {"amount": money(t.open_balance)}))
        else:
            if applied:
                lines.append(("form.cancel.pay_reopens", {"amount": money(applied), "documents": refs}))
            if t.open_balance:
                lines.append(("form.cancel.pay_credit_removed", {"amount": money(t.open_balance)}))
        if t.status != "cancelled":
            lines.append(("form.cancel.irreversible", {}))
        box.mount_all([TLabel(key, classes="consequence", **values) for key, values in lines])
        self.query_one("#form-save").disabled = t.status == "cancelled"

    # -- saving -------------------------------------------------------------------------------
    def validate(self) -> str:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            raise FormInvalid({"reason": ("form.err.reason_required", {})})
        if self.target is not None and self.target.status == "cancelled":
            raise FormInvalid({"form": ("form.cancel.already", {})})
        return reason

    def action_save(self) -> None:
        """Validate, then ask once more before cancelling."""
        if self.saving or not self.loaded or self.target is None:
            super().action_save()
            return
        self.clear_errors()
        try:
            reason = self.validate()
        except FormInvalid as invalid:
            self.show_errors(invalid.errors)
            return
        t = self.target
        kind = self.tr(f"kind.{t.kind}") if t.kind != "payment" else self.tr("ui.payment")
        question = self.tr("form.cancel.confirm", kind=kind, reference=t.reference)

        def answered(yes: bool | None) -> None:
            if yes and not self.saving:
                self.saving = True
                self.run_save(reason)

        self.app.push_screen(ConfirmDialog(question), answered)

    def write(self, session: Any, payload: str) -> bool:
        today = self.app.today()
        if self.document_id is not None:
            ledger.cancel_document(session, actor=self.app.operator, document_id=self.document_id, reason=payload,
                                   on=today)
        else:
            assert self.payment_id is not None
            ledger.cancel_payment(session, actor=self.app.operator, payment_id=self.payment_id, reason=payload,
                                  on=today)
        return True

    def cancel_result(self) -> bool:
        return False
