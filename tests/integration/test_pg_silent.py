"""A PostgreSQL server that accepts the connection and never answers (a stuck proxy, a host that
drops packets after the handshake): opening the database is an error after ``connect_timeout``,
never a command or a screen that waits for ever. Needs no PostgreSQL: the "server" is a socket
that listens and says nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from arterm.db import engine
from arterm.db.engine import DatabaseError, open_database


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # connections complete in the kernel's backlog; nothing is ever sent
        yield listener.getsockname()[1]


def opens(url: str) -> BaseException | None:
    """What ``open_database(url)`` raised, from a thread given 60 s (it must end, whatever it says)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            open_database(url).dispose()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "still waiting for a server that never answers"
    return outcome[0]


def test_a_silent_server_is_an_error_after_the_default_timeout(silent_port: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "PG_CONNECT_TIMEOUT", 1)
    error = opens(f"postgresql://arterm:pw@127.0.0.1:{silent_port}/arterm")
    assert isinstance(error, DatabaseError)
    assert str(error).startswith("cannot open database:") and "timeout" in str(error)


def test_a_timeout_in_the_url_wins(silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "PG_CONNECT_TIMEOUT", 3600)  # would outlast the thread's 60 s
    error = opens(f"postgresql://arterm:pw@127.0.0.1:{silent_port}/arterm?connect_timeout=1")
    assert isinstance(error, DatabaseError) and "timeout" in str(error)


def test_the_command_line_says_so_and_fails(silent_port: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arterm", "--db", f"postgresql://arterm:pw@127.0.0.1:{silent_port}/x?connect_timeout=1",
         "balance", "garcia"], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ARTERM_NO_PREFETCH": "1"})
    assert done.returncode != 0
    assert "cannot open database" in done.stderr and "timeout" in done.stderr
    assert "Traceback" not in done.stderr
