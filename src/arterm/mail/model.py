"""The data a statement (estado de cuenta) is drawn from.

Plain frozen dataclasses, no database: ``queries`` fills them, ``mail.render`` draws them.
Money is always integer centavos (``int``) in the section's currency; dates are ``date``.

Sign conventions (what the templates assume):

- ``Movement.charge_cents`` and ``Movement.credit_cents`` are both >= 0; a movement normally has one
  of them non-zero. ``balance_cents`` is the running balance *after* the movement:
  ``previous + charge - credit``.
- ``CurrencySection.opening_cents`` / ``closing_cents`` are that same running balance at the start
  and end of the period (negative when the customer is in credit).
- ``CurrencySection.credit_cents`` is the customer's unapplied credit (saldo a favor), a positive
  number. The payments that produced it are movements, so it is already deducted from
  ``closing_cents``: ``closing == sum(open document balances) - credit``.
- ``OpenDocument.days_overdue`` is days past the due date as of ``period_to``; zero or negative
  means not yet due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from arterm.config import CompanySettings

Language = Literal["es", "en"]
MovementKind = Literal["invoice", "sales_note", "credit_note", "payment", "cancellation", "credit_applied"]
MOVEMENT_KINDS: tuple[str, ...] = ("invoice", "sales_note", "credit_note", "payment", "cancellation", "credit_applied")


@dataclass(frozen=True)
class StatementCompany:
    name: str
    rfc: str
    address: str = ""  # may hold several lines
    payment_instructions: str = ""  # may hold several lines
    phone: str = ""
    email: str = ""

    @classmethod
    def from_settings(cls, company: CompanySettings, *, rfc: str | None = None) -> StatementCompany:
        """Build from ``[company]`` settings; ``rfc`` picks one of several issuer RFCs (default: the first)."""
        chosen = rfc if rfc is not None else (company.rfc[0] if company.rfc else "")
        return cls(
            name=company.name,
            rfc=chosen,
            address=company.address,
            payment_instructions=company.payment_instructions,
            phone=company.phone,
            email=company.email,
        )


@dataclass(frozen=True)
class StatementCustomer:
    identifier: str  # the customer number operators and customers quote (e.g. "C-0042")
    name: str
    rfc: str
    address_lines: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()  # billing addresses: the statement goes To all of them
    language: Language = "es"


@dataclass(frozen=True)
class StatementOperator:
    username: str
    full_name: str
    email: str = ""


@dataclass(frozen=True)
class Movement:
    date: date
    kind: MovementKind
    reference: str  # series-folio, e.g. "A-1042"
    description: str
    charge_cents: int
    credit_cents: int
    balance_cents: int  # running balance after this movement


@dataclass(frozen=True)
class OpenDocument:
    reference: str
    issue_date: date
    due_date: date
    days_overdue: int  # <= 0: not yet due
    total_cents: int
    balance_cents: int

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True)
class AgingBucket:
    label_key: str  # "current", "1-30", "31-60", "61-90", "91-120", "120+" (buckets are configurable)
    cents: int

    @property
    def is_overdue(self) -> bool:
        return self.label_key != "current"


@dataclass(frozen=True)
class CurrencySection:
    currency: str  # ISO 4217: MXN, USD, EUR
    opening_cents: int
    movements: tuple[Movement, ...]
    closing_cents: int
    open_documents: tuple[OpenDocument, ...] = ()
    aging: tuple[AgingBucket, ...] = ()
    credit_cents: int = 0  # unapplied customer credit (saldo a favor), >= 0

    @property
    def aging_total_cents(self) -> int:
        return sum(b.cents for b in self.aging)

    @property
    def overdue_cents(self) -> int:
        return sum(b.cents for b in self.aging if b.is_overdue)


@dataclass(frozen=True)
class Statement:
    company: StatementCompany
    customer: StatementCustomer
    operator: StatementOperator | None  # the customer's assigned collector, if any
    period_from: date
    period_to: date
    generated_on: date
    sections: tuple[CurrencySection, ...] = field(default=())

    @property
    def language(self) -> Language:
        return "en" if self.customer.language == "en" else "es"


def sample_statement(language: Language = "es") -> Statement:
    """A fixed, realistic statement (two currencies, overdue documents, a credit).

    For template previews (``render_statement(sample_statement(), fmt="html", templates_dir=...)``)
    and for the golden-file tests. Changing it changes the golden files.
    """
    as_of = date(2026, 11, 30)

    def doc(ref: str, issued: date, due: date, total: int, balance: int) -> OpenDocument:
        return OpenDocument(ref, issued, due, (as_of - due).days, total, balance)

    mxn = CurrencySection(
        currency="MXN",
        opening_cents=8_500_000,
        movements=(
            Movement(date(2026, 11, 3), "payment", "P-0311", "Transferencia SPEI", 0, 2_500_000, 6_000_000),
            Movement(date(2026, 11, 5), "invoice", "A-1042", "Refacciones para maquinaria pesada", 3_480_000, 0, 9_480_000),
            Movement(date(2026, 11, 8), "invoice", "A-1043", "Mantenimiento preventivo", 1_160_000, 0, 10_640_000),
            Movement(date(2026, 11, 12), "credit_note", "NC-0107", "Devolución de mercancía (A-1043)", 0, 116_000, 10_524_000),
            Movement(date(2026, 11, 15), "invoice", "A-1050", "Filtros y lubricantes", 580_000, 0, 11_104_000),
            Movement(date(2026, 11, 18), "cancellation", "A-1050", "CFDI cancelado ante el SAT (motivo 02)", 0, 580_000, 10_524_000),
            Movement(date(2026, 11, 20), "sales_note", "NV-0233", "Venta de mostrador", 232_000, 0, 10_756_000),
            Movement(date(2026, 11, 25), "payment", "P-0330", "Depósito en efectivo", 0, 1_500_000, 9_256_000),
        ),
        closing_cents=9_256_000,
        open_documents=(
            doc("A-0950", date(2026, 6, 10), date(2026, 7, 10), 4_000_000, 3_000_000),
            doc("A-0987", date(2026, 8, 20), date(2026, 9, 19), 4_500_000, 2_000_000),
            doc("A-1043", date(2026, 11, 8), date(2026, 11, 23), 1_160_000, 1_044_000),
            doc("NV-0233", date(2026, 11, 20), date(2026, 11, 20), 232_000, 232_000),
            doc("A-1042", date(2026, 11, 5), date(2026, 12, 5), 3_480_000, 3_480_000),
        ),
        aging=(
            AgingBucket("current", 3_480_000),
            AgingBucket("1-30", 1_276_000),
            AgingBucket("31-60", 0),
            AgingBucket("61-90", 2_000_000),
            AgingBucket("91-120", 0),
            AgingBucket("120+", 3_000_000),
        ),
        credit_cents=500_000,
    )
    usd = CurrencySection(
        currency="USD",
        opening_cents=370_000,
        movements=(
            Movement(date(2026, 11, 10), "invoice", "B-0215", "Licencia anual de software de diagnóstico", 174_000, 0, 544_000),
            Movement(date(2026, 11, 20), "payment", "P-0325", "Transferencia internacional", 0, 100_000, 444_000),
            Movement(date(2026, 11, 28), "credit_note", "NC-0112", "Bonificación por pronto pago (B-0215)", 0, 24_050, 419_950),
        ),
        closing_cents=419_950,
        open_documents=(
            doc("B-0188", date(2026, 7, 20), date(2026, 8, 19), 120_000, 120_000),
            doc("B-0201", date(2026, 9, 15), date(2026, 10, 15), 250_000, 150_000),
            doc("B-0215", date(2026, 11, 10), date(2026, 12, 10), 174_000, 149_950),
        ),
        aging=(
            AgingBucket("current", 149_950),
            AgingBucket("1-30", 0),
            AgingBucket("31-60", 150_000),
            AgingBucket("61-90", 0),
            AgingBucket("91-120", 120_000),
            AgingBucket("120+", 0),
        ),
        credit_cents=0,
    )
    return Statement(
        company=StatementCompany(
            name="Refacciones del Bajío SA de CV",
            rfc="EKU9003173C9",
            address="Av. Juárez 1234, Col. Centro\nLeón, Gto., C.P. 37000",
            payment_instructions=(
                "Transferencia SPEI a BBVA México\n"
                "Cuenta 0123456789 · CLABE 012225001234567897\n"
                "Beneficiario: Refacciones del Bajío SA de CV"
            ),
            phone="+52 477 123 4567",
            email="cobranza@refaccionesbajio.mx",
        ),
        customer=StatementCustomer(
            identifier="C-0042",
            name="Constructora Ñandú SA de CV",
            rfc="KIJ0906199R1",
            address_lines=("Blvd. Campestre 2502, Piso 3", "Col. Jardines del Moral", "León, Gto., C.P. 37160"),
            emails=("pagos@nandu.example", "tesoreria@nandu.example"),
            language=language,
        ),
        operator=StatementOperator("mgarcia", "María García López", "maria.garcia@refaccionesbajio.mx"),
        period_from=date(2026, 11, 1),
        period_to=as_of,
        generated_on=as_of,
        sections=(mxn, usd),
    )
