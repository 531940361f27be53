"""``ContractScreen(contract_id)``: one contract and everything it billed.

Top: the terms (amount, tax, total per period, frequency, dates, billing day, payment terms, PUE/PPD,
direct-debit data, status and its reason) and the schedule of the next periods to bill (skipping
paused ones). Below: the invoices it generated (status and open balance) and its direct-debit
charges (pending / confirmed / rejected). Both lists are ``VirtualTable``s paged by SQL.

Keys: ``e`` edit, ``p`` pause, ``r`` resume, ``x`` end (each with a reason), ``b`` bill now (this
contract, up to the business date), ``c`` confirm / ``j`` reject the highlighted pending charge,
Escape back. Every action runs the ledger in a thread worker and reloads the screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from ... import i18n
from ...domain import schedule
from ..base import BaseScreen, literal
from ..dialogs._form import FormInvalid, FormModal, TLabel, field_row
from ..widgets import Column, VirtualTable
from ..widgets.footer import ArtermFooter
from ..widgets.inputs import OrderedInput
from ..widgets.virtual_table import _fit_plain, sanitize_cell

INVOICE_COLUMNS = (("folio", 12, "left"), ("period", 12, "left"), ("issue_date", 10, "left"),
                   ("due_date", 10, "left"), ("total", 14, "right"), ("balance", 14, "right"), ("status", 12, "left"))
CHARGE_COLUMNS = (("charge", 7, "right"), ("invoice", 12, "left"), ("scheduled", 10, "left"), ("amount", 14, "right"),
                  ("status", 11, "left"), ("reason", 36, "left"))
SCHEDULE_COLUMNS = ("period", "billing_date", "due_date")


class LabelledTable(VirtualTable):
    """A ``VirtualTable`` whose headers (and Enter's label) follow the operator's language."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "contracts.key.open", id="contract_open_row"),
    ]

    def relabel(self, labels: Sequence[str]) -> None:
        self._columns = tuple(dataclasses.replace(c, label=label) for c, label in zip(self._columns, labels, strict=True))
        self._header_line = "".join(f" {_fit_plain(str(sanitize_cell(c.label)), c.width, c.align)} "
                                    for c in self._columns)
        self._strip_cache.clear()
        self.refresh()


class _Rows:
    """Row provider over one read connection per call (worker threads)."""

    def __init__(self, app: Any, count: Callable[[Any], int], fetch: Callable[[Any, int, int], Sequence[Any]]) -> None:
        self._app, self._count, self._fetch = app, count, fetch

    def count(self) -> int:
        with self._app.database().read() as session:
            return self._count(session)

    def fetch(self, offset: int, limit: int) -> Sequence[Any]:
        with self._app.database().read() as session:
            return self._fetch(session, offset, limit)


