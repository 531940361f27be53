"""The ``arterm`` command line on SQLite and PostgreSQL.

Most tests drive ``arterm.cli.cli`` in-process with click's ``CliRunner`` (``--db <url>``) and check
both the output and the database; a few run the installed console script in a subprocess so the
entry point itself is covered.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries.customers import customer_detail
from cli_helpers import ArtermCli
from ledger_helpers import ACTOR, balance, counts, doc, integrity, payment

TODAY = date.today()
ARTERM = Path(sys.executable).with_name("arterm")
BUCKETS = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
BALANCE_KEYS = ["identifier", "name", "rfc", "currency", "current", "overdue", "total", "credit", "buckets"]
MONEY = re.compile(r"^-?\d+\.\d{2}$")
HOSTILE = "[bold red]X[/] <b>"


def d(n: int) -> str:
    """ISO date ``n`` days before today."""
    return (TODAY - timedelta(days=n)).isoformat()


def cents(text: str) -> int:
    assert MONEY.match(text), text
    return int(text.replace(".", ""))


class Cli(ArtermCli):
    """``ArtermCli`` whose failures must also be arterm's own one-line message."""

    def fail(self, *args: str, code: int = 1, **kw: Any) -> str:
        err = super().fail(*args, code=code, **kw)
        if code == 1:
            assert err.startswith("arterm: "), err
        return err


