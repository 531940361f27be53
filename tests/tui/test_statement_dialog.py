"""Pilot tests: StatementDialog (preview, recipients, period, send through the outbox to a real
SMTP server on loopback) and OutboxScreen (list, retry), on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import Button, Input, Label, Static

from arterm import ledger as L
from arterm.config import CompanySettings, Settings, SmtpSettings, UiSettings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp
from arterm.tui.dialogs.statement import StatementDialog
from arterm.tui.screens.outbox import OutboxScreen, palette_commands
from arterm.tui.widgets import VirtualTable
from integration.smtp_server import SmtpTestServer, free_port
from .pilot_helpers import settle

TODAY = date(2026, 11, 28)
HOSTILE = "<script>alert(1)</script> & [bold]Co[/]"
OPERATOR_EMAIL = "maria.garcia@refaccionesbajio.mx"
ARCHIVE = "archivo@refaccionesbajio.mx"
SIZE = (120, 40)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'tui.db'}")
    yield database
    database.dispose()


def make_customer(db: Database, *, emails: str = "pagos@nandu.example, tesoreria@nandu.example") -> int:
    with db.write() as s:
        L.upsert_operator(s, username="mgarcia", full_name="María García López", email=OPERATOR_EMAIL)
        cid = L.create_customer(s, actor="tester", name=HOSTILE, rfc="KIJ0906199R1", identifier="C-0042",
                                emails=emails, assigned_to="mgarcia")
        L.issue_document(s, actor="tester", customer_id=cid, lines=[L.LineInput("Refacciones", "1", "12345.67", "0")],
                         issue_date=date(2026, 10, 20))
        L.record_payment(s, actor="tester", customer_id=cid, amount="2345.67", paid_on=date(2026, 11, 10))
    return cid


def make_app(db: Database, port: int) -> ArtermApp:
    settings = Settings(
        company=CompanySettings(name="Refacciones del Bajío SA de CV", payment_instructions="CLABE 012225001234567897"),
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", sender="cobranza@refaccionesbajio.mx",
                          archive_bcc=ARCHIVE, timeout=5),
        ui=UiSettings(language="es"),
    )
    return ArtermApp(settings=settings, url=db.url, operator="tester", database=db, today=TODAY)


def plain(widget) -> str:  # type: ignore[no-untyped-def]
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


def statement_activity(db: Database, cid: int) -> list[str]:
    a = tables.activity
    with db.read() as s:
        return list(s.execute(sa.select(a.c.detail).where(a.c.customer_id == cid, a.c.kind == "statement_sent")).scalars())


def outbox(db: Database) -> list[tuple[str, int]]:
    with db.read() as s:
        return [(r.status, r.attempts) for r in s.execute(sa.select(tables.mail_outbox).order_by(tables.mail_outbox.c.id))]


async def test_preview_shows_recipients_and_send_delivers(db: Database) -> None:
    cid = make_customer(db)
    results: list[object] = []
    with SmtpTestServer() as server:
        app = make_app(db, server.port)
        async with app.run_test(size=SIZE) as pilot:
            app.push_screen(StatementDialog(cid), results.append)
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, StatementDialog)
            # recipients: To the billing emails, CC the assigned operator, BCC the archive
            assert dialog.meta_text("to") == "pagos@nandu.example, tesoreria@nandu.example"
            assert dialog.meta_text("cc") == OPERATOR_EMAIL
            assert dialog.meta_text("bcc") == ARCHIVE
            assert dialog.meta_text("lang") == "Español"
            # the title and the preview show the hostile name literally
            assert plain(dialog.query_one("#statement-title", Label)) == f"Estado de cuenta — {HOSTILE}"
            preview = dialog.preview_text()
            assert f"Cliente:        {HOSTILE}" in preview
            assert "Periodo:        30/10/2026 al 28/11/2026" in preview
            assert "$10,000.00 MXN" in preview and "CLABE 012225001234567897" in preview
            assert dialog.query_one("#period-from", Input).value == "30/10/2026"
            assert not dialog.query_one("#send", Button).disabled

            await pilot.press("ctrl+s")
            await settle(pilot)
            assert results == [True]
            assert not isinstance(app.screen, StatementDialog)
        assert len(server.messages) == 1
        got = server.messages[0]
        assert list(got.rcpt_tos) == ["pagos@nandu.example", "tesoreria@nandu.example", OPERATOR_EMAIL, ARCHIVE]
        assert got.message["Cc"] == OPERATOR_EMAIL
        assert f"Cliente:        {HOSTILE}" in got.message.get_body(("plain",)).get_content()
    assert outbox(db) == [("sent", 1)]
    (detail,) = statement_activity(db, cid)
    assert detail.startswith("to: pagos@nandu.example, tesoreria@nandu.example · cc: " + OPERATOR_EMAIL)
    assert "2026-10-30..2026-11-28" in detail


async def test_recipients_refused_by_the_server_are_said_when_the_rest_got_it(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server refuses the customer's addresses and accepts the CC: the message was sent (it is
    never retried), and the notification says who did not get it (it said only "Enviado a ...")."""
    from integration.smtp_server import refuse_recipients

    refuse_recipients(monkeypatch, "@nandu.example")
    cid = make_customer(db)
    notes: list[tuple[str, str]] = []
    with SmtpTestServer() as server:
        app = make_app(db, server.port)
        async with app.run_test(size=SIZE) as pilot:
            monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((message, kw.get("severity", ""))))
            app.push_screen(StatementDialog(cid))
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert not isinstance(app.screen, StatementDialog)
        assert len(server.messages) == 1 and OPERATOR_EMAIL in server.messages[0].rcpt_tos
    ((message, severity),) = notes
    assert severity == "warning"
    assert message.startswith("Enviado a pagos@nandu.example, tesoreria@nandu.example — rechazado por el servidor: "
                              "pagos@nandu.example (550 5.1.1 No such user)")
    assert outbox(db) == [("sent", 1)]


