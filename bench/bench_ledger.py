"""Ledger benchmarks at scale (issue: ledger core, item 9).

Builds (once, cached under --cache) a dataset of 100,000 customers and ~2,000,000 documents with
the demo generator, on SQLite and optionally PostgreSQL, then measures:
  - `arterm demo --customers 100000` build time with the default mix (target < 120 s);
  - aging over every customer as of today: query time (target < 250 ms SQLite, 500 ms PostgreSQL);
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


def aging_query_ms(url: str, runs: int = 7) -> list[float]:
    from arterm.db.engine import Database
    from arterm.queries.balances import aging_totals

    db = Database(url)
    out = []
    for _ in range(runs):
        with db.read() as s:
            t = time.perf_counter()
            aging_totals(s, as_of=date.today())
            out.append((time.perf_counter() - t) * 1000)
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
    args = ap.parse_args()
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
    ms = aging_query_ms(url)
    results.append((f"aging query, SQLite, 100k customers / {docs:,} documents", f"{med(ms):.0f} ms (min {min(ms):.0f})", "< 250 ms"))
    env = dict(os.environ, ARTERM_DATABASE_URL=url)
    w = wall([ARTERM, "balance", "C000777", "--json"], env)
    results.append(("arterm balance C000777 --json (SQLite, wall)", f"{med(w):.2f} s", "< 0.5 s"))
    w = wall([ARTERM, "balance", "ferreteria azteca", "--json"], env)
    results.append(("arterm balance 'ferreteria azteca' --json (SQLite, wall, many matches)", f"{med(w):.2f} s", "< 0.5 s"))
    w = wall([ARTERM, "aging", "--format", "csv"], env, runs=3)
    results.append(("arterm aging --format csv (SQLite, wall)", f"{med(w):.2f} s", ""))

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
        ms = aging_query_ms(pg_url)
        results.append((f"aging query, PostgreSQL, 100k customers / {docs:,} documents", f"{med(ms):.0f} ms (min {min(ms):.0f})", "< 500 ms"))
        env = dict(os.environ, ARTERM_DATABASE_URL=pg_url)
        w = wall([ARTERM, "balance", "C000777", "--json"], env)
        results.append(("arterm balance C000777 --json (PostgreSQL, wall)", f"{med(w):.2f} s", "< 0.5 s"))

    width = max(len(r[0]) for r in results)
    print(f"{'measure':<{width}}  {'result':>22}  target")
    for name, value, target in results:
        print(f"{name:<{width}}  {value:>22}  {target}")


if __name__ == "__main__":
    main()
