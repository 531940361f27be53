"""The outbox against a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL.

A message is never lost (queued first), a server that is down leaves it queued with its error, a
retry delivers it exactly once — also when two retries run at the same time — and a message whose
outcome is unknown (stuck in 'sending') is never resent without --force.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.config import CompanySettings, Settings, SmtpSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.errors import DomainError
from arterm.mail import send_message
from arterm.mail.outbox import STALE_AFTER, deliver, expire_stale, list_outbox, mark_sent, send_pending
from arterm.mail.recipients import NoRecipientError
from arterm.mail.statements import prepare_statement, queue_statement, send_statement, send_statements

try:
    from .smtp_server import SmtpTestServer, free_port
except ImportError:
    from smtp_server import SmtpTestServer, free_port  # type: ignore[no-redef]

ACTOR = "tester"
TODAY = date(2026, 11, 28)
HOSTILE = "<script>alert(1)</script> & [bold]Co[/]"
HOSTILE_HTML = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [bold]Co[/]"
OPERATOR_EMAIL = "maria.garcia@refaccionesbajio.mx"
ARCHIVE = "archivo@refaccionesbajio.mx"
TO = ("pagos@nandu.example", "tesoreria@nandu.example")
COMPANY = CompanySettings(name="Refacciones del Bajío SA de CV", rfc=("EKU9003173C9",),
                          address="Av. Juárez 1234\nLeón, Gto.",
                          payment_instructions="BBVA México · CLABE 012225001234567897")


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as srv:
        yield srv


def make_settings(smtp: SmtpSettings) -> Settings:
    return Settings(company=COMPANY, smtp=replace(smtp, archive_bcc=ARCHIVE))


def _w(db: Database, fn, **kw):  # type: ignore[no-untyped-def]
    with db.write() as s:
        return fn(s, actor=ACTOR, **kw)


def customer_with_ledger(db: Database, *, name: str = HOSTILE, emails: str = ", ".join(TO),
                         operator_email: str = OPERATOR_EMAIL, identifier: str = "C-0042") -> int:
    with db.write() as s:
        L.upsert_operator(s, username="mgarcia", full_name="María García López", email=operator_email)
    cid = _w(db, L.create_customer, name=name, rfc="KIJ0906199R1", identifier=identifier, emails=emails,
             assigned_to="mgarcia")
    _w(db, L.issue_document, customer_id=cid, lines=[L.LineInput("Refacciones", "1", "12345.67", "0")],
       issue_date=date(2026, 10, 20))  # due 19/11/2026: 9 days late on 28/11
    _w(db, L.record_payment, customer_id=cid, amount="2345.67", paid_on=date(2026, 11, 10))
    return cid


def activity(db: Database, cid: int) -> list[tuple[str, str]]:
    a = tables.activity
    with db.read() as s:
        return [(r.kind, r.detail) for r in s.execute(
            sa.select(a.c.kind, a.c.detail).where(a.c.customer_id == cid, a.c.kind == "statement_sent").order_by(a.c.id))]


def outbox_row(db: Database, outbox_id: int):  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.execute(sa.select(tables.mail_outbox).where(tables.mail_outbox.c.id == outbox_id)).one()


def queue_one(db: Database, settings: Settings, cid: int) -> int:
    with db.read() as s:
        prepared = prepare_statement(s, settings=settings, customer_id=cid, today=TODAY)
    with db.write() as s:
        return queue_statement(s, actor=ACTOR, prepared=prepared, settings=settings)


# ---------------------------------------------------------------------------------- delivery
def test_statement_from_the_database_arrives_complete(db: Database, server: SmtpTestServer) -> None:
    cid = customer_with_ledger(db)
    settings = make_settings(server.settings())
    prepared, result = send_statement(db, settings=settings, actor=ACTOR, customer_id=cid, today=TODAY)

    assert result.outcome == "sent", result
    assert prepared.recipients is not None and prepared.recipients.warnings == ()
    assert len(server.messages) == 1
    got = server.messages[0]
    assert got.mail_from == "cobranza@refaccionesbajio.mx"
    assert list(got.rcpt_tos) == [*TO, OPERATOR_EMAIL, ARCHIVE]
    msg = got.message
    assert [a.addr_spec for a in msg["To"].addresses] == list(TO)
    assert [a.addr_spec for a in msg["Cc"].addresses] == [OPERATOR_EMAIL]  # the assigned operator
    assert msg["Bcc"] is None and ARCHIVE.encode() not in got.data
    assert msg["Message-ID"] == result.message_id
    assert msg["Subject"] == f"Estado de cuenta al 28/11/2026 — {HOSTILE} (C-0042)"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "30/10/2026" in body and "28/11/2026" in body  # default period: the last 30 days
        assert "$12,345.67 MXN" in body  # opening balance (the invoice of 20/10)
        assert "$10,000.00 MXN" in body  # closing: 12,345.67 − 2,345.67
        assert "19/11/2026" in body  # its due date
        assert "CLABE 012225001234567897" in body
        assert "María García López" in body
    assert HOSTILE in text
    assert HOSTILE_HTML in html and "<script" not in html
    # the open document line: due date, 9 days overdue, total and balance
    assert any("19/11/2026" in line and " 9 " in line and "12,345.67" in line and "10,000.00" in line
               for line in text.splitlines())

    row = outbox_row(db, result.outbox_id)
    assert (row.status, row.attempts, row.last_error, row.claim_token) == ("sent", 1, "", None)
    assert row.sent_at is not None and row.message_id == result.message_id
    assert row.period_from == date(2026, 10, 30) and row.period_to == TODAY
    assert activity(db, cid) == [("statement_sent",
                                  f"to: {TO[0]}, {TO[1]} · cc: {OPERATOR_EMAIL} · bcc: {ARCHIVE} · 2026-10-30..2026-11-28")]


def test_server_down_then_back_delivers_exactly_once(db: Database) -> None:
    port = free_port()
    server = SmtpTestServer(port=port)  # not started: connections are refused
    cid = customer_with_ledger(db)
    settings = make_settings(server.settings())

    _, result = send_statement(db, settings=settings, actor=ACTOR, customer_id=cid, today=TODAY)
    assert result.outcome == "queued"
    assert "connection refused" in result.error
    row = outbox_row(db, result.outbox_id)
    assert (row.status, row.attempts, row.claim_token) == ("queued", 1, None)
    assert "connection refused" in row.last_error and str(port) in row.last_error
    assert activity(db, cid) == []
    with db.read() as s:
        (listed,) = list_outbox(s)
    assert listed.status == "queued" and "connection refused" in listed.last_error

    # still down: a retry changes nothing but the attempts
    (again,) = send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY)
    assert again.outcome == "queued" and outbox_row(db, result.outbox_id).attempts == 2

    with server:
        first = send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY)
        second = send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY)
        assert [r.outcome for r in first] == ["sent"] and second == []
        assert len(server.messages) == 1
        assert server.messages[0].message["Message-ID"] == row.message_id  # the very message queued
    row = outbox_row(db, result.outbox_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert len(activity(db, cid)) == 1


def test_a_statement_queued_again_replaces_the_waiting_one_and_is_sent_once(db: Database) -> None:
    """Server down: a single send queues #1, a batch later queues #2 for the same customer and
    period. #2 replaces #1 (same transaction), so the retry sends one message: the newer one."""
    port = free_port()
    server = SmtpTestServer(port=port)  # not started: connections are refused
    cid = customer_with_ledger(db)
    other = customer_with_ledger(db, identifier="C-0043", name="Otro Cliente SA")
    settings = make_settings(server.settings())
    earlier = queue_one(db, settings, cid)  # another period (below): not replaced
    with db.write() as s:
        s.execute(tables.mail_outbox.update().where(tables.mail_outbox.c.id == earlier)
                  .values(period_from=date(2026, 9, 1), period_to=date(2026, 9, 30)))
    _, first = send_statement(db, settings=settings, actor=ACTOR, customer_id=cid, today=TODAY)
    _, elsewhere = send_statement(db, settings=settings, actor=ACTOR, customer_id=other, today=TODAY)
    _w(db, L.record_payment, customer_id=cid, amount="1000.00", paid_on=TODAY)  # the balance changes
    report = send_statements(db, settings=settings, actor=ACTOR, customer_ids=[cid], today=TODAY)
    ((_, second),) = report.queued
    assert outbox_row(db, first.outbox_id).status == "replaced"
    assert outbox_row(db, first.outbox_id).last_error == f"→ #{second.outbox_id}"
    assert outbox_row(db, elsewhere.outbox_id).status == "queued"  # another customer
    assert outbox_row(db, earlier).status == "queued"  # another period
    with server:
        sent = send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY)
    assert sorted(r.outbox_id for r in sent if r.outcome == "sent") == sorted(
        [second.outbox_id, elsewhere.outbox_id, earlier])
    mine = [m for m in server.messages if m.message["Message-ID"] == outbox_row(db, second.outbox_id).message_id]
    assert len(mine) == 1 and len(server.messages) == 3
    assert "9,000.00" in mine[0].message.get_body(("plain",)).get_content()  # 10,000.00 owed before the payment
    assert outbox_row(db, first.outbox_id).status == "replaced"  # never sent
    with db.read() as s:
        assert "replaced" not in {r.status for r in list_outbox(s, statuses=("queued", "failed"))}


