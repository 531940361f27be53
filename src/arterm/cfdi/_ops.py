"""The ledger commands the importer needs, in driver-level SQL (see ``_sql.py`` for why).

Each one keeps exactly the invariants of its counterpart in ``arterm.ledger``: every balance change
is a conditional ``UPDATE`` (``... WHERE balance_cents >= :amount``), customer totals move through
the same ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` as ``ledger._base.bump_balance`` (and
refuse to go negative), and every event gets an ``activity`` row with the customer's balance after
it. What nothing reads back during the import — activity, document lines, ``cfdi_file`` and the
documents of plain invoices — is collected per file in ``rows`` and inserted in bulk
(``Raw.insert_many``: ``executemany`` / ``COPY``) by the importer, or dropped with the file when it
fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from ..domain.errors import ConcurrencyError, DomainError
from ..domain.money import fmt_cents
from ..domain.text import search_key
from ._sql import Raw

ACTIVE_PAYMENT = ("applied", "partial", "unapplied")


def reference(series: str, folio: str, doc_id: int) -> str:
    if series or folio:
        return f"{series}-{folio}" if series and folio else (series or folio)
    return f"#{doc_id}"


@dataclass
class Doc:
    """A receivable (or credit note) as the importer sees it while applying money to it."""

    id: int
    customer_id: int
    kind: str
    currency: str
    metodo_pago: str
    issue_date: date
    status: str
    balance: int
    total: int
    series: str
    folio: str
    uuid: str | None
    max_sort: str | None = None  # largest sort_key of the claims applied to it
    capped: int = 0  # how many of those claims got less than they asked for

    @property
    def ref(self) -> str:
        return reference(self.series, self.folio, self.id)


_DOC_COLS = (
    "d.id, d.customer_id, d.kind, d.currency, d.metodo_pago, d.issue_date, d.status, d.balance_cents, "
    "d.total_cents, d.series, d.folio, d.cfdi_uuid, "
    "(SELECT max(c.sort_key) FROM cfdi_claim c WHERE c.document_id = d.id AND c.status = 'applied'), "
    "(SELECT count(*) FROM cfdi_claim c WHERE c.document_id = d.id AND c.status = 'applied' "
    "AND c.applied_cents < c.amount_cents)"
)


class Ops:
    """Ledger writes for one batch transaction.

    ``rows`` collects the current file's bulk rows. Customer totals (``customer_balance``) are kept
    in memory for the batch: the first change of a (customer, currency) locks and reads its row
    (an ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` that changes nothing: a row lock on
    PostgreSQL, and SQLite's writer lock is held by the batch anyway), later changes are exact
    arithmetic on the locked values, and ``flush_balances`` writes them once at the end of the batch.
    ``begin_file`` / ``rollback_file`` keep that memory in step with each file's savepoint.
    """

    # Bulk rows, in the order they must be written (foreign keys: documents first).
    ROWS = ("document", "document_line", "cfdi_file", "activity")
    COLUMNS = {
        "document": ("id", "customer_id", "kind", "series", "folio", "issue_date", "due_date", "currency",
                     "exchange_rate", "subtotal_cents", "discount_cents", "tax_cents", "total_cents", "balance_cents",
                     "status", "metodo_pago", "forma_pago", "cfdi_uuid", "contract_id", "period_start", "description",
                     "cancelled_on", "cancel_reason", "created_at", "created_by", "version"),
        "activity": ("customer_id", "at", "on_date", "kind", "document_id", "payment_id", "contract_id", "actor_id",
                     "amount_cents", "currency", "balance_after_cents", "credit_after_cents", "detail"),
        "document_line": ("document_id", "position", "description", "quantity", "unit_price", "tax_rate",
                          "amount_cents", "tax_cents"),
        "cfdi_file": ("cfdi_key", "uuid", "kind", "version", "fecha", "emisor_rfc", "customer_id", "document_id",
                      "series", "folio", "source", "imported_at", "imported_by"),
    }

    def __init__(self, raw: Raw, actor_id: int) -> None:
        self.raw = raw
        self.actor_id = actor_id
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.ROWS}
        self.now = datetime.now(timezone.utc)
        self.now_db = raw.stamp(self.now)
        self.today = date.today()
        self.available: dict[int, int] = {}  # unapplied cents of payments created by the current file
        self._doc_ids: list[int] = []  # ids reserved for documents of this batch (see next_document_id)
        self._next_doc_id: int | None = None
        self._bal: dict[tuple[int, str], tuple[int, int]] = {}
        self._dirty: set[tuple[int, str]] = set()
        self._undo: dict[tuple[int, str], tuple[int, int] | None] = {}

    def begin_file(self) -> None:
        self.rows = {name: [] for name in self.ROWS}
        self.available = {}
        self._undo = {}

    def rollback_file(self) -> None:
        for key, old in self._undo.items():
            if old is None:
                self._bal.pop(key, None)
                self._dirty.discard(key)
            else:
                self._bal[key] = old
        self._undo = {}

    def flush_balances(self) -> None:
        if self._dirty:
            self.raw.many("UPDATE customer_balance SET open_cents = ?, credit_cents = ?, rev = rev + 1 "
                          "WHERE customer_id = ? AND currency = ?",
                          [(*self._bal[k], *k) for k in sorted(self._dirty)])
            self._dirty.clear()

    # ------------------------------------------------------------------------------ reading
    def doc_by_uuid(self, uuid: str) -> Doc | None:
        sql = f"SELECT {_DOC_COLS} FROM document d WHERE d.cfdi_uuid = ?"
        if self.raw.pg:
            sql += " FOR UPDATE OF d"
        return self._doc(self.raw.one(sql, (uuid,)))

    def doc_by_id(self, doc_id: int) -> Doc | None:
        sql = f"SELECT {_DOC_COLS} FROM document d WHERE d.id = ?"
        if self.raw.pg:
            sql += " FOR UPDATE OF d"
        return self._doc(self.raw.one(sql, (doc_id,)))

    def _doc(self, r: tuple[Any, ...] | None) -> Doc | None:
        if r is None:
            return None
        return Doc(int(r[0]), int(r[1]), r[2], r[3], r[4], Raw.to_day(r[5]), r[6], int(r[7]), int(r[8]), r[9], r[10],
                   r[11], r[12], int(r[13] or 0))

    def balance(self, customer_id: int, currency: str) -> tuple[int, int]:
        """The customer's (open, credit) in ``currency`` now, including this batch's changes."""
        key = (customer_id, currency)
        known = self._bal.get(key)
        if known is None:
            known = self._lock_balance(key)
        return known

    def _lock_balance(self, key: tuple[int, str]) -> tuple[int, int]:
        row = self.raw.one(
            "INSERT INTO customer_balance (customer_id, currency, open_cents, credit_cents) VALUES (?, ?, 0, 0) "
            "ON CONFLICT (customer_id, currency) DO UPDATE SET open_cents = customer_balance.open_cents "
            "RETURNING open_cents, credit_cents", key)
        assert row is not None
        value = (int(row[0]), int(row[1]))
        self._bal[key] = value
        self._undo.setdefault(key, None)
        return value

    def payment_available(self, payment_id: int) -> tuple[int, str, str]:
        """(unapplied cents, currency, status) of a payment."""
        known = self.available.get(payment_id)
        if known is not None:
            return known, "", "unapplied"
        sql = "SELECT unapplied_cents, currency, status FROM payment WHERE id = ?"
        if self.raw.pg:
            sql += " FOR UPDATE"
        row = self.raw.one(sql, (payment_id,))
        if row is None:
            return 0, "", "missing"
        return int(row[0]), row[1], row[2]

    def credit_note_available(self, doc_id: int) -> tuple[int, str, str]:
        sql = "SELECT balance_cents, currency, status FROM document WHERE id = ?"
        if self.raw.pg:
            sql += " FOR UPDATE"
        row = self.raw.one(sql, (doc_id,))
        if row is None:
            return 0, "", "missing"
        return int(row[0]), row[1], row[2]

    # ------------------------------------------------------------------------------ balances
    def bump(self, customer_id: int, currency: str, *, open_delta: int = 0, credit_delta: int = 0) -> tuple[int, int]:
        """Adjust the customer's open/credit totals (as ``ledger._base.bump_balance``); returns them after."""
        key = (customer_id, currency)
        old = self._bal.get(key)
        if old is None:
            old = self._lock_balance(key)
        elif key not in self._undo:
            self._undo[key] = old
        value = (old[0] + open_delta, old[1] + credit_delta)
        if value[0] < 0 or value[1] < 0:  # would mean a bug: refuse to commit it
            raise DomainError(f"internal error: balance of customer {customer_id} would become negative")
        self._bal[key] = value
        self._dirty.add(key)
        return value

    def log(self, customer_id: int, kind: str, *, on_date: date, currency: str = "", amount: int | None = None,
            document_id: int | None = None, payment_id: int | None = None, detail: str = "",
            with_balance: bool = True) -> None:
        balance = credit = None
        if with_balance and currency:
            balance, credit = self.balance(customer_id, currency)
        self.rows["activity"].append((
            customer_id, self.now_db, self.raw.day(on_date), kind, document_id, payment_id, None, self.actor_id, amount,
            currency, balance, credit, detail[:2000]))

    # ------------------------------------------------------------------------------ inserts
    def next_document_id(self) -> int:
        """Document ids are handed out by the batch so documents can be written in bulk later: on
        SQLite from ``max(id)`` (the batch holds the writer lock), on PostgreSQL from the id sequence
        (``nextval``, 500 at a time). Every document of the batch takes its id from here."""
        raw = self.raw
        if raw.pg:
            if not self._doc_ids:
                self._doc_ids = [int(r[0]) for r in raw.all(
                    "SELECT nextval(pg_get_serial_sequence('document', 'id')) FROM generate_series(1, 500)")]
                self._doc_ids.reverse()
            return self._doc_ids.pop()
        if self._next_doc_id is None:
            self._next_doc_id = int(raw.scalar("SELECT coalesce(max(id), 0) FROM document")) + 1
        value = self._next_doc_id
        self._next_doc_id += 1
        return value

    def insert_document(self, *, customer_id: int, kind: str, series: str, folio: str, issue_date: date,
                        due_date: date, currency: str, exchange_rate: str, subtotal: int, discount: int, tax: int,
                        total: int, status: str, metodo_pago: str, forma_pago: str, cfdi_uuid: str | None,
                        description: str, cancelled_on: date | None = None, cancel_reason: str = "",
                        defer: bool = False) -> int:
        """A new document; ``defer``: only collected in ``rows["document"]``, written at the end of the
        batch (or before the next file that reads the ledger)."""
        raw = self.raw
        doc_id = self.next_document_id()
        balance = 0 if status == "cancelled" else total
        row = (doc_id, customer_id, kind, series, folio, raw.day(issue_date), raw.day(due_date), currency, exchange_rate,
               subtotal, discount, tax, total, balance, status, metodo_pago, forma_pago, cfdi_uuid, None, None,
               description, raw.day(cancelled_on), cancel_reason, self.now_db, self.actor_id, 1)
        if defer:
            self.rows["document"].append(row)
        else:
            raw.insert_many("document", self.COLUMNS["document"], [row])
        return doc_id

    def insert_payment(self, *, customer_id: int, paid_on: date, amount: int, currency: str, exchange_rate: str,
                       forma_pago: str, reference: str, rep_status: str, rep_uuid: str | None,
                       unapplied: int | None = None) -> int:
        """A new payment (origin ``cfdi_import``), unapplied unless ``unapplied`` says how much of it
        the caller is about to allocate with ``allocate(..., source_done=True)``. The caller bumps
        the customer's credit."""
        raw = self.raw
        left = amount if unapplied is None else unapplied
        status = "unapplied" if left == amount else ("applied" if left == 0 else "partial")
        pay_id = int(raw.scalar(
            "INSERT INTO payment (customer_id, paid_on, amount_cents, currency, exchange_rate, forma_pago, reference, "
            "origin, status, unapplied_cents, rep_status, rep_uuid, contract_id, cancelled_on, cancel_reason, "
            "created_at, created_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, 'cfdi_import', ?, ?, ?, ?, NULL, "
            "NULL, '', ?, ?, 1) RETURNING id",
            (customer_id, raw.day(paid_on), amount, currency, exchange_rate, forma_pago, reference, status, left,
             rep_status, rep_uuid, self.now_db, self.actor_id),
        ))
        self.available[pay_id] = left
        return pay_id

    def create_customer(self, *, name: str, rfc: str, rfc_check_ok: bool, tax_regime: str, postal_code: str,
                        uso_cfdi: str) -> int:
        """A customer as ``ledger.customers.create_customer`` makes one (next free ``C000123``
        identifier, search text, ``customer_created`` activity); the values must already be clean."""
        raw = self.raw
        while True:
            n = int(raw.scalar(
                "INSERT INTO sequence (name, value) VALUES ('customer_identifier', 1) ON CONFLICT (name) "
                "DO UPDATE SET value = sequence.value + 1 RETURNING value"))
            identifier = f"C{n:06d}"
            if raw.one("SELECT 1 FROM customer WHERE lower(identifier) = ?", (identifier.lower(),)) is None:
                break
        customer_id = int(raw.scalar(
            "INSERT INTO customer (identifier, name, rfc, rfc_check_ok, tax_regime, uso_cfdi, street, ext_number, "
            "int_number, colonia, municipio, state, postal_code, country, phone, emails, language, "
            "assigned_operator_id, payment_terms_days, credit_limit_cents, currency, search_text, created_at, "
            "updated_at, version) VALUES (?, ?, ?, ?, ?, ?, '', '', '', '', '', '', ?, 'MEX', '', '', 'es', NULL, 30, "
            "NULL, 'MXN', ?, ?, ?, 1) RETURNING id",
            (identifier, name, rfc, raw.flag(rfc_check_ok), tax_regime, uso_cfdi, postal_code,
             search_key(name, rfc, identifier), self.now_db, self.now_db),
        ))
        self.log(customer_id, "customer_created", on_date=self.today, detail=f"{identifier} {name}")
        return customer_id

    # ------------------------------------------------------------------------------ money moves
    def allocate(self, doc: Doc, *, customer_id: int, payment_id: int | None, credit_note_id: int | None,
                 source_currency: str, amount: int, source_amount: int, applied_on: date,
                 source_date: date | None = None, source_done: bool = False) -> int:
        """Apply ``amount`` (document currency) taking ``source_amount`` from the payment/credit note,
        exactly as ``ledger.allocations.allocate``. Returns the allocation id. It counts from
        ``applied_on``, never before the document nor the money (``source_date``) existed.

        ``source_done``: the payment was inserted with its final unapplied amount and the caller
        moves the customer totals itself (one net bump per payment instead of one per allocation).
        """
        raw = self.raw
        applied_on = max(applied_on, doc.issue_date, source_date or applied_on)
        n = raw.rowcount(
            "UPDATE document SET balance_cents = balance_cents - ?, status = CASE WHEN balance_cents - ? = 0 "
            "THEN 'paid' ELSE 'current' END, version = version + 1 "
            "WHERE id = ? AND status = 'current' AND balance_cents >= ?",
            (amount, amount, doc.id, amount),
        )
        if n != 1:
            raise ConcurrencyError(f"{doc.ref} was paid or changed by someone else at the same time; nothing was saved")
        if source_done:
            n = 1
        elif payment_id is not None:
            if payment_id in self.available:
                self.available[payment_id] -= source_amount
            ppd = 1 if doc.kind == "invoice" and doc.metodo_pago == "PPD" else 0
            n = raw.rowcount(
                "UPDATE payment SET unapplied_cents = unapplied_cents - ?, status = CASE WHEN unapplied_cents - ? = 0 "
                "THEN 'applied' ELSE 'partial' END, rep_status = CASE WHEN rep_status = 'not_required' AND ? = 1 "
                "THEN 'pending' ELSE rep_status END, version = version + 1 "
                "WHERE id = ? AND unapplied_cents >= ? AND status IN ('applied', 'partial', 'unapplied')",
                (source_amount, source_amount, ppd, payment_id, source_amount),
            )
        else:
            n = raw.rowcount(
                "UPDATE document SET balance_cents = balance_cents - ?, status = CASE WHEN balance_cents - ? = 0 "
                "THEN 'paid' ELSE 'current' END, version = version + 1 "
                "WHERE id = ? AND status = 'current' AND balance_cents >= ?",
                (source_amount, source_amount, credit_note_id, source_amount),
            )
        if n != 1:
            label = f"payment #{payment_id}" if payment_id is not None else f"credit note #{credit_note_id}"
            raise DomainError(f"{label} does not have {fmt_cents(source_amount)} left to apply")
        alloc_id = int(raw.scalar(
            "INSERT INTO allocation (customer_id, document_id, payment_id, credit_note_id, amount_cents, "
            "source_amount_cents, applied_on, reversed_on, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) RETURNING id",
            (customer_id, doc.id, payment_id, credit_note_id, amount, source_amount, raw.day(applied_on),
             self.now_db, self.actor_id),
        ))
        if source_done:
            pass
        elif doc.currency == source_currency:
            self.bump(customer_id, doc.currency, open_delta=-amount, credit_delta=-source_amount)
        else:
            self.bump(customer_id, doc.currency, open_delta=-amount)
            self.bump(customer_id, source_currency, credit_delta=-source_amount)
        doc.balance -= amount
        if doc.balance == 0:
            doc.status = "paid"
        return alloc_id

    def reverse(self, alloc_id: int, *, reversed_on: date | None = None) -> tuple[Any, ...] | None:
        """Undo one active allocation (as ``ledger.allocations.reverse_allocations``), restoring the
        document, the payment / credit note and the customer totals. ``reversed_on`` defaults to
        the allocation's own date: the allocation then never counts as of any date (an import
        correcting the order it applied money in, not an event of its own)."""
        raw = self.raw
        r = raw.one(
            "SELECT a.document_id, a.payment_id, a.credit_note_id, a.amount_cents, a.source_amount_cents, "
            "a.applied_on, a.customer_id, d.currency, COALESCE(p.currency, s.currency) "
            "FROM allocation a JOIN document d ON d.id = a.document_id "
            "LEFT JOIN payment p ON p.id = a.payment_id LEFT JOIN document s ON s.id = a.credit_note_id "
            "WHERE a.id = ? AND a.reversed_on IS NULL",
            (alloc_id,),
        )
        if r is None:
            return None
        doc_id, pay_id, cn_id, amount, src, applied_on, cust, cur, src_cur = r
        applied = Raw.to_day(applied_on)
        on = applied if reversed_on is None else max(reversed_on, applied)
        raw.run("UPDATE allocation SET reversed_on = ? WHERE id = ?", (raw.day(on), alloc_id))
        raw.run("UPDATE document SET balance_cents = balance_cents + ?, status = 'current', version = version + 1 "
                "WHERE id = ? AND status != 'cancelled'", (amount, doc_id))
        if pay_id is not None:
            raw.run("UPDATE payment SET unapplied_cents = unapplied_cents + ?, status = CASE WHEN unapplied_cents + ? "
                    "= amount_cents THEN 'unapplied' ELSE 'partial' END, version = version + 1 "
                    "WHERE id = ? AND status != 'cancelled'", (src, src, pay_id))
        if cn_id is not None:
            raw.run("UPDATE document SET balance_cents = balance_cents + ?, status = 'current', version = version + 1 "
                    "WHERE id = ? AND status != 'cancelled'", (src, cn_id))
        if cur == src_cur:
            self.bump(int(cust), cur, open_delta=int(amount), credit_delta=int(src))
        else:
            self.bump(int(cust), cur, open_delta=int(amount))
            self.bump(int(cust), src_cur, credit_delta=int(src))
        return r

    def cancel_document(self, doc: Doc, *, on: date, reason: str) -> None:
        """Take a receivable out of the totals whole (its allocations must be reversed first)."""
        n = self.raw.rowcount(
            "UPDATE document SET status = 'cancelled', balance_cents = 0, cancelled_on = ?, cancel_reason = ?, "
            "version = version + 1 WHERE id = ? AND status != 'cancelled' AND balance_cents = total_cents",
            (self.raw.day(on), reason[:500], doc.id),
        )
        if n != 1:
            raise ConcurrencyError(f"{doc.ref} was changed by someone else; nothing was saved")
        self.bump(doc.customer_id, doc.currency, open_delta=-doc.total)
        doc.status = "cancelled"
        doc.balance = 0

    def cancel_payment(self, payment_id: int, *, on: date, reason: str) -> tuple[int, int, str] | None:
        """Cancel an unallocated payment (its allocations reversed first). Returns (customer, amount, currency)."""
        row = self.raw.one("SELECT customer_id, amount_cents, unapplied_cents, currency, status FROM payment WHERE id = ?",
                           (payment_id,))
        if row is None or row[4] not in ACTIVE_PAYMENT or row[1] != row[2]:
            return None
        self.raw.run("UPDATE payment SET status = 'cancelled', unapplied_cents = 0, cancelled_on = ?, cancel_reason = ?, "
                     "version = version + 1 WHERE id = ?", (self.raw.day(on), reason[:500], payment_id))
        self.bump(int(row[0]), row[3], credit_delta=-int(row[1]))
        return int(row[0]), int(row[1]), row[3]
