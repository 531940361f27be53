"""Command-line access to every ledger operation and profile list (scriptable, testable)."""

from __future__ import annotations

import json
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
from .domain.text import json_text


def _lines(lines: tuple[str, ...], amount: str | None, description: str, tax_rate: str) -> list[Any]:
    from .ledger import LineInput

    out = []
    for spec in lines:
        parts = [p.strip() for p in spec.split(";")]
        if len(parts) not in (3, 4):
            raise click.BadParameter(f"{spec!r}: use 'description;quantity;unit price[;tax rate]'", param_hint="--line")
        out.append(LineInput(parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else tax_rate))
    if amount is not None:
        out.append(LineInput(description, "1", amount, tax_rate))
    if not out:
        raise click.BadParameter("give --amount or at least one --line", param_hint="--line")
    return out


def _allocations(values: tuple[str, ...], ctx: Context, customer_id: int) -> list[tuple[int, str]]:
    """``A-12=500.00`` or ``#34=500`` → (document id, amount)."""
    import sqlalchemy as sa

    from .db import tables

    doc = tables.document
    out = []
    with ctx.db().read() as s:
        for v in values:
            if "=" not in v:
                raise click.BadParameter(f"{v!r}: use DOCUMENT=AMOUNT, e.g. A-1042=1500.00", param_hint="--apply")
            ref, amount = v.rsplit("=", 1)
            ref = ref.strip()
            if ref.startswith("#") and ref[1:].isdigit():
                cond = doc.c.id == int(ref[1:])
            elif "-" in ref:
                series, folio = ref.rsplit("-", 1)
                cond = sa.and_(doc.c.series == series, doc.c.folio == folio)
            else:
                cond = doc.c.folio == ref
            ids = s.execute(sa.select(doc.c.id).where(cond, doc.c.customer_id == customer_id)).scalars().all()
            if len(ids) != 1:
                fail(f"document {ref!r} not found for this customer" if not ids else f"{ref!r} is ambiguous; use #id")
            out.append((ids[0], amount))
    return out


# ------------------------------------------------------------------------------------- customers
@cli.command("customers")
@click.argument("query", required=False, default="")
@click.option("--overdue", "only_overdue", is_flag=True, help="Only customers with overdue documents.")
@click.option("--assigned", help="Only customers assigned to this operator.")
@click.option("--sort", type=click.Choice(["name", "balance", "overdue", "identifier"]), default="name")
@click.option("--limit", default=50, show_default=True)
@click.option("--offset", default=0)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def customers_cmd(ctx: Context, query: str, only_overdue: bool, assigned: str | None, sort: str, limit: int,
                  offset: int, as_json: bool) -> None:
    """Search customers (accent/case-insensitive over name, RFC, identifier, email, phone)."""
    from .domain.money import fmt_cents
    from .queries.customers import count_customers, search_customers

    with ctx.db().read() as s:
        total = count_customers(s, query, only_overdue=only_overdue, assigned=assigned)
        rows = search_customers(s, query, offset=offset, limit=limit, sort=sort, descending=sort != "name" and sort != "identifier",
                                only_overdue=only_overdue, assigned=assigned)
    if as_json:
        click.echo(json_text(json.dumps({"count": total, "customers": [
            {"identifier": r.identifier, "name": r.name, "rfc": r.rfc, "assigned": r.assigned, "currency": r.currency,
             "current": fmt_cents(r.current), "overdue": fmt_cents(r.overdue), "total": fmt_cents(r.total)} for r in rows]},
            ensure_ascii=False, indent=2)))
        return
    from rich.table import Table

    from .i18n import fmt_amount

    table = Table(title=f"{total} customers", title_justify="left")
    for col, j in (("Identifier", "left"), ("Name", "left"), ("RFC", "left"), ("Assigned", "left"),
                   ("Current", "right"), ("Overdue", "right"), ("Total", "right")):
        table.add_column(col, justify=j)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(safe_text(r.identifier), safe_text(r.name), safe_text(r.rfc), safe_text(r.assigned), fmt_amount(r.current, "en"),
                      fmt_amount(r.overdue, "en"), fmt_amount(r.total, "en") + f" {r.currency}")
    console().print(table)


@cli.group()
def customer() -> None:
    """Create and edit customers."""


def _address(**kw: str | None) -> Any:
    from .ledger import Address

    return Address(**{k: v or "" for k, v in kw.items() if k != "country"}, country=kw.get("country") or "MEX")