def test_two_retries_at_once_send_once(db: Database) -> None:
    with SmtpTestServer(delay=0.5) as server:  # slow server: the two runs really overlap
        settings = make_settings(server.settings())
        cids = [customer_with_ledger(db, name=f"Cliente {i}", identifier=f"C-{i}") for i in range(3)]
        ids = [queue_one(db, settings, cid) for cid in cids]
        barrier = threading.Barrier(2)
        results: list[list] = [[], []]  # type: ignore[type-arg]
        errors: list[BaseException] = []

        def run(slot: int) -> None:
            try:
                barrier.wait()
                results[slot] = send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not errors
        outcomes = sorted(r.outcome for slot in results for r in slot)
        assert outcomes.count("sent") == 3, outcomes
        assert set(outcomes) == {"sent", "skipped"}  # they did race: each skipped what the other claimed
        assert len(server.messages) == 3
        assert sorted(m.message["Message-ID"] for m in server.messages) == sorted(
            outbox_row(db, i).message_id for i in ids)
    for cid, outbox_id in zip(cids, ids, strict=True):
        assert outbox_row(db, outbox_id).status == "sent"
        assert outbox_row(db, outbox_id).attempts == 1  # only one claim ever succeeded
        assert len(activity(db, cid)) == 1


def test_permanent_refusal_is_failed_and_retry_sends_it_later(db: Database) -> None:
    port = free_port()
    cid = customer_with_ledger(db)
    with SmtpTestServer(port=port, refuse_rcpt="550 5.1.1 Mailbox unavailable") as bad:
        settings = make_settings(bad.settings())
        _, result = send_statement(db, settings=settings, actor=ACTOR, customer_id=cid, today=TODAY)
    assert result.outcome == "failed" and "550" in result.error
    assert outbox_row(db, result.outbox_id).status == "failed"
    with SmtpTestServer(port=port) as good:
        assert [r.outcome for r in send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY)] == ["sent"]
        assert len(good.messages) == 1
    assert len(activity(db, cid)) == 1


