"""A real SMTP server on loopback for tests (aiosmtpd ``Controller`` in a thread).

    with SmtpTestServer() as server:
        send_message(msg, settings=server.settings(), envelope_to=[...])
        received = server.messages[0]          # ReceivedMessage: envelope + parsed message

Options: ``refuse_rcpt`` / ``refuse_data`` (a full reply such as ``"550 5.1.1 No such user"`` or
``"451 4.3.0 Try again later"``), ``delay`` (seconds to wait before answering DATA: a slow server,
so that concurrent senders really overlap), ``users`` (enables AUTH LOGIN/PLAIN without TLS; wrong
credentials get 535). ``stop()`` closes the port (connections are then refused) and ``start()``
opens it again on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from arterm.config import SmtpSettings

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)  # type: ignore[return-value]


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.server.refuse_rcpt:
            return self.server.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        if self.server.refuse_data:
            return self.server.refuse_data
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self.server._lock:
            self.server.messages.append(ReceivedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), data))
        return "250 Message accepted for delivery"


class SmtpTestServer:
    def __init__(
        self,
        *,
        host: str = HOST,
        port: int | None = None,
        refuse_rcpt: str | None = None,
        refuse_data: str | None = None,
        users: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data
        self.users = users
        self.delay = delay
        self.messages: list[ReceivedMessage] = []
        self.auth_attempts: list[str] = []  # usernames tried
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # -- lifecycle
    def start(self) -> SmtpTestServer:
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {}
        if self.users is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        # A Controller's event loop is closed by stop(), so every start gets a new one.
        controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, server_hostname="smtp.test", **kwargs
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers
    def settings(self, **overrides: Any) -> SmtpSettings:
        """SmtpSettings pointing at this server (plain SMTP, short timeout)."""
        base = SmtpSettings(
            host=self.host, port=self.port, security="none", sender="cobranza@refaccionesbajio.mx", timeout=5.0
        )
        return replace(base, **overrides)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        username = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        self.auth_attempts.append(username)
        ok = self.users is not None and self.users.get(username) == password
        return AuthResult(success=ok, handled=False)


def refuse_recipients(monkeypatch: Any, domain: str, reply: str = "550 5.1.1 No such user") -> None:
    """Make every test server refuse the recipients at ``domain`` (RCPT answered ``reply``) and
    accept the others: a message sent to some recipients only."""
    original = _Handler.handle_RCPT

    async def refuse(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.endswith(domain):
            return reply
        return await original(self, server, session, envelope, address, rcpt_options)

    monkeypatch.setattr(_Handler, "handle_RCPT", refuse)
