"""``arterm contracts ...`` on SQLite and PostgreSQL: add, list (exact JSON shape), edit,
pause/resume/end, bill (dry run, catch-up, re-run), direct-debit charges (list, confirm, reject)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from arterm.db import tables
from arterm.db.engine import Database
from cli_helpers import ArtermCli
from ledger_helpers import counts, integrity

MONEY = re.compile(r"^\d+\.\d{2}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HOSTILE = "[bold red]X[/] <b>"
CONTRACT_KEYS = ["id", "customer", "frequency", "amount", "currency", "direct_debit", "status", "next_billing_date",
                 "invoices"]
INVOICE_KEYS = ["folio", "period_start", "issue_date", "due_date", "total", "balance", "status"]


Cli = ArtermCli


@pytest.fixture
def run(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(any_db_url, monkeypatch)


@pytest.fixture
def db(run: Cli) -> Any:
    database = Database(run.url)
    yield database
    database.dispose()


def setup_customer(run: Cli, name: str = HOSTILE, identifier: str = "C-1", terms: str = "15") -> str:
    run.ok("customer", "add", "--name", name, "--rfc", "EKU9003173C9", "--identifier", identifier, "--terms", terms)
    return identifier


def add(run: Cli, customer: str, *args: str) -> int:
    out = run.ok("contracts", "add", customer, *args)
    m = re.search(r"#(\d+)", out)
    assert m, out
    return int(m.group(1))


def test_add_list_json_shape(run: Cli, db: Database) -> None:
    c = setup_customer(run)
    out = run.ok("contracts", "add", c, "--amount", "1,500.50", "--frequency", "monthly", "--start", "31/01/2026",
                 "--billing-day", "31", "--direct-debit", "--dd-forma", "28", "--dd-reference", "4152 3137 0000 9876",
                 "--description", "Renta", "--terms", "5")
    assert out.startswith("contrato #1 creado para C-1 " + HOSTILE), out  # the name as typed, no markup
    k2 = add(run, c, "--amount", "200", "--frequency", "weekly", "--start", "2026-11-02", "--periods", "2",
             "--currency", "USD", "--tax-rate", "0", "--metodo", "PUE")
    with db.read() as s:
        row = s.execute(sa.select(tables.contract).where(tables.contract.c.id == 1)).one()
    assert (row.amount_cents, row.billing_day, row.direct_debit, row.dd_forma_pago, row.dd_reference,
            row.payment_terms_days) == (150050, 31, True, "28", "**** 9876", 5)
    run.ok("contracts", "bill", "--until", "2026-03-31")
    data = run.json("contracts", "list", "--json", "--as-of", "2026-03-10")
    assert [list(x) for x in data] == [CONTRACT_KEYS, CONTRACT_KEYS]
    first, second = data
    assert {k: v for k, v in first.items() if k != "invoices"} == {
        "id": 1, "customer": "C-1", "frequency": "monthly", "amount": "1500.50", "currency": "MXN",
        "direct_debit": True, "status": "active", "next_billing_date": "2026-04-30"}
    assert [list(i) for i in first["invoices"]] == [INVOICE_KEYS] * 3
    assert first["invoices"][0] == {"folio": "A-1", "period_start": "2026-01-31", "issue_date": "2026-01-31",
                                    "due_date": "2026-02-05", "total": "1740.58", "balance": "1740.58",
                                    "status": "overdue"}
    assert [(i["period_start"], i["issue_date"], i["status"]) for i in first["invoices"][1:]] == [
        ("2026-02-28", "2026-02-28", "overdue"), ("2026-03-31", "2026-03-31", "current")]
    assert second == {"id": k2, "customer": "C-1", "frequency": "weekly", "amount": "200.00", "currency": "USD",
                      "direct_debit": False, "status": "active", "next_billing_date": "2026-11-02", "invoices": []}
    for item in data:
        for inv in item["invoices"]:
            assert MONEY.match(inv["total"]) and MONEY.match(inv["balance"])
            assert all(ISO.match(inv[k]) for k in ("period_start", "issue_date", "due_date"))
    # Filter by customer, human output in Spanish with the name literal.
    assert [x["id"] for x in run.json("contracts", "list", "C-1", "--json")] == [1, k2]
    human = run.ok("contracts", "list")
    assert HOSTILE in human and "Mensual" in human and "Semanal" in human
    english = run.ok("contracts", "list", env={"ARTERM_LANG": "en", "LANG": "en_US.UTF-8"})
    assert "Monthly" in english and "Next invoice" in english


def test_bad_input_writes_nothing(run: Cli, db: Database) -> None:
    c = setup_customer(run, name="Cliente SA")
    before = counts(db)
    assert "amount" in run.fail("contracts", "add", c, "--amount", "abc", "--frequency", "monthly", "--start", "2026-01-01")
    assert "greater than zero" in run.fail("contracts", "add", c, "--amount", "0", "--frequency", "monthly",
                                           "--start", "2026-01-01")
    assert "valid date" in run.fail("contracts", "add", c, "--amount", "5", "--frequency", "monthly",
                                    "--start", "31/02/2026", code=2)
    run.fail("contracts", "add", c, "--amount", "5", "--frequency", "daily", "--start", "2026-01-01", code=2)
    run.fail("contracts", "add", c, "--amount", "5", "--frequency", "monthly", "--start", "2026-01-01",
             "--billing-day", "32", code=2)
    assert "end date" in run.fail("contracts", "add", c, "--amount", "5", "--frequency", "monthly",
                                  "--start", "2026-01-01", "--end", "2025-01-01")
    assert "no customer" in run.fail("contracts", "add", "NOPE", "--amount", "5", "--frequency", "monthly",
                                     "--start", "2026-01-01")
    assert "does not exist" in run.fail("contracts", "pause", "99", "--reason", "x")
    run.fail("contracts", "pause", "1", code=2)  # --reason is required
    assert counts(db) == before


def test_edit_pause_resume_end(run: Cli, db: Database) -> None:
    c = setup_customer(run, name="Cliente SA")
    k = add(run, c, "--amount", "100", "--frequency", "monthly", "--start", "2026-01-01")
    assert run.ok("contracts", "edit", str(k), "--amount", "250", "--billing-day", "10", "--terms", "none",
                  "--description", "Mantenimiento").strip() == f"contrato #{k} actualizado"
    with db.read() as s:
        row = s.execute(sa.select(tables.contract).where(tables.contract.c.id == k)).one()
    assert (row.amount_cents, row.billing_day, row.payment_terms_days, row.description, row.version) == (
        25000, 10, None, "Mantenimiento", 2)
    run.ok("contracts", "bill", "--until", "2026-02-10")
    assert "cannot change" in run.fail("contracts", "edit", str(k), "--billing-day", "5")
    assert "nothing to change" in run.fail("contracts", "edit", str(k))
    assert run.ok("contracts", "pause", str(k), "--reason", "Vacaciones", "--on", "2026-02-20").strip() == \
        f"contrato #{k} en pausa desde el 20/02/2026"
    assert run.json("contracts", "list", "--json")[0]["status"] == "paused"
    assert run.json("contracts", "bill", "--until", "2026-05-31", "--json")["invoices"] == []
    run.ok("contracts", "resume", str(k), "--on", "2026-04-01")
    bill = run.json("contracts", "bill", "--until", "2026-05-31", "--json")
    assert [i["issue_date"] for i in bill["invoices"]] == ["2026-04-10", "2026-05-10"]  # March 10 fell in the pause
    run.ok("contracts", "end", str(k), "--reason", "Terminó", "--on", "2026-06-01")
    item = run.json("contracts", "list", "--json")[0]
    assert (item["status"], item["next_billing_date"]) == ("ended", None)
    assert "already ended" in run.fail("contracts", "end", str(k), "--reason", "otra vez")
    shown = run.ok("contracts", "show", str(k), "--as-of", "2026-06-02")
    assert "Terminado — Terminó" in shown and "Mantenimiento" in shown
    assert integrity(db) == []


def test_bill_dry_run_then_catch_up_then_nothing(run: Cli, db: Database) -> None:
    c = setup_customer(run, name="Cliente SA")
    add(run, c, "--amount", "1000", "--frequency", "biweekly", "--start", "2026-10-01")
    before = counts(db)
    dry = run.json("contracts", "bill", "--until", "2026-11-28", "--dry-run", "--json")
    assert counts(db) == before
    assert [i["issue_date"] for i in dry["invoices"]] == ["2026-10-01", "2026-10-15", "2026-10-29", "2026-11-12",
                                                          "2026-11-26"]
    assert dry["invoices"][0] == {"contract": 1, "customer": "C-1", "period_start": "2026-10-01",
                                  "period_end": "2026-10-14", "issue_date": "2026-10-01", "due_date": "2026-10-16",
                                  "total": "1160.00", "currency": "MXN", "direct_debit": False}
    human = run.ok("contracts", "bill", "--until", "2026-11-28", "--dry-run")
    assert "Facturas por emitir hasta el 28/11/2026: 5" in human
    out = run.ok("contracts", "bill", "--until", "2026-11-28")
    assert "Facturas emitidas: 5 de 1 contrato;" in out  # not "1 contratos"
    assert "nada por facturar hasta el 28/11/2026" in run.ok("contracts", "bill", "--until", "2026-11-28")
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(tables.document)).scalar_one() == 5


def test_direct_debit_charges(run: Cli, db: Database) -> None:
    c = setup_customer(run, name="Cliente SA", terms="10")
    add(run, c, "--amount", "500", "--frequency", "monthly", "--start", "2026-09-01", "--direct-debit",
        "--dd-reference", "1234567890123456")
    run.ok("contracts", "bill", "--until", "2026-11-28")
    pending = run.json("contracts", "charges", "--json")
    assert [(p["invoice"], p["scheduled_on"], p["amount"], p["status"], p["forma_pago"]) for p in pending] == [
        ("A-1", "2026-09-11", "580.00", "pending", "04"), ("A-2", "2026-10-11", "580.00", "pending", "04"),
        ("A-3", "2026-11-11", "580.00", "pending", "04")]
    first, second = pending[0]["id"], pending[1]["id"]
    assert run.ok("contracts", "charges", "--confirm", str(first)).strip() == f"cargo #{first} confirmado: A-1 580.00"
    assert "already confirmed" in run.fail("contracts", "charges", "--confirm", str(first))
    assert "--reason" in run.fail("contracts", "charges", "--reject", str(second))
    assert run.ok("contracts", "charges", "--reject", str(second), "--reason", "Tarjeta vencida").strip() == \
        f"cargo #{second} rechazado: Tarjeta vencida"
    statuses = {p["id"]: (p["status"], p["reason"]) for p in run.json("contracts", "charges", "--status", "all", "--json")}
    assert statuses[first] == ("confirmed", "") and statuses[second] == ("rejected", "Tarjeta vencida")
    assert len(run.json("contracts", "charges", "--json")) == 1
    invoices = {i["folio"]: i for i in run.json("contracts", "list", "--json", "--as-of", "2026-11-28")[0]["invoices"]}
    assert (invoices["A-1"]["status"], invoices["A-1"]["balance"]) == ("paid", "0.00")
    assert (invoices["A-2"]["status"], invoices["A-2"]["balance"]) == ("overdue", "580.00")
    assert integrity(db) == []


def test_billing_day_is_refused_for_weekly_and_biweekly(run: Cli, db: Database) -> None:
    """The schedule ignores a billing day weekly/biweekly; it was saved and shown ('Billing day 15')."""
    c = setup_customer(run, name="Cliente SA")
    before = counts(db)
    for frequency in ("weekly", "biweekly"):
        out = run.fail("contracts", "add", c, "--amount", "5", "--frequency", frequency, "--start", "2026-01-01",
                       "--billing-day", "15")
        assert "billing day applies to monthly and longer" in out and "weekday" in out
    assert counts(db) == before
    k = add(run, c, "--amount", "100", "--frequency", "monthly", "--start", "2026-01-01", "--billing-day", "15")
    weekly = add(run, c, "--amount", "100", "--frequency", "weekly", "--start", "2026-01-05")
    assert "billing day applies" in run.fail("contracts", "edit", str(weekly), "--billing-day", "15")
    run.ok("contracts", "edit", str(k), "--frequency", "biweekly")  # the billing day goes with the month
    with db.read() as s:
        row = s.execute(sa.select(tables.contract).where(tables.contract.c.id == k)).one()
    assert (row.frequency, row.billing_day) == ("biweekly", None)
    shown = run.ok("contracts", "show", str(weekly), "--as-of", "2026-01-02")
    assert "Día de facturación" not in shown and "Día de cobro" not in shown


def test_confirming_a_charge_on_a_partly_paid_invoice_says_what_stays_as_credit(run: Cli, db: Database) -> None:
    """The invoice was partly paid meanwhile: only the rest is applied, the leftover becomes credit
    (the CLI said only 'confirmed: A-1 380.00'; the full-credit case did mention the credit)."""
    c = setup_customer(run, name="Cliente SA", terms="10")
    add(run, c, "--amount", "500", "--frequency", "monthly", "--start", "2026-10-01", "--direct-debit",
        "--dd-reference", "1234567890123456")
    run.ok("contracts", "bill", "--until", "2026-11-28")
    first, second = (p["id"] for p in run.json("contracts", "charges", "--json"))
    run.ok("pay", c, "200", "--apply", "A-1=200", "--date", "2026-10-05")
    out = run.ok("contracts", "charges", "--confirm", str(first)).strip()
    assert out == (f"cargo #{first} confirmado: A-1 380.00; A-1 ya no necesitaba el resto: "
                   "200.00 MXN queda como saldo a favor del cliente")
    run.ok("pay", c, "580", "--apply", "A-2=580", "--date", "2026-11-05")
    data = run.json("contracts", "charges", "--confirm", str(second), "--json")
    assert data == {"id": second, "status": "confirmed", "applied": [], "credit": "580.00", "currency": "MXN"}
    assert integrity(db) == []
