"""Deliver a built message over SMTP (smtplib), with errors an operator and the outbox can act on.

:class:`MailDeliveryError` says *why* in one line and whether retrying can help
(``permanent=False``: connection refused, timeout, 4xx) or not (``permanent=True``: 5xx, bad
credentials, TLS refused). The password never appears in any error text: it is not formatted into
messages, and any server reply that echoes it is masked.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from arterm.config import SmtpSettings

log = logging.getLogger("arterm.mail")

__all__ = ["Accepted", "MailDeliveryError", "send_message"]


class Accepted(str):
    """The Message-ID of a message the server accepted. ``refused``: the recipients it refused while
    accepting others, ``{address: "550 No such user"}`` (empty when every recipient was accepted)."""

    refused: dict[str, str]

    def __new__(cls, message_id: str, refused: dict[str, str] | None = None) -> Accepted:
        obj = super().__new__(cls, message_id)
        obj.refused = dict(refused or {})
        return obj


class MailDeliveryError(Exception):
    """The message was not delivered. ``reason`` is one line for the operator / outbox row."""

    def __init__(self, reason: str, permanent: bool, *, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"MailDeliveryError({self.reason!r}, permanent={self.permanent}, code={self.code})"


def _reply_text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


def _mask(text: str, secret: str) -> str:
    return text.replace(secret, "********") if secret else text


def send_message(msg: EmailMessage, *, settings: SmtpSettings, envelope_to: list[str]) -> Accepted:
    """Send ``msg`` to ``envelope_to`` (To + Cc + Bcc) and return its Message-ID.

    ``settings.security``: ``none`` (plain), ``starttls`` (upgrade, certificate verified) or ``ssl``
    (implicit TLS, usually port 465). Logs in when ``settings.username`` is set.

    Some recipients refused while others accepted: the message *was* sent, so this returns
    normally (retrying would duplicate it), with the refused addresses in ``Accepted.refused`` and
    a logged warning.
    """
    try:
        return _send(msg, settings=settings, envelope_to=envelope_to)
    except MailDeliveryError as exc:
        # Belt and braces: whatever path built the reason, the password never leaves this function.
        exc.reason = _mask(exc.reason, settings.password)
        exc.args = (exc.reason,)
        raise


def _send(msg: EmailMessage, *, settings: SmtpSettings, envelope_to: list[str]) -> Accepted:
    recipients = [addr for addr in envelope_to if addr]
    if not recipients:
        raise MailDeliveryError("no recipients", permanent=True)
    sender = parseaddr(settings.sender)[1] or parseaddr(str(msg.get("From", "")))[1]
    if not sender:
        raise MailDeliveryError("no sender address configured ([smtp] sender)", permanent=True)
    message_id = str(msg.get("Message-ID", ""))
    where = f"{settings.host}:{settings.port}"
    security = settings.security

    if security not in ("none", "starttls", "ssl"):
        raise MailDeliveryError(f"unknown SMTP security {security!r} (none, starttls or ssl)", permanent=True)

    client: smtplib.SMTP | None = None
    stage = "connecting to"
    healthy = True  # False once the connection is broken: then close without QUIT (no second timeout)
    try:
        if security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        stage = "talking to"
        client.ehlo()
        if security == "starttls":
            if not client.has_extn("starttls"):
                raise MailDeliveryError(
                    f"SMTP server {where} does not offer STARTTLS; use security = \"ssl\" or \"none\"",
                    permanent=True,
                )
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.username:
            stage = "logging in to"
            try:
                client.login(settings.username, settings.password)
            except smtplib.SMTPAuthenticationError as exc:
                raise MailDeliveryError(
                    f"SMTP login refused for user {settings.username!r} at {where}: "
                    f"{exc.smtp_code} {_reply_text(exc.smtp_error)}",
                    permanent=True,
                    code=exc.smtp_code,
                ) from None
            except smtplib.SMTPNotSupportedError:
                raise MailDeliveryError(
                    f"SMTP server {where} does not offer AUTH (login needs starttls or ssl?)", permanent=True
                ) from None
        stage = "sending to"
        refused = client.send_message(msg, from_addr=sender, to_addrs=recipients)
        refused_text = {addr: f"{code} {_reply_text(text)}" for addr, (code, text) in (refused or {}).items()}
        if refused_text:
            log.warning(
                "message %s accepted for some recipients but refused for: %s",
                message_id,
                "; ".join(f"{addr} ({reply})" for addr, reply in refused_text.items()),
            )
        return Accepted(message_id, refused_text)
    except MailDeliveryError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {_reply_text(text)}" for addr, (code, text) in exc.recipients.items())
        raise MailDeliveryError(
            f"all recipients refused by {where}: {detail}",
            permanent=all(500 <= c < 600 for c in codes),
            code=codes[0] if codes else None,
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailDeliveryError(
            f"sender {sender} refused by {where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            permanent=500 <= exc.smtp_code < 600,
            code=exc.smtp_code,
        ) from None
    except smtplib.SMTPDataError as exc:
        raise MailDeliveryError(
            f"message refused by {where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            permanent=500 <= exc.smtp_code < 600,
            code=exc.smtp_code,
        ) from None
    except smtplib.SMTPResponseException as exc:  # greeting / EHLO / STARTTLS refused, ...
        raise MailDeliveryError(
            f"SMTP error {stage} {where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            permanent=500 <= exc.smtp_code < 600,
            code=exc.smtp_code,
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        healthy = False
        if "timed out" in str(exc):  # smtplib turns a read timeout into a disconnect
            reason = f"timed out after {settings.timeout:g} s {stage} {where} (no reply from the server)"
        else:
            reason = f"SMTP server {where} closed the connection ({exc or 'no reason given'})"
        raise MailDeliveryError(reason, permanent=False) from None
    except ssl.SSLCertVerificationError as exc:
        healthy = False
        raise MailDeliveryError(
            f"TLS certificate of {where} not trusted: {exc.verify_message or exc.reason}", permanent=True
        ) from None
    except ssl.SSLError as exc:
        healthy = False
        raise MailDeliveryError(
            f"TLS handshake with {where} failed ({exc.reason or exc}); check [smtp] security and port",
            permanent=True,
        ) from None
    except ConnectionRefusedError:
        raise MailDeliveryError(
            f"connection refused by {where}: is the SMTP server running and the port right?", permanent=False
        ) from None
    except (TimeoutError, socket.timeout):
        healthy = False
        raise MailDeliveryError(
            f"timed out after {settings.timeout:g} s {stage} {where}", permanent=False
        ) from None
    except socket.gaierror as exc:
        raise MailDeliveryError(
            f"cannot resolve SMTP host {settings.host!r}: {exc.strerror or exc}", permanent=False
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        healthy = False
        raise MailDeliveryError(f"SMTP error {stage} {where}: {exc}", permanent=False) from None
    finally:
        if client is not None:
            _close(client, polite=healthy)


def _close(client: smtplib.SMTP, *, polite: bool) -> None:
    """QUIT when the session is healthy; otherwise (or if QUIT fails) just drop the socket."""
    if polite:
        try:
            client.quit()
            return
        except (smtplib.SMTPException, OSError):
            pass
    client.close()
