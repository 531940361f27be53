"""Benchmark: how many CFDI files per second ``parse_cfdi_file`` handles in one process.

Usage::

    python bench/bench_cfdi_parse.py [--files 5000] [--seed 7] [--rounds 5]

Generates the files with ``arterm.cfdi.generate.generate_set`` (a realistic mix of invoices, REPs,
credit notes) into a temporary directory, then times parsing them all (open + read + parse +
dataclasses). Prints the best of ``--rounds`` runs, as wall-clock and as CPU time of this process
(the second is the fairer number on a shared machine where other jobs steal the CPU).
Not a pytest test.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from arterm.cfdi import parse_cfdi, parse_cfdi_file
    from arterm.cfdi.generate import generate_set
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from arterm.cfdi import parse_cfdi, parse_cfdi_file
    from arterm.cfdi.generate import generate_set


def timed(parse: Callable[[Any], object], inputs: list[Any], rounds: int) -> tuple[float, float]:
    """Best (wall seconds, CPU seconds) of ``rounds`` runs of ``parse`` over ``inputs``.

    Results are dropped as they come, as an importer would after storing them.
    """
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        for item in inputs:
            parse(item)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    files: list[tuple[str, bytes]] = []
    n_invoices = max(10, args.files // 2)
    while len(files) < args.files:
        files = generate_set(args.seed, n_invoices)
        n_invoices *= 2
    files = files[: args.files]
    gen_s = time.perf_counter() - t0
    kinds = Counter(name[0] for name, _ in files)
    size = sum(len(data) for _, data in files)

    with tempfile.TemporaryDirectory(prefix="arterm-bench-cfdi-") as tmp:
        paths = []
        for name, data in files:
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(str(path))

        best_file = timed(parse_cfdi_file, paths, args.rounds)
        best_mem = timed(parse_cfdi, [data for _, data in files], args.rounds)

    # Real signed files are bigger (Sello, Certificado, SelloSAT: ~5 KiB): time the valid
    # samples shipped with the tests too, repeated up to the same count.
    samples_dir = Path(__file__).resolve().parents[1] / "tests" / "data" / "cfdi"
    real: list[bytes] = []
    for path in sorted(samples_dir.glob("*.xml")):
        data = path.read_bytes()
        try:
            parse_cfdi(data)
        except Exception:  # the deliberately broken sample
            continue
        real.append(data)
    real = (real * (args.files // max(1, len(real)) + 1))[: args.files]
    best_real = timed(parse_cfdi, real, args.rounds) if real else (0.0, 0.0)

    n = len(files)

    def rate(label: str, best: tuple[float, float], count: int) -> None:
        wall, cpu = best
        print(f"{label}: {count / wall:,.0f} files/s wall ({wall * 1e6 / count:.1f} us/file), "
              f"{count / cpu:,.0f} files/s CPU ({cpu * 1e6 / count:.1f} us/file)")

    print(f"generated {n} files ({size / n / 1024:.1f} KiB avg; "
          f"{kinds['A']} invoices, {kinds['P']} REPs, {kinds['N']} credit notes) in {gen_s:.2f}s")
    rate(f"parse_cfdi_file (best of {args.rounds})", best_file, n)
    rate("parse_cfdi (bytes already in memory)", best_mem, n)
    if real:
        avg = sum(len(d) for d in real) / len(real) / 1024
        rate(f"parse_cfdi on the real signed samples ({avg:.1f} KiB avg)", best_real, len(real))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
