"""The outbox: every email to a customer is queued in ``mail_outbox`` first, then delivered.

A message is never lost (it is in the database before any SMTP traffic) and never sent twice
unless an operator explicitly forces it. The rules:

1. **Queue** (:func:`queue_message`): the complete message (headers, both MIME parts, its
   Message-ID) is stored as ``queued``. Retries resend these exact bytes, so a recipient's mail
   client sees the same Message-ID.
2. **Claim** (one short transaction): ``UPDATE ... SET status='sending', claim_token=:mine,
   claimed_at=:now, attempts=attempts+1 WHERE id=:id AND status IN ('queued','failed')``. The
   database re-checks the ``WHERE`` on the locked row (PostgreSQL) or serializes writers (SQLite,
   ``BEGIN IMMEDIATE``), so of two retries racing for a message exactly one gets ``rowcount == 1``;
   the other skips it. The claim is committed *before* talking to the SMTP server.
3. **Send**, then record the outcome, only if the claim is still ours (``WHERE claim_token=:mine``):
   - accepted → ``sent`` (``sent_at``), and in the *same transaction* the customer's Activity row
     (``statement_sent``: "to … · cc …");
   - temporary failure (connection refused, timeout, 4xx) → back to ``queued`` with ``last_error``;
   - permanent failure (5xx, login refused) → ``failed`` with ``last_error``. Neither was accepted,
     so ``--retry`` may send both again without risk of a duplicate.
4. **Stuck in** ``sending``: a process that dies between the server's "250 accepted" and its commit
   leaves the row in ``sending``. Nobody can tell whether the customer got it, so it is never
   resent blindly: once its claim is older than :data:`STALE_AFTER` (far longer than an SMTP
   attempt, which gives up after ``[smtp] timeout``) the next retry marks it ``uncertain`` with an
   explanation. An ``uncertain`` message is sent again only with ``force=True``
   (``arterm outbox --retry --force``: the operator accepts a possible duplicate) or is closed with
   :func:`mark_sent` (``arterm outbox --mark-sent ID``) after checking with the customer. An
   unexpected error while talking to the server (not a clean SMTP refusal) also ends ``uncertain``.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from arterm.config import SmtpSettings
from arterm.db import tables
from arterm.domain.errors import DomainError, NotFound
from arterm.i18n import t
from arterm.ledger._base import customer_row, start

from .recipients import Recipients
from .smtp import MailDeliveryError, send_message

__all__ = [
    "DEFAULT_ALLOWED",
    "STALE_AFTER",
    "DeliveryResult",
    "OutboxRow",
    "count_outbox",
    "deliver",
    "expire_stale",
    "list_outbox",
    "mark_sent",
    "queue_message",
    "send_pending",
]

T_OUT = tables.mail_outbox
T_CUSTOMER = tables.customer

STATUSES = ("queued", "sending", "sent", "failed", "uncertain", "replaced")
REPLACEABLE = ("queued", "failed")  # never accepted by a server: a newer message of the same kind replaces it
PENDING = ("queued", "failed", "uncertain", "sending")  # not (known to be) delivered
DEFAULT_ALLOWED = ("queued", "failed")  # safe to (re)send: never accepted by a server
STALE_AFTER = timedelta(minutes=10)
ACTIVITY_KIND = {"statement": "statement_sent"}

Outcome = Literal["sent", "queued", "failed", "uncertain", "skipped"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    customer_id: int
    customer_identifier: str
    customer_name: str
    kind: str
    status: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    message_id: str
    attempts: int
    last_error: str
    period_from: date | None
    period_to: date | None
    created_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True)
class DeliveryResult:
    outbox_id: int
    outcome: Outcome
    error: str = ""
    message_id: str = ""
    code: int | None = None  # the SMTP reply code of a refusal; None: no reply (down, timeout)

    @property
    def delivered(self) -> bool:
        return self.outcome == "sent"


def _split(addresses: str) -> tuple[str, ...]:
    return tuple(a for a in (addresses or "").split(",") if a)


# ------------------------------------------------------------------------------------------ queue
def queue_message(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    message: EmailMessage,
    recipients: Recipients,
    kind: str = "statement",
    period: tuple[date, date] | None = None,
) -> int:
    """Store ``message`` as ``queued`` for ``recipients``; returns the outbox id.

    ``message`` must carry a Message-ID and the To/Cc headers of ``recipients`` (BCC only in the
    envelope): build it with :func:`arterm.mail.render.build_message`.

    A message of the same kind and period for the same customer still waiting (``queued``, or
    ``failed``: never accepted by a server) is ``replaced`` by this one, in the same transaction:
    a statement queued while the server was down and queued again later is sent once, with the
    newer balances. One being sent, or that may have been (``sending``, ``uncertain``), is left.
    """
    customer_row(session, customer_id)  # NotFound for an unknown customer
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        raise DomainError("the message has no Message-ID", field="message")
    if not recipients.to:
        raise DomainError("the message has no recipients", field="emails")
    if message.get("Bcc") is not None:
        raise DomainError("a queued message may not carry a Bcc header", field="message")
    log = start(session, actor)
    now = _now()
    sender = email.utils.parseaddr(str(message.get("From", "")))[1]
    outbox_id = session.execute(
        T_OUT.insert().values(
            customer_id=customer_id, kind=kind, status="queued", sender=sender[:254],
            to_addrs=",".join(recipients.to), cc_addrs=",".join(recipients.cc), bcc_addrs=",".join(recipients.bcc),
            subject=str(message.get("Subject", ""))[:500], message_id=message_id,
            message=message.as_string(policy=email.policy.default),
            period_from=period[0] if period else None, period_to=period[1] if period else None,
            attempts=0, last_error="", created_at=now, created_by=log.actor_id, updated_at=now,
        ).returning(T_OUT.c.id)
    ).scalar_one()
    if period is not None:
        session.execute(
            T_OUT.update()
            .where(T_OUT.c.customer_id == customer_id, T_OUT.c.kind == kind, T_OUT.c.period_from == period[0],
                   T_OUT.c.period_to == period[1], T_OUT.c.status.in_(REPLACEABLE), T_OUT.c.id != outbox_id)
            .values(status="replaced", claim_token=None, last_error=f"→ #{int(outbox_id)}", updated_at=now)
        )
    return int(outbox_id)


# ---------------------------------------------------------------------------------------- deliver
def expire_stale(session: Connection, *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER,
                 lang: str = "es") -> list[int]:
    """Mark ``sending`` rows claimed more than ``stale_after`` ago as ``uncertain``; their ids."""
    now = now or _now()
    cutoff = now - stale_after
    ids = [int(i) for i in session.execute(
        sa.select(T_OUT.c.id).where(T_OUT.c.status == "sending", T_OUT.c.claimed_at < cutoff).order_by(T_OUT.c.id)
    ).scalars()]
    expired = []
    error = t("mail.uncertain_error", lang, minutes=int(stale_after.total_seconds() // 60))
    for outbox_id in ids:
        result = session.execute(
            T_OUT.update()
            .where(T_OUT.c.id == outbox_id, T_OUT.c.status == "sending", T_OUT.c.claimed_at < cutoff)
            .values(status="uncertain", last_error=error[:2000], updated_at=now)
        )
        if result.rowcount == 1:
            expired.append(outbox_id)
    return expired


def _claim(db, outbox_id: int, allowed: Sequence[str], token: str) -> bool:  # type: ignore[no-untyped-def]
    now = _now()
    with db.write() as s:
        result = s.execute(
            T_OUT.update()
            .where(T_OUT.c.id == outbox_id, T_OUT.c.status.in_(list(allowed)))
            .values(status="sending", claim_token=token, claimed_at=now, attempts=T_OUT.c.attempts + 1,
                    updated_at=now)
        )
        return result.rowcount == 1


def _detail(row) -> str:  # type: ignore[no-untyped-def]
    parts = [f"to: {row.to_addrs.replace(',', ', ')}"]
    if row.cc_addrs:
        parts.append(f"cc: {row.cc_addrs.replace(',', ', ')}")
    if row.bcc_addrs:
        parts.append(f"bcc: {row.bcc_addrs.replace(',', ', ')}")
    if row.period_from and row.period_to:
        parts.append(f"{row.period_from.isoformat()}..{row.period_to.isoformat()}")
    return " · ".join(parts)


def _record_sent(session: Connection, *, actor: str, row, on_date: date, refused: str = "") -> None:  # type: ignore[no-untyped-def]
    """The ledger-style half of a delivery: the customer's Activity row (same transaction)."""
    log = start(session, actor)
    detail = _detail(row) + (f" · {refused}" if refused else "")
    log(row.customer_id, ACTIVITY_KIND.get(row.kind, f"{row.kind}_sent")[:32], on_date=on_date,
        detail=detail[:1000], with_balance=False)


