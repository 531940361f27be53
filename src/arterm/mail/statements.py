"""Statements end to end: build from the database, address, queue, deliver. Used by the CLI and TUI.

    prepared = prepare_statement(session, settings=..., customer_id=..., today=...)   # read
    outbox_id = queue_statement(session, actor=..., prepared=prepared, settings=...)  # write
    result = deliver(db, outbox_id, smtp=settings.smtp, actor=...)                  # SMTP

or all at once with :func:`send_statement` / :func:`send_statements` (a batch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Connection

from arterm.config import Settings
from arterm.domain.errors import DomainError
from arterm.i18n import normalize_lang
from arterm.queries.customers import customer_detail
from arterm.queries.statement import build_statement, default_period

from .model import Statement, StatementCompany
from .outbox import DeliveryResult, deliver, queue_message
from .recipients import RecipientError, Recipients, recipients_for
from .render import build_message, render_statement

__all__ = ["BatchReport", "PreparedStatement", "prepare_statement", "queue_statement", "send_statement",
           "send_statements"]


@dataclass(frozen=True)
class PreparedStatement:
    customer_id: int
    statement: Statement
    recipients: Recipients | None  # None: cannot be sent (see recipient_error)
    recipient_error: RecipientError | None = None

    @property
    def period(self) -> tuple[date, date]:
        return self.statement.period_from, self.statement.period_to

    def preview(self, settings: Settings, fmt: str = "text") -> str:
        return render_statement(self.statement, fmt=fmt, templates_dir=settings.statements.templates_dir or None)  # type: ignore[arg-type]


def prepare_statement(
    session: Connection,
    *,
    settings: Settings,
    customer_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
    lang: str | None = None,
) -> PreparedStatement:
    """Build the statement (default period: the last ``[statements] period_days`` days up to
    today) and its recipients. A customer without email is not an exception here: the preview
    still shows, with ``recipient_error`` set. ``lang``: language of messages (operator's)."""
    today = today or date.today()
    if date_to is None:
        date_to = today
    if date_from is None:
        date_from = default_period(date_to, settings.statements.period_days)[0]
    statement = build_statement(
        session, customer_id=customer_id, date_from=date_from, date_to=date_to, as_of=today,
        company=StatementCompany.from_settings(settings.company), limits=settings.aging_buckets,
        default_language=normalize_lang(settings.language),
    )
    detail = customer_detail(session, customer_id)
    try:
        recipients = recipients_for(detail, settings, lang=lang)
    except RecipientError as exc:
        return PreparedStatement(customer_id, statement, None, exc)
    return PreparedStatement(customer_id, statement, recipients)


def queue_statement(session: Connection, *, actor: str, prepared: PreparedStatement, settings: Settings) -> int:
    """Render the email (text + HTML) and queue it. Raises the recipient error if there is one."""
    if prepared.recipients is None:
        raise prepared.recipient_error or DomainError("no recipients", field="emails")
    r = prepared.recipients
    try:
        message = build_message(prepared.statement, sender=settings.smtp.sender, to=list(r.to), cc=list(r.cc),
                                bcc=list(r.bcc), templates_dir=settings.statements.templates_dir or None)
    except ValueError as exc:  # a bad [smtp] sender
        raise DomainError(str(exc), field="sender") from None
    return queue_message(session, actor=actor, customer_id=prepared.customer_id, message=message, recipients=r,
                         kind="statement", period=prepared.period)


def send_statement(
    db,  # type: ignore[no-untyped-def]
    *,
    settings: Settings,
    actor: str,
    customer_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
    lang: str = "es",
) -> tuple[PreparedStatement, DeliveryResult]:
    """Prepare, queue (one transaction) and deliver one statement."""
    with db.read() as s:
        prepared = prepare_statement(s, settings=settings, customer_id=customer_id, date_from=date_from,
                                     date_to=date_to, today=today, lang=lang)
    if prepared.recipients is None:
        raise prepared.recipient_error or DomainError("no recipients", field="emails")
    with db.write() as s:
        outbox_id = queue_statement(s, actor=actor, prepared=prepared, settings=settings)
    result = deliver(db, outbox_id, smtp=settings.smtp, actor=actor, today=today, lang=lang)
    return prepared, result


@dataclass
class BatchReport:
    sent: list[tuple[int, DeliveryResult]] = field(default_factory=list)
    queued: list[tuple[int, DeliveryResult]] = field(default_factory=list)  # temporary error: retry later
    failed: list[tuple[int, DeliveryResult]] = field(default_factory=list)  # permanent error
    no_email: list[tuple[int, str]] = field(default_factory=list)  # (customer id, reason)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (customer id, text)
    would_send: list[PreparedStatement] = field(default_factory=list)  # dry run


def send_statements(
    db,  # type: ignore[no-untyped-def]
    *,
    settings: Settings,
    actor: str,
    customer_ids: Iterable[int],
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
    lang: str = "es",
    dry_run: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> BatchReport:
    """A statement to each customer: each is queued and then delivered at once.

    Once the server does not answer (down, timing out), the remaining statements are
    only queued — no point waiting for a timeout per customer; ``arterm outbox --retry`` sends
    them later. ``progress(done, total, customer_id)`` after each customer.
    """
    ids = list(customer_ids)
    report = BatchReport()
    server_down: DeliveryResult | None = None
    for n, customer_id in enumerate(ids, 1):
        with db.read() as s:
            prepared = prepare_statement(s, settings=settings, customer_id=customer_id, date_from=date_from,
                                         date_to=date_to, today=today, lang=lang)
        if prepared.recipients is None:
            report.no_email.append((customer_id, str(prepared.recipient_error)))
        else:
            report.warnings.extend((customer_id, w) for w in prepared.recipients.warning_texts(lang))
            if dry_run:
                report.would_send.append(prepared)
            else:
                with db.write() as s:
                    outbox_id = queue_statement(s, actor=actor, prepared=prepared, settings=settings)
                if server_down is not None:
                    report.queued.append((customer_id, DeliveryResult(outbox_id, "queued", server_down.error)))
                else:
                    result = deliver(db, outbox_id, smtp=settings.smtp, actor=actor, today=today, lang=lang)
                    if result.outcome == "sent":
                        report.sent.append((customer_id, result))
                    elif result.outcome == "failed":
                        report.failed.append((customer_id, result))
                    else:
                        report.queued.append((customer_id, result))
                        if result.outcome == "queued" and result.code is None:  # no answer at all
                            server_down = result
        if progress is not None:
            progress(n, len(ids), customer_id)
    return report
