"""``DocumentForm(customer_id, kind)``: issue an invoice, a sales note or a credit note.

Lines (description, quantity, unit price, IVA %) are edited in place — ctrl+n adds a line, ctrl+r
removes the one being edited — and the amounts, subtotal, IVA and total are recomputed on every
keystroke with ``ledger.compute_totals`` (pure, no database). The due date follows the issue date
plus the customer's payment terms until the operator types one. A credit note lists the
customer's open invoices (same currency) with the amount to credit on each, distributed oldest
due first until the operator edits one; what is not applied stays as the customer's credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Select, Static
from ..widgets.inputs import OrderedInput

from ... import i18n, ledger
from ...domain.errors import DomainError
from ...queries.customers import CustomerDetail, customer_detail
from ...queries.lists import DocumentRow, list_documents
from ..base import literal
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
    forma_pago_options,
    parse_cents,
    parse_day,
    parse_decimal,
    relabel_select,
    set_select,
    value_of,
)

Kind = Literal["invoice", "sales_note", "credit_note"]
KINDS = ("invoice", "sales_note", "credit_note")
MAX_CREDIT_ROWS = 200
DEFAULT_FORMA = {"invoice": "03", "sales_note": "99", "credit_note": "15"}


@dataclass(frozen=True)
class LineValues:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal  # 0.16, not 16


def parse_line(desc: str, qty: str, price: str, tax: str, *, require_description: bool) -> LineValues:
    """The typed line as exact decimals, or ``BadValue`` naming what is wrong."""
    description = desc.strip()
    if require_description and not description:
        raise BadValue("form.err.line_description")
    try:
        quantity = parse_decimal(qty)
    except BadValue as bad:
        raise BadValue("form.err.line_quantity", value=qty.strip()) from bad
    if quantity <= 0:
        raise BadValue("form.err.line_quantity", value=qty.strip())
    try:
        unit_price = parse_decimal(price.replace("$", "").replace(" ", ""), key="form.err.line_price")
    except BadValue as bad:
        raise BadValue("form.err.line_price", value=price.strip()) from bad
    if unit_price < 0:
        raise BadValue("form.err.line_price", value=price.strip())
    try:
        pct = parse_decimal(tax.strip().rstrip("%"))
    except BadValue as bad:
        raise BadValue("form.err.line_tax", value=tax.strip()) from bad
    if not Decimal(0) <= pct <= Decimal(50):
        raise BadValue("form.err.line_tax", value=tax.strip())
    return LineValues(description, quantity, unit_price, pct / 100)


def to_line_input(line: LineValues) -> ledger.LineInput:
    return ledger.LineInput(line.description or "-", line.quantity, line.unit_price, line.tax_rate)


class LineRow(Vertical):
    """One editable line of the document."""

    def __init__(self, serial: int) -> None:
        super().__init__(id=f"line-{serial}", classes="line-row")
        self.serial = serial

    def compose(self) -> ComposeResult:
        s = self.serial
        with Horizontal(classes="line-line"):
            yield Static("", classes="col-n line-number")
            yield OrderedInput(id=f"line-{s}-desc", classes="col-desc", compact=True, max_length=1000)
            yield OrderedInput("1", id=f"line-{s}-qty", classes="col-qty", compact=True, max_length=20)
            yield OrderedInput(id=f"line-{s}-price", classes="col-price", compact=True, max_length=24)
            yield OrderedInput("16", id=f"line-{s}-tax", classes="col-tax", compact=True, max_length=6)
            yield Static("", id=f"line-{s}-amount", classes="col-amount")
        yield FieldError(f"line-{s}")

    def raw(self) -> tuple[str, str, str, str]:
        s = self.serial
        return tuple(self.query_one(f"#line-{s}-{p}", Input).value for p in ("desc", "qty", "price", "tax"))  # type: ignore[return-value]

    def is_blank(self) -> bool:
        desc, _qty, price, _tax = self.raw()
        return not desc.strip() and not price.strip()


class CreditRow(Vertical):
    """An open invoice and how much of the credit note goes to it."""

    def __init__(self, doc: DocumentRow) -> None:
        super().__init__(id=f"credit-{doc.id}", classes="credit-row")
        self.doc = doc

    def compose(self) -> ComposeResult:
        d = self.doc
        lang = self.app.lang
        with Horizontal(classes="credit-line"):
            yield Static(literal(d.reference), classes="col-ref")
            yield Static(i18n.fmt_date(d.issue_date, lang), classes="col-date credit-issue")
            yield Static(i18n.fmt_date(d.due_date, lang), classes="col-date credit-due")
            yield Static(i18n.fmt_money(d.balance, d.currency, lang), classes="col-money credit-balance")
            yield OrderedInput(id=f"credit-{d.id}-amount", classes="col-credit", compact=True, max_length=24)
        yield FieldError(f"credit-{d.id}")

    def relabel(self, lang: str) -> None:
        d = self.doc
        self.query_one(".credit-issue", Static).update(i18n.fmt_date(d.issue_date, lang))
        self.query_one(".credit-due", Static).update(i18n.fmt_date(d.due_date, lang))
        self.query_one(".credit-balance", Static).update(i18n.fmt_money(d.balance, d.currency, lang))

    @property
    def amount_input(self) -> Input:
        return self.query_one(f"#credit-{self.doc.id}-amount", Input)


class DocumentForm(FormModal):
    AUTO_FOCUS = "#line-1-desc"
    BINDINGS = [
        Binding("ctrl+n", "add_line", "form.key.add_line", id="form_add_line"),
        Binding("ctrl+r", "remove_line", "form.key.remove_line", id="form_remove_line"),
    ]
    FIELD_ALIASES = {"amount": "allocations", "allocation_amount": "allocations", "exchange_rate": "exchange_rate",
                     "customer": "form", "kind": "form", "cfdi_uuid": "form", "folio": "form", "series": "form",
                     "description": "form"}

    def __init__(self, customer_id: int, kind: Kind) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        super().__init__()
        self.customer_id = customer_id
        self.kind: Kind = kind
        self.customer: CustomerDetail | None = None
        self.open_invoices: list[DocumentRow] = []
        self._serials = 0
        self._auto_due = ""
        self._auto_credit: dict[int, str] = {}
        self._credit_touched = False
        self._total_cents: int | None = 0

    # -- layout -------------------------------------------------------------------------------
    def form_title(self) -> tuple[str]:
        return (f"form.document.title.{self.kind}",)

    def compose_body(self) -> ComposeResult:
        today = self.app.today()
        yield TLabel("form.customer_line", id="customer-line", classes="muted", name="…")
        with VerticalScroll(classes="form-body"):
            with Vertical(classes="field-grid"):
                yield field_row("issue_date", "form.field.issue_date",
                                OrderedInput(self.day(today), id="issue_date", compact=True, max_length=20))
                if self.kind != "credit_note":
                    yield field_row("due_date", "form.field.due_date",
                                    OrderedInput("", id="due_date", compact=True, max_length=20))
                if self.kind == "invoice":
                    yield field_row("metodo_pago", "form.field.metodo_pago",
                                    Select([("PPD", "PPD")], id="metodo_pago", allow_blank=False, compact=True))
                yield field_row("forma_pago", "form.field.forma_pago",
                                Select([("99", "99")], id="forma_pago", allow_blank=False, compact=True))
                yield field_row("currency", "form.field.currency",
                                Select([(c, c) for c in CURRENCIES], id="currency", allow_blank=False, compact=True))
                yield field_row("exchange_rate", "form.field.exchange_rate",
                                OrderedInput("", id="exchange_rate", compact=True, max_length=20))
            yield TLabel("form.document.lines", classes="section-title")
            with Horizontal(classes="lines-head"):
                yield TLabel("form.col.n", classes="col-n")
                yield TLabel("form.col.description", classes="col-desc")
                yield TLabel("form.col.quantity", classes="col-qty")
                yield TLabel("form.col.unit_price", classes="col-price")
                yield TLabel("form.col.tax", classes="col-tax")
                yield TLabel("form.col.amount", classes="col-amount")
            with Vertical(id="lines"):
                yield self._new_line()
            yield FieldError("lines", focus="#lines")
            yield TLabel("form.document.line_keys", classes="line-tools")
            yield Static("", id="totals", classes="totals")
            if self.kind == "credit_note":
                yield TLabel("form.credit.applies_to", classes="section-title")
                with Horizontal(classes="credit-head"):
                    yield TLabel("form.col.document", classes="col-ref")
                    yield TLabel("form.col.issued", classes="col-date")
                    yield TLabel("form.col.due", classes="col-date")
                    yield TLabel("form.col.open_balance", classes="col-money")
                    yield TLabel("form.col.credit", classes="col-credit")
                yield Vertical(id="credits")
                yield TLabel("form.credit.none_open", id="credits-empty", classes="muted")
                yield Static("", id="credit-summary", classes="credit-summary")
                yield FieldError("allocations", focus="#credits")

    def _new_line(self) -> LineRow:
        self._serials += 1
        return LineRow(self._serials)

    def line_rows(self) -> list[LineRow]:
        return list(self.query_one("#lines").query_children(LineRow))

    def credit_rows(self) -> list[CreditRow]:
        if self.kind != "credit_note":
            return []
        return [row for row in self.query_one("#credits").query_children(CreditRow) if row.display]

    def start(self) -> None:
        self.query_one("#field-exchange_rate").display = False
        if self.kind == "credit_note":
            self.query_one("#credits-empty").display = False
        self._renumber()
        self.run_load()

    def relabel(self) -> None:
        if self.kind == "invoice":
            relabel_select(self.query_one("#metodo_pago", Select), self._metodo_options())
        relabel_select(self.query_one("#forma_pago", Select), self._forma_options())
        for row in self.query(CreditRow):
            row.relabel(self.lang)
        self.query_one(f"#line-{self.line_rows()[0].serial}-desc", Input).placeholder = self.tr("form.document.desc_placeholder")
        self.recompute()

    def _metodo_options(self) -> list[tuple[str, str]]:
        return [(f"{m} {self.tr(f'metodo_pago.{m}')}", m) for m in ("PUE", "PPD")]

    def _forma_options(self) -> list[tuple[str, str]]:
        if self.kind == "invoice":
            metodo = value_of(self.query_one("#metodo_pago", Select), "PPD")
            if metodo == "PPD":
                return forma_pago_options(self.lang, ["99"])
            return forma_pago_options(self.lang, [c for c in ledger_forma_codes() if c != "99"])
        if self.kind == "credit_note":
            return forma_pago_options(self.lang, [c for c in ledger_forma_codes() if c != "99"])
        return forma_pago_options(self.lang)

    # -- loading ------------------------------------------------------------------------------
    def read(self, session: Any) -> tuple[CustomerDetail, list[DocumentRow]]:
        detail = customer_detail(session, self.customer_id)
        invoices: list[DocumentRow] = []
        if self.kind == "credit_note":
            invoices = list_documents(session, self.customer_id, kinds=("invoice",), only_open=True,
                                      limit=MAX_CREDIT_ROWS, as_of=self.app.today())
            invoices.sort(key=lambda d: (d.due_date, d.issue_date, d.id))
        return detail, invoices

    async def loaded_data(self, data: tuple[CustomerDetail, list[DocumentRow]]) -> None:
        self.customer, self.open_invoices = data
        c = self.customer
        self.query_one("#customer-line", TLabel).set_key("form.customer_line", name=c.name)
        codes = CURRENCIES if c.currency in CURRENCIES else (*CURRENCIES, c.currency)
        set_select(self.query_one("#currency", Select), [(x, x) for x in codes], c.currency)
        if self.kind == "invoice":
            set_select(self.query_one("#metodo_pago", Select), self._metodo_options(),
                       "PPD" if c.payment_terms_days > 0 else "PUE")
        self._reset_forma()
        self._currency_changed_state()
        if self.kind != "credit_note":
            self._update_auto_due()
        else:
            await self.query_one("#credits").mount_all([CreditRow(d) for d in self.open_invoices])
            self._filter_credit_rows()
        self.recompute()

    def _reset_forma(self) -> None:
        forma = self.query_one("#forma_pago", Select)
        options = self._forma_options()
        wanted = DEFAULT_FORMA[self.kind]
        codes = [v for _, v in options]
        set_select(forma, options, wanted if wanted in codes else codes[0])
        forma.disabled = len(options) == 1

    # -- reactions ----------------------------------------------------------------------------
    @on(Select.Changed, "#metodo_pago")
    def _metodo_changed(self) -> None:
        self._reset_forma()

    @on(Select.Changed, "#currency")
    def _currency_changed(self) -> None:
        self._currency_changed_state()
        self._filter_credit_rows()
        self.recompute()

    def _currency_changed_state(self) -> None:
        currency = value_of(self.query_one("#currency", Select), "MXN")
        self.query_one("#field-exchange_rate").display = currency != "MXN"

    def _filter_credit_rows(self) -> None:
        if self.kind != "credit_note":
            return
        currency = value_of(self.query_one("#currency", Select), "MXN")
        any_shown = False
        for row in self.query(CreditRow):
            row.display = row.doc.currency == currency
            any_shown = any_shown or row.display
        self.query_one("#credits-empty").display = not any_shown

    @on(Input.Changed, "#issue_date")
    def _issue_changed(self) -> None:
        if self.kind != "credit_note":
            self._update_auto_due()

    def _update_auto_due(self) -> None:
        if self.customer is None:
            return
        due = self.query_one("#due_date", Input)
        if due.value and due.value != self._auto_due:
            return  # typed by the operator: leave it
        try:
            issued = parse_day(self.query_one("#issue_date", Input).value, self.lang, self.app.today())
        except BadValue:
            return
        self._auto_due = self.day(issued + timedelta(days=self.customer.payment_terms_days))
        due.value = self._auto_due

    @on(Input.Changed)
    def _any_changed(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        if input_id.startswith("credit-"):
            doc_id = int(input_id.split("-")[1])
            if event.value != self._auto_credit.get(doc_id):
                self._credit_touched = True
            self._credit_summary()
        elif input_id.startswith("line-"):
            self.recompute()

    async def action_add_line(self) -> None:
        row = self._new_line()
        await self.query_one("#lines").mount(row)
        self._focus_line(row)

    def _focus_line(self, row: LineRow) -> None:
        self._renumber()
        row.query_one(f"#line-{row.serial}-desc", Input).focus()
        row.scroll_visible()
        self.recompute()

    async def action_remove_line(self) -> None:
        rows = self.line_rows()
        if len(rows) <= 1:
            return
        focused = self.focused
        target = rows[-1]
        for row in rows:
            if focused is not None and (focused is row or row in focused.ancestors):
                target = row
                break
        index = rows.index(target)
        await target.remove()
        rest = [r for r in rows if r is not target]
        self._focus_line(rest[min(index, len(rest) - 1)])

    def _renumber(self) -> None:
        for n, row in enumerate(self.line_rows(), start=1):
            row.query_one(".line-number", Static).update(f"{n}")

    # -- totals -------------------------------------------------------------------------------
    def recompute(self) -> None:
        """Amounts per line and totals from what is typed now (nothing is saved)."""
        if not self.is_mounted:
            return
        inputs: list[ledger.LineInput] = []
        shown: list[tuple[LineRow, int]] = []
        ok = True
        for row in self.line_rows():
            amount = self.query_one(f"#line-{row.serial}-amount", Static)
            if row.is_blank():
                amount.update("")
                continue
            try:
                line = parse_line(*row.raw(), require_description=False)
            except BadValue:
                amount.update("—")
                ok = False
                continue
            shown.append((row, len(inputs)))
            inputs.append(to_line_input(line))
        currency = value_of(self.query_one("#currency", Select), "MXN")
        computed: list[Any] = []
        totals = ledger.Totals(0, 0, 0)
        if inputs:
            try:
                computed, totals = ledger.compute_totals(inputs)
            except DomainError:
                ok = False
        for row, index in shown:
            text = self.amount(computed[index].amount_cents) if index < len(computed) else "—"
            self.query_one(f"#line-{row.serial}-amount", Static).update(text)
        self._total_cents = totals.total_cents if ok else None
        width = 22

        def money(cents: int) -> str:
            return (self.money(cents, currency) if ok else "—").rjust(width)

        body = Text(justify="right")
        body.append(f"{self.tr('ui.subtotal')}  {money(totals.subtotal_cents)}\n")
        body.append(f"{self.tr('form.iva')}  {money(totals.tax_cents)}\n")
        body.append(f"{self.tr('ui.total')}  ", style="bold")
        body.append(money(totals.total_cents), style="bold")
        self.query_one("#totals", Static).update(body)
        if self.kind == "credit_note":
            if not self._credit_touched:
                self._distribute()
            self._credit_summary()

    def _distribute(self) -> None:
        """Spread the credit note's total over the open invoices, oldest due first."""
        remaining = self._total_cents or 0
        for row in self.credit_rows():
            take = min(remaining, row.doc.balance)
            remaining -= take
            text = cents_text(take) if take else ""
            self._auto_credit[row.doc.id] = text
            if row.amount_input.value != text:
                row.amount_input.value = text

    def _credit_summary(self) -> None:
        currency = value_of(self.query_one("#currency", Select), "MXN")
        applied = 0
        for row in self.credit_rows():
            try:
                applied += (parse_cents(row.amount_input.value, allow_zero=True, currency=currency)
                            if row.amount_input.value.strip() else 0)
            except BadValue:
                self.query_one("#credit-summary", Static).update("")
                return
        total = self._total_cents
        if total is None:
            self.query_one("#credit-summary", Static).update("")
            return
        text = Text(justify="right")
        text.append(self.tr("form.credit.applied", amount=self.money(applied, currency)))
        text.append("\n")
        if applied > total:
            text.append(self.tr("form.credit.exceeds", amount=self.money(applied - total, currency)), style="bold")
        else:
            text.append(self.tr("form.credit.remainder", amount=self.money(total - applied, currency)))
        self.query_one("#credit-summary", Static).update(text)

    # -- saving -------------------------------------------------------------------------------
    def validate(self) -> dict[str, Any]:
        problems = Problems()
        today = self.app.today()
        issued = due = None
        try:
            issued = parse_day(self.query_one("#issue_date", Input).value, self.lang, today)
        except BadValue as bad:
            problems.add("issue_date", bad.key, **bad.values)
        if self.kind != "credit_note":
            try:
                due = parse_day(self.query_one("#due_date", Input).value, self.lang, today)
            except BadValue as bad:
                problems.add("due_date", bad.key, **bad.values)
            if issued and due and due < issued:
                problems.add("due_date", "form.err.due_before_issue")
        currency = value_of(self.query_one("#currency", Select), "MXN")
        rate = None
        if currency != "MXN":
            try:
                rate = parse_decimal(self.query_one("#exchange_rate", Input).value, key="form.err.rate_invalid")
                if rate <= 0:
                    raise BadValue("form.err.rate_invalid", value=str(rate))
            except BadValue as bad:
                problems.add("exchange_rate", bad.key, **bad.values)
        lines: list[ledger.LineInput] = []
        for n, row in enumerate(self.line_rows(), start=1):
            if row.is_blank() and len(self.line_rows()) > 1:
                continue
            try:
                lines.append(to_line_input(parse_line(*row.raw(), require_description=True)))
            except BadValue as bad:
                problems.add(f"line-{row.serial}", bad.key, n=n, **bad.values)
        if not lines and not any(k.startswith("line-") for k in problems.errors):
            problems.add("lines", "form.err.no_lines")
        total = None
        if lines and not any(k.startswith("line-") for k in problems.errors):
            try:
                total = ledger.compute_totals(lines)[1].total_cents
            except DomainError as exc:
                problems.add("lines", "form.err.refused", detail=str(exc))
            if total is not None and total <= 0:
                problems.add("lines", "form.err.total_positive")
        applies: list[tuple[int, Decimal]] = []
        if self.kind == "credit_note":
            applied = 0
            for row in self.credit_rows():
                raw = row.amount_input.value
                if not raw.strip():
                    continue
                try:
                    cents = parse_cents(raw, allow_zero=True,
                                        currency=value_of(self.query_one("#currency", Select), "MXN"))
                except BadValue as bad:
                    problems.add(f"credit-{row.doc.id}", bad.key, **bad.values)
                    continue
                if cents > row.doc.balance:
                    problems.add(f"credit-{row.doc.id}", "form.err.credit_over_balance", document=row.doc.reference,
                                 balance=self.money(row.doc.balance, row.doc.currency))
                    continue
                if cents:
                    applies.append((row.doc.id, cents_decimal(cents)))
                    applied += cents
            if total is not None and applied > total:
                problems.add("allocations", "form.err.credit_over_total", applied=self.money(applied, currency),
                             total=self.money(total, currency))
        problems.check()
        payload: dict[str, Any] = {
            "lines": lines, "issue_date": issued, "currency": currency, "exchange_rate": rate,
            "forma_pago": value_of(self.query_one("#forma_pago", Select), DEFAULT_FORMA[self.kind]),
        }
        if self.kind == "credit_note":
            payload["applies_to"] = applies or None
        else:
            payload["due_date"] = due
        if self.kind == "invoice":
            payload["metodo_pago"] = value_of(self.query_one("#metodo_pago", Select), "PPD")
        return payload

    def write(self, session: Any, payload: dict[str, Any]) -> int:
        actor = self.app.operator
        if self.kind == "credit_note":
            return ledger.issue_credit_note(session, actor=actor, customer_id=self.customer_id, **payload)
        return ledger.issue_document(session, actor=actor, customer_id=self.customer_id, kind=self.kind, **payload)


def ledger_forma_codes() -> list[str]:
    from ...domain.catalogs import FORMA_PAGO

    return list(FORMA_PAGO)


__all__ = ["CreditRow", "DocumentForm", "LineRow", "parse_line"]