_ADDRESS_OPTS = ("street", "ext_number", "int_number", "colonia", "municipio", "state", "postal_code", "country")


def address_options(f):  # type: ignore[no-untyped-def]
    for name in reversed(_ADDRESS_OPTS):
        f = click.option(f"--{name.replace('_', '-')}", name, default=None)(f)
    return f


@customer.command("add")
@click.option("--name", required=True)
@click.option("--rfc", required=True)
@click.option("--identifier", help="Customer code (default: next C000123).")
@click.option("--email", "emails", multiple=True, help="Billing email (repeat for several).")
@click.option("--phone", default="")
@click.option("--terms", "payment_terms_days", default=30, show_default=True, help="Payment terms in days.")
@click.option("--currency", default="MXN", show_default=True)
@click.option("--language", type=click.Choice(["es", "en"]), default="es")
@click.option("--assign", "assigned_to", help="Operator the customer is assigned to.")
@click.option("--tax-regime", default="")
@click.option("--uso-cfdi", default="")
@click.option("--force-rfc", is_flag=True, help="Save an RFC whose check character looks wrong.")
@address_options
@click.pass_obj
def customer_add(ctx: Context, force_rfc: bool, **kw: Any) -> None:
    """Create a customer."""
    from .ledger import create_customer

    address = _address(**{k: kw.pop(k) for k in _ADDRESS_OPTS})
    kw["emails"] = list(kw["emails"])
    customer_id = run_write(ctx, create_customer, create=True, address=address, allow_bad_rfc_check=force_rfc, **kw)
    from .queries.customers import customer_detail

    with ctx.db().read() as s:
        d = customer_detail(s, customer_id)
    click.echo(f"created {d.identifier} {d.name}")


@customer.command("edit")
@click.argument("query")
@click.option("--name")
@click.option("--rfc")
@click.option("--email", "emails", multiple=True, help="Replaces the billing emails (repeat for several).")
@click.option("--phone")
@click.option("--language", type=click.Choice(["es", "en"]))
@click.option("--tax-regime")
@click.option("--uso-cfdi")
@click.option("--credit-limit")
@click.option("--force-rfc", is_flag=True)
@address_options
@click.pass_obj
def customer_edit(ctx: Context, query: str, force_rfc: bool, **kw: Any) -> None:
    """Edit a customer's profile."""
    from .ledger import update_customer

    customer_id = resolve_customer(ctx, query)
    changes = {k: v for k, v in kw.items() if v not in (None, ())}
    if "emails" in changes:
        changes["emails"] = list(changes["emails"])
    if not changes:
        fail("nothing to change")
    run_write(ctx, update_customer, customer_id=customer_id, allow_bad_rfc_check=force_rfc, **changes)
    click.echo("saved")


@customer.command("assign")
@click.argument("query")
@click.argument("operator")
@click.pass_obj
def customer_assign(ctx: Context, query: str, operator: str) -> None:
    """Assign a customer to an operator (use '-' to unassign)."""
    from .ledger import assign_operator

    run_write(ctx, assign_operator, customer_id=resolve_customer(ctx, query), username=None if operator == "-" else operator)
    click.echo("saved")


@customer.command("set-id")
@click.argument("query")
@click.argument("identifier")
@click.pass_obj
def customer_set_id(ctx: Context, query: str, identifier: str) -> None:
    """Set a customer's identifier (customer code)."""
    from .ledger import set_identifier

    run_write(ctx, set_identifier, customer_id=resolve_customer(ctx, query), identifier=identifier)
    click.echo("saved")


@customer.command("terms")
@click.argument("query")
@click.argument("days")
@click.pass_obj
def customer_terms(ctx: Context, query: str, days: str) -> None:
    """Set a customer's payment terms in days."""
    from .ledger import set_payment_terms

    run_write(ctx, set_payment_terms, customer_id=resolve_customer(ctx, query), days=days)
    click.echo("saved")


@cli.group()
def operator() -> None:
    """Operators (the people using arterm)."""


@operator.command("add")
@click.argument("username")
@click.option("--name", "full_name", default="")
@click.option("--email", default="")
@click.pass_obj
def operator_add(ctx: Context, username: str, full_name: str, email: str) -> None:
    """Create or update an operator."""
    from .domain.errors import DomainError
    from .ledger import upsert_operator

    try:
        with ctx.db(create=True).write() as s:
            upsert_operator(s, username=username, full_name=full_name, email=email)
    except DomainError as exc:
        fail(str(exc))
    click.echo("saved")


