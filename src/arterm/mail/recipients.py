"""Who receives an email arterm sends to a customer. Every sender uses :func:`recipients_for`.

- **To**: all the customer's billing emails. None → :class:`NoRecipientError` (nothing is sent).
- **CC**: the customer's assigned operator, so the collector sees what the customer got. An
  assigned operator without a (valid) email, or no operator at all, is a *warning*: the message is
  still sent, and the warning is shown in the command's report / the dialog.
- **BCC**: ``[smtp] archive_bcc`` (one address or several, comma-separated), for the company's
  archive mailbox; it travels in the SMTP envelope only, never in a header.

An address never appears twice (a CC equal to a To is dropped, case-insensitively). No database
here: ``customer`` is any object shaped like :class:`arterm.queries.customers.CustomerDetail`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from arterm.domain.errors import DomainError
from arterm.domain.text import validate_email
from arterm.i18n import t

if TYPE_CHECKING:  # pragma: no cover
    from arterm.config import Settings

__all__ = ["NoRecipientError", "RecipientError", "RecipientWarning", "Recipients", "recipients_for"]


class CustomerLike(Protocol):
    identifier: str
    name: str
    emails: tuple[str, ...]
    assigned: str
    assigned_email: str


class RecipientError(DomainError):
    """The email cannot be addressed. ``key``/``params`` let a UI translate it again."""

    def __init__(self, key: str, lang: str, **params: str) -> None:
        super().__init__(t(key, lang, **params), field="emails")
        self.key = key
        self.params = params


class NoRecipientError(RecipientError):
    """The customer has no billing email."""


@dataclass(frozen=True)
class RecipientWarning:
    key: str
    params: tuple[tuple[str, str], ...] = ()

    def text(self, lang: str) -> str:
        return t(self.key, lang, **dict(self.params))


@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    warnings: tuple[RecipientWarning, ...] = ()

    @property
    def envelope(self) -> list[str]:
        """Every address the SMTP server must deliver to (To, then CC, then BCC)."""
        return [*self.to, *self.cc, *self.bcc]

    def warning_texts(self, lang: str) -> list[str]:
        return [w.text(lang) for w in self.warnings]


def _valid(address: str) -> str | None:
    try:
        return validate_email(address)
    except DomainError:
        return None


def recipients_for(customer: CustomerLike, settings: Settings, *, lang: str | None = None) -> Recipients:
    """To = billing emails, CC = assigned operator, BCC = archive. ``lang``: language of messages."""
    lang = lang or settings.language
    who = f"{customer.identifier} {customer.name}".strip()
    to: list[str] = []
    for raw in customer.emails:
        if not raw or not raw.strip():
            continue
        address = _valid(raw)
        if address is None:
            raise RecipientError("mail.bad_address", lang, address=raw.strip())
        if address.lower() not in {a.lower() for a in to}:
            to.append(address)
    if not to:
        raise NoRecipientError("mail.no_email", lang, customer=who)
    seen = {a.lower() for a in to}

    warnings: list[RecipientWarning] = []
    cc: list[str] = []
    if not customer.assigned:
        warnings.append(RecipientWarning("mail.warn.no_operator"))
    else:
        operator_email = _valid(customer.assigned_email) if customer.assigned_email else None
        if operator_email is None:
            warnings.append(RecipientWarning("mail.warn.operator_no_email", (("operator", customer.assigned),)))
        elif operator_email.lower() not in seen:
            cc.append(operator_email)
            seen.add(operator_email.lower())

    bcc: list[str] = []
    for raw in (settings.smtp.archive_bcc or "").replace(";", ",").split(","):
        if not raw.strip():
            continue
        address = _valid(raw)
        if address is None:
            raise RecipientError("mail.bad_archive_bcc", lang, address=raw.strip())
        if address.lower() not in seen:
            bcc.append(address)
            seen.add(address.lower())
    return Recipients(tuple(to), tuple(cc), tuple(bcc), tuple(warnings))
