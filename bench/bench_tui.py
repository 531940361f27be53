"""Benchmark: the terminal workbench on 100,000 customers (customers screen, profile, cold start).

Run:  .venv/bin/python bench/bench_tui.py [--customers 100000] [--db PATH] [--cold-runs 5]

The database is built once with ``arterm.demo.generate_demo`` (bulk path, business date
2026-11-28, seed 1) and cached under /tmp/arterm-bench/ (the file name carries a fingerprint of the
migrations and the demo generator, so a schema change builds a new one).

What is measured (all with the real ``ArtermApp`` and screens, on the real SQLite file):

* keystroke -> repaint: a key event posted to the app while the search box has focus (one more
  character of a name, RFC, code or phone being typed, 150 ms after the previous one) until the
  first frame composed after the table applied the new count + first page. "broad" queries match
  more than 1,000 customers, "narrow" ones fewer. Headless (``App.run_test``): the frame is
  composed (every widget line rendered) but not written to a terminal.
* page-down: ``pagedown`` key until the next frame showing the new window (includes waiting for
  Textual's frame clock), and the work alone (action + rendering the whole window).
* profile open: Enter on a highlighted customer until the profile's header shows its data
  (``CustomerScreen``: name, balances) and until the first frame after that. 21 customers one
  after the other; the first builds the profile screen and is reported apart, the next 20 reuse
  it (the screen is kept after it closes: ``screens/customer.py`` ``open_profile``).
* cold start: the real ``arterm`` entry point in a subprocess under a pseudo-terminal (120x40,
  TERM=xterm-256color). Time from spawning the process to the first output containing the screen
  (first paint: the "Clientes" title) and to the output containing "100,000 clientes" (the count,
  painted together with the first page of rows). The child then pages down, searches and sorts by
  overdue before quitting; its peak RSS (``VmHWM`` from /proc just before quitting) is the memory
  figure.

Targets: keystroke < 35 ms median, page-down < 16 ms median, profile open < 100 ms median,
first paint < 300 ms, data < 600 ms, peak memory < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import os
import pty
import re
import resource
import select
import shutil
import statistics
import struct
import sys
import termios
import time
from datetime import date
from pathlib import Path
from typing import Any

from _bytecode import prepare

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TODAY = date(2026, 11, 28)
SIZE = (120, 40)
CACHE = Path("/tmp/arterm-bench")

# Typed one character at a time (each prefix is one keystroke), then the box is cleared.
WORDS = ["garcia", "lopez", "ferreteria", "abarrotes maya", "c00123", "55 12", "peña", "mart", "xaxx01",
         "hernandez", "sa de cv", "ramirez"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ------------------------------------------------------------------------------------- database
def fingerprint() -> str:
    digest = hashlib.sha1()
    sources = sorted((ROOT / "src/arterm/db/migrations/versions").glob("*.py")) + [
        ROOT / "src/arterm/demo/generate.py", ROOT / "src/arterm/demo/names.py"]
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def ensure_db(customers: int, explicit: Path | None) -> Path:
    path = explicit or CACHE / f"tui-{customers}-{fingerprint()}.db"
    if path.exists():
        return path
    from arterm.db.engine import Database
    from arterm.demo import generate_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".building")
    for stale in partial.parent.glob(partial.name + "*"):
        stale.unlink()
    started = time.perf_counter()
    db = Database(f"sqlite:///{partial}")
    stats = generate_demo(db, customers=customers, today=TODAY, current_operator="tester",
                          progress=lambda done, total: print(f"\r  building {done:,}/{total:,}", end="", flush=True))
    db.dispose()
    print(f"\nbuilt {stats.customers:,} customers, {stats.documents:,} documents in "
          f"{time.perf_counter() - started:.0f} s -> {path}")
    with __import__("sqlite3").connect(partial) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.move(partial, path)
    return path


# ------------------------------------------------------------------------------------ in-process
async def run_headless(path: Path) -> dict[str, list[float]]:
    """Wall and CPU time (``process_time``: every thread of this process) per interaction.

    Waiting is driven by frames: the app's frame hook wakes the benchmark, which then checks
    whether the frame just composed shows what it waits for (no busy polling competing with the
    app for the GIL).
    """
    import arterm.tui  # noqa: F401  - first, as in the app: it sets Textual's frame cap (TEXTUAL_FPS)

    # isort: split
    from textual import events
    from textual.geometry import Region

    from arterm.config import Settings, UiSettings
    from arterm.db.engine import Database
    from arterm.tui.app import ArtermApp
    from arterm.tui.screens.customer import CustomerScreen

    marks: dict[str, float] = {}
    header_original = CustomerScreen._show_header

    def show_header(self: Any, *args: Any) -> None:
        header_original(self, *args)
        marks["header"] = time.perf_counter()

    CustomerScreen._show_header = show_header  # type: ignore[method-assign]

    db = Database(f"sqlite:///{path}")
    results: dict[str, list[float]] = {}
    app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url=db.url, operator="tester", database=db,
                    today=TODAY)
    display = app._display
    frame = asyncio.Event()
    last_frame = [0.0, 0.0]  # wall, cpu

    def record_frame(screen: Any, renderable: Any) -> None:  # every composed frame
        display(screen, renderable)
        if renderable is not None:
            last_frame[:] = [time.perf_counter(), time.process_time()]
            frame.set()

    app._display = record_frame  # type: ignore[method-assign]

    async def frame_when(predicate: Any, timeout: float = 30.0) -> tuple[float, float]:
        """Wall/CPU time of the first frame after which ``predicate()`` holds."""
        deadline = time.perf_counter() + timeout
        while True:
            frame.clear()
            try:
                await asyncio.wait_for(frame.wait(), max(0.001, deadline - time.perf_counter()))
            except TimeoutError:
                raise TimeoutError("benchmark step timed out") from None
            if predicate():
                return last_frame[0], last_frame[1]

    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        table = screen.table
        await frame_when(lambda: table.row_count > 0 and not screen.query_pending)
        await pilot.pause(0.3)

        # ---- keystrokes
        wall: dict[str, list[float]] = {"broad": [], "narrow": []}
        cpu: list[float] = []
        applied: list[float] = []
        exact: list[float] = []
        counts: list[int] = []
        for word in WORDS:
            screen.search.value = ""
            await frame_when(lambda: not screen.query_pending and table.provider.query.text == "")
            await pilot.pause(0.2)
            for end in range(1, len(word) + 1):
                typed = word[:end]
                await asyncio.sleep(0.15)  # a person typing
                started, started_cpu = time.perf_counter(), time.process_time()
                char = typed[-1]
                app.post_message(events.Key("space" if char == " " else char, char))
                painted, painted_cpu = await frame_when(
                    lambda: screen.loaded_at > started and table.provider.query.text == typed
                    and not screen.query_pending)
                kind = "broad" if table.row_count > 1000 else "narrow"
                wall[kind].append(painted - started)
                cpu.append(painted_cpu - started_cpu)
                applied.append(screen.loaded_at - started)
                provider = table.provider
                if provider.estimated is not None:  # rows shown with an estimate: the exact count follows
                    exact_at, _ = await frame_when(lambda: provider.exact is not None and not table.is_loading
                                                   and table.row_count == provider.exact)
                    exact.append(exact_at - started)
                counts.append(table.row_count)
        results["keystroke -> repaint (broad, >1,000 matches)"] = wall["broad"]
        results["keystroke -> repaint (narrow)"] = wall["narrow"]
        results["keystroke -> repaint (all)"] = wall["broad"] + wall["narrow"]
        results["  CPU time per keystroke (all threads)"] = cpu
        results["  key -> rows applied (before the frame)"] = applied
        results["  key -> exact count shown (when first estimated)"] = exact
        print(f"keystrokes: {len(counts)}, matches per keystroke from {min(counts):,} to {max(counts):,}")

        # ---- page-down over the whole list (name order), from the search box
        screen.search.value = ""
        await frame_when(lambda: not screen.query_pending and table.row_count > 1000)
        await pilot.pause(0.3)
        e2e: list[float] = []
        e2e_cpu: list[float] = []
        misses = 0
        for _ in range(40):
            await asyncio.sleep(0.05)  # key repeat; prefetch runs in between
            top = table.scroll_offset.y
            started, started_cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key("pagedown", None))
            painted, painted_cpu = await frame_when(lambda: table.scroll_offset.y != top)
            e2e.append(painted - started)
            e2e_cpu.append(painted_cpu - started_cpu)
            misses += table.get_cached_row(table.scroll_offset.y) is None
        results["page-down e2e (key -> next frame)"] = e2e
        results["  CPU time per page-down"] = e2e_cpu
        width, height = table.scrollable_content_region.size
        work: list[float] = []
        for _ in range(40):
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            table.action_page_down()
            table.render_lines(Region(0, 0, width, height + 1))
            work.append(time.perf_counter() - started)
            misses += table.get_cached_row(table.cursor_row) is None
        results["page-down work (action + render window)"] = work
        print(f"page-down landed on rows not loaded yet: {misses} of 80")

        # ---- profile open: Enter on the highlighted row of a search
        header: list[float] = []
        header_frame: list[float] = []
        header_cpu: list[float] = []
        for word in ("garcia", "ferreteria", "lopez", "maya", "hernandez", "sa de cv", "peña", "ramirez",
                     "mart", "xaxx", "gomez", "servicios", "torres", "flores", "c00777", "cruz", "reyes", "moreno",
                     "morales", "jimenez", "diaz"):
            screen.search.value = word
            await frame_when(lambda: not screen.query_pending and table.provider.query.text == word)
            await pilot.pause(0.2)
            marks.pop("header", None)
            started, started_cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key("enter", None))
            painted, painted_cpu = await frame_when(lambda: "header" in marks)
            header.append(marks["header"] - started)
            header_frame.append(painted - started)
            header_cpu.append(painted_cpu - started_cpu)
            await pilot.pause(0.3)
            await app.workers.wait_for_complete()
            app.pop_screen()
            await frame_when(lambda: app.screen is screen and not screen.query_pending)
            await pilot.pause(0.2)
        # The first profile of a session builds the screen; later ones reuse it (kept screen).
        results["first profile of the session: Enter -> header painted (frame)"] = header_frame[:1]
        results["profile open: Enter -> header data applied"] = header[1:]
        results["profile open: Enter -> header painted (frame)"] = header_frame[1:]
        results["  CPU time per profile open"] = header_cpu[1:]
    db.dispose()
    results["bench process peak RSS (headless app; MB)"] = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
    return results


# ------------------------------------------------------------------------------- cold start (pty)
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b.")


def cold_start(path: Path, exercise: bool, *, kept_frame: bool = True, prefetch: bool = True) -> dict[str, float]:
    """Spawn ``arterm`` on a pty; seconds to first paint and to data; peak RSS in MB.

    ``kept_frame``: with the first frame the previous start kept (``arterm.launch``; the first
    run of a bench keeps it); otherwise ``ARTERM_NO_FIRST_FRAME=1``. ``app_paint``: when the
    title was written a second time, by the app itself, after the kept frame (or the first time,
    without one). ``prefetch``: the first page read by a forked child (``arterm.prefetch``);
    otherwise ``ARTERM_NO_PREFETCH=1``."""
    env = {**os.environ, "ARTERM_DATABASE_URL": f"sqlite:///{path}", "LANG": "es_MX.UTF-8", "TERM": "xterm-256color",
           "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1]), "USER": "tester", "ARTERM_OPERATOR": "tester",
           "ARTERM_CONFIG": str(CACHE / "empty-config.toml"), "XDG_CACHE_HOME": str(CACHE / "xdg-cache")}
    if not kept_frame:
        env["ARTERM_NO_FIRST_FRAME"] = "1"
    if not prefetch:
        env["ARTERM_NO_PREFETCH"] = "1"
    if not (CACHE / "empty-config.toml").exists():  # not rewritten: a kept first frame depends on it
        (CACHE / "empty-config.toml").write_text("", encoding="utf-8")
    entry = shutil.which("arterm", path=str(Path(sys.executable).parent)) or "arterm"
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:  # the size first: arterm reads it at once (the kept first frame is kept per size)
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.execve(entry, [entry], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    raw = b""
    first_paint = data = app_paint = None
    shown_kept = False
    cpu: dict[str, float] = {}
    deadline = started + 60
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:  # user + system time of the child so far (all its threads)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            return float("nan")

    def pump(until: float) -> None:
        nonlocal raw, first_paint, data, app_paint, shown_kept
        while time.perf_counter() < until:
            ready, _, _ = select.select([fd], [], [], 0.01)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            raw += chunk
            now = time.perf_counter()
            plain = ANSI.sub(b"", raw).decode("utf-8", "replace")
            if first_paint is None and "Clientes" in plain:
                first_paint = now - started
                cpu["first_paint"] = cpu_seconds()
                # the kept frame is written before the app switches the mouse on; the app's is not
                shown_kept = b"\x1b[?1000h" not in raw.split(b"Clientes", 1)[0]
            if app_paint is None and plain.count("Clientes") >= (2 if shown_kept else 1):
                app_paint = now - started
            if data is None and "100,000 clientes" in plain:
                data = now - started
                cpu["data"] = cpu_seconds()

    while time.perf_counter() < deadline and data is None:
        pump(time.perf_counter() + 0.05)
    if exercise and data is not None:  # use it a little before measuring memory
        for keys in (b"\x1b[6~" * 20, b"garcia", b"\x13\x13", b"\x1b[6~" * 10, b"\x0f", b"\x7f" * 6):
            os.write(fd, keys)
            pump(time.perf_counter() + 1.5)
    peak_kb = float("nan")
    try:  # VmHWM: peak RSS of the arterm image (reset at exec; rusage would count the forked bench)
        status = Path(f"/proc/{pid}/status").read_text()
        peak_kb = float(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    except (OSError, StopIteration):
        pass
    os.write(fd, b"\x11")  # ctrl+q
    pump(time.perf_counter() + 3)
    _, status, _usage = os.wait4(pid, 0)
    os.close(fd)
    return {"first_paint": first_paint or float("nan"), "data": data or float("nan"),
            "app_paint": app_paint or float("nan"), "kept": shown_kept,
            "first_paint_cpu": cpu.get("first_paint", float("nan")), "data_cpu": cpu.get("data", float("nan")),
            "rss_mb": peak_kb / 1024, "status": status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="use (or build) this database file")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--skip-headless", action="store_true")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not compile src/ first (measure whatever bytecode is there; see _bytecode.py)")
    args = parser.parse_args()
    print(prepare(compile_src=not args.no_compile))

    path = ensure_db(args.customers, args.db)
    print(f"database: {path} ({path.stat().st_size / 1e6:,.0f} MB); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")

    rows: list[tuple[str, list[float], float | None, str]] = []
    if not args.skip_headless:
        results = asyncio.run(run_headless(path))
        targets = {"keystroke -> repaint (all)": 35, "page-down e2e (key -> next frame)": 16,
                   "page-down work (action + render window)": 16, "profile open: Enter -> header painted (frame)": 100}
        for name, values in results.items():
            unit = "MB" if "MB" in name else "ms"
            scale = 1 if unit == "MB" else 1000
            rows.append((name, [v * scale for v in values], targets.get(name), unit))

    # The first runs keep their first frames (one per environment: ARTERM_NO_PREFETCH is part of
    # the start context); then runs with and without the kept frame, and without the first page
    # read ahead (arterm.prefetch), interleaved.
    shutil.rmtree(CACHE / "xdg-cache", ignore_errors=True)
    cold = [cold_start(path, exercise=run == 0) for run in range(min(1, args.cold_runs))]
    if cold:
        cold_start(path, exercise=False, prefetch=False)
    kept: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    unread: list[dict[str, float]] = []
    for _ in range(args.cold_runs):
        kept.append(cold_start(path, exercise=False))
        plain.append(cold_start(path, exercise=False, kept_frame=False))
        unread.append(cold_start(path, exercise=False, prefetch=False))
    if cold:  # --cold-runs 0: headless measures only
        if not all(c["kept"] for c in kept + unread) or any(c["kept"] for c in plain):
            print("note: the kept first frame was not shown in every run meant to show it (or shown when off)")
        for label, runs in (("kept first frame", kept), ("no kept frame", plain),
                            ("kept frame, no read-ahead", unread)):
            rows.append((f"cold start ({label}): spawn -> first paint", [c["first_paint"] * 1000 for c in runs],
                         300, "ms"))
            rows.append(("  CPU time of the process until then", [c["first_paint_cpu"] * 1000 for c in runs], None,
                         "ms"))
            if label != "no kept frame":
                rows.append(("  -> the app's own first paint", [c["app_paint"] * 1000 for c in runs], None, "ms"))
            rows.append((f"cold start ({label}): spawn -> 100,000 on screen", [c["data"] * 1000 for c in runs],
                         600, "ms"))
            rows.append(("  CPU time of the process until then", [c["data_cpu"] * 1000 for c in runs], None, "ms"))
        rows.append(("peak RSS of arterm (100k, after paging/search/sort)", [cold[0]["rss_mb"]], 150, "MB"))

    print(f"\n{'measure':<56} {'n':>3} {'median':>9} {'p95':>9} {'target':>8}")
    for name, values, target, unit in rows:
        median, p95 = statistics.median(values), percentile(values, 0.95)
        mark = "" if target is None else (" ok" if median < target else " MISS")
        goal = "" if target is None else f"< {target}"
        print(f"{name:<56} {len(values):>3} {median:>7.1f}{unit:>2} {p95:>7.1f}{unit:>2} {goal:>8}{mark}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
