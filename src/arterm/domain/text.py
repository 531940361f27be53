"""Text rules: search normalization, email lists, plain-text sanitizing."""

from __future__ import annotations

import re
import unicodedata

from .errors import DomainError

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional formatting characters: the embeddings and overrides U+202A-U+202E (RLO U+202E
# makes a terminal, a spreadsheet or a PDF show what follows reversed), the isolates
# U+2066-U+2069, and the invisible marks U+200E LRM, U+200F RLM, U+061C ALM. None belongs in the
# names, references and notes of a Mexican ledger: all are dropped at input (``clean_line``,
# ``clean_text``, ``strip_bidi`` for CFDI text) and on output (``printable``).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional formatting characters (see ``BIDI_CONTROLS``)."""
    return _BIDI.sub("", text) if _BIDI.search(text) else text


def fold(text: str) -> str:
    """Casefold and strip accents: ``"Ñandú Peña"`` → ``"nandu pena"``."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def search_key(*parts: str) -> str:
    """The stored, indexed search text of a customer (fields joined by `` | ``)."""
    return " | ".join(fold(p).strip() for p in parts if p)


def clean_line(text: str, *, field: str = "text", max_len: int = 300, required: bool = False) -> str:
    """One line of operator-typed text: control characters removed, trimmed, length-checked."""
    value = _CONTROL.sub("", (text or "").replace("\t", " "))
    value = strip_bidi(_LINE_SEPARATORS.sub(" ", value)).strip()
    value = value.replace("\n", " ").replace("\r", " ")
    if required and not value:
        raise DomainError(f"{field}: required", field=field)
    if len(value) > max_len:
        raise DomainError(f"{field}: at most {max_len} characters", field=field)
    return value


def clean_text(text: str, *, field: str = "text", max_len: int = 5000, required: bool = False) -> str:
    """Multi-line text (notes): control characters other than newlines removed."""
    value = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\t", "    "))
    value = strip_bidi(_LINE_SEPARATORS.sub("\n", value)).strip()
    if required and not value:
        raise DomainError(f"{field}: required", field=field)
    if len(value) > max_len:
        raise DomainError(f"{field}: at most {max_len} characters", field=field)
    return value


def validate_email(address: str) -> str:
    value = (address or "").strip()
    if not _EMAIL.match(value) or len(value) > 254:
        raise DomainError(f"email {address!r} is not a valid address", field="emails")
    return value


def parse_emails(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"a@x.mx; b@x.mx"`` or a list → validated, de-duplicated tuple (order kept)."""
    items = re.split(r"[,;\s]+", value) if isinstance(value, str) else list(value)
    seen: dict[str, str] = {}
    for item in items:
        if not item or not item.strip():
            continue
        email = validate_email(item)
        seen.setdefault(email.lower(), email)
    return tuple(seen.values())


# Untrusted text on a terminal (the TUI's tables, the command line's reports)
_UNSAFE = re.compile(
    r"""
    (?P<escape>
        \x1b\[[0-?]*[\x20-/]*[@-~]?              # CSI: ESC [ params intermediates final
      | \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC (titles, hyperlinks, clipboard)
      | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?    # DCS / SOS / PM / APC
      | \x1b[\x20-/]*[0-~]                       # other escapes: ESC c, ESC ( B, ESC 7 ...
      | \x9b[0-?]*[\x20-/]*[@-~]?                # 8-bit CSI
      | [\x90\x98\x9d\x9e\x9f][^\x1b\x07\x9c]*(?:\x9c|\x07|\x1b\\)?   # 8-bit string controls
    )
  | (?P<space>[\t\n\v\f\r\u2028\u2029]+)          # line breaks and tabs become one space
  | (?P<invisible>[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069])   # bidi overrides: dropped
  | (?P<control>[\x00-\x1f\x7f-\x9f])             # anything else: a visible replacement mark
    """,
    re.VERBOSE,
)
_NEEDS_CLEANING = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]"
)


def _replacement(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "space":
        return " "
    if kind == "control":
        return "\ufffd"
    return ""


def printable(text: str) -> str:
    """Untrusted one-line text made safe to write to a terminal: escape sequences and bidi overrides
    removed, tabs and line breaks turned into a space, other control characters into U+FFFD."""
    return _UNSAFE.sub(_replacement, text) if _NEEDS_CLEANING.search(text) else text


def printable_lines(text: str) -> str:
    """Untrusted multi-line text (an address) made safe: ``printable`` line by line, line breaks kept."""
    if not _NEEDS_CLEANING.search(text):
        return text
    return "\n".join(printable(line) for line in text.replace("\r\n", "\n").split("\n"))


# JSON output (``--json``): ``json.dumps(ensure_ascii=False)`` escapes C0 controls (ESC is
# ``\u001b``) but writes DEL, the C1 controls (8-bit CSI U+009B...), bidi overrides and the line
# separators as they are, and a terminal acts on them. They are written as ``\uXXXX`` escapes
# instead: harmless on a terminal, and the JSON still decodes to exactly what is stored, so a
# script sees (and can fix) the real value rather than a silently cleaned one. Outside strings
# json.dumps writes only ASCII, so the escapes always land inside a string.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]")


def json_text(dumped: str) -> str:
    """The output of ``json.dumps(..., ensure_ascii=False)`` with terminal-active characters escaped."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped) if _JSON_UNSAFE.search(dumped) else dumped


# A spreadsheet opening a CSV runs a cell that starts like a formula (=HYPERLINK(...), =cmd|...)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell of a CSV report: ``printable`` (one line, no escapes or bidi overrides), and a
    leading ``'`` when it would start a formula (OWASP "CSV injection"). Never for amounts."""
    value = text or ""
    first = value[:1]
    if first and first not in _FORMULA_START and not first.isspace() and not _NEEDS_CLEANING.search(value):
        return value  # nearly every cell: nothing to clean, nothing that starts a formula
    clean = printable(value)
    if value.startswith(_FORMULA_START) or clean.lstrip().startswith(_FORMULA_START):
        return "'" + clean
    return clean