# ------------------------------------------------------------------------------------- documents
def _doc_options(f):  # type: ignore[no-untyped-def]
    for opt in reversed([
        click.option("--line", "lines", multiple=True, help="'description;quantity;unit price[;tax rate]' (repeat)."),
        click.option("--amount", help="Single line: amount before tax."),
        click.option("--description", default="Venta", show_default=True, help="Description for --amount."),
        click.option("--tax-rate", default="0.16", show_default=True),
        click.option("--date", "issue_date", help="Issue date (default today)."),
        click.option("--currency"),
        click.option("--exchange-rate"),
        click.option("--series"),
        click.option("--folio"),
        click.option("--uuid", "cfdi_uuid", help="CFDI UUID (folio fiscal)."),
    ]):
        f = opt(f)
    return f


@cli.command("invoice")
@click.argument("query")
@_doc_options
@click.option("--due", "due_date", help="Due date (default issue date + payment terms).")
@click.option("--metodo", "metodo_pago", type=click.Choice(["PUE", "PPD"]), default="PPD", show_default=True)
@click.option("--forma", "forma_pago", default=None, help="c_FormaPago (default 99 for PPD, 03 for PUE).")
@click.option("--sales-note", is_flag=True, help="Issue a sales note (nota de venta) instead of an invoice.")
@click.pass_obj
def invoice_cmd(ctx: Context, query: str, lines: tuple[str, ...], amount: str | None, description: str, tax_rate: str,
                issue_date: str | None, due_date: str | None, sales_note: bool, forma_pago: str | None, **kw: Any) -> None:
    """Issue an invoice (or a sales note) to a customer."""
    from .ledger import issue_document

    customer_id = resolve_customer(ctx, query)
    forma = forma_pago or ("99" if kw["metodo_pago"] == "PPD" else "03")
    doc_id = run_write(ctx, issue_document, customer_id=customer_id, kind="sales_note" if sales_note else "invoice",
                       lines=_lines(lines, amount, description, tax_rate), issue_date=parse_day(issue_date) or date.today(),
                       due_date=parse_day(due_date), forma_pago=forma, **kw)
    _print_doc(ctx, doc_id, "issued")


def _print_doc(ctx: Context, doc_id: int, verb: str) -> None:
    from .domain.money import fmt_cents
    from .queries.lists import document_detail

    with ctx.db().read() as s:
        d = document_detail(s, doc_id)
    click.echo(f"{verb} {d.row.reference}: total {fmt_cents(d.row.total)} {d.row.currency}, "
               f"balance {fmt_cents(d.row.balance)}, due {d.row.due_date.isoformat()}")


@cli.command("credit-note")
@click.argument("query")
@_doc_options
@click.option("--apply", "apply_to", multiple=True, help="DOCUMENT=AMOUNT to credit (repeat); default oldest first.")
@click.option("--no-apply", is_flag=True, help="Keep the whole credit note as customer credit.")
@click.pass_obj
def credit_note_cmd(ctx: Context, query: str, lines: tuple[str, ...], amount: str | None, description: str,
                    tax_rate: str, issue_date: str | None, apply_to: tuple[str, ...], no_apply: bool, **kw: Any) -> None:
    """Issue a credit note against one or more invoices."""
    from .ledger import issue_credit_note

    customer_id = resolve_customer(ctx, query)
    plan: Any = None if no_apply else (_allocations(apply_to, ctx, customer_id) if apply_to else "oldest")
    doc_id = run_write(ctx, issue_credit_note, customer_id=customer_id, lines=_lines(lines, amount, description, tax_rate),
                       issue_date=parse_day(issue_date) or date.today(), applies_to=plan, **kw)
    _print_doc(ctx, doc_id, "issued")


