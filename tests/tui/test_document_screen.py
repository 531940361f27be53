"""Pilot tests of the document detail screen on a real SQLite ledger (business date 2026-11-28)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ledger_helpers import counts
from textual.widgets import DataTable, Static, TextArea

from arterm import ledger as L
from arterm.config import Settings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries.lists import list_notes
from arterm.tui.app import ArtermApp
from arterm.tui.dialogs.cancel import CancelDialog
from arterm.tui.dialogs.confirm import ConfirmDialog
from arterm.tui.dialogs.payment import PaymentDialog
from arterm.tui.dialogs.payment_form import PaymentForm
from arterm.tui.screens.document import DocumentScreen
from .pilot_helpers import settle

TODAY = date(2026, 11, 28)
ACTOR = "tester"
HOSTILE = "[bold red]Ferretería[/] <b>Ñandú</b> SA de CV"


@dataclass
class Ledger:
    db: Database
    customer: int
    a1: int  # 1,450.00, 300.00 paid, overdue since 15/10/2026
    a2: int
    payment: int
    credit_note: int  # 116.00 applied to A-2


@pytest.fixture
def led(tmp_path: Path) -> Iterator[Ledger]:
    db = Database(f"sqlite:///{tmp_path / 'document.db'}")
    with db.write() as s:
        c = L.create_customer(s, actor=ACTOR, name=HOSTILE, rfc="EKU9003173C9", payment_terms_days=30)
        a1 = L.issue_document(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 9, 15),
                              lines=[L.LineInput("Servicio de mantenimiento [b]", "2", "500.00", "0.16"),
                                     L.LineInput("Refacciones", "1", "250.00", "0.16")],
                              cfdi_uuid="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        a2 = L.issue_document(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 11, 20),
                              lines=[L.LineInput("Consultoría", "1", "1000.00", "0.16")])
        pay = L.record_payment(s, actor=ACTOR, customer_id=c, amount="300.00", paid_on=date(2026, 10, 1),
                               allocations=[(a1, "300.00")], reference="SPEI 123")
        cn = L.issue_credit_note(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 11, 25),
                                 lines=[L.LineInput("Bonificación", "1", "100.00", "0.16")],
                                 applies_to=[(a2, "116.00")])
    try:
        yield Ledger(db, c, a1, a2, pay, cn)
    finally:
        db.dispose()


def make_app(db: Database, lang: str = "es") -> ArtermApp:
    return ArtermApp(settings=Settings(ui=UiSettings(language=lang)), url=db.url, operator=ACTOR, database=db,
                     today=TODAY)


async def open_document(pilot: Any, document_id: int) -> tuple[DocumentScreen, list[Any]]:
    results: list[Any] = []
    screen = DocumentScreen(document_id)
    pilot.app.push_screen(screen, results.append)
    await settle(pilot)
    assert pilot.app.screen is screen
    return screen, results


def text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def table_rows(screen: Any, selector: str) -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def doc_row(db: Database, doc_id: int) -> Any:
    with db.read() as s:
        return s.execute(sa.select(tables.document).where(tables.document.c.id == doc_id)).one()


async def test_document_screen_shows_header_lines_totals_allocations_and_activity(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.a1)
        title = text(screen, "#doc-title")
        assert title == f"Factura A-1 · {HOSTILE}"  # the customer's name literally
        header = text(screen, "#doc-header")
        for expected in ("Vencido · 44 días", "15/09/2026", "15/10/2026", "MXN", "PPD", "99 Por definir",
                         "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"):
            assert expected in header
        totals = text(screen, "#doc-totals")
        for expected in ("$1,250.00 MXN", "$200.00 MXN", "$1,450.00 MXN", "$1,150.00 MXN"):
            assert expected in totals
        lines = table_rows(screen, "#doc-lines")
        assert lines[0] == ["1", "Servicio de mantenimiento [b]", "2", "500.00", "16%", "1,000.00", "160.00"]
        assert lines[1][1] == "Refacciones"
        assert table_rows(screen, "#doc-allocations") == [["Pago #1", "01/10/2026", "$300.00 MXN", ""]]
        activity = table_rows(screen, "#doc-activity")
        # Newest first: the payment applied to it, then the invoice itself.
        assert [r[1] for r in activity] == ["Pago registrado", "Factura emitida"]
        assert activity[1][0] == "15/09/2026" and activity[1][2] == "$1,450.00 MXN"


async def test_a_payment_split_over_documents_shows_what_it_applied_here(led: Ledger) -> None:
    """QA: a $20,000 payment spread over several invoices was listed as $20,000 under each one,
    so an invoice looked overpaid. The activity shows what the payment applied to this document
    and says what the whole payment was."""
    with led.db.write() as s:
        L.record_payment(s, actor=ACTOR, customer_id=led.customer, amount="2000.00", paid_on=date(2026, 11, 26),
                         reference="SPEI 456")  # oldest due first: 1,150.00 to A-1, the rest to A-2
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.a1)
        activity = table_rows(screen, "#doc-activity")
        assert [(r[1], r[2]) for r in activity] == [
            ("Pago registrado", "$1,150.00 MXN"), ("Pago registrado", "$300.00 MXN"), ("Factura emitida", "$1,450.00 MXN")]
        assert activity[0][4].startswith("de un pago de $2,000.00 MXN")
        assert activity[1][4].startswith("de un pago de $300.00 MXN")
        await pilot.press("escape")
        await settle(pilot)
        screen, _ = await open_document(pilot, led.a2)
        activity = table_rows(screen, "#doc-activity")
        assert ("Pago registrado", "$850.00 MXN") in [(r[1], r[2]) for r in activity]


async def test_credit_note_screen_shows_what_it_was_applied_to(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.credit_note)
        assert text(screen, "#doc-title").startswith("Nota de crédito NC-1")
        assert text(screen, "#doc-allocations-title") == "Aplicada a"
        assert table_rows(screen, "#doc-allocations") == [["A-2", "25/11/2026", "$116.00 MXN", ""]]
        assert "Sin aplicar" in text(screen, "#doc-totals")
        assert screen.check_action("add_payment", ()) is False  # a credit note is not paid


async def test_note_typed_in_the_document_is_saved_to_it(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, results = await open_document(pilot, led.a1)
        assert "Sin notas" in str(screen.query_one("#doc-notes-list").query_one(Static).render())
        before = counts(led.db)
        await pilot.press("n")  # to the Notes box
        assert isinstance(app.focused, TextArea)
        await pilot.press("ctrl+s")  # empty: refused, nothing written
        await settle(pilot)
        assert "vacía" in text(screen, "#doc-note-error") and counts(led.db) == before
        await pilot.press(*"Llamé al cliente: paga el lunes", "enter", *"[b]sin falta[/b]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.query_one("#doc-note-input", TextArea).text == ""
        assert screen.query_one("#doc-note-error").display is False
        shown = [str(w.render()) for w in screen.query("#doc-notes-list .note")]
        assert len(shown) == 1 and "Llamé al cliente: paga el lunes\n[b]sin falta[/b]" in shown[0]
        assert "tester" in shown[0]
        activity = table_rows(screen, "#doc-activity")
        assert activity[0][1] == "Nota agregada"
        await pilot.press("escape")  # leaves the notes box first
        assert app.screen is screen and not isinstance(app.focused, TextArea)
        await pilot.press("escape")
        await settle(pilot)
        assert results == [True]
    with led.db.read() as s:
        notes = list_notes(s, led.customer)  # what the customer's Notes tab lists
    assert [(n.document_id, n.document_ref, n.text) for n in notes] == [
        (led.a1, "A-1", "Llamé al cliente: paga el lunes\n[b]sin falta[/b]")]


async def test_add_payment_from_the_document(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.a1)
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PaymentForm) and form.document_id == led.a1
        assert form.plan() == [(led.a1, 115000)]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "Pagado" in text(screen, "#doc-header")
        assert [r[0] for r in table_rows(screen, "#doc-allocations")] == ["Pago #1", "Pago #2"]
        assert screen.check_action("add_payment", ()) is False
    assert doc_row(led.db, led.a1).balance_cents == 0


async def test_cancel_from_the_document_asks_first(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.a1)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CancelDialog)
        dialog.query_one("#reason").focus()
        await pilot.press(*"Error de captura")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen is screen
        header = text(screen, "#doc-header")
        assert "Cancelado" in header and "Error de captura" in header
        assert "Documento cancelado" in [r[1] for r in table_rows(screen, "#doc-activity")]
        assert screen.check_action("cancel_document", ()) is False
    assert doc_row(led.db, led.a1).status == "cancelled"


async def test_enter_on_a_payment_opens_it(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.a1)
        screen.query_one("#doc-allocations").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDialog) and app.screen.payment_id == led.payment


async def test_document_screen_in_english(led: Ledger) -> None:
    app = make_app(led.db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_document(pilot, led.a1)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert text(screen, "#doc-title").startswith("Invoice A-1")
        header = text(screen, "#doc-header")
        assert "Overdue · 44 days" in header and "2026-09-15" in header
        assert text(screen, "#doc-notes-title") == "Document notes"
        assert table_rows(screen, "#doc-allocations")[0][0] == "Payment #1"
