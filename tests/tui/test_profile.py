"""Pilot tests of the customer profile (CustomerScreen) on a real SQLite database built with the
ledger commands, with a fixed business date (2026-11-28)."""

from __future__ import annotations

import html
import re
import sys
import types
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual import events
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from arterm import i18n
from arterm import ledger as L
from arterm.config import Settings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries import lists
from arterm.queries import profile as P
from arterm.queries.balances import customer_balances
from arterm.tui.app import ArtermApp
from arterm.tui.screens.customer import CustomerScreen
from arterm.tui.widgets import VirtualTable
from arterm.tui.widgets.tabs import TAB_IDS, ProfileTable
from arterm.tui.widgets.tabs.balances import TextGrid
from arterm.tui.widgets.tabs.sales import SalesTab
from .pilot_helpers import notifications, settle

TODAY = date(2026, 11, 28)
ACTOR = "tester"
SIZE = (120, 40)
HOSTILE_NAME = "[bold red]X[/] <b>Ñandú</b> & Co"
HOSTILE_NOTE = "[link=http://evil]clic[/link] $(rm -rf) <script>"


# ------------------------------------------------------------------------------------ the ledger
@dataclass
class Ledger:
    db: Database
    url: str
    cid: int
    docs: dict[str, int] = field(default_factory=dict)
    payments: dict[str, int] = field(default_factory=dict)
    contract: int = 0
    credit_note: int = 0
    other: int = 0


def _line(amount: str, tax: str = "0.16") -> list[L.LineInput]:
    return [L.LineInput("Servicio", "1", amount, tax)]


def build_profile_db(path: Path, *, name: str = "Comercializadora Ñandú SA de CV", note: str = "Llamar el lunes",
                     extra_notes: int = 0) -> Ledger:
    """One customer with invoices (current, overdue, paid, cancelled, USD), a sales note, a
    contract with its invoices, payments (REP pending and issued), a credit note and notes."""
    url = f"sqlite:///{path}"
    db = Database(url)
    d = date
    with db.write() as s:
        L.upsert_operator(s, username="ana", full_name="Ana García", email="ana@example.com")
        cid = L.create_customer(
            s, actor=ACTOR, name=name, rfc="EKU9003173C9", emails="pagos@nandu.mx, cxp@nandu.mx",
            phone="55 1234 5678", address=L.Address(street="Av. Reforma", ext_number="123", colonia="Juárez",
                                                  municipio="Cuauhtémoc", state="CDMX", postal_code="06600"),
            payment_terms_days=30, credit_limit="50000", assigned_to="ana",
        )
        other = L.create_customer(s, actor=ACTOR, name="Otro Cliente SA", rfc="KIJ0906199R1")
        led = Ledger(db, url, cid, other=other)
        doc = led.docs
        doc["A-1"] = L.issue_document(s, actor=ACTOR, customer_id=cid, lines=_line("10000"), issue_date=d(2026, 7, 1),
                                      series="A", folio="1")
        doc["A-2"] = L.issue_document(s, actor=ACTOR, customer_id=cid, lines=_line("5000"), issue_date=d(2026, 9, 15),
                                      series="A", folio="2")
        doc["A-3"] = L.issue_document(s, actor=ACTOR, customer_id=cid, lines=_line("2000"), issue_date=d(2026, 11, 10),
                                      series="A", folio="3")
        doc["NV-1"] = L.issue_document(s, actor=ACTOR, customer_id=cid, kind="sales_note", lines=_line("1000", "0"),
                                       issue_date=d(2026, 10, 1), series="NV", folio="1")
        doc["A-4"] = L.issue_document(s, actor=ACTOR, customer_id=cid, lines=_line("700"), issue_date=d(2026, 8, 1),
                                      series="A", folio="4")
        L.cancel_document(s, actor=ACTOR, document_id=doc["A-4"], reason="Error en RFC", on=d(2026, 8, 2))
        doc["USD-1"] = L.issue_document(s, actor=ACTOR, customer_id=cid, lines=_line("500", "0"), issue_date=d(2026, 11, 1),
                                        series="USD", folio="1", currency="USD", exchange_rate="18.25")
        led.contract = L.create_contract(s, actor=ACTOR, customer_id=cid, amount="1500", frequency="monthly",
                                         start_date=d(2026, 10, 1), description="Póliza de soporte", direct_debit=True,
                                         dd_forma_pago="04", dd_reference="4152313412345678")
        for month in (10, 11):
            doc[f"C-{month}"] = L.issue_document(s, actor=ACTOR, customer_id=cid, lines=_line("1500"),
                                                 issue_date=d(2026, month, 1), series="C", folio=str(month),
                                                 contract_id=led.contract, period_start=d(2026, month, 1))
        pay = led.payments
        pay["A-1"] = L.record_payment(s, actor=ACTOR, customer_id=cid, amount="11600", paid_on=d(2026, 8, 10),
                                      allocations=[(doc["A-1"], "11600")], reference="SPEI 0810")
        L.set_rep(s, actor=ACTOR, payment_id=pay["A-1"], rep_uuid="6f1c9d2e-0b8a-4c55-9f3e-2a7b1c4d5e6f")
        pay["C-10"] = L.record_payment(s, actor=ACTOR, customer_id=cid, amount="1740", paid_on=d(2026, 10, 20),
                                       allocations=[(doc["C-10"], "1740")], forma_pago="04", origin="direct_debit",
                                       contract_id=led.contract)
        pay["A-2"] = L.record_payment(s, actor=ACTOR, customer_id=cid, amount="2000", paid_on=d(2026, 11, 20),
                                      allocations=[(doc["A-2"], "2000")], forma_pago="01")
        led.credit_note = L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=_line("200"),
                                              applies_to=[(doc["A-3"], "232")], issue_date=d(2026, 11, 15),
                                              series="NC", folio="1", cfdi_uuid="a1b2c3d4-0000-4000-8000-000000000001")
        L.add_note(s, actor=ACTOR, customer_id=cid, text=note)
        L.add_note(s, actor="ana", customer_id=cid, text="Prometió pagar A-2 el viernes\nsegunda línea",
                   document_id=doc["A-2"])
        for i in range(extra_notes):
            L.add_note(s, actor=ACTOR, customer_id=cid, text=f"Seguimiento {i:04d}")
    freeze_clock(db)
    return led


