"""``arterm demo``: a realistic, deterministic demo ledger that reconciles, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import arterm.db.engine as engine_mod
from arterm.cli import cli
from arterm.db import tables
from arterm.db.engine import Database
from arterm.demo import generate_demo
from arterm.domain.aging import bucket_keys
from arterm.domain.rfc import GENERIC_RFCS, validate_rfc
from arterm.queries.balances import aging_totals
from arterm.queries.integrity import check_ledger
from conftest import PgSchema, pg_available
from ledger_helpers import counts

DEMO_TODAY = date(2026, 11, 28)
CUSTOMERS = 150
SEED = 7
HOSTILE_DEMO_NAME = "[bold red]Dulcería La Ñ[/] & <b>Hnos</b>"


class Runner:
    """``arterm --db URL ...`` in-process, disposing the engines each command opened."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url = url
        self.runner = CliRunner()
        self.opened: list[Database] = []
        real = engine_mod.open_database

        def tracking(url: str, **kw: Any) -> Database:
            database = real(url, **kw)
            self.opened.append(database)
            return database

        monkeypatch.setattr(engine_mod, "open_database", tracking)

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> Any:
        try:
            result = self.runner.invoke(cli, ["--db", self.url, *args], input=input, env={"COLUMNS": "250"})
        finally:
            for database in self.opened:
                database.dispose()
            self.opened.clear()
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result


