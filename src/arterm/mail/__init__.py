"""Account statements by email: data model, Jinja2 rendering (text + HTML), SMTP delivery.

No database and no UI here: ``queries`` builds a :class:`Statement`, this package turns it into an
``EmailMessage`` and sends it. Typical use::

    msg = build_message(statement, sender=settings.smtp.sender, to=list(customer.emails),
                        cc=[operator.email], bcc=[settings.smtp.archive_bcc])
    message_id = send_message(msg, settings=settings.smtp,
                              envelope_to=envelope_recipients(msg, [settings.smtp.archive_bcc]))
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
from .render import build_message, build_subject, envelope_recipients, render_statement
from .smtp import MailDeliveryError, send_message

__all__ = [
    "AgingBucket",
    "CurrencySection",
    "MailDeliveryError",
    "Movement",
    "OpenDocument",
    "Statement",
    "StatementCompany",
    "StatementCustomer",
    "StatementOperator",
    "build_message",
    "build_subject",
    "envelope_recipients",
    "render_statement",
    "sample_statement",
    "send_message",
]
