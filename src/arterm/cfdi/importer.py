"""Import CFDI XML into the ledger: invoices, credit notes and REPs, in any order.

``import_paths(db, paths, settings=..., actor=...)`` reads files, folders and ``.zip`` archives
(``sources.py``), parses each file with the strict parser and maps what we issued into the ledger.
It returns an :class:`ImportReport` (imported by type, duplicates, not ours, waiting for their
invoice, warnings, rejected with reasons).

What a file becomes
-------------------
* **Ours or not**: a CFDI whose Emisor RFC is one of ``settings.company.rfc`` is a receivable and its
  Receptor the customer. Anything else (a supplier's invoice to us included) is *not ours*; so are
  types T (traslado) and N (nómina), with a warning saying why.
* **Customer**: matched by RFC (several customers with one RFC: the one with the same name, else the
  oldest); for the generic RFCs ``XAXX010101000`` / ``XEXX010101000`` by RFC *and* name (accents,
  case and spacing ignored). A new customer is created with the name, tax regime, postal code and
  uso CFDI of the file (values outside the SAT catalogs are left blank, with a warning); an RFC with
  a wrong check character is accepted with a warning. Blank tax regime / postal code / uso CFDI of an
  existing customer are filled from later invoices; values already set are never overwritten.
  ``UsoCFDI`` of a REP (CP01) or credit note says nothing about the customer and is not used.
* **Type I → invoice** with the CFDI's own SubTotal / Descuento / Total (tax = Total − SubTotal +
  Descuento, so withholdings and local taxes are netted), lines from its Conceptos, currency and
  exchange rate, series / folio, PUE or PPD. Due date = issue date + the days in
  ``CondicionesDePago`` ("30 días", "NET 15", "crédito 60 días", "contado" = 0) or else the
  customer's payment terms. PUE invoices stay open until paid unless ``[cfdi] pue_is_paid``: then an
  automatic payment (origin ``cfdi_import``, no REP needed) pays each one on its issue date.
* **Type E with TipoRelacion 01 (also 03 devolución, 07 anticipo) → credit note**, applied to the
  related invoices in the order the CFDI lists them, each up to its open balance; what is left is
  customer credit. Without such a relation it is imported as unapplied credit, with a warning.
* **Type P → one payment per Pago** (Pagos 2.0 and 1.0), Monto in MonedaP, its REP UUID recorded as
  issued, allocated per DoctoRelacionado: ImpPagado in the invoice's currency, and the amount taken
  from the payment = ImpPagado / EquivalenciaDR (TipoCambioDR in 1.0), rounded half-up to cents,
  when the currencies differ.
* **TipoRelacion 04 (substitution)**: the replaced CFDI is cancelled as of the replacement's date
  and — as the SAT expects payments of a cancelled invoice to be re-related to its replacement —
  every allocation it had (imported or recorded by hand) is moved to the replacement, up to its
  balance (what does not fit stays as credit, with a warning). Automatic PUE payments are the
  exception: the replacement gets its own, so the replaced invoice's one is cancelled. A
  replacement that arrives first is remembered: the replaced CFDI is imported already cancelled.

Order never matters
-------------------
Money a file sends to an invoice that is not in the ledger yet is kept as a *claim* with status
``pending`` (``cfdi_claim``): the payment or credit note exists (as customer credit), the file is
reported as *waiting*, and the claim is applied as soon as the invoice (or its replacement) is
imported — by a later file of the same run, a later run, or an invoice typed in by hand with the
same UUID (checked at the start of every run). Claims on one invoice are always applied in a
canonical order (payment / issue date, then source UUID, then position in the file); when a claim
arrives "early" and someone would get less than asked, the import claims of that invoice are
re-applied in that order. So importing the same set of files in any order gives the same ledger:
the same customers (RFC, name, tax data), documents (kind, UUID, amounts, dates, status, open
balance), *active* payments (amount, currency, date, unapplied, REP status) and *active*
allocations (which payment or credit note, which invoice, amounts), and the same per-customer open
and credit totals. Database ids, identifiers (C000012), timestamps, activity rows and reversed
allocations are not part of "the same". (Credit notes relating several invoices that together
claim more than is open are applied in XML order to whichever invoices are present: only that case
can depend on order.)

The same UUID twice (case-insensitive) is one document: the later file is reported as a duplicate
and nothing of it is written. When its content differs from what is stored (a re-issued or tampered
file with the same UUID: another Total, Receptor RFC, Fecha, folio, a REP with other amounts...) it
is still a duplicate, but with a warning naming each difference ("total $1,160.00 MXN stored,
$1,200.00 MXN in the file"); the fields compared are listed in :func:`_file_facts`. Two files of the
same run with one UUID are compared with each other the same way. An identical copy is a plain
duplicate, without a warning.
A REP whose UUID an operator already recorded on a payment (``arterm rep set``) creates nothing.

REP checks
----------
After each run, for the invoices its REPs touched, the claims are replayed in canonical order and
the report warns when ImpSaldoAnt (or ImpSaldoInsoluto) disagrees with our balance at that point,
and when NumParcialidad skips or repeats a number. The data is still imported as the REP states.
When ImpPagado is more than the invoice has open, what fits is applied and the rest stays as
customer credit (a warning says so): the ledger stays exact.

Matching payments recorded by hand
----------------------------------
A Pago matches an existing payment (instead of creating a second one) when that payment was
recorded by hand (origin not ``cfdi_import``), has no REP UUID yet, is active, belongs to the same
customer, has the same currency, amount (Monto) and date (FechaPago), and is allocated to every
invoice the Pago names (all of them must be in the ledger). The oldest such payment wins; its REP
UUID is recorded (clearing "REP pending") and its allocations are left as the operator made them.

Safety and speed
----------------
Files are parsed and classified without the database, then written in batches of ``BATCH_FILES``:
each batch one transaction, each file a SAVEPOINT inside it, so a file that is malformed, hostile
or inconsistent (or hits a database error) is rolled back alone and reported with its reason. Writes
go straight to the DBAPI cursor (``_sql.Raw``, no ORM and no per-statement SQLAlchemy work);
duplicates are looked up once per batch; customers are cached; customer totals are kept in memory
for the batch (rows locked on first use) and written once. The write-only rows (activity, document
lines, ``cfdi_file``) — and the documents of plain invoices, whose ids the batch reserves — are
bulk-inserted (``executemany`` on SQLite, ``COPY`` on PostgreSQL) before the next file that reads
the ledger and at the end of the batch; such an invoice touches the database only there, so it
needs no savepoint of its own. If that bulk insert meets a UUID another import stored meanwhile,
the batch is rolled back and done again file by file. ``queries.integrity.check_ledger`` holds
after every import.

Unstamped files (no TimbreFiscalDigital) are not fiscal documents and are rejected unless
``allow_unstamped``: then they are keyed by issuer, type, series and folio.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..domain import catalogs
from ..domain.errors import DomainError
from ..domain.money import MAX_CENTS, check_currency
from ..domain.rfc import check_character, normalize_rfc, validate_rfc
from ..domain.text import fold, strip_bidi
from ..i18n import fmt_money, t
from ._ops import Doc, Ops, reference
from ._sql import Raw
from .parser import DEFAULT_MAX_BYTES, Cfdi, CfdiError, parse_cfdi, parse_cfdi_file
from .sources import Item, Reader, collect

if TYPE_CHECKING:
    from ..config import Settings
    from ..db.engine import Database

__all__ = ["ImportReport", "Importer", "import_paths", "gc_paused", "parse_terms", "KIND_NAMES"]

KIND_NAMES = {"I": "invoice", "E": "credit_note", "P": "payment"}
CREDIT_RELATIONS = ("01", "03", "07")
BATCH_FILES = 500
SQLITE_CACHE_KIB = 64 * 1024  # per write connection while importing (SQLite's default is 2 MiB)
_CENT = Decimal("0.01")
_ONE = Decimal(1)
LAST_DAY = date(2100, 12, 31)  # the ledger's last date (ledger._base.check_date)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# ------------------------------------------------------------------------------------------ report
@dataclass
class ImportReport:
    imported: dict[str, int] = field(default_factory=lambda: {"invoice": 0, "credit_note": 0, "payment": 0})
    duplicates: list[str] = field(default_factory=list)
    not_ours: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0  # items looked at
    resolved: int = 0  # waiting claims (of this or earlier runs) applied during this run
    stopped: bool = False  # the run was asked to stop before the end

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def total_imported(self) -> int:
        return sum(self.imported.values())

    def to_json(self) -> dict[str, Any]:
        """Exactly ``{"imported", "duplicates", "not_ours", "waiting", "warnings", "rejected"}``."""
        return {
            "imported": {"invoice": self.imported["invoice"], "credit_note": self.imported["credit_note"],
                         "payment": self.imported["payment"]},
            "duplicates": list(self.duplicates),
            "not_ours": list(self.not_ours),
            "waiting": list(self.waiting),
            "warnings": [{"path": p, "message": m} for p, m in self.warnings],
            "rejected": [{"path": p, "reason": r} for p, r in self.rejected],
        }


# ------------------------------------------------------------------------------------------ helpers
_CENTS: dict[Decimal, int] = {}


def cents(value: Decimal, what: str = "amount") -> int:
    """Decimal → integer centavos, rounded half-up; refuses absurd amounts."""
    result = _CENTS.get(value)
    if result is not None:
        return result
    try:
        result = int(value.quantize(_CENT, rounding=ROUND_HALF_UP) * 100)
    except InvalidOperation:
        raise CfdiError(f"{what} {value} is too large") from None
    if abs(result) >= MAX_CENTS:
        raise CfdiError(f"{what} {value} is too large")
    if len(_CENTS) > 8192:
        _CENTS.clear()
    _CENTS[value] = result
    return result


def convert(amount_cents: int, equivalence: Decimal) -> int:
    """ImpPagado (invoice currency) → payment currency: amount / EquivalenciaDR, half-up to cents."""
    try:
        value = (Decimal(amount_cents) / 100 / equivalence).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise CfdiError(f"EquivalenciaDR {equivalence} cannot convert {amount_cents / 100:.2f}") from None
    result = int(value * 100)
    if abs(result) >= MAX_CENTS:
        raise CfdiError(f"EquivalenciaDR {equivalence} gives an absurd amount")
    return result


_TERMS_PATTERNS = (
    re.compile(r"\b(?:net|neto|n)\s*[-:]?\s*(\d{1,3})\b"),
    re.compile(r"\b(\d{1,3})\s*(?:dias|dia|days|day|d)\b"),
)
_CASH = re.compile(r"\b(?:contado|inmediato|cash|immediate|una sola exhibicion|pago en una exhibicion)\b")


@functools.lru_cache(maxsize=1024)
def parse_terms(text: str | None) -> int | None:
    """Days of credit written in CondicionesDePago, or ``None`` when it does not say.

    ``"30 días"``, ``"CREDITO 30 DIAS"``, ``"NET 15"``, ``"Neto 45"``, ``"60 days"`` → the number;
    ``"Contado"`` → 0; anything else (``"Condiciones de pago"``) → ``None``.
    """
    if not text:
        return None
    folded = fold(text)
    for rx in _TERMS_PATTERNS:
        m = rx.search(folded)
        if m:
            days = int(m.group(1))
            return days if days <= 365 else None
    if _CASH.search(folded):
        return 0
    return None


def _clip(value: str | None, limit: int) -> str:
    """Text from a file for a column: control characters become spaces, bidi overrides are
    dropped (as typed text, ``domain.text.clean_line``), trimmed, cut to ``limit``."""
    if not value:
        return ""
    if not value.isprintable():
        value = strip_bidi(_CONTROL.sub(" ", value))
    return value.strip()[:limit]


def _fecha(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def unstamped_key(c: Cfdi) -> str:
    """Identity of a CFDI without a UUID: issuer, type, series and folio (as the ledger's folio rule)."""
    if c.series or c.folio:
        basis = f"{c.emisor.rfc}|{c.kind}|{c.series or ''}|{c.folio or ''}"
    else:
        basis = f"{c.emisor.rfc}|{c.kind}|{_fecha(c.issued_at)}|{c.receptor.rfc}|{c.total}"
    return "nostamp:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:48]


def _number(value: Decimal, what: str) -> str:
    text = str(value)  # the parser only accepts plain decimals: no exponent to expand
    if len(text) <= 24 and "E" not in text:
        return text
    text = format(value, "f")
    if len(text) > 24:
        text = format(value.normalize(), "f")
    if len(text) > 24:
        raise CfdiError(f"{what} {value} is too large")
    return text


class _Duplicate(Exception):
    """The file's UUID (or unstamped key) is already in the ledger. ``warning``: what differs from
    what is stored, for the report (empty for an identical copy)."""

    def __init__(self, warning: str = "") -> None:
        super().__init__(warning)
        self.warning = warning


# ------------------------------------------------------------------------------------------ duplicates
# What of a CFDI is compared with what is stored when its UUID is already in the ledger. Each fact is
# (value compared, text shown); the fields, in the order the warning names them:
_FACT_FIELDS = ("kind", "total", "monto", "receptor", "fecha", "date", "fecha_pago", "folio", "emisor")
_Fact = tuple[Any, str]


def _signature(c: Cfdi) -> int:
    """A digest of everything :func:`_file_facts` compares (and a little more), kept for each file of
    the run so that a second file with the same UUID is re-read only when it may differ."""
    return hash((c.kind, c.emisor.rfc, c.receptor.rfc, c.issued_at, c.series, c.folio, c.total, c.currency,
                 tuple((p.amount, p.currency, p.paid_at) for p in c.payments)))


def _show_series_folio(series: str, folio: str, none: str) -> str:
    return reference(series, folio, 0) if (series or folio) else none


def _file_facts(c: Cfdi, money: Callable[[int, str], str], none: str) -> dict[str, _Fact]:
    """The facts of a CFDI that matter when its UUID is already in the ledger.

    Compared (when the stored side has them): TipoDeComprobante; Total with Moneda (I and E, in
    cents, as the ledger keeps it); for a REP the amounts of its Pagos (Monto with MonedaP, as a
    multiset) and their FechaPago dates; Receptor RFC (the customer); Fecha as written (against the
    ``cfdi_file`` row) or only its date (against a document typed by hand, which keeps no time);
    serie/folio; Emisor RFC (when the company has several). These are what a clerk relies on: how
    much, from whom, when, which document.

    Not compared, on purpose: names (a customer matched by RFC keeps the name typed by hand), tax
    data, Conceptos and the individual taxes (the Total carries the money), MetodoPago / FormaPago
    (the ledger may have corrected them on import) and the DoctoRelacionado of a REP (their targets
    move when an invoice is substituted).
    """
    facts: dict[str, _Fact] = {
        "kind": (c.kind, c.kind),
        "receptor": (normalize_rfc(c.receptor.rfc), normalize_rfc(c.receptor.rfc)),
        "emisor": (normalize_rfc(c.emisor.rfc)[:13], normalize_rfc(c.emisor.rfc)[:13]),
        "fecha": (_fecha(c.issued_at), _fecha(c.issued_at)),
        "date": (c.issued_on.isoformat(), c.issued_on.isoformat()),
    }
    series, folio = _clip(c.series, 25), _clip(c.folio, 40)
    facts["folio"] = ((series, folio), _show_series_folio(series, folio, none))
    if c.kind in ("I", "E"):
        try:
            total = cents(c.total, "Total")
        except CfdiError:
            facts["total"] = ((None, c.currency), f"{c.total} {c.currency}")
        else:
            facts["total"] = ((total, c.currency), money(total, c.currency))
    if c.kind == "P":
        amounts: list[tuple[int | None, str, str]] = []
        for p in c.payments:
            try:
                amounts.append((cents(p.amount, "Monto"), p.currency, ""))
            except CfdiError:  # absurd: shown as written, and never equal to a stored amount
                amounts.append((None, p.currency, f"{p.amount} {p.currency}"))
        facts["monto"] = _payments_fact(amounts, money, none)
        days = sorted(p.paid_on.isoformat() for p in c.payments)
        facts["fecha_pago"] = (tuple(days), ", ".join(days) or none)
    return facts


def _payments_fact(amounts: list[tuple[int | None, str, str]], money: Callable[[int, str], str], none: str
                   ) -> _Fact:
    """The Montos of a REP (or its stored payments) as one fact: compared as a multiset, shown in order."""
    key = tuple(sorted((str(amount) if amount is not None else "?" + raw, cur) for amount, cur, raw in amounts))
    shown = " + ".join(raw if amount is None else money(amount, cur) for amount, cur, raw in amounts)
    return key, shown or none


_FILE_FACTS_SQL = (
    "SELECT f.cfdi_key, f.kind, f.fecha, f.emisor_rfc, f.series, f.folio, c.rfc, d.total_cents, d.currency "
    "FROM cfdi_file f JOIN customer c ON c.id = f.customer_id LEFT JOIN document d ON d.id = f.document_id "
    "WHERE f.cfdi_key IN ({})")
_DOC_FACTS_SQL = (
    "SELECT d.cfdi_uuid, d.kind, d.issue_date, d.total_cents, d.currency, c.rfc "
    "FROM document d JOIN customer c ON c.id = d.customer_id WHERE d.cfdi_uuid IN ({})")
_REP_FACTS_SQL = (
    "SELECT rep_uuid, amount_cents, currency, paid_on FROM payment "
    "WHERE rep_uuid IN ({}) AND status NOT IN ('cancelled', 'rejected') ORDER BY id")


@dataclass
class _Entry:
    path: str
    cfdi: Cfdi
    key: str
    warnings: list[str] = field(default_factory=list)
    waiting: bool = False
    fecha: str = ""  # Comprobante/@Fecha as ISO text
    emisor: str = ""  # normalized Emisor RFC
    extra: list[tuple[str, str]] = field(default_factory=list)  # warnings about other files of this run
    notes: tuple[str, ...] = ()  # warnings known before the database (kept if the batch is redone)
    resolved: int = 0  # waiting claims this file applied


class _BatchConflict(Exception):
    """The end-of-batch bulk insert hit a unique key: redo the batch with immediate writes."""


@dataclass
class _Customer:
    id: int
    terms: int
    tax_regime: str
    postal_code: str
    uso_cfdi: str


@dataclass
class _Claim:
    kind: str  # rep | credit | pue
    customer_id: int
    source_key: str
    position: int
    sort_key: str
    target_key: str
    currency: str  # of the invoice
    amount: int
    source_amount: int
    equivalence: Decimal
    source_currency: str
    payment_id: int | None = None
    credit_note_id: int | None = None
    installment: int | None = None
    previous: int | None = None
    remaining: int | None = None
    id: int | None = None
    status: str = "pending"
    applied: int = 0
    document_id: int | None = None
    allocation_id: int | None = None
    detail: str = ""
    dirty: bool = False  # changed after being stored

    @property
    def applied_on(self) -> date:
        return date.fromisoformat(self.sort_key[:10])


_CLAIM_COLS = (
    "c.id, c.kind, c.customer_id, c.source_key, c.position, c.sort_key, c.target_key, c.currency, c.amount_cents, "
    "c.source_amount_cents, c.equivalence, COALESCE(p.currency, s.currency), c.payment_id, c.credit_note_id, "
    "c.installment, c.previous_cents, c.remaining_cents, c.status, c.applied_cents, c.document_id, "
    "c.allocation_id, c.detail"
)
_CLAIM_FROM = ("FROM cfdi_claim c LEFT JOIN payment p ON p.id = c.payment_id "
               "LEFT JOIN document s ON s.id = c.credit_note_id")


def _claim_from_row(r: Sequence[Any]) -> _Claim:
    return _Claim(
        kind=r[1], customer_id=int(r[2]), source_key=r[3], position=int(r[4]), sort_key=r[5], target_key=r[6],
        currency=r[7], amount=int(r[8]), source_amount=int(r[9]), equivalence=Decimal(r[10]),
        source_currency=r[11] or r[7], payment_id=r[12], credit_note_id=r[13], installment=r[14], previous=r[15],
        remaining=r[16], id=int(r[0]), status=r[17], applied=int(r[18]), document_id=r[19], allocation_id=r[20],
        detail=r[21],
    )


# ------------------------------------------------------------------------------------------ importer
class Importer:
    """One import run. Not thread-safe; use one per run (``import_paths`` does)."""

    def __init__(
        self,
        db: Database,
        *,
        actor: str,
        company_rfcs: Iterable[str],
        pue_is_paid: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_unstamped: bool = False,
        lang: str = "es",
        batch_files: int = BATCH_FILES,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.actor = actor
        self.company = frozenset(normalize_rfc(r) for r in company_rfcs if r)
        self.pue_is_paid = pue_is_paid
        self.max_bytes = max_bytes
        self.allow_unstamped = allow_unstamped
        self.lang = lang
        self.batch_files = max(1, batch_files)
        self.progress = progress
        self.should_stop = should_stop
        self.report = ImportReport()
        # caches, valid for the whole run (undone when a file is rolled back)
        self._customers: dict[tuple[str, str], _Customer] = {}
        self._by_receptor: dict[tuple[str, str], _Customer] = {}  # (Rfc, Nombre) as written -> customer
        self._subst: dict[str, str] = {}  # old uuid -> new uuid
        self._subst_rev: dict[str, set[str]] = {}
        self._pending_targets: set[str] = set()
        self._seen: dict[str, str] = {}  # key -> path, this run
        self._run_sources: dict[str, str] = {}  # source key of a file of this run with claims -> its path
        self._touched_docs: set[int] = set()  # invoices that got REP claims in this run
        self._undo: list[Callable[[], None]] = []
        self._actor_id: int | None = None
        self._swept = False
        self._batch_no = 0
        self._safe = False
        self._manual_batch = -1
        self._manual_customers: set[int] = set()
        self._known_files: dict[str, tuple[Any, ...]] = {}  # cfdi_key -> its cfdi_file facts row
        self._known_doc_rows: dict[str, tuple[Any, ...]] = {}  # cfdi_uuid -> document facts row
        self._known_rep_rows: dict[str, list[tuple[Any, ...]]] = {}  # rep uuid -> its active payments
        self._digests: dict[str, int] = {}  # key -> _signature of the file of this run that has it
        self._items: Sequence[Item] = ()
        self._known_docs: set[str] = set()
        self._known_reps: set[str] = set()

    # ---------------------------------------------------------------------------------- text
    def _t(self, key: str, **kw: Any) -> str:
        return t(key, self.lang, **kw)

    def _money(self, amount: int, currency: str) -> str:
        return fmt_money(amount, currency, self.lang)

    # ---------------------------------------------------------------------------------- run
    def run(self, paths: Iterable[str]) -> ImportReport:
        items = collect(paths)
        return self.run_items(items)

    def run_items(self, items: Sequence[Item]) -> ImportReport:
        """Import ``items`` batch by batch. While a batch is written, a helper thread already reads
        and parses the next one (lxml and the database drivers release the GIL while they work);
        everything that looks at or changes the importer's state stays in this thread."""
        from concurrent.futures import ThreadPoolExecutor

        total = len(items)
        self.report.files = total
        self._items = items
        done = 0
        if self.progress:
            self.progress(0, total)
        self._load_state()
        starts = list(range(0, total, self.batch_files))
        with Reader(self.max_bytes) as reader, ThreadPoolExecutor(1, thread_name_prefix="cfdi-parse") as pool:
            ahead = pool.submit(self._parse_batch, reader, items[0:self.batch_files]) if starts else None
            for n, start in enumerate(starts):
                if self.should_stop is not None and self.should_stop():
                    self.report.stopped = True
                    break
                assert ahead is not None
                parsed = ahead.result()
                nxt = n + 1 < len(starts) and not (self.should_stop is not None and self.should_stop())
                ahead = pool.submit(self._parse_batch, reader,
                                    items[starts[n + 1]:starts[n + 1] + self.batch_files]) if nxt else None
                entries = [e for e in (self._classify(item, got) for item, got in parsed) if e is not None]
                if entries or not self._swept:
                    self._write_batch(entries)
                done += len(parsed)
                if self.progress:
                    self.progress(done, total)
            if ahead is not None:
                ahead.cancel()
        if not self._swept and not self.report.stopped:
            self._write_batch([])  # nothing to read: still apply waiting money whose invoice arrived
        self._finish()
        return self.report

    def _load_state(self) -> None:
        with self.db.read() as conn:
            raw = Raw(conn)
            try:
                for old, new in raw.all("SELECT old_uuid, new_uuid FROM cfdi_substitution"):
                    self._subst[old] = new
                    self._subst_rev.setdefault(new, set()).add(old)
            finally:
                raw.close()

    # ---------------------------------------------------------------------------------- parsing
    def _parse_batch(self, reader: Reader, items: Sequence[Item]) -> list[tuple[Item, Cfdi | CfdiError]]:
        """Read and parse (no state touched: this runs in the helper thread)."""
        out: list[tuple[Item, Cfdi | CfdiError]] = []
        for item in items:
            try:
                data = reader.read(item)
                c = parse_cfdi_file(item.file, max_bytes=self.max_bytes) if data is None else parse_cfdi(
                    data, max_bytes=self.max_bytes)
            except CfdiError as exc:
                out.append((item, exc))
            else:
                out.append((item, c))
        return out

    def _classify(self, item: Item, c: Cfdi | CfdiError) -> _Entry | None:
        """Ours or not, stamped, seen before in this run: no database needed."""
        rep = self.report
        path = item.path
        if isinstance(c, CfdiError):
            rep.rejected.append((path, c.reason))
            return None
        if c.kind in ("T", "N"):
            rep.not_ours.append(path)
            rep.warnings.append((path, self._t("cfdi.w.kind_ignored", kind=c.kind)))
            return None
        emisor = normalize_rfc(c.emisor.rfc)
        if emisor not in self.company:
            rep.not_ours.append(path)
            return None
        if not c.stamped and not self.allow_unstamped:
            rep.rejected.append((path, self._t("cfdi.r.unstamped")))
            return None
        key = c.uuid or unstamped_key(c)
        first = self._seen.get(key)
        digest = _signature(c)
        if first is not None:
            rep.duplicates.append(path)
            if self._digests.get(key) != digest:
                warning = self._differs_in_run(key, first, c)
                if warning:
                    rep.warnings.append((path, warning))
            return None
        self._seen[key] = path
        self._digests[key] = digest
        notes = () if c.stamped else (self._t("cfdi.w.unstamped"),)
        return _Entry(path, c, key, fecha=_fecha(c.issued_at), emisor=emisor[:13], notes=notes)

    @staticmethod
    def _order(entry: _Entry) -> tuple[int, str, str]:
        c = entry.cfdi
        if c.kind == "I":
            prio = 1 if any(r.tipo_relacion == "04" for r in c.related) else 0
        else:
            prio = 2 if c.kind == "E" else 3
        when = _fecha(c.payments[0].paid_at) if c.kind == "P" and c.payments else entry.fecha
        return prio, when, entry.path

    # ---------------------------------------------------------------------------------- batches
    def _write_batch(self, entries: list[_Entry]) -> None:
        """One transaction for ``entries`` (a SAVEPOINT each). The write-only rows (activity, lines,
        ``cfdi_file``) and the customer totals are written at the end of the batch; if that fails
        on a unique key (another import of the same files running at the same time), the batch is
        rolled back whole and done again file by file with immediate writes (``safe``)."""
        entries.sort(key=self._order)
        try:
            outcomes = self._transaction(entries, safe=False)
        except _BatchConflict:
            self._reset_caches()
            outcomes = self._transaction(entries, safe=True)
        self._swept = True
        rep = self.report
        for entry, outcome, message in outcomes:
            if outcome == "imported":
                rep.imported[KIND_NAMES[entry.cfdi.kind]] += 1
                rep.warnings.extend((entry.path, w) for w in (*entry.cfdi.warnings, *entry.notes, *entry.warnings))
                rep.warnings.extend(entry.extra)
                rep.resolved += entry.resolved
            elif outcome == "swept":
                rep.warnings.extend((entry.path, w) for w in entry.warnings)
                rep.warnings.extend(entry.extra)
                rep.resolved += entry.resolved
            elif outcome == "duplicate":
                rep.duplicates.append(entry.path)
                if message:  # same UUID, other content: say what differs
                    rep.warnings.append((entry.path, message))
            else:
                rep.rejected.append((entry.path, message))

    def _transaction(self, entries: list[_Entry], *, safe: bool) -> list[tuple[_Entry, str, str]]:
        from ..ledger._base import operator_id

        self._batch_no += 1
        self._safe = safe
        outcomes: list[tuple[_Entry, str, str]] = []  # (entry, outcome, message)
        bulk: dict[str, list[tuple[Any, ...]]] = {name: [] for name in Ops.ROWS}
        try:
            with self.db.write() as conn:
                raw = Raw(conn)
                try:
                    if self._actor_id is None:
                        self._actor_id = operator_id(conn, self.actor)
                    ops = Ops(raw, self._actor_id)
                    if not raw.pg:  # a bigger page cache for this connection: the import touches many indexes
                        raw.run(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                    self._pending_targets = {r[0] for r in raw.all(
                        "SELECT DISTINCT target_key FROM cfdi_claim WHERE status = 'pending'")}
                    self._known(raw, entries)
                    if not self._swept:
                        outcomes.extend((e, "swept", "") for e in self._sweep(raw, ops, bulk))
                    for entry in entries:
                        outcomes.append(self._one(conn, raw, ops, entry, bulk))
                    ops.flush_balances()
                    self._flush(raw, bulk)
                finally:
                    raw.close()
        except _BatchConflict:
            raise
        except Exception:
            # The batch transaction itself failed (not one file): nothing of it was kept.
            self._reset_caches()
            raise
        return outcomes

    def _flush(self, raw: Raw, bulk: dict[str, list[tuple[Any, ...]]], names: Sequence[str] = Ops.ROWS) -> None:
        """Write the bulk rows of the files done so far (documents first: the others refer to them)."""
        try:
            for name in names:
                if bulk[name]:
                    raw.insert_many(name, Ops.COLUMNS[name], bulk[name])
                    bulk[name] = []
        except raw.integrity_error as exc:
            if self._safe:
                raise
            raise _BatchConflict() from exc

    def _fast(self, entry: _Entry) -> bool:
        """An invoice that needs no reading of the ledger: its document can be written in bulk, and no
        savepoint is needed (nothing is written before the end of the file)."""
        c = entry.cfdi
        metodo = (c.metodo_pago or "").upper()
        if self._safe or c.kind != "I" or c.related or metodo not in ("PPD", "PUE") or (
                self.pue_is_paid and metodo == "PUE"):
            return False
        if c.uuid and (c.uuid in self._subst or c.uuid in self._pending_targets):
            return False
        cust = self._by_receptor.get((c.receptor.rfc, c.receptor.name or ""))
        return cust is not None and bool(cust.tax_regime and cust.postal_code and cust.uso_cfdi)

    def _known(self, raw: Raw, entries: list[_Entry]) -> None:
        """What of this batch the database already has: one query per kind of key, not one per file."""
        def present(sql: str, values: list[str]) -> set[str]:
            out: set[str] = set()
            for i in range(0, len(values), 500):
                chunk = values[i:i + 500]
                out.update(r[0] for r in raw.all(sql.format(", ".join("?" for _ in chunk)), chunk))
            return out

        self._known_files = self._fact_rows(raw, _FILE_FACTS_SQL, [e.key for e in entries])
        self._known_rep_rows = self._rep_rows(raw, [k for k, row in self._known_files.items() if row[1] == "P"])
        docs = [e.cfdi.uuid for e in entries if e.cfdi.uuid and e.cfdi.kind in ("I", "E")]
        self._known_doc_rows = self._fact_rows(raw, _DOC_FACTS_SQL, docs)  # type: ignore[arg-type]
        self._known_docs = set(self._known_doc_rows)
        reps = [e.cfdi.uuid for e in entries if e.cfdi.uuid and e.cfdi.kind == "P"]
        self._known_reps = present("SELECT rep_uuid FROM payment WHERE rep_uuid IN ({}) AND status NOT IN "
                                   "('cancelled', 'rejected')", reps)  # type: ignore[arg-type]

    def _reset_caches(self) -> None:
        self._actor_id = None  # the operator row may have been created by the batch rolled back
        self._customers.clear()
        self._by_receptor.clear()
        self._pending_targets.clear()
        self._subst.clear()
        self._subst_rev.clear()
        self._load_state()

    def _one(self, conn: Any, raw: Raw, ops: Ops, entry: _Entry, bulk: dict[str, list[tuple[Any, ...]]]
             ) -> tuple[_Entry, str, str]:
        fast = self._fast(entry)
        if not fast and bulk["document"]:
            self._flush(raw, bulk, ("document",))  # this file may read the documents of earlier files
        sp = None if fast else raw.savepoint()
        self._undo = []
        ops.begin_file()
        entry.warnings, entry.extra, entry.waiting, entry.resolved = [], [], False, 0
        try:
            kind = entry.cfdi.kind
            if kind == "I":
                self._invoice(conn, raw, ops, entry, defer=fast)
            elif kind == "E":
                self._credit_note(conn, raw, ops, entry)
            else:
                self._payment(conn, raw, ops, entry)
        except _Duplicate as dup:
            self._rollback(raw, ops, sp, entry)
            return entry, "duplicate", dup.warning
        except (CfdiError, DomainError) as exc:
            self._rollback(raw, ops, sp, entry)
            return entry, "rejected", getattr(exc, "reason", None) or str(exc)
        except raw.integrity_error as exc:
            self._rollback(raw, ops, sp, entry)
            # cfdi_claim (source_key, position): the claims of this very file, stored by another run
            if any(key in str(exc) for key in ("cfdi_uuid", "cfdi_key", "source_key")):
                return entry, "duplicate", self._race_warning(raw, entry)  # stored by a concurrent run just now
            return entry, "rejected", self._t("cfdi.r.database", error=str(exc).splitlines()[0])
        except raw.dbapi_error as exc:
            self._rollback(raw, ops, sp, entry)
            return entry, "rejected", self._t("cfdi.r.database", error=str(exc).splitlines()[0])
        if sp is not None:
            raw.release(sp)
        for name, rows in ops.rows.items():
            bulk[name].extend(rows)
        return entry, "imported", ""

    def _rollback(self, raw: Raw, ops: Ops, sp: str | None, entry: _Entry) -> None:
        if sp is not None:
            raw.rollback_to(sp)
        ops.rollback_file()
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        self._seen.pop(entry.key, None)  # a later file with the same UUID may still be imported
        entry.waiting, entry.resolved = False, 0
        entry.warnings.clear()
        entry.extra.clear()

    # ---------------------------------------------------------------------------------- common
    def _exists(self, raw: Raw, entry: _Entry) -> None:
        """Raise :class:`_Duplicate` when the file's key is already imported (or an invoice / credit note
        with its UUID typed by hand), with a warning when the file differs from what is stored."""
        warning = self._duplicate_warning(raw, entry, look_up_files=self._safe)
        if warning is not None:
            raise _Duplicate(warning)

    def _duplicate_warning(self, raw: Raw, entry: _Entry, *, look_up_files: bool = False,
                           look_up_docs: bool = False) -> str | None:
        """``None`` when the ledger does not have the file's key (or UUID); else what differs from what is
        stored ('' when nothing). Known keys come from the batch's look-up (``_known``); ``look_up_*``
        asks the database for this one file (a batch redone file by file, a concurrent run)."""
        c = entry.cfdi
        row = self._known_files.get(entry.key)
        if row is None and look_up_files:
            row = self._fact_rows(raw, _FILE_FACTS_SQL, [entry.key]).get(entry.key)
        if row is not None:
            payments = self._known_rep_rows.get(entry.key)
            if payments is None and row[1] == "P" and look_up_files:
                payments = self._rep_rows(raw, [entry.key]).get(entry.key)
            return self._differs_stored(entry, self._stored_file_facts(row, payments or []))
        if not c.uuid or c.kind == "P":
            return None
        doc_row = self._known_doc_rows.get(c.uuid) if c.uuid in self._known_docs else None
        if doc_row is None and look_up_docs:
            doc_row = self._fact_rows(raw, _DOC_FACTS_SQL, [c.uuid]).get(c.uuid)
        if doc_row is not None:
            return self._differs_stored(entry, self._stored_doc_facts(doc_row))
        return "" if c.uuid in self._known_docs else None

    def _race_warning(self, raw: Raw, entry: _Entry) -> str:
        """What differs from the row a concurrent run stored between our look-up and our insert."""
        try:
            return self._duplicate_warning(raw, entry, look_up_files=True, look_up_docs=True) or ""
        except raw.dbapi_error:
            return ""

    # ---------------------------------------------------------------------------------- duplicates
    @staticmethod
    def _fact_rows(raw: Raw, sql: str, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        """One query per 500 keys: ``{first column: row}`` of what the database has."""
        out: dict[str, tuple[Any, ...]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            out.update((r[0], tuple(r)) for r in raw.all(sql.format(", ".join("?" for _ in chunk)), chunk))
        return out

    @staticmethod
    def _rep_rows(raw: Raw, uuids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        uuids = [u for u in uuids if not u.startswith("nostamp:")]
        for i in range(0, len(uuids), 500):
            chunk = uuids[i:i + 500]
            for r in raw.all(_REP_FACTS_SQL.format(", ".join("?" for _ in chunk)), chunk):
                out.setdefault(r[0], []).append(tuple(r))
        return out

    def _stored_file_facts(self, row: tuple[Any, ...], payments: list[tuple[Any, ...]]) -> dict[str, _Fact]:
        """Facts of an imported CFDI: its ``cfdi_file`` row, the customer it went to, the document it
        created (I, E) or the active payments carrying its REP UUID (P; none left: not compared)."""
        _key, kind, fecha, emisor, series, folio, rfc, total, currency = row
        none = self._t("cfdi.f.none")
        facts: dict[str, _Fact] = {"kind": (kind, kind), "fecha": (fecha, fecha), "emisor": (emisor, emisor),
                                   "receptor": (rfc, rfc),
                                   "folio": ((series, folio), _show_series_folio(series, folio, none))}
        if total is not None:
            facts["total"] = ((int(total), currency), self._money(int(total), currency))
        if payments:
            facts["monto"] = _payments_fact([(int(p[1]), p[2], "") for p in payments], self._money, none)
            days = sorted(Raw.to_day(p[3]).isoformat() for p in payments)
            facts["fecha_pago"] = (tuple(days), ", ".join(days))
        return facts

    def _stored_doc_facts(self, row: tuple[Any, ...]) -> dict[str, _Fact]:
        """Facts of a document typed by hand with the CFDI's UUID (it keeps a date, not a Fecha)."""
        _uuid, kind, issue_date, total, currency, rfc = row
        letter = {"invoice": "I", "credit_note": "E"}.get(kind, kind)
        day = Raw.to_day(issue_date).isoformat()
        return {"kind": (letter, letter), "receptor": (rfc, rfc), "date": (day, day),
                "total": ((int(total), currency), self._money(int(total), currency))}

    def _differences(self, before: dict[str, _Fact], now: dict[str, _Fact], key: str) -> str:
        """``"total $1,160.00 MXN stored, $1,200.00 MXN in the file; ..."`` ('' when nothing differs)."""
        parts = []
        for name in _FACT_FIELDS:
            if name in before and name in now and before[name][0] != now[name][0]:
                parts.append(self._t(key, field=self._t(f"cfdi.f.{name}"), stored=before[name][1],
                                     file=now[name][1]))
        return "; ".join(parts)

    def _differs_stored(self, entry: _Entry, stored: dict[str, _Fact]) -> str:
        c = entry.cfdi
        diffs = self._differences(stored, _file_facts(c, self._money, self._t("cfdi.f.none")), "cfdi.w.diff_stored")
        return self._t("cfdi.w.dup_differs", uuid=c.uuid or entry.key, diffs=diffs) if diffs else ""

    def _differs_in_run(self, key: str, first_path: str, c: Cfdi) -> str:
        """The second file of this run with ``key`` against the first (read again: only its digest was
        kept). '' when they agree on every compared fact, or the first cannot be read any more."""
        first = next((i for i in self._items if i.path == first_path), None)
        if first is None:
            return ""
        try:
            with Reader(self.max_bytes) as reader:
                data = reader.read(first)
                other = parse_cfdi_file(first.file, max_bytes=self.max_bytes) if data is None else parse_cfdi(
                    data, max_bytes=self.max_bytes)
        except CfdiError:
            return ""
        none = self._t("cfdi.f.none")
        diffs = self._differences(_file_facts(other, self._money, none), _file_facts(c, self._money, none),
                                  "cfdi.w.diff_run")
        return self._t("cfdi.w.dup_differs_run", uuid=c.uuid or key, first=first_path, diffs=diffs) if diffs else ""

    def _register(self, raw: Raw, ops: Ops, entry: _Entry, customer_id: int, document_id: int | None) -> None:
        c = entry.cfdi
        row = (entry.key, c.uuid, c.kind, c.version, entry.fecha, entry.emisor, customer_id, document_id,
               _clip(c.series, 25), _clip(c.folio, 40), entry.path[:500], ops.now_db, ops.actor_id)
        if self._safe:
            raw.insert_many("cfdi_file", Ops.COLUMNS["cfdi_file"], [row])
        else:
            ops.rows["cfdi_file"].append(row)

    def _currency(self, entry: _Entry) -> tuple[str, str]:
        c = entry.cfdi
        currency = c.currency
        if currency == "XXX":
            raise CfdiError(self._t("cfdi.r.currency_xxx"))
        self._check_currency(currency, "", "Moneda")
        if currency == "MXN":
            if c.exchange_rate is not None and c.exchange_rate != _ONE:
                entry.warnings.append(self._t("cfdi.w.mxn_rate", rate=c.exchange_rate))
            return currency, "1"
        if c.exchange_rate is None:
            raise CfdiError(self._t("cfdi.r.no_rate", currency=currency))
        rate = format(c.exchange_rate, "f")
        if len(rate) > 20:
            rate = format(c.exchange_rate.normalize(), "f")[:20]
        return currency, rate

    def _check_currency(self, currency: str, where: str, attr: str) -> None:
        """The ledger's currency rule (``money.check_currency``: SAT c_Moneda, real money)."""
        try:
            check_currency(currency)
        except DomainError:
            raise CfdiError(self._t("cfdi.r.currency_catalog", where=where, attr=attr, currency=currency)) from None

    def _customer(self, conn: Any, raw: Raw, ops: Ops, entry: _Entry) -> _Customer:
        c = entry.cfdi
        r = c.receptor
        quick = (r.rfc, r.name or "")
        cust = self._by_receptor.get(quick)
        if cust is not None:
            if c.kind == "I" and not (cust.tax_regime and cust.postal_code and cust.uso_cfdi):
                self._fill_blanks(raw, ops, entry, cust)
            return cust
        try:
            check = validate_rfc(r.rfc)
        except DomainError as exc:
            raise CfdiError(self._t("cfdi.r.bad_rfc", error=str(exc))) from None
        rfc = check.rfc
        name = _clip(r.name, 300) or rfc
        folded = " ".join(fold(name).split())
        key = (rfc, folded if check.generic else "")
        cust = self._customers.get(key)
        if cust is None:
            rows = raw.all("SELECT id, name, payment_terms_days, tax_regime, postal_code, uso_cfdi FROM customer "
                           "WHERE rfc = ? ORDER BY id", (rfc,))
            match = next((row for row in rows if " ".join(fold(row[1]).split()) == folded), None)
            if match is None and rows and not check.generic:
                match = rows[0]
            if match is not None:
                cust = _Customer(int(match[0]), int(match[2]), match[3], match[4], match[5])
            else:
                regime, postal, uso = self._tax_data(entry)
                cid = ops.create_customer(name=name, rfc=rfc, rfc_check_ok=check.check_ok, tax_regime=regime,
                                          postal_code=postal, uso_cfdi=uso)
                cust = _Customer(cid, 30, regime, postal, uso)
                if not check.check_ok:
                    entry.warnings.append(self._t("cfdi.w.rfc_check", rfc=rfc, expected=check_character(rfc)))
            self._customers[key] = cust
            self._undo.append(lambda: self._customers.pop(key, None))
        self._by_receptor[quick] = cust
        self._undo.append(lambda: self._by_receptor.pop(quick, None))
        if c.kind == "I":
            self._fill_blanks(raw, ops, entry, cust)
        return cust

    def _tax_data(self, entry: _Entry, *, warn: bool = True) -> tuple[str, str, str]:
        """(tax regime, postal code, uso CFDI) of the Receptor, blank where outside the SAT catalogs."""
        r = entry.cfdi.receptor
        regime = (r.regimen or "").strip()
        if regime and regime not in catalogs.REGIMEN_FISCAL:
            if warn:
                entry.warnings.append(self._t("cfdi.w.bad_regime", value=regime))
            regime = ""
        postal = (r.postal_code or "").strip()
        if postal and not (postal.isdigit() and len(postal) == 5):
            if warn:
                entry.warnings.append(self._t("cfdi.w.bad_postal_code", value=postal))
            postal = ""
        uso = (r.uso_cfdi or "").strip().upper() if entry.cfdi.kind == "I" else ""
        if uso and (uso not in catalogs.USO_CFDI or uso == "CP01"):
            if warn:
                entry.warnings.append(self._t("cfdi.w.bad_uso", value=uso))
            uso = ""
        return regime, postal, uso

    def _fill_blanks(self, raw: Raw, ops: Ops, entry: _Entry, cust: _Customer) -> None:
        """Blank tax regime / postal code / uso CFDI of the customer taken from an invoice."""
        if cust.tax_regime and cust.postal_code and cust.uso_cfdi:
            return
        regime, postal, uso = self._tax_data(entry, warn=False)
        changes = {}
        if regime and not cust.tax_regime:
            changes["tax_regime"] = regime
        if postal and not cust.postal_code:
            changes["postal_code"] = postal
        if uso and not cust.uso_cfdi:
            changes["uso_cfdi"] = uso
        if not changes:
            return
        before = (cust.tax_regime, cust.postal_code, cust.uso_cfdi)
        raw.run("UPDATE customer SET tax_regime = ?, postal_code = ?, uso_cfdi = ?, updated_at = ?, "
                "version = version + 1 WHERE id = ?",
                (changes.get("tax_regime", cust.tax_regime), changes.get("postal_code", cust.postal_code),
                 changes.get("uso_cfdi", cust.uso_cfdi), ops.now_db, cust.id))
        ops.log(cust.id, "customer_updated", on_date=ops.today, detail=", ".join(sorted(changes)))
        cust.tax_regime = changes.get("tax_regime", cust.tax_regime)
        cust.postal_code = changes.get("postal_code", cust.postal_code)
        cust.uso_cfdi = changes.get("uso_cfdi", cust.uso_cfdi)

        def undo() -> None:
            cust.tax_regime, cust.postal_code, cust.uso_cfdi = before

        self._undo.append(undo)

    def _lines(self, ops: Ops, doc_id: int, c: Cfdi) -> None:
        rows = ops.rows["document_line"]
        for i, x in enumerate(c.concepts):
            rows.append((
                doc_id, i, _clip(x.description, 1000) or "-", _number(x.quantity, "Cantidad"),
                _number(x.unit_price, "ValorUnitario"), "0" if x.tax_rate is None else str(x.tax_rate)[:10],
                cents(x.amount, "Importe"), cents(x.tax_amount, "Importe")))

    def _totals(self, entry: _Entry) -> tuple[int, int, int, int]:
        c = entry.cfdi
        subtotal, discount, total = cents(c.subtotal, "SubTotal"), cents(c.discount, "Descuento"), cents(c.total, "Total")
        if total <= 0:
            raise CfdiError(self._t("cfdi.r.zero_total"))
        return subtotal, discount, total - subtotal + discount, total

    def _chain(self, uuid: str) -> str:
        """Follow substitutions (TipoRelacion 04) to the CFDI that replaced ``uuid`` last."""
        seen = {uuid}
        while uuid in self._subst:
            uuid = self._subst[uuid]
            if uuid in seen:
                break
            seen.add(uuid)
        return uuid

    def _predecessors(self, uuid: str) -> set[str]:
        out: set[str] = set()
        todo = [uuid]
        while todo:
            for old in self._subst_rev.get(todo.pop(), ()):
                if old not in out and old != uuid:
                    out.add(old)
                    todo.append(old)
        return out

    def _resolve(self, ops: Ops, uuid: str) -> Doc | None:
        return ops.doc_by_uuid(self._chain(uuid))

    # ---------------------------------------------------------------------------------- invoices
    def _invoice(self, conn: Any, raw: Raw, ops: Ops, entry: _Entry, *, defer: bool = False) -> None:
        c = entry.cfdi
        self._exists(raw, entry)
        self._check_fecha(c)
        cust = self._customer(conn, raw, ops, entry)
        currency, rate = self._currency(entry)
        subtotal, discount, tax, total = self._totals(entry)
        metodo = (c.metodo_pago or "").upper()
        forma = c.forma_pago or ""
        if metodo not in catalogs.METODO_PAGO:
            metodo = "PUE" if forma and forma != "99" else "PPD"
            entry.warnings.append(self._t("cfdi.w.no_metodo", metodo=metodo))
        if forma not in catalogs.FORMA_PAGO:
            forma = "99"
        if metodo == "PPD" and forma != "99":
            entry.warnings.append(self._t("cfdi.w.ppd_forma", forma=forma))
            forma = "99"
        issue = c.issued_on
        days = parse_terms(c.condiciones_pago)
        due = self._due_date(c, issue, cust.terms if days is None else days)
        series, folio = _clip(c.series, 25), _clip(c.folio, 40)
        replaced_by = self._chain(c.uuid) if c.uuid and c.uuid in self._subst else None
        cancelled_on = None
        reason = ""
        if replaced_by is not None:
            cancelled_on = max(issue, self._subst_date(raw, c.uuid))  # type: ignore[arg-type]
            reason = self._t("cfdi.cancel_reason", uuid=replaced_by)
        doc_id = ops.insert_document(
            customer_id=cust.id, kind="invoice", series=series, folio=folio, issue_date=issue, due_date=due,
            currency=currency, exchange_rate=rate, subtotal=subtotal, discount=discount, tax=tax, total=total,
            status="cancelled" if replaced_by else "current", metodo_pago=metodo, forma_pago=forma, cfdi_uuid=c.uuid,
            description=_clip(c.concepts[0].description, 500) if c.concepts else "", cancelled_on=cancelled_on,
            cancel_reason=reason, defer=defer,
        )
        self._lines(ops, doc_id, c)
        ref = reference(series, folio, doc_id)
        if replaced_by is None:
            ops.bump(cust.id, currency, open_delta=total)
        ops.log(cust.id, "invoice_issued", on_date=issue, document_id=doc_id, amount=total, currency=currency,
                detail=f"{ref} CFDI {c.uuid or '-'}")
        if replaced_by is not None:
            ops.log(cust.id, "document_cancelled", on_date=cancelled_on or issue, document_id=doc_id, amount=total,
                    currency=currency, detail=f"{ref}: {reason}")
            entry.warnings.append(self._t("cfdi.w.imported_cancelled", uuid=replaced_by))
        self._register(raw, ops, entry, cust.id, doc_id)
        doc = Doc(doc_id, cust.id, "invoice", currency, metodo, issue, "cancelled" if replaced_by else "current",
                  0 if replaced_by else total, total, series, folio, c.uuid)
        # Relations: 04 replaces earlier CFDI; the others mean nothing for the balance of an invoice.
        others = sorted({r.tipo_relacion for r in c.related if r.tipo_relacion != "04"})
        if others:
            entry.warnings.append(self._t("cfdi.w.relation_ignored", tipos=", ".join(others)))
        claims: list[_Claim] = []
        manual: list[tuple[Sequence[Any], date, Doc]] = []
        if c.uuid:
            for rel in c.related:
                if rel.tipo_relacion == "04":
                    self._substitute(raw, ops, entry, rel.uuid, claims, manual)
        elif any(r.tipo_relacion == "04" for r in c.related):
            entry.warnings.append(self._t("cfdi.w.unstamped_substitution"))
        if self.pue_is_paid and metodo == "PUE" and doc.status == "current":
            claims.append(self._pue_claim(ops, entry, doc))
        targets = {c.uuid} | self._predecessors(c.uuid) if c.uuid else set()
        if targets & self._pending_targets:
            claims.extend(self._pending_claims(raw, targets))
        # Where the money goes: this invoice, or whatever replaced it already.
        target = doc if doc.status == "current" else (self._resolve(ops, c.uuid) if c.uuid else None)
        if target is not None and target.status == "current":
            for alloc, on, old in manual:
                self._move_manual(ops, entry, old, target, alloc, on)
        elif manual:
            for alloc, _on, old in manual:
                label = f"#{alloc[1]}" if alloc[1] is not None else f"#{alloc[2]}"
                entry.warnings.append(self._t("cfdi.w.not_moved", source=label, ref=old.ref))
        if claims:
            if target is not None:
                self._apply(raw, ops, entry, target, claims)
            else:
                for cl in claims:
                    if cl.status != "pending":
                        cl.status, cl.dirty = "pending", True
                    self._note_pending(entry, cl)
            self._store(raw, claims)

    def _check_fecha(self, c: Cfdi) -> None:
        """Fecha past the ledger's last day (``ledger._base.check_date``) rejects the file."""
        if c.issued_on > LAST_DAY:
            raise CfdiError(self._t("cfdi.r.fecha_range", fecha=_fecha(c.issued_at), last=LAST_DAY.isoformat()))

    def _due_date(self, c: Cfdi, issue: date, days: int) -> date:
        """Issue date + days of credit; a Fecha so late that the due date passes the ledger's last
        day (or ``date.max``: ``9999-12-31``) rejects the file instead of stopping the import."""
        try:
            due = issue + timedelta(days=days)
        except OverflowError:
            due = None
        if due is None or due > LAST_DAY:
            raise CfdiError(self._t("cfdi.r.fecha_range", fecha=_fecha(c.issued_at), last=LAST_DAY.isoformat()))
        return due

    def _check_pago_dates(self, ops: Ops, c: Cfdi) -> None:
        """A FechaPago after today rejects the REP, as ``arterm pay`` refuses a future payment date
        (a stored one would also push its REP deadline past the calendar)."""
        several = len(c.payments) > 1
        for pi, p in enumerate(c.payments, 1):
            if p.paid_on > ops.today:
                where = self._t("cfdi.pago_n", n=pi) + " " if several else ""
                raise CfdiError(self._t("cfdi.r.pago_future", where=where, fecha=_fecha(p.paid_at)))

    def _subst_date(self, raw: Raw, uuid: str) -> date:
        fecha = raw.scalar("SELECT fecha FROM cfdi_substitution WHERE old_uuid = ?", (uuid,))
        return date.fromisoformat(fecha[:10]) if fecha else date.min

    def _pue_claim(self, ops: Ops, entry: _Entry, doc: Doc) -> _Claim:
        c = entry.cfdi
        forma = c.forma_pago if c.forma_pago in catalogs.FORMA_PAGO and c.forma_pago != "99" else "01"
        pay_id = ops.insert_payment(customer_id=doc.customer_id, paid_on=doc.issue_date, amount=doc.total,
                                    currency=doc.currency, exchange_rate="1", forma_pago=forma,
                                    reference=f"PUE {doc.ref}"[:200], rep_status="not_required", rep_uuid=None)
        ops.bump(doc.customer_id, doc.currency, credit_delta=doc.total)
        ops.log(doc.customer_id, "payment_recorded", on_date=doc.issue_date, payment_id=pay_id, amount=doc.total,
                currency=doc.currency, detail=self._t("cfdi.pue_payment", ref=doc.ref))
        return _Claim(kind="pue", customer_id=doc.customer_id, source_key=entry.key, position=0,
                      sort_key=f"{entry.fecha}|{entry.key}|{0:06d}", target_key=c.uuid or entry.key,
                      currency=doc.currency, amount=doc.total, source_amount=doc.total, equivalence=_ONE,
                      source_currency=doc.currency, payment_id=pay_id)

    # ---------------------------------------------------------------------------------- substitution
    def _substitute(self, raw: Raw, ops: Ops, entry: _Entry, old_uuid: str, claims: list[_Claim],
                    manual: list[tuple[Sequence[Any], date, Doc]]) -> None:
        """Record that this CFDI replaces ``old_uuid``; cancel the replaced invoice if it is in the ledger,
        reversing its allocations: its claims are added to ``claims`` and its hand-made allocations to
        ``manual``, for the caller to apply to the replacement."""
        c = entry.cfdi
        assert c.uuid is not None
        if old_uuid == c.uuid:
            return
        current = self._subst.get(old_uuid)
        if current is not None and current != c.uuid:
            entry.warnings.append(self._t("cfdi.w.already_replaced", uuid=old_uuid, other=current))
            return
        if current is None:
            raw.run("INSERT INTO cfdi_substitution (old_uuid, new_uuid, fecha, created_at) VALUES (?, ?, ?, ?)",
                    (old_uuid, c.uuid, _fecha(c.issued_at), ops.now_db))
            self._subst[old_uuid] = c.uuid
            self._subst_rev.setdefault(c.uuid, set()).add(old_uuid)

            def undo(old: str = old_uuid, new_uuid: str = c.uuid) -> None:
                self._subst.pop(old, None)
                self._subst_rev.get(new_uuid, set()).discard(old)

            self._undo.append(undo)
        old = ops.doc_by_uuid(old_uuid)
        if old is None or old.status == "cancelled":
            return
        if old.kind == "credit_note":
            entry.warnings.append(self._t("cfdi.w.substitutes_credit_note", uuid=old_uuid))
            return
        on = max(c.issued_on, old.issue_date)
        # Every active allocation of the replaced invoice: imported claims and hand-made ones.
        allocs = raw.all("SELECT id, payment_id, credit_note_id, amount_cents, source_amount_cents, customer_id "
                         "FROM allocation WHERE document_id = ? AND reversed_on IS NULL ORDER BY id", (old.id,))
        old_claims = [_claim_from_row(r) for r in raw.all(
            f"SELECT {_CLAIM_COLS} {_CLAIM_FROM} WHERE c.document_id = ? AND c.status = 'applied' ORDER BY c.sort_key",
            (old.id,))]
        by_alloc = {cl.allocation_id for cl in old_claims if cl.allocation_id is not None}
        for a in allocs:
            ops.reverse(int(a[0]), reversed_on=on)
            if int(a[0]) not in by_alloc:
                manual.append((a, on, old))
        for cl in old_claims:
            cl.applied, cl.allocation_id, cl.document_id, cl.dirty = 0, None, None, True
        reason = self._t("cfdi.cancel_reason", uuid=c.uuid)
        ops.cancel_document(old, on=on, reason=reason)
        ops.log(old.customer_id, "document_cancelled", on_date=on, document_id=old.id, amount=old.total,
                currency=old.currency, detail=f"{old.ref}: {reason}")
        entry.warnings.append(self._t("cfdi.w.replaced", ref=old.ref, uuid=old_uuid))
        for cl in old_claims:
            if cl.kind == "pue":  # the replacement has (or needs) its own automatic payment
                cl.status, cl.detail = "unmatched", self._t("cfdi.d.replaced", uuid=c.uuid)[:300]
                if cl.payment_id is not None:
                    cancelled = ops.cancel_payment(cl.payment_id, on=on, reason=reason)
                    if cancelled:
                        ops.log(cancelled[0], "payment_cancelled", on_date=on, payment_id=cl.payment_id,
                                amount=cancelled[1], currency=cancelled[2], detail=reason)
                self._store(raw, [cl])
            else:
                cl.target_key = c.uuid
                claims.append(cl)

    def _move_manual(self, ops: Ops, entry: _Entry, old: Doc, new: Doc, a: Sequence[Any], on: date) -> None:
        """Re-relate a hand-made allocation of a replaced invoice to its replacement (up to what fits)."""
        raw = ops.raw
        _aid, pay_id, cn_id, amount, src, cust = a
        amount, src = int(amount), int(src)
        label = f"#{pay_id}" if pay_id is not None else f"#{cn_id}"
        if pay_id is not None:
            avail, src_cur, status = ops.payment_available(int(pay_id))
            active = status in ("applied", "partial", "unapplied")
        else:
            avail, src_cur, status = ops.credit_note_available(int(cn_id))
            active = status == "current"
        if int(cust) != new.customer_id or old.currency != new.currency or not active:
            entry.warnings.append(self._t("cfdi.w.not_moved", source=label, ref=new.ref))
            return
        take = min(amount, new.balance)
        if src_cur == new.currency:
            take = min(take, avail)
            source = take
        else:
            source = min(avail, int((Decimal(src) * take / amount).quantize(_ONE, rounding=ROUND_HALF_UP)))
        if take <= 0 or source <= 0:
            entry.warnings.append(self._t("cfdi.w.not_moved", source=label, ref=new.ref))
            return
        source_date = Raw.to_day(raw.scalar("SELECT paid_on FROM payment WHERE id = ?", (pay_id,)) if pay_id is not None
                                 else raw.scalar("SELECT issue_date FROM document WHERE id = ?", (cn_id,)))
        on = max(on, new.issue_date, source_date)
        ops.allocate(new, customer_id=new.customer_id, payment_id=pay_id, credit_note_id=cn_id,
                     source_currency=src_cur, amount=take, source_amount=source, applied_on=on)
        ops.log(new.customer_id, "credit_applied", on_date=on, payment_id=pay_id,
                document_id=cn_id, amount=take, currency=new.currency, detail=f"{new.ref} {take / 100:.2f}")
        if take < amount:
            entry.warnings.append(self._t("cfdi.w.moved_partly", source=label, ref=new.ref,
                                          amount=self._money(amount - take, new.currency)))

    # ---------------------------------------------------------------------------------- credit notes
    def _credit_note(self, conn: Any, raw: Raw, ops: Ops, entry: _Entry) -> None:
        c = entry.cfdi
        self._exists(raw, entry)
        self._check_fecha(c)
        cust = self._customer(conn, raw, ops, entry)
        currency, rate = self._currency(entry)
        subtotal, discount, tax, total = self._totals(entry)
        metodo = (c.metodo_pago or "PUE").upper()
        if metodo not in catalogs.METODO_PAGO:
            metodo = "PUE"
        forma = c.forma_pago if c.forma_pago in catalogs.FORMA_PAGO else "15"
        issue = c.issued_on
        series, folio = _clip(c.series, 25), _clip(c.folio, 40)
        doc_id = ops.insert_document(
            customer_id=cust.id, kind="credit_note", series=series, folio=folio, issue_date=issue, due_date=issue,
            currency=currency, exchange_rate=rate, subtotal=subtotal, discount=discount, tax=tax, total=total,
            status="current", metodo_pago=metodo, forma_pago=forma, cfdi_uuid=c.uuid,
            description=_clip(c.concepts[0].description, 500) if c.concepts else "",
        )
        self._lines(ops, doc_id, c)
        ref = reference(series, folio, doc_id)
        ops.bump(cust.id, currency, credit_delta=total)
        self._register(raw, ops, entry, cust.id, doc_id)
        related: list[str] = []
        for r in c.related:
            if r.tipo_relacion in CREDIT_RELATIONS and r.uuid not in related:
                related.append(r.uuid)
        if not related:
            entry.warnings.append(self._t("cfdi.w.credit_unrelated"))
        claims: list[_Claim] = []
        for i, uuid in enumerate(related):
            claims.append(_Claim(
                kind="credit", customer_id=cust.id, source_key=entry.key, position=i,
                sort_key=f"{entry.fecha}|{entry.key}|{i:06d}", target_key=uuid, currency=currency,
                amount=total, source_amount=total, equivalence=_ONE, source_currency=currency,
                credit_note_id=doc_id))
        applied = self._route(raw, ops, entry, claims)
        left = total - sum(a for _r, a in applied)
        if related and left and all(cl.status != "pending" for cl in claims):
            entry.warnings.append(self._t("cfdi.w.credit_left", amount=self._money(left, currency)))
        detail = ref + ("; " + ", ".join(f"{r} {a / 100:.2f}" for r, a in applied) if applied else "")
        ops.log(cust.id, "credit_note_issued", on_date=issue, document_id=doc_id, amount=total, currency=currency,
                detail=detail)
        self._store(raw, claims)

    # ---------------------------------------------------------------------------------- REPs
    def _payment(self, conn: Any, raw: Raw, ops: Ops, entry: _Entry) -> None:
        c = entry.cfdi
        self._exists(raw, entry)
        self._check_pago_dates(ops, c)
        self._check_fecha(c)
        cust = self._customer(conn, raw, ops, entry)
        if c.uuid and (c.uuid in self._known_reps or self._safe):
            recorded = [int(r[0]) for r in raw.all(
                "SELECT id FROM payment WHERE rep_uuid = ? AND status NOT IN ('cancelled', 'rejected') ORDER BY id",
                (c.uuid,))]
            if recorded:
                entry.warnings.append(self._t("cfdi.w.rep_already_recorded",
                                              payments=", ".join(f"#{p}" for p in recorded)))
                self._register(raw, ops, entry, cust.id, None)
                return
        claims: list[_Claim] = []
        several = len(c.payments) > 1
        for pi, p in enumerate(c.payments, 1):
            where = self._t("cfdi.pago_n", n=pi) + " " if several else ""
            currency = p.currency
            if currency == "XXX":
                raise CfdiError(self._t("cfdi.r.pago_currency", where=where))
            self._check_currency(currency, where, "MonedaP")
            monto = cents(p.amount, "Monto")
            if monto <= 0:
                raise CfdiError(self._t("cfdi.r.pago_zero", where=where))
            pago_claims: list[_Claim] = []
            for j, d in enumerate(p.documents, 1):
                self._check_currency(d.currency, where, f"DoctoRelacionado[{j}]/@MonedaDR")
                amount = cents(d.paid, "ImpPagado")
                if d.currency == currency:
                    eq, source = _ONE, amount
                else:
                    if d.equivalence is None:
                        raise CfdiError(self._t("cfdi.r.no_equivalence", where=where, n=j, dr=d.currency, p=currency))
                    eq, source = d.equivalence, convert(amount, d.equivalence)
                pago_claims.append(_Claim(
                    kind="rep", customer_id=cust.id, source_key=entry.key, position=pi * 1000 + j,
                    sort_key=f"{_fecha(p.paid_at)}|{entry.key}|{pi * 1000 + j:06d}", target_key=d.uuid,
                    currency=d.currency, amount=amount, source_amount=source, equivalence=eq, source_currency=currency,
                    installment=d.installment,
                    previous=cents(d.previous_balance, "ImpSaldoAnt") if d.previous_balance is not None else None,
                    remaining=cents(d.remaining, "ImpSaldoInsoluto") if d.remaining is not None else None))
            matched = self._match_manual(raw, ops, entry, cust, p, monto, pago_claims)
            if matched is not None:
                claims.extend(pago_claims)
                continue
            rate = format(p.exchange_rate, "f")[:20] if p.exchange_rate is not None else "1"
            forma = p.forma_pago if p.forma_pago in catalogs.FORMA_PAGO else "99"
            if forma == "99":
                entry.warnings.append(self._t("cfdi.w.pago_forma", where=where, forma=p.forma_pago))
            ref_parts = ["REP", reference(_clip(c.series, 25), _clip(c.folio, 40), 0) if (c.series or c.folio) else ""]
            if p.operation_number:
                ref_parts.append(f"op {_clip(p.operation_number, 100)}")
            fields = {"customer_id": cust.id, "paid_on": p.paid_on, "amount": monto, "currency": currency,
                      "exchange_rate": rate, "forma_pago": forma, "reference": " ".join(x for x in ref_parts if x)[:200],
                      "rep_uuid": c.uuid}
            fast = self._pago_fast(ops, entry, fields, pago_claims)
            if fast is not None:
                pay_id, applied = fast
            else:
                pay_id = ops.insert_payment(**fields, rep_status="issued" if c.uuid else "not_required")
                ops.bump(cust.id, currency, credit_delta=monto)
                for cl in pago_claims:
                    cl.payment_id = pay_id
                applied = self._route(raw, ops, entry, pago_claims)
            detail = "; ".join(f"{r} {a / 100:.2f}" for r, a in applied)
            ops.log(cust.id, "payment_recorded", on_date=p.paid_on, payment_id=pay_id, amount=monto,
                    currency=currency, detail=(f"REP {c.uuid or '-'}" + (f": {detail}" if detail else ""))[:2000])
            claims.extend(pago_claims)
        self._register(raw, ops, entry, cust.id, None)
        self._store(raw, claims)

    def _pago_fast(self, ops: Ops, entry: _Entry, fields: dict[str, Any], claims: list[_Claim]
                   ) -> tuple[int, list[tuple[str, int]]] | None:
        """A new payment whose claims all go after whatever its invoices already received (the usual
        case): plan the allocations first, insert the payment with its final unapplied amount, then
        the allocations, and move the customer totals once per currency. ``None`` when some claim
        must be re-ordered on its invoice (the general path does that)."""
        docs: list[Doc | None] = []
        by_id: dict[int, Doc] = {}
        for cl in claims:
            doc = self._resolve(ops, cl.target_key)
            if doc is not None:
                doc = by_id.setdefault(doc.id, doc)
                if doc.max_sort is not None and cl.sort_key < doc.max_sort and self._valid_for(doc, cl) is None:
                    return None
            docs.append(doc)
        currency, monto = fields["currency"], fields["amount"]
        avail = monto
        planned: dict[int, int] = {}
        plan: list[tuple[_Claim, Doc, int, int]] = []
        ppd = False
        for cl, doc in zip(claims, docs):
            if doc is None:
                cl.status = "pending"
                self._note_pending(entry, cl)
                continue
            why = self._valid_for(doc, cl)
            if why is not None:
                cl.status, cl.detail, cl.document_id = "unmatched", why[:300], doc.id
                entry.warnings.append(self._t("cfdi.w.unmatched", source=self._t("cfdi.this_payment"), reason=why))
                continue
            self._touched_docs.add(doc.id)
            amount = min(cl.amount, doc.balance - planned.get(doc.id, 0))
            if cl.source_currency == doc.currency:
                amount = min(amount, avail)
                source = amount
            else:
                source = min(cl.source_amount if amount == cl.amount else convert(amount, cl.equivalence), avail)
                if source <= 0:
                    amount = 0
            cl.status, cl.document_id, cl.applied = "applied", doc.id, 0
            if amount > 0 and source > 0:
                plan.append((cl, doc, amount, source))
                planned[doc.id] = planned.get(doc.id, 0) + amount
                avail -= source
                ppd = ppd or (doc.kind == "invoice" and doc.metodo_pago == "PPD")
            if doc.max_sort is None or cl.sort_key > doc.max_sort:
                doc.max_sort = cl.sort_key
            if amount < cl.amount:
                doc.capped += 1
                entry.warnings.append(self._t(
                    "cfdi.w.capped", source=self._t("cfdi.this_payment"), ref=doc.ref,
                    asked=self._money(cl.amount, doc.currency), applied=self._money(max(amount, 0), doc.currency)))
        rep_status = "issued" if fields["rep_uuid"] else ("pending" if ppd else "not_required")
        pay_id = ops.insert_payment(**fields, rep_status=rep_status, unapplied=avail)
        deltas: dict[str, list[int]] = {currency: [0, avail]}
        applied: list[tuple[str, int]] = []
        for cl in claims:
            cl.payment_id = pay_id
        for cl, doc, amount, source in plan:
            cl.allocation_id = ops.allocate(doc, customer_id=doc.customer_id, payment_id=pay_id, credit_note_id=None,
                                            source_currency=currency, amount=amount, source_amount=source,
                                            applied_on=cl.applied_on, source_done=True)
            cl.applied = amount
            deltas.setdefault(doc.currency, [0, 0])[0] -= amount
            applied.append((doc.ref, amount))
        for cur, (open_delta, credit_delta) in deltas.items():
            ops.bump(fields["customer_id"], cur, open_delta=open_delta, credit_delta=credit_delta)
        return pay_id, applied

    def _match_manual(self, raw: Raw, ops: Ops, entry: _Entry, cust: _Customer, p: Any, monto: int,
                      claims: list[_Claim]) -> int | None:
        """A payment recorded by hand that this Pago documents (see the module docstring)."""
        if self._manual_batch != self._batch_no:  # once per batch: who has hand-made payments without REP
            self._manual_batch = self._batch_no
            self._manual_customers = {int(r[0]) for r in raw.all(
                "SELECT DISTINCT customer_id FROM payment WHERE rep_uuid IS NULL AND origin != 'cfdi_import' "
                "AND status IN ('applied', 'partial', 'unapplied')")}
        if cust.id not in self._manual_customers:
            return None
        candidates = raw.all(
            "SELECT id FROM payment WHERE customer_id = ? AND paid_on = ? AND currency = ? AND amount_cents = ? "
            "AND origin != 'cfdi_import' AND rep_uuid IS NULL AND status IN ('applied', 'partial', 'unapplied') "
            "ORDER BY id", (cust.id, raw.day(p.paid_on), p.currency, monto))
        if not candidates:
            return None
        docs = [self._resolve(ops, cl.target_key) for cl in claims]
        if any(d is None for d in docs):
            return None
        for (pay_id,) in candidates:
            allocated = {int(r[0]): int(r[1]) for r in raw.all(
                "SELECT document_id, sum(amount_cents) FROM allocation WHERE payment_id = ? AND reversed_on IS NULL "
                "GROUP BY document_id", (pay_id,))}
            if all(d.id in allocated for d in docs if d is not None):
                break
        else:
            return None
        pay_id = int(pay_id)
        c = entry.cfdi
        if c.uuid:
            raw.run("UPDATE payment SET rep_uuid = ?, rep_status = 'issued', version = version + 1 WHERE id = ?",
                    (c.uuid, pay_id))
            ops.log(cust.id, "rep_recorded", on_date=p.paid_on, payment_id=pay_id, detail=c.uuid, with_balance=False)
        for cl, d in zip(claims, docs):
            assert d is not None
            cl.status, cl.payment_id, cl.document_id = "manual", pay_id, d.id
            cl.applied = allocated.get(d.id, 0)
            cl.detail = self._t("cfdi.d.manual", id=pay_id)[:300]
            if d.kind == "invoice":
                self._touched_docs.add(d.id)
        entry.warnings.append(self._t("cfdi.w.matched_manual", id=pay_id))
        return pay_id

    # ---------------------------------------------------------------------------------- claims
    def _route(self, raw: Raw, ops: Ops, entry: _Entry, claims: list[_Claim]) -> list[tuple[str, int]]:
        """Apply new claims of one source to the invoices they name, or leave them pending."""
        by_doc: dict[int, tuple[Doc, list[_Claim]]] = {}
        for cl in claims:
            doc = self._resolve(ops, cl.target_key)
            if doc is None:
                cl.status = "pending"
                self._note_pending(entry, cl)
                continue
            if doc.id in by_doc:
                by_doc[doc.id][1].append(cl)
            else:
                by_doc[doc.id] = (doc, [cl])
        applied: list[tuple[str, int]] = []
        for doc, doc_claims in by_doc.values():
            self._apply(raw, ops, entry, doc, doc_claims)
            applied.extend((doc.ref, cl.applied) for cl in doc_claims if cl.applied)
        return applied

    def _note_pending(self, entry: _Entry, cl: _Claim) -> None:
        entry.waiting = True
        if cl.target_key not in self._pending_targets:
            self._pending_targets.add(cl.target_key)
            self._undo.append(lambda key=cl.target_key: self._pending_targets.discard(key))
        if cl.source_key and cl.source_key not in self._run_sources and entry.cfdi is not None:
            self._run_sources[cl.source_key] = entry.path
            self._undo.append(lambda key=cl.source_key: self._run_sources.pop(key, None))

    def _pending_claims(self, raw: Raw, targets: set[str]) -> list[_Claim]:
        keys = sorted(targets)
        marks = ", ".join("?" for _ in keys)
        return [_claim_from_row(r) for r in raw.all(
            f"SELECT {_CLAIM_COLS} {_CLAIM_FROM} WHERE c.status = 'pending' AND c.target_key IN ({marks}) "
            "ORDER BY c.sort_key", keys)]

    def _valid_for(self, doc: Doc, cl: _Claim) -> str | None:
        """Why ``cl`` can never be allocated to ``doc`` (``None`` when it can)."""
        if cl.customer_id != doc.customer_id:
            return self._t("cfdi.d.other_customer", ref=doc.ref)
        if doc.kind not in ("invoice", "sales_note"):
            return self._t("cfdi.d.not_invoice", ref=doc.ref)
        if doc.status == "cancelled":
            return self._t("cfdi.d.cancelled", ref=doc.ref)
        if cl.currency != doc.currency:
            return self._t("cfdi.d.currency", ref=doc.ref, doc=doc.currency, claim=cl.currency)
        return None

    def _apply(self, raw: Raw, ops: Ops, entry: _Entry, doc: Doc, claims: list[_Claim]) -> None:
        """Apply claims to ``doc`` keeping the canonical order of all import claims on it."""
        claims.sort(key=lambda cl: cl.sort_key)
        valid: list[_Claim] = []
        for cl in claims:
            was_pending = cl.status == "pending" and cl.id is not None
            why = self._valid_for(doc, cl)
            if cl.id is not None:
                cl.dirty = True
            if why is not None:
                cl.status, cl.detail, cl.document_id = "unmatched", why[:300], doc.id
                self._warn_for(entry, cl, "cfdi.w.unmatched", reason=why)
                if was_pending:
                    entry.resolved += 1
                continue
            if was_pending:
                entry.resolved += 1
            valid.append(cl)
        if not valid:
            return
        if any(cl.kind == "rep" for cl in valid):
            self._touched_docs.add(doc.id)
        asked = sum(cl.amount for cl in valid)
        if doc.max_sort is not None and valid[0].sort_key < doc.max_sort and (doc.capped or asked > doc.balance):
            self._replay(raw, ops, entry, doc, valid)
            return
        for cl in valid:
            self._apply_one(ops, entry, doc, cl, log=cl.id is not None)

    def _warn_for(self, entry: _Entry, cl: _Claim, key: str, **kw: Any) -> None:
        """A warning about a claim, reported under the file the claim came from when it is part of this
        run (an earlier file's payment re-applied now), else under the file being imported."""
        path = self._seen.get(cl.source_key) if cl.source_key else None
        if path is None or path == entry.path:
            if path == entry.path:
                source = self._t("cfdi.this_payment" if cl.payment_id is not None else "cfdi.this_credit_note")
            else:
                source = self._source_name(cl)
            entry.warnings.append(self._t(key, source=source, **kw))
        else:
            entry.extra.append((path, self._t(key, source=self._source_name(cl), **kw)))

    def _source_name(self, cl: _Claim) -> str:
        if cl.payment_id is not None:
            return self._t("cfdi.src.payment", id=cl.payment_id)
        return self._t("cfdi.src.credit_note", id=cl.credit_note_id)

    def _source_available(self, ops: Ops, cl: _Claim) -> int:
        if cl.payment_id is not None:
            avail, _cur, status = ops.payment_available(cl.payment_id)
            return avail if status in ("applied", "partial", "unapplied") else 0
        avail, _cur, status = ops.credit_note_available(cl.credit_note_id)  # type: ignore[arg-type]
        return avail if status == "current" else 0

    def _apply_one(self, ops: Ops, entry: _Entry, doc: Doc, cl: _Claim, *, log: bool,
                   previous: int | None = None) -> None:
        """Allocate one claim, up to what the invoice has open and the source has left. ``previous``:
        what it had before a re-application (no new warning when that does not change)."""
        cl.status, cl.document_id, cl.applied, cl.allocation_id = "applied", doc.id, 0, None
        amount = min(cl.amount, doc.balance)
        avail = self._source_available(ops, cl)
        if cl.source_currency == doc.currency:
            amount = min(amount, avail)
            source = amount
        else:
            source = cl.source_amount if amount == cl.amount else convert(amount, cl.equivalence)
            source = min(source, avail)
            if source <= 0:
                amount = 0
        if amount > 0 and source > 0:
            cl.allocation_id = ops.allocate(doc, customer_id=doc.customer_id, payment_id=cl.payment_id,
                                            credit_note_id=cl.credit_note_id, source_currency=cl.source_currency,
                                            amount=amount, source_amount=source, applied_on=cl.applied_on)
            cl.applied = amount
            if log:  # money of an earlier file meets its invoice now
                ops.log(doc.customer_id, "credit_applied", on_date=max(cl.applied_on, doc.issue_date),
                        payment_id=cl.payment_id, document_id=cl.credit_note_id, amount=amount, currency=doc.currency,
                        detail=f"{doc.ref} {amount / 100:.2f}")
        if doc.max_sort is None or cl.sort_key > doc.max_sort:
            doc.max_sort = cl.sort_key
        if cl.applied < cl.amount:
            doc.capped += 1
            if cl.kind != "credit" and cl.applied != previous:
                self._warn_for(entry, cl, "cfdi.w.capped", ref=doc.ref, asked=self._money(cl.amount, doc.currency),
                               applied=self._money(cl.applied, doc.currency))

    def _replay(self, raw: Raw, ops: Ops, entry: _Entry, doc: Doc, new: list[_Claim]) -> None:
        """Re-apply every import claim on ``doc`` in canonical order (a claim arrived "early")."""
        old = [_claim_from_row(r) for r in raw.all(
            f"SELECT {_CLAIM_COLS} {_CLAIM_FROM} WHERE c.document_id = ? AND c.status = 'applied'", (doc.id,))]
        new_ids = {cl.id for cl in new if cl.id is not None}
        old = [cl for cl in old if cl.id not in new_ids]
        for cl in old:
            if cl.allocation_id is not None:
                ops.reverse(cl.allocation_id)
            cl.dirty = True
        fresh = ops.doc_by_id(doc.id)
        assert fresh is not None
        doc.balance, doc.status = fresh.balance, fresh.status
        doc.max_sort, doc.capped = None, 0
        newcomers = {id(cl) for cl in new}
        before = {id(cl): cl.applied for cl in old}
        for cl in sorted([*old, *new], key=lambda cl: cl.sort_key):
            self._apply_one(ops, entry, doc, cl, log=id(cl) in newcomers and cl.id is not None,
                            previous=before.get(id(cl)))
        self._store(raw, old)

    def _store(self, raw: Raw, claims: Iterable[_Claim]) -> None:
        inserts, updates = [], []
        for cl in claims:
            if cl.id is None:
                inserts.append((
                    cl.customer_id, cl.kind, cl.source_key, cl.position, cl.sort_key, cl.target_key, cl.document_id,
                    cl.payment_id, cl.credit_note_id, cl.allocation_id, cl.currency, cl.amount, cl.source_amount,
                    format(cl.equivalence, "f")[:24], cl.installment, cl.previous, cl.remaining, cl.applied, cl.status,
                    cl.detail[:300]))
            elif cl.dirty:
                updates.append((cl.target_key, cl.document_id, cl.allocation_id, cl.applied, cl.status, cl.detail[:300],
                                cl.id))
                cl.dirty = False
        if inserts:
            raw.many(
                "INSERT INTO cfdi_claim (customer_id, kind, source_key, position, sort_key, target_key, document_id, "
                "payment_id, credit_note_id, allocation_id, currency, amount_cents, source_amount_cents, equivalence, "
                "installment, previous_cents, remaining_cents, applied_cents, status, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
        if updates:
            raw.many("UPDATE cfdi_claim SET target_key = ?, document_id = ?, allocation_id = ?, applied_cents = ?, "
                     "status = ?, detail = ? WHERE id = ?", updates)

    # ---------------------------------------------------------------------------------- sweep / finish
    def _sweep(self, raw: Raw, ops: Ops, bulk: dict[str, list[tuple[Any, ...]]]) -> list[_Entry]:
        """Pending claims whose invoice reached the ledger some other way (typed in by hand with its
        UUID, or imported by a concurrent run): apply them now. Returns what to report once the
        batch is committed."""
        done: list[_Entry] = []
        for target in sorted(self._pending_targets):
            doc = self._resolve(ops, target)
            if doc is None or doc.kind == "credit_note":
                continue
            sp = raw.savepoint()
            ops.begin_file()
            entry = _Entry(self._t("cfdi.sweep_path"), None, "")  # type: ignore[arg-type]
            try:
                targets = {target} | self._predecessors(target)
                claims = self._pending_claims(raw, targets)
                self._apply(raw, ops, entry, doc, claims)
                self._store(raw, claims)
            except (DomainError, raw.dbapi_error):
                raw.rollback_to(sp)
                ops.rollback_file()
                continue
            raw.release(sp)
            for name, rows in ops.rows.items():
                bulk[name].extend(rows)
            done.append(entry)
        return done

    def _finish(self) -> None:
        """Waiting files and the REP checks (ImpSaldoAnt / ImpSaldoInsoluto / NumParcialidad); the
        report's lists in path order (warnings of one file keep their order)."""
        if self._run_sources or self._touched_docs:
            self._finish_checks()
        rep = self.report
        rep.duplicates.sort()
        rep.not_ours.sort()
        rep.rejected.sort(key=lambda pr: pr[0])
        rep.warnings.sort(key=lambda pm: pm[0])

    def _finish_checks(self) -> None:
        with self.db.read() as conn:
            raw = Raw(conn)
            try:
                still: set[str] = set()
                keys = sorted(self._run_sources)
                for i in range(0, len(keys), 500):
                    chunk = keys[i:i + 500]
                    marks = ", ".join("?" for _ in chunk)
                    still.update(r[0] for r in raw.all(
                        f"SELECT DISTINCT source_key FROM cfdi_claim WHERE status = 'pending' AND source_key IN ({marks})",
                        chunk))
                self.report.waiting = sorted({self._run_sources[k] for k in still})
                self._check_reps(raw)
            finally:
                raw.close()

    def _check_reps(self, raw: Raw) -> None:
        ids = sorted(self._touched_docs)
        run_paths = {key: path for key, path in self._seen.items()}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join("?" for _ in chunk)
            docs = {int(r[0]): (int(r[1]), r[2], r[3], r[4], r[5]) for r in raw.all(
                f"SELECT id, total_cents, currency, series, folio, status FROM document WHERE id IN ({marks})", chunk)}
            events: dict[int, list[tuple[str, int, Any]]] = {d: [] for d in docs}
            claim_pay: dict[int, set[int]] = {d: set() for d in docs}
            for r in raw.all(
                f"SELECT document_id, sort_key, kind, applied_cents, installment, previous_cents, remaining_cents, "
                f"source_key, status, payment_id FROM cfdi_claim WHERE document_id IN ({marks}) "
                "AND status IN ('applied', 'manual')", chunk):
                events[int(r[0])].append((r[1], int(r[3]), r))
                if r[8] == "manual" and r[9] is not None:
                    claim_pay[int(r[0])].add(int(r[9]))
            claimed_allocs = {int(r[0]) for r in raw.all(
                f"SELECT allocation_id FROM cfdi_claim WHERE document_id IN ({marks}) AND allocation_id IS NOT NULL",
                chunk)}
            for r in raw.all(
                f"SELECT id, document_id, amount_cents, applied_on, payment_id FROM allocation WHERE document_id IN "
                f"({marks}) AND reversed_on IS NULL", chunk):
                if int(r[0]) in claimed_allocs or (r[4] is not None and int(r[4]) in claim_pay[int(r[1])]):
                    continue
                events[int(r[1])].append((f"{Raw.to_day(r[3]).isoformat()}T00:00:00|", int(r[2]), None))
            for doc_id, evs in events.items():
                total, currency, series, folio, _status = docs[doc_id]
                ref = reference(series, folio, doc_id)
                running = total
                installments: dict[int, list[str]] = {}
                for _key, applied, r in sorted(evs, key=lambda e: e[0]):
                    if r is not None and r[2] == "rep":
                        path = run_paths.get(r[7])
                        prev, rem, inst = r[5], r[6], r[4]
                        if inst is not None:
                            installments.setdefault(int(inst), []).append(r[7])
                        if path is not None and prev is not None and int(prev) != running:
                            self.report.warnings.append((path, self._t(
                                "cfdi.w.saldo_ant", ref=ref, n=inst if inst is not None else "-",
                                stated=self._money(int(prev), currency), ours=self._money(running, currency))))
                        elif path is not None and rem is not None and int(rem) != running - applied:
                            self.report.warnings.append((path, self._t(
                                "cfdi.w.saldo_insoluto", ref=ref, n=inst if inst is not None else "-",
                                stated=self._money(int(rem), currency),
                                ours=self._money(running - applied, currency))))
                    running -= applied
                if installments:
                    expected = 1
                    for n in sorted(installments):
                        sources = installments[n]
                        paths = [run_paths[s] for s in sources if s in run_paths]
                        if n != expected and paths:
                            for path in paths:
                                self.report.warnings.append((path, self._t(
                                    "cfdi.w.parcialidad_gap", ref=ref, n=n, missing=expected if n > expected else n)))
                        if len(sources) > 1 and paths:
                            for path in paths:
                                self.report.warnings.append((path, self._t("cfdi.w.parcialidad_repeated", ref=ref, n=n)))
                        expected = n + 1


# ------------------------------------------------------------------------------------------ entry
@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (for a one-shot process such as ``arterm import``).

    Parsed CFDI are trees without reference cycles: they are freed as soon as they are written. The
    collector's full passes, though, walk every live object — the 100k items of a big download
    among them — and cost ~10 % of a long import. Collected once at the end.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            gc.collect()


def import_paths(
    db: Database,
    paths: Iterable[str],
    *,
    settings: Settings,
    actor: str,
    allow_unstamped: bool = False,
    lang: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_files: int = BATCH_FILES,
) -> ImportReport:
    """Import every CFDI under ``paths`` (files, folders, .zip archives) and report what happened."""
    importer = Importer(
        db, actor=actor, company_rfcs=settings.company.rfc, pue_is_paid=settings.cfdi.pue_is_paid,
        max_bytes=settings.cfdi.max_file_bytes, allow_unstamped=allow_unstamped, lang=lang or settings.language,
        batch_files=batch_files, progress=progress, should_stop=should_stop,
    )
    return importer.run(paths)
