"""The ``arterm`` command line.

Heavy modules (SQLAlchemy/SQLModel, Textual) are imported inside the commands that need them, so
``arterm --help`` and ``arterm config show`` start instantly.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .config import ConfigError, Settings, load_settings
from .domain.text import json_text

if TYPE_CHECKING:
    from .db.engine import Database


@dataclass
class Context:
    config_path: str | None
    db_url: str | None
    operator: str | None
    _settings: Settings | None = None
    _db: Any = field(default=None)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                fail(f"configuration: {exc}")
        return self._settings

    @property
    def url(self) -> str:
        return self.db_url or self.settings.effective_database_url()

    @property
    def actor(self) -> str:
        return self.operator or self.settings.current_operator()

    def db(self, *, create: bool = False) -> Database:
        """The database, opened once. A SQLite file that does not exist is refused (a mistyped
        ``--db`` path must not become a new, empty ledger) unless ``create``: the commands that
        add data to a new ledger (customer add, import, demo, operator add; db upgrade)."""
        if self._db is None:
            from .db.engine import DatabaseError, open_database
            from .db.migrate import SchemaError

            try:
                self._db = open_database(self.url, create=create)
            except (DatabaseError, SchemaError) as exc:
                fail(str(exc))
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def safe_text(value: str, style: str = "", **kw: Any) -> Any:
    """Untrusted text (a name, a note, a path) for a Rich renderable: a ``Text`` (never parsed as
    markup) with escape sequences, control characters and bidi overrides neutralised by
    ``domain.text.printable``, so text stored before input was cleaned cannot reverse a line."""
    from rich.text import Text

    from .domain.text import printable

    return Text(printable(value or ""), style=style, **kw)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"arterm: {message}", err=True)
    sys.exit(code)


def keep_numbers_whole(table: Any, measure: Any) -> None:
    """Right-aligned columns (amounts, counts, dates) never wrap or get cut to "70,011.…": they
    get the width of their longest cell, and the text columns (names, RFCs) give way instead."""
    for column in table.columns:
        if column.justify != "right":
            continue
        widths = [measure(cell) for cell in (column.header, *column._cells)]
        column.no_wrap = True
        column.min_width = max([column.min_width or 0, *widths])


def console():  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    class _Console(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
            for obj in objects:
                if isinstance(obj, Table):
                    keep_numbers_whole(obj, lambda cell: self.measure(cell).maximum if cell else 0)
            super().print(*objects, **kwargs)

    # Piped into a file or another program (no terminal, no COLUMNS): wide enough that a report's
    # columns are not squeezed to 80 characters.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
    return _Console(highlight=False, width=width)


def pause_gc() -> None:
    """No cyclic garbage collection for the rest of this (short-lived) command.

    A report builds ~10 objects per customer that all live until it is printed; Python's
    collector walks them again and again as they pile up. At 100k customers that was 35-40% of
    `arterm aging`'s query time (0.74-0.93 s with it, 0.43-0.61 s without). What the report frees
    goes by reference counting as before; the command ends right after.
    """
    import gc

    if not gc.isenabled():
        return
    gc.disable()
    # On again when the command ends: run in-process (tests, an embedding program) it must not
    # leave the caller without a collector.
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(gc.enable)


# The ledger's dates (ledger._base.check_date). A date option outside them is refused here: the
# reports count days back and forward from it, and near date.min/date.max that overflowed
# (`aging --as-of 0001-01-01`, `contracts bill --until 9999-12-31`).
FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2100, 12, 31)


def parse_day(value: str | None, lang: str = "es") -> date | None:
    if value is None:
        return None
    from .domain.errors import DomainError
    from .i18n import parse_date

    try:
        day = parse_date(value, lang)
    except DomainError as exc:
        raise click.BadParameter(str(exc)) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise click.BadParameter(f"{value!r} is out of range ({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})")
    return day


def run_write(ctx: Context, fn, /, *, create: bool = False, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    """Run one ledger command in one transaction, turning domain errors into a clean exit.
    ``create``: the command may create a missing SQLite database (see ``Context.db``)."""
    from .domain.errors import DomainError

    try:
        with ctx.db(create=create).write() as session:
            return fn(session, actor=ctx.actor, **kwargs)
    except DomainError as exc:
        fail(str(exc))


def resolve_customer(ctx: Context, query: str) -> int:
    from .queries.customers import customer_detail, find_customers

    with ctx.db().read() as s:
        ids = find_customers(s, query, limit=11)
        if not ids:
            fail(f"no customer matches {query!r}")
        if len(ids) > 1:
            names = [f"{d.identifier} {d.name}" for d in (customer_detail(s, i) for i in ids[:10])]
            fail(f"{query!r} matches several customers; use the identifier:\n  " + "\n  ".join(names))
        return ids[0]


# Commands defined in the other cli_* modules, imported only when one of them is run (or listed
# by --help): opening the app or running `arterm balance` does not pay for the rest.
# tests/unit/test_cli_lazy.py checks this map against what the modules register.
LAZY_COMMANDS: dict[str, str] = {
    "apply-credit": "cli_ledger", "cancel": "cli_ledger", "credit-note": "cli_ledger", "customer": "cli_ledger",
    "customers": "cli_ledger", "invoice": "cli_ledger", "note": "cli_ledger", "operator": "cli_ledger",
    "pay": "cli_ledger", "show": "cli_ledger",
    "contracts": "cli_contracts",
    "import": "cli_cfdi", "rep": "cli_cfdi",
    "outbox": "cli_mail", "statement": "cli_mail", "statements": "cli_mail",
}


def load_all_commands() -> None:
    for module in sorted(set(LAZY_COMMANDS.values())):
        importlib.import_module(f"{__package__}.{module}")


class LazyGroup(click.Group):
    """The top-level group: imports a command's module the first time the command is asked for."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = LAZY_COMMANDS.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            importlib.import_module(f"{__package__}.{module}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_all_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        """A database failure in any command (a read-only SQLite file, a dropped connection, a
        database that cannot be opened) ends it with arterm's one-line message, not a traceback."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Only modules some command already imported: this keeps `arterm --help` light.
            engine = sys.modules.get(f"{__package__}.db.engine")
            migrate = sys.modules.get(f"{__package__}.db.migrate")
            if engine is not None and isinstance(exc, engine.DatabaseError) or (
                    migrate is not None and isinstance(exc, migrate.SchemaError)):
                fail(str(exc))
            sa_exc = sys.modules.get("sqlalchemy.exc")
            if engine is not None and sa_exc is not None and isinstance(exc, sa_exc.DBAPIError):
                fail(engine.database_error_message(exc))
            raise


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="ARTERM_DATABASE_URL", help="Database URL (sqlite:///path or postgresql://...).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (TOML).")
@click.option("--as", "operator", help="Act as this operator (default: config or $USER).")
@click.version_option(package_name="arterm")
@click.pass_context
def cli(click_ctx: click.Context, db_url: str | None, config_path: str | None, operator: str | None) -> None:
    """arterm: accounts receivable in the terminal."""
    click_ctx.obj = Context(config_path, db_url, operator)
    click_ctx.call_on_close(click_ctx.obj.close)
    if click_ctx.invoked_subcommand is None:
        open_app(click_ctx.obj)


