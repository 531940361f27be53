"""Pilot tests of contracts in the TUI on a real SQLite ledger (business date 2026-11-28):
ContractForm (valid and invalid input, live preview, editing), ContractScreen after a billing run
(terms, schedule, invoices, charges), pause / resume / end, bill now, confirming and rejecting a
direct-debit charge, and the billing prompt when the app starts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ledger_helpers import counts, integrity
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from arterm import ledger as L
from arterm.config import ContractSettings, Settings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.ledger import billing as B
from arterm.tui import app as app_module
from arterm.tui.app import ArtermApp
from arterm.tui.dialogs._form import FieldError
from arterm.tui.dialogs.billing_prompt import BillingPrompt, maybe_bill_on_start
from arterm.tui.dialogs.confirm import ConfirmDialog
from arterm.tui.dialogs.contract_form import ContractForm
from arterm.tui.screens.contract import ContractScreen, ReasonDialog
from .pilot_helpers import notifications, settle

TODAY = date(2026, 11, 28)
ACTOR = "tester"
HOSTILE = "[bold red]Renta[/] <b>Ñandú</b>"


@dataclass
class Book:
    db: Database
    customer: int
    contract: int  # monthly, from 31/07/2026, billing day 31, direct debit, billed up to TODAY
    plain: int  # weekly, from 02/11/2026, not billed yet


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Book]:
    db = Database(f"sqlite:///{tmp_path / 'contracts.db'}")
    with db.write() as s:
        c = L.create_customer(s, actor=ACTOR, name=HOSTILE, rfc="EKU9003173C9", payment_terms_days=30)
        k = L.create_contract(s, actor=ACTOR, customer_id=c, amount="1500.00", frequency="monthly",
                              start_date=date(2026, 7, 31), billing_day=31, direct_debit=True, dd_forma_pago="04",
                              dd_reference="4111 1111 1111 1234", description=HOSTILE)
        plain = L.create_contract(s, actor=ACTOR, customer_id=c, amount="100.00", frequency="weekly",
                                  start_date=date(2026, 11, 2), tax_rate="0")
    B.bill_contracts(db, actor=ACTOR, until=TODAY, contract_ids=[k])
    try:
        yield Book(db, c, k, plain)
    finally:
        db.dispose()


def make_app(db: Database, lang: str = "es", bill_on_start: str = "never") -> ArtermApp:
    return ArtermApp(settings=Settings(ui=UiSettings(language=lang), contracts=ContractSettings(bill_on_start)),
                     url=db.url, operator=ACTOR, database=db, today=TODAY)


async def open_screen(pilot: Any, screen: Screen[Any]) -> list[Any]:
    results: list[Any] = []
    pilot.app.push_screen(screen, results.append)
    await settle(pilot)
    assert pilot.app.screen is screen
    return results


async def type_into(pilot: Any, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.pause()
    await pilot.press(*[{" ": "space", "/": "slash", ".": "full_stop", ",": "comma"}.get(ch, ch) for ch in text])
    await pilot.pause()


def errors(screen: Screen[Any]) -> dict[str, str]:
    return {e.field: e.text for e in screen.query(FieldError) if e.message is not None}


def contract_row(db: Database, contract_id: int) -> Any:
    with db.read() as s:
        return s.execute(sa.select(tables.contract).where(tables.contract.c.id == contract_id)).one()


def table_rows(table: Any) -> list[tuple[Any, ...]]:
    return [tuple(table.get_cached_row(i)[1]) for i in range(table.row_count)]


# ------------------------------------------------------------------------------ ContractForm
async def test_form_creates_a_contract_with_a_live_preview(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer)
        results = await open_screen(pilot, form)
        assert HOSTILE in str(form.query_one("#customer-line", Static).render())  # literal, not markup
        await type_into(pilot, "#description", "Póliza de soporte")
        await type_into(pilot, "#amount", "2,500.50")
        form.query_one("#frequency", Select).value = "quarterly"
        form.query_one("#start_date", Input).value = "31/12/2026"
        await type_into(pilot, "#billing_day", "31")
        await pilot.pause()
        # The schedule preview follows what is typed (31 → last day of shorter months).
        assert form.preview_text.split() == ["31/12/2026", "31/03/2027", "30/06/2027", "30/09/2027", "31/12/2027",
                                             "31/03/2028"]
        form.query_one("#periods", Input).value = "3"
        await pilot.pause()
        assert form.preview_text.split() == ["31/12/2026", "31/03/2027", "30/06/2027"]
        form.query_one("#payment_terms_days", Input).value = "10"
        form.query_one("#direct_debit", Checkbox).value = True
        form.query_one("#dd_forma_pago", Select).value = "28"
        form.query_one("#dd_reference", Input).value = "5555 4444 3333 9876"
        await pilot.pause()
        assert errors(form) == {}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        (new_id,) = results
        row = contract_row(book.db, new_id)
        assert (row.customer_id, row.description, row.amount_cents, row.frequency, row.start_date, row.billing_day,
                row.periods, row.payment_terms_days, row.direct_debit, row.dd_forma_pago, row.dd_reference,
                row.metodo_pago, row.currency) == (
            book.customer, "Póliza de soporte", 250050, "quarterly", date(2026, 12, 31), 31, 3, 10, True, "28",
            "**** 9876", "PPD", "MXN")


async def test_form_says_what_is_wrong_and_saves_nothing(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer)
        results = await open_screen(pilot, form)
        before = counts(book.db)
        await type_into(pilot, "#amount", "12x")
        assert errors(form) == {"amount": "Importe inválido: escribe un número mayor que cero, p. ej. 1500.00."}
        form.query_one("#start_date", Input).value = "31/02/2026"
        await type_into(pilot, "#billing_day", "40")
        await pilot.pause()
        shown = errors(form)
        assert shown["start_date"] == "Fecha inválida: usa DD/MM/AAAA."
        assert shown["billing_day"] == "Día de facturación inválido: un número del 1 al 31."
        assert "Corrige los datos" in form.preview_text
        form.query_one("#start_date", Input).value = "01/06/2026"
        form.query_one("#end_date", Input).value = "01/01/2026"
        form.query_one("#tax_rate", Input).value = "16"
        await pilot.pause()
        shown = errors(form)
        assert "start_date" not in shown
        assert shown["end_date"] == "La fecha de término es anterior a la de inicio."
        assert shown["tax_rate"].startswith("Tasa inválida")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and results == []
        assert errors(form)["form"] == "Corrige los campos marcados; no se guardó nada."
        assert counts(book.db) == before
        # Fixing the fields clears their messages; the form then saves.
        await type_into(pilot, "#amount", "99")
        form.query_one("#billing_day", Input).value = ""
        form.query_one("#end_date", Input).value = ""
        form.query_one("#tax_rate", Input).value = "0.16"
        await pilot.pause()
        assert set(errors(form)) <= {"form"}
        assert "periodos ya vencidos" in form.preview_text  # June to November are already due
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(results) == 1 and contract_row(book.db, results[0]).amount_cents == 9900


async def test_form_edits_and_locks_the_schedule_once_billed(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer, book.contract)
        results = await open_screen(pilot, form)
        assert form.query_one("#amount", Input).value == "1500.00"
        assert form.query_one("#dd_reference", Input).value == "**** 1234"
        assert form.query_one("#frequency", Select).disabled and form.query_one("#start_date", Input).disabled
        # Already billed periods are not previewed as due again.
        assert form.preview_text.split()[0] == "30/11/2026"
        await type_into(pilot, "#amount", "1800")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results == [book.contract]
        row = contract_row(book.db, book.contract)
        assert (row.amount_cents, row.dd_reference, row.version, row.frequency) == (180000, "**** 1234", 2, "monthly")


# ---------------------------------------------------------------------------- ContractScreen
async def test_screen_shows_terms_schedule_invoices_and_charges(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ContractScreen(book.contract)
        await open_screen(pilot, screen)
        title = str(screen.query_one("#contract-title", Static).render())
        assert title.startswith(f"Contrato #{book.contract} — C000001 {HOSTILE}")
        terms = str(screen.query_one("#contract-terms", Static).render())
        for expected in (HOSTILE, "$1,500.00 MXN", "$1,740.00 MXN", "Mensual", "31/07/2026", "31",
                         "las del cliente (30 días)", "Tarjeta de crédito **** 1234", "Activo", "30/11/2026"):
            assert expected in terms, expected
        schedule = screen.query_one("#contract-schedule", DataTable)
        billing = [schedule.get_row_at(i)[1] for i in range(schedule.row_count)]
        assert billing == ["30/11/2026", "31/12/2026", "31/01/2027", "28/02/2027", "31/03/2027", "30/04/2027"]
        invoices = screen.invoices_table
        assert invoices.row_count == 4
        assert table_rows(invoices) == [
            ("A-4", "31/10/2026", "31/10/2026", "30/11/2026", "$1,740.00 MXN", "$1,740.00 MXN", "Vigente"),
            ("A-3", "30/09/2026", "30/09/2026", "30/10/2026", "$1,740.00 MXN", "$1,740.00 MXN", "Vencido"),
            ("A-2", "31/08/2026", "31/08/2026", "30/09/2026", "$1,740.00 MXN", "$1,740.00 MXN", "Vencido"),
            ("A-1", "31/07/2026", "31/07/2026", "30/08/2026", "$1,740.00 MXN", "$1,740.00 MXN", "Vencido"),
        ]
        charges = table_rows(screen.charges_table)
        assert [(c[1], c[2], c[4]) for c in charges] == [
            ("A-1", "30/08/2026", "Pendiente"), ("A-2", "30/09/2026", "Pendiente"), ("A-3", "30/10/2026", "Pendiente"),
            ("A-4", "30/11/2026", "Pendiente")]
        # Switching the language relabels everything.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Monthly" in str(screen.query_one("#contract-terms", Static).render())
        assert screen.invoices_table.columns[0].label == "Folio"
        assert table_rows(screen.invoices_table)[0][-1] == "Current"


async def test_pause_resume_end_from_the_screen(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ContractScreen(book.plain)
        await open_screen(pilot, screen)
        assert screen.check_action("resume", ()) is False and screen.check_action("pause", ()) is True
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReasonDialog)
        before = counts(book.db)
        await pilot.press("ctrl+s")  # no reason
        await settle(pilot)
        assert app.screen is dialog and errors(dialog) == {"reason": "Escribe el motivo."}
        assert counts(book.db) == before
        await type_into(pilot, "#reason", "Obra en pausa")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        row = contract_row(book.db, book.plain)
        assert (row.status, row.status_reason) == ("paused", "Obra en pausa")
        with book.db.read() as s:
            hold = s.execute(sa.select(tables.contract_hold)).one()
        assert (hold.kind, hold.start_on, hold.end_on) == ("pause", TODAY, None)
        assert "En pausa desde el 28/11/2026" in str(screen.query_one("#contract-schedule-note", Static).render())
        assert screen.check_action("pause", ()) is False and screen.check_action("resume", ()) is True
        # Resume (the reason is optional).
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert contract_row(book.db, book.plain).status == "active"
        # End.
        await pilot.press("x")
        await settle(pilot)
        await type_into(pilot, "#reason", "Terminó la obra")
        await pilot.press("ctrl+s")
        await settle(pilot)
        row = contract_row(book.db, book.plain)
        assert (row.status, row.status_reason) == ("ended", "Terminó la obra")
        assert screen.check_action("edit", ()) is False and screen.check_action("end", ()) is False
        assert "Terminado" in str(screen.query_one("#contract-title", Static).render())


async def test_bill_now_issues_this_contracts_due_invoices(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ContractScreen(book.plain)
        await open_screen(pilot, screen)
        assert "4 periodos vencidos sin facturar" in str(screen.query_one("#contract-schedule-note", Static).render())
        assert screen.invoices_table.row_count == 0
        await pilot.press("b")
        await settle(pilot)
        assert screen.invoices_table.row_count == 4  # Nov 2, 9, 16, 23 (Nov 30 is after the business date)
        with book.db.read() as s:
            issued = s.execute(sa.select(tables.document.c.issue_date).where(
                tables.document.c.contract_id == book.plain).order_by(tables.document.c.issue_date)).scalars().all()
        assert issued == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
        await pilot.press("b")  # again: nothing more
        await settle(pilot)
        assert screen.invoices_table.row_count == 4
        assert integrity(book.db) == []


async def test_confirm_and_reject_charges(book: Book) -> None:
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ContractScreen(book.contract)
        await open_screen(pilot, screen)
        charges = screen.charges_table
        charges.focus()
        charges.move_cursor(1)  # A-2's charge
        await settle(pilot)
        target = charges.cursor_key
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "$1,740.00 MXN" in str(app.screen.query_one("#confirm-message", Static).render())
        await pilot.press("y")
        await settle(pilot)
        with book.db.read() as s:
            pay = s.execute(sa.select(tables.payment).where(tables.payment.c.id == target.payment_id)).one()
            doc = s.execute(sa.select(tables.document).where(tables.document.c.id == target.document_id)).one()
            act = s.execute(sa.select(tables.activity.c.kind).where(
                tables.activity.c.payment_id == target.payment_id)).scalars().all()
        assert (pay.status, pay.paid_on, doc.status, doc.balance_cents) == ("applied", date(2026, 9, 30), "paid", 0)
        assert "charge_confirmed" in act
        assert table_rows(charges)[1][4] == "Confirmado"
        assert table_rows(screen.invoices_table)[2][-1] == "Pagado"
        # Reject the first one.
        charges.move_cursor(0)
        await settle(pilot)
        first = charges.cursor_key
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await type_into(pilot, "#reason", "Tarjeta vencida")
        await pilot.press("ctrl+s")
        await settle(pilot)
        rows = table_rows(charges)
        assert (rows[0][4], rows[0][5]) == ("Rechazado", "Tarjeta vencida")
        with book.db.read() as s:
            doc = s.execute(sa.select(tables.document).where(tables.document.c.id == first.document_id)).one()
        assert (doc.status, doc.balance_cents) == ("current", 174000)
        # A confirmed charge cannot be confirmed again.
        charges.move_cursor(1)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen
        assert integrity(book.db) == []


# ----------------------------------------------------------------------------- start-up prompt
async def test_billing_prompt_on_start(book: Book) -> None:
    app = make_app(book.db, bill_on_start="ask")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        worker = app.run_worker(maybe_bill_on_start(app), group="billing-on-start", exit_on_error=False)
        await settle(pilot)
        await worker.wait()
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, BillingPrompt)
        assert prompt.message == "Hay 4 facturas por emitir de 1 contrato (hasta el 28/11/2026). ¿Emitirlas ahora?"
        await pilot.click("#billing-yes")
        await settle(pilot)
        assert not isinstance(app.screen, BillingPrompt)
    with book.db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(tables.document).where(
            tables.document.c.contract_id == book.plain)).scalar_one() == 4


@pytest.mark.parametrize("mode", ["never", "always"])
async def test_billing_on_start_never_or_always(book: Book, mode: str) -> None:
    app = make_app(book.db, bill_on_start=mode)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        worker = app.run_worker(maybe_bill_on_start(app), group="billing-on-start", exit_on_error=False)
        await worker.wait()
        await settle(pilot)
        assert not isinstance(app.screen, BillingPrompt)
    with book.db.read() as s:
        billed = s.execute(sa.select(sa.func.count()).select_from(tables.document).where(
            tables.document.c.contract_id == book.plain)).scalar_one()
    assert billed == (4 if mode == "always" else 0)


class _RecordingApp(ArtermApp):
    """Records when the start-up billing check is started, against when the customers showed."""

    CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.billing_started: list[float] = []

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("group") == "billing-on-start":
            self.billing_started.append(time.perf_counter())
        return super().run_worker(work, *args, **kwargs)


async def test_billing_check_starts_once_after_the_customers_are_on_screen(
        book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real start-up path (no fixed business date): the check waits for the first rows of
    customers (it walks every contract's schedule in Python and used to compete with the start),
    runs once, and asks. The customers' first page is held back until the test lets it through."""
    from arterm.queries import customers as customer_queries

    gate = threading.Event()
    real_search = customer_queries.search_customers

    def held_search(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(10), "the test never released the first page"
        return real_search(*args, **kwargs)

    monkeypatch.setattr(customer_queries, "search_customers", held_search)
    app = _RecordingApp(settings=Settings(ui=UiSettings(language="es"), contracts=ContractSettings("ask")),
                        url=book.db.url, operator=ACTOR, database=book.db)  # today: the real date
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(20):
            await pilot.pause(0.01)
        customers = app.screen
        assert customers.id == "customers"
        assert customers.table.row_count == 0  # the first page is still held
        assert app.billing_started == []
        gate.set()
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, BillingPrompt)
        assert "facturas por emitir de 1 contrato " in prompt.message
        assert app.screen_stack[-2] is customers
        assert customers.table.row_count == 1
        assert len(app.billing_started) == 1
        await pilot.click("#billing-no")
        await settle(pilot)
        assert app.screen is customers
        await pilot.press(*"zzz")  # another load of the table: no second check
        await settle(pilot)
        assert customers.table.row_count == 0
        assert len(app.billing_started) == 1
        assert app.screen is customers
    with book.db.read() as s:  # "no": nothing billed
        assert s.execute(sa.select(sa.func.count()).select_from(tables.document).where(
            tables.document.c.contract_id == book.plain)).scalar_one() == 0