@cli.command("pay")
@click.argument("query")
@click.argument("amount")
@click.option("--date", "paid_on", help="Payment date (default today).")
@click.option("--forma", "forma_pago", default="03", show_default=True, help="c_FormaPago (01 cash, 03 transfer, ...).")
@click.option("--reference", default="")
@click.option("--currency")
@click.option("--apply", "apply_to", multiple=True, help="DOCUMENT=AMOUNT (repeat); default oldest due first.")
@click.option("--no-apply", is_flag=True, help="Keep the whole payment as customer credit.")
@click.pass_obj
def pay_cmd(ctx: Context, query: str, amount: str, paid_on: str | None, apply_to: tuple[str, ...], no_apply: bool,
            **kw: Any) -> None:
    """Record a payment and allocate it."""
    from .domain.money import fmt_cents
    from .ledger import record_payment
    from .queries.lists import payment_detail

    customer_id = resolve_customer(ctx, query)
    plan: Any = None if no_apply else (_allocations(apply_to, ctx, customer_id) if apply_to else "oldest")
    pay_id = run_write(ctx, record_payment, customer_id=customer_id, amount=amount,
                       paid_on=parse_day(paid_on) or date.today(), allocations=plan, **kw)
    with ctx.db().read() as s:
        p, allocs, _ = payment_detail(s, pay_id)
    applied = ", ".join(f"{a.document_ref} {fmt_cents(a.amount)}" for a in allocs) or "nothing"
    click.echo(f"payment #{p.id} {fmt_cents(p.amount)} {p.currency}: applied to {applied}; "
               f"credit {fmt_cents(p.unapplied)}")


@cli.command("apply-credit")
@click.argument("query")
@click.option("--payment", "payment_id", type=int)
@click.option("--credit-note", "credit_note_id", type=int)
@click.option("--apply", "apply_to", multiple=True, help="DOCUMENT=AMOUNT (repeat); default oldest due first.")
@click.pass_obj
def apply_credit_cmd(ctx: Context, query: str, payment_id: int | None, credit_note_id: int | None,
                     apply_to: tuple[str, ...]) -> None:
    """Apply a customer's unapplied payment or credit note to open documents."""
    from .domain.money import fmt_cents
    from .ledger import apply_credit

    customer_id = resolve_customer(ctx, query)
    plan: Any = _allocations(apply_to, ctx, customer_id) if apply_to else "oldest"
    applied = run_write(ctx, apply_credit, customer_id=customer_id, payment_id=payment_id,
                        credit_note_id=credit_note_id, allocations=plan)
    click.echo("applied " + ", ".join(f"{r} {fmt_cents(a)}" for r, a in applied))


