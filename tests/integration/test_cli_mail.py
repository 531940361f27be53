"""``arterm statement``, ``arterm statements send`` and ``arterm outbox`` on SQLite and PostgreSQL,
delivering to a real SMTP server on loopback."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from cli_helpers import ArtermCli

try:
    from .smtp_server import SmtpTestServer, free_port
    from .test_statement_query import build_ledger
except ImportError:
    from smtp_server import SmtpTestServer, free_port  # type: ignore[no-redef]
    from test_statement_query import build_ledger  # type: ignore[no-redef]

HOSTILE = "<script>alert(1)</script> & [bold]Co[/]"


def Cli(url: str, config: Path, monkeypatch: pytest.MonkeyPatch) -> ArtermCli:  # noqa: N802
    return ArtermCli(url, monkeypatch, options=("--config", str(config), "--as", "tester"))


def write_config(path: Path, port: int, *, language: str = "es") -> Path:
    path.write_text(f"""
[company]
name = "Refacciones del Bajío SA de CV"
rfc = ["EKU9003173C9"]
payment_instructions = "BBVA México · CLABE 012225001234567897"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "cobranza@refaccionesbajio.mx"
archive_bcc = "archivo@refaccionesbajio.mx"
timeout = 5

[ui]
language = "{language}"
""", encoding="utf-8")
    return path


@pytest.fixture
def env(any_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    port = free_port()
    database = Database(any_db_url)
    ids = build_ledger(database)
    with database.write() as s:
        ids["nomail"] = L.create_customer(s, actor="tester", name="Sin Correo SA", rfc="XAXX010101000",
                                          identifier="C-0099")
        L.issue_document(s, actor="tester", customer_id=ids["nomail"], lines=[L.LineInput("x", "1", "10.00", "0")],
                         issue_date=date(2026, 11, 1))
        L.update_customer(s, actor="tester", customer_id=ids["customer"], name=HOSTILE)
    database.dispose()
    cli_ = Cli(any_db_url, write_config(tmp_path / "config.toml", port), monkeypatch)
    yield cli_, SmtpTestServer(port=port), ids, any_db_url


def outbox_rows(url: str) -> list[Any]:
    database = Database(url)
    try:
        with database.read() as s:
            return s.execute(sa.select(tables.mail_outbox).order_by(tables.mail_outbox.c.id)).all()
    finally:
        database.dispose()


def test_statement_prints_text_and_html(env) -> None:  # type: ignore[no-untyped-def]
    cli_, _server, _ids, url = env
    out = cli_.ok("statement", "C-0042", "--from", "01/10/2026", "--to", "2026-10-31")
    assert out.startswith("ESTADO DE CUENTA\n")
    assert f"Cliente:        {HOSTILE}" in out  # verbatim in text
    assert "Periodo:        01/10/2026 al 31/10/2026" in out
    assert "Saldo inicial al 01/10/2026                                     $11,000.00 MXN" in out
    assert "Saldo final al 31/10/2026                                        $2,820.00 MXN" in out
    assert "DÓLARES ESTADOUNIDENSES (USD)" in out and "$600.00 USD" in out
    assert "CLABE 012225001234567897" in out
    html = cli_.ok("statement", "C-0042", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [bold]Co[/]" in html and "<script" not in html
    assert outbox_rows(url) == []  # printing sends nothing

    bad = cli_.invoke("statement", "C-0042", "--from", "2026-11-02", "--to", "2026-11-01")
    assert bad.exit_code == 2 and "posterior" in bad.stderr
    bad = cli_.invoke("statement", "C-0042", "--from", "31/02/2026")
    assert bad.exit_code == 2


def test_statement_send_and_server_down_then_retry(env) -> None:  # type: ignore[no-untyped-def]
    cli_, server, _ids, url = env
    # server down: queued with the error, exit 1
    down = cli_.invoke("statement", "C-0042", "--send")
    assert down.exit_code == 1, down.stdout
    assert "Quedó en cola" in down.stderr and "connection refused" in down.stderr and "#1" in down.stderr
    listed = json.loads(cli_.ok("outbox", "--json"))
    assert listed["pending"] == 1
    (msg,) = listed["messages"]
    assert msg["status"] == "queued" and msg["attempts"] == 1 and "connection refused" in msg["last_error"]
    assert msg["to"] == ["pagos@nandu.example", "tesoreria@nandu.example"]
    assert msg["cc"] == ["maria.garcia@refaccionesbajio.mx"] and msg["bcc"] == ["archivo@refaccionesbajio.mx"]
    human = cli_.ok("outbox")
    assert "En cola" in human and "connection refused" in human

    with server:
        retry = cli_.ok("outbox", "--retry")
        assert "enviados 1" in retry
        again = cli_.ok("outbox", "--retry", "--json")
        assert json.loads(again)["retry"]["results"] == []
        assert len(server.messages) == 1
        got = server.messages[0]
        assert list(got.rcpt_tos) == ["pagos@nandu.example", "tesoreria@nandu.example",
                                      "maria.garcia@refaccionesbajio.mx", "archivo@refaccionesbajio.mx"]
        assert got.message["Cc"] == "maria.garcia@refaccionesbajio.mx"

        sent = cli_.invoke("statement", "C-0042", "--send", "--from", "2026-10-01", "--to", "2026-10-31")
        assert sent.exit_code == 0, sent.stderr
        assert "Enviado a pagos@nandu.example, tesoreria@nandu.example · cc maria.garcia@refaccionesbajio.mx" in sent.stdout
        assert len(server.messages) == 2
        assert "$2,820.00 MXN" in server.messages[1].message.get_body(("plain",)).get_content()
    rows = outbox_rows(url)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 2), ("sent", 1)]

    nomail = cli_.invoke("statement", "C-0099", "--send")
    assert nomail.exit_code == 1 and "C-0099 Sin Correo SA no tiene correo de facturación" in nomail.stderr
    assert len(outbox_rows(url)) == 2

    notuncertain = cli_.invoke("outbox", "--mark-sent", "1")
    assert notuncertain.exit_code == 1 and "solo un mensaje incierto" in notuncertain.stderr


def test_statements_send_dry_run_and_real(env) -> None:  # type: ignore[no-untyped-def]
    cli_, server, ids, url = env
    dry = cli_.ok("statements", "send", "--dry-run")
    assert "C-0042" in dry and "maria.garcia@refaccionesbajio.mx" in dry
    assert "se enviarían 1 · sin correo 1" in dry
    assert "C-0099 Sin Correo SA no tiene correo" in dry
    data = json.loads(cli_.ok("statements", "send", "--dry-run", "--json"))
    assert [w["customer"] for w in data["would_send"]] == ["C-0042"]
    assert [n["customer"] for n in data["no_email"]] == ["C-0099"]
    assert outbox_rows(url) == [] and server.messages == []

    assert "ningún cliente" in cli_.invoke("statements", "send", "--assigned", "nadie").stderr
    with server:
        real = cli_.invoke("statements", "send", "--overdue")
        assert real.exit_code == 0, real.stderr
        assert real.stdout.strip() == "enviados 1 · en cola 0 · fallidos 0 · sin correo 0"  # C-0099: not overdue
        assert len(server.messages) == 1
    (row,) = outbox_rows(url)
    assert row.status == "sent" and row.customer_id == ids["customer"]
    database = Database(url)
    try:
        with database.read() as s:
            kinds = s.execute(sa.select(tables.activity.c.detail).where(
                tables.activity.c.customer_id == ids["customer"], tables.activity.c.kind == "statement_sent")).scalars().all()
    finally:
        database.dispose()
    assert len(kinds) == 1 and "cc: maria.garcia@refaccionesbajio.mx" in kinds[0]


def test_statement_refused_for_the_customer_but_accepted_for_the_cc_says_so(env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The server refuses the customer's addresses (550) and accepts the operator's CC: the message was
    sent (never retried: the CC has it), but the operator, the outbox row and the customer's Activity
    must say who did not get it (the CLI said only "Enviado a pagos@..., tesoreria@..." and exit 0)."""
    try:
        from .smtp_server import refuse_recipients
    except ImportError:
        from smtp_server import refuse_recipients  # type: ignore[no-redef]

    refuse_recipients(monkeypatch, "@nandu.example")
    cli_, server, ids, url = env
    with server:
        sent = cli_.invoke("statement", "C-0042", "--send")
        assert len(server.messages) == 1  # the CC and the archive got it
        assert list(server.messages[0].rcpt_tos) == ["maria.garcia@refaccionesbajio.mx", "archivo@refaccionesbajio.mx"]
        retry = cli_.ok("outbox", "--retry", "--json")
        assert json.loads(retry)["retry"]["results"] == [] and len(server.messages) == 1  # never sent twice
    assert sent.exit_code == 0, sent.stderr
    assert "rechazado por el servidor: pagos@nandu.example (550 5.1.1 No such user); " \
           "tesoreria@nandu.example (550 5.1.1 No such user)" in sent.stderr
    (row,) = outbox_rows(url)
    assert row.status == "sent" and "pagos@nandu.example (550" in row.last_error
    database = Database(url)
    try:
        with database.read() as s:
            details = s.execute(sa.select(tables.activity.c.detail)
                                .where(tables.activity.c.customer_id == ids["customer"],
                                       tables.activity.c.kind == "statement_sent")).scalars().all()
    finally:
        database.dispose()
    assert len(details) == 1 and "rechazado por el servidor: pagos@nandu.example" in details[0]


