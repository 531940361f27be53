"""Benchmark: VirtualTable over a 100,000-row SQLite table.

Run:  .venv/bin/python bench/bench_virtual_table.py [--rows 100000] [--keep-db PATH]

Measures, headless (`App.run_test`), on a real SQLite file with a normalized search column:

* first paint     - from creating the app until the first rows are painted;
* keystroke       - `set_provider(new search)` until `Loaded` is handled (count + first page
                    applied) and until those rows are painted, for one-character (broad) and
                    longer (narrow) searches; the SQL time alone is shown for comparison;
* page-down       - the widget's own work for a page-down on a cached page: key action +
                    rendering every line of the new window (what a frame costs);
* page-down e2e   - a `pagedown` key event until the new window is painted. This includes
                    waiting for Textual's next frame (a 60 Hz refresh timer), so ~8 ms of it is
                    the frame clock, not work.

Targets: keystroke-to-table < 35 ms median, page-down < 16 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip

from arterm.tui.widgets import Column, VirtualTable

SIZE = (120, 40)

FIRST = """María José Juan Luis Ana Carlos Sofía Miguel Lucía Jorge Fernanda Ricardo Valeria Andrés
Daniela Héctor Paola Raúl Mónica Óscar Adriana Tomás Gabriela Iván Natalia Ángel Rocío Pablo
Leticia Ernesto Beatriz Ramón Alejandra Víctor Claudia Julián Patricia Efraín Verónica Rubén""".split()
LAST = """García Hernández Martínez López González Pérez Rodríguez Sánchez Ramírez Cruz Flores Gómez
Morales Vázquez Reyes Jiménez Torres Díaz Gutiérrez Ruiz Mendoza Aguilar Ortiz Moreno Castillo
Romero Álvarez Méndez Chávez Rivera Juárez Ramos Domínguez Herrera Medina Castro Vargas Guzmán
Velázquez Muñoz Rojas Contreras Salazar Luna Ortega Santiago Guerrero Estrada Bautista Ibáñez
Núñez Peña Cortés Cabrera Ríos Fuentes Acosta Espinoza Navarro Campos Sandoval Ávila""".split()
TRADE = """Comercializadora Distribuidora Servicios Grupo Transportes Constructora Abarrotes
Farmacia Ferretería Papelería Refaccionaria Textiles Alimentos Maderas Aceros Plásticos
Consultores Logística Agrícola Médica""".split()
PLACE = """del Norte del Bajío de Occidente del Golfo del Pacífico de Oriente del Centro Peninsular
Fronteriza Tapatía Regiomontana Poblana Queretana Jarocha Sonorense""".split(" ")


def normalize(text: str) -> str:
    """Lower case, accents removed: what the search box compares against."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def build_db(path: Path, rows: int) -> None:
    rng = random.Random(20240601)
    records = []
    for customer_id in range(1, rows + 1):
        if rng.random() < 0.6:
            name = f"{rng.choice(LAST)} {rng.choice(LAST)} {rng.choice(FIRST)}"
            rfc = f"{normalize(name)[:4].upper():X<4}{rng.randrange(600101, 991231)}{rng.randrange(100, 999)}"
        else:
            name = f"{rng.choice(TRADE)} {rng.choice(PLACE).strip()} SA de CV"
            rfc = f"{normalize(name)[:3].upper():X<3}{rng.randrange(600101, 991231)}{rng.randrange(100, 999)}"
        balance = rng.randrange(0, 50_000_000)
        records.append((customer_id, name, rfc, balance, normalize(f"{name} {rfc}")))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, rfc TEXT NOT NULL,"
            " balance_cents INTEGER NOT NULL, search TEXT NOT NULL)"
        )
        connection.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?)", records)
        # What the customer search needs to stay fast on 100k rows (a hint for queries/):
        # count(*) scans a narrow covering index instead of the table, and the ordered page is
        # an index-only scan that stops as soon as it has LIMIT matches.
        connection.execute("CREATE INDEX ix_customer_search ON customer (search)")
        connection.execute(
            "CREATE INDEX ix_customer_list ON customer (name, id, search, rfc, balance_cents)"
        )
        connection.execute("ANALYZE")
    connection.close()


_local = threading.local()


class SearchRows:
    """Customers whose normalized name/RFC contains `term`, ordered by name (LIMIT/OFFSET)."""

    sql_times: list[float] = []

    def __init__(self, path: Path, term: str = "") -> None:
        self.path = path
        self.pattern = f"%{normalize(term)}%"

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(_local, "connection", None)
        if connection is None:
            connection = _local.connection = sqlite3.connect(self.path, check_same_thread=False)
        return connection

    def count(self) -> int:
        started = time.perf_counter()
        (total,) = self._connection().execute(
            "SELECT count(*) FROM customer WHERE search LIKE ?", (self.pattern,)
        ).fetchone()
        self.sql_times.append(time.perf_counter() - started)
        return total

    def fetch(self, offset: int, limit: int) -> list[tuple[object, Sequence[str]]]:
        started = time.perf_counter()
        rows = self._connection().execute(
            "SELECT id, name, rfc, balance_cents FROM customer WHERE search LIKE ?"
            " ORDER BY name, id LIMIT ? OFFSET ?",
            (self.pattern, limit, offset),
        ).fetchall()
        self.sql_times.append(time.perf_counter() - started)
        return [
            (customer_id, (str(customer_id), name, rfc, f"{cents / 100:,.2f}"))
            for customer_id, name, rfc, cents in rows
        ]


