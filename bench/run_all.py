"""``make bench``: every benchmark in turn, with its defaults (builds and caches the 100k datasets
under /tmp/arterm-bench on the first run; that takes a few minutes). Pass ``--pg URL`` to add the
PostgreSQL measures of the ledger and CFDI import benchmarks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_ledger.py", "bench_tui.py", "bench_virtual_table.py", "bench_cfdi_parse.py", "bench_cfdi_import.py"]
TAKES_PG = {"bench_ledger.py", "bench_cfdi_import.py"}


def main() -> int:
    pg = sys.argv[1:3] if sys.argv[1:2] == ["--pg"] else []
    failed = []
    for name in BENCHES:
        print(f"\n=== {name}", flush=True)
        code = subprocess.call([sys.executable, str(HERE / name), *(pg if name in TAKES_PG else [])])
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
