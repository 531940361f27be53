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


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals as on Linux")
def test_quitting_the_app_while_it_waits_for_the_server_leaves_quietly(silent_port: int, tmp_path) -> None:
    """The opening fails after the operator quit: nobody is left to tell, and nothing is printed
    (it was a traceback of ``call_from_thread`` on an app no longer running)."""
    from test_first_frame import Run

    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "USER": "tester", "LANG": "es_MX.UTF-8",
           "TERM": "xterm-256color", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "ARTERM_DATA_DIR": str(tmp_path / "data"),
           "ARTERM_DATABASE_URL": f"postgresql://u:pw@127.0.0.1:{silent_port}/x?connect_timeout=3"}
    run = Run(env)
    run.read_until(lambda r: "Clientes" in r.plain())
    assert run.quit() == 0  # waits for the process: it ends once the opening has given up
    assert "Traceback" not in run.plain() and "RuntimeError" not in run.plain()
