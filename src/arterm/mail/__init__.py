"""Account statements by email: data model, Jinja2 rendering (text + HTML), recipients, SMTP.

This package (what ``import arterm.mail`` loads) needs no database and no UI: ``queries.statement``
builds a :class:`Statement`, :func:`recipients_for` says who gets it (To: billing emails, CC: the
assigned operator, BCC: the archive), ``render`` turns it into an ``EmailMessage`` and ``smtp`` sends
it. The database-backed parts are imported explicitly:

- ``arterm.mail.outbox``: the ``mail_outbox`` table's rules (queue, claim, deliver, retry, the
  ``uncertain`` state), and the Activity row of each delivery;
- ``arterm.mail.statements``: statements end to end (prepare → queue → deliver), single or batch.

Typical use::

    prepared, result = send_statement(db, settings=settings, actor="mgarcia", customer_id=42)
"""

from .model import (
    AgingBucket,
    CurrencySection,
    Movement,
    OpenDocument,
    Statement,
    StatementCompany,
    StatementCustomer,
    StatementOperator,
    sample_statement,
)
from .recipients import NoRecipientError, RecipientError, Recipients, recipients_for
from .render import build_message, build_subject, envelope_recipients, render_statement
from .smtp import MailDeliveryError, send_message

__all__ = [
    "AgingBucket",
    "CurrencySection",
    "MailDeliveryError",
    "Movement",
    "NoRecipientError",
    "RecipientError",
    "Recipients",
    "OpenDocument",
    "Statement",
    "StatementCompany",
    "StatementCustomer",
    "StatementOperator",
    "build_message",
    "build_subject",
    "envelope_recipients",
    "recipients_for",
    "render_statement",
    "sample_statement",
    "send_message",
]
