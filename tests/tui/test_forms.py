"""Pilot tests of the modal forms and dialogs on a real SQLite ledger (business date 2026-11-28).

Every form is pushed directly on an ``ArtermApp``; valid input is checked in the database
afterwards (totals, allocations, balances, notes, activity) and invalid input must show its
message next to the field and write nothing (every table's row count is compared).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual import events
import sqlalchemy as sa
from ledger_helpers import counts
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TextArea

from arterm import ledger as L
from arterm.config import Settings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp
from arterm.tui.dialogs._form import FieldError, FormModal, TLabel
from arterm.tui.dialogs.assign import AssignOperatorDialog, IdentifierDialog
from arterm.tui.dialogs.cancel import CancelDialog
from arterm.tui.dialogs.confirm import ConfirmDialog
from arterm.tui.dialogs.create_menu import CreateMenu
from arterm.tui.dialogs.customer_form import CustomerForm
from arterm.tui.dialogs.document_form import DocumentForm
from arterm.tui.dialogs.note_form import NoteDialog
from arterm.tui.dialogs.payment import PaymentDialog
from arterm.tui.dialogs.payment_form import PaymentForm, plan_allocation
from .pilot_helpers import settle

TODAY = date(2026, 11, 28)
ACTOR = "tester"
HOSTILE = "[bold red]Ferretería[/] <b>Ñandú</b> SA de CV"
REP_UUID = "6f1c7a52-3b7e-4c1d-9a0e-2f5b8c9d1e23"


# ------------------------------------------------------------------------------------ fixtures
@dataclass
class Ledger:
    db: Database
    customer: int
    a1: int  # invoice A-1: 1,450.00 issued 15/09/2026, due 15/10/2026, 300.00 paid → open 1,150.00
    a2: int  # invoice A-2: 1,160.00 issued 20/10/2026, due 19/11/2026, open
    payment: int  # the 300.00 payment on A-1 (PPD invoice → REP pending)
    other: int  # a second customer (identifier C000002)


@pytest.fixture
def led(tmp_path: Path) -> Iterator[Ledger]:
    db = Database(f"sqlite:///{tmp_path / 'forms.db'}")
    with db.write() as s:
        c = L.create_customer(s, actor=ACTOR, name=HOSTILE, rfc="EKU9003173C9", emails="pagos@ferre.mx",
                              payment_terms_days=30)
        other = L.create_customer(s, actor=ACTOR, name="Otro Cliente SA", rfc="KIJ0906199R1")
        a1 = L.issue_document(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 9, 15),
                              lines=[L.LineInput("Servicio de mantenimiento", "2", "500.00", "0.16"),
                                     L.LineInput("Refacciones", "1", "250.00", "0.16")])
        a2 = L.issue_document(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 10, 20),
                              lines=[L.LineInput("Consultoría", "1", "1000.00", "0.16")])
        pay = L.record_payment(s, actor=ACTOR, customer_id=c, amount="300.00", paid_on=date(2026, 10, 1),
                               allocations=[(a1, "300.00")], reference="SPEI 123")
    try:
        yield Ledger(db, c, a1, a2, pay, other)
    finally:
        db.dispose()


def make_app(db: Database, lang: str = "es") -> ArtermApp:
    return ArtermApp(settings=Settings(ui=UiSettings(language=lang)), url=db.url, operator=ACTOR, database=db,
                     today=TODAY)


async def open_screen(pilot: Any, screen: Screen[Any]) -> list[Any]:
    results: list[Any] = []
    pilot.app.push_screen(screen, results.append)
    await settle(pilot)
    assert pilot.app.screen is screen
    return results


async def type_into(pilot: Any, selector: str, text: str, *, keys: bool = False) -> None:
    """Put ``text`` in an input: key by key (``keys=True``, as an operator types) or at once (the
    input still posts ``Input.Changed``, as after a paste). Key presses are slow under Pilot, so
    tests type by key where typing itself is what they check."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.pause()
    if keys:
        await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])
    else:
        widget.insert_text_at_cursor(text)
    await pilot.pause()


