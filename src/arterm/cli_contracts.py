"""Command-line commands of the contracts feature (registered on arterm.cli.cli).

``arterm contracts add|list|show|edit|pause|resume|end|bill|charges``. Human output is in the
configured language; ``--json`` output is stable (keys in English, amounts as 2-decimal strings,
dates ISO). Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

import click

from .cli import (
    Context,
    cli,
    console,
    fail,
    parse_day,
    resolve_customer,
    run_write,
    safe_text,
)
from .domain.schedule import FREQUENCIES
from .domain.text import json_text

DD_FORMAS = ("03", "04", "28")


def _t(ctx: Context, key: str, **kw: Any) -> str:
    from .i18n import t

    return t(key, ctx.settings.language, **kw)


def _day(ctx: Context, value: date | None) -> str:
    from .i18n import fmt_date

    return fmt_date(value, ctx.settings.language) if value else _t(ctx, "contracts.none")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _optional_int(value: str | None, name: str) -> Any:
    """``None`` → not given; ``"none"``/``""`` → clear; else an integer."""
    if value is None:
        return None
    if value.strip().lower() in ("", "none", "ninguno"):
        return "clear"
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a whole number (or 'none' to clear it)", param_hint=name) from None


@cli.group("contracts")
def contracts() -> None:
    """Recurring contracts: create, edit, pause/resume/end, billing runs, direct-debit charges."""


# --------------------------------------------------------------------------------------------- add
@contracts.command("add")
@click.argument("customer")
@click.option("--amount", required=True, help="Amount per period before tax, e.g. 1500.00.")
@click.option("--currency", default=None, help="ISO code (default: the customer's currency).")
@click.option("--frequency", required=True, type=click.Choice(FREQUENCIES))
@click.option("--start", "start", required=True, help="Start date (DD/MM/YYYY or YYYY-MM-DD).")
@click.option("--billing-day", type=click.IntRange(1, 31), help="Day of the month to bill (31 = last day); monthly and longer only: weekly and biweekly bill on the start date's weekday.")
@click.option("--end", "end", help="End date (optional): no period starts on or after it; one under way is billed whole.")
@click.option("--periods", type=click.IntRange(1, None), help="Number of periods (optional).")
@click.option("--tax-rate", default="0.16", show_default=True)
@click.option("--direct-debit", is_flag=True, help="Domiciliado: charge it by card or transfer.")
@click.option("--dd-forma", type=click.Choice(DD_FORMAS), default="04", show_default=True,
              help="c_FormaPago of the charge: 04 credit card, 28 debit card, 03 transfer.")
@click.option("--dd-reference", default="", help="Card or account number (stored masked: **** 1234).")
@click.option("--description", default="")
@click.option("--terms", type=click.IntRange(0, 365), help="Payment terms in days (default: the customer's).")
@click.option("--metodo", type=click.Choice(["PUE", "PPD"]), default="PPD", show_default=True)
@click.pass_obj
def contracts_add(ctx: Context, customer: str, amount: str, currency: str | None, frequency: str, start: str,
                  billing_day: int | None, end: str | None, periods: int | None, tax_rate: str, direct_debit: bool,
                  dd_forma: str, dd_reference: str, description: str, terms: int | None, metodo: str) -> None:
    """Create a contract for CUSTOMER (identifier, RFC or name)."""
    from .ledger import create_contract
    from .queries import billing as q

    customer_id = resolve_customer(ctx, customer)
    contract_id = run_write(
        ctx, create_contract, customer_id=customer_id, amount=amount, frequency=frequency, start_date=parse_day(start),
        description=description, currency=currency, tax_rate=tax_rate, end_date=parse_day(end), periods=periods,
        billing_day=billing_day, payment_terms_days=terms, metodo_pago=metodo, direct_debit=direct_debit,
        dd_forma_pago=dd_forma if direct_debit else "", dd_reference=dd_reference if direct_debit else "",
    )
    with ctx.db().read() as s:
        item = q.contract_list(s, customer_id=customer_id, as_of=date.today())
    c = next(i for i in item if i.contract.id == contract_id)
    click.echo(_t(ctx, "contracts.cli.created", id=contract_id,
                  customer=f"{c.contract.customer_identifier} {c.contract.customer_name}", next=_day(ctx, c.next_billing_date)))


# -------------------------------------------------------------------------------------------- list
def contract_json(item: Any) -> dict[str, Any]:
    """The stable JSON shape of ``arterm contracts list --json``."""
    from .domain.money import fmt_cents

    c = item.contract
    return {
        "id": c.id,
        "customer": c.customer_identifier,
        "frequency": c.frequency,
        "amount": fmt_cents(c.amount),
        "currency": c.currency,
        "direct_debit": c.direct_debit,
        "status": c.status,
        "next_billing_date": _iso(item.next_billing_date),
        "invoices": [
            {"folio": i.reference, "period_start": _iso(i.period_start), "issue_date": i.issue_date.isoformat(),
             "due_date": i.due_date.isoformat(), "total": fmt_cents(i.total), "balance": fmt_cents(i.balance),
             "status": i.status}
            for i in item.invoices
        ],
    }


@contracts.command("list")
@click.argument("customer", required=False)
@click.option("--as-of", "as_of", help="Date the invoice statuses are computed for (default today).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def contracts_list(ctx: Context, customer: str | None, as_of: str | None, as_json: bool) -> None:
    """Contracts (of CUSTOMER, or all) with their next billing date and invoices."""
    from .queries import billing as q

    customer_id = resolve_customer(ctx, customer) if customer else None
    day = parse_day(as_of) or date.today()
    with ctx.db().read() as s:
        items = q.contract_list(s, customer_id=customer_id, as_of=day)
    if as_json:
        click.echo(json_text(json.dumps([contract_json(i) for i in items], ensure_ascii=False, indent=2)))
        return
    from rich.table import Table

    from .i18n import fmt_amount

    table = Table(title=_t(ctx, "contracts.cli.list_title", n=len(items)), title_justify="left")
    for key, justify in (("contract", "right"), ("customer", "left"), ("frequency", "left"), ("amount", "right"),
                         ("currency", "left"), ("direct_debit", "left"), ("status", "left"),
                         ("next_billing", "left"), ("invoices", "right")):
        table.add_column(_t(ctx, f"contracts.col.{key}"), justify=justify,  # type: ignore[arg-type]
                         no_wrap=key == "customer", overflow="ellipsis", max_width=30 if key == "customer" else None)
    lang = ctx.settings.language
    for i in items:
        c = i.contract
        table.add_row(f"#{c.id}", safe_text(f"{c.customer_identifier} {c.customer_name}"), _t(ctx, f"freq.{c.frequency}"),
                      fmt_amount(c.amount, lang), c.currency, _t(ctx, "ui.yes" if c.direct_debit else "ui.no"),
                      _t(ctx, f"status.{c.status}"), _day(ctx, i.next_billing_date), str(len(i.invoices)))
    console().print(table)


@contracts.command("show")
@click.argument("contract_id", type=int)
@click.option("--as-of", "as_of", help="Business date (default today).")
@click.pass_obj
def contracts_show(ctx: Context, contract_id: int, as_of: str | None) -> None:
    """One contract: terms, next periods, invoices and direct-debit charges."""
    from rich.table import Table

    from .domain.errors import DomainError
    from .i18n import fmt_amount
    from .queries import billing as q

    day = parse_day(as_of) or date.today()
    lang = ctx.settings.language
    try:
        with ctx.db().read() as s:
            view = q.contract_view(s, contract_id, as_of=day)
            invoices = q.contract_invoices(s, contract_id, as_of=day, limit=1000, newest_first=False)
            charges = q.list_charges(s, status="all", contract_id=contract_id, limit=1000)
    except DomainError as exc:
        fail(str(exc))
    c = view.contract
    out = console()
    out.print(safe_text(f"{_t(ctx, 'contracts.contract_title', id=c.id)} — {c.customer_identifier} {c.customer_name}",
                   style="bold"))
    terms = Table(show_header=False, box=None)
    for label, value in _terms_rows(ctx, view):
        terms.add_row(label, safe_text(value))
    out.print(terms)
    sched = Table(title=_t(ctx, "contracts.schedule"), title_justify="left")
    for key in ("period", "billing_date", "due_date"):
        sched.add_column(_t(ctx, f"contracts.col.{key}"))
    for p in view.upcoming:
        sched.add_row(_t(ctx, "contracts.period_range", start=_day(ctx, p.period_start), end=_day(ctx, p.period_end)),
                      _day(ctx, p.billing_date), _day(ctx, p.due_date))
    out.print(sched)
    inv = Table(title=_t(ctx, "contracts.invoices"), title_justify="left")
    for key, j in (("folio", "left"), ("period", "left"), ("issue_date", "left"), ("due_date", "left"),
                   ("total", "right"), ("balance", "right"), ("status", "left")):
        inv.add_column(_t(ctx, f"contracts.col.{key}"), justify=j)  # type: ignore[arg-type]
    for i in invoices:
        inv.add_row(i.reference, _day(ctx, i.period_start), _day(ctx, i.issue_date), _day(ctx, i.due_date),
                    fmt_amount(i.total, lang), fmt_amount(i.balance, lang), _t(ctx, f"status.{i.status}"))
    out.print(inv)
    if charges:
        _print_charges(ctx, charges, "all")


def _terms_rows(ctx: Context, view: Any) -> list[tuple[str, str]]:
    from .domain.schedule import uses_billing_day
    from .i18n import fmt_money

    c = view.contract
    lang = ctx.settings.language
    forma = _t(ctx, f"forma_pago.{c.dd_forma_pago}") if c.dd_forma_pago else ""
    rows = [
        (_t(ctx, "ui.description"), c.description or _t(ctx, "contracts.none")),
        (_t(ctx, "contracts.amount_before_tax"), fmt_money(c.amount, c.currency, lang)),
        (_t(ctx, "contracts.tax_rate"), c.tax_rate),
        (_t(ctx, "contracts.total_per_period"), fmt_money(c.total, c.currency, lang)),
        (_t(ctx, "ui.frequency"), _t(ctx, f"freq.{c.frequency}")),
        (_t(ctx, "ui.start_date"), _day(ctx, c.start_date)),
        (_t(ctx, "ui.end_date"), _day(ctx, c.end_date)),
        (_t(ctx, "contracts.periods"), str(c.periods) if c.periods else _t(ctx, "contracts.unlimited")),
        *([(_t(ctx, "ui.billing_day"), str(c.billing_day) if c.billing_day else _t(ctx, "contracts.billing_day_start"))]
          if uses_billing_day(c.frequency) else []),  # weekly/biweekly: always the start date's weekday
        (_t(ctx, "ui.payment_terms"), _t(ctx, "ui.days_count.other", n=c.payment_terms_days)
         if c.payment_terms_days is not None else _t(ctx, "contracts.customer_terms", n=c.customer_terms_days)),
        (_t(ctx, "ui.metodo_pago"), f"{c.metodo_pago} — {_t(ctx, f'metodo_pago.{c.metodo_pago}')}"),
        (_t(ctx, "ui.direct_debit"), _t(ctx, "contracts.dd_yes", forma=forma, reference=c.dd_reference).strip()
         if c.direct_debit else _t(ctx, "contracts.dd_no")),
        (_t(ctx, "ui.status"), _t(ctx, f"status.{c.status}") + (f" — {c.status_reason}" if c.status_reason else "")),
        (_t(ctx, "ui.next_billing"), _day(ctx, view.next_billing_date)),
    ]
    return rows


# -------------------------------------------------------------------------------------------- edit
@contracts.command("edit")
@click.argument("contract_id", type=int)
@click.option("--amount", help="Amount per period before tax.")
@click.option("--description")
@click.option("--tax-rate")
@click.option("--currency")
@click.option("--frequency", type=click.Choice(FREQUENCIES))
@click.option("--start", "start", help="Start date (only while the contract has no invoices).")
@click.option("--billing-day", help="1..31, or 'none' to bill on each period's start.")
@click.option("--end", "end", help="End date (no period starts on or after it), or 'none' to remove it.")
@click.option("--periods", help="Number of periods, or 'none' to remove the limit.")
@click.option("--terms", help="Payment terms in days, or 'none' for the customer's.")
@click.option("--metodo", type=click.Choice(["PUE", "PPD"]))
@click.option("--direct-debit/--no-direct-debit", "direct_debit", default=None)
@click.option("--dd-forma", type=click.Choice(DD_FORMAS))
@click.option("--dd-reference")
@click.pass_obj
def contracts_edit(ctx: Context, contract_id: int, amount: str | None, description: str | None, tax_rate: str | None,
                   currency: str | None, frequency: str | None, start: str | None, billing_day: str | None,
                   end: str | None, periods: str | None, terms: str | None, metodo: str | None,
                   direct_debit: bool | None, dd_forma: str | None, dd_reference: str | None) -> None:
    """Change a contract's terms (they apply to invoices not issued yet)."""
    from .ledger.billing import update_contract

    changes: dict[str, Any] = {}
    simple = {"amount": amount, "description": description, "tax_rate": tax_rate, "currency": currency,
              "frequency": frequency, "metodo_pago": metodo, "direct_debit": direct_debit, "dd_forma_pago": dd_forma,
              "dd_reference": dd_reference}
    changes.update({k: v for k, v in simple.items() if v is not None})
    if start is not None:
        changes["start_date"] = parse_day(start)
    if end is not None:
        changes["end_date"] = None if end.strip().lower() in ("", "none", "ninguna") else parse_day(end)
    for key, value, name in (("billing_day", billing_day, "--billing-day"), ("periods", periods, "--periods"),
                             ("payment_terms_days", terms, "--terms")):
        parsed = _optional_int(value, name)
        if parsed is not None:
            changes[key] = None if parsed == "clear" else parsed
    if not changes:
        fail("nothing to change: give at least one option (see --help)")
    run_write(ctx, update_contract, contract_id=contract_id, **changes)
    click.echo(_t(ctx, "contracts.cli.updated", id=contract_id))