# ------------------------------------------------------------------------- stuck in 'sending'
def _crash_after_accept(message, *, settings, envelope_to):  # type: ignore[no-untyped-def]
    """The process dies right after the server accepted the message (before arterm commits)."""
    send_message(message, settings=settings, envelope_to=envelope_to)
    raise KeyboardInterrupt("killed")


def test_crash_after_accept_is_never_resent_blindly(db: Database, server: SmtpTestServer) -> None:
    cid = customer_with_ledger(db)
    settings = make_settings(server.settings())
    outbox_id = queue_one(db, settings, cid)
    with pytest.raises(KeyboardInterrupt):
        deliver(db, outbox_id, smtp=settings.smtp, actor=ACTOR, today=TODAY, sender=_crash_after_accept)
    assert len(server.messages) == 1
    assert outbox_row(db, outbox_id).status == "sending"

    # a retry right away: someone may still be sending it → left alone
    assert send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY) == []
    assert outbox_row(db, outbox_id).status == "sending"

    # after STALE_AFTER it becomes 'uncertain' and a plain retry still does not resend it
    later = datetime.now(timezone.utc) + STALE_AFTER + timedelta(seconds=1)
    with db.write() as s:
        assert expire_stale(s, now=later, lang="en") == [outbox_id]
    row = outbox_row(db, outbox_id)
    assert row.status == "uncertain" and "may have arrived" in row.last_error
    assert send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY) == []
    assert len(server.messages) == 1 and activity(db, cid) == []

    # the operator checked with the customer: it arrived → mark it sent (Activity row written)
    with db.write() as s:
        mark_sent(s, actor=ACTOR, outbox_id=outbox_id, on_date=TODAY)
    assert outbox_row(db, outbox_id).status == "sent"
    assert len(activity(db, cid)) == 1
    with pytest.raises(DomainError, match="uncertain"), db.write() as s:
        mark_sent(s, actor=ACTOR, outbox_id=outbox_id, lang="en")
    assert len(server.messages) == 1