@pytest.fixture
def run(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(any_db_url, monkeypatch)


@pytest.fixture
def nodb(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """For commands that never open a database (config show): no engine parametrization."""
    return Cli("", monkeypatch)


def add_customer(run: Cli, name: str, rfc: str = "EKU9003173C9", *args: str) -> str:
    out = run.ok("customer", "add", "--name", name, "--rfc", rfc, *args)
    m = re.match(r"created (\S+) ", out)
    assert m, out
    return m.group(1)


def issued(out: str) -> str:
    m = re.match(r"issued (\S+): total ", out)
    assert m, out
    return m.group(1)


def doc_id(db: Database, ref: str) -> int:
    series, folio = ref.rsplit("-", 1)
    with db.read() as s:
        return int(s.execute(sa.select(tables.document.c.id).where(tables.document.c.series == series,
                                                                    tables.document.c.folio == folio)).scalar_one())


def cust_id(db: Database, identifier: str) -> int:
    with db.read() as s:
        return int(s.execute(sa.select(tables.customer.c.id).where(tables.customer.c.identifier == identifier)).scalar_one())


def detail(db: Database, identifier: str) -> Any:
    with db.read() as s:
        return customer_detail(s, cust_id(db, identifier))


def check_balance_json(row: dict[str, Any], keys: list[str] = BUCKETS) -> dict[str, int]:
    """Shape and arithmetic of one ``balance --json`` row; returns its amounts in centavos."""
    assert list(row) == BALANCE_KEYS
    assert list(row["buckets"]) == keys
    amounts = {k: cents(row[k]) for k in ("current", "overdue", "total", "credit")}
    buckets = {k: cents(v) for k, v in row["buckets"].items()}
    assert amounts["total"] == amounts["current"] + amounts["overdue"] == sum(buckets.values())
    assert amounts["current"] == buckets["current"]
    return amounts | {f"b:{k}": v for k, v in buckets.items()}


# ------------------------------------------------------------------------------------ customers
def test_customer_add(run: Cli, db: Database) -> None:
    out = run.ok("customer", "add", "--name", "Ferretería Peña SA de CV", "--rfc", "eku9003173c9",
                 "--email", "cobranza@pena.mx", "--email", "cxp@pena.mx", "--phone", "55 1234 5678", "--terms", "15",
                 "--street", "Reforma", "--ext-number", "222", "--postal-code", "06600", "--tax-regime", "601",
                 "--uso-cfdi", "G03", "--language", "en")
    assert out == "created C000001 Ferretería Peña SA de CV\n"
    c = detail(db, "C000001")
    assert (c.name, c.rfc, c.emails, c.phone, c.payment_terms_days, c.tax_regime, c.uso_cfdi, c.language) == (
        "Ferretería Peña SA de CV", "EKU9003173C9", ("cobranza@pena.mx", "cxp@pena.mx"), "55 1234 5678", 15, "601",
        "G03", "en")
    assert c.address_lines[0] == "Reforma 222"
    assert run.ok("customer", "add", "--name", "Otro", "--rfc", "XAXX010101000", "--identifier", "PUB-1") == (
        "created PUB-1 Otro\n")
    assert integrity(db) == []


INVALID_CUSTOMERS = [
        (["--rfc", "EKU9013173C9"], "arterm: RFC 'EKU9013173C9': 901317 is not a valid date"),
        (["--rfc", "EKU900317"], "must have 12 (company) or 13 (person) characters"),
        (["--rfc", "ABC1234567890"], "expected 3-4 letters"),
        (["--rfc", "AAA010101AAA"], "the check character should be '1'"),
        (["--email", "no-es-correo"], "arterm: email 'no-es-correo' is not a valid address"),
        (["--email", "ok@x.mx", "--email", "a@b"], "email 'a@b' is not a valid address"),
        (["--postal-code", "123"], "five digits"),
        (["--phone", "llamar"], "only digits"),
        (["--terms", "400"], "between 0 (contado) and 365 days"),
        (["--tax-regime", "999"], "not in the SAT catalog"),
        (["--identifier", "C 1"], "no spaces"),
        (["--currency", "MNX"], "arterm: currency: MNX is not in the SAT catalog c_Moneda"),
        (["--currency", "XYZ"], "currency: XYZ is not in the SAT catalog c_Moneda"),
        (["--currency", "XXX"], "currency: XXX is not a currency documents or payments can be in"),
]


def test_customer_add_invalid_writes_nothing(run: Cli, db: Database) -> None:
    before = counts(db)
    for args, message in INVALID_CUSTOMERS:
        argv = ["customer", "add", "--name", "Cliente", *args]
        if "--rfc" not in args:
            argv += ["--rfc", "EKU9003173C9"]
        err = run.fail(*argv)
        assert message in err, (args, err)
    assert counts(db) == before


def test_customer_add_wrong_check_character_with_force(run: Cli, db: Database) -> None:
    add_customer(run, "Dígito Raro", "AAA010101AAA", "--force-rfc")
    assert detail(db, "C000001").rfc_check_ok is False


def test_customer_edit_assign_set_id_terms_and_operator(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Papelería Álamo")
    add_customer(run, "Otro Cliente", "KIJ0906199R1")
    assert run.ok("operator", "add", "luis", "--name", "Luis Hernández", "--email", "luis@example.com") == "saved\n"
    with db.read() as s:
        op = s.execute(sa.select(tables.operator).where(tables.operator.c.username == "luis")).one()
    assert (op.full_name, op.email) == ("Luis Hernández", "luis@example.com")
    assert "not a valid address" in run.fail("operator", "add", "eva", "--email", "nope")

    assert run.ok("customer", "edit", ident, "--name", "Papelería Ñu", "--email", "a@nu.mx", "--email", "b@nu.mx",
                  "--phone", "33 1111 2222", "--credit-limit", "50,000.00", "--postal-code", "44100") == "saved\n"
    c = detail(db, ident)
    assert (c.name, c.emails, c.phone, c.credit_limit_cents, c.postal_code) == (
        "Papelería Ñu", ("a@nu.mx", "b@nu.mx"), "33 1111 2222", 5_000_000, "44100")
    # Searching follows the edit.
    assert run.json("customers", "papeleria nu", "--json")["count"] == 1

    before = counts(db)
    assert "not a valid address" in run.fail("customer", "edit", ident, "--email", "x")
    assert "check character" in run.fail("customer", "edit", ident, "--rfc", "AAA010101AAA")
    assert "nothing to change" in run.fail("customer", "edit", ident)
    assert counts(db) == before

    assert run.ok("customer", "assign", ident, "luis") == "saved\n"
    assert detail(db, ident).assigned == "luis"
    assert "operator 'nadie' does not exist" in run.fail("customer", "assign", ident, "nadie")
    assert detail(db, ident).assigned == "luis"
    run.ok("customer", "assign", ident, "-")
    assert detail(db, ident).assigned == ""

    assert run.ok("customer", "set-id", ident, "PAP-01") == "saved\n"
    assert detail(db, "PAP-01").name == "Papelería Ñu"
    assert "already used by Papelería Ñu" in run.fail("customer", "set-id", "C000002", "pap-01")

    assert run.ok("customer", "terms", "PAP-01", "45") == "saved\n"
    assert detail(db, "PAP-01").payment_terms_days == 45
    assert "whole number" in run.fail("customer", "terms", "PAP-01", "treinta")
    assert detail(db, "PAP-01").payment_terms_days == 45
    assert integrity(db) == []


def test_customer_queries_must_match_exactly_one(run: Cli) -> None:
    add_customer(run, "Peña Uno")
    add_customer(run, "Peña Dos", "KIJ0906199R1")
    err = run.fail("customer", "terms", "pena", "10")
    assert "'pena' matches several customers; use the identifier" in err
    assert "C000001 Peña Uno" in err and "C000002 Peña Dos" in err
    assert "no customer matches 'zzz'" in run.fail("customer", "terms", "zzz", "10")
    # An RFC or an identifier picks the customer exactly.
    run.ok("customer", "terms", "KIJ0906199R1", "10")
    run.ok("customer", "terms", "c000001", "20")


# ------------------------------------------------------------------------------------ documents
def test_invoice_amount_lines_sales_note_and_due(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Cliente Facturas", "EKU9003173C9", "--terms", "30")
    out = run.ok("invoice", ident, "--amount", "1000")
    assert out == f"issued A-1: total 1160.00 MXN, balance 1160.00, due {(TODAY + timedelta(days=30)).isoformat()}\n"
    row = doc(db, doc_id(db, "A-1"))
    assert (row.subtotal_cents, row.tax_cents, row.metodo_pago, row.forma_pago, row.kind) == (100000, 16000, "PPD", "99",
                                                                                             "invoice")
    # Several lines, per-line tax rate, half-up rounding: 2 × 100.005 = 200.01, IVA 32.00; flete 50 at 0 %.
    out = run.ok("invoice", ident, "--line", "Servicio;2;100.005", "--line", "Flete;1;50;0", "--due", "2030-01-31")
    assert out == "issued A-2: total 282.01 MXN, balance 282.01, due 2030-01-31\n"
    row = doc(db, doc_id(db, "A-2"))
    assert (row.subtotal_cents, row.tax_cents, row.due_date) == (25001, 3200, date(2030, 1, 31))
    # Sales note, back-dated, due date in Mexican format, PUE.
    out = run.ok("invoice", ident, "--sales-note", "--amount", "99.50", "--tax-rate", "0", "--date", d(10),
                 "--due", (TODAY - timedelta(days=5)).strftime("%d/%m/%Y"))
    assert out == f"issued NV-1: total 99.50 MXN, balance 99.50, due {d(5)}\n"
    row = doc(db, doc_id(db, "NV-1"))
    assert (row.kind, row.issue_date, row.metodo_pago) == ("sales_note", TODAY - timedelta(days=10), "")
    out = run.ok("invoice", ident, "--amount", "10", "--metodo", "PUE", "--series", "B", "--folio", "900",
                 "--uuid", "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE")
    assert issued(out) == "B-900"
    row = doc(db, doc_id(db, "B-900"))
    assert (row.metodo_pago, row.forma_pago, row.cfdi_uuid) == ("PUE", "03", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
    cid = cust_id(db, ident)
    assert balance(db, cid) == (116000 + 28201 + 9950 + 1160, 0)
    assert integrity(db) == []


INVALID_INVOICES = [
        (["--amount", "100", "--date", d(1), "--due", d(2)], 1, "due date cannot be before the issue date"),
        (["--amount", "100", "--forma", "03"], 1, "a PPD invoice has forma de pago 99"),
        (["--amount", "0"], 1, "the document total must be greater than zero"),
        (["--amount", "abc"], 1, "not a valid amount"),
        (["--amount", "1e14"], 1, "amount is too large"),
        (["--amount", "1e27"], 1, "amount is too large"),  # was decimal.InvalidOperation
        (["--amount", "1e30", "--tax-rate", "0"], 1, "amount is too large"),
        (["--line", "x;1e14;1e14;0"], 1, "amount is too large"),
        (["--amount", "100", "--currency", "USD", "--exchange-rate", "1e30"], 1, "is too large"),
        (["--amount", "100", "--currency", "MXN", "--exchange-rate", "17"], 1, "exchange rate of 1"),
        (["--amount", "100", "--uuid", "no-uuid"], 1, "is not a UUID"),
        (["--line", "solo descripción"], 2, "description;quantity;unit price"),
        ([], 2, "give --amount or at least one --line"),
        (["--amount", "100", "--due", "31/02/2030"], 2, "Invalid value"),
        (["--amount", "5USD"], 1, "arterm: line 1 unit price: 5USD is in USD but the invoice is in MXN"),
        (["--amount", "5 EUR", "--currency", "USD", "--exchange-rate", "17"], 1, "5 EUR is in EUR but the invoice is in USD"),
        (["--line", "x;1;5USD;0"], 1, "line 1 unit price: 5USD is in USD but the invoice is in MXN"),
        (["--line", "x;2 USD;5;0"], 1, "line 1 quantity: 2 USD carries a currency"),
        (["--amount", "100", "--currency", "MNX"], 1, "arterm: currency: MNX is not in the SAT catalog c_Moneda"),
        (["--amount", "100", "--currency", "XYZ", "--exchange-rate", "2"], 1, "XYZ is not in the SAT catalog c_Moneda"),
        (["--amount", "1,2,3"], 1, "not a valid amount"),
        (["--amount", "1_000"], 1, "not a valid amount"),
        (["--amount", "\u0661\u0662\u0663"], 1, "not a valid amount"),
]


def test_invalid_invoice_writes_nothing(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Cliente")
    before = counts(db)
    for args, code, message in INVALID_INVOICES:
        err = run.fail("invoice", ident, *args, code=code)
        assert message in err, (args, err)
    assert counts(db) == before


# ------------------------------------------------------------------------------------- payments
def test_pay_oldest_first_apply_and_no_apply(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Pagador", "EKU9003173C9", "--terms", "0")
    run.ok("invoice", ident, "--amount", "200", "--tax-rate", "0", "--date", d(5))  # A-1 due 5 days ago
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0", "--date", d(40))  # A-2 due 40 days ago: oldest
    run.ok("invoice", ident, "--amount", "300", "--tax-rate", "0", "--date", d(1))
    a1, a2, a3 = (doc_id(db, r) for r in ("A-1", "A-2", "A-3"))
    cid = cust_id(db, ident)

    out = run.ok("pay", ident, "150")
    assert re.fullmatch(r"payment #\d+ 150\.00 MXN: applied to A-2 100\.00, A-1 50\.00; credit 0\.00\n", out)
    assert (doc(db, a2).balance_cents, doc(db, a2).status, doc(db, a1).balance_cents) == (0, "paid", 15000)

    out = run.ok("pay", ident, "100", "--apply", "A-3=60", "--apply", f"#{a1}=40", "--reference", "SPEI 123")
    assert "applied to A-3 60.00, A-1 40.00; credit 0.00" in out
    assert (doc(db, a1).balance_cents, doc(db, a3).balance_cents) == (11000, 24000)

    # Part of a payment allocated by hand: the rest is credit.
    out = run.ok("pay", ident, "50", "--apply", "A-3=20", "--forma", "01")
    assert out.endswith("applied to A-3 20.00; credit 30.00\n")
    pay_id = int(re.match(r"payment #(\d+)", out).group(1))  # type: ignore[union-attr]
    assert (payment(db, pay_id).unapplied_cents, payment(db, pay_id).status, payment(db, pay_id).forma_pago) == (
        3000, "partial", "01")

    out = run.ok("pay", ident, "75.50", "--no-apply")
    assert out.endswith("applied to nothing; credit 75.50\n")
    assert balance(db, cid) == (11000 + 22000, 3000 + 7550)
    assert integrity(db) == []


INVALID_PAYMENTS = [
        (["200", "--apply", "A-1=150"], "A-1 has an open balance of 100.00; cannot apply 150.00"),
        (["100", "--apply", "A-1=80", "--apply", "A-2=80"], "allocations add up to 160.00 but only 100.00 is available"),
        (["100", "--apply", "A-9=10"], "document 'A-9' not found for this customer"),
        (["100", "--apply", "A-1"], "use DOCUMENT=AMOUNT"),
        (["0"], "amount: must be greater than zero"),
        (["--", "-10"], "greater than zero"),
        (["diez"], "not a valid amount"),
        (["1e14"], "amount: amount is too large"),
        (["1e30"], "amount: amount is too large"),  # was decimal.InvalidOperation
        (["--", "-1e27"], "amount: amount is too large"),
        (["100", "--apply", "A-1=1e30"], "too large"),
        (["10", "--date", (TODAY + timedelta(days=3)).isoformat()], "is in the future"),
        (["10", "--forma", "99"], "not in the SAT catalog"),
        (["10", "--currency", "USD", "--apply", "A-1=10"], "A-1 is in MXN"),
        # QA: the suffix was dropped and 5.00 MXN recorded
        (["5USD", "--no-apply"], "arterm: amount: 5USD is in USD but the payment is in MXN\n"),
        (["USD 5"], "amount: USD 5 is in USD but the payment is in MXN"),
        (["5 eur", "--currency", "USD", "--no-apply"], "amount: 5 eur is in EUR but the payment is in USD"),
        (["10", "--currency", "MNX", "--no-apply"], "arterm: currency: MNX is not in the SAT catalog c_Moneda (e.g. MXN, USD, EUR)\n"),
        (["10", "--currency", "XYZ", "--no-apply"], "currency: XYZ is not in the SAT catalog c_Moneda"),
        (["10", "--currency", "XXX", "--no-apply"], "XXX is not a currency documents or payments can be in"),
        (["1,2,3"], "arterm: amount: '1,2,3' is not a valid amount\n"),
        (["1_000"], "amount: '1_000' is not a valid amount"),
        (["\u0661\u0662\u0663"], "is not a valid amount"),  # Arabic-Indic digits
        (["\uff11\uff10"], "is not a valid amount"),  # full-width digits
        (["100", "--apply", "A-1=5USD"], "allocation amount: 5USD carries a currency"),
]


def test_pay_with_the_payments_own_currency_code(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Con Moneda")
    cid = cust_id(db, ident)
    assert run.ok("pay", ident, "5MXN", "--no-apply").endswith("5.00 MXN: applied to nothing; credit 5.00\n")
    assert run.ok("pay", ident, "$1,000.50 usd", "--currency", "usd", "--no-apply").endswith(
        "1000.50 USD: applied to nothing; credit 1000.50\n")
    with db.read() as s:
        rows = s.execute(sa.select(tables.payment.c.amount_cents, tables.payment.c.currency)
                         .where(tables.payment.c.customer_id == cid).order_by(tables.payment.c.id)).all()
    assert [tuple(r) for r in rows] == [(500, "MXN"), (100050, "USD")]
    assert integrity(db) == []


def test_invalid_payment_writes_nothing(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Pagador")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    before = counts(db)
    for args, message in INVALID_PAYMENTS:
        err = run.fail("pay", ident, *args, code=2 if args[-1] == "A-1" else 1)
        assert message in err, (args, err)
    assert counts(db) == before


def test_payment_of_another_customers_document_is_refused(run: Cli, db: Database) -> None:
    a = add_customer(run, "Cliente A")
    b = add_customer(run, "Cliente B", "KIJ0906199R1")
    run.ok("invoice", a, "--amount", "100", "--tax-rate", "0")
    before = counts(db)
    assert "not found for this customer" in run.fail("pay", b, "10", "--apply", "A-1=10")
    assert "not found for this customer" in run.fail("pay", b, "10", "--apply", f"#{doc_id(db, 'A-1')}=10")
    assert counts(db) == before


def test_apply_credit_from_payment_and_credit_note(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Con Saldo a Favor", "EKU9003173C9", "--terms", "0")
    out = run.ok("pay", ident, "500", "--no-apply", "--date", d(20))
    pay_id = int(re.match(r"payment #(\d+)", out).group(1))  # type: ignore[union-attr]
    assert "there is no open document" in run.fail("apply-credit", ident, "--payment", str(pay_id))
    run.ok("invoice", ident, "--amount", "300", "--tax-rate", "0", "--date", d(10))
    run.ok("invoice", ident, "--amount", "400", "--tax-rate", "0", "--date", d(5))
    cid = cust_id(db, ident)
    assert balance(db, cid) == (70000, 50000)

    assert run.ok("apply-credit", ident, "--payment", str(pay_id)) == "applied A-1 300.00, A-2 200.00\n"
    assert (payment(db, pay_id).unapplied_cents, payment(db, pay_id).status) == (0, "applied")
    assert balance(db, cid) == (20000, 0)
    before = counts(db)
    run.fail("apply-credit", ident, "--payment", str(pay_id))  # nothing left on it (A-2 is still open)
    assert counts(db) == before
    assert "choose either a payment or a credit note" in run.fail("apply-credit", ident)

    run.ok("credit-note", ident, "--amount", "150", "--tax-rate", "0", "--no-apply")
    cn = doc_id(db, "NC-1")
    assert balance(db, cid) == (20000, 15000)
    before = counts(db)
    assert "cannot apply 150.00" in run.fail("apply-credit", ident, "--credit-note", str(cn), "--apply", "A-1=150")
    assert counts(db) == before
    assert run.ok("apply-credit", ident, "--credit-note", str(cn), "--apply", "A-2=120") == "applied A-2 120.00\n"
    assert (doc(db, cn).balance_cents, doc(db, doc_id(db, "A-2")).balance_cents) == (3000, 8000)
    assert balance(db, cid) == (8000, 3000)
    assert integrity(db) == []


def test_credit_note_apply_oldest_and_chosen(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Con Descuento", "EKU9003173C9", "--terms", "0")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0", "--date", d(3))
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0", "--date", d(9))
    out = run.ok("credit-note", ident, "--amount", "50", "--tax-rate", "0", "--apply", "A-1=30", "--apply", "A-2=20")
    assert out == f"issued NC-1: total 50.00 MXN, balance 0.00, due {TODAY.isoformat()}\n"
    assert (doc(db, doc_id(db, "A-1")).balance_cents, doc(db, doc_id(db, "A-2")).balance_cents) == (7000, 8000)
    # Default: oldest due first, leftover stays as credit.
    out = run.ok("credit-note", ident, "--amount", "200", "--tax-rate", "0", "--description", "Bonificación")
    assert out.startswith("issued NC-2: total 200.00 MXN, balance 50.00")
    assert balance(db, cust_id(db, ident)) == (0, 5000)
    before = counts(db)
    assert "cannot apply" in run.fail("credit-note", ident, "--amount", "10", "--apply", "A-1=10")  # A-1 is paid
    assert counts(db) == before
    assert integrity(db) == []


def test_cancel_document_and_payment(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Cancelaciones")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    run.ok("invoice", ident, "--amount", "200", "--tax-rate", "0")
    a1, a2 = doc_id(db, "A-1"), doc_id(db, "A-2")
    out = run.ok("pay", ident, "250")
    pay_id = int(re.match(r"payment #(\d+)", out).group(1))  # type: ignore[union-attr]
    cid = cust_id(db, ident)
    assert balance(db, cid) == (5000, 0)

    # Cancelling A-1 frees the 100 paid on it as credit.
    assert run.ok("cancel", "document", str(a1), "--reason", "Error en RFC") == "cancelled\n"
    row = doc(db, a1)
    assert (row.status, row.balance_cents, row.cancel_reason, row.cancelled_on) == ("cancelled", 0, "Error en RFC", TODAY)
    assert balance(db, cid) == (5000, 10000)
    assert "A-1 is already cancelled" in run.fail("cancel", "document", str(a1), "--reason", "otra vez")
    assert "document #999 does not exist" in run.fail("cancel", "document", "999", "--reason", "x")
    assert "reason: required" in run.fail("cancel", "document", str(a2), "--reason", "  ")
    run.fail("cancel", "document", str(a2), code=2)  # --reason is required

    # Cancelling the payment reopens A-2 for its whole amount.
    assert run.ok("cancel", "payment", str(pay_id), "--reason", "Cheque devuelto") == "cancelled\n"
    assert (payment(db, pay_id).status, payment(db, pay_id).unapplied_cents) == ("cancelled", 0)
    assert (doc(db, a2).balance_cents, doc(db, a2).status) == (20000, "current")
    assert balance(db, cid) == (20000, 0)
    assert "already cancelled" in run.fail("cancel", "payment", str(pay_id), "--reason", "x")
    assert run.ok("db", "check") == "ledger reconciles\n"


def test_note(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Con Notas")
    run.ok("invoice", ident, "--amount", "10")
    a1 = doc_id(db, "A-1")
    assert run.ok("note", ident, "Promesa de pago el viernes") == "saved\n"
    assert run.ok("note", ident, "Pidió la factura [red]otra vez[/red]", "--document", str(a1)) == "saved\n"
    assert "required" in run.fail("note", ident, "   ")
    assert "does not belong to this customer" in run.fail("note", ident, "x", "--document", "999")
    with db.read() as s:
        notes = s.execute(sa.select(tables.note.c.text, tables.note.c.document_id).order_by(tables.note.c.id)).all()
    assert [tuple(n) for n in notes] == [("Promesa de pago el viernes", None),
                                         ("Pidió la factura [red]otra vez[/red]", a1)]
    out = run.ok("show", ident, "--section", "notes")
    assert "Promesa de pago el viernes" in out
    assert "Pidió la factura [red]otra vez[/red]" in out  # untrusted text printed literally
    assert "A-1" in out and "tester" in out


# ----------------------------------------------------------------------------------------- show
def test_show_renders_every_section_and_escapes_names(run: Cli, db: Database) -> None:
    ident = add_customer(run, HOSTILE, "EKU9003173C9", "--email", "pagos@x.mx", "--phone", "55 0000 1111",
                         "--street", "Insurgentes Sur", "--postal-code", "03100", "--terms", "30")
    run.ok("operator", "add", "ana")
    run.ok("customer", "assign", ident, "ana")
    cid = cust_id(db, ident)
    run.ok("invoice", ident, "--amount", "1000", "--tax-rate", "0", "--date", d(45))  # 15 days overdue
    run.ok("invoice", ident, "--amount", "500", "--tax-rate", "0")
    run.ok("pay", ident, "300", "--reference", "SPEI 987")
    run.ok("credit-note", ident, "--amount", "100", "--tax-rate", "0", "--apply", "A-1=100",
           "--uuid", "11111111-2222-4333-8444-555555555555")
    run.ok("note", ident, "Llamar al contador")
    with db.write() as s:
        L.create_contract(s, actor=ACTOR, customer_id=cid, amount="5600", frequency="monthly", start_date=TODAY,
                          description="Póliza de soporte mensual", direct_debit=True, dd_forma_pago="04",
                          dd_reference="4111 1111 1111 4242")

    out = run.ok("show", ident)
    assert HOSTILE in out  # printed literally, not as markup
    lines = out.splitlines()
    assert lines[0] == f"{HOSTILE}  {ident}  RFC EKU9003173C9"
    assert "Assigned: ana   Terms: 30 days   Emails: pagos@x.mx   Phone: 55 0000 1111" in out
    assert "Insurgentes Sur" in out and "C.P. 03100" in out
    assert ("MXN: current 500.00  overdue 600.00  total 1,100.00  credit 0.00  [current] 500.00  [1-30] 600.00  "
            "[31-60] 0.00") in out
    for title in ("Sales", "Payments", "Credit notes", "Contracts", "Notes", "Activity"):
        assert re.search(rf"^{title}\s*$", out, re.M), title
    assert re.search(r"│ A-1 .*│ overdue 15d .*│\s+1,000\.00 │\s+600\.00 │", out)
    assert re.search(r"│ A-2 .*│ current .*│\s+500\.00 │\s+500\.00 │", out)
    assert re.search(r"│\s+300\.00 │\s+0\.00 │ applied\s+│ pending by", out)
    assert re.search(r"│ NC-1 .*11111111-2222-4333-8444-555555555555 │\s+100\.00 │\s+0\.00 │ A-1 100\.00", out)
    assert re.search(r"Póliza de soporte mensual\s+│ monthly\s+│ 5,600\.00 MXN │ yes \*\*\*\* 4242 │ active", out)
    assert "Llamar al contador" in out
    for kind in ("customer_created", "operator_assigned", "invoice_issued", "payment_recorded", "credit_note_issued",
                 "note_added", "contract_created"):
        assert kind in out, kind
    assert f"C000001 {HOSTILE}" in out  # the activity detail also shows the name literally

    only = run.ok("show", ident, "--section", "payments")
    assert "Payments" in only and "Sales" not in only and "Activity" not in only and HOSTILE not in only
    assert run.ok("show", ident, "--section", "contracts", "--limit", "1").count("Póliza") == 1


def test_show_credit_note_targets_are_not_markup(run: Cli) -> None:
    ident = add_customer(run, "Serie Rara")
    run.ok("invoice", ident, "--amount", "100", "--series", "[b]S[/b]")
    run.ok("credit-note", ident, "--amount", "10", "--tax-rate", "0", "--apply", "[b]S[/b]-1=10")
    out = run.ok("show", ident, "--section", "credit-notes")
    assert "[b]S[/b]-1 10.00" in out


# ------------------------------------------------------------------------------------ customers
@pytest.fixture
def directory(run: Cli, db: Database) -> Cli:
    """Five customers to search: accents, phones, emails, RFCs, identifiers, operators, balances.

    Built with the ledger API (the commands that build it are tested above), then searched with the CLI.
    """
    with db.write() as s:
        L.upsert_operator(s, username="luis")
        L.upsert_operator(s, username="ana")
        c1 = L.create_customer(s, actor=ACTOR, name="Ferretería Peña SA", rfc="EKU9003173C9", phone="55 1234 5678",
                               emails="cobranza@ferrepena.mx", assigned_to="luis", payment_terms_days=0)
        c2 = L.create_customer(s, actor=ACTOR, name="PEÑALOZA Construcciones", rfc="KIJ0906199R1", phone="81 9999 0000",
                               assigned_to="ana")
        c3 = L.create_customer(s, actor=ACTOR, name="José Núñez Ortega", rfc="COSC8001137NA",
                               emails="jose@correo.com.mx", payment_terms_days=0)
        L.create_customer(s, actor=ACTOR, name="Abarrotes Ñu", rfc="URE180429TM6", identifier="ABA-77", assigned_to="luis")
        L.create_customer(s, actor=ACTOR, name="Público en General", rfc="XAXX010101000")
        for cid, amount, days_ago in ((c1, "100", 10), (c2, "900", 0), (c3, "500", 3)):  # c1, c3 overdue
            L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("X", "1", amount, "0")],
                             issue_date=TODAY - timedelta(days=days_ago))
    return run


def names(result: dict[str, Any]) -> list[str]:
    return [c["name"] for c in result["customers"]]


SEARCHES = [
        ("pena", ["Ferretería Peña SA", "PEÑALOZA Construcciones"]),
        ("PEÑA", ["Ferretería Peña SA", "PEÑALOZA Construcciones"]),
        ("ferreteria pena", ["Ferretería Peña SA"]),
        ("nunez", ["José Núñez Ortega"]),
        ("JOSÉ", ["José Núñez Ortega"]),
        ("ñu", ["Abarrotes Ñu", "José Núñez Ortega"]),  # 2-letter token: substring search
        ("1234 5678", ["Ferretería Peña SA"]),
        ("9999", ["PEÑALOZA Construcciones"]),
        ("correo.com", ["José Núñez Ortega"]),
        ("cobranza@ferre", ["Ferretería Peña SA"]),
        ("0906199", ["PEÑALOZA Construcciones"]),
        ("cosc80", ["José Núñez Ortega"]),
        ("xaxx", ["Público en General"]),
        ("aba-7", ["Abarrotes Ñu"]),
        ("000003", ["José Núñez Ortega"]),
        ("zzz", []),
        ("100%", []),
        ("", ["Abarrotes Ñu", "Ferretería Peña SA", "José Núñez Ortega", "PEÑALOZA Construcciones", "Público en General"]),
]


def test_customers_search(directory: Cli) -> None:
    """Accent- and case-insensitive substrings of name, phone, email, RFC and identifier."""
    for query, expected in SEARCHES:
        result = directory.json("customers", query, "--json")
        assert sorted(names(result)) == sorted(expected), query
        assert result["count"] == len(expected), query


def test_customers_filters_sort_and_json(directory: Cli) -> None:
    result = directory.json("customers", "--json")
    assert names(result) == ["Abarrotes Ñu", "Ferretería Peña SA", "José Núñez Ortega", "PEÑALOZA Construcciones",
                             "Público en General"]  # by name
    first = result["customers"][1]
    assert list(first) == ["identifier", "name", "rfc", "assigned", "currency", "current", "overdue", "total"]
    assert first == {"identifier": "C000001", "name": "Ferretería Peña SA", "rfc": "EKU9003173C9", "assigned": "luis",
                     "currency": "MXN", "current": "0.00", "overdue": "100.00", "total": "100.00"}
    assert names(directory.json("customers", "--overdue", "--json")) == ["Ferretería Peña SA", "José Núñez Ortega"]
    assert names(directory.json("customers", "--assigned", "luis", "--json")) == ["Abarrotes Ñu", "Ferretería Peña SA"]
    assert names(directory.json("customers", "pena", "--assigned", "luis", "--overdue", "--json")) == ["Ferretería Peña SA"]
    assert directory.json("customers", "--assigned", "nadie", "--json") == {"count": 0, "customers": []}
    by_balance = directory.json("customers", "--sort", "balance", "--json")
    assert names(by_balance)[:3] == ["PEÑALOZA Construcciones", "José Núñez Ortega", "Ferretería Peña SA"]
    assert names(directory.json("customers", "--sort", "overdue", "--json"))[:2] == ["José Núñez Ortega",
                                                                                      "Ferretería Peña SA"]
    page = directory.json("customers", "--limit", "2", "--offset", "1", "--json")
    assert (page["count"], names(page)) == (5, ["Ferretería Peña SA", "José Núñez Ortega"])
    table = directory.ok("customers", "pena")
    assert "2 customers" in table and "Ferretería Peña SA" in table and "PEÑALOZA Construcciones" in table
    assert "100.00 MXN" in table


# -------------------------------------------------------------------------------------- balance
def test_balance_json_shape_and_overdue_boundary(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Cliente Límite", "EKU9003173C9", "--terms", "0")
    # Amounts are powers of two so each bucket's sum says exactly which invoices it holds.
    plan = [(0, "1"), (-30, "1024"), (1, "2"), (30, "4"), (31, "8"), (60, "16"), (61, "32"), (90, "64"), (91, "128"),
            (120, "256"), (121, "512")]
    for days_overdue, amount in plan:
        due = TODAY - timedelta(days=days_overdue)
        issue = min(due, TODAY)
        run.ok("invoice", ident, "--amount", amount, "--tax-rate", "0", "--date", issue.isoformat(), "--due",
               due.isoformat())
    rows = run.json("balance", ident, "--json")
    assert len(rows) == 1
    row = rows[0]
    assert (row["identifier"], row["name"], row["rfc"], row["currency"]) == (ident, "Cliente Límite", "EKU9003173C9",
                                                                            "MXN")
    assert row["buckets"] == {"current": "1025.00", "1-30": "6.00", "31-60": "24.00", "61-90": "96.00",
                              "91-120": "384.00", "120+": "512.00"}
    amounts = check_balance_json(row)
    assert (amounts["current"], amounts["overdue"], amounts["total"], amounts["credit"]) == (102500, 102200, 204700, 0)

    # Unapplied money is shown apart and does not reduce the buckets.
    run.ok("pay", ident, "75.25", "--no-apply")
    row = run.json("balance", ident, "--json")[0]
    assert (row["total"], row["credit"], row["current"]) == ("2047.00", "75.25", "1025.00")
    check_balance_json(row)


def test_due_today_is_current_and_due_yesterday_is_overdue(run: Cli) -> None:
    a = add_customer(run, "Vence Hoy", "EKU9003173C9")
    b = add_customer(run, "Venció Ayer", "KIJ0906199R1")
    run.ok("invoice", a, "--amount", "100", "--tax-rate", "0", "--date", d(30), "--due", d(0))
    run.ok("invoice", b, "--amount", "100", "--tax-rate", "0", "--date", d(30), "--due", d(1))
    today, yesterday = run.json("balance", a, "--json")[0], run.json("balance", b, "--json")[0]
    assert (today["current"], today["overdue"], today["buckets"]["1-30"]) == ("100.00", "0.00", "0.00")
    assert (yesterday["current"], yesterday["overdue"], yesterday["buckets"]["1-30"]) == ("0.00", "100.00", "100.00")
    # The customer list and its --overdue filter agree.
    assert [c["name"] for c in run.json("customers", "--overdue", "--json")["customers"]] == ["Venció Ayer"]
    # As of tomorrow, the invoice due today is overdue too.
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert run.json("balance", a, "--json", "--as-of", tomorrow)[0]["buckets"]["1-30"] == "100.00"


def test_balance_per_currency_and_several_customers(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Importadora Dual", "EKU9003173C9", "--terms", "30")
    run.ok("invoice", ident, "--amount", "1000", "--tax-rate", "0")
    run.ok("invoice", ident, "--amount", "250", "--tax-rate", "0", "--currency", "USD", "--exchange-rate", "17.25",
           "--date", d(40))
    run.ok("pay", ident, "30", "--currency", "USD", "--no-apply")
    rows = run.json("balance", ident, "--json")
    assert [(r["currency"], r["current"], r["overdue"], r["total"], r["credit"]) for r in rows] == [
        ("MXN", "1000.00", "0.00", "1000.00", "0.00"),
        ("USD", "0.00", "250.00", "250.00", "30.00"),
    ]
    assert rows[1]["buckets"]["1-30"] == "250.00"
    for r in rows:
        check_balance_json(r)
    # A payment in USD only touches USD documents.
    run.ok("pay", ident, "100", "--currency", "USD")
    rows = run.json("balance", ident, "--json")
    assert [(r["currency"], r["total"]) for r in rows] == [("MXN", "1000.00"), ("USD", "150.00")]

    # A query matching several customers lists each; a customer with nothing open shows zeros.
    add_customer(run, "Importadora Cero", "KIJ0906199R1")
    rows = run.json("balance", "importadora", "--json")
    assert [(r["name"], r["currency"], r["total"]) for r in rows] == [
        ("Importadora Cero", "MXN", "0.00"), ("Importadora Dual", "MXN", "1000.00"), ("Importadora Dual", "USD", "150.00")]
    table = run.ok("balance", ident)
    assert "Balances as of" in table and "Aging" in table and "USD" in table and "1,000.00" in table


def test_balance_no_match(run: Cli) -> None:
    add_customer(run, "Alguien")
    err = run.fail("balance", "nadie-asi", "--json")
    assert err == "arterm: no customer matches 'nadie-asi'\n"
    assert "Invalid value" in run.fail("balance", "alguien", "--as-of", "no-es-fecha", code=2)


def test_balance_as_of_reproduces_history(run: Cli, db: Database) -> None:
    """Worked by hand (terms 30, no tax):

    A-1 1000 issued 2025-01-10, due 2025-02-09      payment #1  400 on 2025-03-15 → A-1
    A-2  500 issued 2025-03-01, due 2025-03-31      NC-1 100 on 2025-03-20 → A-2
    A-3  300 issued 2025-04-15, due 2025-04-20      payment #2 2000 on 2025-05-01 → A-1 600, A-2 400, A-3 300,
                                                                                  credit 700
    Today payment #2 and A-3 are cancelled; history before today must not change.
    """
    ident = add_customer(run, "Histórico SA", "EKU9003173C9", "--terms", "30")
    run.ok("invoice", ident, "--amount", "1000", "--tax-rate", "0", "--date", "2025-01-10")
    run.ok("invoice", ident, "--amount", "500", "--tax-rate", "0", "--date", "01/03/2025")
    run.ok("invoice", ident, "--amount", "300", "--tax-rate", "0", "--date", "2025-04-15", "--due", "2025-04-20")
    assert "applied to A-1 400.00" in run.ok("pay", ident, "400", "--date", "2025-03-15")
    run.ok("credit-note", ident, "--amount", "100", "--tax-rate", "0", "--date", "2025-03-20", "--apply", "A-2=100")
    out = run.ok("pay", ident, "2000", "--date", "2025-05-01")
    assert out.endswith("applied to A-1 600.00, A-2 400.00, A-3 300.00; credit 700.00\n")
    pay2 = int(re.match(r"payment #(\d+)", out).group(1))  # type: ignore[union-attr]

    def as_of(day: str) -> tuple[str, str, str, str, dict[str, str]]:
        rows = run.json("balance", ident, "--json", "--as-of", day)
        assert len(rows) == 1
        check_balance_json(rows[0])
        r = rows[0]
        return r["current"], r["overdue"], r["total"], r["credit"], {k: v for k, v in r["buckets"].items() if v != "0.00"}

    expected = {
        "2025-01-09": ("0.00", "0.00", "0.00", "0.00", {}),  # nothing issued yet
        "2025-03-14": ("500.00", "1000.00", "1500.00", "0.00", {"current": "500.00", "31-60": "1000.00"}),  # 33 days
        "2025-03-31": ("400.00", "600.00", "1000.00", "0.00", {"current": "400.00", "31-60": "600.00"}),  # A-2 due today
        "01/04/2025": ("0.00", "1000.00", "1000.00", "0.00", {"1-30": "400.00", "31-60": "600.00"}),
        "2025-04-30": ("0.00", "1300.00", "1300.00", "0.00", {"1-30": "700.00", "61-90": "600.00"}),
        "2025-05-01": ("0.00", "0.00", "0.00", "700.00", {}),
    }
    before_cancel = {day: as_of(day) for day in expected}
    assert before_cancel == expected

    run.ok("cancel", "payment", str(pay2), "--reason", "Transferencia rechazada")
    run.ok("cancel", "document", str(doc_id(db, "A-3")), "--reason", "Duplicada")
    assert {day: as_of(day) for day in expected} == expected  # history is unchanged
    # Today: A-1 600 and A-2 400 open again, both long overdue; no credit.
    assert as_of(TODAY.isoformat()) == ("0.00", "1000.00", "1000.00", "0.00", {"120+": "1000.00"})
    yesterday = as_of(d(1))
    assert yesterday == ("0.00", "0.00", "0.00", "700.00", {})  # the cancellations happened today

    # aging --as-of agrees with balance --as-of.
    report = run.json("aging", "--as-of", "2025-04-30", "--format", "json")
    assert report["as_of"] == "2025-04-30"
    (row,) = report["customers"]
    assert (row["total"], row["buckets"]["1-30"], row["buckets"]["61-90"]) == ("1300.00", "700.00", "600.00")
    assert integrity(db) == []


# ---------------------------------------------------------------------------------------- aging
@pytest.fixture
def portfolio(run: Cli, db: Database) -> Cli:
    """Four customers in two currencies spread over the buckets (built with the ledger API)."""

    def inv(cid: int, amount: str, issued: int, due: int | None = None, currency: str | None = None) -> None:
        L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("X", "1", amount, "0")],
                         issue_date=TODAY - timedelta(days=issued),
                         due_date=TODAY - timedelta(days=due) if due is not None else None,
                         currency=currency, exchange_rate="17" if currency else None)

    with db.write() as s:
        L.upsert_operator(s, username="luis")
        L.upsert_operator(s, username="ana")
        alfa = L.create_customer(s, actor=ACTOR, name="Alfa SA", rfc="EKU9003173C9", assigned_to="luis",
                                 payment_terms_days=0)
        beta = L.create_customer(s, actor=ACTOR, name="Beta SA", rfc="KIJ0906199R1", assigned_to="ana",
                                 payment_terms_days=0)
        L.create_customer(s, actor=ACTOR, name="Gamma SA", rfc="URE180429TM6", assigned_to="luis")  # nothing open
        delta = L.create_customer(s, actor=ACTOR, name='Delta, "La" SA', rfc="H&E951128469",
                                  payment_terms_days=0)  # unassigned; CSV quoting
        inv(alfa, "100", 10)  # 1-30 (1-15 with custom buckets)
        inv(alfa, "200", 20)  # 1-30 (16-30)
        inv(beta, "400", 45)  # 31-60 (30+)
        inv(beta, "50", 130, currency="USD")  # 120+
        inv(delta, "800", 0, due=-5)  # current
        L.record_payment(s, actor=ACTOR, customer_id=delta, amount="25", allocations=None)
    return run


def test_aging_json_with_totals_and_assigned(portfolio: Cli) -> None:
    report = portfolio.json("aging", "--format", "json")
    assert report["as_of"] == TODAY.isoformat()
    rows = [(c["name"], c["currency"], c["assigned"], c["total"], c["credit"]) for c in report["customers"]]
    assert rows == [("Alfa SA", "MXN", "luis", "300.00", "0.00"), ("Beta SA", "MXN", "ana", "400.00", "0.00"),
                    ("Beta SA", "USD", "ana", "50.00", "0.00"), ('Delta, "La" SA', "MXN", "", "800.00", "25.00")]
    for c in report["customers"]:
        check_balance_json({k: v for k, v in c.items() if k != "assigned"})
    assert report["totals"] == {
        "MXN": {"current": "800.00", "1-30": "300.00", "31-60": "400.00", "61-90": "0.00", "91-120": "0.00",
                "120+": "0.00", "total": "1500.00", "credit": "25.00"},
        "USD": {"current": "0.00", "1-30": "0.00", "31-60": "0.00", "61-90": "0.00", "91-120": "0.00",
                "120+": "50.00", "total": "50.00", "credit": "0.00"},
    }
    luis = portfolio.json("aging", "--format", "json", "--assigned", "luis")
    assert [c["name"] for c in luis["customers"]] == ["Alfa SA"]
    assert list(luis["totals"]) == ["MXN"] and luis["totals"]["MXN"]["total"] == "300.00"
    assert portfolio.json("aging", "--format", "json", "--assigned", "nadie") == {
        "as_of": TODAY.isoformat(), "customers": [], "totals": {}}


def test_reports_pause_the_collector_only_while_they_run(portfolio: Cli) -> None:
    """``aging`` and ``balance`` turn the cyclic collector off for their run (cli.pause_gc); run
    in-process they turned it off for the caller too (a later test found it off)."""
    import gc

    assert gc.isenabled()
    portfolio.json("aging", "--format", "json")
    assert gc.isenabled()
    portfolio.ok("balance", "Alfa")
    assert gc.isenabled()


def test_aging_csv(portfolio: Cli) -> None:
    rows = list(csv.reader(io.StringIO(portfolio.ok("aging", "--format", "csv"))))
    assert rows[0] == ["identifier", "name", "rfc", "assigned", "currency", *BUCKETS, "total", "credit"]
    body = {(r[0], r[4]): r for r in rows[1:]}
    assert body[("C000004", "MXN")][1:4] == ['Delta, "La" SA', "H&E951128469", ""]
    assert body[("C000002", "USD")][5:] == ["0.00", "0.00", "0.00", "0.00", "0.00", "50.00", "50.00", "0.00"]
    assert body[("TOTAL", "MXN")][5:] == ["800.00", "300.00", "400.00", "0.00", "0.00", "0.00", "1500.00", "25.00"]
    assert body[("TOTAL", "USD")][-2:] == ["50.00", "0.00"]
    assert len(rows) == 1 + 4 + 2
    # Every customer row sums to its total; the TOTAL rows are the column sums.
    for cur in ("MXN", "USD"):
        cust = [r for r in rows[1:] if r[0] != "TOTAL" and r[4] == cur]
        for col in range(5, 13):
            assert sum(cents(r[col]) for r in cust) == cents(body[("TOTAL", cur)][col])
        for r in cust:
            assert sum(cents(v) for v in r[5:11]) == cents(r[11])
    luis = list(csv.reader(io.StringIO(portfolio.ok("aging", "--format", "csv", "--assigned", "luis"))))
    assert [r[0] for r in luis[1:]] == ["C000001", "TOTAL"]


def test_aging_table(portfolio: Cli) -> None:
    out = portfolio.ok("aging")
    assert f"Aging as of {TODAY.isoformat()}" in out
    assert re.search(r"TOTAL\s+│ 3 customers\s+│ MXN .*│\s+1,500\.00 │\s+25\.00 │", out), out
    assert re.search(r"TOTAL\s+│ 1 customers\s+│ USD ", out)
    assert 'Delta, "La" SA' in out
    assert "Gamma" not in out
    luis = portfolio.ok("aging", "--assigned", "luis")
    assert "— luis" in luis and "Beta" not in luis and "1 customers" in luis


def test_aging_table_assigned_is_not_markup(portfolio: Cli) -> None:
    out = portfolio.ok("aging", "--assigned", "[/]")
    assert "— [/]" in out


def test_custom_buckets_from_config(portfolio: Cli, tmp_path: Path) -> None:
    config = tmp_path / "arterm.toml"
    config.write_text("[aging]\nbuckets = [15, 30]\n", encoding="utf-8")
    keys = ["current", "1-15", "16-30", "30+"]
    report = portfolio.json("--config", str(config), "aging", "--format", "json")
    alfa = report["customers"][0]
    assert list(alfa["buckets"]) == keys
    assert alfa["buckets"] == {"current": "0.00", "1-15": "100.00", "16-30": "200.00", "30+": "0.00"}
    assert report["totals"]["MXN"] == {"current": "800.00", "1-15": "100.00", "16-30": "200.00", "30+": "400.00",
                                       "total": "1500.00", "credit": "25.00"}
    for c in report["customers"]:
        check_balance_json({k: v for k, v in c.items() if k != "assigned"}, keys)
    rows = list(csv.reader(io.StringIO(portfolio.ok("--config", str(config), "aging", "--format", "csv"))))
    assert rows[0][5:9] == keys
    # ARTERM_CONFIG works the same way, for balance too.
    (beta_usd,) = [r for r in portfolio.json("balance", "C000002", "--json", env={"ARTERM_CONFIG": str(config)})
                   if r["currency"] == "USD"]
    assert beta_usd["buckets"] == {"current": "0.00", "1-15": "0.00", "16-30": "0.00", "30+": "50.00"}
    table = portfolio.ok("--config", str(config), "aging")
    assert "16-30" in table and "61-90" not in table


def test_dates_outside_the_ledgers_range_are_refused_not_a_crash(run: Cli, db: Database) -> None:
    """``aging --as-of 0001-01-01`` and ``contracts bill --until 9999-12-31`` overflowed (OverflowError)."""
    ident = add_customer(run, "Fechas")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    run.ok("contracts", "add", ident, "--amount", "100", "--frequency", "weekly", "--start", d(30))
    before = counts(db)
    for args in (["aging", "--as-of", "0001-01-01"], ["aging", "--as-of", "31/12/9999"], ["aging", "--as-of", "1989-12-31"],
                 ["balance", ident, "--as-of", "0001-01-01"], ["contracts", "bill", "--until", "9999-12-31", "--dry-run"],
                 ["contracts", "bill", "--until", "2101-01-01"], ["rep", "pending", "--as-of", "9999-12-31"],
                 ["contracts", "list", "--as-of", "0001-01-01"]):
        err = run.fail(*args, code=2)
        assert "is out of range (1990-01-01 to 2100-12-31)" in err and "Traceback" not in err, (args, err)
    assert counts(db) == before
    assert run.json("aging", "--as-of", "1990-01-01", "--format", "json")["as_of"] == "1990-01-01"
    assert run.ok("contracts", "bill", "--until", "2030-01-01", "--dry-run", "--json")


def test_bad_config_is_a_clean_error(nodb: Cli, tmp_path: Path) -> None:
    run = nodb
    config = tmp_path / "arterm.toml"
    config.write_text("[aging]\nbuckets = [30, 15]\n", encoding="utf-8")
    err = run.fail("--config", str(config), "aging", db=False)
    assert err.startswith("arterm: configuration: [aging] buckets must be increasing")
    assert "does not exist" in run.fail("--config", str(tmp_path / "nope.toml"), "config", "show", db=False)


def test_bad_config_types_are_a_clean_error(nodb: Cli, tmp_path: Path) -> None:
    config = tmp_path / "arterm.toml"
    for text in ("[aging]\nbuckets = ['x']\n", "database = 'sqlite:///x.db'\n"):
        config.write_text(text, encoding="utf-8")
        assert nodb.fail("--config", str(config), "config", "show", db=False).startswith("arterm: configuration: ")


# ---------------------------------------------------------------------------------- db / config
READ_COMMANDS = [
    ["balance", "a"], ["balance", "a", "--json"], ["aging"], ["aging", "--format", "csv"], ["show", "a"],
    ["customers"], ["export", "ledger"], ["db", "check"], ["rep", "pending"], ["statement", "a"],
    ["contracts", "list"], ["outbox"],
    # writes that need an existing customer or document: nothing to do on a new file either
    ["pay", "a", "10"], ["invoice", "a", "--amount", "10"], ["note", "a", "hola"], ["customer", "edit", "a", "--name", "B"],
]


def test_a_missing_sqlite_file_is_refused_by_commands_that_read(nodb: Cli, tmp_path: Path) -> None:
    """QA: ``--db sqlite:////nonexistent/dir/x.db balance a`` created the file (and its folders) and
    said 'no customer matches'; ``db check`` on a new file said 'ledger reconciles'."""
    path = tmp_path / "nonexistent" / "dir" / "x.db"
    url = f"sqlite:///{path}"
    message = f"arterm: database file {path} does not exist; `arterm demo` or `arterm db upgrade` creates one\n"
    for args in READ_COMMANDS:
        assert nodb.fail("--db", url, *args, db=False) == message, args
        assert not (tmp_path / "nonexistent").exists(), args
    # the same through ARTERM_DATABASE_URL and the configured default (ARTERM_DATA_DIR)
    assert nodb.fail("balance", "a", db=False, env={"ARTERM_DATABASE_URL": url}) == message
    assert not (tmp_path / "nonexistent").exists()
    result = nodb.invoke("db", "check", db=False)
    assert result.exit_code == 1 and "does not exist; `arterm demo` or `arterm db upgrade` creates one" in result.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("args", [
    ["db", "upgrade"], ["customer", "add", "--name", "Nuevo", "--rfc", "EKU9003173C9"], ["operator", "add", "ana"],
    ["import", "--json"],
])
def test_commands_that_create_data_may_create_the_sqlite_file(nodb: Cli, tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "new" / "ledger.db"
    url = f"sqlite:///{path}"
    if args[0] == "import":
        folder = tmp_path / "xml"
        folder.mkdir()
        args = [*args, str(folder)]
    result = nodb.invoke("--db", url, *args, db=False)
    assert result.exit_code in (0, 1) and "does not exist" not in result.stderr, result.stderr
    assert path.exists()
    assert nodb.ok("--db", url, "db", "check", db=False) == "ledger reconciles\n"  # now it exists: reads work


def test_the_tui_still_creates_the_default_database(tmp_path: Path) -> None:
    """``arterm`` with no command opens the TUI, which creates the default database on first run
    through ``open_database(url)`` (create defaults to True)."""
    from arterm.db.engine import open_database

    path = tmp_path / "data" / "first-run" / "arterm.db"
    database = open_database(f"sqlite:///{path}")
    database.dispose()
    assert path.exists()


def test_db_upgrade_on_a_fresh_database(run: Cli, any_db_url: str) -> None:
    from arterm.db.migrate import HEAD_REVISION

    assert run.ok("db", "upgrade") == f"database at revision {HEAD_REVISION} (was empty)\n"
    assert run.ok("db", "upgrade") == f"database at revision {HEAD_REVISION}\n"
    database = Database(any_db_url, upgrade=False)
    try:
        with database.read() as s:
            assert s.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD_REVISION
            assert set(tables.metadata.tables) <= set(sa.inspect(s).get_table_names())
    finally:
        database.dispose()
    assert run.ok("db", "check") == "ledger reconciles\n"


def test_db_check_finds_a_broken_balance(run: Cli, db: Database) -> None:
    ident = add_customer(run, "Roto")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    run.ok("pay", ident, "40")
    assert run.ok("db", "check") == "ledger reconciles\n"
    a1 = doc_id(db, "A-1")
    with db.write() as s:
        s.execute(tables.document.update().where(tables.document.c.id == a1).values(balance_cents=1))
    result = run.invoke("db", "check")
    assert result.exit_code == 1
    assert f"document #{a1}: balance 1 but total 10000 − allocations 4000 = 6000" in result.stdout
    assert re.match(r"arterm: \d+ problem\(s\) found", result.stderr)


def test_a_database_that_cannot_be_opened_is_a_clean_error(nodb: Cli, tmp_path: Path) -> None:
    """Used to be raw SQLAlchemy tracebacks (DatabaseError, ArgumentError)."""
    text = tmp_path / "x.txt"
    text.write_bytes(b"not a database\n" * 100)
    cases = [
        (f"sqlite:///{text}", "arterm: cannot open database: file is not a database\n"),
        ("garbage", "arterm: invalid database URL: use sqlite:///path or postgresql://user@host/name\n"),
        ("sqlite+nodriver:///x.db", "arterm: invalid database URL: use sqlite:///path or postgresql://user@host/name\n"),
        ("mysql:///x", "arterm: unsupported database 'mysql': use sqlite or postgresql\n"),
        (f"sqlite:///{text}/sub/a.db", f"arterm: cannot open database: [Errno 20] Not a directory: '{text}/sub'\n"),
    ]
    missing = f"arterm: database file {text}/sub/a.db does not exist; `arterm demo` or `arterm db upgrade` creates one\n"
    for url, message in cases:
        for args in (["balance", "a"], ["customer", "add", "--name", "X", "--rfc", "EKU9003173C9"], ["db", "upgrade"],
                     ["db", "check"]):
            expected = missing if url.endswith("/sub/a.db") and args[0] in ("balance", "db") and args[1] != "upgrade" else message
            assert nodb.fail("--db", url, *args, db=False) == expected, (url, args)
    assert text.read_bytes() == b"not a database\n" * 100
    proc = script("--db", "garbage", "balance", "a")  # the installed entry point, too
    assert (proc.returncode, proc.stdout) == (1, "") and proc.stderr.startswith("arterm: invalid database URL")


def _read_only_counts(url: str) -> dict[str, int]:
    database = Database(url, upgrade=False)
    try:
        return counts(database)
    finally:
        database.dispose()


def test_writing_to_a_read_only_sqlite_database_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    """``OperationalError: attempt to write a readonly database`` used to escape as a traceback. The
    connections are made read-only with ``PRAGMA query_only`` (works as root, unlike file modes)."""
    from sqlalchemy import event

    import arterm.db.engine as engine_mod

    url = f"sqlite:///{tmp_path / 'ro.db'}"
    run = Cli(url, monkeypatch)
    ident = add_customer(run, "Solo Lectura")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    before = _read_only_counts(url)
    real = engine_mod._sqlite_engine

    def read_only(url: str, *, immediate: bool) -> sa.engine.Engine:
        engine = real(url, immediate=immediate)
        event.listen(engine, "connect", lambda dbapi_conn, _rec: dbapi_conn.execute("PRAGMA query_only = ON"))
        return engine

    monkeypatch.setattr(engine_mod, "_sqlite_engine", read_only)
    assert run.ok("balance", ident, "--json")  # reading still works
    for args in (["pay", ident, "10"], ["invoice", ident, "--amount", "5"], ["note", ident, "hola"],
                 ["customer", "add", "--name", "Otro", "--rfc", "KIJ0906199R1"]):
        assert run.fail(*args) == "arterm: database error: attempt to write a readonly database\n", args
    monkeypatch.setattr(engine_mod, "_sqlite_engine", real)
    assert _read_only_counts(url) == before


def test_writing_to_an_immutable_sqlite_file_is_a_clean_error(tmp_path: Path) -> None:
    """The QA case itself: ``chattr +i`` (root only, and only where the filesystem allows it)."""
    import shutil

    path = tmp_path / "immutable.db"
    url = f"sqlite:///{path}"
    database = Database(url)
    with database.write() as s:
        L.create_customer(s, actor=ACTOR, name="Inmutable", rfc="EKU9003173C9", identifier="IM-1")
    database.dispose()
    if os.geteuid() != 0 or not shutil.which("chattr") or subprocess.run(
            ["chattr", "+i", str(path)], capture_output=True, check=False).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        proc = script("--db", url, "pay", "IM-1", "10")
        assert (proc.returncode, proc.stdout) == (1, "")
        assert proc.stderr == "arterm: database error: attempt to write a readonly database\n"
        assert script("--db", url, "balance", "IM-1").returncode == 0
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_config_show_masks_secrets(nodb: Cli, tmp_path: Path) -> None:
    run = nodb
    config = tmp_path / "arterm.toml"
    config.write_text('[smtp]\nusername = "cobranza"\npassword = "hunter2"\n'
                      '[database]\nurl = "postgresql://arterm:filepw@db.example.com/ar"\n'
                      '[operator]\nusername = "ana"\n', encoding="utf-8")
    out = run.ok("--config", str(config), "config", "show", db=False)
    data = json.loads(out)
    assert "hunter2" not in out and "filepw" not in out
    assert data["smtp"] == data["smtp"] | {"username": "cobranza", "password": "********"}
    assert data["database_url"] == "postgresql://arterm:****@db.example.com/ar"
    assert data["operator"] == "ana"
    assert data["config_path"] == str(config)

    # Environment overrides are masked too.
    out = run.ok("--config", str(config), "config", "show", db=False,
                 env={"ARTERM_SMTP_PASSWORD": "envpw", "ARTERM_DATABASE_URL": "postgresql://u:envdbpw@h/db"})
    assert "envpw" not in out and "envdbpw" not in out
    data = json.loads(out)
    assert (data["smtp"]["password"], data["database_url"]) == ("********", "postgresql://u:****@h/db")
    # --db and --as win, and --db is masked.
    out = run.ok("--db", "postgresql://x:clipw@h:5432/db", "--as", "eva", "config", "show", db=False)
    assert "clipw" not in out
    data = json.loads(out)
    assert (data["database_url"], data["operator"], data["smtp"]["password"]) == ("postgresql://x:****@h:5432/db",
                                                                                  "eva", "")


# ------------------------------------------------------------------------- the real entry point
def script(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # the isolated ARTERM_DATA_DIR / XDG_CONFIG_HOME / USER of this test
    env["COLUMNS"] = "200"
    return subprocess.run([str(ARTERM), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def small_ledger(db: Database) -> int:
    with db.write() as s:
        cid = L.create_customer(s, actor=ACTOR, name="Script Ñandú SA", rfc="EKU9003173C9", identifier="SCR-1",
                                payment_terms_days=0)
        L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("X", "1", "100", "0")],
                         issue_date=TODAY - timedelta(days=35))
        L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("Y", "1", "250.50", "0")],
                         issue_date=TODAY)
        L.record_payment(s, actor=ACTOR, customer_id=cid, amount="20", allocations=None)
    return cid


def test_script_balance_json(any_db_url: str, small_ledger: int) -> None:
    proc = script("--db", any_db_url, "balance", "SCR-1", "--json")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert row == {"identifier": "SCR-1", "name": "Script Ñandú SA", "rfc": "EKU9003173C9", "currency": "MXN",
                   "current": "250.50", "overdue": "100.00", "total": "350.50", "credit": "20.00",
                   "buckets": {"current": "250.50", "1-30": "0.00", "31-60": "100.00", "61-90": "0.00",
                               "91-120": "0.00", "120+": "0.00"}}


def test_script_errors_exit_1_with_message(any_db_url: str, small_ledger: int) -> None:
    proc = script("--db", any_db_url, "balance", "nobody", "--json")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "arterm: no customer matches 'nobody'\n")
    proc = script("--db", any_db_url, "pay", "SCR-1", "1000", "--apply", "A-1=1000")
    assert proc.returncode == 1
    assert proc.stderr == "arterm: A-1 has an open balance of 100.00; cannot apply 1000.00\n"
    assert "Traceback" not in proc.stderr


def test_script_db_check(any_db_url: str, small_ledger: int) -> None:
    proc = script("--db", any_db_url, "db", "check")
    assert (proc.returncode, proc.stdout) == (0, "ledger reconciles\n"), proc.stderr


def test_python_m_arterm() -> None:
    proc = subprocess.run([sys.executable, "-m", "arterm", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and re.search(r"\d+\.\d+", proc.stdout), proc


# --------------------------------------------------------------------------- untrusted text output
RLO_NAME = "Zeta \u202e RTL"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_overrides_typed_in_a_name_are_dropped(run: Cli, db: Database) -> None:
    """QA: ``customer edit C000303 --name $'Zeta \\u202e RTL'`` stored the override."""
    ident = add_customer(run, "Zeta")
    run.ok("customer", "edit", ident, "--name", RLO_NAME)
    assert detail(db, ident).name == "Zeta  RTL"
    add_customer(run, "\u2067Otro\u2069 \u200fnombre", "KIJ0906199R1", "--street", "Calle \u202eolleC")
    assert detail(db, "C000002").name == "Otro nombre"
    assert detail(db, "C000002").address_lines[0].startswith("Calle olleC")
    run.ok("note", ident, "línea\u202e uno\nlínea dos")
    with db.read() as s:
        assert s.execute(sa.select(tables.note.c.text)).scalar_one() == "línea uno\nlínea dos"


def test_text_stored_before_the_fix_is_neutralised_on_output(run: Cli, db: Database) -> None:
    """Names written straight to the database (older versions, another tool): every report that
    prints them drops the bidi controls."""
    ident = add_customer(run, "Zeta")
    run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0", "--date", d(40))
    with db.write() as s:
        s.execute(tables.customer.update().values(name=f"Zeta {BIDI} RTL \x1b[2J", search_text="zeta rtl"))
    for args in (["show", ident], ["customers"], ["customers", "zeta"], ["balance", ident], ["aging"],
                 ["aging", "--format", "csv"], ["statement", ident], ["statement", ident, "--format", "html"],
                 ["rep", "pending"]):
        out = run.ok(*args)
        assert not any(ch in out for ch in BIDI + "\x1b"), (args, out)
        if args[0] != "rep":
            assert "Zeta" in out and "RTL" in out, args


def test_aging_csv_neutralises_formulas_in_text_cells(run: Cli, db: Database) -> None:
    """QA: a customer named ``=cmd|calc!A1`` went into the CSV as a formula (OWASP CSV injection)."""
    names = {"=cmd|calc!A1": "'=cmd|calc!A1", "+SUM(A1)": "'+SUM(A1)", "-2+3": "'-2+3", "@SUM(1)": "'@SUM(1)",
             "Normal SA": "Normal SA", "a=b": "a=b"}
    rfcs = ["EKU9003173C9", "KIJ0906199R1", "URE180429TM6", "H&E951128469", "XIQB891116QE4", "COSC8001137NA"]
    for (name, _), rfc in zip(names.items(), rfcs, strict=True):
        ident = add_customer(run, name, rfc)
        run.ok("invoice", ident, "--amount", "100", "--tax-rate", "0")
    run.ok("customer", "add", "--name", "Crédito", "--rfc", "MUÑ110218LJ6", "--identifier", "=X1")
    run.ok("pay", "=X1", "5", "--no-apply")
    with db.write() as s:  # a tab / CR first, stored by an older version
        s.execute(tables.customer.update().where(tables.customer.c.name == "Normal SA").values(name="\t=1+1"))
    rows = list(csv.reader(io.StringIO(run.ok("aging", "--format", "csv"))))
    by_rfc = {r[2]: r for r in rows[1:] if r[0] != "TOTAL"}
    for (name, expected), rfc in zip(names.items(), rfcs, strict=True):
        assert by_rfc[rfc][1] == ("' =1+1" if name == "Normal SA" else expected), name
    assert by_rfc["MUÑ110218LJ6"][0] == "'=X1"  # identifiers are text cells too
    credit = by_rfc["MUÑ110218LJ6"]
    assert credit[-2:] == ["0.00", "5.00"]
    # amounts are never prefixed, even negative ones (none here) -- the TOTAL rows are numbers
    for r in rows[1:]:
        assert all(MONEY.match(v) for v in r[5:]), r
