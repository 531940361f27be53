"""Billing runs as real processes, on SQLite and PostgreSQL.

- Two billing processes started together (spawned, released by one barrier) over the same
  contracts: every due period is invoiced exactly once, neither process reports an error, and
  what one of them finds already billed by the other is counted as such.
- A run killed with SIGKILL midway (``arterm contracts bill`` with the test-only hook
  ``ARTERM_BILLING_PAUSE_AFTER=N``, which makes the run sleep after N committed invoices) leaves
  exactly N whole invoices; the next run completes the set without duplicates.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from datetime import date

import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.schedule import due_periods
from arterm.ledger import billing as B
from ledger_helpers import ACTOR, customer, integrity

UNTIL = date(2026, 11, 28)
SPECS = [  # frequency, start, billing day, direct debit
    ("weekly", date(2026, 6, 1), None, False),
    ("biweekly", date(2026, 1, 7), None, True),
    ("monthly", date(2025, 12, 31), 31, True),
    ("bimonthly", date(2025, 11, 15), 5, False),
    ("quarterly", date(2025, 1, 31), None, False),
    ("monthly", date(2026, 2, 28), 30, False),
]


def _contracts(db: Database, copies: int) -> list[tuple[int, str, date, int | None]]:
    out = []
    for i in range(copies):
        cid = customer(db, name=f"Carrera {i}", rfc="XAXX010101000")
        for freq, start, day, dd in SPECS:
            with db.write() as s:
                k = L.create_contract(s, actor=ACTOR, customer_id=cid, amount="999.99", frequency=freq,
                                      start_date=start, billing_day=day, direct_debit=dd, dd_reference="5555444433331111")
            out.append((k, freq, start, day))
    return out


def _expected(contracts: list[tuple[int, str, date, int | None]], until: date) -> set[tuple[int, date]]:
    return {(k, p.start) for k, freq, start, day in contracts for p in due_periods(start, freq, until=until, billing_day=day)}


def _billed(db: Database) -> list[tuple[int, date]]:
    with db.read() as s:
        return [(r[0], r[1]) for r in s.execute(sa.select(tables.document.c.contract_id, tables.document.c.period_start)
                                                .where(tables.document.c.contract_id.is_not(None)))]


def _worker(index: int, url: str, barrier, until: date, results) -> None:  # type: ignore[no-untyped-def]
    db = Database(url, upgrade=False)
    try:
        barrier.wait(timeout=60)
        report = B.bill_contracts(db, actor=f"op{index}", until=until)
        results.put(("ok", index, len(report.issued), report.already, report.skipped, report.errors))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", index, repr(exc)))
    finally:
        db.dispose()


def test_two_billing_processes_at_once_bill_each_period_once(any_db_url: str) -> None:
    db = Database(any_db_url)
    contracts = _contracts(db, copies=4)
    ctx = mp.get_context("spawn")
    before = 0
    for until in (date(2026, 6, 30), UNTIL):  # a first race, then a second one over what is left
        barrier = ctx.Barrier(2)
        results = ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(i, any_db_url, barrier, until, results)) for i in range(2)]
        for p in procs:
            p.start()
        out = [results.get(timeout=300) for _ in procs]
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
        assert all(r[0] == "ok" and r[5] == [] for r in out), out
        billed = _billed(db)
        assert len(billed) == len(set(billed)), "a period was billed twice"
        assert set(billed) == _expected(contracts, until)
        # Each period was issued by exactly one of the two; the other found it billed (or never saw it).
        new = len(set(billed)) - before
        assert sum(r[2] for r in out) == new, out
        assert sum(r[3] for r in out) <= new and sum(r[4] for r in out) == 0, out
        before = len(set(billed))
    with db.read() as s:
        charges = s.execute(sa.select(sa.func.count()).select_from(tables.direct_debit_charge)).scalar_one()
        dd_docs = s.execute(sa.select(sa.func.count()).select_from(tables.document).join(
            tables.contract, tables.contract.c.id == tables.document.c.contract_id)
            .where(tables.contract.c.direct_debit.is_(True))).scalar_one()
        runs = s.execute(sa.select(tables.billing_run.c.status)).scalars().all()
    assert charges == dd_docs
    assert runs == ["done"] * 4
    assert integrity(db) == []
    db.dispose()


def _bill_cli(url: str, until: date, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "arterm", "--db", url, "--as", "cron", "contracts", "bill", "--until", until.isoformat()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )


def test_a_run_killed_midway_is_completed_by_the_next(any_db_url: str) -> None:
    db = Database(any_db_url)
    contracts = _contracts(db, copies=2)
    expected = _expected(contracts, UNTIL)
    assert len(expected) > 20
    proc = _bill_cli(any_db_url, UNTIL, {"ARTERM_BILLING_PAUSE_AFTER": "7"})
    try:
        deadline = time.monotonic() + 120
        line = ""
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "billing paused after 7 invoices" in line or not line:
                break
        assert "billing paused after 7 invoices" in line, (line, proc.poll())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    billed = _billed(db)
    assert len(billed) == 7 and set(billed) < expected
    with db.read() as s:
        # Whole invoices only: each with its line, its activity and (direct debit) its charge.
        docs = s.execute(sa.select(tables.document.c.id, tables.contract.c.direct_debit).join(
            tables.contract, tables.contract.c.id == tables.document.c.contract_id)).all()
        lines = s.execute(sa.select(tables.document_line.c.document_id)).scalars().all()
        issued_act = s.execute(sa.select(tables.activity.c.document_id).where(
            tables.activity.c.kind == "invoice_issued")).scalars().all()
        charges = s.execute(sa.select(tables.direct_debit_charge.c.document_id)).scalars().all()
        run = s.execute(sa.select(tables.billing_run)).one()
    assert sorted(lines) == sorted(issued_act) == sorted(d.id for d in docs)
    assert sorted(charges) == sorted(d.id for d in docs if d.direct_debit)
    assert (run.status, run.finished_at) == ("running", None), "the killed run's log shows it never finished"
    assert integrity(db) == []
    # The next run finishes the job.
    second = _bill_cli(any_db_url, UNTIL)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    billed = _billed(db)
    assert len(billed) == len(set(billed)) and set(billed) == expected
    # And a third run has nothing left to do.
    third = _bill_cli(any_db_url, UNTIL)
    out, err = third.communicate(timeout=300)
    assert third.returncode == 0, err
    assert len(_billed(db)) == len(expected)
    assert integrity(db) == []
    db.dispose()