@pytest.fixture
def second_url(any_db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same engine as ``any_db_url``."""
    if any_db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    schema = PgSchema(pg_available())
    try:
        yield schema.url
    finally:
        schema.drop()


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (operator.created_at is a wall-clock stamp)."""
    out: dict[str, list[tuple]] = {}
    with db.read() as s:
        for table in tables.metadata.sorted_tables:
            cols = [c for c in table.columns if not (table.name == "operator" and c.name == "created_at")]
            order = list(table.primary_key.columns) or cols
            out[table.name] = [tuple(r) for r in s.execute(sa.select(*cols).order_by(*order))]
    return out


# ------------------------------------------------------------------------------- generate_demo
def test_demo_is_deterministic_realistic_and_reconciles(any_db_url: str, second_url: str) -> None:
    first, second = Database(any_db_url), Database(second_url)
    try:
        stats = generate_demo(first, customers=CUSTOMERS, seed=SEED, today=DEMO_TODAY, current_operator="tester")
        generate_demo(second, customers=CUSTOMERS, seed=SEED, today=DEMO_TODAY, current_operator="tester")
        a, b = snapshot(first), snapshot(second)
        assert a == b  # same seed, same day: identical rows, table by table
        assert len(a["customer"]) == stats.customers == CUSTOMERS
        assert (len(a["document"]), len(a["payment"]), len(a["contract"]), len(a["note"])) == (
            stats.documents, stats.payments, stats.contracts, stats.notes)
        with first.read() as s:
            assert check_ledger(s) == []
            check_coverage(s)
    finally:
        first.dispose()
        second.dispose()


def test_another_seed_gives_other_data(any_db_url: str, second_url: str) -> None:
    first, second = Database(any_db_url), Database(second_url)
    try:
        generate_demo(first, customers=20, seed=1, today=DEMO_TODAY)
        generate_demo(second, customers=20, seed=2, today=DEMO_TODAY)
        assert snapshot(first)["customer"] != snapshot(second)["customer"]
        with pytest.raises(ValueError, match="already has 20 customers"):
            generate_demo(first, customers=5, seed=1, today=DEMO_TODAY)
    finally:
        first.dispose()
        second.dispose()


def check_coverage(s: sa.Connection) -> None:
    """Everything a collector meets in real life is in the demo."""
    T_DOC, T_PAY, T_CUS, T_CON, T_ALLOC = tables.document, tables.payment, tables.customer, tables.contract, tables.allocation

    def scalar(stmt: Any) -> int:
        return int(s.execute(stmt).scalar_one())

    def count(table: sa.Table, *where: Any) -> int:
        return scalar(sa.select(sa.func.count()).select_from(table).where(*where))

    # Currencies.
    currencies = set(s.execute(sa.select(T_DOC.c.currency).distinct()).scalars())
    assert currencies == {"MXN", "USD"}
    assert count(T_PAY, T_PAY.c.currency == "USD") > 0
    # Document kinds and states.
    kinds = Counter(s.execute(sa.select(T_DOC.c.kind)).scalars())
    assert kinds["invoice"] > 0 and kinds["sales_note"] > 0 and kinds["credit_note"] > 0
    assert count(T_DOC, T_DOC.c.status == "cancelled") > 0
    assert count(T_DOC, T_DOC.c.status == "paid") > 0
    # Partial payments: open documents with part of their total paid.
    partially_paid = count(T_DOC, T_DOC.c.status == "current", T_DOC.c.balance_cents > 0,
                           T_DOC.c.balance_cents < T_DOC.c.total_cents, T_DOC.c.kind.in_(("invoice", "sales_note")))
    assert partially_paid > 0
    # Overpayments left as credit; credit notes applied to invoices.
    assert count(T_PAY, T_PAY.c.unapplied_cents > 0) > 0
    assert count(T_ALLOC, T_ALLOC.c.credit_note_id.is_not(None)) > 0
    # Payments by several means, REPs pending and issued, direct debit charges.
    assert {"01", "03"} <= set(s.execute(sa.select(T_PAY.c.forma_pago).distinct()).scalars())
    assert {"pending", "issued"} <= set(s.execute(sa.select(T_PAY.c.rep_status).distinct()).scalars())
    assert count(T_PAY, T_PAY.c.origin == "direct_debit") > 0
    # Contracts with and without direct debit, with the invoices they generated.
    assert count(T_CON, T_CON.c.direct_debit.is_(True)) > 0
    assert count(T_CON, T_CON.c.direct_debit.is_(False)) > 0
    assert count(T_DOC, T_DOC.c.contract_id.is_not(None)) > 0
    # Notes, activity.
    assert count(tables.note) > 0
    assert count(tables.activity) > count(T_CUS)
    # RFCs: generic ones shared by several customers, every other one with a correct check character.
    rfcs = list(s.execute(sa.select(T_CUS.c.rfc, T_CUS.c.rfc_check_ok)))
    assert sum(1 for rfc, _ in rfcs if rfc in GENERIC_RFCS) >= 2
    bad = [rfc for rfc, ok in rfcs if not (validate_rfc(rfc).check_ok and ok)]
    assert bad == []
    assert {len(rfc) for rfc, _ in rfcs} == {12, 13}  # companies and persons
    # Names that must be escaped when drawn, accents, several languages and payment terms.
    assert count(T_CUS, T_CUS.c.name == HOSTILE_DEMO_NAME) == 1
    assert count(T_CUS, T_CUS.c.language == "en") > 0
    assert len(set(s.execute(sa.select(T_CUS.c.payment_terms_days)).scalars())) >= 4
    # Overdue money in EVERY aging bucket (as of the demo's day), and money not yet due.
    totals = aging_totals(s, as_of=DEMO_TODAY, today=DEMO_TODAY)
    per_bucket = Counter[str]()
    for (_, currency), (buckets, _credit) in totals.items():
        if currency == "MXN":
            per_bucket.update(buckets)
    assert all(per_bucket[k] > 0 for k in bucket_keys()), per_bucket
    # The open balances the ledger maintains agree with the aging rebuilt from the history.
    assert aging_totals(s, as_of=DEMO_TODAY, today=DEMO_TODAY + timedelta(days=1)) == totals


# --------------------------------------------------------------------------------- arterm demo
def test_demo_command(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run = Runner(any_db_url, monkeypatch)
    out = run("demo", "--no-tui", "--customers", str(CUSTOMERS), "--seed", str(SEED)).stdout
    assert re.search(rf"^demo: {CUSTOMERS} customers, \d+ documents, \d+ payments, \d+ contracts in [\d.]+ s → ", out, re.M)
    assert run("db", "check").stdout == "ledger reconciles\n"

    db = Database(any_db_url)
    try:
        built = counts(db)
        assert built["customer"] == CUSTOMERS
        with db.read() as s:
            mine = s.execute(sa.select(sa.func.count()).select_from(tables.customer).join(
                tables.operator, tables.operator.c.id == tables.customer.c.assigned_operator_id).where(
                tables.operator.c.username == "tester")).scalar_one()
            identifiers = s.execute(sa.select(tables.customer.c.identifier, tables.customer.c.name, tables.customer.c.rfc)
                                    .order_by(tables.customer.c.id)).all()
        assert mine >= 1  # the current operator ($USER) has customers of their own
        customers = run("customers", "--assigned", "tester", "--json").stdout
        assert f'"count": {mine}' in customers

        # The hostile demo name is shown literally.
        assert HOSTILE_DEMO_NAME in run("show", "C000008").stdout

        # Running it again on a non-empty database says so and adds nothing.
        again = run("demo", "--no-tui", "--customers", "10", "--seed", "99").stdout
        assert again.strip() == f"database already has {CUSTOMERS} customers; opening it (use --reset to rebuild)"
        assert counts(db) == built

        # --reset asks first; answering no changes nothing.
        run("demo", "--no-tui", "--reset", input="n\n", code=1)
        assert counts(db) == built

        # --reset --yes rebuilds from scratch: same seed and day, same customers, reconciled.
        out = run("demo", "--no-tui", "--reset", "--yes", "--customers", str(CUSTOMERS), "--seed", str(SEED)).stdout
        assert re.search(rf"^demo: {CUSTOMERS} customers, ", out, re.M)
        assert counts(db) == built
        with db.read() as s:
            assert s.execute(sa.select(tables.customer.c.identifier, tables.customer.c.name, tables.customer.c.rfc)
                             .order_by(tables.customer.c.id)).all() == identifiers
        assert run("db", "check").stdout == "ledger reconciles\n"

        # A smaller rebuild really replaces the data.
        run("demo", "--no-tui", "--reset", "--yes", "--customers", "12", "--seed", "3")
        assert counts(db)["customer"] == 12
        assert run("db", "check").stdout == "ledger reconciles\n"
    finally:
        db.dispose()