def freeze_clock(db: Database) -> None:
    """Events the ledger stamps with the wall clock get fixed dates and times (reproducible screens)."""
    act, note = tables.activity, tables.note
    with db.write() as s:
        s.execute(act.update().where(act.c.kind.in_(("customer_created", "operator_assigned")))
                  .values(on_date=date(2026, 6, 1)))
        s.execute(act.update().where(act.c.kind == "contract_created").values(on_date=date(2026, 9, 28)))
        s.execute(act.update().where(act.c.kind == "rep_recorded").values(on_date=date(2026, 8, 12)))
        s.execute(act.update().where(act.c.kind == "note_added").values(on_date=date(2026, 11, 25)))
        for act_id, on_date in s.execute(sa.select(act.c.id, act.c.on_date)).all():
            at = datetime.combine(on_date, time(15, 0), tzinfo=timezone.utc) + timedelta(minutes=act_id)
            s.execute(act.update().where(act.c.id == act_id).values(at=at))
        for note_id, in s.execute(sa.select(note.c.id)).all():
            at = datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc) + timedelta(minutes=note_id)
            s.execute(note.update().where(note.c.id == note_id).values(created_at=at))


def make_app(led: Ledger, lang: str = "es") -> ArtermApp:
    return ArtermApp(settings=Settings(ui=UiSettings(language=lang)), url=led.url, operator=ACTOR, database=led.db,
                     today=TODAY)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Times are shown in local time: pin the zone so the expected texts hold anywhere."""
    import time as _time

    monkeypatch.setenv("TZ", "UTC")
    _time.tzset()
    yield
    monkeypatch.undo()
    _time.tzset()


@pytest.fixture
def led(tmp_path: Path) -> Any:
    ledger = build_profile_db(tmp_path / "profile.db")
    yield ledger
    ledger.db.dispose()


# ------------------------------------------------------------------------------------ helpers


async def open_profile(pilot: Pilot[Any], customer_id: int) -> CustomerScreen:
    screen = CustomerScreen(customer_id)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def screen_text(app: ArtermApp) -> str:
    """What is painted on the terminal, as plain text lines (from the SVG screenshot)."""
    svg = app.export_screenshot()
    lines = []
    for match in re.finditer(r'<text [^>]*y="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S):
        lines.append((float(match.group(1)), match.group(2)))
    rows: dict[float, str] = {}
    for y, content in lines:
        text = html.unescape(re.sub(r"<[^>]+>", "", content)).replace("\xa0", " ")
        rows[y] = rows.get(y, "") + text
    return "\n".join(rows[y] for y in sorted(rows))


def plain(widget: Static) -> str:
    """The text a Static shows (a Rich renderable, like the totals table, is rendered first)."""
    content = widget.content
    if isinstance(content, str):
        return content
    text = getattr(content, "plain", None)
    if text is None:
        from rich.console import Console

        console = Console(width=200, record=True, color_system=None)
        console.print(content)
        text = console.export_text()
    return text


def rows(table: VirtualTable) -> list[tuple[Any, tuple[Any, ...]]]:
    out = []
    for index in range(table.row_count):
        row = table.get_cached_row(index)
        assert row is not None, f"row {index} of {table.id} is not loaded"
        out.append(row)
    return out


def cell_text(value: Any) -> str:
    return value.plain if hasattr(value, "plain") else str(value)


def datatable_rows(table: DataTable) -> list[list[str]]:
    return [[cell_text(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def show(pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    await settle(pilot)


def money(cents: int, currency: str = "MXN") -> str:
    return i18n.fmt_money(cents, currency, "es")


# ------------------------------------------------------------------------------------ header
async def test_header_shows_the_customer_and_totals_from_the_database(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        identity = plain(screen.query_one("#profile-identity", Static))
        for expected in ("Comercializadora Ñandú SA de CV", "RFC EKU9003173C9", "ID C000001", "Operador: ana (Ana García)",
                         "Correos: pagos@nandu.mx, cxp@nandu.mx", "Tel. 55 1234 5678",
                         "Domicilio: Av. Reforma 123, Juárez, Cuauhtémoc, CDMX, C.P. 06600, MEX",
                         "Condiciones de pago: 30 días", "Límite de crédito: $50,000.00 MXN"):
            assert expected in identity
        with led.db.read() as s:
            balances = {b.currency: b for b in customer_balances(s, [led.cid], as_of=TODAY, include_zero=True)}
        mxn, usd = balances["MXN"], balances["USD"]
        # A-2 5,800 - 2,000; A-3 2,320 - 232; NV-1 1,000; C-11 1,740  → overdue: A-2 and NV-1
        assert (mxn.overdue, mxn.current) == (380000 + 100000, 208800 + 174000)
        assert usd.current == 50000
        totals = plain(screen.query_one("#profile-totals", Static))
        lines = {line.split("  ")[0].strip(): line for line in totals.splitlines() if line.strip()}
        assert money(mxn.current) in lines["Vigente"] and money(usd.current, "USD") in lines["Vigente"]
        assert money(mxn.overdue) in lines["Vencido"] and money(0, "USD") in lines["Vencido"]
        assert money(mxn.total) in lines["Total"]
        assert money(0) in lines["Saldo a favor"]
        painted = screen_text(app)
        assert "Comercializadora Ñandú SA de CV" in painted and "$4,800.00 MXN" in painted


async def test_unknown_customer_is_reported_and_the_app_keeps_running(led: Ledger) -> None:
    app = make_app(led)
    seen = notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, 9999)
        assert "El cliente #9999 no existe" in plain(screen.query_one("#profile-identity", Static))
        assert "customer 9999 does not exist" in seen
        await pilot.press("3")
        await settle(pilot)
        assert screen.query_one("#sales-table", ProfileTable).row_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CustomerScreen)


# ------------------------------------------------------------------------------------ tabs
async def test_balances_tab_aging_payments_and_rep_pending(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        assert screen.tabs.active == "balances"
        with led.db.read() as s:
            balances = {b.currency: b for b in customer_balances(s, [led.cid], as_of=TODAY, include_zero=True)}
            summary = {t.currency: t for t in P.payment_summary(s, led.cid, as_of=TODAY)}
            rep = P.rep_pending(s, led.cid, as_of=TODAY)
        aging = screen.query_one("#aging-table", TextGrid)
        assert aging.header == ("Antigüedad", "MXN", "USD")
        got = {r[0]: list(r[1:]) for r in aging.rows}
        assert list(got) == ["Vigente", "1-30 días", "31-60 días", "61-90 días", "91-120 días", "Más de 120 días",
                             "Vencido", "Total", "Saldo a favor"]
        keys = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
        for label, key in zip(list(got)[:6], keys, strict=True):
            assert got[label] == [money(balances["MXN"].buckets[key]), money(balances["USD"].buckets[key], "USD")]
        assert got["Vencido"][0] == money(balances["MXN"].overdue) == "$4,800.00 MXN"
        assert got["1-30 días"][0] == "$1,000.00 MXN"  # NV-1, due 31/10: 28 days
        assert got["31-60 días"][0] == "$3,800.00 MXN"  # A-2, due 15/10: 44 days
        assert got["Total"] == [money(balances["MXN"].total), "$500.00 USD"]
        received = {r[0]: r[1] for r in screen.query_one("#received-table", TextGrid).rows}
        mxn = summary["MXN"]
        assert (mxn.count_30, mxn.count_90, mxn.count_ytd) == (1, 2, 3)
        assert received["Últimos 30 días"] == "$2,000.00 MXN (1 pago)"
        assert received["Últimos 90 días"] == "$3,740.00 MXN (2 pagos)"
        assert received["En el año"] == "$15,340.00 MXN (3 pagos)"
        assert received["Último pago"] == "20/11/2026"
        recent = screen.query_one("#recent-table", TextGrid).rows
        assert [r[0] for r in recent] == ["20/11/2026", "20/10/2026", "10/08/2026"]
        rep_rows = datatable_rows(screen.query_one("#rep-table", DataTable))
        # C-10 (PPD, paid 20/10 by direct debit) is late; A-2 (paid 20/11) is due on 05/12.
        assert [p.payment_id for p in rep] == [led.payments["C-10"], led.payments["A-2"]]
        assert rep_rows == [["20/10/2026", "$1,740.00 MXN", "05/11/2026", "23 días de atraso"],
                            ["20/11/2026", "$2,000.00 MXN", "05/12/2026", "faltan 7 días"]]
        assert plain(screen.query_one("#rep-title", Static)) == "REP pendientes: 2"


def test_text_grid_pads_aligns_cuts_and_shows_cells_literally() -> None:
    from rich.text import Text

    from arterm.tui.widgets.tabs.balances import grid_text

    text = grid_text([Text("A"), Text("Amount")],
                     [[Text("[bold]x[/]"), Text("$1.00", style="red")], [Text("long name"), Text("$100.00")]],
                     [("left", 6), ("right", 0)])
    assert text.plain.split("\n") == [
        " A        Amount ",
        " [bold…    $1.00 ",  # markup is text; a cell wider than its column's limit is cut
        " long …  $100.00 ",
    ]
    assert any(span.style == "bold" for span in text.spans)  # the header
    assert any(span.style == "red" and text.plain[span.start:span.end] == "$1.00" for span in text.spans)


async def test_number_keys_switch_tabs_and_each_list_matches_the_database(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        for number, tab_id in enumerate(TAB_IDS, start=1):
            await show(pilot, str(number))
            assert screen.tabs.active == tab_id
        await show(pilot, "1")
        assert screen.tabs.active == "balances"
        with led.db.read() as s:
            activity = lists.list_activity(s, led.cid, limit=1000, as_of=TODAY)
            sales = lists.list_documents(s, led.cid, limit=1000, as_of=TODAY)
            payments = lists.list_payments(s, led.cid, limit=1000)
            contracts = P.list_contract_summaries(s, led.cid)
            credit_notes = P.list_credit_notes(s, led.cid, as_of=TODAY)
            notes = lists.list_notes(s, led.cid, limit=1000)

        await show(pilot, "2")
        table = screen.query_one("#activity-table", ProfileTable)
        got = rows(table)
        assert [k for k, _ in got] == activity
        first = got[0][1]  # newest first: the notes of 25/11 are the last things recorded
        assert cell_text(first[1]).startswith("Nota agregada  A-2: Prometió pagar A-2 el viernes")
        assert [k.id for k, _ in got] == sorted((k.id for k, _ in got), reverse=True)
        pay_row = next(v for k, v in got if k.kind == "payment_recorded" and k.payment_id == led.payments["A-2"])
        assert [cell_text(c) for c in pay_row] == ["20/11/2026", "Pago registrado  A-2 2000.00", "Vencido", "$2,000.00 MXN",
                                                   "$8,860.00 MXN", "tester"]
        invoice_row = next(v for k, v in got if k.kind == "invoice_issued" and k.document_id == led.docs["A-2"])
        assert cell_text(invoice_row[2]) == "Vencido"

        await show(pilot, "3")
        got = rows(screen.query_one("#sales-table", ProfileTable))
        assert [k for k, _ in got] == sales
        by_ref = {k.reference: [cell_text(c) for c in v] for k, v in got}
        assert by_ref["A-2"] == ["Factura", "A-2", "15/09/2026", "15/10/2026", "Vencido 44 d", "$5,800.00 MXN",
                                 "$3,800.00 MXN", ""]
        assert by_ref["A-1"][4:7] == ["Pagado", "$11,600.00 MXN", "$0.00 MXN"]
        assert by_ref["A-4"][4:7] == ["Cancelado", "$812.00 MXN", ""]
        assert by_ref["A-3"][4] == "Vigente"
        assert by_ref["NV-1"][:2] == ["Nota de venta", "NV-1"]
        assert by_ref["C-11"][7] == f"#{led.contract}" and by_ref["USD-1"][5] == "$500.00 USD"

        await show(pilot, "4")
        got = rows(screen.query_one("#contracts-table", ProfileTable))
        assert [k for k, _ in got] == contracts
        assert [cell_text(c) for c in got[0][1]] == [f"#{led.contract}", "Póliza de soporte", "Mensual",
                                                     "$1,500.00 MXN", "Sí", "01/12/2026", "Activo"]

        await show(pilot, "5")
        got = rows(screen.query_one("#payments-table", ProfileTable))
        assert [k for k, _ in got] == payments
        assert [[cell_text(c) for c in v] for _, v in got] == [
            ["20/11/2026", "$2,000.00 MXN", "Aplicado", "Pendiente, límite 05/12/2026", "Manual", "01 Efectivo"],
            ["20/10/2026", "$1,740.00 MXN", "Aplicado", "Pendiente, límite 05/11/2026", "Domiciliación",
             "04 Tarjeta de crédito"],
            ["10/08/2026", "$11,600.00 MXN", "Aplicado", "6f1c9d2e-0b8a-4c55-9f3e-2a7b1c4d5e6f", "Manual",
             "03 Transferencia electrónica de fondos"],
        ]

        await show(pilot, "6")
        got = rows(screen.query_one("#credit_notes-table", ProfileTable))
        assert [k for k, _ in got] == credit_notes
        assert [cell_text(c) for c in got[0][1]] == ["15/11/2026", "NC-1", "15/11/2026",
                                                     "a1b2c3d4-0000-4000-8000-000000000001", "$232.00 MXN",
                                                     "A-3 232.00"]

        await show(pilot, "7")
        got = rows(screen.query_one("#notes-table", ProfileTable))
        assert [k for k, _ in got] == notes
        assert [[cell_text(c) for c in v] for _, v in got] == [
            ["25/11/2026 17:32", "ana", "A-2", "Prometió pagar A-2 el viernes\nsegunda línea"],
            ["25/11/2026 17:31", "tester", "", "Llamar el lunes"],
        ]
        preview = plain(screen.query_one("#notes-preview", Static))
        assert "Prometió pagar A-2 el viernes\nsegunda línea" in preview and "ana" in preview


async def test_sales_only_open_documents_oldest_due_first(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        await show(pilot, "3")
        table = screen.query_one("#sales-table", ProfileTable)
        assert table.row_count == 8
        await show(pilot, "f")
        with led.db.read() as s:
            expected = lists.list_documents(s, led.cid, only_open=True, as_of=TODAY)
        got = rows(table)
        assert [k for k, _ in got] == expected
        assert [k.reference for k, _ in got] == ["A-2", "NV-1", "USD-1", "C-11", "A-3"]
        assert plain(screen.query_one("#sales-count", Static)).startswith("5 con saldo pendiente")
        await show(pilot, "f")
        assert table.row_count == 8 and plain(screen.query_one("#sales-count", Static)) == "8 en total"


async def test_activity_is_paged_not_loaded_whole(tmp_path: Path) -> None:
    led = build_profile_db(tmp_path / "big.db", extra_notes=450)
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        await show(pilot, "2")
        table = screen.query_one("#activity-table", ProfileTable)
        with led.db.read() as s:
            total = P.count_activity(s, led.cid)
            oldest = lists.list_activity(s, led.cid, offset=total - 1, limit=1)[0]
        assert table.row_count == total > 450
        assert table.get_cached_row(0) is not None
        assert table.get_cached_row(total - 1) is None  # far pages were never fetched
        await pilot.press("end")
        await settle(pilot)
        assert table.get_cached_row(total - 1)[0] == oldest
        assert oldest.kind == "customer_created"
        assert plain(screen.query_one("#activity-count", Static)) == f"{total} en total"
    led.db.dispose()


# ------------------------------------------------------------------------------------ terms
async def test_payment_terms_edited_in_place(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        terms = screen.query_one("#terms-input")
        assert terms.value == "30"
        await pilot.press("3", "t")  # from another tab, t goes to the field in Saldos
        await settle(pilot)
        assert screen.tabs.active == "balances" and terms.has_focus
        await pilot.press("4", "5", "enter")  # the field selects its text on focus: typing replaces it
        await settle(pilot)
        with led.db.read() as s:
            row = s.execute(sa.select(tables.customer.c.payment_terms_days).where(tables.customer.c.id == led.cid)).one()
            last = lists.list_activity(s, led.cid, limit=1)[0]
        assert row[0] == 45
        assert (last.kind, last.detail, last.actor) == ("terms_set", "30 → 45", ACTOR)
        assert plain(screen.query_one("#terms-message", Static)) == "Condiciones de pago guardadas: 45 días"
        assert "Condiciones de pago: 45 días" in plain(screen.query_one("#profile-identity", Static))
        # The Activity tab shows the change as soon as it is opened.
        await show(pilot, "2")
        first = rows(screen.query_one("#activity-table", ProfileTable))[0][1]
        assert cell_text(first[1]) == "Condiciones de pago establecidas  30 → 45"


@pytest.mark.parametrize("typed", ["abc", "400", "-5", "4.5", "٣٠", "3_0", ""])
async def test_invalid_payment_terms_show_a_message_and_save_nothing(led: Ledger, typed: str) -> None:
    from ledger_helpers import counts

    before = counts(led.db)
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("home", "ctrl+k", *list(typed), "enter")
        await settle(pilot)
        message = screen.query_one("#terms-message", Static)
        assert plain(message) == "Escribe un número entero de días, de 0 (contado) a 365. No se guardó nada."
        assert message.has_class("-error")
        assert "Condiciones de pago: 30 días" in plain(screen.query_one("#profile-identity", Static))
        # Escape puts the saved value back and leaves the field (the profile stays open).
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CustomerScreen)
        assert screen.query_one("#terms-input").value == "30"
        assert plain(screen.query_one("#terms-message", Static)) == ""
    assert counts(led.db) == before


async def test_terms_saved_by_someone_else_meanwhile_is_refused(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        with led.db.write() as s:  # another operator changes the customer after the screen loaded it
            L.update_customer(s, actor="ana", customer_id=led.cid, phone="55 0000 0000")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("home", "ctrl+k", "6", "0", "enter")
        await settle(pilot)
        message = plain(screen.query_one("#terms-message", Static))
        assert message.startswith("No se guardó:") and "changed by someone else" in message
        with led.db.read() as s:
            assert s.execute(sa.select(tables.customer.c.payment_terms_days)
                             .where(tables.customer.c.id == led.cid)).scalar_one() == 30
        # the profile reloaded: the other operator's change is visible, and a second try works
        assert "55 0000 0000" in plain(screen.query_one("#profile-identity", Static))
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("6", "0", "enter")
        await settle(pilot)
        assert "Condiciones de pago: 60 días" in plain(screen.query_one("#profile-identity", Static))


# ------------------------------------------------------------------------------------ language
async def test_language_switch_relabels_everything(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        await show(pilot, "3")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
        labels = [screen.tabs.get_tab(t).label_text for t in TAB_IDS]
        assert labels == ["1 Balances", "2 Activity", "3 Sales", "4 Contracts", "5 Payments", "6 Credit notes", "7 Notes"]
        identity = plain(screen.query_one("#profile-identity", Static))
        assert "Payment terms: 30 days" in identity and "Credit limit: $50,000.00 MXN" in identity
        assert "Overdue" in plain(screen.query_one("#profile-totals", Static))
        sales = screen.query_one("#sales-table", ProfileTable)
        assert sales.header_labels == ("Type", "Number", "Issued", "Due", "Status", "Total", "Balance", "Contract")
        by_ref = {k.reference: [cell_text(c) for c in v] for k, v in rows(sales)}
        assert by_ref["A-2"][:5] == ["Invoice", "A-2", "2026-09-15", "2026-10-15", "Overdue 44 d"]
        # hidden tabs too: a built one (Balances) is relabelled, one never shown has no widgets
        # yet and is built in the new language when it is first shown
        aging = screen.query_one("#aging-table", TextGrid)
        assert [r[0] for r in aging.rows][:2] == ["Current", "1-30 days"]
        assert not screen.query("#activity-table")
        painted = screen_text(app)
        assert "Payment" in painted and "Statement" in painted  # footer bindings
        await show(pilot, "2")
        assert screen.query_one("#activity-table", ProfileTable).header_labels[1] == "What happened"
        await show(pilot, "3")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert sales.header_labels[0] == "Tipo"
        assert {k.reference: cell_text(v[4]) for k, v in rows(sales)}["A-2"] == "Vencido 44 d"


# ------------------------------------------------------------------------------------ hostile text
async def test_hostile_text_is_shown_literally(tmp_path: Path) -> None:
    led = build_profile_db(tmp_path / "hostile.db", name=HOSTILE_NAME, note=HOSTILE_NOTE)
    with led.db.write() as s:  # data from outside (a CFDI, a bulk import) may carry escape sequences
        s.execute(tables.customer.update().where(tables.customer.c.id == led.cid)
                  .values(phone="\x1b[31m55\x1b[0m 1234", colonia="[b]Juárez[/b]"))
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        identity = plain(screen.query_one("#profile-identity", Static))
        assert HOSTILE_NAME in identity and "[b]Juárez[/b]" in identity
        assert "\x1b" not in identity and "55" in identity
        painted = screen_text(app)
        assert HOSTILE_NAME in painted and "[b]Juárez[/b]" in painted
        await show(pilot, "7")
        notes = rows(screen.query_one("#notes-table", ProfileTable))
        assert cell_text(notes[1][1][3]) == HOSTILE_NOTE
        assert HOSTILE_NOTE in screen_text(app)
        await show(pilot, "2")
        assert any(HOSTILE_NOTE in cell_text(v[1]) for _, v in rows(screen.query_one("#activity-table", ProfileTable)))
    led.db.dispose()


# ------------------------------------------------------------------------------------ reload
async def test_reload_after_a_ledger_change(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        for key in ("2", "5", "1"):  # load Activity and Payments, come back to Balances
            await show(pilot, key)
        aging = screen.query_one("#aging-table", TextGrid)
        assert {r[0]: r[1] for r in aging.rows}["Vencido"] == "$4,800.00 MXN"
        with led.db.write() as s:
            new_payment = L.record_payment(s, actor="ana", customer_id=led.cid, amount="1000", paid_on=TODAY,
                                           forma_pago="03", reference="SPEI 2811")
        screen.reload()
        await settle(pilot)
        # oldest due first: A-2 (3,800 due 15/10) takes the 1,000
        assert {r[0]: r[1] for r in aging.rows}["Vencido"] == "$3,800.00 MXN"
        assert "$3,800.00 MXN" in plain(screen.query_one("#profile-totals", Static))
        received = {r[0]: r[1] for r in screen.query_one("#received-table", TextGrid).rows}
        assert received["Últimos 30 días"] == "$3,000.00 MXN (2 pagos)"
        await show(pilot, "2")
        first_key, first = rows(screen.query_one("#activity-table", ProfileTable))[0]
        assert (first_key.kind, first_key.payment_id) == ("payment_recorded", new_payment)
        assert cell_text(first[4]) == "$7,628.00 MXN" and cell_text(first[5]) == "ana"
        await show(pilot, "5")
        first_key, first = rows(screen.query_one("#payments-table", ProfileTable))[0]
        assert first_key.id == new_payment and cell_text(first[1]) == "$1,000.00 MXN"
        assert cell_text(first[3]) == "Pendiente, límite 05/12/2026"


async def test_escape_sequences_are_removed_whole(tmp_path: Path) -> None:
    led = build_profile_db(tmp_path / "esc.db")
    with led.db.write() as s:
        s.execute(tables.customer.update().where(tables.customer.c.id == led.cid).values(phone="\x1b[31m55\x1b[0m 1234"))
    app = make_app(led)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_profile(pilot, led.cid)
            assert "Tel. 55 1234" in plain(screen.query_one("#profile-identity", Static))
    finally:
        led.db.dispose()


# ------------------------------------------------------------------------------------ actions
async def press_and_return(pilot: Pilot[Any], key: str) -> None:
    """Press a key that opens a (fake) dialog or screen and wait until the profile is back on top."""
    await pilot.press(key)
    for _ in range(100):
        await settle(pilot)
        if isinstance(pilot.app.screen, CustomerScreen):
            return
    raise AssertionError(f"{key}: the profile did not come back")


class Calls:
    def __init__(self) -> None:
        self.made: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


def fake_module(monkeypatch: pytest.MonkeyPatch, calls: Calls, module: str, name: str, *, screen: bool = False,
                on_open: Any = None) -> None:
    """Stand-in for a dialog / screen another engineer writes: records how it was opened and
    dismisses with what ``on_open`` returns (after doing its ledger work, like the real one)."""
    base = Screen if screen else ModalScreen

    class Fake(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__()
            calls.made.append((name, args, kwargs))
            self.args, self.kwargs = args, kwargs

        def on_mount(self) -> None:
            result = on_open(*self.args, **self.kwargs) if on_open else None
            self.call_after_refresh(self._close, result)

        def _close(self, result: Any) -> None:
            self.dismiss(result)

    Fake.__name__ = name
    mod = types.ModuleType(f"arterm.tui.{module}")
    setattr(mod, name, Fake)
    monkeypatch.setitem(sys.modules, f"arterm.tui.{module}", mod)


async def test_actions_open_the_dialogs_with_the_right_arguments(led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls()
    for module, name in [("dialogs.customer_form", "CustomerForm"), ("dialogs.assign", "AssignOperatorDialog"),
                         ("dialogs.create_menu", "CreateMenu"), ("dialogs.statement", "StatementDialog"),
                         ("dialogs.note_form", "NoteDialog"), ("dialogs.cancel", "CancelDialog"),
                         ("dialogs.payment", "PaymentDialog")]:
        fake_module(monkeypatch, calls, module, name)
    sys.modules["arterm.tui.dialogs.assign"].IdentifierDialog = sys.modules["arterm.tui.dialogs.assign"].AssignOperatorDialog
    fake_module(monkeypatch, calls, "screens.document", "DocumentScreen", screen=True)
    fake_module(monkeypatch, calls, "screens.contract", "ContractScreen", screen=True)

    def record(customer_id: int, document_id: int | None) -> int:
        with led.db.write() as s:
            alloc = [(document_id, "500")] if document_id else "oldest"
            return L.record_payment(s, actor=ACTOR, customer_id=customer_id, amount="500", paid_on=TODAY,
                                    allocations=alloc)

    fake_module(monkeypatch, calls, "dialogs.payment_form", "PaymentForm", on_open=record)
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        cid = led.cid
        for key in ("e", "o", "i", "c", "s", "n"):
            await press_and_return(pilot, key)
        assert [(n, a, k) for n, a, k in calls.made] == [
            ("CustomerForm", (cid,), {}), ("AssignOperatorDialog", (cid,), {}), ("AssignOperatorDialog", (cid,), {}),
            ("CreateMenu", (cid,), {}), ("StatementDialog", (cid,), {}), ("NoteDialog", (cid,), {"document_id": None}),
        ]
        calls.made.clear()
        await pilot.press("x")  # no document list on Balances: nothing happens
        await settle(pilot)
        assert calls.made == []
        # p outside Sales: no document (oldest first); the dialog's payment shows at once
        await press_and_return(pilot, "p")
        assert calls.made == [("PaymentForm", (cid, None), {})]
        assert "$4,300.00 MXN" in plain(screen.query_one("#profile-totals", Static))  # A-2 3,800 → 3,300
        calls.made.clear()
        # Sales: the highlighted document (newest first: A-3 after moving to it)
        await show(pilot, "3")
        table = screen.query_one("#sales-table", ProfileTable)
        index = next(i for i, (k, _) in enumerate(rows(table)) if k.reference == "NV-1")
        table.move_cursor(index)
        await press_and_return(pilot, "p")
        assert calls.made[-1] == ("PaymentForm", (cid, led.docs["NV-1"]), {})
        assert {k.reference: cell_text(v[6]) for k, v in rows(table)}["NV-1"] == "$500.00 MXN"  # reloaded
        table.move_cursor(index)
        for key in ("x", "n", "enter"):
            await press_and_return(pilot, key)
        assert calls.made[-3:] == [("CancelDialog", (), {"document_id": led.docs["NV-1"]}),
                                   ("NoteDialog", (cid,), {"document_id": led.docs["NV-1"]}),
                                   ("DocumentScreen", (led.docs["NV-1"],), {})]
        # p on a paid document: not allowed on it, so oldest first
        index = next(i for i, (k, _) in enumerate(rows(table)) if k.reference == "A-1")
        table.move_cursor(index)
        await press_and_return(pilot, "p")
        assert calls.made[-1] == ("PaymentForm", (cid, None), {})
        await show(pilot, "4")
        await press_and_return(pilot, "enter")
        assert calls.made[-1] == ("ContractScreen", (led.contract,), {})
        await show(pilot, "5")
        first_payment = rows(screen.query_one("#payments-table", ProfileTable))[0][0].id
        await press_and_return(pilot, "enter")
        assert calls.made[-1] == ("PaymentDialog", (first_payment,), {})
        await show(pilot, "6")
        await press_and_return(pilot, "x")
        assert calls.made[-1] == ("CancelDialog", (), {"document_id": led.credit_note})
        await show(pilot, "1")  # REP pending list: Enter opens the payment (to record its REP)
        rep = screen.query_one("#rep-table", DataTable)
        rep.focus()
        await press_and_return(pilot, "enter")
        with led.db.read() as s:
            most_urgent = P.rep_pending(s, cid, as_of=TODAY)[0].payment_id
        assert calls.made[-1] == ("PaymentDialog", (most_urgent,), {})
        assert isinstance(app.screen, CustomerScreen)


async def test_missing_dialogs_say_not_available_yet(led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("dialogs.statement", "dialogs.customer_form"):
        monkeypatch.setitem(sys.modules, f"arterm.tui.{module}", None)  # import fails as if not written
    app = make_app(led)
    messages = notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await open_profile(pilot, led.cid)
        await pilot.press("s", "e")
        await settle(pilot)
        assert "Estado de cuenta: todavía no está disponible" in messages
        assert "Editar cliente: todavía no está disponible" in messages
        assert isinstance(app.screen, CustomerScreen)


async def test_bindings_footer_and_palette(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        shown = {b.binding.key: b.binding.description for b in screen.active_bindings.values() if b.binding.show}
        assert shown["e"] == "Editar" and shown["p"] == "Pago" and shown["s"] == "Edo. cuenta"
        assert shown["escape"] == "Regresar" and "x" not in shown  # cancel only where documents are listed
        await show(pilot, "3")
        assert screen.check_action("cancel_document", ()) is True
        commands = [c.title for c in app.get_system_commands(screen)]
        for expected in ("Cliente: registrar pago", "Cliente: enviar estado de cuenta", "Cliente: editar perfil",
                         "Cliente: asignar operador", "Cliente: cambiar identificador", "Cliente: crear…",
                         "Cliente: agregar nota"):
            assert expected in commands
        footer = screen_text(app).splitlines()[-1]
        for label in ("Abrir", "Editar", "Operador", "ID", "Crear", "Pago", "Nota", "Edo. cuenta", "Cancelar", "Regresar"):
            assert label in footer
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CustomerScreen)


async def test_cancel_key_is_dimmed_on_a_cancelled_document(led: Ledger) -> None:
    """QA: on the Sales tab the footer offered "x Cancelar" on a cancelled invoice, and x opened a
    dialog with nothing to do."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        await show(pilot, "3")
        table = screen.query_one("#sales-table", ProfileTable)
        refs = [k.reference for k, _ in rows(table)]
        table.move_cursor(refs.index("A-4"))  # cancelled in the fixture
        await settle(pilot)
        assert screen.query_one(SalesTab).selected_row().status == "cancelled"
        assert screen.check_action("cancel_document", ()) is None
        await pilot.press("x")
        await settle(pilot)
        assert app.screen is screen
        table.move_cursor(refs.index("A-2"))
        await settle(pilot)
        assert screen.check_action("cancel_document", ()) is True
        await pilot.press("x")
        await settle(pilot)
        assert type(app.screen).__name__ == "CancelDialog"


