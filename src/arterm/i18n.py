"""User-facing text: one translation function and the number/date formats of the app.

``t(key, lang, **kwargs)`` looks a key up in the catalogs of ``arterm.locale`` (Spanish ``es``,
the default, and English ``en``). A key missing in the requested language falls back to English,
then to the key itself, so a forgotten translation shows up as ``ui.something`` instead of crashing.

Everything here returns *plain text*: catalog entries carry no markup and values passed in
``kwargs`` are inserted verbatim. A caller drawing into Rich/Textual markup must escape (or use
``rich.text.Text``), exactly as for any other untrusted string.

Numbers and dates follow Mexican usage in both languages for money (``$12,345.67 MXN``: comma
thousands, dot decimals). Dates are ``DD/MM/YYYY`` in Spanish and ISO ``YYYY-MM-DD`` in English;
``parse_date`` reads both forms whatever the language (never US ``MM/DD``).
"""

from __future__ import annotations

import operator
import re
from datetime import date, datetime, timedelta

from arterm.domain.errors import DomainError
from arterm.locale import CATALOGS, DEFAULT_LANGUAGE, FALLBACK_LANGUAGE, LANGUAGES

__all__ = [
    "LANGUAGES",
    "normalize_lang",
    "t",
    "tn",
    "fmt_money",
    "fmt_amount",
    "fmt_date",
    "fmt_datetime",
    "parse_date",
]

CURRENCY_SYMBOLS = {"MXN": "$", "USD": "$", "EUR": "€"}


def normalize_lang(lang: str | None) -> str:
    """``"es_MX"``, ``"es-mx"``, ``"ES"`` → ``"es"``; ``None``/empty → the default (``"es"``).

    An unsupported language is returned as its base code; ``t`` then falls back to English.
    """
    if not lang:
        return DEFAULT_LANGUAGE
    return re.split(r"[-_.@]", lang.strip(), maxsplit=1)[0].lower() or DEFAULT_LANGUAGE


class _KeepMissing(dict):
    """format_map mapping that leaves an unknown ``{placeholder}`` visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _template(key: str, lang: str) -> str | None:
    code = normalize_lang(lang)
    for candidate in (code, FALLBACK_LANGUAGE):
        catalog = CATALOGS.get(candidate)
        if catalog is not None and key in catalog:
            return catalog[key]
    return None


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **kwargs: object) -> str:
    """Translate ``key`` into ``lang`` and fill ``{named}`` placeholders from ``kwargs``.

    Missing key → English → the key itself. A placeholder without a value stays as ``{name}``.
    """
    template = _template(key, lang)
    if template is None:
        return key
    return template.format_map(_KeepMissing(kwargs))


def tn(key: str, n: int, lang: str = DEFAULT_LANGUAGE, /, **kwargs: object) -> str:
    """Plural-aware ``t``: uses ``<key>.one`` when ``n == 1`` else ``<key>.other``; passes ``n``.

    Spanish and English share the rule (``1 día``, ``0 días``, ``2 días``).
    """
    form = "one" if n == 1 else "other"
    return t(f"{key}.{form}", lang, n=n, **kwargs)


# -- numbers -------------------------------------------------------------------------------------
def _as_cents(cents: object) -> int:
    if isinstance(cents, bool):
        raise TypeError("cents must be an integer, not bool")
    try:
        return operator.index(cents)  # int and int-likes; refuses float and Decimal
    except TypeError:
        raise TypeError(f"cents must be an integer number of centavos, not {type(cents).__name__}") from None


def _split(cents: int) -> tuple[str, str]:
    sign = "-" if cents < 0 else ""
    units, frac = divmod(abs(cents), 100)
    return sign, f"{units:,}.{frac:02d}"


def fmt_amount(cents: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """Centavos → ``12,345.67`` / ``-1,234.00`` (same in every language)."""
    if cents == 0 and type(cents) is int:
        return "0.00"  # most cells of an aging report
    sign, body = _split(_as_cents(cents))
    return f"{sign}{body}"


def fmt_money(cents: int, currency: str = "MXN", lang: str = DEFAULT_LANGUAGE) -> str:
    """Centavos → ``$12,345.67 MXN`` / ``-$1,234.00 MXN`` (same in every language).

    ``$`` for MXN and USD (the code tells them apart, as Mexican invoices do), ``€`` for EUR, no
    symbol for other currencies (``1,000.00 GBP``).
    """
    sign, body = _split(_as_cents(cents))
    code = (currency or "").strip().upper()
    symbol = CURRENCY_SYMBOLS.get(code, "")
    return f"{sign}{symbol}{body} {code}" if code else f"{sign}{symbol}{body}"


# -- dates ---------------------------------------------------------------------------------------
def fmt_date(d: date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``28/11/2026`` (es) or ``2026-11-28`` (en); ``None`` → ``""``. A datetime shows its date."""
    if d is None:
        return ""
    if normalize_lang(lang) == "es":
        return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def fmt_datetime(dt: datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``28/11/2026 14:05`` (es) or ``2026-11-28 14:05`` (en), wall-clock time as stored (no
    time-zone conversion); a plain ``date`` is shown without a time; ``None`` → ``""``."""
    if dt is None:
        return ""
    if not isinstance(dt, datetime):
        return fmt_date(dt, lang)
    return f"{fmt_date(dt, lang)} {dt.hour:02d}:{dt.minute:02d}"


_DMY = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})", re.ASCII)
_YMD = re.compile(r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})", re.ASCII)
_RELATIVE = {"hoy": 0, "today": 0, "ayer": -1, "yesterday": -1, "mañana": 1, "tomorrow": 1}


def parse_date(text: str, lang: str = DEFAULT_LANGUAGE, *, today: date | None = None) -> date:
    """Read a date typed by an operator.

    Accepts ``28/11/2026``, ``28-11-2026`` (day first), ``2026-11-28``, ``2026/11/28`` and the
    words ``hoy``/``today``, ``ayer``/``yesterday``, ``mañana``/``tomorrow`` in any language.
    ``today`` overrides the current date (for tests and reproducible reports).
    Raises ``DomainError`` (field ``"date"``) for anything else, including impossible dates.
    """
    if not isinstance(text, str):
        raise DomainError(f"{text!r} is not a valid date", field="date")
    value = text.strip()
    word = value.lower()
    if word in _RELATIVE:
        return (today or date.today()) + timedelta(days=_RELATIVE[word])
    try:
        if m := _DMY.fullmatch(value):
            return date(int(m.group(4)), int(m.group(3)), int(m.group(1)))
        if m := _YMD.fullmatch(value):
            return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    except ValueError:
        pass
    raise DomainError(
        f"{text!r} is not a valid date (use DD/MM/YYYY or YYYY-MM-DD)", field="date"
    )