def open_app(ctx: Context, *, keep_first_frame: bool = True) -> None:
    """``keep_first_frame``: the next identical start may show this one's first frame at once
    (``launch``). Only for a plain ``arterm``: a command that does other work first (``demo``
    builds data, asks to confirm a reset) must not sit behind a picture of the app."""
    import gc

    # No garbage collections while Textual and the screens are imported (~30-60 ms of a cold
    # start): the app's IdleCollector turns collection back on once it is running (tui/idle_gc.py).
    gc.disable()
    if keep_first_frame:
        from . import launch

        launch.opening_app(ctx.config_path)
    # The customers screen's first rows are read by a child on the second core while this process
    # imports Textual (~0.3 s sooner on screen; see prefetch.py). Before any import that could start
    # a thread.
    from . import prefetch

    prefetch.start("arterm.tui.providers:read_first_page", ctx.url, ctx.actor, date.today())
    from .tui.app import run_app

    run_app(settings=ctx.settings, url=ctx.url, operator=ctx.actor)


# ---------------------------------------------------------------------------------------------- db
@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(ctx: Context) -> None:
    """Create or upgrade the schema to the latest version."""
    from .db.engine import open_database
    from .db.migrate import HEAD_REVISION, ensure_schema

    database = open_database(ctx.url, upgrade=False)
    before = ensure_schema(database.write_engine)
    click.echo(f"database at revision {HEAD_REVISION}" + (f" (was {before or 'empty'})" if before != HEAD_REVISION else ""))


@db.command("check")
@click.pass_obj
def db_check(ctx: Context) -> None:
    """Verify that every stored balance reconciles with its documents and payments."""
    from .queries.integrity import check_ledger

    with ctx.db().read() as s:
        problems = check_ledger(s)
    for p in problems:
        click.echo(p)
    if problems:
        fail(f"{len(problems)} problem(s) found")
    click.echo("ledger reconciles")


