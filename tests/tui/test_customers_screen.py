"""The customers screen (start screen), driven with Pilot on a real SQLite database built with the
ledger commands, fixed business date 2026-11-28; plus the customer-list read model it uses
(``queries.customers``: every plan it can pick must return the same rows), on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual import events
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from arterm import ledger as L
from arterm.config import Settings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries import customers as Q
from arterm.tui.app import ArtermApp
from arterm.tui.screens.customers import CustomersScreen, CustomerTable

TODAY = date(2026, 11, 28)
ACTOR = "tester"
SIZE = (120, 40)
HOSTILE = "[bold red]X[/] <b>Hnos</b>"
ESCAPED = "\x1b[31mRojo\x1b[0m Ñoño\x07"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------------ data
@dataclass
class Book:
    db: Database
    url: str
    ids: dict[str, int] = field(default_factory=dict)


def _invoice(s: Any, cid: int, amount: str, issue: date) -> int:
    return L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("Servicio", "1", amount, "0")],
                           issue_date=issue)


def build_book(db: Database, url: str = "") -> Book:
    """Seven customers (fixed data; see the table in each test's expectations)."""
    book = Book(db, url)
    ids = book.ids
    with db.write() as s:
        L.upsert_operator(s, username="ana", full_name="Ana García")
        L.upsert_operator(s, username="tester", full_name="Tester")
        ids["aceros"] = L.create_customer(s, actor=ACTOR, name="Aceros del Bajío SA de CV", rfc="KIJ0906199R1",
                                          emails="facturas@aceros.mx", phone="442 100 2000", assigned_to="ana",
                                          identifier="ACE-01")
        _invoice(s, ids["aceros"], "1500000.00", date(2026, 11, 1))  # due 01/12: current
        ids["nandu"] = L.create_customer(s, actor=ACTOR, name="Ñandú Peña Comercial SA de CV", rfc="EKU9003173C9",
                                         emails="cobranza@nandu.mx", phone="55 1234 5678", assigned_to="tester",
                                         identifier="NANDU")
        _invoice(s, ids["nandu"], "10000.00", date(2026, 9, 1))  # due 01/10: overdue
        _invoice(s, ids["nandu"], "2000.00", date(2026, 11, 20))  # due 20/12: current
        ids["papel"] = L.create_customer(s, actor=ACTOR, name="Papelería Álvarez", rfc="URE180429TM6",
                                         phone="81 5555 0000", assigned_to="tester", identifier="PAP-7")
        _invoice(s, ids["papel"], "500.00", date(2026, 10, 1))  # due 31/10: overdue
        ids["zapateria"] = L.create_customer(s, actor=ACTOR, name="Zapatería Ortiz", rfc="XIQB891116QE4",
                                             emails="ortiz@zapateria.com", identifier="ZAP")
        ids["hostile"] = L.create_customer(s, actor=ACTOR, name=HOSTILE, rfc="H&E951128469", assigned_to="ana",
                                           identifier="HOST")
        _invoice(s, ids["hostile"], "300.00", date(2026, 11, 25))
        ids["escaped"] = L.create_customer(s, actor=ACTOR, name="Rojo", rfc="COSC8001137NA", identifier="ESC")
        ids["garcia"] = L.create_customer(s, actor=ACTOR, name="Materiales García", rfc="XAXX010101000",
                                          emails="garcia@materiales.mx", assigned_to="tester", identifier="GAR")
        _invoice(s, ids["garcia"], "50000.00", date(2026, 6, 1))  # overdue, the largest overdue
        # A name imported from elsewhere with terminal escapes (the ledger strips them on input).
        s.execute(tables.customer.update().where(tables.customer.c.id == ids["escaped"]).values(name=ESCAPED))
    return book


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Book]:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    db = Database(url)
    try:
        yield build_book(db, url)
    finally:
        db.dispose()


def make_app(book: Book, *, lang: str = "es", settings: Settings | None = None) -> ArtermApp:
    settings = settings or Settings(ui=UiSettings(language=lang))
    return ArtermApp(settings=settings, url=book.url, operator="tester", database=book.db, today=TODAY)


# --------------------------------------------------------------------------------------- helpers
def screen_of(app: ArtermApp) -> CustomersScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, CustomersScreen)
    return screen