# ------------------------------------------------------------------------------------ hidden tabs
async def test_hidden_tabs_are_built_when_first_shown(led: Ledger) -> None:
    """Opening a profile builds only the visible tab; the others get their widgets (and their
    queries) the first time they are shown."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        built = {tab.id: tab.ready for tab in screen.query("ProfileTab")}
        assert built == {tab_id: tab_id == "balances" for tab_id in TAB_IDS}
        assert screen.query_one("#aging-table", TextGrid).rows
        assert not screen.query("#sales-table")
        await show(pilot, "3")
        sales = screen.query_one("#sales-table", ProfileTable)
        assert sales.has_focus
        with led.db.read() as s:
            assert [k for k, _ in rows(sales)] == lists.list_documents(s, led.cid, limit=1000, as_of=TODAY)


async def test_keys_pressed_while_a_tab_is_being_built(led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """'3' then 'p' at once (a fast typist, or both in one read over SSH): 'p' is handled while
    the Sales tab is being built; the payment form opens and nothing breaks. 't' (edit the
    terms) right after works the same way."""
    calls = Calls()
    fake_module(monkeypatch, calls, "dialogs.payment_form", "PaymentForm")
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = CustomerScreen(led.cid)
        await app.push_screen(screen)
        await settle(pilot)
        app.post_message(events.Key("3", "3"))
        app.post_message(events.Key("p", "p"))
        for _ in range(100):
            await settle(pilot)
            if isinstance(app.screen, CustomerScreen) and calls.made:
                break
        assert calls.made and calls.made[0][0] == "PaymentForm"
        assert calls.made[0][1][0] == led.cid
        assert screen.tabs.active == "sales"
        assert screen.query_one("#sales-table", ProfileTable).row_count > 0
        await pilot.press("t")
        await settle(pilot)
        assert screen.tabs.active == "balances"
        assert app.focused is screen.query_one("#terms-input")


# ------------------------------------------------------------------------------------ footer
async def test_opening_and_closing_profiles_does_not_keep_footer_keys(led: Ledger) -> None:
    """Each time the customers screen comes back its footer is rebuilt; the old keys must be freed
    (Textual's own Footer keeps them: see test_textual_footer_still_leaks_its_keys)."""
    import gc

    from textual.widgets._footer import FooterKey

    def footer_keys() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))

    async def steady_footer_keys(pilot: Any) -> int:
        """The count once the footer is done rebuilding (the same twice in a row)."""
        last = -1
        for _ in range(40):
            await pilot.pause(0.05)
            now = footer_keys()
            if now == last:
                return now
            last = now
        return last

    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        counts = []
        for _ in range(6):
            await open_profile(pilot, led.cid)
            profile_keys = len(app.screen.query(FooterKey))
            app.pop_screen()
            await settle(pilot)
            counts.append(await steady_footer_keys(pilot))
        # The leak kept more keys after every open: [56, 78, 100, 122, 157, 179]. Under load one
        # profile's set of keys can stay referenced a while longer, seen twice in CI as
        # [12, 12, 12, 25, 25, 25]; that is not growth.
        assert counts[-1] - counts[1] <= profile_keys, (counts, profile_keys)


