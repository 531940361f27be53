"""Command-line commands of the mail feature (registered on arterm.cli.cli).

    arterm statement CUSTOMER [--from DATE] [--to DATE] [--format text|html] [--send]
    arterm statements send [--overdue] [--assigned OPERATOR] [--from DATE] [--to DATE] [--dry-run]
    arterm outbox [--status S] [--limit N] [--json] [--retry [--force] [--id N]] [--mark-sent ID]

Human messages are in the configured language; ``--json`` keys are English and stable. Exit
status 1 when something was left unsent (queued or failed), so scripts notice.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from .cli import Context, cli, console, fail, parse_day, resolve_customer, safe_text
from .domain.text import json_text


def _t(ctx: Context, key: str, **kw: Any) -> str:
    from .i18n import t

    return t(key, ctx.settings.language, **kw)


def _lang(ctx: Context) -> str:
    from .i18n import normalize_lang

    return normalize_lang(ctx.settings.language)


def _period(ctx: Context, date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    lang = _lang(ctx)
    start, end = parse_day(date_from, lang), parse_day(date_to, lang)
    if start and end and start > end:
        raise click.BadParameter(_t(ctx, "mail.bad_period"), param_hint="--from")
    today = date.today()
    if end and end > today:
        raise click.BadParameter(_t(ctx, "mail.period_future", date=today.isoformat()), param_hint="--to")
    return start, end


def _warn(text: str) -> None:
    click.echo(f"arterm: {text}", err=True)


# ---------------------------------------------------------------------------------------- statement
@cli.command("statement")
@click.argument("query")
@click.option("--from", "date_from", help="First day (DD/MM/YYYY or YYYY-MM-DD); default: [statements] period_days before --to.")
@click.option("--to", "date_to", help="Last day; default today.")
@click.option("--format", "fmt", type=click.Choice(["text", "html"]), default="text", show_default=True)
@click.option("--send", is_flag=True, help="Queue the statement in the outbox and send it now.")
@click.pass_obj
def statement_cmd(ctx: Context, query: str, date_from: str | None, date_to: str | None, fmt: str, send: bool) -> None:
    """Print the account statement of the customer matching QUERY (or --send it by email)."""
    from .domain.errors import DomainError
    from .mail.statements import prepare_statement, send_statement

    customer_id = resolve_customer(ctx, query)
    start, end = _period(ctx, date_from, date_to)
    lang = _lang(ctx)
    settings = ctx.settings
    if not send:
        try:
            with ctx.db().read() as s:
                prepared = prepare_statement(s, settings=settings, customer_id=customer_id, date_from=start,
                                             date_to=end, lang=lang)
        except DomainError as exc:
            fail(str(exc))
        from .domain.text import printable

        # to the terminal: each line through printable (escapes, bidi overrides of stored names)
        click.echo("\n".join(printable(line) for line in prepared.preview(settings, fmt).split("\n")), nl=False)
        return
    try:
        prepared, result = send_statement(ctx.db(), settings=settings, actor=ctx.actor, customer_id=customer_id,
                                          date_from=start, date_to=end, lang=lang)
    except DomainError as exc:
        fail(str(exc))
    assert prepared.recipients is not None
    for text in prepared.recipients.warning_texts(lang):
        _warn(text)
    r = prepared.recipients
    to = ", ".join(r.to) + (f" · cc {', '.join(r.cc)}" if r.cc else "") + (f" · bcc {', '.join(r.bcc)}" if r.bcc else "")
    if result.outcome == "sent":
        click.echo(_t(ctx, "mail.outcome.sent", to=to))
        if result.error:  # accepted for some recipients only
            _warn(result.error)
        return
    key = "mail.outcome.failed" if result.outcome == "failed" else "mail.outcome.queued"
    fail(f"{_t(ctx, key, error=result.error)} ({_t(ctx, 'mail.queued_as', id=result.outbox_id)})")


# --------------------------------------------------------------------------------------- statements
@cli.group("statements")
def statements() -> None:
    """Statements to many customers."""


@statements.command("send")
@click.option("--overdue", is_flag=True, help="Only customers with an overdue document.")
@click.option("--assigned", help="Only customers assigned to this operator (username).")
@click.option("--from", "date_from", help="First day of the period (default: [statements] period_days before --to).")
@click.option("--to", "date_to", help="Last day of the period; default today.")
@click.option("--dry-run", is_flag=True, help="Show who would get a statement; send nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def statements_send(ctx: Context, overdue: bool, assigned: str | None, date_from: str | None, date_to: str | None,
                    dry_run: bool, as_json: bool) -> None:
    """Send a statement to every customer with a balance (or credit), optionally filtered."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .domain.errors import DomainError
    from .mail.statements import send_statements
    from .queries.customers import customer_detail
    from .queries.statement import statement_candidates

    start, end = _period(ctx, date_from, date_to)
    lang = _lang(ctx)
    today = date.today()
    with ctx.db().read() as s:
        ids = statement_candidates(s, as_of=end or today, overdue=overdue, assigned=assigned)
        names = {i: (d.identifier, d.name) for i in ids for d in [customer_detail(s, i)]}
    if not ids:
        click.echo(_t(ctx, "mail.no_customers"), err=True)
        return
    out = console()
    try:
        if as_json or dry_run:
            report = send_statements(ctx.db(), settings=ctx.settings, actor=ctx.actor, customer_ids=ids,
                                     date_from=start, date_to=end, today=today, lang=lang, dry_run=dry_run)
        else:
            from rich.console import Console

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=Console(stderr=True, highlight=False), transient=True) as progress:
                task = progress.add_task(_t(ctx, "mail.progress"), total=len(ids))
                report = send_statements(ctx.db(), settings=ctx.settings, actor=ctx.actor, customer_ids=ids,
                                         date_from=start, date_to=end, today=today, lang=lang,
                                         progress=lambda done, total, _cid: progress.update(task, completed=done))
    except DomainError as exc:
        fail(str(exc))

    def who(cid: int) -> str:
        ident, name = names.get(cid, ("?", "?"))
        return f"{ident} {name}"

    if as_json:
        def res(items: list) -> list[dict[str, Any]]:  # type: ignore[type-arg]
            return [{"customer": names[c][0], "outbox_id": r.outbox_id, "error": r.error} for c, r in items]

        click.echo(json_text(json.dumps({
            "dry_run": dry_run,
            "would_send": [{"customer": p.statement.customer.identifier, "to": list(p.recipients.to),
                            "cc": list(p.recipients.cc), "bcc": list(p.recipients.bcc)}
                           for p in report.would_send if p.recipients],
            "sent": res(report.sent), "queued": res(report.queued), "failed": res(report.failed),
            "no_email": [{"customer": names[c][0], "error": e} for c, e in report.no_email],
            "warnings": [{"customer": names[c][0], "warning": w} for c, w in report.warnings],
        }, ensure_ascii=False, indent=2)))
    elif dry_run:
        table = Table(title_justify="left")
        for key in ("mail.col.customer", "mail.to", "mail.cc", "mail.bcc"):
            table.add_column(_t(ctx, key))
        for p in report.would_send:
            assert p.recipients is not None
            table.add_row(safe_text(who(p.customer_id)), safe_text(", ".join(p.recipients.to)), safe_text(", ".join(p.recipients.cc)),
                          safe_text(", ".join(p.recipients.bcc)))
        out.print(table)
    else:
        for label, items in (("mail.status.queued", report.queued), ("mail.status.failed", report.failed)):
            for cid, r in items:
                out.print(safe_text(f"{_t(ctx, label)}: {who(cid)} — {r.error} (#{r.outbox_id})"))
        for cid, r in report.sent:
            if r.error:  # accepted for some recipients only
                out.print(safe_text(f"{who(cid)} — {r.error} (#{r.outbox_id})", style="yellow"))
    if not as_json:
        for _cid, error in report.no_email:
            out.print(safe_text(error), style="yellow")
        for cid, warning in report.warnings:
            out.print(safe_text(f"{who(cid)}: {warning}"), style="yellow")
        if dry_run:
            click.echo(_t(ctx, "mail.dry_run_summary", count=len(report.would_send), skipped=len(report.no_email)))
        else:
            click.echo(_t(ctx, "mail.summary", sent=len(report.sent), queued=len(report.queued),
                          failed=len(report.failed), skipped=len(report.no_email)))
    if report.queued or report.failed:
        raise SystemExit(1)