async def test_confirming_a_charge_on_an_invoice_paid_meanwhile_says_it_stays_as_credit(book: Book) -> None:
    """Seen in tmux: the invoice was paid by transfer, then its direct-debit charge confirmed; the
    money rightly became customer credit but the screen only said "Charge #N confirmed" after a
    question promising "a payment applied to it"."""
    app = make_app(book.db, lang="en")
    seen = notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ContractScreen(book.contract)
        await open_screen(pilot, screen)
        charges = screen.charges_table
        charges.focus()
        charges.move_cursor(1)
        await settle(pilot)
        target = charges.cursor_key
        with book.db.write() as s:  # the customer paid that invoice by transfer meanwhile
            L.record_payment(s, actor=ACTOR, customer_id=book.customer, amount="1740", paid_on=TODAY,
                             allocations=[(target.document_id, "1740")])
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        with book.db.read() as s:
            pay = s.execute(sa.select(tables.payment).where(tables.payment.c.id == target.payment_id)).one()
        assert (pay.status, pay.unapplied_cents) == ("unapplied", 174000)
        assert any("stays as customer credit" in m and "$1,740.00 MXN" in m for m in seen), seen


@pytest.mark.parametrize("which", ["new", "edit"])
async def test_escape_closes_an_untouched_contract_form_at_once(book: Book, which: str) -> None:
    """What the edit form reads from the database (amount, direct debit...) is not a change."""
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer, book.contract if which == "edit" else None)
        results = await open_screen(pilot, form)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not form and not isinstance(app.screen, ConfirmDialog) and results == [None]


