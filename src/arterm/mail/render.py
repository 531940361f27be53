"""Render a :class:`~arterm.mail.model.Statement` as plain text and HTML, and build the email.

Templates are Jinja2 files in ``arterm/mail/templates``; a user folder (``[statements]
templates_dir``) is searched first, so a company can override ``statement.html.j2`` or
``statement.txt.j2`` without touching the package. HTML templates (``*.html.j2``) are
autoescaped; text templates are not. Undefined names raise (``StrictUndefined``).

The language follows ``statement.customer.language``. The texts live in :data:`LABELS` (one dict
per language) and reach the templates as ``t``; templates never hard-code words.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Sequence
from datetime import date, datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal

import jinja2

from .model import Language, Statement

Format = Literal["text", "html"]

TEMPLATE_NAMES: dict[str, str] = {"text": "statement.txt.j2", "html": "statement.html.j2"}

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "html_lang": "es-MX",
        "statement": "Estado de cuenta",
        "subject": "Estado de cuenta al {date} — {name} ({identifier})",
        "preheader": "Saldo al {date}:",
        "rfc": "RFC",
        "phone": "Tel.",
        "email": "Correo",
        "customer": "Cliente",
        "customer_number": "No. de cliente",
        "address": "Domicilio",
        "period": "Periodo",
        "period_range": "{start} al {end}",
        "generated_on": "Emitido el",
        "summary": "Resumen al {date}",
        "balance": "Saldo",
        "overdue": "Vencido",
        "opening": "Saldo inicial",
        "closing": "Saldo final",
        "opening_balance": "Saldo inicial al {date}",
        "closing_balance": "Saldo final al {date}",
        "movements": "Movimientos",
        "no_movements": "Sin movimientos en el periodo.",
        "date": "Fecha",
        "concept": "Concepto",
        "charge": "Cargo",
        "credit": "Abono",
        "open_documents": "Documentos pendientes",
        "no_open_documents": "No hay documentos pendientes de pago.",
        "document": "Documento",
        "issued": "Emisión",
        "due": "Vencimiento",
        "days_overdue": "Días venc.",
        "not_due": "vigente",
        "total": "Total",
        "aging": "Antigüedad de saldos",
        "unapplied_credit": "Saldo a favor",
        "unapplied_credit_note": "Pagos recibidos aún no aplicados a un documento; ya están descontados del saldo final.",
        "how_to_pay": "Cómo pagar",
        "contact": "Contacto",
        "contact_operator": "Su ejecutivo de cobranza es {name}.",
        "contact_company": "Para cualquier aclaración comuníquese con nosotros.",
        "footer": (
            "Si ya realizó su pago, le agradeceremos enviarnos el comprobante para aplicarlo. "
            "Este estado de cuenta refleja los movimientos registrados hasta la fecha de emisión."
        ),
        "amounts_in": "importes en {currency}",
        # movement kinds
        "kind_invoice": "Factura",
        "kind_sales_note": "Nota de venta",
        "kind_credit_note": "Nota de crédito",
        "kind_payment": "Pago",
        "kind_cancellation": "Cancelación",
        "kind_credit_applied": "Aplicación de saldo a favor",
        # aging buckets
        "bucket_current": "Vigente",
        "bucket_range": "{low}-{high} días",
        "bucket_over": "Más de {days} días",
        # currencies
        "currency_MXN": "Pesos mexicanos",
        "currency_USD": "Dólares estadounidenses",
        "currency_EUR": "Euros",
        "currency_other": "Moneda {currency}",
    },
    "en": {
        "html_lang": "en",
        "statement": "Account statement",
        "subject": "Account statement as of {date} — {name} ({identifier})",
        "preheader": "Balance as of {date}:",
        "rfc": "RFC (tax ID)",
        "phone": "Phone",
        "email": "Email",
        "customer": "Customer",
        "customer_number": "Customer no.",
        "address": "Address",
        "period": "Period",
        "period_range": "{start} to {end}",
        "generated_on": "Issued on",
        "summary": "Summary as of {date}",
        "balance": "Balance",
        "overdue": "Overdue",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "opening_balance": "Opening balance on {date}",
        "closing_balance": "Closing balance on {date}",
        "movements": "Activity",
        "no_movements": "No activity in this period.",
        "date": "Date",
        "concept": "Description",
        "charge": "Charges",
        "credit": "Credits",
        "open_documents": "Open documents",
        "no_open_documents": "No documents pending payment.",
        "document": "Document",
        "issued": "Issued",
        "due": "Due",
        "days_overdue": "Days late",
        "not_due": "current",
        "total": "Total",
        "aging": "Aging summary",
        "unapplied_credit": "Unapplied credit",
        "unapplied_credit_note": "Payments received but not yet applied to a document; already deducted from the closing balance.",
        "how_to_pay": "How to pay",
        "contact": "Contact",
        "contact_operator": "Your collections contact is {name}.",
        "contact_company": "For any questions, please contact us.",
        "footer": (
            "If you have already paid, please send us the receipt so we can apply it. "
            "This statement shows the activity recorded up to its issue date."
        ),
        "amounts_in": "amounts in {currency}",
        "kind_invoice": "Invoice",
        "kind_sales_note": "Sales note",
        "kind_credit_note": "Credit note",
        "kind_payment": "Payment",
        "kind_cancellation": "Cancellation",
        "kind_credit_applied": "Credit applied",
        "bucket_current": "Current",
        "bucket_range": "{low}-{high} days",
        "bucket_over": "Over {days} days",
        "currency_MXN": "Mexican pesos",
        "currency_USD": "US dollars",
        "currency_EUR": "Euros",
        "currency_other": "Currency {currency}",
    },
}

_CURRENCY_SYMBOLS = {"EUR": "€"}  # everything else (MXN, USD) uses "$"


# --------------------------------------------------------------------------- formatting helpers


def format_amount(cents: int, currency: str | None = None) -> str:
    """``1234567`` → ``"12,345.67"``; with a currency, ``"$12,345.67 MXN"``. Exact (integer maths)."""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    pesos, centavos = divmod(abs(cents), 100)
    number = f"{pesos:,}.{centavos:02d}"
    if currency is None:
        return f"{sign}{number}"
    symbol = _CURRENCY_SYMBOLS.get(currency, "$")
    return f"{sign}{symbol}{number} {currency}"


def format_date(value: date, language: Language) -> str:
    """``28/11/2026`` in Spanish, ``2026-11-28`` (ISO) in English."""
    if language == "es":
        return value.strftime("%d/%m/%Y")
    return value.isoformat()


def labels_for(language: str) -> dict[str, str]:
    return LABELS["en" if language == "en" else "es"]


def bucket_label(label_key: str, language: str) -> str:
    """``"current"`` → Vigente; ``"31-60"`` → 31-60 días; ``"120+"`` → Más de 120 días."""
    t = labels_for(language)
    if label_key == "current":
        return t["bucket_current"]
    if m := re.fullmatch(r"(\d+)-(\d+)", label_key):
        return t["bucket_range"].format(low=m[1], high=m[2])
    if m := re.fullmatch(r"(\d+)\+", label_key):
        return t["bucket_over"].format(days=m[1])
    return label_key


def currency_name(code: str, language: str) -> str:
    t = labels_for(language)
    return t.get(f"currency_{code}") or t["currency_other"].format(currency=code)


def _single_line(text: str) -> str:
    """Collapse every run of whitespace (including CR/LF) to one space: safe for a header."""
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- Jinja environment


@jinja2.pass_context
def _date_filter(ctx: jinja2.runtime.Context, value: date) -> str:
    return format_date(value, ctx["lang"])


@jinja2.pass_context
def _bucket_filter(ctx: jinja2.runtime.Context, label_key: str) -> str:
    return bucket_label(label_key, ctx["lang"])


@jinja2.pass_context
def _kind_filter(ctx: jinja2.runtime.Context, kind: str) -> str:
    return labels_for(ctx["lang"]).get(f"kind_{kind}", kind)


@jinja2.pass_context
def _currency_name_filter(ctx: jinja2.runtime.Context, code: str) -> str:
    return currency_name(code, ctx["lang"])


def _money_filter(cents: int, currency: str) -> str:
    return format_amount(cents, currency)


def _amount_filter(cents: int, blank_zero: bool = False) -> str:
    if blank_zero and not cents:
        return ""
    return format_amount(cents)


def _wrap_filter(text: str, width: int) -> list[str]:
    """Word-wrap into a list of lines (never empty: ``[""]`` for empty text)."""
    return textwrap.wrap(str(text), width, break_on_hyphens=False) or [""]


def _lines_filter(text: str) -> list[str]:
    """Split a multi-line setting (address, payment instructions) into non-empty lines."""
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _ljust(value: Any, width: int) -> str:
    return str(value).ljust(width)


def _rjust(value: Any, width: int) -> str:
    return str(value).rjust(width)


@functools.lru_cache(maxsize=8)
def _environment(templates_dir: str | None) -> jinja2.Environment:
    package_loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(Path(__file__).with_name("templates")))
    loader: jinja2.BaseLoader = package_loader
    if templates_dir:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates_dir), package_loader])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "html", "htm", "xml"), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        date=_date_filter,
        money=_money_filter,
        amount=_amount_filter,
        bucket=_bucket_filter,
        kind=_kind_filter,
        currency_name=_currency_name_filter,
        wrap=_wrap_filter,
        lines=_lines_filter,
        ljust=_ljust,
        rjust=_rjust,
    )
    return env


def _context(statement: Statement) -> dict[str, Any]:
    lang = statement.language
    t = labels_for(lang)
    return {
        "statement": statement,
        "company": statement.company,
        "customer": statement.customer,
        "operator": statement.operator,
        "sections": statement.sections,
        "lang": lang,
        "t": t,
        "subject": build_subject(statement),
    }


# --------------------------------------------------------------------------- public API


def render_statement(
    statement: Statement, *, fmt: Format, templates_dir: str | Path | None = None
) -> str:
    """Render the statement as ``"text"`` or ``"html"`` in the customer's language.

    ``templates_dir``: a folder searched before the package templates (a file named
    ``statement.txt.j2`` / ``statement.html.j2`` there wins).
    """
    if fmt not in TEMPLATE_NAMES:
        raise ValueError(f"fmt must be 'text' or 'html', not {fmt!r}")
    env = _environment(str(templates_dir) if templates_dir else None)
    return env.get_template(TEMPLATE_NAMES[fmt]).render(_context(statement))


def build_subject(statement: Statement) -> str:
    """``Estado de cuenta al 30/11/2026 — Cliente SA de CV (C-0042)``, on one line."""
    t = labels_for(statement.language)
    return _single_line(
        t["subject"].format(
            date=format_date(statement.period_to, statement.language),
            name=statement.customer.name,
            identifier=statement.customer.identifier,
        )
    )


def build_message(
    statement: Statement,
    *,
    sender: str,
    to: list[str],
    cc: list[str],
    bcc: list[str],
    templates_dir: str | Path | None = None,
) -> EmailMessage:
    """A multipart/alternative (text + HTML, UTF-8) message ready for :func:`arterm.mail.smtp.send_message`.

    ``sender`` is an address (``cobranza@empresa.mx``) or ``Name <address>``; a bare address gets
    the company name as display name. ``bcc`` never appears in the headers: pass it to the SMTP
    envelope, e.g. ``envelope_to=envelope_recipients(msg, bcc)``.
    """
    to, cc, bcc = ([a.strip() for a in group if a and a.strip()] for group in (to, cc, bcc))
    if not to:
        raise ValueError("a statement needs at least one To address")
    for address in [sender, *to, *cc, *bcc]:
        if "\r" in address or "\n" in address:
            raise ValueError("email addresses may not contain line breaks")

    display, address = parseaddr(sender)
    if not address or "@" not in address:
        raise ValueError(f"sender {sender!r} is not an email address")
    domain = address.rpartition("@")[2]

    msg = EmailMessage()
    msg["Subject"] = build_subject(statement)
    if display:
        msg["From"] = sender
    else:
        msg["From"] = Address(display_name=_single_line(statement.company.name), addr_spec=address)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(domain=domain)

    text = render_statement(statement, fmt="text", templates_dir=templates_dir)
    html = render_statement(statement, fmt="html", templates_dir=templates_dir)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg["Content-Language"] = labels_for(statement.language)["html_lang"]  # after set_content, which drops Content-*
    return msg


def envelope_recipients(msg: EmailMessage, bcc: Sequence[str] = ()) -> list[str]:
    """Every envelope recipient: the To and Cc addresses of ``msg`` plus ``bcc``, without duplicates."""
    seen: set[str] = set()
    result: list[str] = []
    headers = [str(v) for v in (msg.get_all("To") or []) + (msg.get_all("Cc") or [])]
    for _, addr in getaddresses([*headers, *bcc]):
        if addr and addr.lower() not in seen:
            seen.add(addr.lower())
            result.append(addr)
    return result
