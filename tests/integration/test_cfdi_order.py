"""Order never matters: the same set of CFDI imported in any order (one run or several, any batch
size) gives the same ledger.

"The same" is ``snapshot()``: customers (RFC, name, tax data, terms), documents by UUID (kind,
customer, series/folio, dates, currency, rate, amounts, open balance, status, método/forma de pago,
cancellation date), *active* payments (customer, date, amount, currency, rate, forma de pago,
reference, REP UUID and status, unapplied, status), *active* allocations (invoice, source — a
payment described as above or a credit note by UUID —, amounts, date), per-customer open and credit
totals (rows at zero left out), and no claim left waiting. Ids, customer identifiers, timestamps,
activity rows and reversed allocations are not compared: they record *how* the ledger got there.
"""

from __future__ import annotations

import itertools
import random
import shutil
from collections import Counter
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arterm.cfdi.generate import (
    Customer,
    Line,
    PaidDocument,
    Payment,
    credit_note_xml,
    generate_set,
    invoice_xml,
    payment_xml,
    substitution_xml,
)
from arterm.cfdi.importer import import_paths
from arterm.config import CfdiSettings, CompanySettings, Settings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries.integrity import check_ledger

SET = generate_set(11, 70)  # ~120 files: PUE/PPD, partial REPs, credit notes, substitutions, USD
KIJ = Customer("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03")


def U(n: int) -> str:
    return f"BBBBBBBB-0000-4000-8000-{n:012d}"