# ------------------------------------------------------------------------------------------- outbox
def _row_json(r: Any) -> dict[str, Any]:
    def iso(v: Any) -> str | None:
        return v.isoformat() if v else None

    return {"id": r.id, "customer": r.customer_identifier, "name": r.customer_name, "kind": r.kind,
            "status": r.status, "to": list(r.to), "cc": list(r.cc), "bcc": list(r.bcc), "subject": r.subject,
            "message_id": r.message_id, "attempts": r.attempts, "last_error": r.last_error,
            "period_from": iso(r.period_from), "period_to": iso(r.period_to), "created_at": iso(r.created_at),
            "sent_at": iso(r.sent_at)}


@cli.command("outbox")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["queued", "sending", "sent", "failed", "uncertain"]), help="Only these (repeatable).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--retry", is_flag=True, help="Send the queued and failed messages now.")
@click.option("--force", is_flag=True, help="With --retry: also resend 'uncertain' messages (may duplicate).")
@click.option("--id", "ids", multiple=True, type=int, help="With --retry: only these messages (repeatable).")
@click.option("--mark-sent", "mark_id", type=int, help="Record an 'uncertain' message as delivered.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def outbox_cmd(ctx: Context, statuses: tuple[str, ...], limit: int, retry: bool, force: bool, ids: tuple[int, ...],
               mark_id: int | None, as_json: bool) -> None:
    """List the mail outbox (newest first); --retry sends what is pending."""
    from rich.table import Table

    from .domain.errors import DomainError
    from .i18n import fmt_datetime
    from .mail.outbox import count_outbox, list_outbox, mark_sent, send_pending

    if force and not retry:
        raise click.BadParameter("--force goes with --retry", param_hint="--force")
    lang = _lang(ctx)
    database = ctx.db()
    results = []
    if mark_id is not None:
        try:
            with database.write() as s:
                mark_sent(s, actor=ctx.actor, outbox_id=mark_id, lang=lang)
        except DomainError as exc:
            fail(str(exc))
        if not as_json:
            click.echo(_t(ctx, "mail.marked_sent", id=mark_id))
    if retry:
        results = send_pending(database, smtp=ctx.settings.smtp, actor=ctx.actor, ids=ids or None, force=force,
                               lang=lang)
    with database.read() as s:
        rows = list_outbox(s, statuses=statuses or None, limit=limit)
        total = count_outbox(s, statuses=statuses or None)
        pending = count_outbox(s, statuses=("queued", "failed", "uncertain", "sending"))
    counts = {k: sum(1 for r in results if r.outcome == k) for k in ("sent", "queued", "failed", "uncertain", "skipped")}
    if as_json:
        data: dict[str, Any] = {"count": total, "pending": pending, "messages": [_row_json(r) for r in rows]}
        if retry:
            data["retry"] = {"results": [{"id": r.outbox_id, "outcome": r.outcome, "error": r.error} for r in results],
                             **counts}
        click.echo(json_text(json.dumps(data, ensure_ascii=False, indent=2)))
    else:
        out = console()
        table = Table(title=_t(ctx, "mail.outbox.count", n=total, pending=pending), title_justify="left")
        for key, justify in (("mail.col.id", "right"), ("mail.col.status", "left"), ("mail.col.customer", "left"),
                             ("mail.col.to", "left"), ("mail.col.attempts", "right"), ("mail.col.when", "left"),
                             ("mail.col.error", "left")):
            table.add_column(_t(ctx, key), justify=justify)  # type: ignore[arg-type]
        styles = {"sent": "green", "queued": "yellow", "failed": "red", "uncertain": "magenta", "sending": "cyan",
                  "replaced": "dim"}
        for r in rows:
            table.add_row(str(r.id), safe_text(_t(ctx, f"mail.status.{r.status}"), style=styles.get(r.status, "")),
                          safe_text(f"{r.customer_identifier} {r.customer_name}"),
                          safe_text(", ".join(r.to) + (f" · cc {', '.join(r.cc)}" if r.cc else "")), str(r.attempts),
                          fmt_datetime((r.sent_at or r.created_at).astimezone(), lang), safe_text(r.last_error))
        out.print(table)
        if retry:
            if results:
                click.echo(_t(ctx, "mail.retry_summary", sent=counts["sent"], queued=counts["queued"],
                              failed=counts["failed"] + counts["uncertain"], skipped=counts["skipped"]))
            else:
                click.echo(_t(ctx, "mail.nothing_pending"))
    if retry and any(r.outcome in ("queued", "failed", "uncertain") for r in results):
        raise SystemExit(1)