async def settle(pilot: Pilot[Any]) -> None:
    """Until no query is pending, no worker runs and their messages are handled."""
    app = pilot.app
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
        await pilot.pause()
        screen = app.screen_stack[0]
        busy = isinstance(screen, CustomersScreen) and screen.query_pending
        if not busy and not any(w.is_running for w in app.workers):
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the screen never settled")


def table_of(app: ArtermApp) -> CustomerTable:
    return screen_of(app).table


def shown_keys(app: ArtermApp) -> list[int]:
    """Customer ids of the rows the table holds, in order."""
    table = table_of(app)
    keys = []
    for index in range(table.row_count):
        row = table.get_cached_row(index)
        assert row is not None, f"row {index} not loaded"
        keys.append(row[0])
    return keys


def lines(app: ArtermApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app: ArtermApp) -> str:
    return "\n".join(lines(app))


def count_label(app: ArtermApp) -> str:
    return str(screen_of(app).query_one("#customers-count").render())


async def search(pilot: Pilot[Any], text: str) -> None:
    screen = screen_of(pilot.app)  # type: ignore[arg-type]
    screen.search.value = ""
    await settle(pilot)
    await pilot.press(*text) if text else None
    await settle(pilot)


# ------------------------------------------------------------------------------------ the screen
async def test_start_screen_lists_customers_by_name_with_balances(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = book.ids
        assert isinstance(app.screen, CustomersScreen)
        assert app.focused is screen_of(app).search  # the search box has focus on start
        # A to Z ignoring case and accents (Ñandú among the N's; "[bold..." sorts before letters).
        assert shown_keys(app) == [ids["hostile"], ids["aceros"], ids["garcia"], ids["nandu"], ids["papel"],
                                   ids["escaped"], ids["zapateria"]]
        assert count_label(app) == "7 clientes"
        text = screen_text(app)
        header = next(line for line in lines(app) if "Clave" in line)
        for title in ("Clave", "Nombre", "RFC", "Operador", "Por vencer", "Vencido", "Saldo total"):
            assert title in header
        row = next(line for line in lines(app) if "NANDU" in line)
        # current 2,000.00, overdue 10,000.00, total 12,000.00 (in the customer's currency)
        assert row.split()[-6:] == ["$2,000.00", "MXN", "$10,000.00", "MXN", "$12,000.00", "MXN"]
        assert "Ñandú Peña Comercial" in row and "EKU9003173C9" in row and "tester" in row
        # An amount wider than the column keeps every digit (the symbol goes first).
        aceros = next(line for line in lines(app) if "ACE-01" in line)
        assert "1,500,000.00 MXN" in aceros
        assert "Al 28/11/2026" in text and "tester" in text


@pytest.mark.parametrize(("typed", "expected"), [
    ("nandu", ["nandu"]),               # accent-insensitive: Ñandú
    ("PEÑA", ["nandu"]),                # case- and accent-insensitive
    ("alvarez", ["papel"]),             # Álvarez
    ("ure180429", ["papel"]),           # RFC, lower case
    ("EKU9003173C9", ["nandu"]),        # full RFC
    ("pap-7", ["papel"]),               # identifier
    ("zapateria.com", ["zapateria"]),   # email
    ("1234 5678", ["nandu"]),           # phone (two tokens: both must match)
    ("81 5555", ["papel"]),             # short tokens (< 3 chars) use LIKE
    ("garcia", ["garcia"]),             # name and email of the same customer: listed once
    ("sa de cv", ["aceros", "nandu"]),  # several tokens, in any order of the name
    ("de cv sa", ["aceros", "nandu"]),
    ("zzzz", []),
])
async def test_typing_filters(book: Book, typed: str, expected: list[str]) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*typed)
        await settle(pilot)
        assert screen_of(app).search.value == typed
        assert shown_keys(app) == [book.ids[k] for k in expected]
        if expected:
            word = "cliente" if len(expected) == 1 else "clientes"
            assert count_label(app) == f"{len(expected)} {word}"
        else:
            assert count_label(app) == "Ningún cliente coincide con la búsqueda"
        # What is painted is what is counted: one line per match under the header.
        body = [line for line in lines(app)[5:] if any(k in line for k in ("ACE-01", "NANDU", "PAP-7", "ZAP", "HOST",
                                                                         "ESC ", "GAR "))]
        assert len(body) == len(expected)


