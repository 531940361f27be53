"""``ContractForm(customer_id, contract_id=None)``: create or edit a contract; dismisses with its id.

Every field is checked as it is typed: a bad amount, date or billing day says what is wrong right
under the field, and nothing is saved while any field is wrong. The next billing dates are
previewed as the schedule fields change (computed by ``domain.schedule``, no database). When the
contract already has invoices its frequency, start, billing day and currency are locked (they
define which periods were billed). The ledger re-validates on save; its refusals show next to the
field they are about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Select, Static

from ... import i18n
from ...domain import schedule
from ...domain.errors import DomainError
from ..widgets.checkbox import StateCheckbox
from ..widgets.inputs import OrderedInput
from ._form import (
    CURRENCIES,
    BadValue,
    FormInvalid,
    FormModal,
    Message,
    TLabel,
    cents_text,
    field_row,
    fill_loaded,
    forma_pago_options,
    parse_cents,
    relabel_select,
    set_select,
    value_of,
)

PREVIEW = 6
DD_FORMAS = ("04", "28", "03")
SCHEDULE_FIELDS = ("frequency", "start_date", "billing_day", "currency")
TEXT_FIELDS = ("description", "amount", "tax_rate", "start_date", "billing_day", "end_date", "periods",
               "payment_terms_days", "dd_reference")


@dataclass(frozen=True)
class FormContext:
    customer_name: str
    customer_currency: str
    customer_terms: int
    contract: Any | None  # queries.billing.ContractInfo
    invoices: int
    billed: frozenset[date] = frozenset()  # period starts already invoiced
    holds: tuple[Any, ...] = ()  # queries.billing.Hold: paused / ended spans


@dataclass(frozen=True)
class ContractInput:
    description: str
    amount: Decimal
    tax_rate: str
    currency: str
    frequency: str
    start_date: date
    billing_day: int | None
    end_date: date | None
    periods: int | None
    payment_terms_days: int | None
    metodo_pago: str
    direct_debit: bool
    dd_forma_pago: str
    dd_reference: str | None  # None: keep the stored (masked) reference


class ContractForm(FormModal):
    """All of a contract's terms; ctrl+s saves, Escape cancels."""

    AUTO_FOCUS = "#description"
    FIELD_ALIASES = {"start": "start_date", "end": "end_date", "count": "periods", "reference": "dd_reference",
                     "on": "form", "status": "form", "contract": "form", "customer": "form"}

    def __init__(self, customer_id: int, contract_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.contract_id = contract_id
        self.context: FormContext | None = None

    # -- layout -------------------------------------------------------------------------------
    def form_title(self) -> tuple[str]:
        return ("contracts.new_title",) if self.contract_id is None else ("contracts.edit_title",)

    def on_mount(self) -> None:  # title with the contract number (TLabel takes values)
        if self.contract_id is not None:
            self.query_one("#form-title", TLabel).set_key("contracts.edit_title", id=self.contract_id)

    def compose_body(self) -> ComposeResult:
        yield TLabel("contracts.form.customer", id="customer-line", classes="muted", name="…")
        with VerticalScroll(classes="form-body"):
            yield field_row("description", "contracts.form.description",
                            OrderedInput(id="description", compact=True, max_length=500))
            with Vertical(classes="field-grid"):
                yield field_row("amount", "contracts.amount_before_tax", OrderedInput(id="amount", compact=True, max_length=24))
                yield field_row("tax_rate", "contracts.tax_rate", OrderedInput("0.16", id="tax_rate", compact=True, max_length=10))
                yield field_row("frequency", "ui.frequency",
                                Select(self._frequency_options(), id="frequency", value="monthly", allow_blank=False,
                                       compact=True))
                yield field_row("currency", "ui.currency",
                                Select([(c, c) for c in CURRENCIES], id="currency", value="MXN", allow_blank=False,
                                       compact=True))
                yield field_row("start_date", "ui.start_date",
                                OrderedInput(self.day(self.app.today()), id="start_date", compact=True, max_length=20))
                yield field_row("billing_day", "ui.billing_day", OrderedInput(id="billing_day", compact=True, max_length=2))
                yield field_row("end_date", "ui.end_date", OrderedInput(id="end_date", compact=True, max_length=20))
                yield field_row("periods", "contracts.periods", OrderedInput(id="periods", compact=True, max_length=5))
                yield field_row("payment_terms_days", "ui.payment_terms",
                                OrderedInput(id="payment_terms_days", compact=True, max_length=3))
                yield field_row("metodo_pago", "ui.metodo_pago",
                                Select(self._metodo_options(), id="metodo_pago", value="PPD", allow_blank=False,
                                       compact=True))
                yield field_row("direct_debit", "ui.direct_debit", StateCheckbox(id="direct_debit", words=True, compact=True))
                yield field_row("dd_forma_pago", "contracts.dd_forma",
                                Select(forma_pago_options(self.app.lang, DD_FORMAS), id="dd_forma_pago", value="04",
                                       allow_blank=False, compact=True))
            yield field_row("dd_reference", "contracts.dd_reference", OrderedInput(id="dd_reference", compact=True, max_length=40))
            yield TLabel("contracts.form.locked", id="locked-note", classes="field-warning")
            yield TLabel("contracts.form.preview", classes="section-title")
            yield Static("", id="preview")

    def _frequency_options(self) -> list[tuple[str, str]]:
        return [(i18n.t(f"freq.{f}", self.app.lang), f) for f in schedule.FREQUENCIES]

    def _metodo_options(self) -> list[tuple[str, str]]:
        return [(f"{m} — {i18n.t(f'metodo_pago.{m}', self.app.lang)}", m) for m in ("PPD", "PUE")]

    def relabel(self) -> None:
        relabel_select(self.query_one("#frequency", Select), self._frequency_options())
        relabel_select(self.query_one("#metodo_pago", Select), self._metodo_options())
        relabel_select(self.query_one("#dd_forma_pago", Select), forma_pago_options(self.app.lang, DD_FORMAS))
        placeholders = {
            "description": "contracts.form.description_placeholder", "amount": "contracts.form.amount_placeholder",
            "start_date": "contracts.form.start_placeholder", "end_date": "contracts.form.optional",
            "billing_day": "contracts.form.billing_day_placeholder", "periods": "contracts.form.optional",
            "payment_terms_days": "contracts.form.terms_placeholder",
            "dd_reference": "contracts.form.reference_placeholder",
        }
        for name, key in placeholders.items():
            self.query_one(f"#{name}", Input).placeholder = self.tr(key)
        self.query_one("#locked-note").display = bool(self.context and self.context.invoices)
        self._direct_debit_state()
        self._billing_day_state()
        self.update_preview()

    # -- loading ------------------------------------------------------------------------------
    def read(self, session: Any) -> FormContext:
        from ...queries import billing as q
        from ...queries.customers import customer_detail

        customer = customer_detail(session, self.customer_id)
        if self.contract_id is None:
            return FormContext(customer.name, customer.currency, customer.payment_terms_days, None, 0)
        contract = q.contract_info(session, self.contract_id)
        billed = q.billed_starts(session, [self.contract_id])[self.contract_id]
        holds = q.effective_holds(contract, q.holds_of(session, [self.contract_id])[self.contract_id])
        return FormContext(customer.name, customer.currency, customer.payment_terms_days, contract, len(billed),
                           frozenset(billed), tuple(holds))

    def loaded_data(self, data: FormContext) -> None:
        self.context = data
        self.query_one("#customer-line", TLabel).set_key("contracts.form.customer", name=data.customer_name)
        c = data.contract
        if c is None:
            if data.customer_currency in CURRENCIES:
                set_select(self.query_one("#currency", Select), [(x, x) for x in CURRENCIES], data.customer_currency)
        else:
            self._fill(c)
            if data.invoices:
                for name in SCHEDULE_FIELDS:
                    self.query_one(f"#{name}").disabled = True
        self.relabel()
        # The currency read from the database is set without Select.Changed: an amount typed
        # while the form was loading was checked against the default one.
        self._recheck_amount()

    def _fill(self, c: Any) -> None:
        values = {
            "description": c.description, "amount": cents_text(c.amount), "tax_rate": c.tax_rate,
            "start_date": self.day(c.start_date), "billing_day": str(c.billing_day or ""),
            "end_date": self.day(c.end_date) if c.end_date else "", "periods": str(c.periods or ""),
            "payment_terms_days": "" if c.payment_terms_days is None else str(c.payment_terms_days),
            "dd_reference": c.dd_reference,
        }
        for name, value in values.items():
            widget = self.query_one(f"#{name}", Input)
            with widget.prevent(Input.Changed):
                fill_loaded(widget, value)
        set_select(self.query_one("#frequency", Select), self._frequency_options(), c.frequency)
        set_select(self.query_one("#currency", Select), [(x, x) for x in CURRENCIES], c.currency)
        set_select(self.query_one("#metodo_pago", Select), self._metodo_options(), c.metodo_pago)
        if c.dd_forma_pago:
            set_select(self.query_one("#dd_forma_pago", Select), forma_pago_options(self.app.lang, DD_FORMAS),
                       c.dd_forma_pago)
        box = self.query_one("#direct_debit", Checkbox)
        with box.prevent(Checkbox.Changed):
            box.value = c.direct_debit

    # -- reading the fields --------------------------------------------------------------------
    def _text(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def parse_field(self, name: str) -> Any:
        """One field's value, or ``BadValue`` with what is wrong (event loop, no database)."""
        text = self._text(name) if name in TEXT_FIELDS else ""
        lang, today = self.app.lang, self.app.today()
        if name == "description":
            if len(text) > 500:
                raise BadValue("contracts.err.description")
            return text
        if name == "amount":
            try:
                return Decimal(parse_cents(text, currency=str(self.query_one("#currency", Select).value))) / 100
            except BadValue as bad:
                # Too many decimals, another currency, too large: say so, as the payment and
                # invoice forms do; only an unreadable or empty amount gets the general example.
                if bad.key in ("form.err.amount_invalid", "form.err.required"):
                    raise BadValue("contracts.err.amount") from None
                raise
        if name == "tax_rate":
            try:
                rate = Decimal(text.replace(",", ".") or "x")
            except Exception:  # noqa: BLE001 - any unparseable text
                raise BadValue("contracts.err.tax_rate") from None
            if not rate.is_finite() or not Decimal(0) <= rate <= Decimal("0.5"):
                raise BadValue("contracts.err.tax_rate")
            return str(rate)
        if name in ("start_date", "end_date"):
            if not text:
                if name == "start_date":
                    raise BadValue("contracts.err.date_required")
                return None
            try:
                day = i18n.parse_date(text, lang, today=today)
            except DomainError:
                raise BadValue("contracts.err.date") from None
            if not 1990 <= day.year <= 2100:
                raise BadValue("contracts.err.date")
            return day
        if name == "billing_day" and not schedule.uses_billing_day(self._frequency()):
            return None  # weekly / biweekly bill on the start date's weekday (the field is hidden)
        if name in ("billing_day", "periods", "payment_terms_days"):
            if not text:
                return None
            key = {"billing_day": "contracts.err.billing_day", "periods": "contracts.err.periods",
                   "payment_terms_days": "contracts.err.terms"}[name]
            if not text.isdigit():
                raise BadValue(key)
            n = int(text)
            if (name == "billing_day" and not 1 <= n <= 31) or (name == "periods" and n < 1) or (
                    name == "payment_terms_days" and n > 365):
                raise BadValue(key)
            return n
        if name == "dd_reference":
            return text
        raise KeyError(name)

    def _check(self, name: str, problems: dict[str, Message]) -> Any:
        try:
            return self.parse_field(name)
        except BadValue as bad:
            problems[name] = (bad.key, bad.values)
            return None

    def _collect(self) -> tuple[dict[str, Any], dict[str, Message]]:
        problems: dict[str, Message] = {}
        values = {name: self._check(name, problems) for name in TEXT_FIELDS}
        start, end = values["start_date"], values["end_date"]
        if start is not None and end is not None and end < start:
            problems["end_date"] = ("contracts.err.end_before_start", {})
        return values, problems

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        if name not in TEXT_FIELDS:
            return
        event.stop()
        self._recheck(name)

    def _recheck(self, name: str) -> None:
        """Check one field and show (or clear) its message, as typing in it does."""
        problems: dict[str, Message] = {}
        self._check(name, problems)
        self.field_error(name).show(problems.get(name))
        if name in ("start_date", "end_date") and name not in problems:
            # The end date is also wrong when it falls before the start.
            _, everything = self._collect()
            self.field_error("end_date").show(everything.get("end_date"))
        if name in ("start_date", "end_date", "billing_day", "periods"):
            self.update_preview()

    @on(Select.Changed, "#currency")
    def _currency_changed(self) -> None:
        self._recheck_amount()

    def _recheck_amount(self) -> None:
        """Whether the amount is valid depends on the currency ("2500 USD" is refused in MXN and
        accepted in USD): when the currency changes it is checked again, as typing does. Not an
        amount nobody has typed yet: an empty field gets "required" only once it was touched."""
        if self._text("amount") or self.field_error("amount").message is not None:
            self._recheck("amount")

    @on(Select.Changed, "#frequency")
    def _frequency_changed(self) -> None:
        self._billing_day_state()
        self.update_preview()

    def _frequency(self) -> str:
        return str(value_of(self.query_one("#frequency", Select), "monthly"))

    def _billing_day_state(self) -> None:
        """The billing day only for monthly and longer frequencies: weekly/biweekly contracts bill on
        the start date's weekday, and a day typed there was saved, shown, and ignored."""
        shown = schedule.uses_billing_day(self._frequency())
        self.query_one("#field-billing_day").display = shown
        if not shown:
            self.field_error("billing_day").show(None)

    @on(Checkbox.Changed, "#direct_debit")
    def _dd_changed(self) -> None:
        self._direct_debit_state()

    def _direct_debit_state(self) -> None:
        on_ = self.query_one("#direct_debit", Checkbox).value
        self.query_one("#dd_forma_pago", Select).disabled = not on_
        self.query_one("#dd_reference", Input).disabled = not on_

    # -- preview ------------------------------------------------------------------------------
    def preview_dates(self) -> tuple[int, list[date]] | None:
        """(periods due by today and not invoiced yet, the next billing dates after today), or None
        when the schedule fields are not valid yet. Periods already invoiced or falling in a
        pause are left out."""
        from ...queries.billing import is_held

        values, problems = self._collect()
        if any(k in problems for k in ("start_date", "end_date", "billing_day", "periods")):
            return None
        frequency = value_of(self.query_one("#frequency", Select), "monthly")
        today = self.app.today()
        try:
            periods = schedule.periods(values["start_date"], frequency, billing_day=values["billing_day"],
                                       end=values["end_date"], count=values["periods"])
            due = 0
            upcoming: list[date] = []
            billed = self.context.billed if self.context else frozenset()
            holds = self.context.holds if self.context else ()
            forever = min((h.start_on for h in holds if h.end_on is None), default=None)
            for n, p in enumerate(periods):
                if n > 20_000 or (forever is not None and p.billing_date >= forever):
                    break
                if p.start in billed or is_held(p.billing_date, holds):
                    continue
                if p.billing_date <= today:
                    due += 1
                else:
                    upcoming.append(p.billing_date)
                if len(upcoming) >= PREVIEW:
                    break
        except DomainError:
            return None
        return due, upcoming

    def update_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        found = self.preview_dates()
        if found is None:
            preview.update(Text(self.tr("contracts.form.preview_invalid"), style="dim"))
            return
        due, upcoming = found
        text = Text()
        if due:
            text.append(i18n.tn("contracts.form.preview_due", due, self.app.lang) + "\n", style="bold")
        if upcoming:
            text.append("  ".join(self.day(d) for d in upcoming))
        elif not due:
            text.append(self.tr("contracts.form.preview_none"), style="dim")
        preview.update(text)

    @property
    def preview_text(self) -> str:
        return str(self.query_one("#preview", Static).render())

    # -- saving -------------------------------------------------------------------------------
    def validate(self) -> ContractInput:
        values, problems = self._collect()
        if values["amount"] is None and "amount" not in problems:
            problems["amount"] = ("contracts.err.amount", {})
        if problems:
            problems.setdefault("form", ("contracts.form.fix_errors", {}))
            raise FormInvalid(problems)
        direct_debit = self.query_one("#direct_debit", Checkbox).value
        reference: str | None = values["dd_reference"]
        c = self.context.contract if self.context else None
        if c is not None and reference == c.dd_reference:
            reference = None  # untouched: keep the stored masked reference
        return ContractInput(
            description=values["description"], amount=values["amount"], tax_rate=values["tax_rate"],
            currency=value_of(self.query_one("#currency", Select), "MXN"),
            frequency=value_of(self.query_one("#frequency", Select), "monthly"), start_date=values["start_date"],
            billing_day=values["billing_day"], end_date=values["end_date"], periods=values["periods"],
            payment_terms_days=values["payment_terms_days"],
            metodo_pago=value_of(self.query_one("#metodo_pago", Select), "PPD"), direct_debit=direct_debit,
            dd_forma_pago=value_of(self.query_one("#dd_forma_pago", Select), "04") if direct_debit else "",
            dd_reference=reference if direct_debit else "",
        )

    def write(self, session: Any, payload: ContractInput) -> int:
        from ... import ledger
        from ...ledger import billing

        fields = {
            "description": payload.description, "amount": payload.amount, "tax_rate": payload.tax_rate,
            "currency": payload.currency, "frequency": payload.frequency, "start_date": payload.start_date,
            "billing_day": payload.billing_day, "end_date": payload.end_date, "periods": payload.periods,
            "payment_terms_days": payload.payment_terms_days, "metodo_pago": payload.metodo_pago,
            "direct_debit": payload.direct_debit, "dd_forma_pago": payload.dd_forma_pago,
        }
        if self.contract_id is None:
            return ledger.create_contract(session, actor=self.app.operator, customer_id=self.customer_id,
                                          dd_reference=payload.dd_reference or "", **fields)
        c = self.context.contract if self.context else None
        if c is not None and self.context and self.context.invoices:
            for name in SCHEDULE_FIELDS:  # locked: never sent, so never refused
                fields.pop(name, None)
        if payload.dd_reference is not None:
            fields["dd_reference"] = payload.dd_reference
        billing.update_contract(session, actor=self.app.operator, contract_id=self.contract_id,
                                expected_version=c.version if c is not None else None, **fields)
        return self.contract_id

    def saved(self, result: Any) -> None:
        self.app.notify(self.tr("contracts.saved", id=result), timeout=3)
        self.dismiss(result)
