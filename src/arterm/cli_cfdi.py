"""Command-line commands of the cfdi feature (registered on arterm.cli.cli).

* ``arterm import PATH...`` — CFDI files, folders (recursively) and ``.zip`` archives into the
  ledger, with a progress bar and a final report; ``--json`` prints exactly one object
  ``{"imported": {"invoice", "credit_note", "payment"}, "duplicates", "not_ours", "waiting",
  "warnings": [{"path", "message"}], "rejected": [{"path", "reason"}]}``. Exit code 0 when nothing
  was rejected, 1 otherwise.
* ``arterm rep pending [--assigned OPERATOR] [--as-of DATE] [--json]`` — payments still waiting for
  their REP, with the deadline (5th of the next month) and days left / late.
* ``arterm rep set PAYMENT_ID UUID`` — record the REP issued for a payment (clears "REP pending").
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from .cli import Context, cli, console, fail, parse_day, run_write, safe_text
from .domain.text import json_text

SHOWN_PER_SECTION = 20


def _t(ctx: Context, key: str, **kw: Any) -> str:
    from .i18n import t

    return t(key, ctx.settings.language, **kw)


# ------------------------------------------------------------------------------------------ import
@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--allow-unstamped", is_flag=True,
              help="Also import CFDI without a TimbreFiscalDigital (drafts, test files).")
@click.pass_obj
def import_cmd(ctx: Context, paths: tuple[str, ...], as_json: bool, allow_unstamped: bool) -> None:
    """Import CFDI XML (files, folders, .zip archives) into the ledger."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .cfdi.importer import gc_paused, import_paths
    from .domain.errors import DomainError

    settings = ctx.settings
    database = ctx.db(create=True)
    err = Console(stderr=True, highlight=False)
    label = _t(ctx, "cfdi.cli.progress")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(label, total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            with gc_paused():
                report = import_paths(database, list(paths), settings=settings, actor=ctx.actor,
                                      allow_unstamped=allow_unstamped, lang=settings.language, progress=step)
        except DomainError as exc:
            fail(str(exc))
        except Exception as exc:  # the database went away mid-run: each finished batch is committed
            import sqlalchemy as sa

            orig = getattr(exc, "orig", None) or exc
            if not isinstance(exc, sa.exc.SQLAlchemyError) and type(orig).__module__.split(".")[0] not in (
                    "sqlite3", "psycopg"):
                raise
            fail(_t(ctx, "cfdi.r.database", error=str(orig).strip().splitlines()[0] if str(orig).strip() else
                    type(orig).__name__))
    if as_json:
        click.echo(json_text(json.dumps(report.to_json(), ensure_ascii=False)))
    else:
        _print_report(ctx, report)
    sys.exit(0 if report.ok else 1)


def _print_report(ctx: Context, report: Any) -> None:
    from rich.table import Table

    out = console()
    table = Table(title=_t(ctx, "cfdi.cli.title"), title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for key in ("invoice", "credit_note", "payment"):
        table.add_row(_t(ctx, f"cfdi.cli.imported_{key}"), str(report.imported[key]))
    table.add_row(_t(ctx, "cfdi.cli.duplicates"), str(len(report.duplicates)))
    table.add_row(_t(ctx, "cfdi.cli.not_ours"), str(len(report.not_ours)))
    table.add_row(_t(ctx, "cfdi.cli.waiting"), str(len(report.waiting)))
    table.add_row(_t(ctx, "cfdi.cli.warnings"), str(len(report.warnings)))
    table.add_row(safe_text(_t(ctx, "cfdi.cli.rejected"), style="red" if report.rejected else ""),
                  safe_text(str(len(report.rejected)), style="red bold" if report.rejected else ""))
    out.print(table)

    def section(key: str, items: list[tuple[str, str]], style: str = "") -> None:
        if not items:
            return
        out.print(safe_text(_t(ctx, key), style="bold " + style))
        for path, message in items[:SHOWN_PER_SECTION]:
            line = safe_text("  ")
            line.append(safe_text(path))  # untrusted: a Text is never parsed as markup
            if message:
                line.append(": ")
                line.append(safe_text(message, style))
            out.print(line, soft_wrap=True)
        if len(items) > SHOWN_PER_SECTION:
            out.print(safe_text("  " + _t(ctx, "cfdi.cli.more", n=len(items) - SHOWN_PER_SECTION)))

    section("cfdi.cli.rejected", report.rejected, "red")
    section("cfdi.cli.waiting", [(p, "") for p in report.waiting], "yellow")
    section("cfdi.cli.warnings", report.warnings, "yellow")
    section("cfdi.cli.duplicates", [(p, "") for p in report.duplicates])
    section("cfdi.cli.not_ours", [(p, "") for p in report.not_ours])
    if report.stopped:
        out.print(safe_text(_t(ctx, "cfdi.cli.stopped"), style="yellow"))


# ------------------------------------------------------------------------------------------ rep
@cli.group()
def rep() -> None:
    """REP (CFDI de pago) tracking."""


def _row_json(r: Any) -> dict[str, Any]:
    from .domain.money import fmt_cents

    return {"payment_id": r.payment_id, "customer": {"id": r.customer_id, "identifier": r.identifier,
                                                     "name": r.name, "rfc": r.rfc},
            "assigned": r.assigned, "paid_on": r.paid_on.isoformat(), "amount": fmt_cents(r.amount),
            "currency": r.currency, "forma_pago": r.forma_pago, "reference": r.reference,
            "invoices": list(r.invoices), "deadline": r.deadline.isoformat(), "days_left": r.days_left,
            "late": r.late}


def days_text(lang: str, days_left: int) -> str:
    """``faltan 3 días`` / ``vence hoy`` / ``2 días de atraso`` (and English)."""
    from .i18n import tn, t

    if days_left > 0:
        return tn("rep.days_left", days_left, lang)
    if days_left == 0:
        return t("rep.due_today", lang)
    return tn("rep.days_late", -days_left, lang)


@rep.command("pending")
@click.option("--assigned", help="Only customers assigned to this operator.")
@click.option("--as-of", "as_of", help="Date to count days from (DD/MM/YYYY or YYYY-MM-DD); default today.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def rep_pending_cmd(ctx: Context, assigned: str | None, as_of: str | None, limit: int, as_json: bool) -> None:
    """Payments on PPD invoices still without their REP, with deadline and days left."""
    from rich.table import Table

    from .i18n import fmt_date, fmt_money
    from .queries.rep import count_rep_pending, rep_pending

    lang = ctx.settings.language
    day = parse_day(as_of, lang) or date.today()
    with ctx.db().read() as s:
        total = count_rep_pending(s, assigned=assigned)
        rows = rep_pending(s, as_of=day, assigned=assigned, limit=limit)
    if as_json:
        click.echo(json_text(json.dumps({"as_of": day.isoformat(), "count": total, "payments": [_row_json(r) for r in rows]},
                              ensure_ascii=False, indent=2)))
        return
    if not rows:
        click.echo(_t(ctx, "rep.cli.none"))
        return
    table = Table(title=_t(ctx, "rep.cli.title", n=total, date=fmt_date(day, lang)), title_justify="left")
    for key, justify in (("rep.cli.payment", "right"), ("rep.cli.customer", "left"), ("rep.cli.paid_on", "left"),
                         ("rep.cli.amount", "right"), ("rep.cli.invoices", "left"), ("rep.cli.deadline", "left"),
                         ("rep.cli.days", "left")):
        table.add_column(_t(ctx, key), justify=justify)  # type: ignore[arg-type]
    for r in rows:
        customer = safe_text(r.identifier + " ")
        customer.append(safe_text(r.name))
        table.add_row(f"#{r.payment_id}", customer, fmt_date(r.paid_on, lang), fmt_money(r.amount, r.currency, lang),
                      safe_text(", ".join(r.invoices)), fmt_date(r.deadline, lang),
                      safe_text(days_text(lang, r.days_left), style="red bold" if r.late else ("yellow" if r.days_left <= 3
                                                                                            else "")))
    console().print(table)
    if total > len(rows):
        click.echo(_t(ctx, "cfdi.cli.more", n=total - len(rows)))


@rep.command("set")
@click.argument("payment_id", type=int)
@click.argument("uuid")
@click.pass_obj
def rep_set_cmd(ctx: Context, payment_id: int, uuid: str) -> None:
    """Record the REP (its UUID) issued for payment PAYMENT_ID."""
    from .ledger import set_rep

    run_write(ctx, set_rep, payment_id=payment_id, rep_uuid=uuid)
    click.echo(_t(ctx, "rep.cli.recorded", id=payment_id, uuid=uuid.strip().lower()))