RAW_NAME = "Ferre\x1b[31mtería \u202eAS ed\u202c Ñandú\x9b2J\ttab\x07"


def test_control_characters_stored_in_a_name_never_reach_mail_or_json(env) -> None:  # type: ignore[no-untyped-def]
    """A name stored before input was cleaned (written here with SQL, past the ledger's checks)
    went raw into the Subject, the text part and ``--json`` output: ESC sequences and bidi
    overrides that a mail client or terminal acts on."""
    cli_, server, ids, url = env
    database = Database(url)
    try:
        with database.write() as s:
            s.execute(tables.customer.update().where(tables.customer.c.id == ids["customer"]).values(name=RAW_NAME))
    finally:
        database.dispose()
    with server:
        sent = cli_.invoke("statement", "C-0042", "--send", "--from", "2026-10-01", "--to", "2026-10-31")
        assert sent.exit_code == 0, sent.stderr
        message = server.messages[-1].message
    subject = str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (subject, text, html):
        assert not {"\x1b", "\u202e", "\u202c", "\x9b", "\x07", "\t"} & set(part), part
    assert "Ferretería AS ed Ñandú tab\ufffd" in subject  # the letters stay, literally, on one line
    assert "Ferretería AS ed Ñandú tab\ufffd" in text and "Ferretería AS ed Ñandú tab\ufffd" in html
    assert outbox_rows(url)[-1].subject == subject

    out = cli_.ok("customers", "Ñandú", "--json")
    assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out  # nothing a terminal acts on
    assert "\\u001b" in out and "\\u202e" in out and "\\u009b" in out  # escaped, visible
    assert [c["name"] for c in json.loads(out)["customers"]] == [RAW_NAME]  # and still exactly what is stored
