"""Statement delivery against a real SMTP server on loopback (aiosmtpd), security = "none"."""

from __future__ import annotations

import dataclasses
import socket
import traceback
from collections.abc import Iterator

import pytest

from arterm.mail import (
    MailDeliveryError,
    Statement,
    build_message,
    build_subject,
    envelope_recipients,
    sample_statement,
    send_message,
)

try:  # tests/ as a package
    from .smtp_server import SmtpTestServer, free_port
except ImportError:  # rootdir-relative imports (no __init__.py)
    from smtp_server import SmtpTestServer, free_port  # type: ignore[no-redef]

HOSTILE = "<script>alert(1)</script> & [bold]Co[/]"
HOSTILE_HTML = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [bold]Co[/]"
SENDER = "cobranza@refaccionesbajio.mx"
OPERATOR = "maria.garcia@refaccionesbajio.mx"
ARCHIVE = "archivo@refaccionesbajio.mx"
PASSWORD = "s3cr3t-Pa55word!"


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as srv:
        yield srv


def hostile_statement(language: str = "es") -> Statement:
    st = sample_statement(language)  # type: ignore[arg-type]
    return dataclasses.replace(st, customer=dataclasses.replace(st.customer, name=HOSTILE))


def statement_message(st: Statement):  # -> (EmailMessage, envelope)
    msg = build_message(st, sender=SENDER, to=list(st.customer.emails), cc=[OPERATOR], bcc=[ARCHIVE])
    return msg, envelope_recipients(msg, [ARCHIVE])


