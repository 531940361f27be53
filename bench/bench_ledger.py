"""Ledger benchmarks at scale (issue: ledger core, item 9).

Builds (once, cached under --cache) a dataset of 100,000 customers and ~2,000,000 documents with
the demo generator, on SQLite and optionally PostgreSQL, then measures:
  - `arterm demo --customers 100000` build time with the default mix (target < 120 s);
  - aging over every customer as of today: without the aging cache, then with it from empty to
    warm, and a day, a week and a month later (target < 250 ms SQLite, 500 ms PostgreSQL);
  - `arterm balance NAME` wall time from a fresh process (target < 0.5 s);
  - `arterm aging` wall time.

    python bench/bench_ledger.py [--pg URL] [--cache /tmp/arterm-bench] [--skip-demo]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from _bytecode import prepare

ROOT = Path(__file__).resolve().parents[1]
ARTERM = str(ROOT / ".venv" / "bin" / "arterm")


def build(url: str, customers: int, invoices: tuple[int, int]) -> float:
    from arterm.db.engine import Database
    from arterm.demo import generate_demo

    db = Database(url)
    started = time.perf_counter()
    generate_demo(db, customers=customers, seed=42, invoices_per_customer=invoices)
    db.dispose()
    return time.perf_counter() - started


def count_docs(url: str) -> int:
    import sqlalchemy as sa

    from arterm.db import tables
    from arterm.db.engine import Database

    db = Database(url)
    with db.read() as s:
        n = s.execute(sa.select(sa.func.count()).select_from(tables.document)).scalar_one()
    db.dispose()
    return int(n)


def aging_query_ms(url: str, runs: int = 7, *, use_cache: bool = True, gc_off: bool = False) -> list[float]:
    """``aging_totals`` as of today, end to end (SQL, fetch and the 104k Python result rows).

    ``gc_off``: as `arterm aging` runs it (the command turns the cyclic collector off, `cli.pause_gc`).
    """
    import gc

    from arterm.db.engine import Database
    from arterm.queries.balances import aging_totals

    db = Database(url)
    out = []
    if gc_off:
        gc.disable()
    try:
        for _ in range(runs):
            with db.read() as s:
                t = time.perf_counter()
                aging_totals(s, as_of=date.today(), use_cache=use_cache)
                out.append((time.perf_counter() - t) * 1000)
    finally:
        gc.enable()
    db.dispose()
    return out


def aging_cache_states(url: str) -> list[tuple[str, str]]:
    """The aging cache from empty to warm, and what a day, a week and a month without a report cost.

    Empties the cache, runs one report and stores it (what ``arterm aging`` does), then times the
    warm report, the SQL alone (execute + fetch, no Python result), and reports as of later dates
    (rows whose documents changed bucket since are computed again; not stored here).
    """
    from datetime import timedelta

    import sqlalchemy as sa

    from arterm.db import tables
    from arterm.db.engine import Database
    from arterm.domain.aging import DEFAULT_BUCKETS
    from arterm.queries.balances import aging_totals, cache_statement, save_aging

    db = Database(url)
    today = date.today()
    with db.write() as w:  # the cache emptied: its sums and the documents kept with them
        w.execute(tables.customer_balance.update().values(aging_rev=None))
        w.execute(tables.aging_documents.delete())
    out = []
    refreshed: list = []
    with db.read() as s:
        t = time.perf_counter()
        aging_totals(s, as_of=today, refreshed=refreshed)
        cold = time.perf_counter() - t
    t = time.perf_counter()
    with db.write() as w:
        save_aging(w, refreshed)
    out.append(("empty cache: report / storing its rows", f"{cold:.2f} s / {time.perf_counter() - t:.2f} s"))
    if db.dialect == "postgresql":
        with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE customer_balance")
    warm = aging_query_ms(url)
    out.append(("warm cache: aging_totals end to end", f"{med(warm):.0f} ms (min {min(warm):.0f})"))
    warm = aging_query_ms(url, gc_off=True)
    out.append(("warm cache: aging_totals end to end, no cyclic GC (as arterm aging runs it)",
                f"{med(warm):.0f} ms (min {min(warm):.0f})"))
    def statement_ms(query: sa.Executable) -> str:
        times = []
        for _ in range(7):
            with db.read() as s:
                t = time.perf_counter()
                s.execute(query).all()
                times.append((time.perf_counter() - t) * 1000)
        return f"{med(times):.0f} ms (min {min(times):.0f})"

    stmt = cache_statement(today, DEFAULT_BUCKETS)
    sub = stmt.subquery()  # the same scan, every column used, one row out
    inside = sa.select(sa.func.count(), *[sa.func.max(sa.func.length(c) if i == 3 else c)  # no max(bytea)
                                          for i, c in enumerate(sub.c)]).select_from(sub)

    out.append(("warm cache: its SQL alone (execute + fetch 104k rows)", statement_ms(stmt)))
    out.append(("warm cache: its SQL inside the database (rows counted, not fetched)", statement_ms(inside)))
    for days in (1, 7, 30):
        ref: list = []
        with db.read() as s:
            t = time.perf_counter()
            aging_totals(s, as_of=today + timedelta(days=days), refreshed=ref)
            ms = (time.perf_counter() - t) * 1000
        out.append((f"as of today + {days} d ({len(ref):,} rows computed again)", f"{ms:.0f} ms"))
    db.dispose()
    return out


def wall(cmd: list[str], env: dict[str, str], runs: int = 5) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=os.environ.get("ARTERM_BENCH_PG_URL", ""))
    ap.add_argument("--cache", default="/tmp/arterm-bench")
    ap.add_argument("--skip-demo", action="store_true", help="skip the default-mix demo build timing")
    ap.add_argument("--no-compile", action="store_true",
                    help="do not compile src/ first (measure whatever bytecode is there; see _bytecode.py)")
    args = ap.parse_args()
    print(prepare(compile_src=not args.no_compile))
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, str, str]] = []

    if not args.skip_demo:
        demo_db = cache / "demo-default.db"
        for p in cache.glob("demo-default.db*"):
            p.unlink()
        env = dict(os.environ, ARTERM_DATA_DIR=str(cache / "demo-data"))
        t = time.perf_counter()
        subprocess.run([ARTERM, "--db", f"sqlite:///{demo_db}", "demo", "--customers", "100000", "--no-tui"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        results.append(("arterm demo --customers 100000 (SQLite)", f"{time.perf_counter() - t:.1f} s", "< 120 s"))

    big = cache / "big.db"
    url = f"sqlite:///{big}"
    if not big.exists():
        secs = build(url, 100_000, (17, 23))
        print(f"built SQLite dataset in {secs:.0f} s", file=sys.stderr)
    docs = count_docs(url)
    ms = aging_query_ms(url, use_cache=False)
    results.append((f"aging without the cache, SQLite, 100k customers / {docs:,} documents", f"{med(ms):.0f} ms (min {min(ms):.0f})", ""))
    env = dict(os.environ, ARTERM_DATABASE_URL=url)
    w = wall([ARTERM, "balance", "C000777", "--json"], env)
    results.append(("arterm balance C000777 --json (SQLite, wall)", f"{med(w):.2f} s", "< 0.5 s"))
    w = wall([ARTERM, "balance", "ferreteria azteca", "--json"], env)
    results.append(("arterm balance 'ferreteria azteca' --json (SQLite, wall, many matches)", f"{med(w):.2f} s", "< 0.5 s"))
    results += [(f"aging, SQLite, {name}", value, "< 250 ms") for name, value in aging_cache_states(url)]
    w = wall([ARTERM, "balance", "azteca sa"], env)
    results.append(("arterm balance 'azteca sa' (SQLite, wall, 1,061 matches, table)", f"{med(w):.2f} s", ""))
    for fmt in ("table", "csv", "json"):
        w = wall([ARTERM, "aging", "--format", fmt], env, runs=3)
        results.append((f"arterm aging --format {fmt} (SQLite, wall, 104,727 rows, piped)", f"{med(w):.2f} s", ""))

    if args.pg:
        import sqlalchemy as sa

        from arterm.db.engine import normalize_url

        admin = sa.create_engine(normalize_url(args.pg), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.exec_driver_sql("SELECT 1 FROM information_schema.schemata WHERE schema_name='bench'").first()
            if not exists:
                conn.exec_driver_sql("CREATE SCHEMA bench")
        sep = "&" if "?" in args.pg else "?"
        pg_url = f"{args.pg}{sep}options=-csearch_path%3Dbench,public"
        if not exists:
            secs = build(pg_url, 100_000, (17, 23))
            print(f"built PostgreSQL dataset in {secs:.0f} s", file=sys.stderr)
        docs = count_docs(pg_url)
        ms = aging_query_ms(pg_url, use_cache=False)
        results.append((f"aging without the cache, PostgreSQL, 100k customers / {docs:,} documents", f"{med(ms):.0f} ms (min {min(ms):.0f})", ""))
        env = dict(os.environ, ARTERM_DATABASE_URL=pg_url)
        w = wall([ARTERM, "balance", "C000777", "--json"], env)
        results.append(("arterm balance C000777 --json (PostgreSQL, wall)", f"{med(w):.2f} s", "< 0.5 s"))
        results += [(f"aging, PostgreSQL, {name}", value, "< 500 ms") for name, value in aging_cache_states(pg_url)]

    width = max(len(r[0]) for r in results)
    print(f"{'measure':<{width}}  {'result':>22}  target")
    for name, value, target in results:
        print(f"{name:<{width}}  {value:>22}  {target}")


if __name__ == "__main__":
    main()