def refused_text(refused: dict[str, str], lang: str = "es") -> str:
    """"refused: a@x.mx (550 No such user); ..." for an outbox row, the Activity and the operator."""
    return t("mail.refused", lang, detail="; ".join(f"{addr} ({reply})" for addr, reply in refused.items()))


def deliver(
    db,  # type: ignore[no-untyped-def]
    outbox_id: int,
    *,
    smtp: SmtpSettings,
    actor: str,
    allowed: Sequence[str] = DEFAULT_ALLOWED,
    today: date | None = None,
    lang: str = "es",
    sender: Callable[..., str] = send_message,
) -> DeliveryResult:
    """Claim one message, send it, record the outcome (see the module docstring)."""
    token = uuid.uuid4().hex
    if not _claim(db, outbox_id, allowed, token):
        return DeliveryResult(outbox_id, "skipped", t("mail.outcome.skipped", lang))
    with db.read() as s:
        row = s.execute(sa.select(T_OUT).where(T_OUT.c.id == outbox_id)).one()
    message = email.message_from_string(row.message, policy=email.policy.default)
    envelope = [*_split(row.to_addrs), *_split(row.cc_addrs), *_split(row.bcc_addrs)]
    try:
        message_id = sender(message, settings=smtp, envelope_to=envelope)
    except MailDeliveryError as exc:
        status = "failed" if exc.permanent else "queued"
        with db.write() as s:
            s.execute(
                T_OUT.update().where(T_OUT.c.id == outbox_id, T_OUT.c.claim_token == token)
                .values(status=status, last_error=exc.reason[:2000], claim_token=None, updated_at=_now())
            )
        return DeliveryResult(outbox_id, status, exc.reason, row.message_id, exc.code)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - the server may or may not have accepted it
        error = t("mail.crashed_error", lang, error=f"{type(exc).__name__}: {exc}")
        with db.write() as s:
            s.execute(
                T_OUT.update().where(T_OUT.c.id == outbox_id, T_OUT.c.claim_token == token)
                .values(status="uncertain", last_error=error[:2000], claim_token=None, updated_at=_now())
            )
        return DeliveryResult(outbox_id, "uncertain", error, row.message_id)
    # Accepted. If this transaction fails the row stays 'sending' and later becomes 'uncertain':
    # never resent blindly.
    # Some recipients refused (the others got it): still sent, never retried, but said everywhere.
    refused_by_server = getattr(message_id, "refused", None) or {}
    refused = refused_text(refused_by_server, lang) if refused_by_server else ""
    now = _now()
    with db.write() as s:
        result = s.execute(
            T_OUT.update()
            .where(T_OUT.c.id == outbox_id, T_OUT.c.claim_token == token,
                   T_OUT.c.status.in_(["sending", "uncertain"]))
            .values(status="sent", sent_at=now, last_error=refused[:2000], claim_token=None, updated_at=now)
        )
        if result.rowcount == 1:
            _record_sent(s, actor=actor, row=row, on_date=today or date.today(), refused=refused)
    return DeliveryResult(outbox_id, "sent", refused, str(message_id or row.message_id))