async def save(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


def errors(screen: Screen[Any]) -> dict[str, str]:
    return {e.field: e.text for e in screen.query(FieldError) if e.message is not None}


def text_of(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def row(db: Database, table: sa.Table, id_: int) -> Any:
    with db.read() as s:
        return s.execute(sa.select(table).where(table.c.id == id_)).one()


def rows(db: Database, table: sa.Table, *where: Any) -> list[Any]:
    with db.read() as s:
        return list(s.execute(sa.select(table).where(*where).order_by(table.c.id)))


def balance(db: Database, customer_id: int, currency: str = "MXN") -> tuple[int, int]:
    t = tables.customer_balance
    with db.read() as s:
        r = s.execute(sa.select(t.c.open_cents, t.c.credit_cents).where(t.c.customer_id == customer_id,
                                                                          t.c.currency == currency)).first()
    return (int(r[0]), int(r[1])) if r else (0, 0)


def integrity(db: Database) -> list[str]:
    from arterm.queries.integrity import check_ledger

    with db.read() as s:
        return check_ledger(s)


# ------------------------------------------------------------------------------------ customer form
async def test_edit_customer_saves_only_what_changed(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(led.customer)
        results = await open_screen(pilot, form)
        assert form.query_one("#name", Input).value == HOSTILE  # shown literally, not as markup
        assert form.query_one("#rfc", Input).value == "EKU9003173C9"
        assert form.query_one("#rfc-override", Checkbox).display is False
        await type_into(pilot, "#phone", "55 1234 5678", keys=True)
        await type_into(pilot, "#emails", "pagos@ferre.mx; cobranza@ferre.mx")
        await type_into(pilot, "#postal_code", "06600")
        before = row(led.db, tables.customer, led.customer)
        await save(pilot)
        assert results == [led.customer]
    after = row(led.db, tables.customer, led.customer)
    assert after.phone == "55 1234 5678"
    assert after.emails == "pagos@ferre.mx,cobranza@ferre.mx"
    assert after.postal_code == "06600"
    assert after.name == HOSTILE and after.rfc == "EKU9003173C9"
    assert after.version == before.version + 1
    changed = rows(led.db, tables.activity, tables.activity.c.kind == "customer_updated")
    assert [r.detail for r in changed] == ["emails, phone, postal_code"]


async def test_typing_a_new_name_right_away_replaces_the_old_one(led: Ledger) -> None:
    """The edit form fills the name in once the customer is read, after the field got the focus:
    a name typed at once was appended to the old one (as the identifier was)."""
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(led.customer)
        results = await open_screen(pilot, form)
        field = form.query_one("#name", Input)
        assert field.has_focus and field.value == HOSTILE
        await pilot.press(*"Nuevo SA")
        await save(pilot)
        assert results == [led.customer]
    assert row(led.db, tables.customer, led.customer).name == "Nuevo SA"


CUSTOMER_BAD_INPUT = [
    ("#rfc", "EKU9013173C9", "901317"),  # month 13: an impossible date
    ("#rfc", "EKU900317", "12"),  # too short
    ("#rfc", "ABC1234567890", "formato"),
    ("#emails", "pagos@ferre.mx, cobranza@@ferre", "cobranza@@ferre"),
    ("#postal_code", "6600", "cinco dígitos"),
    ("#phone", "55-12x4", "solo dígitos"),
    ("#name", "   ", "obligatorio"),
]


async def test_customer_form_refuses_bad_input_next_to_the_field(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(led.customer)
        results = await open_screen(pilot, form)
        before = counts(led.db)
        for field, value, expected in CUSTOMER_BAD_INPUT:
            good = form.query_one(field, Input).value
            await type_into(pilot, field, value)
            await save(pilot)
            name = field.lstrip("#")
            found = errors(form)
            assert list(found) == [name], (value, found)
            assert expected in found[name], (value, found)
            assert form.query_one(f"#err-{name}").display is True
            assert app.screen is form and results == []
            form.query_one(field, Input).value = good
        assert counts(led.db) == before
    assert row(led.db, tables.customer, led.customer).version == 1


async def test_rfc_with_a_wrong_check_character_needs_save_anyway(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(led.customer)
        results = await open_screen(pilot, form)
        await type_into(pilot, "#rfc", "AAA010101AAA", keys=True)
        warning = form.query_one("#rfc-warning", TLabel)
        box = form.query_one("#rfc-override", Checkbox)
        assert warning.display and box.display
        assert "«1»" in str(warning.render())
        before = counts(led.db)
        await save(pilot)
        assert "AAA010101AAA" in errors(form)["rfc"] and results == []
        assert counts(led.db) == before
        await pilot.click("#rfc-override")  # the mouse works too
        await pilot.pause()
        assert box.value is True
        await save(pilot)
        assert results == [led.customer]
    saved = row(led.db, tables.customer, led.customer)
    assert saved.rfc == "AAA010101AAA" and saved.rfc_check_ok is False


async def test_create_customer(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(None)
        results = await open_screen(pilot, form)
        await type_into(pilot, "#name", "Nueva Empresa SA de CV")
        await type_into(pilot, "#rfc", "urE180429tm6")  # normalized to upper case
        await type_into(pilot, "#emails", "a@nueva.mx,b@nueva.mx")
        await type_into(pilot, "#payment_terms", "15")
        form.query_one("#tax_regime", Select).value = "601"
        form.query_one("#uso_cfdi", Select).value = "G03"
        await save(pilot)
        assert len(results) == 1
    created = row(led.db, tables.customer, results[0])
    assert (created.name, created.rfc, created.payment_terms_days) == ("Nueva Empresa SA de CV", "URE180429TM6", 15)
    assert (created.emails, created.tax_regime, created.uso_cfdi) == ("a@nueva.mx,b@nueva.mx", "601", "G03")


async def test_customer_changed_by_someone_else_is_not_overwritten(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(led.customer)
        results = await open_screen(pilot, form)
        with led.db.write() as s:  # another operator saves first
            L.update_customer(s, actor="ana", customer_id=led.customer, name="Nombre de Ana")
        await type_into(pilot, "#name", "Nombre mío")
        before = counts(led.db)
        await save(pilot)
        assert "ctrl+r" in errors(form)["form"] and results == []
        assert counts(led.db) == before
        assert row(led.db, tables.customer, led.customer).name == "Nombre de Ana"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert form.query_one("#name", Input).value == "Nombre de Ana"
        assert errors(form) == {}


# ------------------------------------------------------------------------------------ assign / identifier
async def test_assign_and_unassign_operator(led: Ledger) -> None:
    with led.db.write() as s:
        L.upsert_operator(s, username="ana", full_name="Ana López")
        beto = L.upsert_operator(s, username="beto", full_name="Beto Ruiz")
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = AssignOperatorDialog(led.customer)
        results = await open_screen(pilot, dialog)
        select = dialog.query_one("#operator", Select)
        values = [v for _, v in select._options]
        assert {"ana", "beto", "tester"} <= set(values)
        select.value = "beto"
        await save(pilot)
        assert results == [True]
        assert row(led.db, tables.customer, led.customer).assigned_operator_id == beto

        dialog = AssignOperatorDialog(led.customer)
        results = await open_screen(pilot, dialog)
        assert dialog.query_one("#operator", Select).value == "beto"
        dialog.query_one("#operator", Select).value = "__none__"
        await save(pilot)
        assert results == [True]
    assert row(led.db, tables.customer, led.customer).assigned_operator_id is None


async def test_identifier_dialog(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = IdentifierDialog(led.customer)
        results = await open_screen(pilot, dialog)
        assert dialog.query_one("#identifier", Input).value == "C000001"
        before = counts(led.db)
        await type_into(pilot, "#identifier", "C000002")  # the other customer's
        await save(pilot)
        assert "C000002" in errors(dialog)["identifier"] and results == []
        await type_into(pilot, "#identifier", "AC ME")
        await save(pilot)
        assert "espacios" in errors(dialog)["identifier"]
        assert counts(led.db) == before
        await type_into(pilot, "#identifier", "FERRE-01")
        await pilot.press("enter")  # Enter on the last field saves
        await settle(pilot)
        assert results == [True]
    assert row(led.db, tables.customer, led.customer).identifier == "FERRE-01"


# ------------------------------------------------------------------------------------ create menu
async def test_create_menu_opens_the_right_form_and_returns_its_result(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        menu = CreateMenu(led.customer)
        results = await open_screen(pilot, menu)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DocumentForm) and form.kind == "credit_note"
        await pilot.press("escape")
        await settle(pilot)
        assert results == [None] and not isinstance(app.screen, CreateMenu)

        menu = CreateMenu(led.customer)
        results = await open_screen(pilot, menu)
        await pilot.press("v")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DocumentForm) and form.kind == "sales_note"
        await type_into(pilot, "#line-1-desc", "Tornillos")
        await type_into(pilot, "#line-1-price", "100")
        await save(pilot)
        assert len(results) == 1 and isinstance(results[0], int)
    note = row(led.db, tables.document, results[0])
    assert (note.kind, note.series, note.metodo_pago, note.total_cents) == ("sales_note", "NV", "", 11600)


async def test_create_menu_contract_key(led: Ledger) -> None:
    try:
        from arterm.tui.dialogs.contract_form import ContractForm
    except ImportError:
        ContractForm = None  # noqa: N806 - written by another engineer; until then the menu says so
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        menu = CreateMenu(led.customer)
        await open_screen(pilot, menu)
        await pilot.press("c")
        await settle(pilot)
        if ContractForm is None:
            assert app.screen is menu
            assert any("contratos" in str(n.message) for n in app._notifications)
        else:
            assert isinstance(app.screen, ContractForm)
            assert app.screen.customer_id == led.customer  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------ document form
async def test_invoice_with_two_lines_totals_as_you_type_and_saves(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "invoice")
        results = await open_screen(pilot, form)
        assert form.query_one("#issue_date", Input).value == "28/11/2026"
        assert form.query_one("#due_date", Input).value == "28/12/2026"  # 30 days of terms
        assert form.query_one("#metodo_pago", Select).value == "PPD"
        assert form.query_one("#forma_pago", Select).value == "99"
        await type_into(pilot, "#line-1-desc", "Mantenimiento")
        await type_into(pilot, "#line-1-qty", "2", keys=True)
        await type_into(pilot, "#line-1-price", "1", keys=True)
        assert "$2.32 MXN" in text_of(form, "#totals")
        await pilot.press("5", "0", "0")  # price 1500 typed key by key
        await pilot.pause()
        assert text_of(form, "#line-1-amount") == "3,000.00"
        totals = text_of(form, "#totals")
        assert "$3,000.00 MXN" in totals and "$480.00 MXN" in totals and "$3,480.00 MXN" in totals
        await pilot.press("ctrl+n")
        await settle(pilot)
        second = form.line_rows()[1].serial
        assert form.focused is form.query_one(f"#line-{second}-desc")
        await pilot.press(*"Refacciones")
        await type_into(pilot, f"#line-{second}-price", "250.50")
        await type_into(pilot, f"#line-{second}-tax", "0")
        assert "$3,730.50 MXN" in text_of(form, "#totals")
        await type_into(pilot, "#due_date", "15/01/2027")
        await save(pilot)
        assert len(results) == 1
    doc = row(led.db, tables.document, results[0])
    assert (doc.kind, doc.series, doc.folio) == ("invoice", "A", "3")
    assert (doc.subtotal_cents, doc.tax_cents, doc.total_cents, doc.balance_cents) == (325050, 48000, 373050, 373050)
    assert (doc.issue_date, doc.due_date, doc.metodo_pago, doc.forma_pago) == (TODAY, date(2027, 1, 15), "PPD", "99")
    lines = rows(led.db, tables.document_line, tables.document_line.c.document_id == doc.id)
    assert [(x.description, x.amount_cents, x.tax_cents) for x in lines] == [
        ("Mantenimiento", 300000, 48000), ("Refacciones", 25050, 0)]
    assert balance(led.db, led.customer) == (115000 + 116000 + 373050, 0)
    assert [r.kind for r in rows(led.db, tables.activity, tables.activity.c.document_id == doc.id)] == ["invoice_issued"]


async def test_due_date_follows_the_issue_date_until_typed(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "invoice")
        await open_screen(pilot, form)
        await type_into(pilot, "#issue_date", "2026-11-01")  # ISO works in Spanish too
        assert form.query_one("#due_date", Input).value == "01/12/2026"
        await type_into(pilot, "#due_date", "10/12/2026")
        await type_into(pilot, "#issue_date", "02/11/2026")
        assert form.query_one("#due_date", Input).value == "10/12/2026"


DOCUMENT_BAD_INPUT = [
    ("#issue_date", "31/02/2026", "issue_date", "31/02/2026"),
    ("#issue_date", "ayer no", "issue_date", "no es una fecha"),
    ("#due_date", "01/01/2026", "due_date", "anterior"),
    ("#line-1-qty", "abc", "line-1", "cantidad «abc»"),
    ("#line-1-qty", "0", "line-1", "mayor que cero"),
    ("#line-1-price", "12,5a", "line-1", "precio «12,5a»"),
    ("#line-1-tax", "60", "line-1", "entre 0 y 50"),
    ("#line-1-desc", "", "line-1", "descripción"),
]


async def test_document_form_refuses_bad_input(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "invoice")
        results = await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Servicio")
        await type_into(pilot, "#line-1-price", "100")
        before = counts(led.db)
        for field, value, error_field, expected in DOCUMENT_BAD_INPUT:
            good = {w: form.query_one(w, Input).value for w in ("#issue_date", "#due_date", "#line-1-qty",
                                                                 "#line-1-price", "#line-1-tax", "#line-1-desc")}
            await type_into(pilot, field, value)
            await save(pilot)
            found = errors(form)
            assert list(found) == [error_field], (value, found)
            assert expected in found[error_field], (value, found)
            assert results == [] and app.screen is form
            if field != "#line-1-desc" and error_field.startswith("line-"):
                assert text_of(form, "#totals").count("—") == 3  # no totals from a line that is wrong
            for selector, text in good.items():
                form.query_one(selector, Input).value = text
            await pilot.pause()
        assert counts(led.db) == before


async def test_remove_line_and_pue_invoice(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "invoice")
        results = await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Uno")
        await type_into(pilot, "#line-1-price", "10")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"Dos")
        serial = form.line_rows()[1].serial
        await type_into(pilot, f"#line-{serial}-price", "20")
        assert "$34.80 MXN" in text_of(form, "#totals")
        await pilot.press("ctrl+r")  # removes the line being edited
        await settle(pilot)
        assert len(form.line_rows()) == 1
        assert "$11.60 MXN" in text_of(form, "#totals")
        form.query_one("#metodo_pago", Select).value = "PUE"
        await settle(pilot)
        forma = form.query_one("#forma_pago", Select)
        assert forma.value == "03" and not forma.disabled
        forma.value = "04"
        await save(pilot)
        assert len(results) == 1
    doc = row(led.db, tables.document, results[0])
    assert (doc.metodo_pago, doc.forma_pago, doc.total_cents) == ("PUE", "04", 1160)


async def test_credit_note_applies_to_the_invoices_chosen(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "credit_note")
        results = await open_screen(pilot, form)
        a1 = form.query_one(f"#credit-{led.a1}-amount", Input)
        a2 = form.query_one(f"#credit-{led.a2}-amount", Input)
        await type_into(pilot, "#line-1-desc", "Bonificación por retraso")
        await type_into(pilot, "#line-1-price", "1000")
        await settle(pilot)
        # 1,160.00 spread oldest due first: A-1 owes 1,150.00, the rest to A-2
        assert (a1.value, a2.value) == ("1150.00", "10.00")
        assert "$0.00 MXN" in text_of(form, "#credit-summary")
        await type_into(pilot, f"#credit-{led.a1}-amount", "500", keys=True)
        await type_into(pilot, f"#credit-{led.a2}-amount", "500.00")
        await type_into(pilot, "#line-1-price", "1000.00")  # the operator's amounts are kept
        assert (a1.value, a2.value) == ("500", "500.00")
        summary = text_of(form, "#credit-summary")
        assert "$1,000.00 MXN" in summary and "$160.00 MXN" in summary
        await save(pilot)
        assert len(results) == 1
    cn = row(led.db, tables.document, results[0])
    assert (cn.kind, cn.total_cents, cn.balance_cents, cn.forma_pago) == ("credit_note", 116000, 16000, "15")
    applied = rows(led.db, tables.allocation, tables.allocation.c.credit_note_id == cn.id)
    assert [(a.document_id, a.amount_cents) for a in applied] == [(led.a1, 50000), (led.a2, 50000)]
    assert row(led.db, tables.document, led.a1).balance_cents == 65000
    assert row(led.db, tables.document, led.a2).balance_cents == 66000
    assert balance(led.db, led.customer) == (131000, 16000)
    assert integrity(led.db) == []


async def test_credit_note_over_allocation_is_refused(led: Ledger) -> None:
    cases = [
        ("2000", "", f"credit-{led.a1}", "solo debe $1,150.00 MXN"),
        ("1000", "1000", "allocations", "la nota de crédito es por $1,160.00 MXN"),
        ("10.001", "", f"credit-{led.a1}", "más de dos decimales"),
        ("", "abc", f"credit-{led.a2}", "«abc» no es un importe válido"),
    ]
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "credit_note")
        results = await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Descuento")
        await type_into(pilot, "#line-1-price", "1000")
        before = counts(led.db)
        for a1, a2, field, expected in cases:
            await type_into(pilot, f"#credit-{led.a1}-amount", a1)
            await type_into(pilot, f"#credit-{led.a2}-amount", a2)
            await save(pilot)
            found = errors(form)
            assert list(found) == [field] and expected in found[field], (a1, a2, found)
            assert results == []
        assert counts(led.db) == before


async def test_credit_note_allocation_error_focuses_the_credits(led: Ledger) -> None:
    """QA, in tmux: after "credits more than the note" the focus went to the issue date, so the
    correction typed next replaced the date. The credits' first amount gets the focus."""
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "credit_note")
        await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Descuento")
        await type_into(pilot, "#line-1-price", "1000")
        await type_into(pilot, f"#credit-{led.a1}-amount", "1000")
        await type_into(pilot, f"#credit-{led.a2}-amount", "1000")
        await save(pilot)
        assert list(errors(form)) == ["allocations"]
        assert form.focused is form.query_one(f"#credit-{led.a1}-amount")
        form.query_one(f"#credit-{led.a1}-amount", Input).value = ""
        form.query_one("#line-1-desc", Input).value = ""
        await pilot.pause()
        await save(pilot)  # a line without description: the "lines" error goes to the lines
        assert list(errors(form)) == ["line-1"]
        assert form.focused is form.query_one("#line-1-desc")
        form.query_one("#err-lines", FieldError).show(("form.err.refused", {"detail": "x"}))
        form.show_errors({"lines": ("form.err.refused", {"detail": "x"})})
        await pilot.pause()
        assert form.focused is form.query_one("#line-1-desc")
        assert form.query_one("#issue_date", Input).value == "28/11/2026"


async def test_keys_typed_with_tab_or_enter_in_one_burst_go_to_the_next_field(led: Ledger) -> None:
    """QA, in tmux: "3", Tab, "250" sent in one burst gave a quantity of 3250 (the keys after Tab
    were already queued in the quantity field), and an invoice was saved with it."""
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "invoice")
        results = await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Serv")
        form.query_one("#line-1-qty", Input).focus()
        await pilot.pause()

        def burst(*keys: str) -> None:
            for name in keys:
                app.post_message(events.Key(name, name if len(name) == 1 else None))

        burst("3", "tab", "2", "5", "0", "enter", "0")
        await settle(pilot)
        values = [form.query_one(f"#line-1-{c}", Input).value for c in ("desc", "qty", "price", "tax")]
        assert values == ["Serv", "3", "250", "0"]  # Enter moved on to the tax field
        assert form.focused is form.query_one("#line-1-tax")
        burst("shift+tab", "shift+tab", "shift+tab", "W", "o", "r", "k", "enter", "4")
        await settle(pilot)
        values = [form.query_one(f"#line-1-{c}", Input).value for c in ("desc", "qty", "price", "tax")]
        assert values == ["Work", "4", "250", "0"]
        assert form.focused is form.query_one("#line-1-qty")
        await save(pilot)
        assert len(results) == 1
    doc = row(led.db, tables.document, results[0])
    assert (doc.subtotal_cents, doc.tax_cents, doc.total_cents) == (100000, 0, 100000)


# ------------------------------------------------------------------------------------ payment form
def preview_rows(form: PaymentForm) -> list[tuple[str, ...]]:
    table = form.query_one("#preview", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def test_payment_for_a_document_preview_and_only_this_document(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer, led.a1)
        results = await open_screen(pilot, form)
        assert form.query_one("#amount", Input).value == "1150.00"  # A-1's open balance
        assert form.query_one("#paid_on", Input).value == "28/11/2026"
        assert form.query_one("#forma_pago", Select).value == "03"
        assert form.plan() == [(led.a1, 115000)]
        await type_into(pilot, "#amount", "1,500", keys=True)
        assert form.plan() == [(led.a1, 115000), (led.a2, 35000)]
        assert preview_rows(form)[1] == ("A-2", "19/11/2026", "$1,160.00 MXN", "$350.00 MXN", "$810.00 MXN")
        assert "$0.00 MXN" in text_of(form, "#preview-summary")
        await pilot.click("#only_document")
        await pilot.pause()
        assert form.plan() == [(led.a1, 115000)]
        assert "$350.00 MXN" in text_of(form, "#preview-summary")
        await type_into(pilot, "#reference", "SPEI 998877")
        await save(pilot)
        assert len(results) == 1
    pay = row(led.db, tables.payment, results[0])
    assert (pay.amount_cents, pay.unapplied_cents, pay.status, pay.forma_pago, pay.reference, pay.paid_on) == (
        150000, 35000, "partial", "03", "SPEI 998877", TODAY)
    assert pay.rep_status == "pending"  # A-1 is a PPD invoice
    applied = rows(led.db, tables.allocation, tables.allocation.c.payment_id == pay.id)
    assert [(a.document_id, a.amount_cents) for a in applied] == [(led.a1, 115000)]
    assert row(led.db, tables.document, led.a1).status == "paid"
    assert balance(led.db, led.customer) == (116000, 35000)
    assert integrity(led.db) == []


async def test_typing_over_the_prefilled_amount_replaces_it(led: Ledger) -> None:
    """Seen in tmux: the amount is filled in once the documents are read, after the field got the
    focus, so "500" typed at once gave "1150.00500". It is selected, as a field is on focus."""
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer, led.a1)
        await open_screen(pilot, form)
        amount = form.query_one("#amount", Input)
        assert amount.has_focus and amount.value == "1150.00"
        await pilot.press("5", "0", "0")
        assert amount.value == "500"
        assert form.plan() == [(led.a1, 50000)]


async def test_payment_amount_typed_in_a_burst_keeps_its_keys_in_order(led: Ledger) -> None:
    """Seen in tmux: backspaces and digits sent together were applied out of order ("16202.88",
    then 10 backspaces and "2000", gave "16"): the amount field must apply them as typed."""
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer, led.a1)
        await open_screen(pilot, form)
        amount = form.query_one("#amount", Input)
        assert amount.has_focus and amount.value == "1150.00"
        amount.action_end()
        for name in ["backspace"] * 10 + list("2000"):
            app.post_message(events.Key(name, name if len(name) == 1 else None))
        await settle(pilot)
        assert amount.value == "2000"
        assert form.plan() == [(led.a1, 115000), (led.a2, 85000)]


async def test_payment_without_document_oldest_first_leftover_is_credit(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer)
        results = await open_screen(pilot, form)
        assert form.query_one("#amount", Input).value == "2310.00"  # the whole open balance
        assert form.query_one("#only_document", Checkbox).display is False
        await type_into(pilot, "#amount", "3000")
        assert form.plan() == [(led.a1, 115000), (led.a2, 116000)]
        assert "$690.00 MXN" in text_of(form, "#preview-summary")
        form.query_one("#forma_pago", Select).value = "01"
        await save(pilot)
        assert len(results) == 1
    pay = row(led.db, tables.payment, results[0])
    assert (pay.amount_cents, pay.unapplied_cents, pay.forma_pago) == (300000, 69000, "01")
    assert balance(led.db, led.customer) == (0, 69000)
    activity = rows(led.db, tables.activity, tables.activity.c.payment_id == pay.id)
    assert [a.kind for a in activity] == ["payment_recorded"]


PAYMENT_BAD_INPUT = [
    ("#amount", "abc", "«abc» no es un importe válido"),
    ("#amount", "12.345", "más de dos decimales"),
    ("#amount", "-5", "mayor que cero"),
    ("#amount", "0", "mayor que cero"),
    ("#amount", "", "obligatorio"),
    ("#amount", "5USD", "no está en MXN"),  # QA: read as 5 pesos
    ("#amount", "1,2,3", "«1,2,3» no es un importe válido"),  # was read as 123
    ("#amount", "١٢٣", "no es un importe válido"),  # Arabic-Indic digits
    ("#paid_on", "2026-13-01", "no es una fecha válida"),
    ("#paid_on", "29/11/2026", "posterior a hoy"),
]


async def test_payment_form_refuses_bad_amount_or_date(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer, led.a1)
        results = await open_screen(pilot, form)
        before = counts(led.db)
        for field, value, expected in PAYMENT_BAD_INPUT:
            good = form.query_one(field, Input).value
            await type_into(pilot, field, value)
            await save(pilot)
            found = errors(form)
            name = field.lstrip("#")
            assert list(found) == [name] and expected in found[name], (value, found)
            assert results == []
            form.query_one(field, Input).value = good
            await pilot.pause()
        assert counts(led.db) == before


async def test_ledger_refuses_a_stale_allocation_and_the_form_says_so(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer, led.a1)
        results = await open_screen(pilot, form)
        assert form.plan() == [(led.a1, 115000)]
        with led.db.write() as s:  # someone records 500.00 on A-1 while the form is open
            L.record_payment(s, actor="ana", customer_id=led.customer, amount="500.00", paid_on=TODAY,
                             allocations=[(led.a1, "500.00")])
        before = counts(led.db)
        await save(pilot)
        found = errors(form)
        assert list(found) == ["allocations"]
        assert "650.00" in found["allocations"] and "1150.00" in found["allocations"]
        assert results == [] and counts(led.db) == before
        # the balances were reloaded: the preview now shows what A-1 really owes
        assert form.plan() == [(led.a1, 65000), (led.a2, 50000)]
        await save(pilot)
        assert len(results) == 1
    assert balance(led.db, led.customer) == (66000, 0)
    assert integrity(led.db) == []


def test_plan_allocation_is_pure_and_exact() -> None:
    from arterm.queries.lists import DocumentRow

    def doc(id_: int, due: date, bal: int, cur: str = "MXN", status: str = "current") -> DocumentRow:
        return DocumentRow(id_, "invoice", f"A-{id_}", due, due, cur, bal, bal, status, "PPD", None, None, 0)

    docs = [doc(1, date(2026, 3, 1), 1000), doc(2, date(2026, 1, 1), 500), doc(3, date(2026, 2, 1), 700, "USD"),
            doc(4, date(2025, 1, 1), 900, status="paid")]
    assert plan_allocation(1200, docs, "MXN") == ([(docs[1], 500), (docs[0], 700)], 0)
    assert plan_allocation(2000, docs, "MXN", first=1) == ([(docs[0], 1000), (docs[1], 500)], 500)
    assert plan_allocation(2000, docs, "MXN", first=1, only_first=True) == ([(docs[0], 1000)], 1000)
    assert plan_allocation(100, docs, "USD") == ([(docs[2], 100)], 0)


# ------------------------------------------------------------------------------------ cancel
async def test_cancel_invoice_explains_asks_and_cancels(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = CancelDialog(document_id=led.a1)
        results = await open_screen(pilot, dialog)
        said = " ".join(str(w.render()) for w in dialog.query(".consequence"))
        assert "$1,150.00 MXN" in said and "pagos aplicados ($300.00 MXN)" in said and "saldo a favor" in said
        before = counts(led.db)
        await save(pilot)  # no reason yet
        assert "motivo" in errors(dialog)["reason"] and app.screen is dialog
        await type_into(pilot, "#reason", "Se facturó al cliente equivocado")
        await save(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "A-1" in str(app.screen.query_one("#confirm-message", Static).render())
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is dialog and results == [] and counts(led.db) == before
        await save(pilot)
        await pilot.press("s")  # sí
        await settle(pilot)
        assert results == [True]
    doc = row(led.db, tables.document, led.a1)
    assert (doc.status, doc.balance_cents, doc.cancel_reason, doc.cancelled_on) == (
        "cancelled", 0, "Se facturó al cliente equivocado", TODAY)
    assert balance(led.db, led.customer) == (116000, 30000)  # the 300.00 paid became credit
    assert integrity(led.db) == []


async def test_cancel_payment_reopens_the_invoice(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = CancelDialog(payment_id=led.payment)
        results = await open_screen(pilot, dialog)
        said = " ".join(str(w.render()) for w in dialog.query(".consequence"))
        assert "A-1" in said and "$300.00 MXN" in said
        await type_into(pilot, "#reason", "Rebotó")
        await save(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert results == [True]
    assert row(led.db, tables.payment, led.payment).status == "cancelled"
    assert row(led.db, tables.document, led.a1).balance_cents == 145000


# ------------------------------------------------------------------------------------ notes
async def test_note_dialog_saves_to_the_document(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = NoteDialog(led.customer, led.a2)
        results = await open_screen(pilot, dialog)
        assert "A-2" in str(dialog.query_one("#note-about").render())
        before = counts(led.db)
        await save(pilot)
        assert "obligatorio" in errors(dialog)["note"] and counts(led.db) == before
        area = dialog.query_one("#note-text", TextArea)
        area.focus()
        await pilot.press(*"Promete pagar", "enter", *"el viernes")
        await save(pilot)
        assert len(results) == 1
    note = row(led.db, tables.note, results[0])
    assert (note.customer_id, note.document_id, note.text) == (led.customer, led.a2, "Promete pagar\nel viernes")


# ------------------------------------------------------------------------------------ payment detail
async def test_payment_dialog_records_the_rep_uuid(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = PaymentDialog(led.payment)
        results = await open_screen(pilot, dialog)
        rep = text_of(dialog, "#pay-rep")
        # paid 01/10/2026 → REP due 05/11/2026; on 28/11/2026 it is 23 days late
        assert "REP pendiente" in rep and "05/11/2026" in rep and "23 días de retraso" in rep
        table = dialog.query_one("#pay-allocations", DataTable)
        assert str(table.get_row_at(0)[0]) == "A-1"
        before = counts(led.db)
        await type_into(pilot, "#rep_uuid", "not-a-uuid")
        await save(pilot)
        assert "not-a-uuid" in errors(dialog)["rep_uuid"] and counts(led.db) == before
        await type_into(pilot, "#rep_uuid", REP_UUID.upper())
        await pilot.press("enter")
        await settle(pilot)
        assert results == [] and "REP emitido" in text_of(dialog, "#pay-rep")
        await pilot.press("escape")
        await settle(pilot)
        assert results == [True]
    pay = row(led.db, tables.payment, led.payment)
    assert (pay.rep_status, pay.rep_uuid) == ("issued", REP_UUID)


async def test_payment_dialog_applies_remaining_credit(led: Ledger) -> None:
    with led.db.write() as s:  # an advance: nothing applied yet
        advance = L.record_payment(s, actor=ACTOR, customer_id=led.customer, amount="2000.00", paid_on=TODAY,
                                   allocations=None)
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = PaymentDialog(advance)
        results = await open_screen(pilot, dialog)
        assert "$2,000.00 MXN" in text_of(dialog, "#pay-detail")
        dialog.query_one("#pay-allocations").focus()
        await pilot.press("a")
        await settle(pilot)
        table = dialog.query_one("#pay-allocations", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["A-1", "A-2"]
        await pilot.press("escape")
        await settle(pilot)
        assert results == [True]
    pay = row(led.db, tables.payment, advance)
    assert (pay.unapplied_cents, pay.status) == (0, "applied")
    assert balance(led.db, led.customer) == (31000, 0)


async def test_payment_dialog_cancels_the_payment(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = PaymentDialog(led.payment)
        results = await open_screen(pilot, dialog)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, CancelDialog)
        await type_into(pilot, "#reason", "Duplicado")
        await save(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is dialog
        assert "Cancelado" in text_of(dialog, "#pay-detail")
        rep = text_of(dialog, "#pay-rep")  # QA: it still said "REP pendiente" with a deadline
        assert "No requiere REP" in rep and "pendiente" not in rep
        await pilot.press("escape")
        await settle(pilot)
        assert results == [True]
    pay = row(led.db, tables.payment, led.payment)
    assert (pay.status, pay.rep_status) == ("cancelled", "not_required")
    with led.db.write() as w:  # as an older arterm left it: cancelled, REP still "pending"
        w.execute(tables.payment.update().where(tables.payment.c.id == led.payment).values(rep_status="pending"))
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = PaymentDialog(led.payment)
        await open_screen(pilot, dialog)
        rep = text_of(dialog, "#pay-rep")
        assert "No requiere REP" in rep and "pendiente" not in rep


# ------------------------------------------------------------------------------------ language, literal text
async def test_language_switch_relabels_an_open_form(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = PaymentForm(led.customer, led.a1)
        await open_screen(pilot, form)
        await type_into(pilot, "#amount", "abc")
        await save(pilot)
        assert "no es un importe válido" in errors(form)["amount"]
        assert str(form.query_one("#form-title").render()) == "Registrar pago"
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
        assert str(form.query_one("#form-title").render()) == "Record payment"
        assert str(form.query_one("#field-amount .field-label").render()) == "Amount"
        assert "is not a valid amount" in errors(form)["amount"]  # the message follows the language
        assert str(form.query_one("#forma_pago #label", Static).render()) == "03 Electronic funds transfer"
        assert str(form.query_one("#form-save").label).startswith("Save")
        await type_into(pilot, "#amount", "1000")
        assert "Left as customer credit" in text_of(form, "#preview-summary")


async def test_customer_name_is_shown_literally(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "invoice")
        await open_screen(pilot, form)
        shown = str(form.query_one("#customer-line").render())
        assert shown == f"Cliente: {HOSTILE}"


def test_list_operators_on_both_engines(db: Database) -> None:
    from arterm.queries.operators import list_operators

    with db.write() as s:
        L.upsert_operator(s, username="zoe", full_name="Zoé Ñúñez", email="zoe@example.com")
        L.upsert_operator(s, username="ana")
    with db.read() as s:
        ops = list_operators(s)
        assert [(o.username, o.full_name, o.email) for o in ops] == [("ana", "ana", ""),
                                                                    ("zoe", "Zoé Ñúñez", "zoe@example.com")]
        assert [o.username for o in list_operators(s, limit=1)] == ["ana"]


def test_every_form_string_exists_in_both_languages() -> None:
    from arterm.locale import tui_forms

    assert set(tui_forms.ES) == set(tui_forms.EN)
    assert all(k.startswith(("form.", "docview.")) for k in tui_forms.ES)


def test_forms_are_form_modals() -> None:
    for cls in (CustomerForm, DocumentForm, PaymentForm, CancelDialog, NoteDialog, PaymentDialog,
                AssignOperatorDialog, IdentifierDialog):
        assert issubclass(cls, FormModal)


async def test_typing_a_new_identifier_replaces_the_old_one(led: Ledger) -> None:
    """Seen in tmux: the identifier is filled in once the customer is read, after the field got the
    focus, so 'i' then 'C000184' typed at once saved 'C000008C000184'. It is selected, as on focus."""
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = IdentifierDialog(led.customer)
        results = await open_screen(pilot, dialog)
        field = dialog.query_one("#identifier", Input)
        assert field.has_focus and field.value == "C000001"
        await pilot.press("N", "E", "W", "1", "enter")
        await settle(pilot)
        assert results == [True]
    assert row(led.db, tables.customer, led.customer).identifier == "NEW1"


# ------------------------------------------------------------------------------------ discarding changes
async def test_escape_on_a_filled_in_credit_note_asks_before_discarding(led: Ledger) -> None:
    app = make_app(led.db, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        form = DocumentForm(led.customer, "credit_note")
        results = await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Bonificación", keys=True)
        await type_into(pilot, "#line-1-price", "1000", keys=True)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and "Discard changes?" in text_of(app.screen, "#confirm-message")
        await pilot.press("escape")  # no: back to the form, everything still there
        await settle(pilot)
        assert app.screen is form and form.query_one("#line-1-desc", Input).value == "Bonificación"
        assert results == []
        await pilot.press("escape", "y")  # yes: the form closes as cancelled
        await settle(pilot)
        assert app.screen is not form and results == [None]
    assert rows(led.db, tables.document, tables.document.c.kind == "credit_note") == []


@pytest.mark.parametrize("make", [
    lambda led: DocumentForm(led.customer, "credit_note"),
    lambda led: DocumentForm(led.customer, "invoice"),
    lambda led: CustomerForm(led.customer),  # filled in from the database on load: not a change
    lambda led: PaymentForm(led.customer, led.a2),  # amount filled in on load
    lambda led: IdentifierDialog(led.customer),
    lambda led: NoteDialog(led.customer, led.a2),
])
async def test_escape_on_an_untouched_form_closes_at_once(led: Ledger, make: Any) -> None:
    app = make_app(led.db, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        form = make(led)
        results = await open_screen(pilot, form)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not form and not isinstance(app.screen, ConfirmDialog) and len(results) == 1


async def test_a_field_typed_in_and_restored_is_not_a_change(led: Ledger) -> None:
    app = make_app(led.db, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        form = CustomerForm(led.customer)
        results = await open_screen(pilot, form)
        await type_into(pilot, "#phone", "5", keys=True)
        await pilot.press("backspace")
        await pilot.press("escape")
        await settle(pilot)
        assert results == [None]


# ------------------------------------------------------------------------------------ small terminals
def _on_screen(widget: Any, height: int = 24) -> bool:
    region = widget.region
    return region.height > 0 and 0 <= region.y and region.bottom <= height


@pytest.mark.parametrize("make", [
    lambda led: DocumentForm(led.customer, "credit_note"),
    lambda led: DocumentForm(led.customer, "invoice"),
    lambda led: PaymentForm(led.customer, led.a2),
    lambda led: CustomerForm(led.customer),
])
async def test_forms_keep_their_buttons_on_an_80x24_terminal(led: Ledger, make: Any) -> None:
    """The credit note form ran past the bottom of an 80x24 terminal: Save/Cancel were cut off."""
    app = make_app(led.db, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        form = make(led)
        await open_screen(pilot, form)
        await settle(pilot)
        assert _on_screen(form.query_one("#form-save")) and _on_screen(form.query_one("#form-cancel"))


async def test_credit_note_at_80x24_scrolls_to_the_field_being_typed_in(led: Ledger) -> None:
    app = make_app(led.db, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        form = DocumentForm(led.customer, "credit_note")
        await open_screen(pilot, form)
        await type_into(pilot, "#line-1-desc", "Bonificación")
        await type_into(pilot, "#line-1-price", "100")
        await settle(pilot)
        last = form.query_one(f"#credit-{led.a2}-amount", Input)
        last.focus()
        await settle(pilot)
        body = form.query_one(".form-body")
        assert _on_screen(last) and body.region.contains_region(last.region)
        await pilot.press("ctrl+s")  # the totals and credits were filled in: it saves
        await settle(pilot)
        assert app.screen is not form
    assert len(rows(led.db, tables.document, tables.document.c.kind == "credit_note")) == 1
