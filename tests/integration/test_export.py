"""``arterm export ledger``: a ledger/hledger journal whose receivable accounts equal the customers'
balances, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries.export import account_name
from cli_helpers import ArtermCli
from ledger_helpers import ACTOR, integrity

TODAY = date.today()
DAY = timedelta(days=1)
HOSTILE = 'Ácme: "Rápida"; [b]Dulces[/b] (SA) \'Hnos\' #1 @ 50%'
POSTING = re.compile(r"^    (?P<account>\S(?:.*?\S)?)  (?P<amount>-?\d+\.\d{2}) (?P<currency>[A-Z]{3})$")
HEADER = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2}) (?P<payee>\S.*?)(?:  ; uuid:(?P<uuid>[0-9a-f-]{36}))?$")


def cents(text: str) -> int:
    return int(text.replace(".", ""))


def lines(*specs: tuple[str, str]) -> list[L.LineInput]:
    return [L.LineInput(desc, "1", amount, "0") for desc, amount in specs]


def build_ledger(db: Database) -> dict[str, dict[str, int]]:
    """A small ledger with every kind of movement; returns the expected balance per identifier and currency,
    worked out by hand (open documents minus unapplied credit)."""
    with db.write() as s:
        hostile = L.create_customer(s, actor=ACTOR, name=HOSTILE, rfc="EKU9003173C9", identifier="H:1;x",
                                    payment_terms_days=0)
        dual = L.create_customer(s, actor=ACTOR, name="Importadora Dual", rfc="KIJ0906199R1", identifier="DUAL")
        cancel = L.create_customer(s, actor=ACTOR, name="Cancelaciones SA", rfc="URE180429TM6", identifier="CAN")
        L.create_customer(s, actor=ACTOR, name="Sin Movimientos", rfc="H&E951128469", identifier="NADA")

        # hostile: invoice 1000 (-30 d) and sales note 200; payment 700 with a hostile reference, oldest first;
        # credit note 150 applied 100 to the invoice, 50 left as credit.
        inv = L.issue_document(s, actor=ACTOR, customer_id=hostile, lines=lines(("Servicio", "1000")),
                               issue_date=TODAY - 30 * DAY, cfdi_uuid="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
        L.issue_document(s, actor=ACTOR, customer_id=hostile, kind="sales_note", lines=lines(("Nota", "200")),
                         issue_date=TODAY - 20 * DAY)
        L.record_payment(s, actor=ACTOR, customer_id=hostile, amount="700", paid_on=TODAY - 10 * DAY,
                         reference="SPEI; ref: 12 [x]")
        L.issue_credit_note(s, actor=ACTOR, customer_id=hostile, lines=lines(("Bonificación", "150")),
                            applies_to=[(inv, "100")], issue_date=TODAY - 5 * DAY)
        # open: invoice 1000-700-100 = 200, sales note 200 → 400; credit 50 → 350

        # dual: MXN invoice 500 paid 120 (partial); USD invoice 80 with 100 paid → 20 USD credit;
        # a direct-debit charge still pending is not money yet.
        L.issue_document(s, actor=ACTOR, customer_id=dual, lines=lines(("Renta", "500")), issue_date=TODAY - 3 * DAY)
        L.record_payment(s, actor=ACTOR, customer_id=dual, amount="120", paid_on=TODAY - 2 * DAY)
        L.issue_document(s, actor=ACTOR, customer_id=dual, lines=lines(("Licencia", "80")), currency="USD",
                         exchange_rate="17.10", issue_date=TODAY - 3 * DAY)
        L.record_payment(s, actor=ACTOR, customer_id=dual, amount="100", currency="USD", paid_on=TODAY - DAY)
        L.record_payment(s, actor=ACTOR, customer_id=dual, amount="999", paid_on=TODAY + 5 * DAY, forma_pago="04",
                         origin="direct_debit", status="pending", allocations=None)

        # cancel: invoice 300 paid in full then cancelled → the 300 paid is credit;
        # invoice 400 with a payment of 250 that is cancelled → 400 open;
        # a credit note of 60 applied and then cancelled → nothing.
        c1 = L.issue_document(s, actor=ACTOR, customer_id=cancel, lines=lines(("Error", "300")),
                              issue_date=TODAY - 9 * DAY)
        L.record_payment(s, actor=ACTOR, customer_id=cancel, amount="300", paid_on=TODAY - 8 * DAY)
        L.cancel_document(s, actor=ACTOR, document_id=c1, reason="RFC equivocado", on=TODAY - 7 * DAY)
        c2 = L.issue_document(s, actor=ACTOR, customer_id=cancel, lines=lines(("Bueno", "400")),
                              issue_date=TODAY - 6 * DAY)
        p = L.record_payment(s, actor=ACTOR, customer_id=cancel, amount="250", paid_on=TODAY - 5 * DAY,
                             allocations=[(c2, "250")])
        L.cancel_payment(s, actor=ACTOR, payment_id=p, reason="Cheque sin fondos", on=TODAY - 4 * DAY)
        cn = L.issue_credit_note(s, actor=ACTOR, customer_id=cancel, lines=lines(("Descuento", "60")),
                                 applies_to=[(c2, "60")], issue_date=TODAY - 3 * DAY)
        L.cancel_document(s, actor=ACTOR, document_id=cn, reason="Descuento no autorizado", on=TODAY - 2 * DAY)
    return {
        "H:1;x": {"MXN": 35000},
        "DUAL": {"MXN": 38000, "USD": -2000},
        "CAN": {"MXN": 40000 - 30000},
        "NADA": {},
    }


def stored_balances(db: Database) -> dict[str, dict[str, int]]:
    """Open documents minus unapplied credit per customer and currency, from the database."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    with db.read() as s:
        for ident, cur, open_cents, credit in s.execute(
            sa.select(tables.customer.c.identifier, tables.customer_balance.c.currency,
                      tables.customer_balance.c.open_cents, tables.customer_balance.c.credit_cents)
            .join(tables.customer_balance, tables.customer_balance.c.customer_id == tables.customer.c.id)):
            if open_cents or credit:
                out[ident][cur] = int(open_cents) - int(credit)
    return out