async def test_textual_footer_still_leaks_its_keys() -> None:
    """Canary for Textualize/textual#6666 (``data_bind`` watchers outlive the widgets). When this
    fails Textual has fixed it, and ``arterm.tui.widgets.footer.ArtermFooter`` can go."""
    import gc

    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    from arterm.tui.widgets.footer import ArtermFooter

    async def keys_after_pushes(footer_class: type[Footer]) -> list[int]:
        class Other(Screen[None]):
            BINDINGS = [Binding("x", "bell", "X")]

            def compose(self) -> Any:
                yield footer_class()

        class Main(Screen[None]):
            BINDINGS = [Binding("a", "bell", "A"), Binding("b", "bell", "B")]

            def compose(self) -> Any:
                yield footer_class()

        class Tiny(App[None]):
            def on_mount(self) -> None:
                self.push_screen(Main())

        counts = []
        app = Tiny()
        async with app.run_test() as pilot:
            await pilot.pause(0.1)
            for _ in range(5):
                await app.push_screen(Other())
                await pilot.pause(0.1)
                app.pop_screen()
                await pilot.pause(0.1)
                gc.collect()
                counts.append(sum(1 for o in gc.get_objects() if isinstance(o, FooterKey) and o.app is app))
        return counts

    leaked = await keys_after_pushes(Footer)
    assert leaked[-1] > leaked[0], leaked  # Textual's Footer: two more keys kept per push/pop
    kept = await keys_after_pushes(ArtermFooter)
    assert kept[-1] == kept[0], kept