@cli.command("cancel")
@click.argument("what", type=click.Choice(["document", "payment"]))
@click.argument("ident", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def cancel_cmd(ctx: Context, what: str, ident: int, reason: str) -> None:
    """Cancel a document or a payment by id (its allocations are reverted)."""
    from .ledger import cancel_document, cancel_payment

    if what == "document":
        run_write(ctx, cancel_document, document_id=ident, reason=reason)
    else:
        run_write(ctx, cancel_payment, payment_id=ident, reason=reason)
    click.echo("cancelled")


@cli.command("note")
@click.argument("query")
@click.argument("text")
@click.option("--document", "document_id", type=int, help="Attach the note to this document id.")
@click.pass_obj
def note_cmd(ctx: Context, query: str, text: str, document_id: int | None) -> None:
    """Add an internal note to a customer (or one of its documents)."""
    from .ledger import add_note

    run_write(ctx, add_note, customer_id=resolve_customer(ctx, query), text=text, document_id=document_id)
    click.echo("saved")


# ------------------------------------------------------------------------------------------ show
@cli.command("show")
@click.argument("query")
@click.option("--section", type=click.Choice(["all", "sales", "payments", "credit-notes", "contracts", "notes", "activity"]),
              default="all")
@click.option("--limit", default=20, show_default=True)
@click.pass_obj
def show_cmd(ctx: Context, query: str, section: str, limit: int) -> None:
    """A customer's profile: header, balances, documents, payments, credit notes, contracts, notes, activity."""
    from rich.table import Table

    from .i18n import fmt_amount
    from .queries import lists
    from .queries.balances import customer_balances
    from .queries.customers import customer_detail

    customer_id = resolve_customer(ctx, query)
    out = console()
    with ctx.db().read() as s:
        d = customer_detail(s, customer_id)
        bal = customer_balances(s, [customer_id], as_of=date.today(), limits=ctx.settings.aging_buckets, include_zero=True)
        docs = lists.list_documents(s, customer_id, limit=limit)
        pays = lists.list_payments(s, customer_id, limit=limit)
        cns = lists.list_documents(s, customer_id, kinds=("credit_note",), limit=limit)
        applied = lists.credit_note_applications(s, [c.id for c in cns])
        contracts = lists.list_contracts(s, customer_id)
        notes = lists.list_notes(s, customer_id, limit=limit)
        acts = lists.list_activity(s, customer_id, limit=limit)

    def table(title: str, cols: list[str]) -> Table:
        t = Table(title=title, title_justify="left")
        for c in cols:
            t.add_column(c, justify="right" if c in ("Total", "Balance", "Amount", "Unapplied", "After") else "left")
        return t

    if section == "all":
        out.print(safe_text(d.name, "bold") + safe_text(f"  {d.identifier}  RFC {d.rfc}"))
        out.print(safe_text(f"Assigned: {d.assigned or '-'}   Terms: {d.payment_terms_days} days   "
                       f"Emails: {', '.join(d.emails) or '-'}   Phone: {d.phone or '-'}"))
        for line in d.address_lines:
            out.print(safe_text(line))
        for b in bal:
            out.print(safe_text(f"{b.currency}: current {fmt_amount(b.current, 'en')}  overdue {fmt_amount(b.overdue, 'en')}  "
                           f"total {fmt_amount(b.total, 'en')}  credit {fmt_amount(b.credit, 'en')}  "
                           + "  ".join(f"[{k}] {fmt_amount(v, 'en')}" for k, v in b.buckets.items())))
    if section in ("all", "sales"):
        t = table("Sales", ["Id", "Doc", "Kind", "Issued", "Due", "Status", "Total", "Balance", "Contract"])
        for r in docs:
            t.add_row(str(r.id), safe_text(r.reference), r.kind, r.issue_date.isoformat(), r.due_date.isoformat(),
                      r.status + (f" {r.days_overdue}d" if r.days_overdue else ""), fmt_amount(r.total, "en"),
                      fmt_amount(r.balance, "en"), f"#{r.contract_id}" if r.contract_id else "")
        out.print(t)
    if section in ("all", "payments"):
        t = table("Payments", ["Id", "Date", "Amount", "Unapplied", "Status", "REP", "Origin", "Forma"])
        for p in pays:
            rep = p.rep_status + (f" {p.rep_uuid}" if p.rep_uuid else "") + (f" by {p.rep_deadline}" if p.rep_deadline else "")
            t.add_row(str(p.id), p.paid_on.isoformat(), fmt_amount(p.amount, "en"), fmt_amount(p.unapplied, "en"),
                      p.status, safe_text(rep), p.origin, p.forma_pago)
        out.print(t)
    if section in ("all", "credit-notes"):
        t = table("Credit notes", ["Id", "Doc", "Issued", "Due", "UUID", "Total", "Unapplied", "Applied to"])
        for c in cns:
            to = ", ".join(f"{a.document_ref} {fmt_amount(a.amount, 'en')}" for a in applied[c.id] if a.reversed_on is None)
            t.add_row(str(c.id), safe_text(c.reference), c.issue_date.isoformat(), c.due_date.isoformat(), c.cfdi_uuid or "",
                      fmt_amount(c.total, "en"), fmt_amount(c.balance, "en"), safe_text(to))
        out.print(t)
    if section in ("all", "contracts"):
        t = table("Contracts", ["Id", "Description", "Frequency", "Amount", "Direct debit", "Status"])
        for c in contracts:
            t.add_row(str(c.id), safe_text(c.description), c.frequency, fmt_amount(c.amount, "en") + f" {c.currency}",
                      ("yes " + c.dd_reference) if c.direct_debit else "no", c.status)
        out.print(t)
    if section in ("all", "notes"):
        t = table("Notes", ["When", "Author", "Document", "Note"])
        for n in notes:
            t.add_row(n.created_at.strftime("%Y-%m-%d %H:%M"), safe_text(n.author), safe_text(n.document_ref), safe_text(n.text))
        out.print(t)
    if section in ("all", "activity"):
        t = table("Activity", ["Date", "Event", "By", "Doc", "Status", "Amount", "After", "Detail"])
        for a in acts:
            t.add_row(a.on_date.isoformat(), a.kind, safe_text(a.actor), safe_text(a.document_ref), a.document_status,
                      fmt_amount(a.amount, "en") if a.amount is not None else "",
                      fmt_amount(a.balance_after, "en") if a.balance_after is not None else "", safe_text(a.detail))
        out.print(t)