COLUMNS = [
    Column("id", "ID", 7, "right"),
    Column("name", "Nombre / razón social", 40),
    Column("rfc", "RFC", 13),
    Column("balance", "Saldo", 14, "right"),
]


class BenchTable(VirtualTable):
    """Records when a frame that shows real rows is painted."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.painted_at = 0.0

    def render_lines(self, crop: Region) -> list[Strip]:
        strips = super().render_lines(crop)
        top = self.scroll_offset.y
        if self.row_count and self.get_cached_row(top) is not None:
            self.painted_at = time.perf_counter()
        return strips


class BenchApp(App[None]):
    def __init__(self, provider: SearchRows) -> None:
        super().__init__()
        self.provider = provider
        self.loaded = asyncio.Event()
        self.loaded_at = 0.0

    def compose(self) -> ComposeResult:
        yield BenchTable(COLUMNS, self.provider)

    def on_mount(self) -> None:
        self.query_one(BenchTable).focus()

    def on_virtual_table_loaded(self, message: VirtualTable.Loaded) -> None:
        self.loaded_at = time.perf_counter()
        self.loaded.set()


async def wait_painted_after(table: BenchTable, since: float, timeout: float = 5.0) -> float:
    deadline = time.perf_counter() + timeout
    while table.painted_at <= since:
        if time.perf_counter() > deadline:
            raise TimeoutError("never painted")
        await asyncio.sleep(0.0005)  # let the app's own frame timer paint
    return table.painted_at


KEYSTROKES = [
    "g", "ga", "gar", "garc", "garci", "garcia",
    "m", "ma", "mar", "mart", "marti", "martin",
    "s", "sa", "san", "sanc", "sanch", "sanche",
    "l", "lo", "lop", "lope", "lopez",
    "f", "fe", "fer", "ferr", "ferre",
    "n", "nu", "nun", "nune", "nunez",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(path: Path) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    created = time.perf_counter()
    app = BenchApp(SearchRows(path))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(BenchTable)
        painted = await wait_painted_after(table, created)
        results["first paint (app start -> rows painted)"] = [painted - created]
        await app.workers.wait_for_complete()

        loaded: dict[str, list[float]] = {"broad": [], "narrow": []}
        painted_times: dict[str, list[float]] = {"broad": [], "narrow": []}
        sql: list[float] = []
        overhead: list[float] = []
        counts: list[int] = []
        for term in KEYSTROKES:
            kind = "broad" if len(term) == 1 else "narrow"
            await asyncio.sleep(0.05)  # the debounce between keystrokes
            SearchRows.sql_times.clear()
            app.loaded.clear()
            started = time.perf_counter()
            table.set_provider(SearchRows(path, term))
            await asyncio.wait_for(app.loaded.wait(), 10)
            loaded[kind].append(app.loaded_at - started)
            overhead.append(app.loaded_at - started)
            painted_times[kind].append(await wait_painted_after(table, app.loaded_at) - started)
            sql.append(sum(SearchRows.sql_times[:2]))  # count + first page
            counts.append(table.row_count)
        for kind in ("broad", "narrow"):
            results[f"keystroke -> Loaded ({kind})"] = loaded[kind]
            results[f"keystroke -> painted ({kind})"] = painted_times[kind]
        results["keystroke -> Loaded (all)"] = loaded["broad"] + loaded["narrow"]
        results["keystroke -> painted (all)"] = painted_times["broad"] + painted_times["narrow"]
        results["  of which SQL count + page"] = sql
        results["  widget overhead (Loaded - SQL)"] = [a - b for a, b in zip(overhead, sql)]
        print(f"matches per keystroke: min {min(counts):,}  max {max(counts):,}")

        # Page-down over a broad search, cached pages (prefetch has time to run between keys).
        app.loaded.clear()
        table.set_provider(SearchRows(path, "a"))
        await asyncio.wait_for(app.loaded.wait(), 10)
        await app.workers.wait_for_complete()
        width, height = table.scrollable_content_region.size
        work: list[float] = []
        misses = 0
        for _ in range(40):
            await asyncio.sleep(0.03)  # ~33 key repeats per second
            await app.workers.wait_for_complete()
            started = time.perf_counter()
            table.action_page_down()
            table.render_lines(Region(0, 0, width, height))
            work.append(time.perf_counter() - started)
            misses += table.get_cached_row(table.cursor_row) is None
        results["page-down (action + render window)"] = work

        end_to_end: list[float] = []
        for _ in range(40):
            await asyncio.sleep(0.03)
            await app.workers.wait_for_complete()
            started = time.perf_counter()
            app.post_message(events.Key("pagedown", None))
            end_to_end.append(await wait_painted_after(table, started) - started)
            misses += table.get_cached_row(table.cursor_row) is None
        results["page-down e2e (key -> painted, incl. frame clock)"] = end_to_end
        print(f"page-down landed on a row not yet loaded: {misses} of 80")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep-db", type=Path, help="build (or reuse) the database here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep_db or Path(scratch) / "bench.sqlite"
        if not path.exists():
            started = time.perf_counter()
            build_db(path, args.rows)
            print(f"built {args.rows:,} customers in {time.perf_counter() - started:.1f} s -> {path}")
        results = asyncio.run(run(path))

    print(f"\n{'measure':<52} {'n':>3} {'median ms':>10} {'p95 ms':>8}")
    for name, values in results.items():
        median = statistics.median(values) * 1000
        p95 = percentile(values, 0.95) * 1000
        print(f"{name:<52} {len(values):>3} {median:>10.1f} {p95:>8.1f}")
    print("\ntargets: keystroke -> table < 35 ms median; page-down < 16 ms median")


if __name__ == "__main__":
    main()
