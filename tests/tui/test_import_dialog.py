"""Pilot tests: ImportDialog (path → import in a worker → the report) on a real SQLite database."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import Button, Input, RichLog, Static

from arterm.cfdi.generate import Customer, Line, PaidDocument, Payment, invoice_xml, payment_xml
from arterm.config import Settings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp
from arterm.tui.dialogs.import_cfdi import ImportDialog, palette_commands
from .pilot_helpers import settle

TODAY = date(2026, 11, 28)
SIZE = (120, 40)
HOSTILE = "[bold red]X[/] <b>"
HOSTILE_FILE = "[bold red]X[red] <b>.xml"  # no "/" in a file name


def U(n: int) -> str:
    return f"EEEEEEEE-0000-4000-8000-{n:012d}"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'tui.db'}")
    yield database
    database.dispose()


def make_app(db: Database, lang: str = "es") -> ArtermApp:
    return ArtermApp(settings=Settings(ui=UiSettings(language=lang)), url=db.url, operator="tester", database=db,
                     today=TODAY)


def files(folder: Path) -> Path:
    folder.mkdir()
    customer = Customer("KIJ0906199R1", HOSTILE, "59820")
    inv = invoice_xml(uuid=U(1), issued_at=datetime(2026, 10, 1), customer=customer,
                      lines=(Line("SERVICIO", D(1), D("1000.00"), D(0)),))
    rep = payment_xml([Payment(datetime(2026, 11, 2), [PaidDocument(U(1), D("1000"), D("400"))])], uuid=U(2),
                      customer=customer)
    waiting = payment_xml([Payment(datetime(2026, 11, 3), [PaidDocument(U(9), D("50"), D("50"))])], uuid=U(3),
                          customer=customer)
    with zipfile.ZipFile(folder / "descarga.zip", "w") as zf:
        zf.writestr("a.xml", inv)
        zf.writestr("b.xml", rep)
    (folder / "waiting.xml").write_bytes(waiting)
    (folder / HOSTILE_FILE).write_bytes(b"<html>not a cfdi</html>")
    return folder


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


def log_text(dialog: ImportDialog) -> str:
    return "".join(line.text for line in dialog.query_one("#import-log", RichLog).lines)  # lines wrap


async def test_import_runs_in_a_worker_and_shows_the_report(db: Database, tmp_path: Path) -> None:
    folder = files(tmp_path / "cfdi")
    app = make_app(db)
    results: list[object] = []
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ImportDialog(), results.append)
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        assert app.focused is dialog.query_one("#import-path", Input)
        await pilot.press(*str(folder), "enter")
        await settle(pilot)
        assert plain(dialog.query_one("#import-status", Static)) == "Listo: 3 CFDI importados"
        assert plain(dialog.query_one("#import-summary", Static)).splitlines() == [
            "Facturas importadas: 1", "Notas de crédito importadas: 0", "REP importados: 2", "Duplicados: 0",
            "No emitidos por nosotros: 0", "Esperando su factura: 1", "Avisos: 0", "Rechazados: 1"]
        text = log_text(dialog)
        # untrusted file names are shown as they are, never as markup
        assert f"{folder / HOSTILE_FILE}: not a CFDI: root element is 'html', expected Comprobante" in text
        assert str(folder / "waiting.xml") in text
        bar = dialog.query_one("#import-progress")
        assert bar.progress == bar.total == 4
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportDialog)
    (report,) = results
    assert report is not None and report.imported == {"invoice": 1, "credit_note": 0, "payment": 2}  # type: ignore[attr-defined]
    with db.read() as s:
        doc = s.execute(sa.select(tables.document)).one()
        assert (doc.cfdi_uuid, doc.balance_cents) == (U(1).lower(), 60000)
        assert s.execute(sa.select(tables.customer.c.name)).scalars().all() == [HOSTILE]


async def test_a_second_run_reports_duplicates_in_english(db: Database, tmp_path: Path) -> None:
    folder = files(tmp_path / "cfdi")
    app = make_app(db, "en")
    async with app.run_test(size=SIZE) as pilot:
        dialog = ImportDialog(str(folder))
        app.push_screen(dialog)
        await settle(pilot)
        await pilot.click("#import-run")
        await settle(pilot)
        await pilot.click("#import-run")
        await settle(pilot)
        lines = plain(dialog.query_one("#import-summary", Static)).splitlines()
        assert lines[:4] == ["Invoices imported: 0", "Credit notes imported: 0", "REPs imported: 0", "Duplicates: 3"]
        assert plain(dialog.query_one("#import-status", Static)) == "Done: 0 CFDI imported"
        # switching language (from the app: its ctrl+l is not active under a modal) relabels the dialog
        app.set_language("es")
        await settle(pilot)
        assert str(dialog.query_one("#import-run", Button).label) == "Importar"
        assert plain(dialog.query_one("#import-summary", Static)).splitlines()[3] == "Duplicados: 3"


async def test_missing_path_is_refused_without_running(db: Database, tmp_path: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        dialog = ImportDialog()
        app.push_screen(dialog)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        status = dialog.query_one("#import-status", Static)
        assert plain(status) == "Escriba la ruta de un archivo, carpeta o .zip" and status.has_class("-error")
        dialog.query_one("#import-path", Input).value = str(tmp_path / "nope")
        await pilot.press("enter")
        await settle(pilot)
        assert plain(status) == f"No existe: {tmp_path / 'nope'}"
        assert dialog.report is None and not dialog.query_one("#import-run", Button).disabled


async def test_palette_entry_opens_the_dialog_and_the_customer_list_follows(db: Database, tmp_path: Path) -> None:
    from arterm.tui.screens.customers import CustomersScreen

    folder = files(tmp_path / "cfdi")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen) and customers.table.row_count == 0
        ((label, help_key, callback),) = list(palette_commands(app))
        assert (app.tr(label), app.tr(help_key)) == ("Importar CFDI",
                                                     "Facturas, notas de crédito y REP desde XML, carpetas o .zip")
        callback()
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        dialog.query_one("#import-path", Input).value = str(folder)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        for _ in range(20):  # the list reloads in its own worker
            if customers.table.row_count:
                break
            await pilot.pause(0.05)
        assert app.screen is customers and customers.table.row_count == 1