# ------------------------------------------------------------------------------ pause / resume / end
_STATUS_HELP = {
    "pause": "Pause a contract: periods whose billing date falls in the pause are skipped, not billed later.",
    "resume": "Resume a paused contract: it bills again from that day.",
    "end": "End a contract: nothing is billed on or after that day.",
}


def _status_command(name: str, reason_required: bool):  # type: ignore[no-untyped-def]
    @contracts.command(name, help=_STATUS_HELP[name])
    @click.argument("contract_id", type=int)
    @click.option("--reason", help="Why (kept in the contract's history).",
                  **({"required": True} if reason_required else {"default": ""}))
    @click.option("--on", "on", help="Business date (default today).")
    @click.pass_obj
    def command(ctx: Context, contract_id: int, reason: str, on: str | None) -> None:
        from .ledger import billing

        fn = {"pause": billing.pause_contract, "resume": billing.resume_contract, "end": billing.end_contract}[name]
        day = parse_day(on) or date.today()
        run_write(ctx, fn, contract_id=contract_id, reason=reason, on=day)
        past = {"pause": "paused", "resume": "resumed", "end": "ended"}[name]
        click.echo(_t(ctx, f"contracts.cli.{past}", id=contract_id, date=_day(ctx, day)))

    return command


contracts_pause = _status_command("pause", True)
contracts_resume = _status_command("resume", False)
contracts_end = _status_command("end", True)