@pytest.mark.parametrize(("typed", "message"), [
    ("2500.505", "«2500.505» tiene más de dos decimales."),
    ("2500 USD", "«2500 USD» no está en MXN, la moneda de esta operación."),
    ("0", "El importe debe ser mayor que cero."),
    ("12x", "Importe inválido: escribe un número mayor que cero, p. ej. 1500.00."),
])
async def test_contract_amount_refusal_says_what_is_wrong(book: Book, typed: str, message: str) -> None:
    """The form replaced every amount message by the general one: '2500.505' read as if not a number."""
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer)
        await open_screen(pilot, form)
        await type_into(pilot, "#amount", typed)
        assert errors(form)["amount"] == message


async def test_changing_the_currency_checks_the_amount_again(book: Book) -> None:
    """QA: '2500 USD' refused in MXN kept its message once the currency was USD (and the other way
    round, an amount accepted in USD kept no message in MXN)."""
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer)
        results = await open_screen(pilot, form)
        await type_into(pilot, "#description", "Soporte")
        await type_into(pilot, "#amount", "2500 USD")
        assert errors(form)["amount"] == "«2500 USD» no está en MXN, la moneda de esta operación."
        currency = form.query_one("#currency", Select)
        currency.value = "USD"
        await settle(pilot)
        assert "amount" not in errors(form)
        currency.value = "EUR"
        await settle(pilot)
        assert errors(form)["amount"] == "«2500 USD» no está en EUR, la moneda de esta operación."
        currency.value = "USD"
        await settle(pilot)
        assert errors(form) == {}
        await pilot.press("ctrl+s")
        await settle(pilot)
        (new_id,) = results
        row = contract_row(book.db, new_id)
        assert (row.currency, row.amount_cents) == ("USD", 250000)