async def test_period_is_editable_and_checked(db: Database) -> None:
    cid = make_customer(db)
    app = make_app(db, free_port())
    async with app.run_test(size=SIZE) as pilot:
        results: list[object] = []
        app.push_screen(StatementDialog(cid), results.append)
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StatementDialog)
        date_from = dialog.query_one("#period-from", Input)
        date_from.value = "01/10/2026"
        await settle(pilot)
        preview = dialog.preview_text()
        assert "Periodo:        01/10/2026 al 28/11/2026" in preview
        assert "Saldo inicial al 01/10/2026                                          $0.00 MXN" in preview
        assert "Factura A-1" in preview
        # start after end: refused, nothing can be sent
        date_from.value = "29/11/2026"
        await settle(pilot)
        status = dialog.query_one("#statement-status", Static)
        assert "posterior" in plain(status) and status.has_class("-error")
        assert dialog.query_one("#send", Button).disabled
        date_from.value = "no es fecha"
        await settle(pilot)
        assert "no es fecha" in plain(status)
        assert dialog.query_one("#send", Button).disabled
        # the period may not end after the business date
        date_from.value = "01/11/2026"
        dialog.query_one("#period-to", Input).value = "30/11/2026"
        await settle(pilot)
        assert plain(status) == "El periodo no puede terminar después de hoy (28/11/2026)"
        assert dialog.query_one("#send", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        assert results == [False]
    assert outbox(db) == []


async def test_server_down_leaves_it_queued_then_outbox_retry_sends_it(db: Database) -> None:
    cid = make_customer(db)
    port = free_port()
    app = make_app(db, port)
    server = SmtpTestServer(port=port)
    async with app.run_test(size=SIZE) as pilot:
        results: list[object] = []
        app.push_screen(StatementDialog(cid), results.append)
        await settle(pilot)
        await pilot.click("#send")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StatementDialog)  # stays open showing the outcome
        status = plain(dialog.query_one("#statement-status", Static))
        assert "Quedó en cola" in status and "connection refused" in status and "#1" in status
        assert dialog.query_one("#send", Button).disabled
        assert str(dialog.query_one("#close", Button).label) == "Cerrar"
        await pilot.press("escape")
        await settle(pilot)
        assert results == [True]  # queued counts as done
        assert outbox(db) == [("queued", 1)]

        # the outbox screen lists it with its error; r retries once the server is back
        ((label, help_, open_outbox),) = list(palette_commands(app))
        assert (label, help_) == ("cmd.mail_outbox", "cmd.mail_outbox_help")
        open_outbox()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        table = screen.query_one(VirtualTable)
        assert table.row_count == 1
        key, values = table.get_cached_row(0)  # type: ignore[misc]
        assert key == 1 and str(values[1]) == "En cola" and "connection refused" in str(values[6])
        assert str(values[2]) == f"C-0042 {HOSTILE}"
        assert plain(screen.query_one("#outbox-count", Label)) == "Mensajes: 1 · pendientes: 1"
        with server:
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("r")  # a second retry finds nothing to send
            await settle(pilot)
            assert len(server.messages) == 1
        assert "no hay mensajes pendientes" in plain(screen.query_one("#outbox-status", Static))
        _, values = table.get_cached_row(0)  # type: ignore[misc]
        assert str(values[1]) == "Enviado"
    assert outbox(db) == [("sent", 2)]
    assert len(statement_activity(db, cid)) == 1


async def test_customer_without_email_cannot_be_sent(db: Database) -> None:
    cid = make_customer(db, emails="")
    app = make_app(db, free_port())
    async with app.run_test(size=SIZE) as pilot:
        results: list[object] = []
        app.push_screen(StatementDialog(cid), results.append)
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StatementDialog)
        assert "no tiene correo de facturación" in plain(dialog.query_one("#statement-status", Static))
        assert dialog.query_one("#send", Button).disabled
        assert dialog.meta_text("to") == "—"
        assert "$10,000.00 MXN" in dialog.preview_text()  # the preview still shows
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert results == [False]
    assert outbox(db) == []