# -------------------------------------------------------------------------------------------- bill
@contracts.command("bill")
@click.option("--until", "until", help="Bill everything due up to this date (default today).")
@click.option("--dry-run", is_flag=True, help="Only list what would be issued.")
@click.option("--contract", "contract_ids", type=int, multiple=True, help="Only this contract (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def contracts_bill(ctx: Context, until: str | None, dry_run: bool, contract_ids: tuple[int, ...], as_json: bool) -> None:
    """Issue every contract invoice due up to --until, each period exactly once (safe to re-run).

    Periods missed while nobody ran it are billed with their own dates. Test hook:
    ARTERM_BILLING_PAUSE_AFTER=N makes the run sleep after N invoices (to kill it in tests).
    """
    from .domain.money import fmt_cents
    from .ledger.billing import bill_contracts

    day = parse_day(until) or date.today()
    pause_after = os.environ.get("ARTERM_BILLING_PAUSE_AFTER")
    report = bill_contracts(ctx.db(), actor=ctx.actor, until=day, contract_ids=list(contract_ids) or None,
                            dry_run=dry_run, pause_after=int(pause_after) if pause_after else None)
    if as_json:
        rows: list[dict[str, Any]]
        if dry_run:
            rows = [{"contract": d.contract_id, "customer": d.customer_identifier, "period_start": d.period_start.isoformat(),
                     "period_end": d.period_end.isoformat(), "issue_date": d.billing_date.isoformat(),
                     "due_date": d.due_date.isoformat(), "total": fmt_cents(d.total), "currency": d.currency,
                     "direct_debit": d.direct_debit} for d in report.due]
        else:
            rows = [{"contract": i.contract_id, "folio": i.reference, "period_start": i.period_start.isoformat(),
                     "issue_date": i.billing_date.isoformat(), "due_date": i.due_date.isoformat(),
                     "total": fmt_cents(i.total), "currency": i.currency, "charge": i.charge_id} for i in report.issued]
        click.echo(json_text(json.dumps({"until": day.isoformat(), "dry_run": dry_run, "invoices": rows,
                               "already_billed": report.already, "skipped": report.skipped, "errors": report.errors},
                              ensure_ascii=False, indent=2)))
    else:
        _print_bill(ctx, report, day)
    if report.errors:
        for e in report.errors:
            click.echo(f"arterm: {e}", err=True)
        raise SystemExit(1)


def _print_bill(ctx: Context, report: Any, day: date) -> None:
    from rich.table import Table

    from .i18n import fmt_amount, tn

    lang = ctx.settings.language
    if report.dry_run:
        if not report.due:
            click.echo(_t(ctx, "contracts.cli.nothing_due", date=_day(ctx, day)))
            return
        table = Table(title=_t(ctx, "contracts.cli.due_title", date=_day(ctx, day), n=len(report.due)), title_justify="left")
        for key, j in (("contract", "right"), ("customer", "left"), ("period", "left"), ("issue_date", "left"),
                       ("due_date", "left"), ("total", "right"), ("currency", "left"), ("direct_debit", "left")):
            table.add_column(_t(ctx, f"contracts.col.{key}"), justify=j)  # type: ignore[arg-type]
        for d in report.due:
            table.add_row(f"#{d.contract_id}", safe_text(d.customer_identifier),
                          _t(ctx, "contracts.period_range", start=_day(ctx, d.period_start), end=_day(ctx, d.period_end)),
                          _day(ctx, d.billing_date), _day(ctx, d.due_date), fmt_amount(d.total, lang), d.currency,
                          _t(ctx, "ui.yes" if d.direct_debit else "ui.no"))
        console().print(table)
        return
    if report.issued:
        table = Table(title=_t(ctx, "contracts.cli.issued_title", date=_day(ctx, day), n=len(report.issued)),
                      title_justify="left")
        for key, j in (("contract", "right"), ("folio", "left"), ("period", "left"), ("issue_date", "left"),
                       ("due_date", "left"), ("total", "right"), ("currency", "left"), ("charge", "right")):
            table.add_column(_t(ctx, f"contracts.col.{key}"), justify=j)  # type: ignore[arg-type]
        for i in report.issued:
            table.add_row(f"#{i.contract_id}", i.reference, _day(ctx, i.period_start), _day(ctx, i.billing_date),
                          _day(ctx, i.due_date), fmt_amount(i.total, lang), i.currency,
                          f"#{i.charge_id}" if i.charge_id else "")
        console().print(table)
    click.echo(_t(ctx, "contracts.billed", invoices=len(report.issued), charges=report.charges,
                  contracts=tn("contracts.n_contracts", report.contracts, ctx.settings.language))
               if report.issued else _t(ctx, "contracts.cli.nothing_due", date=_day(ctx, day)))
    if report.already:
        click.echo(tn("contracts.billed_already", report.already, ctx.settings.language))


# ----------------------------------------------------------------------------------------- charges
def charge_json(c: Any) -> dict[str, Any]:
    from .domain.money import fmt_cents

    return {"id": c.payment_id, "contract": c.contract_id, "customer": c.customer_identifier, "invoice": c.document_ref,
            "scheduled_on": c.scheduled_on.isoformat(), "amount": fmt_cents(c.amount), "currency": c.currency,
            "forma_pago": c.forma_pago, "reference": c.reference, "status": c.status, "reason": c.reason,
            "decided_on": _iso(c.decided_on)}


def _print_charges(ctx: Context, rows: list[Any], status: str) -> None:
    from rich.table import Table

    from .i18n import fmt_amount

    table = Table(title=_t(ctx, "contracts.cli.charges_title", status=status, n=len(rows)), title_justify="left")
    for key, j in (("charge", "right"), ("contract", "right"), ("customer", "left"), ("invoice", "left"),
                   ("scheduled", "left"), ("amount", "right"), ("currency", "left"), ("status", "left"),
                   ("reason", "left")):
        table.add_column(_t(ctx, f"contracts.col.{key}"), justify=j)  # type: ignore[arg-type]
    for c in rows:
        table.add_row(f"#{c.payment_id}", f"#{c.contract_id}", safe_text(c.customer_identifier),
                      c.document_ref, _day(ctx, c.scheduled_on), fmt_amount(c.amount, ctx.settings.language), c.currency,
                      _t(ctx, f"contracts.charge.{c.status}"), safe_text(c.reason))
    console().print(table)


@contracts.command("charges")
@click.option("--confirm", "confirm_id", type=int, help="Confirm this charge (the bank collected it).")
@click.option("--reject", "reject_id", type=int, help="Reject this charge (the bank refused it); needs --reason.")
@click.option("--reason", default="", help="Why the charge was rejected.")
@click.option("--on", "on", help="Date the money came in / was refused (default: the scheduled date, or today).")
@click.option("--status", type=click.Choice(["pending", "confirmed", "rejected", "cancelled", "all"]), default="pending",
              show_default=True, help="Which charges to list.")
@click.option("--contract", "contract_id", type=int, help="Only this contract's charges.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def contracts_charges(ctx: Context, confirm_id: int | None, reject_id: int | None, reason: str, on: str | None,
                      status: str, contract_id: int | None, as_json: bool) -> None:
    """List direct-debit charges, or confirm / reject one."""
    from .domain.money import fmt_cents
    from .ledger import billing
    from .queries import billing as q

    if confirm_id is not None and reject_id is not None:
        fail("use either --confirm or --reject")
    if confirm_id is not None:
        applied = run_write(ctx, billing.confirm_charge, payment_id=confirm_id, on=parse_day(on))
        with ctx.db().read() as s:
            (charge,) = q.list_charges(s, status="all", payment_id=confirm_id, limit=1)
        # What the invoice no longer needed (paid meanwhile, in part or in full) stays as credit.
        credit = charge.amount - sum(a for _, a in applied)
        if as_json:
            click.echo(json.dumps({"id": confirm_id, "status": "confirmed",
                                   "applied": [{"folio": r, "amount": fmt_cents(a)} for r, a in applied],
                                   "credit": fmt_cents(credit), "currency": charge.currency}, indent=2))
        elif applied and credit:
            click.echo(_t(ctx, "contracts.cli.confirmed_partial", id=confirm_id,
                          applied=", ".join(f"{r} {fmt_cents(a)}" for r, a in applied),
                          credit=f"{fmt_cents(credit)} {charge.currency}", folio=charge.document_ref))
        elif applied:
            click.echo(_t(ctx, "contracts.cli.confirmed", id=confirm_id,
                          applied=", ".join(f"{r} {fmt_cents(a)}" for r, a in applied)))
        else:
            click.echo(_t(ctx, "contracts.cli.confirmed_credit", id=confirm_id,
                          credit=f"{fmt_cents(credit)} {charge.currency}", folio=charge.document_ref))
        return
    if reject_id is not None:
        if not reason.strip():
            fail("--reject needs --reason (why the bank refused the charge)")
        run_write(ctx, billing.reject_charge, payment_id=reject_id, reason=reason, on=parse_day(on))
        if as_json:
            click.echo(json_text(json.dumps({"id": reject_id, "status": "rejected", "reason": reason.strip()}, ensure_ascii=False,
                                  indent=2)))
        else:
            click.echo(_t(ctx, "contracts.cli.rejected", id=reject_id, reason=reason.strip()))
        return
    with ctx.db().read() as s:
        rows = q.list_charges(s, status=status, contract_id=contract_id, limit=10_000)
    if as_json:
        click.echo(json_text(json.dumps([charge_json(c) for c in rows], ensure_ascii=False, indent=2)))
        return
    _print_charges(ctx, rows, status)