def export(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, Path]:
    run = ArtermCli(url, monkeypatch)
    path = tmp_path / "receivables.journal"
    to_stdout = run.invoke("export", "ledger")
    to_file = run.invoke("export", "ledger", "-o", str(path))
    assert to_stdout.exit_code == 0, (to_stdout.stderr, to_stdout.exception)
    assert to_file.exit_code == 0 and to_file.stdout == "", (to_file.stderr, to_file.exception)
    assert path.read_text(encoding="utf-8") == to_stdout.stdout
    return to_stdout.stdout, path


def parse(journal: str) -> list[tuple[str, str, list[tuple[str, int, str]]]]:
    """(date, payee, [(account, cents, currency), ...]) per transaction; every line must be well formed."""
    txns: list[tuple[str, str, list[tuple[str, int, str]]]] = []
    for block in journal.split("\n\n"):
        rows = [r for r in block.splitlines() if r and not r.startswith(";")]
        if not rows:
            continue
        head = HEADER.match(rows[0])
        assert head, rows[0]
        postings = []
        for row in rows[1:]:
            m = POSTING.match(row)
            assert m, row
            postings.append((m["account"], cents(m["amount"]), m["currency"]))
        txns.append((head["date"], head["payee"], postings))
    return txns


@pytest.fixture
def journal(any_db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, Path, Database, dict]:
    db = Database(any_db_url)
    try:
        expected = build_ledger(db)
        assert integrity(db) == []
        text, path = export(any_db_url, monkeypatch, tmp_path)
        yield text, path, db, expected
    finally:
        db.dispose()