def test_uncertain_is_resent_only_with_force(db: Database, server: SmtpTestServer) -> None:
    cid = customer_with_ledger(db)
    settings = make_settings(server.settings())
    outbox_id = queue_one(db, settings, cid)
    long_ago = datetime.now(timezone.utc) - STALE_AFTER - timedelta(minutes=1)
    with db.write() as s:  # as left by a process killed mid-send 11 minutes ago
        s.execute(tables.mail_outbox.update().where(tables.mail_outbox.c.id == outbox_id)
                  .values(status="sending", claim_token="dead", claimed_at=long_ago, attempts=1))
    assert send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY) == []
    assert outbox_row(db, outbox_id).status == "uncertain" and server.messages == []
    (result,) = send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY, force=True)
    assert result.outcome == "sent" and len(server.messages) == 1
    assert outbox_row(db, outbox_id).status == "sent" and len(activity(db, cid)) == 1
    assert send_pending(db, smtp=settings.smtp, actor=ACTOR, today=TODAY, force=True) == []


def test_unexpected_error_while_sending_is_uncertain(db: Database, server: SmtpTestServer) -> None:
    cid = customer_with_ledger(db)
    settings = make_settings(server.settings())
    outbox_id = queue_one(db, settings, cid)

    def broken(message, *, settings, envelope_to):  # type: ignore[no-untyped-def]
        raise RuntimeError("socket exploded")

    result = deliver(db, outbox_id, smtp=settings.smtp, actor=ACTOR, sender=broken, lang="en")
    assert result.outcome == "uncertain" and "socket exploded" in result.error
    row = outbox_row(db, outbox_id)
    assert row.status == "uncertain" and row.claim_token is None
    assert send_pending(db, smtp=settings.smtp, actor=ACTOR) == [] and server.messages == []


# ------------------------------------------------------------------------------- recipients
def test_customer_without_email_is_refused_and_nothing_is_queued(db: Database, server: SmtpTestServer) -> None:
    cid = customer_with_ledger(db, emails="")
    settings = make_settings(server.settings())
    with pytest.raises(NoRecipientError, match="C-0042"):
        send_statement(db, settings=settings, actor=ACTOR, customer_id=cid, today=TODAY)
    with db.read() as s:
        assert list_outbox(s) == []
    assert server.messages == []


def test_operator_without_email_warns_but_sends(db: Database, server: SmtpTestServer) -> None:
    cid = customer_with_ledger(db)
    with db.write() as s:
        s.execute(tables.operator.update().where(tables.operator.c.username == "mgarcia").values(email=""))
    settings = make_settings(server.settings())
    prepared, result = send_statement(db, settings=settings, actor=ACTOR, customer_id=cid, today=TODAY, lang="en")
    assert result.outcome == "sent"
    assert prepared.recipients is not None and prepared.recipients.cc == ()
    assert prepared.recipients.warning_texts("en") == ["the assigned operator mgarcia has no email: not copied"]
    assert list(server.messages[0].rcpt_tos) == [*TO, ARCHIVE]
    assert server.messages[0].message["Cc"] is None


# ------------------------------------------------------------------------------------ batch
def test_batch_reports_sent_and_no_email_and_stops_hammering_a_dead_server(db: Database) -> None:
    with_email = customer_with_ledger(db, name="Con correo", identifier="C-1")
    without = customer_with_ledger(db, name="Sin correo", identifier="C-2", emails="")
    with SmtpTestServer() as server:
        settings = make_settings(server.settings())
        report = send_statements(db, settings=settings, actor=ACTOR, customer_ids=[with_email, without], today=TODAY)
        assert [c for c, _ in report.sent] == [with_email]
        assert [c for c, _ in report.no_email] == [without]
        assert len(server.messages) == 1
    # dry run: nothing queued, nothing sent
    with db.read() as s:
        before = len(list_outbox(s))
    report = send_statements(db, settings=settings, actor=ACTOR, customer_ids=[with_email, without], today=TODAY,
                             dry_run=True)
    assert [p.customer_id for p in report.would_send] == [with_email] and report.sent == []
    with db.read() as s:
        assert len(list_outbox(s)) == before
    # the server is down now: the first attempt fails, the others are only queued
    third = customer_with_ledger(db, name="Tercero", identifier="C-3")
    report = send_statements(db, settings=settings, actor=ACTOR, customer_ids=[with_email, third], today=TODAY)
    assert [c for c, _ in report.queued] == [with_email, third]
    assert all("connection refused" in r.error for _, r in report.queued)
    with db.read() as s:
        statuses = [(r.customer_id, r.status, r.attempts) for r in list_outbox(s, statuses=["queued"])]
    assert sorted(statuses) == sorted([(with_email, "queued", 1), (third, "queued", 0)])