async def test_changing_the_currency_leaves_an_untouched_amount_alone(book: Book) -> None:
    """An empty amount nobody typed in is not 'required' yet because the currency changed."""
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer)
        await open_screen(pilot, form)
        form.query_one("#currency", Select).value = "USD"
        await settle(pilot)
        assert errors(form) == {}


async def test_billing_day_is_hidden_for_weekly_and_biweekly(book: Book) -> None:
    """The schedule ignores it weekly/biweekly; the form accepted it and the detail showed it."""
    app = make_app(book.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = ContractForm(book.customer)
        results = await open_screen(pilot, form)
        row = form.query_one("#field-billing_day")
        assert row.display
        await type_into(pilot, "#amount", "100")
        await type_into(pilot, "#billing_day", "15")
        form.query_one("#frequency", Select).value = "weekly"
        await settle(pilot)
        assert not row.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        (new_id,) = results
        assert (contract_row(book.db, new_id).frequency, contract_row(book.db, new_id).billing_day) == ("weekly", None)
        screen = ContractScreen(book.plain)
        await open_screen(pilot, screen)
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "Semanal" in shown and "Día de facturación" not in shown
        assert len(results) == 1


@pytest.mark.parametrize(("lang", "invoices", "contracts", "expected"), [
    ("en", 3, 1, "3 invoices from 1 contract are due (up to 2026-11-28). Issue them now?"),
    ("en", 1, 1, "1 invoice from 1 contract is due (up to 2026-11-28). Issue it now?"),
    ("en", 9, 2, "9 invoices from 2 contracts are due (up to 2026-11-28). Issue them now?"),
    ("es", 1, 1, "Hay 1 factura por emitir de 1 contrato (hasta el 28/11/2026). ¿Emitirla ahora?"),
    ("es", 5, 2, "Hay 5 facturas por emitir de 2 contratos (hasta el 28/11/2026). ¿Emitirlas ahora?"),
])
async def test_billing_prompt_counts_agree_in_both_languages(book: Book, lang: str, invoices: int, contracts: int,
                                                             expected: str) -> None:
    """It said '3 invoices of 1 contracts are due'."""
    app = make_app(book.db, lang)
    async with app.run_test(size=(120, 40)) as pilot:
        prompt = BillingPrompt(invoices, contracts, TODAY)
        await open_screen(pilot, prompt)
        assert prompt.message == expected


async def test_billing_report_counts_agree(book: Book) -> None:
    from types import SimpleNamespace

    from arterm.tui.dialogs.billing_prompt import notify_report

    app = make_app(book.db, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        notify_report(app, SimpleNamespace(issued=[1] * 9, contracts=1, charges=0, already=1, errors=[]))
        notify_report(app, SimpleNamespace(issued=[1], contracts=2, charges=1, already=0, errors=[]))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert messages[-2] == ("Invoices issued: 9 from 1 contract; direct-debit charges: 0. "
                                "1 had already been issued by another process.")
        assert messages[-1] == "Invoices issued: 1 from 2 contracts; direct-debit charges: 1."
    app = make_app(book.db, "es")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        notify_report(app, SimpleNamespace(issued=[1] * 9, contracts=1, charges=0, already=1, errors=[]))
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == (
            "Facturas emitidas: 9 de 1 contrato; cargos domiciliados: 0. 1 ya la había emitido otro proceso.")


@pytest.mark.parametrize("which", ["new", "edit"])
async def test_contract_form_keeps_its_buttons_on_an_80x24_terminal(book: Book, which: str) -> None:
    app = make_app(book.db, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        form = ContractForm(book.customer, book.contract if which == "edit" else None)
        await open_screen(pilot, form)
        await type_into(pilot, "#amount", "12x")  # a message under a field takes a row more
        await settle(pilot)
        for button in ("#form-save", "#form-cancel"):
            region = form.query_one(button).region
            assert region.height == 3 and region.bottom <= 24, (button, region)


async def test_direct_debit_checkbox_reads_without_colour(book: Book) -> None:
    """It drew '▐X…' (cut off), and on and off differed only by colour."""
    app = make_app(book.db, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        form = ContractForm(book.customer)
        await open_screen(pilot, form)
        box = form.query_one("#direct_debit", Checkbox)

        def painted() -> str:
            region = box.region
            strip = app.screen._compositor.render_strips()[region.y]
            return strip.text[region.x:region.right].rstrip()

        assert painted() == "[ ] No"
        box.focus()
        await pilot.press("space")
        await settle(pilot)
        assert box.value and painted() == "[x] Yes"
        assert not form.query_one("#dd_reference", Input).disabled
        await pilot.press("ctrl+l")  # Spanish: the words follow the language
        await settle(pilot)
        assert painted() == "[x] Sí"