def test_receivable_accounts_equal_customer_balances(journal: tuple[str, Path, Database, dict]) -> None:
    text, _, db, expected = journal
    txns = parse(text)
    per_account: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, _, postings in txns:
        for account, amount, currency in postings:
            per_account[account][currency] += amount
    with db.read() as s:
        accounts = {ident: account_name(ident, name) for ident, name in s.execute(
            sa.select(tables.customer.c.identifier, tables.customer.c.name))}
    got = {ident: {cur: v for cur, v in per_account.get(acct, {}).items() if v} for ident, acct in accounts.items()}
    assert got == expected  # the hand-worked numbers
    assert got == {ident: stored_balances(db).get(ident, {}) for ident in accounts}  # and the ledger's own
    receivable = {a for a in per_account if a.startswith("assets:receivable:")}
    assert receivable == {accounts[i] for i in ("H:1;x", "DUAL", "CAN")}  # NADA has no movements
    # The contra accounts: sales, sales notes, returns, bank.
    assert set(per_account) - receivable == {"income:sales", "income:sales notes", "income:returns and allowances",
                                             "assets:bank"}
    assert per_account["assets:bank"] == {"MXN": 70000 + 12000 + 30000 + 25000 - 25000, "USD": 10000}


def test_every_transaction_balances(journal: tuple[str, Path, Database, dict]) -> None:
    text, _, _, _ = journal
    txns = parse(text)
    assert len(txns) == 16  # 6 invoices/notes + 2 credit notes + 5 payments (not the pending one) + 3 cancellations
    dates = [t[0] for t in txns]
    assert dates == sorted(dates)
    for day, payee, postings in txns:
        assert len(postings) == 2, payee
        totals: dict[str, int] = defaultdict(int)
        for _, amount, currency in postings:
            totals[currency] += amount
        assert all(v == 0 for v in totals.values()), (day, payee, postings)
    payees = [p for _, p, _ in txns]
    assert sum("cancelled" in p for p in payees) == 3
    assert not any("999" in p for p in payees)  # the pending direct-debit charge is not in the books
    assert "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" in text


def test_account_names_are_safe_for_hostile_names(journal: tuple[str, Path, Database, dict]) -> None:
    text, _, _, _ = journal
    for _, payee, postings in parse(text):
        assert ";" not in payee, payee  # ';' would start a comment
        for account, _, _ in postings:
            parts = account.split(":")
            assert ";" not in account and "  " not in account and "\t" not in account, account
            if account.startswith("assets:receivable:"):
                assert len(parts) == 3, account  # only the hierarchy separators
                assert not any(ch in parts[2] for ch in "[]()\"'"), account
    hostile = account_name("H:1;x", HOSTILE)
    assert hostile.startswith("assets:receivable:H-1-x Ácme- -Rápida-- -b-Dulces-/b- -SA- -Hnos- #1 @ 50%")


@pytest.mark.parametrize(
    ("identifier", "name"),
    [("C1", "a:b:c"), ("X;Y", ";;;"), ("C2", "  lots   of\tspace  "), ("C3", "x" * 300), ("C4", "(a) [b] 'c' \"d\"")],
)
def test_account_name_sanitizing(identifier: str, name: str) -> None:
    account = account_name(identifier, name)
    assert account.startswith("assets:receivable:")
    rest = account[len("assets:receivable:"):]
    assert rest and ":" not in rest and ";" not in rest and "  " not in rest and rest == rest.strip()
    assert len(rest) <= 80


HLEDGER = shutil.which("hledger")


@pytest.mark.skipif(HLEDGER is None, reason="hledger is not installed (apt-get install -y hledger)")
def test_hledger_reads_the_journal(journal: tuple[str, Path, Database, dict]) -> None:
    _, path, _, expected = journal

    def hledger(*args: str) -> str:
        # GHC programs read files in the locale's encoding: make it UTF-8 whatever the test's LANG is.
        env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        proc = subprocess.run([HLEDGER, "-f", str(path), *args], capture_output=True, text=True, timeout=60, env=env,
                              encoding="utf-8")
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    hledger("balance")
    hledger("check")
    # hledger's own per-account totals agree with the customers' balances.
    proc_stdout = hledger("balance", "--flat", "--no-total", "-O", "csv", "^assets:receivable:")
    got: dict[str, dict[str, int]] = defaultdict(dict)
    import csv
    import io

    for row in list(csv.reader(io.StringIO(proc_stdout)))[1:]:
        account, amounts = row[0], row[1]
        ident = account.split(":")[2].split(" ")[0]
        for part in amounts.split(","):
            number, currency = part.strip().rsplit(" ", 1)
            if cents(f"{float(number):.2f}"):
                got[ident][currency] = int(round(float(number) * 100))
    want = {"H-1-x": expected["H:1;x"], "DUAL": expected["DUAL"], "CAN": expected["CAN"]}
    assert got == want