async def test_profile_reloads_when_a_refused_payment_form_is_cancelled(led: Ledger) -> None:
    """Seen in tmux with two operators: B's payment on A-3 was refused (A paid it meanwhile); B
    cancelled the form and the profile still showed A-3 open and the old totals."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_profile(pilot, led.cid)
        screen._open("dialogs.payment_form", "PaymentForm", "profile.what.payment_form", led.cid, led.docs["A-3"])
        await settle(pilot)
        form = app.screen
        assert type(form).__name__ == "PaymentForm"
        with led.db.write() as s:  # the other operator pays A-3 in full
            L.record_payment(s, actor="ana", customer_id=led.cid, amount="2088", paid_on=TODAY,
                             allocations=[(led.docs["A-3"], "2088")])
        with led.db.read() as s:
            fresh = {b.currency: b for b in customer_balances(s, [led.cid], as_of=TODAY)}["MXN"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: the form stays open with the message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        totals = plain(screen.query_one("#profile-totals", Static))
        total_line = next(line for line in totals.splitlines() if line.strip().startswith("Total"))
        assert money(fresh.total) in total_line


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_the_payment_terms_box_shows_what_is_typed(led: Ledger, size: tuple[int, int]) -> None:
    """The box was so narrow that '366' showed as '66' (the cursor cell pushed the first digit out)."""
    app = make_app(led)
    async with app.run_test(size=size) as pilot:
        screen = await open_profile(pilot, led.cid)
        await pilot.press("t")
        await settle(pilot)
        terms = screen.query_one("#terms-input")
        for typed in ("366", "1000"):
            await pilot.press("home", "ctrl+k", *list(typed))
            await pilot.pause()
            region = terms.region
            painted = "".join(strip.text for strip in app.screen._compositor.render_strips()[region.y:region.bottom])
            line = next(strip.text for strip in app.screen._compositor.render_strips()[region.y:region.bottom]
                        if any(ch.isdigit() for ch in strip.text[region.x:region.right]))
            assert typed in line[region.x:region.right], (typed, line[region.x:region.right], painted)
