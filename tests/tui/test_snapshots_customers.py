"""Snapshots of the customers screen (the start screen) in Spanish and English, 120x40, fixed data
and business date 2026-11-28. Each SVG under ``__snapshots__`` was rendered to PNG and reviewed by
eye before it was accepted; regenerate with ``--snapshot-update`` and review again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from arterm import ledger as L
from arterm.config import Settings, UiSettings
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp
from .pilot_helpers import settle_steady

TODAY = date(2026, 11, 28)
ACTOR = "tester"
SIZE = (120, 40)

CUSTOMERS = [  # name, rfc, identifier, operator, [(amount, issue date)], currency
    ("Abarrotes La Esperanza SA de CV", "KIJ0906199R1", "C000101", "ana", [("18500.00", date(2026, 9, 10))], "MXN"),
    ("Comercializadora Ñandú SA de CV", "EKU9003173C9", "C000102", "tester",
     [("10000.00", date(2026, 8, 1)), ("4250.50", date(2026, 11, 15))], "MXN"),
    ("[bold red]Dulcería La Ñ[/] & <b>Hnos</b>", "H&E951128469", "C000103", "ana", [("320.00", date(2026, 11, 1))],
     "MXN"),
    ("Ferretería Álvarez e Hijos", "URE180429TM6", "C000104", "luis", [("2300000.00", date(2026, 11, 20))], "MXN"),
    ("Grupo Industrial del Bajío SA de CV", "XIQB891116QE4", "C000105", "tester",
     [("75000.00", date(2026, 7, 1)), ("12000.00", date(2026, 10, 1))], "MXN"),
    ("José Luis Pérez Gómez", "COSC8001137NA", "C000106", "", [], "MXN"),
    ("Importadora del Pacífico", "XEXX010101000", "C000107", "luis", [("1500.00", date(2026, 10, 15))], "USD"),
    ("María Fernanda Ríos Ávila", "XAXX010101000", "C000108", "tester", [("899.99", date(2026, 11, 27))], "MXN"),
    ("Papelería y Mercería Santa Úrsula", "KIJ0906199R1", "C000109", "ana", [("15600.00", date(2026, 5, 5))], "MXN"),
    ("Transportes Refrigerados Monterrey SA de CV", "EKU9003173C9", "C000110", "luis", [], "MXN"),
]


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'snap.db'}")
    with db.write() as s:
        for username in ("ana", "luis", "tester"):
            L.upsert_operator(s, username=username)
        for name, rfc, identifier, operator, invoices, currency in CUSTOMERS:
            cid = L.create_customer(s, actor=ACTOR, name=name, rfc=rfc, identifier=identifier, currency=currency,
                                    assigned_to=operator or None, payment_terms_days=30)
            for amount, issued in invoices:
                L.issue_document(s, actor=ACTOR, customer_id=cid, issue_date=issued, currency=currency,
                                 exchange_rate="17.25" if currency != "MXN" else None,
                                 lines=[L.LineInput("Mercancía", "1", amount, "0")])
    try:
        yield db
    finally:
        db.dispose()


def make_app(db: Database, lang: str) -> ArtermApp:
    return ArtermApp(settings=Settings(ui=UiSettings(language=lang)), url=db.url, operator=ACTOR, database=db,
                     today=TODAY)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_customers_screen(snap_compare: Any, book: Database, lang: str) -> None:
    assert snap_compare(make_app(book, lang), run_before=settle_steady, terminal_size=SIZE)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_customers_search_sorted_by_overdue(snap_compare: Any, book: Database, lang: str) -> None:
    """Typed search, only overdue, sorted by overdue, cursor moved down with the arrow key."""

    async def run_before(pilot: Any) -> None:
        await settle_steady(pilot)
        await pilot.press(*"sa de", "ctrl+o", "ctrl+s", "ctrl+s")
        await settle_steady(pilot)
        await pilot.press("down")
        await settle_steady(pilot)

    assert snap_compare(make_app(book, lang), run_before=run_before, terminal_size=SIZE)


def test_keys_help(snap_compare: Any, book: Database) -> None:
    async def run_before(pilot: Any) -> None:
        await settle_steady(pilot)
        await pilot.press("f1")
        await settle_steady(pilot)

    assert snap_compare(make_app(book, "es"), run_before=run_before, terminal_size=SIZE)