def send_pending(
    db,  # type: ignore[no-untyped-def]
    *,
    smtp: SmtpSettings,
    actor: str,
    ids: Iterable[int] | None = None,
    force: bool = False,
    today: date | None = None,
    lang: str = "es",
    stale_after: timedelta = STALE_AFTER,
    progress: Callable[[int, int, DeliveryResult], None] | None = None,
) -> list[DeliveryResult]:
    """Send what is pending: ``queued`` and ``failed`` messages (``uncertain`` too with ``force``).

    First turns stale ``sending`` rows into ``uncertain``. Safe to run several times at once.
    ``ids`` limits the run to those messages.
    """
    allowed = DEFAULT_ALLOWED + (("uncertain",) if force else ())
    with db.write() as s:
        expire_stale(s, stale_after=stale_after, lang=lang)
    stmt = sa.select(T_OUT.c.id).where(T_OUT.c.status.in_(list(allowed))).order_by(T_OUT.c.id)
    if ids is not None:
        stmt = stmt.where(T_OUT.c.id.in_(list(ids)))
    with db.read() as s:
        todo = [int(i) for i in s.execute(stmt).scalars()]
    results: list[DeliveryResult] = []
    for n, outbox_id in enumerate(todo, 1):
        result = deliver(db, outbox_id, smtp=smtp, actor=actor, allowed=allowed, today=today, lang=lang)
        results.append(result)
        if progress is not None:
            progress(n, len(todo), result)
    return results