def snapshot(db: Database) -> dict[str, Any]:
    t = tables
    with db.read() as s:
        problems = check_ledger(s)
        assert problems == []
        cust = {r.id: (r.rfc, r.name) for r in s.execute(sa.select(t.customer))}
        customers = sorted((r.rfc, r.name, r.tax_regime, r.postal_code, r.uso_cfdi, r.payment_terms_days,
                            r.rfc_check_ok) for r in s.execute(sa.select(t.customer)))
        docs = {}
        doc_key = {}
        for r in s.execute(sa.select(t.document)):
            key = r.cfdi_uuid or (r.kind, r.series, r.folio)
            doc_key[r.id] = key
            docs[key] = (r.kind, cust[r.customer_id], r.series, r.folio, r.issue_date, r.due_date, r.currency,
                         r.exchange_rate, r.subtotal_cents, r.discount_cents, r.tax_cents, r.total_cents,
                         r.balance_cents, r.status, r.metodo_pago, r.forma_pago, r.cancelled_on)
        pay_key = {}
        pays: Counter[Any] = Counter()
        for r in s.execute(sa.select(t.payment).where(t.payment.c.status != "cancelled")):
            key = (cust[r.customer_id], r.paid_on, r.amount_cents, r.currency, r.exchange_rate, r.forma_pago,
                   r.reference, r.origin, r.rep_uuid)
            pay_key[r.id] = key
            pays[key + (r.rep_status, r.unapplied_cents, r.status)] += 1
        allocs: Counter[Any] = Counter()
        for r in s.execute(sa.select(t.allocation).where(t.allocation.c.reversed_on.is_(None))):
            source = pay_key[r.payment_id] if r.payment_id is not None else doc_key[r.credit_note_id]
            allocs[(doc_key[r.document_id], source, r.amount_cents, r.source_amount_cents, r.applied_on)] += 1
        balances = {(cust[r.customer_id], r.currency): (r.open_cents, r.credit_cents)
                    for r in s.execute(sa.select(t.customer_balance)) if r.open_cents or r.credit_cents}
        waiting = s.execute(sa.select(sa.func.count()).select_from(t.cfdi_claim)
                            .where(t.cfdi_claim.c.status == "pending")).scalar_one()
    return {"customers": customers, "documents": docs, "payments": pays, "allocations": allocs, "balances": balances,
            "waiting": waiting}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file copied for every example (migrating takes longer than importing)."""
    path = tmp_path_factory.mktemp("order") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.dispose()
    return path


def fresh(template: Path, where: Path) -> Database:
    where.mkdir(parents=True, exist_ok=True)
    target = where / f"db{len(list(where.glob('db*.db')))}.db"
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


def run(db: Database, folder: Path, files: list[tuple[str, bytes]], *, pue_is_paid: bool = False,
        batch: int = 500) -> None:
    folder.mkdir(parents=True)
    # Names carry the position so the importer (which reads folders sorted) sees this order.
    for i, (name, data) in enumerate(files):
        (folder / f"{i:05d}_{name}").write_bytes(data)
    report = import_paths(db, [str(folder)], settings=Settings(company=CompanySettings(rfc=("EKU9003173C9",)),
                                                                 cfdi=CfdiSettings(pue_is_paid=pue_is_paid)),
                          actor="tester", lang="en", batch_files=batch)
    assert report.rejected == []


def import_in_runs(db: Database, base: Path, files: list[tuple[str, bytes]], cuts: list[int], **kw: Any) -> None:
    bounds = [0, *sorted(set(c % (len(files) + 1) for c in cuts)), len(files)]
    for n, (a, b) in enumerate(zip(bounds, bounds[1:])):
        if a < b:
            run(db, base / f"run{n}", files[a:b], **kw)


_baselines: dict[bool, dict[str, Any]] = {}


def baseline(template: Path, tmp_path: Path, pue_is_paid: bool) -> dict[str, Any]:
    if pue_is_paid not in _baselines:
        db = fresh(template, tmp_path / "baseline")
        run(db, tmp_path / "baseline" / "files", SET, pue_is_paid=pue_is_paid)
        _baselines[pue_is_paid] = snapshot(db)
        db.dispose()
    return _baselines[pue_is_paid]


def test_the_generated_set_exercises_every_case(template: Path, tmp_path: Path) -> None:
    base = baseline(template, tmp_path, False)
    kinds = Counter(v[0] for v in base["documents"].values())
    statuses = Counter(v[13] for v in base["documents"].values())
    assert kinds["invoice"] > 60 and kinds["credit_note"] >= 3
    assert statuses["cancelled"] >= 1 and statuses["paid"] > 10 and statuses["current"] > 10
    assert {v[6] for v in base["documents"].values()} == {"MXN", "USD"}
    assert any(k[1][3] != "MXN" for k in base["allocations"] if isinstance(k[1], tuple)) or any(
        a[2] != a[3] for a in base["allocations"])  # some cross-currency allocation
    assert base["waiting"] == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(order=st.permutations(range(len(SET))), cuts=st.lists(st.integers(0, 10_000), max_size=3),
       batch=st.sampled_from([1, 7, 50, 500]), pue_is_paid=st.booleans(), dup=st.integers(0, len(SET) - 1))
def test_any_order_gives_the_same_ledger(template: Path, tmp_path_factory: pytest.TempPathFactory, order: list[int],
                                         cuts: list[int], batch: int, pue_is_paid: bool, dup: int) -> None:
    where = tmp_path_factory.mktemp("shuffled")
    expected = baseline(template, tmp_path_factory.mktemp("base"), pue_is_paid)
    files = [SET[i] for i in order]
    files.insert(len(files) // 2, SET[dup])  # one file twice: a duplicate, whatever its place
    db = fresh(template, where)
    try:
        import_in_runs(db, where, files, cuts, pue_is_paid=pue_is_paid, batch=batch)
        assert snapshot(db) == expected
    finally:
        db.dispose()


# ---------------------------------------------------------------------------------------- crafted cases
def pd(n: int, previous: str, amount: str, installment: int = 1) -> PaidDocument:
    return PaidDocument(U(n), D(previous), D(amount), installment=installment)


def invoice(n: int, total: str, when: datetime, **kw: Any) -> tuple[str, bytes]:
    return f"i{n}.xml", invoice_xml(uuid=U(n), issued_at=when, customer=KIJ, folio=str(n),
                                    lines=(Line("SERVICIO", D(1), D(total), D(0)),), **kw)


def rep(n: int, when: datetime, *docs: PaidDocument) -> tuple[str, bytes]:
    return f"p{n}.xml", payment_xml([Payment(when, list(docs))], uuid=U(n), customer=KIJ, folio=str(n))


def all_orders(template: Path, tmp_path: Path, files: list[tuple[str, bytes]], **kw: Any) -> list[dict[str, Any]]:
    out = []
    for n, perm in enumerate(itertools.permutations(files)):
        db = fresh(template, tmp_path / f"p{n}")
        try:
            run(db, tmp_path / f"p{n}" / "files", list(perm), **kw)
            out.append(snapshot(db))
        finally:
            db.dispose()
    return out


def test_overpaying_reps_are_applied_in_date_order_whatever_arrives_first(template: Path, tmp_path: Path) -> None:
    """Two REPs claim 700 each of a 1000 invoice: the earlier payment gets 700, the later 300 and
    keeps 400 as credit — in all 6 import orders (the late-arriving early one re-applies them)."""
    files = [invoice(1, "1000.00", datetime(2024, 3, 1)), rep(2, datetime(2024, 3, 10), pd(1, "1000", "700")),
             rep(3, datetime(2024, 3, 20), pd(1, "700", "700", 2))]
    snaps = all_orders(template, tmp_path, files)
    assert all(s == snaps[0] for s in snaps)
    # (paid on, unapplied) of each payment
    assert sorted((k[1], k[-2]) for k in snaps[0]["payments"]) == [
        (datetime(2024, 3, 10).date(), 0), (datetime(2024, 3, 20).date(), 40000)]
    assert sorted((k[2], k[4]) for k in snaps[0]["allocations"]) == [
        (30000, datetime(2024, 3, 20).date()), (70000, datetime(2024, 3, 10).date())]
    assert snaps[0]["balances"] == {(("KIJ0906199R1", "KIJ, S.A DE C.V."), "MXN"): (0, 40000)}


def test_credit_note_and_overpaying_rep_in_any_order(template: Path, tmp_path: Path) -> None:
    files = [invoice(1, "1000.00", datetime(2024, 3, 1)),
             ("c2.xml", credit_note_xml([U(1)], uuid=U(2), customer=KIJ, amount=D("100.00"),
                                        issued_at=datetime(2024, 3, 5))),
             rep(3, datetime(2024, 3, 20), pd(1, "1000", "1000"))]
    snaps = all_orders(template, tmp_path, files)
    assert all(s == snaps[0] for s in snaps)
    # The credit note (earlier) takes 116.00; the REP 884.00, and 116.00 of it stays as credit.
    assert snaps[0]["balances"] == {(("KIJ0906199R1", "KIJ, S.A DE C.V."), "MXN"): (0, 11600)}


def test_substitution_in_any_order_moves_the_payments(template: Path, tmp_path: Path) -> None:
    files = [invoice(1, "1000.00", datetime(2024, 3, 1)),
             rep(2, datetime(2024, 3, 5), pd(1, "1000", "400")),
             ("s3.xml", substitution_xml(U(1), uuid=U(3), customer=KIJ, folio="3", issued_at=datetime(2024, 3, 8),
                                         lines=(Line("SERVICIO", D(1), D("1000.00"), D(0)),))),
             rep(4, datetime(2024, 3, 15), pd(3, "600", "600", 2))]
    snaps = all_orders(template, tmp_path, files)
    assert all(s == snaps[0] for s in snaps)
    docs = snaps[0]["documents"]
    assert docs[U(1).lower()][12:14] == (0, "cancelled") and docs[U(3).lower()][12:14] == (0, "paid")


def test_pue_is_paid_with_a_credit_note_in_any_order(template: Path, tmp_path: Path) -> None:
    files = [invoice(1, "1000.00", datetime(2024, 3, 1), metodo_pago="PUE", forma_pago="03"),
             ("c2.xml", credit_note_xml([U(1)], uuid=U(2), customer=KIJ, amount=D("100.00"),
                                        issued_at=datetime(2024, 3, 5)))]
    snaps = all_orders(template, tmp_path, files, pue_is_paid=True)
    assert snaps[0] == snaps[1]
    assert snaps[0]["balances"] == {(("KIJ0906199R1", "KIJ, S.A DE C.V."), "MXN"): (0, 11600)}


def test_shuffled_set_on_postgresql_matches_sqlite(template: Path, tmp_path: Path) -> None:
    from conftest import PgSchema, pg_available

    expected = baseline(template, tmp_path, False)
    schema = PgSchema(pg_available())
    db = Database(schema.url)
    try:
        files = list(SET)
        random.Random(5).shuffle(files)
        import_in_runs(db, tmp_path / "pg", files, [len(files) // 3], batch=40)
        assert snapshot(db) == expected
    finally:
        db.dispose()
        schema.drop()