async def test_fast_typing_is_debounced_into_the_final_query(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        before = screen.queries_run
        for char in "materiales":  # ten keys in a burst (Pilot.press would wait after each one)
            app.post_message(events.Key(char, char))
        await settle(pilot)
        ran = screen.queries_run - before
        assert 1 <= ran < 10  # coalesced
        assert table_of(app).provider.query.text == "materiales"  # type: ignore[union-attr]
        assert shown_keys(app) == [book.ids["garcia"]]
        assert count_label(app) == "1 cliente"
        # Backspace a word away: the last state wins again.
        await pilot.press(*["backspace"] * 10)
        await settle(pilot)
        assert len(shown_keys(app)) == 7


async def test_sort_cycles_name_balance_overdue(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = book.ids
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Largest total balance first; customers owing nothing follow A to Z.
        assert shown_keys(app) == [ids["aceros"], ids["garcia"], ids["nandu"], ids["papel"], ids["hostile"],
                                   ids["escaped"], ids["zapateria"]]
        assert "Orden: saldo total, mayor primero" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Largest overdue first (García 50,000 > Ñandú 10,000 > Papelería 500), then A to Z.
        assert shown_keys(app) == [ids["garcia"], ids["nandu"], ids["papel"], ids["hostile"], ids["aceros"],
                                   ids["escaped"], ids["zapateria"]]
        assert "Orden: vencido, mayor primero" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert shown_keys(app)[0] == ids["hostile"] and "Orden: nombre" in screen_text(app)


async def test_sort_keeps_the_search_and_clicking_the_label_sorts(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"sa de cv")
        await settle(pilot)
        assert shown_keys(app) == [book.ids["aceros"], book.ids["nandu"]]
        await pilot.click("#sort")
        await pilot.click("#sort")  # name → balance → overdue
        await settle(pilot)
        assert shown_keys(app) == [book.ids["nandu"], book.ids["aceros"]]


async def test_only_overdue_and_assigned_to_me(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = book.ids
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert shown_keys(app) == [ids["garcia"], ids["nandu"], ids["papel"]]
        assert count_label(app) == "3 clientes"
        assert "☑ Solo vencidos" in screen_text(app)
        await pilot.press("ctrl+t")  # and assigned to me (tester)
        await settle(pilot)
        assert shown_keys(app) == [ids["garcia"], ids["nandu"], ids["papel"]]
        await pilot.press("ctrl+o")  # only assigned to me
        await settle(pilot)
        assert shown_keys(app) == [ids["garcia"], ids["nandu"], ids["papel"]]
        assert "☐ Solo vencidos" in screen_text(app) and "☑ Asignados a mí (tester)" in screen_text(app)
        # The filters combine with the search box.
        await pilot.press(*"peña")
        await settle(pilot)
        assert shown_keys(app) == [ids["nandu"]]
        await pilot.click("#filter-mine")  # off again, by mouse
        await settle(pilot)
        assert shown_keys(app) == [ids["nandu"]]
        screen_of(app).search.value = ""
        await settle(pilot)
        assert len(shown_keys(app)) == 7
        # The database agrees with what the filter shows.
        with book.db.read() as s:
            mine = s.execute(sa.select(tables.customer.c.id).join(
                tables.operator, tables.operator.c.id == tables.customer.c.assigned_operator_id).where(
                tables.operator.c.username == "tester")).scalars().all()
        assert sorted(mine) == sorted([ids["garcia"], ids["nandu"], ids["papel"]])


async def test_arrows_in_the_search_box_move_the_highlight_and_enter_opens_it(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"sa de cv")
        await settle(pilot)
        table = table_of(app)
        assert table.cursor_row == 0
        await pilot.press("down")
        assert app.focused is screen_of(app).search  # focus stays in the search box
        assert table.cursor_row == 1 and table.cursor_key == book.ids["nandu"]
        await pilot.press("up", "up")  # clamped at the first row
        assert table.cursor_row == 0
        await pilot.press("ctrl+end")
        assert table.cursor_row == 1 and app.focused is screen_of(app).search
        await pilot.press("ctrl+home")
        assert table.cursor_row == 0
        await pilot.press("down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
        assert app.screen.customer_id == book.ids["nandu"]  # type: ignore[attr-defined]


async def test_enter_in_the_search_box_opens_the_first_match(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Enter right after typing, before the query has come back: the first match of "papel".
        await pilot.press(*"papel", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
        assert app.screen.customer_id == book.ids["papel"]  # type: ignore[attr-defined]
        # Escape goes back to the list, search text and results kept.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert screen_of(app).search.value == "papel"
        assert shown_keys(app) == [book.ids["papel"]]


async def test_enter_and_click_on_the_table_open_the_row(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        table.focus()
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert app.screen.customer_id == book.ids["nandu"]  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        # A mouse click on the fifth data row (header is line 0 of the table).
        await pilot.click(CustomerTable, offset=(5, 5))
        await settle(pilot)
        assert app.screen.customer_id == book.ids["papel"]  # type: ignore[attr-defined]


async def test_balances_are_read_again_when_coming_back_from_a_profile(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"nandu", "enter")
        await settle(pilot)
        assert app.screen.customer_id == book.ids["nandu"]  # type: ignore[attr-defined]
        with book.db.write() as s:  # what the profile's payment dialog does
            L.record_payment(s, actor=ACTOR, customer_id=book.ids["nandu"], amount="10000.00",
                             paid_on=date(2026, 11, 27), reference="SPEI 1")
        await pilot.press("escape")
        await settle(pilot)
        row = next(line for line in lines(app) if "NANDU" in line)
        assert row.split()[-6:] == ["$2,000.00", "MXN", "$0.00", "MXN", "$2,000.00", "MXN"]
        with book.db.read() as s:
            (total,) = s.execute(sa.select(tables.customer_balance.c.open_cents).where(
                tables.customer_balance.c.customer_id == book.ids["nandu"])).one()
        assert total == 200000


async def test_slash_returns_to_the_search_box_and_escape_clears_it(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"ortiz")
        await settle(pilot)
        table_of(app).focus()
        await pilot.press("slash")
        assert app.focused is screen_of(app).search
        assert screen_of(app).search.value == "ortiz"  # "/" moved focus, it typed nothing
        await pilot.press("escape")
        await settle(pilot)
        assert screen_of(app).search.value == ""
        assert len(shown_keys(app)) == 7
        assert isinstance(app.screen, CustomersScreen)  # Escape never leaves the start screen


async def test_new_customer_opens_the_form_and_then_the_new_profile(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerForm"
        assert app.screen.customer_id is None  # type: ignore[attr-defined]
        with book.db.write() as s:  # as if the form had saved one
            new_id = L.create_customer(s, actor=ACTOR, name="Abarrotes Nuevos", rfc="XAXX010101000")
        app.screen.dismiss(new_id)  # type: ignore[attr-defined]
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
        assert app.screen.customer_id == new_id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert shown_keys(app)[1] == new_id  # the list was read again ("abarrotes" after "[bold")
        assert count_label(app) == "8 clientes"
        # Cancelled form: back on the list, nothing opened.
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)


async def test_language_switch_changes_headers_footer_and_formats(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = screen_text(app)
        assert "Saldo total" in before and "Nuevo" in before and "Idioma" in before and "Al 28/11/2026" in before
        nandu_es = next(line for line in lines(app) if "NANDU" in line)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
        after = screen_text(app)
        header = next(line for line in lines(app) if "Code" in line)
        for title in ("Code", "Name", "RFC", "Operator", "Current", "Overdue", "Total balance"):
            assert title in header
        assert "Saldo total" not in after
        assert "New" in after and "Language" in after and "Search" in after  # footer
        assert "As of 2026-11-28" in after and "7 customers" in after and "Only overdue" in after
        # Money keeps the Mexican format in both languages (arterm.i18n.fmt_money).
        nandu_en = next(line for line in lines(app) if "NANDU" in line)
        assert nandu_en.split()[-6:] == nandu_es.split()[-6:] == ["$2,000.00", "MXN", "$10,000.00", "MXN",
                                                                  "$12,000.00", "MXN"]
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Saldo total" in screen_text(app)


async def test_keymap_from_settings_remaps_bindings(book: Book) -> None:
    settings = Settings(ui=UiSettings(language="es", keymap={"customers.sort": "f6", "customers.new": "f5",
                                                               "switch_language": "f9"}))
    app = make_app(book, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = lines(app)[-1]
        assert "f6 Ordenar" in footer and "f5 Nuevo" in footer and "f9 Idioma" in footer
        assert "^s" not in footer
        await pilot.press("ctrl+s")  # the old key does nothing now
        await settle(pilot)
        assert "Orden: nombre" in screen_text(app)
        await pilot.press("f6")
        await settle(pilot)
        assert "Orden: saldo total, mayor primero" in screen_text(app)
        await pilot.press("f9")
        await settle(pilot)
        assert app.lang == "en"
        await pilot.press("f5")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerForm"


def test_every_binding_has_an_id() -> None:
    from arterm.tui.screens.customers import SearchBox

    for owner in (ArtermApp, CustomersScreen, CustomerTable, SearchBox):
        for binding in owner.BINDINGS:
            assert getattr(binding, "id", None), f"{owner.__name__}: {binding}"


async def test_hostile_names_are_shown_literally(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=(160, 40)) as pilot:  # wide enough for the whole name
        await settle(pilot)
        text = screen_text(app)
        assert HOSTILE in text  # markup is not interpreted
        assert "Rojo Ñoño" in text and "\x1b" not in text and "\x07" not in text
        assert "[31m" not in text  # the escape sequence is gone, not half-printed
        await pilot.press(*"hnos")
        await settle(pilot)
        assert shown_keys(app) == [book.ids["hostile"]]
        assert HOSTILE in screen_text(app)


async def test_palette_lists_commands_and_goes_to_a_customer(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press(*"ordenar")
        await pilot.pause(0.3)
        await settle(pilot)
        palette = screen_text(app)
        assert "Ordenar por saldo total" in palette and "Ordenar por saldo vencido" in palette
        for _ in range(7):
            await pilot.press("backspace")
        await pilot.press(*"peña")
        await pilot.pause(0.3)
        await settle(pilot)
        assert "Ir al cliente Ñandú Peña Comercial SA de CV" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
        assert app.screen.customer_id == book.ids["nandu"]  # type: ignore[attr-defined]


async def test_palette_shows_a_hostile_name_literally(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"hnos")
        await pilot.pause(0.3)
        await settle(pilot)
        assert f"Ir al cliente {HOSTILE}" in screen_text(app)


async def test_palette_commands_run_screen_actions(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"ordenar por saldo venc")
        await pilot.pause(0.3)
        await settle(pilot)
        assert "Ordenar por saldo vencido" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert shown_keys(app)[0] == book.ids["garcia"]


async def test_a_file_that_is_not_a_database_shows_an_error_and_the_app_keeps_running(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-db.sqlite"
    bogus.write_bytes(b"this is not a database, just text\n" * 200)
    app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url=f"sqlite:///{bogus}", operator="tester",
                    today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [n.title for n in app._notifications]
        messages = " ".join(n.message for n in app._notifications)
        assert "No se pudo abrir la base de datos" in titles
        assert "not a database" in messages and "sqlalche.me" not in messages
        assert "No se pudo leer la lista de clientes" in count_label(app)
        # Still alive: typing, switching language, the help panel all work.
        await pilot.press(*"abc")
        await settle(pilot)
        assert screen_of(app).search.value == "abc"
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "KeysScreen"
        await pilot.press("escape")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
        assert app.is_running
    assert bogus.read_bytes().startswith(b"this is not a database")  # untouched


async def test_a_database_error_while_listing_is_reported_once_and_recovers(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with book.db.write() as s:  # the list's query breaks (as with a damaged or foreign schema)
            s.execute(sa.text("ALTER TABLE customer_balance RENAME TO customer_balance_gone"))
        await pilot.press(*"sa")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "customer_balance" in errors[0].message
        assert "No se pudo leer la lista de clientes" in count_label(app)
        assert screen_of(app).search.value == "sa"
        with book.db.write() as s:
            s.execute(sa.text("ALTER TABLE customer_balance_gone RENAME TO customer_balance"))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert count_label(app) == "2 clientes"


async def test_the_table_never_holds_the_whole_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'many.db'}"
    db = Database(url)
    with db.write() as s:
        s.execute(tables.customer.insert(), [
            dict(identifier=f"C{i:05d}", name=f"Cliente {i:05d}", rfc="XAXX010101000", search_text=f"cliente {i:05d}",
                 emails="", currency="MXN", created_at=NOW, updated_at=NOW) for i in range(1, 3001)])
    app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url=url, operator="tester", database=db,
                    today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.row_count == 3000 and count_label(app) == "3,000 clientes"
        loaded = [i for i in range(3000) if table.get_cached_row(i) is not None]
        assert 0 < len(loaded) <= 300
        await pilot.press("pagedown")
        await settle(pilot)
        assert table.cursor_row > 30 and "Cliente 00035" in screen_text(app)
    db.dispose()


async def test_a_broad_search_shows_an_estimate_then_the_exact_count(book: Book,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """On a big table a one- or two-letter search shows its rows with an estimated count first;
    the exact count follows off the keystroke's path (here: a 2-customer sample, held back)."""
    import threading

    from arterm.tui.providers import CustomerRows

    monkeypatch.setattr(Q, "ESTIMATE_ABOVE", 1)
    monkeypatch.setattr(Q, "ESTIMATE_SAMPLE", 2)
    monkeypatch.setattr(Q, "ESTIMATE_MIN_HITS", 1)
    gate = threading.Event()
    exact = CustomerRows.count_exactly

    def held_back(self: CustomerRows) -> int:
        if self.estimated is not None:  # the follow-up count, not a first count
            assert gate.wait(10)
        return exact(self)

    monkeypatch.setattr(CustomerRows, "count_exactly", held_back)
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")  # one of the two most recent customers has an "o": estimate 4 of 7
        for _ in range(50):
            await pilot.pause(0.02)
            if table_of(app).provider.estimated is not None and not table_of(app).is_loading:  # type: ignore
                break
        provider = table_of(app).provider
        assert provider.estimated == 4 and provider.exact is None  # type: ignore[union-attr]
        assert count_label(app) == "≈ 4 clientes" and table_of(app).row_count == 4
        gate.set()
        await settle(pilot)
        with book.db.read() as s:
            expected = s.execute(sa.select(sa.func.count()).select_from(tables.customer).where(
                tables.customer.c.search_text.like("%o%"))).scalar_one()
        assert provider.exact == expected == 5  # type: ignore[union-attr]
        assert count_label(app) == "5 clientes" and len(shown_keys(app)) == 5


async def test_resizing_gives_the_name_column_the_extra_width(book: Book) -> None:
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table_of(app).focus()
        await pilot.press("down", "down")
        narrow = table_of(app).columns[1].width
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        table = table_of(app)
        assert table.columns[1].width == narrow + 40
        assert table.cursor_row == 2 and app.focused is table  # same row, same focus
        assert "Ñandú Peña Comercial SA de CV" in screen_text(app)  # no longer cut


# ------------------------------------------------------------------------------ the read model
def _reference(s: Any, query: str, *, sort: str, only_overdue: bool = False, assigned: str | None = None) -> list[int]:
    """The list computed the obvious way (every customer, in Python) for comparison."""
    rows = Q.customer_rows(s, list(s.execute(sa.select(tables.customer.c.id)).scalars()), as_of=TODAY)
    search_text = dict(s.execute(sa.select(tables.customer.c.id, tables.customer.c.search_text)).all())
    order = {cid: n for n, cid in enumerate(s.execute(sa.select(tables.customer.c.id).order_by(
        *Q.name_order(s))).scalars())}
    overdue_any = set(s.execute(sa.select(tables.document.c.customer_id).where(
        tables.document.c.status == "current", tables.document.c.kind.in_(("invoice", "sales_note")),
        tables.document.c.due_date < TODAY)).scalars())
    tokens = [t for t in Q.fold(query).split() if t]
    picked = [r for r in rows if all(t in search_text[r.id] for t in tokens)
              and (not only_overdue or r.id in overdue_any) and (assigned is None or r.assigned == assigned)]
    if sort == "name":
        picked.sort(key=lambda r: order[r.id])
    elif sort == "balance":
        positive = sorted((r for r in picked if r.total > 0), key=lambda r: (-r.total, -r.id))
        picked = positive + sorted((r for r in picked if r.total <= 0), key=lambda r: order[r.id])
    elif sort == "overdue":
        positive = sorted((r for r in picked if r.overdue > 0), key=lambda r: (-r.overdue, r.id))
        picked = positive + sorted((r for r in picked if r.overdue <= 0), key=lambda r: order[r.id])
    return [r.id for r in picked]


@pytest.fixture
def many(db: Database) -> Database:
    """120 customers with varied names, balances and overdue amounts (bulk-inserted demo data)."""
    from arterm.demo import generate_demo

    generate_demo(db, customers=120, seed=7, today=TODAY, current_operator="tester", invoices_per_customer=(0, 4))
    return db


@pytest.mark.parametrize("sort", ["name", "balance", "overdue"])
@pytest.mark.parametrize("query", ["", "a", "de", "sa de", "garc", "com", "c0000", "xaxx", "ñ", "qqq"])
def test_every_plan_returns_the_reference_list(many: Database, sort: str, query: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with many.read() as s:
        expected = _reference(s, query, sort=sort)
        assert Q.count_customers(s, query, as_of=TODAY) == len(expected)
        # default; always FTS + per-candidate overdue; never FTS + aggregated overdue; never FTS + walk
        for costs in ((13, 1000, 5000), (0, 100_000, 5000), (10**9, 0, 0), (10**9, 0, 10**9)):
            monkeypatch.setattr(Q, "FTS_ROW_COST", costs[0])
            monkeypatch.setattr(Q, "SMALL_SET", costs[1])
            monkeypatch.setattr(Q, "DEEP_PAGE", costs[2])
            pages = []
            for offset in range(0, len(expected) + 7, 7):  # pages of 7, across both parts of a sort
                pages += Q.customer_page_ids(s, query, offset=offset, limit=7, sort=sort, descending=sort != "name",
                                             as_of=TODAY)
            assert pages == expected, (costs, query, sort)


@pytest.mark.parametrize("sort", ["name", "balance", "overdue"])
def test_filters_match_the_reference(many: Database, sort: str) -> None:
    with many.read() as s:
        for query, only_overdue, assigned in (("", True, None), ("", False, "tester"), ("a", True, "tester"),
                                              ("garc", True, None), ("sa", False, "ana.garcia"),
                                              ("", False, "nobody")):
            expected = _reference(s, query, sort=sort, only_overdue=only_overdue, assigned=assigned)
            got = Q.customer_page_ids(s, query, limit=1000, sort=sort, descending=sort != "name",
                                      only_overdue=only_overdue, assigned=assigned, as_of=TODAY)
            assert got == expected, (query, only_overdue, assigned)
            assert Q.count_customers(s, query, only_overdue=only_overdue, assigned=assigned,
                                     as_of=TODAY) == len(expected)


def test_estimates_only_where_an_exact_count_would_scan(many: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with many.read() as s:
        assert Q.estimate_customers(s, "a", as_of=TODAY) is None  # 120 customers: always exact
        monkeypatch.setattr(Q, "ESTIMATE_ABOVE", 100)
        monkeypatch.setattr(Q, "ESTIMATE_SAMPLE", 60)
        monkeypatch.setattr(Q, "ESTIMATE_MIN_HITS", 5)
        exact = Q.count_customers(s, "a", as_of=TODAY)
        estimate = Q.estimate_customers(s, "a", as_of=TODAY)
        assert estimate is not None and abs(estimate - exact) <= exact * 0.25
        overdue = Q.estimate_customers(s, "", only_overdue=True, as_of=TODAY)
        assert overdue is not None and overdue <= 120
        assert Q.estimate_customers(s, "", as_of=TODAY) is None  # count(*) is cheap
        assert Q.estimate_customers(s, "", assigned="tester", as_of=TODAY) is None  # an index lookup
        assert Q.estimate_customers(s, "qqq", as_of=TODAY) is None  # FTS / nothing to extrapolate


def test_rows_carry_current_overdue_and_total(db: Database) -> None:
    book = build_book(db)
    with db.read() as s:
        rows = {r.id: r for r in Q.search_customers(s, "", limit=50, as_of=TODAY)}
        nandu = rows[book.ids["nandu"]]
        assert (nandu.current, nandu.overdue, nandu.total, nandu.assigned) == (200000, 1000000, 1200000, "tester")
        zap = rows[book.ids["zapateria"]]
        assert (zap.current, zap.overdue, zap.total, zap.assigned) == (0, 0, 0, "")
        assert Q.count_customers(s, "sa de cv", as_of=TODAY) == 2
        assert Q.count_customers(s, "", only_overdue=True, as_of=TODAY) == 3
        assert Q.count_customers(s, "", only_overdue=True, as_of=date(2026, 9, 30)) == 1  # as of a past date
        assert Q.count_customers(s, "", assigned="nobody") == 0