# -------------------------------------------------------------------------------------------- demo
@cli.command()
@click.option("--customers", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--no-tui", is_flag=True, help="Build the data and exit.")
@click.option("--reset", is_flag=True, help="Delete every customer first (asks unless --yes).")
@click.option("--yes", is_flag=True, help="Do not ask before --reset.")
@click.pass_obj
def demo(ctx: Context, customers: int, seed: int, no_tui: bool, reset: bool, yes: bool) -> None:
    """Build a realistic demo database and open the app on it."""
    import sqlalchemy as sa

    from .db import tables
    from .demo import generate_demo

    database = ctx.db(create=True)
    if reset:
        if not yes:
            click.confirm(f"Delete ALL data in {mask(ctx.url)}?", abort=True)
        wipe(database)
    with database.read() as s:
        existing = s.execute(sa.select(sa.func.count()).select_from(tables.customer)).scalar_one()
    if existing:
        click.echo(f"database already has {existing} customers; opening it (use --reset to rebuild)")
    else:
        from rich.progress import Progress

        with Progress(console=console(), transient=True) as progress:
            task = progress.add_task("Building demo data", total=customers)
            stats = generate_demo(database, customers=customers, seed=seed, current_operator=ctx.actor,
                                  progress=lambda done, total: progress.update(task, completed=done))
        click.echo(f"demo: {stats.customers} customers, {stats.documents} documents, {stats.payments} payments, "
                   f"{stats.contracts} contracts in {stats.seconds:.1f} s → {mask(ctx.url)}")
    if not no_tui:
        open_app(ctx, keep_first_frame=False)


def mask(url: str) -> str:
    from .config import mask_url

    return mask_url(url)


def wipe(database: Database) -> None:
    from .db import tables

    with database.write() as s:
        for table in reversed(tables.metadata.sorted_tables):
            s.execute(table.delete())


# ----------------------------------------------------------------------------------------- queries
def _buckets_json(buckets: dict[str, int]) -> dict[str, str]:
    from .domain.money import fmt_cents

    return {k: fmt_cents(v) for k, v in buckets.items()}


def balance_json(b: Any) -> dict[str, Any]:
    from .domain.money import fmt_cents

    return {"identifier": b.identifier, "name": b.name, "rfc": b.rfc, "currency": b.currency,
            "current": fmt_cents(b.current), "overdue": fmt_cents(b.overdue), "total": fmt_cents(b.total),
            "credit": fmt_cents(b.credit), "buckets": _buckets_json(b.buckets)}


@cli.command()
@click.argument("query")
@click.option("--as-of", "as_of", help="Date (DD/MM/YYYY or YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def balance(ctx: Context, query: str, as_of: str | None, as_json: bool) -> None:
    """Balances of every customer matching QUERY (identifier, RFC or name), per currency."""
    pause_gc()
    from .queries.balances import customer_balances
    from .queries.customers import find_customers

    day = parse_day(as_of) or date.today()
    with ctx.db().read() as s:
        ids = find_customers(s, query)
        if not ids:
            fail(f"no customer matches {query!r}")
        rows = customer_balances(s, ids, as_of=day, limits=ctx.settings.aging_buckets, include_zero=True)
    if as_json:
        click.echo(json_text(json.dumps([balance_json(b) for b in rows], ensure_ascii=False, indent=2)))
        return
    from .cli_table import PlainTable, print_table
    from .i18n import fmt_amount

    table = PlainTable(f"Balances as of {day.isoformat()}", (
        ("Identifier", "left"), ("Name", "left"), ("RFC", "left"), ("Cur", "left"),
        ("Current", "right"), ("Overdue", "right"), ("Total", "right"), ("Credit", "right")))
    for b in rows:
        table.add_row((b.identifier, b.name, b.rfc, b.currency, fmt_amount(b.current), fmt_amount(b.overdue),
                       fmt_amount(b.total), fmt_amount(b.credit)), cell_styles={5: "red"} if b.overdue else None)
    print_table(table)
    if len(rows) == 1 or len({b.customer_id for b in rows}) == 1:
        keys = list(rows[0].buckets)
        buckets = PlainTable("Aging", (("Cur", "left"), *((k, "right") for k in keys)))
        for b in rows:
            buckets.add_row((b.currency, *(fmt_amount(b.buckets[k]) for k in keys)))
        print_table(buckets)


@cli.command()
@click.option("--as-of", "as_of", help="Date (DD/MM/YYYY or YYYY-MM-DD); default today.")
@click.option("--assigned", help="Only customers assigned to this operator.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def aging(ctx: Context, as_of: str | None, assigned: str | None, fmt: str) -> None:
    """Aging of receivables: one row per customer and currency with a balance, totals at the end."""
    pause_gc()
    from .domain.aging import bucket_keys
    from .queries.balances import AgingRefresh, customer_balances

    day = parse_day(as_of) or date.today()
    limits = ctx.settings.aging_buckets
    keys = bucket_keys(limits)
    refreshed: list[AgingRefresh] = []
    with ctx.db().read() as s:
        rows = customer_balances(s, None, as_of=day, limits=limits, assigned=assigned, refreshed=refreshed)
    _print_aging(day, keys, rows, fmt, assigned)
    if refreshed:
        _save_aging(ctx, refreshed)


def _save_aging(ctx: Context, refreshed: list) -> None:
    """Keep what this report computed in the aging cache, once the report is out (never fails it).

    Waits at most 2 s for another writer (a long import, say); the next report computes again.
    """
    import sqlalchemy.exc

    from .queries.balances import save_aging

    try:
        with ctx.db().write(wait_ms=2_000) as w:
            save_aging(w, refreshed)
    except sqlalchemy.exc.DBAPIError as exc:  # locked, busy, read-only file...
        click.echo(f"note: aging cache not updated ({exc.orig})", err=True)


def _print_aging(day: date, keys: tuple[str, ...], rows: list, fmt: str, assigned: str | None) -> None:
    from .domain.money import fmt_cents

    totals: dict[str, list[int]] = {}  # currency -> bucket sums, total, credit, customers
    for b in rows:
        t = totals.get(b.currency)
        if t is None:
            t = totals[b.currency] = [0] * (len(keys) + 3)
        for i, k in enumerate(keys):
            t[i] += b.buckets[k]
        t[-3] += b.total
        t[-2] += b.credit
        t[-1] += 1
    if fmt == "json":
        # Streamed, one customer per line: ``json.dumps(indent=2)`` of the whole report runs
        # Python's pure-Python encoder and holds it all in memory (7.5 s and 640 MB at 100k).
        out = sys.stdout
        out.write(f'{{\n  "as_of": "{day.isoformat()}",\n  "customers": [')
        sep = "\n    "
        for i in range(0, len(rows), 5_000):
            out.write(sep + ",\n    ".join(json_text(json.dumps(balance_json(b) | {"assigned": b.assigned}, ensure_ascii=False))
                                           for b in rows[i:i + 5_000]))
            sep = ",\n    "
        out.write(("\n  ]" if rows else "]") + ',\n  "totals": {')
        out.write(",".join(f"\n    {json.dumps(cur)}: "
                           + json.dumps(dict(zip((*keys, "total", "credit"), map(fmt_cents, t[:-1]), strict=True)))
                           for cur, t in sorted(totals.items())))
        out.write(("\n  }" if totals else "}") + "\n}\n")
        return
    if fmt == "csv":
        import csv

        from .domain.text import csv_text

        w = csv.writer(sys.stdout)
        w.writerow(["identifier", "name", "rfc", "assigned", "currency", *keys, "total", "credit"])
        # text cells made safe for a spreadsheet (csv_text); amounts as they are
        w.writerows([csv_text(b.identifier), csv_text(b.name), csv_text(b.rfc), csv_text(b.assigned),
                     csv_text(b.currency), *(fmt_cents(b.buckets[k]) for k in keys),
                     fmt_cents(b.total), fmt_cents(b.credit)] for b in rows)
        for cur, t in sorted(totals.items()):
            w.writerow(["TOTAL", "", "", "", cur, *map(fmt_cents, t[:-1])])
        return
    from .cli_table import PlainTable, print_table
    from .i18n import fmt_amount

    table = PlainTable(f"Aging as of {day.isoformat()}" + (f" — {assigned}" if assigned else ""),
                       (("Identifier", "left"), ("Name", "left"), ("Cur", "left"),
                        *((k, "right") for k in (*keys, "Total", "Credit"))))
    for b in rows:
        table.add_row((b.identifier, b.name, b.currency, *(fmt_amount(b.buckets[k]) for k in keys),
                       fmt_amount(b.total), fmt_amount(b.credit)))
    for cur, t in sorted(totals.items()):
        table.add_row(("TOTAL", f"{t[-1]} customers", cur, *map(fmt_amount, t[:-1])), style="bold")
    print_table(table)


@cli.group()
def export() -> None:
    """Export data."""


@export.command("ledger")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default stdout).")
@click.pass_obj
def export_ledger(ctx: Context, output: Any) -> None:
    """The receivables as a ledger/hledger journal (one account per customer)."""
    from .queries.export import journal

    with ctx.db().read() as s:
        for line in journal(s):
            output.write(line + "\n")


@cli.group()
def config() -> None:
    """Configuration."""


@config.command("show")
@click.pass_obj
def config_show(ctx: Context) -> None:
    """Print the effective settings (secrets masked)."""
    data = ctx.settings.masked()
    if ctx.db_url:
        data["database_url"] = mask(ctx.db_url)
    if ctx.operator:
        data["operator"] = ctx.operator
    click.echo(json_text(json.dumps(data, ensure_ascii=False, indent=2)))


def main() -> None:
    cli(prog_name="arterm")


if __name__ == "__main__":
    main()
