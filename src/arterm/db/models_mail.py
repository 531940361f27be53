"""Tables of the mail feature (imported by models.py so Alembic and gen_tables see them).

``mail_outbox``: every email arterm sends to a customer, as the exact bytes that go over SMTP.
Life of a row (see ``arterm/mail/outbox.py`` for the rules)::

    queued ──claim──▶ sending ──accepted──▶ sent
      ▲                  │  └──transient error──▶ queued   (retry later)
      │                  │  └──permanent error──▶ failed   (retry on request)
      │                  └──no outcome after STALE_AFTER──▶ uncertain   (resend only with --force)

A claim is a conditional UPDATE (``WHERE status IN (...)``) that also stamps ``claim_token`` and
``claimed_at``: of two senders racing for one row exactly one wins, and only the winner may record
the outcome (``WHERE claim_token = :mine``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .models import utcnow


class MailOutbox(SQLModel, table=True):
    __tablename__ = "mail_outbox"
    __table_args__ = (sa.Index("ix_mail_outbox_status_id", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(default="statement", max_length=20)
    # queued | sending | sent | failed | uncertain
    status: str = Field(default="queued", max_length=10)
    sender: str = Field(max_length=254)
    to_addrs: str = Field(max_length=2000)  # comma-separated, as in the To header
    cc_addrs: str = Field(default="", max_length=2000)
    bcc_addrs: str = Field(default="", max_length=2000)  # envelope only, never in the message
    subject: str = Field(default="", max_length=500)
    message_id: str = Field(max_length=250, sa_column_kwargs={"unique": True})  # the Message-ID header
    message: str = Field(default="")  # the whole RFC 5322 message (ASCII: quoted-printable bodies)
    period_from: date | None = None
    period_to: date | None = None
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=2000)
    claim_token: str | None = Field(default=None, max_length=36)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="operator.id")
    updated_at: datetime = Field(default_factory=utcnow)
