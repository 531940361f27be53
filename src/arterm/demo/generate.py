"""Build a realistic demo ledger in bulk.

The ledger's rules are simulated per customer in memory (invoices, partial payments, credit notes,
cancellations, contracts with direct debit, notes) and the result is written with bulk Core
inserts: 100,000 customers take well under two minutes. The same seed and reference date always
give the same data. ``arterm db check`` (queries.integrity) verifies the result reconciles.
"""

from __future__ import annotations

import random
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from typing import Any
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from ..db.engine import Database
from ..db import tables
from ..db.bulk import insert_prepared, prepare_rows
from ..domain.rfc import check_character
from ..domain.text import search_key
from . import names as N

CHUNK = 2000


@dataclass
class DemoStats:
    customers: int = 0
    documents: int = 0
    payments: int = 0
    allocations: int = 0
    contracts: int = 0
    notes: int = 0
    activity: int = 0
    seconds: float = 0.0


def _rfc(rng: random.Random, person: bool, name: str) -> str:
    letters = "".join(ch for ch in name.upper() if "A" <= ch <= "Z")
    head = (letters + "XXXX")[: 4 if person else 3]
    if head in ("BUEI", "CACA", "PUTO", "MAME", "KAKA"):
        head = head[:-1] + "X"
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 20000))
    body = f"{head}{born:%y%m%d}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ123456789')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ123456789')}"
    return body + check_character(body + "0")


def _slug(text: str) -> str:
    out = []
    for ch in search_key(text):
        if ch.isalnum():
            out.append(ch)
    return "".join(out)[:18] or "cliente"


def _tax(amount: int, rate_pct: int = 16) -> int:
    return (amount * rate_pct + 50) // 100


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError


class _Ids:
    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def __call__(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class _Cust:
    """Everything generated for one customer, as rows ready to insert."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in (
        "customer", "contract", "document", "document_line", "payment", "allocation", "note", "activity", "customer_balance")})


class _Generator:
    def __init__(self, seed: int, today: date, operators: list[tuple[int, str]], ids: _Ids,
                 invoices: tuple[int, int] = (2, 12)) -> None:
        self.invoices = invoices
        self.rng = random.Random(seed)
        self.today = today
        self.operators = operators
        self.ids = ids
        self.folios = {"invoice": 0, "sales_note": 0, "credit_note": 0}
        self.stamp = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)

    def _folio(self, kind: str) -> str:
        self.folios[kind] += 1
        return str(self.folios[kind])

    def _uuid(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def _at(self, d: date) -> datetime:
        """A plausible office-hours time on day ``d`` (cheap and deterministic)."""
        self._tick = (getattr(self, "_tick", 0) + 7919) % 32400
        return datetime(d.year, d.month, d.day, 15 + self._tick // 3600 % 9, self._tick // 60 % 60, tzinfo=timezone.utc)

    def customer(self, index: int) -> _Cust:
        rng = self.rng
        out = _Cust()
        cid = self.ids("customer")
        if index == 7:
            name, person = "[bold red]Dulcería La Ñ[/] & <b>Hnos</b>", False
        elif rng.random() < 0.55:
            name = f"{rng.choice(N.COMPANY_WORDS)} {rng.choice(N.COMPANY_NAMES)} {rng.choice(N.COMPANY_TYPES)}"
            person = False
        else:
            name = f"{rng.choice(N.FIRST_NAMES)} {rng.choice(N.SURNAMES)} {rng.choice(N.SURNAMES)}"
            person = True
        if rng.random() < 0.03:
            rfc = "XAXX010101000"
        else:
            rfc = _rfc(rng, person, name.split()[-1] + name if person else name)
        colonia, municipio, state, cp = rng.choice(N.PLACES)
        slug = _slug(name)
        emails = [f"{'facturacion' if not person else slug}@{slug if not person else 'correo'}.com.mx"]
        if rng.random() < 0.3:
            emails.append(f"cxp@{slug}.mx")
        phone = f"{rng.choice(['55', '33', '81', '222', '442', '477'])} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"
        op_id, _ = rng.choice(self.operators)
        terms = rng.choice([0, 15, 30, 30, 30, 45, 60])
        identifier = f"C{cid:06d}"
        out.rows["customer"].append(dict(
            id=cid, identifier=identifier, name=name, rfc=rfc, rfc_check_ok=True,
            tax_regime="612" if person else "601", uso_cfdi="G03", street=rng.choice(N.STREETS),
            ext_number=str(rng.randrange(1, 3000)), int_number=rng.choice(["", "", "", "A", "3", "101"]),
            colonia=colonia, municipio=municipio, state=state, postal_code=f"{cp}{rng.randrange(0, 100):02d}",
            country="MEX", phone=phone, emails=",".join(emails), language="es" if rng.random() < 0.9 else "en",
            assigned_operator_id=op_id, payment_terms_days=terms, credit_limit_cents=rng.choice([None, 5_000_000, 20_000_000]),
            currency="MXN", search_text=search_key(name, rfc, identifier, " ".join(emails), phone),
            created_at=self.stamp - timedelta(days=430), updated_at=self.stamp - timedelta(days=430), version=1))
        events: list[tuple] = []  # (date, order, kind, payload)
        events.append((self.today - timedelta(days=430), 0, "customer_created", {"detail": f"{identifier} {name}", "op": op_id}))
        profile = rng.choices(["good", "average", "slow", "bad"], weights=[40, 30, 20, 10])[0]
        delay = {"good": (-5, 5), "average": (0, 25), "slow": (10, 70), "bad": (30, 200)}[profile]
        p_pay = {"good": 0.97, "average": 0.9, "slow": 0.75, "bad": 0.45}[profile]
        currencies = ["MXN"] + (["USD"] if rng.random() < 0.06 else [])
        docs: list[dict] = []
        n_invoices = rng.randint(*self.invoices)
        for _ in range(n_invoices):
            issue = self.today - timedelta(days=rng.randrange(0, 420))
            docs.append(self._document(cid, issue, terms, rng.choice(currencies), None, None, out))
        if rng.random() < 0.08:
            self._contract(cid, terms, out, docs)
        for doc in docs:
            events.append((doc["issue_date"], 1, f"{doc['kind']}_issued", {"doc": doc}))
        # Payments, credit notes, cancellations.
        for doc in docs:
            total = doc["total_cents"]
            contract = doc.get("_contract")
            if contract is None and rng.random() < 0.02:
                cancel_on = min(self.today, doc["issue_date"] + timedelta(days=rng.randrange(1, 6)))
                doc["status"], doc["cancelled_on"], doc["cancel_reason"] = "cancelled", cancel_on, "Error en datos de facturación"
                doc["balance_cents"] = 0
                events.append((cancel_on, 2, "document_cancelled", {"doc": doc}))
                continue
            remaining = total
            if contract is None and doc["kind"] == "invoice" and rng.random() < 0.04:
                cn_date = doc["issue_date"] + timedelta(days=rng.randrange(3, 20))
                if cn_date <= self.today:
                    cn_total = max(100, (total * rng.randrange(3, 12) // 100) // 100 * 100)
                    cn = self._credit_note(cid, cn_date, cn_total, doc, out)
                    events.append((cn_date, 3, "credit_note_issued", {"doc": cn, "applied": [(doc, cn_total)]}))
                    remaining -= cn_total
            if contract is not None and contract["direct_debit"]:
                pay_on = doc["due_date"]
                if pay_on <= self.today and rng.random() < 0.96:
                    self._payment(cid, pay_on, remaining, [(doc, remaining)], "direct_debit", contract["dd_forma_pago"], out, events, contract["id"])
                continue
            # Collectors chase old debts: past five months nearly everything ends up paid.
            age = (self.today - doc["issue_date"]).days
            if rng.random() > (p_pay if age < 150 else max(p_pay, 0.97)):
                continue
            pay_on = doc["due_date"] + timedelta(days=rng.randint(*delay))
            pay_on = max(pay_on, doc["issue_date"])
            if pay_on > self.today:
                if rng.random() < 0.3 and doc["issue_date"] < self.today:
                    # Partial payment on an open invoice.
                    part = remaining * rng.randrange(20, 70) // 100
                    if part > 0:
                        pay_on = doc["issue_date"] + timedelta(days=rng.randrange(0, (self.today - doc["issue_date"]).days + 1))
                        self._payment(cid, pay_on, part, [(doc, part)], "manual", rng.choice(["03", "03", "01", "02", "04"]), out, events)
                continue
            r = rng.random()
            if r < 0.12 and remaining > 200:
                part = remaining * rng.randrange(25, 80) // 100
                self._payment(cid, pay_on, part, [(doc, part)], "manual", rng.choice(["03", "03", "01", "02"]), out, events)
            elif r < 0.14:
                extra = rng.randrange(100, 50000)
                self._payment(cid, pay_on, remaining + extra, [(doc, remaining)], "manual", "03", out, events)
            else:
                self._payment(cid, pay_on, remaining, [(doc, remaining)], "manual", rng.choice(["03", "03", "03", "01", "02", "04", "28"]), out, events)
        if rng.random() < 0.15:
            for text in rng.sample(["Promesa de pago para el viernes.", "Solicita estado de cuenta por correo.",
                                    "Llamar después de las 4 pm; contacto: cuentas por pagar.",
                                    "Pagará con transferencia, pidió la CLABE de nuevo.",
                                    "Cliente en revisión de crédito: no surtir sin autorización."], rng.randint(1, 2)):
                on = self.today - timedelta(days=rng.randrange(0, 60))
                author = rng.choice(self.operators)[0]
                nid = self.ids("note")
                out.rows["note"].append(dict(id=nid, customer_id=cid, document_id=None, author_id=author, text=text, created_at=self._at(on)))
                events.append((on, 5, "note_added", {"detail": text, "op": author, "no_balance": True}))
        self._activity(cid, events, out, op_id)
        return out

    def _document(self, cid, issue, terms, currency, contract, period_start, out):  # type: ignore[no-untyped-def]
        rng = self.rng
        kind = "sales_note" if contract is None and rng.random() < 0.15 else "invoice"
        doc_id = self.ids("document")
        subtotal = tax = 0
        lines = []
        if contract is not None:
            products = [(contract["description"], contract["amount_cents"], 1)]
        else:
            products = []
            for _ in range(rng.randint(1, 3)):
                desc, price = rng.choice(N.PRODUCTS)
                cents = int(price.replace(".", ""))
                if currency == "USD":
                    cents = max(1000, cents // 17)
                products.append((desc, cents, rng.randint(1, 12)))
        for pos, (desc, price, qty) in enumerate(products):
            amount = price * qty
            t = _tax(amount)
            subtotal += amount
            tax += t
            lines.append(dict(id=self.ids("document_line"), document_id=doc_id, position=pos, description=desc,
                              quantity=str(qty), unit_price=f"{price / 100:.2f}", tax_rate="0.16",
                              amount_cents=amount, tax_cents=t))
        metodo = "" if kind == "sales_note" else ("PUE" if terms == 0 else "PPD")
        doc = dict(id=doc_id, customer_id=cid, kind=kind, series={"invoice": "A", "sales_note": "NV"}[kind],
                   folio=self._folio(kind), issue_date=issue, due_date=issue + timedelta(days=terms), currency=currency,
                   exchange_rate="1" if currency == "MXN" else "17.2500", subtotal_cents=subtotal, discount_cents=0,
                   tax_cents=tax, total_cents=subtotal + tax, balance_cents=subtotal + tax, status="current",
                   metodo_pago=metodo, forma_pago="99" if metodo == "PPD" else "03",
                   cfdi_uuid=self._uuid() if kind == "invoice" else None,
                   contract_id=contract["id"] if contract else None, period_start=period_start, description="",
                   cancelled_on=None, cancel_reason="", created_at=self._at(issue), created_by=None, version=1)
        if contract is not None:
            doc["_contract"] = contract
        out.rows["document"].append(doc)
        out.rows["document_line"].extend(lines)
        return doc

    def _credit_note(self, cid, on, total, target, out):  # type: ignore[no-untyped-def]
        doc_id = self.ids("document")
        subtotal = total * 100 // 116
        doc = dict(id=doc_id, customer_id=cid, kind="credit_note", series="NC", folio=self._folio("credit_note"),
                   issue_date=on, due_date=on, currency=target["currency"], exchange_rate=target["exchange_rate"],
                   subtotal_cents=subtotal, discount_cents=0, tax_cents=total - subtotal, total_cents=total,
                   balance_cents=0, status="paid", metodo_pago="PUE", forma_pago="15", cfdi_uuid=self._uuid(),
                   contract_id=None, period_start=None, description="Descuento por pronto pago", cancelled_on=None,
                   cancel_reason="", created_at=self._at(on), created_by=None, version=1)
        out.rows["document"].append(doc)
        out.rows["document_line"].append(dict(id=self.ids("document_line"), document_id=doc_id, position=0,
                                              description="Bonificación", quantity="1", unit_price=f"{subtotal / 100:.2f}",
                                              tax_rate="0.16", amount_cents=subtotal, tax_cents=total - subtotal))
        self._allocate(out, cid, target, total, on, credit_note_id=doc_id)
        return doc

    def _allocate(self, out, cid, doc, amount, on, payment_id=None, credit_note_id=None):  # type: ignore[no-untyped-def]
        doc["balance_cents"] -= amount
        assert doc["balance_cents"] >= 0
        if doc["balance_cents"] == 0:
            doc["status"] = "paid"
        out.rows["allocation"].append(dict(id=self.ids("allocation"), customer_id=cid, document_id=doc["id"],
                                           payment_id=payment_id, credit_note_id=credit_note_id, amount_cents=amount,
                                           source_amount_cents=amount, applied_on=max(on, doc["issue_date"]),
                                           reversed_on=None, created_at=self._at(on), created_by=None))

    def _payment(self, cid, on, amount, allocs, origin, forma, out, events, contract_id=None):  # type: ignore[no-untyped-def]
        if amount <= 0:
            return
        pid = self.ids("payment")
        used = 0
        for doc, a in allocs:
            if a > 0:
                self._allocate(out, cid, doc, a, on, payment_id=pid)
                used += a
        ppd = any(doc["metodo_pago"] == "PPD" for doc, a in allocs if a > 0)
        rep_status, rep_uuid = "not_required", None
        if ppd:
            recent = (self.today - on).days < 45
            if recent and self.rng.random() < 0.6:
                rep_status = "pending"
            else:
                rep_status, rep_uuid = "issued", self._uuid()
        unapplied = amount - used
        status = "applied" if unapplied == 0 else ("unapplied" if used == 0 else "partial")
        ref = {"03": f"SPEI {self.rng.randrange(10**9, 10**10)}", "02": f"Cheque {self.rng.randrange(1000, 99999)}"}.get(forma, "")
        out.rows["payment"].append(dict(id=pid, customer_id=cid, paid_on=on, amount_cents=amount,
                                        currency=allocs[0][0]["currency"], exchange_rate="1", forma_pago=forma,
                                        reference=ref, origin=origin, status=status, unapplied_cents=unapplied,
                                        rep_status=rep_status, rep_uuid=rep_uuid, contract_id=contract_id,
                                        cancelled_on=None, cancel_reason="", created_at=self._at(on), created_by=None,
                                        version=1))
        events.append((on, 4, "payment_recorded", {"pay_id": pid, "amount": amount, "used": used,
                                                   "currency": allocs[0][0]["currency"],
                                                   "detail": "; ".join(f"{d['series']}-{d['folio']} {a / 100:.2f}" for d, a in allocs if a > 0)
                                                   + (f"; credit {unapplied / 100:.2f}" if unapplied else "")}))

    def _contract(self, cid, terms, out, docs):  # type: ignore[no-untyped-def]
        rng = self.rng
        contract_id = self.ids("contract")
        start = _add_months(self.today.replace(day=1), -rng.randint(3, 10))
        direct = rng.random() < 0.4
        desc, price = rng.choice([("Póliza de soporte mensual", 560000), ("Renta de equipo mensual", 720000),
                                  ("Servicio de mantenimiento mensual", 450000)])
        contract = dict(id=contract_id, customer_id=cid, description=desc, amount_cents=price, tax_rate="0.16",
                        currency="MXN", frequency="monthly", start_date=start, end_date=None, periods=None,
                        billing_day=1, payment_terms_days=terms or 15, metodo_pago="PPD", forma_pago="99",
                        direct_debit=direct, dd_forma_pago="04" if direct else "",
                        dd_reference=f"**** {rng.randrange(1000, 9999)}" if direct else "", status="active",
                        status_reason="", created_at=self._at(start), updated_at=self._at(start), version=1)
        out.rows["contract"].append(contract)
        k = 0
        while True:
            period = _add_months(start, k)
            if period > self.today:
                break
            docs.append(self._document(cid, period, terms or 15, "MXN", contract, period, out))
            k += 1

    def _activity(self, cid, events, out, op_id):  # type: ignore[no-untyped-def]
        events.sort(key=lambda e: (e[0], e[1]))
        open_ = {}
        credit = {}
        for on, _, kind, p in events:
            cur = ""
            amount = None
            doc_id = pay_id = None
            detail = p.get("detail", "")
            if "doc" in p:
                doc = p["doc"]
                cur = doc["currency"]
                doc_id = doc["id"]
                amount = doc["total_cents"]
                detail = f"{doc['series']}-{doc['folio']}"
                if kind in ("invoice_issued", "sales_note_issued"):
                    open_[cur] = open_.get(cur, 0) + amount
                elif kind == "credit_note_issued":
                    applied = sum(a for _, a in p["applied"])
                    open_[cur] = open_.get(cur, 0) - applied
                    credit[cur] = credit.get(cur, 0) + amount - applied
                    detail += "; " + ", ".join(f"{d['series']}-{d['folio']} {a / 100:.2f}" for d, a in p["applied"])
                elif kind == "document_cancelled":
                    open_[cur] = open_.get(cur, 0) - amount
                    detail += ": " + doc["cancel_reason"]
            elif kind == "payment_recorded":
                cur = p["currency"]
                pay_id = p["pay_id"]
                amount = p["amount"]
                open_[cur] = open_.get(cur, 0) - p["used"]
                credit[cur] = credit.get(cur, 0) + amount - p["used"]
            out.rows["activity"].append(dict(
                id=self.ids("activity"), customer_id=cid, at=self._at(on), on_date=on, kind=kind, document_id=doc_id,
                payment_id=pay_id, contract_id=None, actor_id=p.get("op", op_id), amount_cents=amount, currency=cur,
                balance_after_cents=open_.get(cur) if cur else None, credit_after_cents=credit.get(cur) if cur else None,
                detail=detail))
        for cur in sorted(set(open_) | set(credit)):
            out.rows["customer_balance"].append(dict(customer_id=cid, currency=cur, open_cents=open_.get(cur, 0),
                                                     credit_cents=credit.get(cur, 0)))


TABLE_ORDER = ("customer", "contract", "document", "document_line", "payment", "allocation", "note", "activity",
               "customer_balance")
TABLES = {name: getattr(tables, name) for name in TABLE_ORDER}


PARALLEL_FROM = 5000  # customers; below that a child process costs more than it saves
_COUNTED = {"customer": "customers", "document": "documents", "payment": "payments", "allocation": "allocations",
            "contract": "contracts", "note": "notes", "activity": "activity"}


# What the generator yields (plain tuples: they cross a process boundary as pickles):
#   ("chunk", {table: Prepared}, {DemoStats field: rows})  for every CHUNK customers, then
#   ("tail", ids_next, folios)                               the ids and folios it used.
Item = tuple[str, dict[str, Any], dict[str, int]]


def _chunks(seed: int, today: date, op_ids: list[tuple[int, str]], start_ids: dict[str, int],
            invoices: tuple[int, int], customers: int, dialect: str, chunk: int) -> Iterator[Item]:
    """The demo rows, ``chunk`` customers at a time, ready for ``insert_prepared``."""
    ids = _Ids(start_ids)
    gen = _Generator(seed, today, op_ids, ids, invoices)
    done = 0
    while done < customers:
        batch = min(chunk, customers - done)
        rows: dict[str, list[dict]] = {k: [] for k in TABLE_ORDER}
        for i in range(batch):
            one = gen.customer(done + i)
            for k in TABLE_ORDER:
                rows[k].extend(one.rows[k])
        for doc in rows["document"]:
            doc.pop("_contract", None)
        counts = {field: len(rows[table]) for table, field in _COUNTED.items()}
        yield "chunk", {k: prepare_rows(dialect, TABLES[k], rows[k]) for k in TABLE_ORDER}, counts
        done += batch
    yield "tail", dict(ids.next), dict(gen.folios)


def _chunks_from_process(*args: Any) -> Iterator[Item]:
    """``_chunks`` computed by a child Python process (``arterm.demo._producer``) and read back
    through a pipe, so generating (Python) and inserting (this process) use two cores instead of
    taking turns on one GIL. A plain subprocess rather than ``multiprocessing``: nothing depends
    on how the parent was started (console script, ``python -c``, a script without a main guard)."""
    import pickle
    import subprocess
    import sys
    import tempfile

    # stderr to a file, not a pipe: a child that wrote a lot of warnings must not block on a full
    # pipe while this process waits on its stdout.
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, "-m", "arterm.demo._producer"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=errors)
        assert child.stdin is not None and child.stdout is not None
        try:
            pickle.dump(args, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            child.stdin.close()
            while True:
                try:
                    item = pickle.load(child.stdout)
                except EOFError:
                    child.wait()
                    errors.seek(0)
                    error = errors.read().decode(errors="replace").strip()
                    raise RuntimeError(f"demo generator process failed (exit code {child.returncode}): "
                                       f"{error.splitlines()[-1] if error else 'no output'}") from None
                yield item
                if item[0] == "tail":
                    return
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()


def generate_demo(
    db: Database,
    *,
    customers: int = 300,
    seed: int = 1,
    today: date | None = None,
    current_operator: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    invoices_per_customer: tuple[int, int] = (2, 12),
    parallel: bool | None = None,
) -> DemoStats:
    """Fill an empty database with ``customers`` demo customers and their history.

    With ``parallel`` (default: from PARALLEL_FROM customers on) the rows are generated in a
    child process while this one inserts them; the data is the same either way.
    """
    from ..ledger import upsert_operator

    started = time.perf_counter()
    today = today or date.today()
    with db.read() as s:
        existing = s.execute(sa.select(sa.func.count()).select_from(tables.customer)).scalar_one()
    if existing:
        raise ValueError(f"the database already has {existing} customers; demo data goes into an empty database")
    with db.write() as s:
        op_ids = [(upsert_operator(s, username=u, full_name=n, email=f"{u}@example.com"), u) for u, n in N.OPERATORS]
        if current_operator and current_operator not in {u for u, _ in N.OPERATORS}:
            op_ids.append((upsert_operator(s, username=current_operator, full_name=current_operator,
                                           email=f"{current_operator}@example.com"), current_operator))
        start_ids = {}
        for name in ("customer", "contract", "document", "document_line", "payment", "allocation", "note", "activity"):
            table = TABLES[name]
            start_ids[name] = int(s.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()) + 1
    stats = DemoStats()
    args = (seed, today, op_ids, start_ids, invoices_per_customer, customers, db.dialect, CHUNK)
    if parallel is None:
        parallel = customers >= PARALLEL_FROM
    chunks = _chunks_from_process(*args) if parallel else _chunks(*args)
    ids_next: dict[str, Any] | None = None
    folios: dict[str, int] = {}
    for kind, data, extra in chunks:
        if kind == "tail":  # the last item: the loop ends (and the child process is waited for)
            ids_next, folios = data, extra
            continue
        with db.write() as s:
            for k in TABLE_ORDER:
                insert_prepared(s, TABLES[k], data[k])
        for name, n in extra.items():
            setattr(stats, name, getattr(stats, name) + n)
        if progress:
            progress(stats.customers, customers)
    if ids_next is None:  # pragma: no cover - the producer always ends with its tail or raises
        raise RuntimeError("demo generation stopped early")
    with db.write() as s:
        seq = tables.sequence
        values = {"customer_identifier": ids_next["customer"] - 1, "folio:invoice:A": folios["invoice"],
                  "folio:sales_note:NV": folios["sales_note"], "folio:credit_note:NC": folios["credit_note"]}
        for name, value in values.items():
            s.execute(seq.delete().where(seq.c.name == name))
            s.execute(seq.insert().values(name=name, value=value))
        if db.dialect == "postgresql":
            for name in ("customer", "contract", "document", "document_line", "payment", "allocation", "note", "activity", "operator"):
                s.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {name}), 1))"))
    if db.dialect == "sqlite":
        with db.write_engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        # Our tables only: a bare ANALYZE walks every table of the database, and failed ("relation
        # with OID ... does not exist") when another schema's table was dropped meanwhile.
        with db.write_engine.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote
            names = ", ".join(quote(t.name) for t in tables.metadata.sorted_tables)
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"ANALYZE {names}")
    stats.seconds = time.perf_counter() - started
    return stats


__all__ = ["DemoStats", "generate_demo"]
