"""Snapshots of the payment form, an invoice form with two lines and the document screen, in Spanish
and English (120x40, business date 2026-11-28). Each SVG under ``__snapshots__`` was reviewed by
eye before it was accepted; regenerate with ``--snapshot-update`` and review again.

The dialogs sit on an empty screen (``SnapApp``) so that changes to the customers screen do not
change these pictures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import arterm.tui.app as app_module
from arterm import ledger as L
from arterm.config import Settings, UiSettings
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp
from .pilot_helpers import settle, settle_steady

TODAY = date(2026, 11, 28)
ACTOR = "tester"
SIZE = (120, 40)


class SnapApp(ArtermApp):
    """The real app on an empty base screen."""

    CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")
    MODES: dict[str, Any] = {}
    DEFAULT_MODE = "_default"


@pytest.fixture
def ledger_db(tmp_path: Path) -> Iterator[tuple[Database, dict[str, int]]]:
    db = Database(f"sqlite:///{tmp_path / 'snap.db'}")
    with db.write() as s:
        c = L.create_customer(s, actor=ACTOR, name="[bold red]Ferretería[/] <b>Ñandú</b> SA de CV",
                              rfc="EKU9003173C9", payment_terms_days=30)
        a1 = L.issue_document(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 9, 15),
                              lines=[L.LineInput("Servicio de mantenimiento preventivo", "2", "500.00", "0.16"),
                                     L.LineInput("Refacciones", "1", "250.00", "0.16")],
                              cfdi_uuid="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        a2 = L.issue_document(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 11, 20),
                              lines=[L.LineInput("Consultoría", "1", "1000.00", "0.16")])
        L.record_payment(s, actor=ACTOR, customer_id=c, amount="300.00", paid_on=date(2026, 10, 1),
                         allocations=[(a1, "300.00")], reference="SPEI 123")
        L.issue_credit_note(s, actor=ACTOR, customer_id=c, issue_date=date(2026, 10, 20),
                            lines=[L.LineInput("Bonificación", "1", "50.00", "0.16")], applies_to=[(a1, "58.00")])
    try:
        yield db, {"customer": c, "a1": a1, "a2": a2}
    finally:
        db.dispose()


def make_app(db: Database, lang: str) -> SnapApp:
    return SnapApp(settings=Settings(ui=UiSettings(language=lang)), url=db.url, operator=ACTOR, database=db,
                   today=TODAY)


async def type_into(pilot: Any, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    widget.value = ""
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


@pytest.mark.parametrize("lang", ["es", "en"])
def test_payment_form_snapshot(snap_compare: Any, ledger_db: tuple[Database, dict[str, int]], lang: str) -> None:
    from arterm.tui.dialogs.payment_form import PaymentForm

    db, ids = ledger_db

    async def run_before(pilot: Any) -> None:
        pilot.app.push_screen(PaymentForm(ids["customer"], ids["a1"]))
        await settle(pilot)
        await type_into(pilot, "#amount", "2500")
        await type_into(pilot, "#reference", "SPEI 445566")
        await settle_steady(pilot)

    assert snap_compare(make_app(db, lang), run_before=run_before, terminal_size=SIZE)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_invoice_form_two_lines_snapshot(snap_compare: Any, ledger_db: tuple[Database, dict[str, int]],
                                         lang: str) -> None:
    from arterm.tui.dialogs.document_form import DocumentForm

    db, ids = ledger_db

    async def run_before(pilot: Any) -> None:
        form = DocumentForm(ids["customer"], "invoice")
        pilot.app.push_screen(form)
        await settle(pilot)
        await type_into(pilot, "#line-1-desc", "Mantenimiento mensual")
        await type_into(pilot, "#line-1-qty", "2")
        await type_into(pilot, "#line-1-price", "1500")
        await pilot.press("ctrl+n")
        await settle(pilot)
        second = form.line_rows()[1].serial
        await type_into(pilot, f"#line-{second}-desc", "Refacciones")
        await type_into(pilot, f"#line-{second}-price", "250.50")
        await settle_steady(pilot)

    assert snap_compare(make_app(db, lang), run_before=run_before, terminal_size=SIZE)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_document_screen_snapshot(snap_compare: Any, ledger_db: tuple[Database, dict[str, int]], lang: str) -> None:
    from arterm.tui.screens.document import DocumentScreen

    db, ids = ledger_db

    async def run_before(pilot: Any) -> None:
        pilot.app.push_screen(DocumentScreen(ids["a1"]))
        await settle_steady(pilot)

    assert snap_compare(make_app(db, lang), run_before=run_before, terminal_size=SIZE)