def mark_sent(session: Connection, *, actor: str, outbox_id: int, on_date: date | None = None, lang: str = "es") -> None:
    """Close an ``uncertain`` message as delivered (the operator checked): ``sent`` + Activity row."""
    row = session.execute(sa.select(T_OUT).where(T_OUT.c.id == outbox_id).with_for_update()).first()
    if row is None:
        raise NotFound(t("mail.not_found", lang, id=outbox_id), field="outbox")
    if row.status != "uncertain":
        raise DomainError(t("mail.not_uncertain", lang, id=outbox_id, status=t(f"mail.status.{row.status}", lang)),
                          field="outbox")
    now = _now()
    result = session.execute(
        T_OUT.update().where(T_OUT.c.id == outbox_id, T_OUT.c.status == "uncertain")
        .values(status="sent", sent_at=now, claim_token=None, updated_at=now)
    )
    if result.rowcount != 1:  # pragma: no cover - guarded by the row lock / serialized writers
        raise DomainError(t("mail.not_uncertain", lang, id=outbox_id, status="?"), field="outbox")
    _record_sent(session, actor=actor, row=row, on_date=on_date or date.today())


# ------------------------------------------------------------------------------------------- read
def _filters(statuses: Sequence[str] | None, customer_id: int | None) -> list:
    conds = []
    if statuses:
        conds.append(T_OUT.c.status.in_(list(statuses)))
    if customer_id is not None:
        conds.append(T_OUT.c.customer_id == customer_id)
    return conds


def count_outbox(session: Connection, *, statuses: Sequence[str] | None = None, customer_id: int | None = None) -> int:
    return int(session.execute(
        sa.select(sa.func.count()).select_from(T_OUT).where(*_filters(statuses, customer_id))
    ).scalar_one())


def list_outbox(
    session: Connection,
    *,
    statuses: Sequence[str] | None = None,
    customer_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[OutboxRow]:
    """Newest first. Never reads the stored message bodies."""
    stmt = (
        sa.select(T_OUT.c.id, T_OUT.c.customer_id, T_CUSTOMER.c.identifier, T_CUSTOMER.c.name, T_OUT.c.kind,
                  T_OUT.c.status, T_OUT.c.to_addrs, T_OUT.c.cc_addrs, T_OUT.c.bcc_addrs, T_OUT.c.subject,
                  T_OUT.c.message_id, T_OUT.c.attempts, T_OUT.c.last_error, T_OUT.c.period_from, T_OUT.c.period_to,
                  T_OUT.c.created_at, T_OUT.c.claimed_at, T_OUT.c.sent_at)
        .join(T_CUSTOMER, T_CUSTOMER.c.id == T_OUT.c.customer_id)
        .where(*_filters(statuses, customer_id))
        .order_by(T_OUT.c.id.desc())
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    return [
        OutboxRow(r.id, r.customer_id, r.identifier, r.name, r.kind, r.status, _split(r.to_addrs), _split(r.cc_addrs),
                  _split(r.bcc_addrs), r.subject, r.message_id, int(r.attempts), r.last_error, r.period_from,
                  r.period_to, r.created_at, r.claimed_at, r.sent_at)
        for r in session.execute(stmt)
    ]
