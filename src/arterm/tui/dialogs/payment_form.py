"""``PaymentForm(customer_id, document_id=None)``: record a payment and choose where it goes.

The amount starts as the chosen document's open balance (or the customer's whole open balance in
its currency). The allocation preview is recomputed on every keystroke: the chosen document first,
then the oldest due first (or only the chosen document, with the toggle); whatever is left becomes
the customer's credit (saldo a favor). The form saves the preview as explicit allocations, so if a
balance changed since the form opened the ledger refuses the whole payment: its message is shown
under the preview, the balances are reloaded and nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from ... import ledger
from ...domain import catalogs
from ...queries.balances import customer_balances
from ...queries.customers import CustomerDetail, customer_detail
from ...queries.lists import (
    DocumentDetail,
    DocumentRow,
    document_detail,
    list_documents,
)
from ..base import literal
from ..widgets.checkbox import StateCheckbox
from ..widgets.inputs import OrderedInput
from ._form import (
    CURRENCIES,
    BadValue,
    FieldError,
    FormModal,
    Problems,
    TLabel,
    cents_decimal,
    cents_text,
    field_row,
    fill_loaded,
    forma_pago_options,
    parse_cents,
    parse_day,
    parse_decimal,
    relabel_select,
    set_select,
    value_of,
)

MAX_OPEN_DOCUMENTS = 500
OPEN_STATUSES = ("current", "overdue")


@dataclass(frozen=True)
class PaymentContext:
    customer: CustomerDetail
    documents: tuple[DocumentRow, ...]  # open receivables, oldest due first
    chosen: DocumentDetail | None
    open_by_currency: dict[str, int]


def plan_allocation(amount: int, documents: list[DocumentRow] | tuple[DocumentRow, ...], currency: str, *,
                    first: int | None = None, only_first: bool = False) -> tuple[list[tuple[DocumentRow, int]], int]:
    """What each open document receives from ``amount`` centavos, and the leftover (credit)."""
    candidates = [d for d in documents if d.currency == currency and d.balance > 0 and d.status in OPEN_STATUSES]
    candidates.sort(key=lambda d: (d.due_date, d.issue_date, d.id))
    ordered = [d for d in candidates if d.id == first]
    if not only_first:
        ordered += [d for d in candidates if d.id != first]
    plan: list[tuple[DocumentRow, int]] = []
    remaining = amount
    for doc in ordered:
        if remaining <= 0:
            break
        take = min(remaining, doc.balance)
        plan.append((doc, take))
        remaining -= take
    return plan, remaining


class PaymentForm(FormModal):
    AUTO_FOCUS = "#amount"
    FIELD_ALIASES = {"payment_date": "paid_on", "date": "paid_on", "allocation_amount": "allocations",
                     "origin": "form", "status": "form", "customer": "form", "rep_uuid": "form"}

    def __init__(self, customer_id: int, document_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.document_id = document_id
        self.context: PaymentContext | None = None
        self._prefilled = False
        self._plan: list[tuple[DocumentRow, int]] = []

    def form_title(self) -> tuple[str]:
        return ("form.payment.title",)

    def compose_body(self) -> ComposeResult:
        yield TLabel("form.customer_line", id="customer-line", classes="muted", name="…")
        with Vertical(classes="field-grid"):
            yield field_row("amount", "form.field.amount", OrderedInput(id="amount", compact=True, max_length=24))
            yield field_row("paid_on", "form.field.paid_on",
                            OrderedInput(self.day(self.app.today()), id="paid_on", compact=True, max_length=20))
            yield field_row("forma_pago", "form.field.forma_pago",
                            Select(self._forma_options(), id="forma_pago", value="03", allow_blank=False, compact=True))
            yield field_row("reference", "form.field.reference", OrderedInput(id="reference", compact=True, max_length=200))
            yield field_row("currency", "form.field.currency",
                            Select([(c, c) for c in CURRENCIES], id="currency", allow_blank=False, compact=True))
            yield field_row("exchange_rate", "form.field.exchange_rate",
                            OrderedInput(id="exchange_rate", compact=True, max_length=20))
        yield StateCheckbox(id="only_document", compact=True)
        yield TLabel("form.payment.preview", classes="section-title")
        yield DataTable(id="preview", cursor_type="none", zebra_stripes=True, show_cursor=False)
        yield Static("", id="preview-summary", classes="preview-summary")
        yield FieldError("allocations")

    def _forma_options(self) -> list[tuple[str, str]]:
        return forma_pago_options(self.lang, [c for c in catalogs.FORMA_PAGO if c != "99"])

    def start(self) -> None:
        self.query_one("#field-exchange_rate").display = False
        self.query_one("#only_document", Checkbox).display = self.document_id is not None
        self.query_one("#preview", DataTable).can_focus = False
        self.run_load()

    def relabel(self) -> None:
        relabel_select(self.query_one("#forma_pago", Select), self._forma_options())
        self.query_one("#only_document", Checkbox).label = self.tr("form.payment.only_document")
        self.query_one("#amount", Input).placeholder = "0.00"
        self.recompute()

    # -- loading ------------------------------------------------------------------------------
    def read(self, session: Any) -> PaymentContext:
        today = self.app.today()
        customer = customer_detail(session, self.customer_id)
        docs = list_documents(session, self.customer_id, only_open=True, limit=MAX_OPEN_DOCUMENTS, as_of=today)
        chosen = None
        if self.document_id is not None:
            chosen = document_detail(session, self.document_id, as_of=today)
            if chosen.customer_id != self.customer_id:
                raise ValueError(f"document #{self.document_id} is not this customer's")
            if chosen.row.status in OPEN_STATUSES and chosen.row.balance > 0 and all(d.id != chosen.row.id for d in docs):
                docs.append(chosen.row)
        totals = {b.currency: b.total for b in customer_balances(session, [self.customer_id], as_of=today)}
        return PaymentContext(customer, tuple(docs), chosen, totals)

    def loaded_data(self, data: PaymentContext) -> None:
        self.context = data
        label = self.query_one("#customer-line", TLabel)
        if data.chosen is not None:
            label.set_key("form.payment.for_document", name=data.customer.name, document=data.chosen.row.reference)
        else:
            label.set_key("form.customer_line", name=data.customer.name)
        if not self._prefilled:
            self._prefilled = True
            currency = data.chosen.row.currency if data.chosen is not None else data.customer.currency
            codes = CURRENCIES if currency in CURRENCIES else (*CURRENCIES, currency)
            set_select(self.query_one("#currency", Select), [(c, c) for c in codes], currency)
            self._currency_state()
            if data.chosen is not None and data.chosen.row.status in OPEN_STATUSES:
                amount = data.chosen.row.balance
            else:
                amount = data.open_by_currency.get(currency, 0)
            fill_loaded(self.query_one("#amount", Input), cents_text(amount) if amount > 0 else "")
        self.recompute()

    # -- preview ------------------------------------------------------------------------------
    @on(Input.Changed, "#amount")
    @on(Checkbox.Changed, "#only_document")
    def _inputs_changed(self) -> None:
        self.recompute()

    @on(Select.Changed, "#currency")
    def _currency_changed(self) -> None:
        self._currency_state()
        self.recompute()

    def _currency_state(self) -> None:
        self.query_one("#field-exchange_rate").display = value_of(self.query_one("#currency", Select), "MXN") != "MXN"

    def recompute(self) -> None:
        table = self.query_one("#preview", DataTable)
        summary = self.query_one("#preview-summary", Static)
        table.clear(columns=True)
        for key, width, justify in (("form.col.document", 14, "left"), ("form.col.due", 12, "left"),
                                    ("form.col.open_balance", 20, "right"), ("form.col.applies", 20, "right"),
                                    ("form.col.remaining", 20, "right")):
            table.add_column(Text(self.tr(key), justify=justify), width=width, key=key)  # type: ignore[arg-type]
        self._plan = []
        if self.context is None:
            summary.update("")
            return
        currency = value_of(self.query_one("#currency", Select), "MXN")
        try:
            amount = parse_cents(self.query_one("#amount", Input).value, currency=currency)
        except BadValue:
            summary.update(literal(self.tr("form.payment.preview_needs_amount")))
            return
        only = self.document_id is not None and self.query_one("#only_document", Checkbox).value
        self._plan, leftover = plan_allocation(amount, self.context.documents, currency, first=self.document_id,
                                               only_first=only)
        for doc, take in self._plan:
            due = Text(self.day(doc.due_date), style="bold" if doc.status == "overdue" else "")
            table.add_row(literal(doc.reference), due,
                          Text(self.money(doc.balance, doc.currency), justify="right"),
                          Text(self.money(take, doc.currency), justify="right", style="bold"),
                          Text(self.money(doc.balance - take, doc.currency), justify="right"),
                          key=str(doc.id))
        applied = amount - leftover
        text = Text(justify="right")
        text.append(self.tr("form.payment.applied", amount=self.money(applied, currency)))
        text.append("\n")
        text.append(self.tr("form.payment.leftover", amount=self.money(leftover, currency)),
                    style="bold" if leftover else "")
        if not self._plan:
            text.append("\n")
            text.append(self.tr("form.payment.nothing_open"))
        summary.update(text)

    def plan(self) -> list[tuple[int, int]]:
        """(document id, centavos) the form would save now."""
        return [(doc.id, take) for doc, take in self._plan]

    # -- saving -------------------------------------------------------------------------------
    def validate(self) -> dict[str, Any]:
        problems = Problems()
        today = self.app.today()
        amount = paid_on = None
        try:
            amount = parse_cents(self.query_one("#amount", Input).value,
                                 currency=value_of(self.query_one("#currency", Select), "MXN"))
        except BadValue as bad:
            problems.add("amount", bad.key, **bad.values)
        try:
            paid_on = parse_day(self.query_one("#paid_on", Input).value, self.lang, today)
            if paid_on > today:
                problems.add("paid_on", "form.err.date_future", value=self.day(paid_on))
        except BadValue as bad:
            problems.add("paid_on", bad.key, **bad.values)
        currency = value_of(self.query_one("#currency", Select), "MXN")
        rate = None
        if currency != "MXN":
            try:
                rate = parse_decimal(self.query_one("#exchange_rate", Input).value, key="form.err.rate_invalid")
                if rate <= 0:
                    raise BadValue("form.err.rate_invalid", value=str(rate))
            except BadValue as bad:
                problems.add("exchange_rate", bad.key, **bad.values)
        reference = self.query_one("#reference", Input).value
        problems.check()
        self.recompute()
        assert amount is not None and paid_on is not None
        return {
            "amount": cents_decimal(amount), "paid_on": paid_on, "currency": currency, "exchange_rate": rate,
            "forma_pago": value_of(self.query_one("#forma_pago", Select), "03"), "reference": reference,
            "allocations": [(doc_id, cents_decimal(cents)) for doc_id, cents in self.plan()],
        }

    def write(self, session: Any, payload: dict[str, Any]) -> int:
        return ledger.record_payment(session, actor=self.app.operator, customer_id=self.customer_id, **payload)

    def save_failed(self, exc: BaseException) -> None:
        if getattr(exc, "field", None) in ("allocations", "amount"):
            self.run_load()  # balances changed under us: refresh the preview (the amount typed stays)


__all__ = ["PaymentForm", "plan_allocation"]