class ReasonDialog(FormModal):
    """Asks why (pause, resume, end, reject a charge) and runs ``action(session, reason)`` in one
    transaction; a ledger refusal is shown in the dialog. Dismisses with the action's result."""

    AUTO_FOCUS = "#reason"
    CSS_PATH = "../dialogs/forms.tcss"  # the forms' shared look (resolved from this module)

    def __init__(self, title_key: str, action: Callable[[Any, str], Any], *, required: bool = True,
                 note_key: str = "", title_values: dict[str, Any] | None = None,
                 note_values: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.title_key = title_key
        self.title_values = title_values or {}
        self.note_values = note_values or {}
        self.action = action
        self.required = required
        self.note_key = note_key

    def form_title(self) -> tuple[str]:
        return (self.title_key,)

    def compose_body(self) -> ComposeResult:
        label = "contracts.reason_label" if self.required else "contracts.reason_optional"
        yield field_row("reason", label, OrderedInput(id="reason", compact=True, max_length=500))
        if self.note_key:
            yield TLabel(self.note_key, classes="muted", **self.note_values)

    def on_mount(self) -> None:
        self.query_one("#form-title", TLabel).set_key(self.title_key, **self.title_values)

    def validate(self) -> str:
        text = self.query_one("#reason", Input).value.strip()
        if self.required and not text:
            raise FormInvalid({"reason": ("contracts.reason_required", {})})
        return text

    def write(self, session: Any, payload: str) -> Any:
        result = self.action(session, payload)
        return True if result is None else result

    def map_field(self, field: str | None) -> str:
        return "reason" if field == "reason" else "form"


class ContractScreen(BaseScreen):
    CSS_PATH = "contract.tcss"
    AUTO_FOCUS = "#contract-invoices"
    BINDINGS = [
        Binding("e", "edit", "contracts.key.edit", id="contract_edit"),
        Binding("p", "pause", "contracts.key.pause", id="contract_pause"),
        Binding("r", "resume", "contracts.key.resume", id="contract_resume"),
        Binding("x", "end", "contracts.key.end", id="contract_end"),
        Binding("b", "bill", "contracts.key.bill", id="contract_bill"),
        Binding("c", "confirm_charge", "contracts.key.confirm_charge", id="contract_confirm_charge"),
        Binding("j", "reject_charge", "contracts.key.reject_charge", id="contract_reject_charge"),
        Binding("escape", "back", "contracts.key.back", id="contract_back"),
    ]

    def __init__(self, contract_id: int) -> None:
        super().__init__()
        self.contract_id = contract_id
        self.view: Any | None = None  # queries.billing.ContractView
        self.missing = False
        self.busy = False

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="contract-main"):
            yield Static("", id="contract-title")
            with Horizontal(id="contract-top"):
                yield Static("", id="contract-terms")
                with Vertical(id="contract-schedule-box"):
                    yield Static("", id="contract-schedule-title", classes="section-title")
                    yield DataTable(id="contract-schedule", cursor_type="none", show_cursor=False)
                    yield Static("", id="contract-schedule-note")
            yield Static("", id="contract-invoices-title", classes="section-title")
            yield LabelledTable([Column(k, k, w, a) for k, w, a in INVOICE_COLUMNS], id="contract-invoices")  # type: ignore[arg-type]
            yield Static("", id="contract-charges-title", classes="section-title")
            yield LabelledTable([Column(k, k, w, a) for k, w, a in CHARGE_COLUMNS], id="contract-charges")  # type: ignore[arg-type]
        yield ArtermFooter()

    def on_mount(self) -> None:
        self.apply_language()
        self.load()

    @property
    def invoices_table(self) -> LabelledTable:
        return self.query_one("#contract-invoices", LabelledTable)

    @property
    def charges_table(self) -> LabelledTable:
        return self.query_one("#contract-charges", LabelledTable)

    # -- loading ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="contract-load", exit_on_error=False)
    def load(self) -> None:
        from ...domain.errors import NotFound
        from ...queries import billing as q

        try:
            with self.app.database().read() as session:
                view = q.contract_view(session, self.contract_id, as_of=self.app.today())
        except NotFound:
            self.app.call_from_thread(self._show_missing)
            return
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.app.call_from_thread(self._error, exc)
            return
        self.app.call_from_thread(self._loaded, view)

    def _loaded(self, view: Any) -> None:
        first = self.view is None
        self.view = view
        self.render_view()
        if first:
            self._set_providers()
        else:
            self.invoices_table.refresh_data()
            self.charges_table.refresh_data()
        self.refresh_bindings()

    def _show_missing(self) -> None:
        self.missing = True
        self.query_one("#contract-title", Static).update(
            Text(self.tr("contracts.not_found", id=self.contract_id), style="bold"))
        self.refresh_bindings()

    def _error(self, exc: BaseException) -> None:
        self.notify(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc), title=self.tr("ui.error"),
                    severity="error", timeout=10)

    def _set_providers(self) -> None:
        from ...queries import billing as q

        lang, today, cid = self.app.lang, self.app.today(), self.contract_id

        def day(value: date | None) -> str:
            return i18n.fmt_date(value, lang) if value else ""

        def invoice_rows(session: Any, offset: int, limit: int) -> list[Any]:
            rows = []
            for r in q.contract_invoices(session, cid, as_of=today, offset=offset, limit=limit):
                period = ""
                if r.period_start is not None:
                    period = day(r.period_start)
                rows.append((r.id, (r.reference, period, day(r.issue_date), day(r.due_date),
                                    i18n.fmt_money(r.total, r.currency, lang), i18n.fmt_money(r.balance, r.currency, lang),
                                    i18n.t(f"status.{r.status}", lang))))
            return rows

        def charge_rows(session: Any, offset: int, limit: int) -> list[Any]:
            return [(r, (f"#{r.payment_id}", r.document_ref, day(r.scheduled_on), i18n.fmt_money(r.amount, r.currency, lang),
                         i18n.t(f"contracts.charge.{r.status}", lang), r.reason))
                    for r in q.list_charges(session, status="all", contract_id=cid, offset=offset, limit=limit)]

        self.invoices_table.set_provider(_Rows(self.app, lambda s: q.count_contract_invoices(s, cid), invoice_rows))
        self.charges_table.set_provider(_Rows(self.app, lambda s: q.count_charges(s, status="all", contract_id=cid),
                                              charge_rows))

    # -- drawing ------------------------------------------------------------------------------
    def apply_language(self) -> None:
        self.query_one("#contract-schedule-title", Static).update(self.tr("contracts.schedule"))
        self.query_one("#contract-invoices-title", Static).update(self.tr("contracts.invoices"))
        self.query_one("#contract-charges-title", Static).update(self.tr("contracts.charges"))
        self.invoices_table.relabel([self.tr(f"contracts.col.{k}") for k, _, _ in INVOICE_COLUMNS])
        self.charges_table.relabel([self.tr(f"contracts.col.{k}") for k, _, _ in CHARGE_COLUMNS])
        if self.view is not None:
            self.render_view()
            if self.is_mounted and self.invoices_table.provider is not None:
                self._set_providers()  # cells are formatted in the operator's language
        elif self.missing:
            self._show_missing()

    def render_view(self) -> None:
        v = self.view
        c = v.contract
        title = Text(self.tr("contracts.contract_title", id=c.id) + " — ", style="bold")
        title.append_text(literal(f"{c.customer_identifier} {c.customer_name}", style="bold"))
        title.append(f"   [{self.tr(f'status.{c.status}')}]", style="bold reverse" if c.status != "active" else "bold")
        self.query_one("#contract-title", Static).update(title)
        self.query_one("#contract-terms", Static).update(self._terms(v))
        table = self.query_one("#contract-schedule", DataTable)
        table.clear(columns=True)
        for key in SCHEDULE_COLUMNS:
            table.add_column(self.tr(f"contracts.col.{key}"), key=key)
        for p in v.upcoming:
            table.add_row(self.tr("contracts.period_range", start=self.day(p.period_start), end=self.day(p.period_end)),
                          self.day(p.billing_date), self.day(p.due_date))
        self.query_one("#contract-schedule-note", Static).update(self._schedule_note(v))

    def _schedule_note(self, v: Any) -> Text:
        text = Text()
        if v.due_now:
            text.append(i18n.tn("contracts.due_now", v.due_now, self.app.lang) + "\n", style="bold")
        open_holds = [h for h in v.holds if h.end_on is None]
        for h in open_holds:
            key = "contracts.held_since" if h.kind == "pause" else "contracts.ended_on"
            text.append(self.tr(key, date=self.day(h.start_on)) + "\n")
        if not v.upcoming:
            text.append(self.tr("contracts.schedule_empty"), style="dim")
        return text

    def _terms(self, v: Any) -> Text:
        c = v.contract
        none = self.tr("contracts.none")
        rows: list[tuple[str, str | Text]] = []

        def row(key: str, value: str | Text) -> None:
            rows.append((self.tr(key), value))

        row("ui.description", c.description or none)
        row("contracts.amount_before_tax", self.money(c.amount, c.currency))
        row("contracts.tax_rate", c.tax_rate)
        row("contracts.total_per_period", Text(self.money(c.total, c.currency), style="bold"))
        row("ui.frequency", self.tr(f"freq.{c.frequency}"))
        row("ui.start_date", self.day(c.start_date))
        row("ui.end_date", self.day(c.end_date) if c.end_date else none)
        row("contracts.periods", str(c.periods) if c.periods else self.tr("contracts.unlimited"))
        if schedule.uses_billing_day(c.frequency):  # weekly/biweekly: always the start date's weekday
            row("ui.billing_day", str(c.billing_day) if c.billing_day else self.tr("contracts.billing_day_start"))
        row("ui.payment_terms", i18n.tn("ui.days_count", c.payment_terms_days, self.app.lang)
            if c.payment_terms_days is not None else self.tr("contracts.customer_terms", n=c.customer_terms_days))
        row("ui.metodo_pago", c.metodo_pago)
        if c.direct_debit:
            forma = self.tr(f"forma_pago.{c.dd_forma_pago}") if c.dd_forma_pago else ""
            row("ui.direct_debit", self.tr("contracts.dd_yes", forma=forma, reference=c.dd_reference).strip())
        else:
            row("ui.direct_debit", self.tr("contracts.dd_no"))
        status = Text(self.tr(f"status.{c.status}"), style="bold")
        if c.status_reason:
            status.append(" — ")
            status.append_text(literal(c.status_reason))
        row("ui.status", status)
        row("ui.next_billing", self.day(v.next_billing_date) if v.next_billing_date else none)
        width = max(len(label) for label, _ in rows) + 2
        text = Text(no_wrap=False)
        for n, (label, value) in enumerate(rows):
            if n:
                text.append("\n")
            text.append(label.ljust(width), style="dim")
            text.append_text(value if isinstance(value, Text) else literal(value))
        return text

    # -- what is allowed ----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return True
        c = self.view.contract if self.view is not None else None
        if c is None:
            return False if action in {"edit", "pause", "resume", "end", "bill", "confirm_charge",
                                       "reject_charge"} else True
        if action in ("edit", "end"):
            return c.status != "ended"
        if action == "pause":
            return c.status == "active"
        if action == "resume":
            return c.status == "paused"
        if action in ("confirm_charge", "reject_charge"):
            return self.view.pending_charges > 0
        return True

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        for action, help_key in (("bill", "contracts.cmd.bill_help"), ("edit", "contracts.cmd.edit_help"),
                                 ("pause", "contracts.cmd.pause_help"), ("resume", "contracts.cmd.resume_help"),
                                 ("end", "contracts.cmd.end_help")):
            if self.check_action(action, ()):
                yield f"contracts.key.{action}", help_key, getattr(self, f"action_{action}")

    # -- actions ------------------------------------------------------------------------------
    def action_back(self) -> None:
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.dismiss(True)

    def _after(self, notice_key: str) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            if result is not None and result is not False:
                self.notify(self.tr(notice_key, id=self.contract_id), timeout=3)
                self.load()
        return done

    def action_edit(self) -> None:
        if self.view is None:
            return
        from ..dialogs.contract_form import ContractForm

        self.app.push_screen(ContractForm(self.view.contract.customer_id, self.contract_id), self._after("contracts.saved"))

    def _status_dialog(self, kind: str) -> None:
        from ...ledger import billing

        fn = {"pause": billing.pause_contract, "resume": billing.resume_contract, "end": billing.end_contract}[kind]
        actor, on_day, cid = self.app.operator, self.app.today(), self.contract_id

        def act(session: Any, reason: str) -> None:
            fn(session, actor=actor, contract_id=cid, reason=reason, on=on_day)

        note = {"pause": "contracts.pause_note", "end": "contracts.end_note"}.get(kind, "")
        done = {"pause": "contracts.paused", "resume": "contracts.resumed", "end": "contracts.ended"}[kind]
        self.app.push_screen(
            ReasonDialog(f"contracts.{kind}_title", act, required=kind != "resume", note_key=note,
                         title_values={"id": cid}, note_values={"date": self.day(on_day)}),
            self._after(done),
        )

    def action_pause(self) -> None:
        self._status_dialog("pause")

    def action_resume(self) -> None:
        self._status_dialog("resume")

    def action_end(self) -> None:
        self._status_dialog("end")

    def action_bill(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.bill()

    @work(thread=True, exclusive=True, group="contract-bill", exit_on_error=False)
    def bill(self) -> None:
        from ...ledger.billing import bill_contracts
        from ..dialogs.billing_prompt import notify_report

        try:
            report = bill_contracts(self.app.database(), actor=self.app.operator, until=self.app.today(),
                                    contract_ids=[self.contract_id])
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.app.call_from_thread(self._error, exc)
        else:
            self.app.call_from_thread(notify_report, self.app, report)
        finally:
            self.app.call_from_thread(self._billed)

    def _billed(self) -> None:
        self.busy = False
        self.load()

    def billing_done(self) -> None:
        """A billing run elsewhere (the start-up catch-up) issued invoices: show them."""
        self.load()

    def selected_charge(self) -> Any | None:
        """The highlighted charge when it is pending (a ``queries.billing.ChargeRow``)."""
        key = self.charges_table.cursor_key
        if key is None or getattr(key, "status", "") != "pending":
            self.notify(self.tr("contracts.no_charge_selected"), severity="warning", timeout=4)
            return None
        return key

    def action_confirm_charge(self) -> None:
        charge = self.selected_charge()
        if charge is None:
            return
        from ..dialogs.confirm import ConfirmDialog

        message = self.tr("contracts.confirm_charge_body", amount=self.money(charge.amount, charge.currency),
                          folio=charge.document_ref)

        def answered(yes: bool | None) -> None:
            if yes:
                self.confirm(charge, min(charge.scheduled_on, self.app.today()))

        self.app.push_screen(ConfirmDialog(message), answered)

    @work(thread=True, exclusive=True, group="contract-charge", exit_on_error=False)
    def confirm(self, charge: Any, on_day: date) -> None:
        from ...ledger.billing import confirm_charge

        payment_id = charge.payment_id
        try:
            with self.app.database().write() as session:
                applied = confirm_charge(session, actor=self.app.operator, payment_id=payment_id, on=on_day)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.app.call_from_thread(self._error, exc)
            return
        # The invoice may have been paid meanwhile: what it did not take stays as credit (say so,
        # the question promised "a payment applied to it").
        leftover = int(charge.amount) - sum(amount for _, amount in applied)
        if leftover > 0:
            notice = self.tr("contracts.charge_confirmed_credit", id=payment_id, folio=charge.document_ref,
                             amount=self.money(leftover, charge.currency))
            self.app.call_from_thread(self.notify, notice, severity="warning", timeout=8)
        else:
            self.app.call_from_thread(self.notify, self.tr("contracts.charge_confirmed", id=payment_id), timeout=3)
        self.app.call_from_thread(self.load)

    def action_reject_charge(self) -> None:
        charge = self.selected_charge()
        if charge is None:
            return
        from ...ledger.billing import reject_charge

        actor, on_day, pid = self.app.operator, self.app.today(), charge.payment_id

        def act(session: Any, reason: str) -> None:
            reject_charge(session, actor=actor, payment_id=pid, reason=reason, on=on_day)

        def done(result: Any) -> None:
            if result:
                self.notify(self.tr("contracts.charge_rejected", id=pid), timeout=3)
                self.load()

        self.app.push_screen(ReasonDialog("contracts.reject_title", act, title_values={"id": pid}), done)

    @on(VirtualTable.RowSelected, "#contract-invoices")
    def _open_invoice(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        try:
            from .document import DocumentScreen
        except ImportError:  # the document screen is another part of the app
            return
        self.app.push_screen(DocumentScreen(int(event.key)), lambda _: self.load())  # type: ignore[arg-type]


__all__ = ["ContractScreen", "ReasonDialog"]