PRICED = re.compile(r"^    (?P<account>\S(?:.*?\S)?)  (?P<amount>-?\d+\.\d{2}) (?P<currency>[A-Z]{3})"
                    r"(?: @@ (?P<cost>\d+\.\d{2}) (?P<cost_currency>[A-Z]{3}))?$")


def receivable_per_currency(journal: str) -> dict[str, dict[str, int]]:
    """Per receivable account and currency; every transaction must balance (a priced posting counts at its cost)."""
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for block in journal.split("\n\n"):
        rows = [r for r in block.splitlines() if r and not r.startswith(";")]
        if not rows:
            continue
        assert HEADER.match(rows[0]), rows[0]
        weights: dict[str, int] = defaultdict(int)
        for row in rows[1:]:
            m = PRICED.match(row)
            assert m, row
            amount = cents(m["amount"])
            per[m["account"]][m["currency"]] += amount
            if m["cost"]:
                weights[m["cost_currency"]] += cents(m["cost"]) * (1 if amount > 0 else -1)
            else:
                weights[m["currency"]] += amount
        assert all(v == 0 for v in weights.values()), block
    out = {a.split(":")[2].split(" ")[0]: {c: v for c, v in cur.items() if v}
           for a, cur in per.items() if a.startswith("assets:receivable:")}
    return {a: cur for a, cur in out.items() if cur}


def test_payment_in_another_currency_moves_the_balance_between_currencies(
        any_db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An MXN REP paying a USD invoice: the journal must show the USD invoice paid and no MXN credit
    (it showed +116 USD open and -1,972 MXN, while the customer owes nothing)."""
    from datetime import datetime
    from decimal import Decimal

    from arterm.cfdi.generate import Customer, Line, PaidDocument, Payment, invoice_xml, payment_xml

    customer = Customer("COSC8001137NA", "CARLOS CORTES SOTO", "52000", "612", "G03")
    usd = "22222222-2222-4222-8222-222222222222"
    (tmp_path / "inv.xml").write_bytes(invoice_xml(
        uuid=usd, customer=customer, series="QA", folio="2", currency="USD", exchange_rate=Decimal("17.00"),
        lines=(Line("X", Decimal(1), Decimal(100)),), issued_at=datetime(2024, 3, 2, 10)))
    (tmp_path / "rep.xml").write_bytes(payment_xml(
        [Payment(datetime(2024, 3, 13, 12), [PaidDocument(usd, Decimal("116"), Decimal("116"), 1, "QA", "2",
                                                          currency="USD", equivalence=Decimal("0.0588235294"))])],
        uuid="aaaaaaaa-0000-4000-8000-000000000004", customer=customer))
    run = ArtermCli(any_db_url, monkeypatch)
    run("import", str(tmp_path / "inv.xml"), str(tmp_path / "rep.xml"))
    db = Database(any_db_url)
    try:
        assert integrity(db) == []
        with db.read() as s:
            ident = s.execute(sa.select(tables.customer.c.identifier)).scalar_one()
        assert stored_balances(db) == {}  # paid in full: nothing open, no credit
        text, _ = export(any_db_url, monkeypatch, tmp_path)
        assert receivable_per_currency(text) == {}
        assert "-116.00 USD @@ 1972.00 MXN" in text

        # Cancelling the payment reverses the conversion: the USD invoice is open again.
        with db.read() as s:
            pay_id = s.execute(sa.select(tables.payment.c.id)).scalar_one()
        run("cancel", "payment", str(pay_id), "--reason", "devuelto")
        text, _ = export(any_db_url, monkeypatch, tmp_path)
        got = receivable_per_currency(text)
        assert got == stored_balances(db) == {ident: {"USD": 11600}}
    finally:
        db.dispose()