def test_statement_arrives_complete(server: SmtpTestServer) -> None:
    st = hostile_statement("es")
    msg, envelope = statement_message(st)

    message_id = send_message(msg, settings=server.settings(), envelope_to=envelope)

    assert len(server.messages) == 1
    got = server.messages[0]
    assert got.mail_from == SENDER
    assert list(got.rcpt_tos) == ["pagos@nandu.example", "tesoreria@nandu.example", OPERATOR, ARCHIVE]
    received = got.message
    assert received["Message-ID"] == message_id == msg["Message-ID"]
    assert received["Subject"] == build_subject(st)
    assert [a.addr_spec for a in received["To"].addresses] == ["pagos@nandu.example", "tesoreria@nandu.example"]
    assert [a.addr_spec for a in received["Cc"].addresses] == [OPERATOR]
    assert received["From"].addresses[0].display_name == "Refacciones del Bajío SA de CV"
    # BCC only in the envelope: no header, nowhere in what the recipients receive
    assert received["Bcc"] is None
    assert ARCHIVE.encode() not in got.data

    assert received.get_content_type() == "multipart/alternative"
    text_part = received.get_body(("plain",))
    html_part = received.get_body(("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
    text = text_part.get_content()
    html = html_part.get_content()
    for body in (text, html):
        assert "$92,560.00 MXN" in body
        assert "$4,199.50 USD" in body
        assert "01/11/2026" in body and "30/11/2026" in body
        assert "Constructora" not in body  # the name was replaced by the hostile one
        assert "María García López" in body
    assert HOSTILE in text
    assert HOSTILE_HTML in html
    assert HOSTILE not in html and "<script" not in html


def test_english_statement_arrives_in_english(server: SmtpTestServer) -> None:
    st = sample_statement("en")
    msg, envelope = statement_message(st)
    send_message(msg, settings=server.settings(), envelope_to=envelope)
    received = server.messages[0].message
    assert received["Subject"] == "Account statement as of 2026-11-30 — Constructora Ñandú SA de CV (C-0042)"
    assert received["Content-Language"] == "en"
    assert "Closing balance on 2026-11-30" in received.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("refusal", "permanent"),
    [("550 5.1.1 Mailbox unavailable", True), ("451 4.3.0 Try again later", False)],
)
def test_recipients_refused(refusal: str, permanent: bool) -> None:
    with SmtpTestServer(refuse_rcpt=refusal) as server:
        msg, envelope = statement_message(sample_statement())
        with pytest.raises(MailDeliveryError) as info:
            send_message(msg, settings=server.settings(), envelope_to=envelope)
    err = info.value
    assert err.permanent is permanent
    assert err.code == int(refusal[:3])
    assert "recipients refused" in err.reason and "pagos@nandu.example" in err.reason and refusal[:3] in err.reason
    assert server.messages == []


@pytest.mark.parametrize(
    ("refusal", "permanent"),
    [("554 5.7.1 Message rejected as spam", True), ("452 4.3.1 Insufficient system storage", False)],
)
def test_data_refused(refusal: str, permanent: bool) -> None:
    with SmtpTestServer(refuse_data=refusal) as server:
        msg, envelope = statement_message(sample_statement())
        with pytest.raises(MailDeliveryError) as info:
            send_message(msg, settings=server.settings(), envelope_to=envelope)
    assert info.value.permanent is permanent
    assert info.value.code == int(refusal[:3])
    assert "message refused" in info.value.reason and refusal[4:] in info.value.reason


def test_server_down_is_transient_and_recovers(server: SmtpTestServer) -> None:
    msg, envelope = statement_message(sample_statement())
    settings = server.settings()
    server.stop()
    with pytest.raises(MailDeliveryError) as info:
        send_message(msg, settings=settings, envelope_to=envelope)
    assert info.value.permanent is False
    assert info.value.reason.startswith(f"connection refused by 127.0.0.1:{server.port}")

    server.start()  # same port: the retry goes through
    assert send_message(msg, settings=settings, envelope_to=envelope) == msg["Message-ID"]
    assert len(server.messages) == 1


def test_closed_port_is_transient() -> None:
    port = free_port()
    msg, envelope = statement_message(sample_statement())
    settings = SmtpTestServer(port=port).settings(timeout=2.0)  # never started
    with pytest.raises(MailDeliveryError, match=f"connection refused by 127.0.0.1:{port}") as info:
        send_message(msg, settings=settings, envelope_to=envelope)
    assert info.value.permanent is False


def test_silent_server_times_out() -> None:
    """A port that accepts TCP but never sends the SMTP greeting."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        settings = SmtpTestServer(port=port).settings(timeout=0.5)
        msg, envelope = statement_message(sample_statement())
        with pytest.raises(MailDeliveryError) as info:
            send_message(msg, settings=settings, envelope_to=envelope)
    assert info.value.permanent is False
    assert info.value.reason.startswith(f"timed out after 0.5 s connecting to 127.0.0.1:{port}")


def test_login_works_and_failure_never_shows_the_password() -> None:
    with SmtpTestServer(users={"cobranza": PASSWORD}) as server:
        msg, envelope = statement_message(sample_statement())
        send_message(msg, settings=server.settings(username="cobranza", password=PASSWORD), envelope_to=envelope)
        assert len(server.messages) == 1

        wrong = "not-" + PASSWORD
        with pytest.raises(MailDeliveryError) as info:
            send_message(msg, settings=server.settings(username="cobranza", password=wrong), envelope_to=envelope)
    err = info.value
    assert err.permanent is True
    assert err.code == 535
    assert "login refused for user 'cobranza'" in err.reason
    rendered = [str(err), repr(err), *map(str, err.args), "".join(traceback.format_exception(err))]
    for text in rendered:
        assert wrong not in text and PASSWORD not in text
    assert server.auth_attempts and set(server.auth_attempts) == {"cobranza"}  # smtplib tries PLAIN, then LOGIN
    assert len(server.messages) == 1


def test_starttls_not_offered_is_permanent(server: SmtpTestServer) -> None:
    msg, envelope = statement_message(sample_statement())
    with pytest.raises(MailDeliveryError, match="does not offer STARTTLS") as info:
        send_message(msg, settings=server.settings(security="starttls"), envelope_to=envelope)
    assert info.value.permanent is True
    assert server.messages == []


def test_no_recipients_is_permanent(server: SmtpTestServer) -> None:
    msg, _ = statement_message(sample_statement())
    with pytest.raises(MailDeliveryError, match="no recipients") as info:
        send_message(msg, settings=server.settings(), envelope_to=[])
    assert info.value.permanent is True
