"""Render a :class:`~arterm.mail.model.Statement` as plain text and HTML, and build the email.

Templates are Jinja2 files in ``arterm/mail/templates``; a user folder (``[statements]
templates_dir``) is searched first, so a company can override ``statement.html.j2`` or
``statement.txt.j2`` without touching the package. HTML templates (``*.html.j2``) are
autoescaped; text templates are not. Undefined names raise (``StrictUndefined``).

The language follows ``statement.customer.language``. The texts are the ``stmt.*`` keys of
``arterm/locale/mail.py``; :data:`LABELS` holds them per language without the prefix and they reach
the templates as ``t``; templates never hard-code words.
"""

from __future__ import annotations

import dataclasses
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

from arterm.locale.mail import EN as _MAIL_EN
from arterm.locale.mail import ES as _MAIL_ES

from arterm.domain.text import printable, printable_lines

from .model import Language, Statement

Format = Literal["text", "html"]

TEMPLATE_NAMES: dict[str, str] = {"text": "statement.txt.j2", "html": "statement.html.j2"}


def _labels(catalog: dict[str, str]) -> dict[str, str]:
    """The ``stmt.*`` keys of a locale catalog without their prefix (``stmt.closing`` → ``closing``).

    The movement descriptions (``stmt.desc.*``) are written by ``queries.statement``, not by the
    templates, and are left out.
    """
    return {
        key[len("stmt."):]: value
        for key, value in catalog.items()
        if key.startswith("stmt.") and not key.startswith("stmt.desc.")
    }


LABELS: dict[str, dict[str, str]] = {"es": _labels(_MAIL_ES), "en": _labels(_MAIL_EN)}


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


# --------------------------------------------------------------------------- untrusted text

# Fields that may hold several lines (the company's address and payment instructions).
_MULTILINE_FIELDS = frozenset({"address", "payment_instructions"})


def _clean(value: Any, multiline: bool = False) -> Any:
    if isinstance(value, str):
        return printable_lines(value) if multiline else printable(value)
    if isinstance(value, tuple):
        cleaned = tuple(_clean(item) for item in value)
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            old = getattr(value, f.name)
            new = _clean(old, f.name in _MULTILINE_FIELDS)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def clean_statement(statement: Statement) -> Statement:
    """The statement with its text made safe to mail, as ``domain.text.printable`` does for a
    terminal: escape sequences (``ESC [31m``) and bidi overrides (U+202E) dropped, tabs and line
    breaks in one-line fields turned into spaces, other control characters into U+FFFD. Names and
    references stored before input was cleaned (or imported from elsewhere) reached the Subject and
    the text part as they were. The HTML part is also escaped by the template, as before."""
    return _clean(statement)


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
    return env.get_template(TEMPLATE_NAMES[fmt]).render(_context(clean_statement(statement)))


def build_subject(statement: Statement) -> str:
    """``Estado de cuenta al 30/11/2026 — Cliente SA de CV (C-0042)``, on one line."""
    t = labels_for(statement.language)
    statement = clean_statement(statement)
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
        msg["From"] = Address(display_name=_single_line(printable(statement.company.name)), addr_spec=address)
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
