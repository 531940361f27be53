"""Two operators (two real processes) pay the same invoice at the same moment, on both engines.

A payment can never allocate more than a document's open balance: exactly one explicit
allocation wins; with "oldest first" the loser's money stays as customer credit. The "apply" mode
races two earlier payments' credit onto one invoice, where nothing but the document row itself
stands between the two transactions.
"""

from __future__ import annotations

import multiprocessing as mp
from datetime import date

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.errors import DomainError
from ledger_helpers import customer, integrity, invoice, pay

ROUNDS = 12


def _worker(index: int, url: str, barrier, jobs: list[tuple], results) -> None:  # type: ignore[no-untyped-def]
    db = Database(url, upgrade=False)
    for customer_id, doc_id, mode, credits in jobs:
        barrier.wait(timeout=60)
        try:
            with db.write() as s:
                if mode == "apply":
                    # 60 each on an invoice of 100: both fit alone, not together.
                    L.apply_credit(s, actor=f"op{index}", customer_id=customer_id, payment_id=credits[index],
                                   allocations=[(doc_id, "60.00")])
                else:
                    plan = [(doc_id, "100.00")] if mode == "explicit" else "oldest"
                    L.record_payment(s, actor=f"op{index}", customer_id=customer_id, amount="100.00",
                                     paid_on=date.today(), allocations=plan)
            results.put(("ok", doc_id))
        except DomainError as exc:
            results.put(("refused", doc_id, str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.put(("error", doc_id, repr(exc)))
    db.dispose()


def _race(url: str, jobs: list[tuple]) -> list[tuple]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(i, url, barrier, jobs, results)) for i in range(2)]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in range(2 * len(jobs))]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return out


@pytest.mark.parametrize("mode", ["explicit", "oldest", "apply"])
def test_two_processes_never_overpay_an_invoice(any_db_url: str, mode: str) -> None:
    db = Database(any_db_url)
    jobs = []
    for i in range(ROUNDS):
        cid = customer(db, name=f"Carrera {i}", rfc="XAXX010101000")
        credits = [pay(db, cid, "100.00", allocations=None) for _ in range(2)] if mode == "apply" else []
        jobs.append((cid, invoice(db, cid, "100.00"), mode, credits))
    results = _race(any_db_url, jobs)
    assert not [r for r in results if r[0] == "error"], results
    with db.read() as s:
        alloc = tables.allocation
        for cid, doc_id, _, _ in jobs:
            allocated = s.execute(sa.select(sa.func.coalesce(sa.func.sum(alloc.c.amount_cents), 0)).where(
                alloc.c.document_id == doc_id, alloc.c.reversed_on.is_(None))).scalar_one()
            assert allocated == (6000 if mode == "apply" else 10000), f"document {doc_id} got {allocated}"
            pays = s.execute(sa.select(tables.payment.c.status).where(tables.payment.c.customer_id == cid)).scalars().all()
            if mode == "explicit":
                # One payment applied, the other refused and not written at all.
                assert pays == ["applied"]
            elif mode == "apply":
                assert sorted(pays) == ["partial", "unapplied"]
            else:
                # Both payments saved; the one that lost the race is the customer's credit.
                assert sorted(pays) == ["applied", "unapplied"]
    outcomes = [r[0] for r in results]
    if mode in ("explicit", "apply"):
        assert outcomes.count("ok") == ROUNDS and outcomes.count("refused") == ROUNDS
        assert all("open balance" in r[2] or "at the same time" in r[2] for r in results if r[0] == "refused")
    else:
        assert outcomes.count("ok") == 2 * ROUNDS
    assert integrity(db) == []
    db.dispose()
