"""The first frame kept for the next start (``arterm.launch``), on a real pseudo-terminal.

The app is started as a user starts it (``python -m arterm``, the same entry point as the
``arterm`` script) under a pty; what it writes is read back and its terminal modes checked.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from ledger_helpers import customer

from arterm.db.engine import Database

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals as on Linux")

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b.")
MOUSE_ON = b"\x1b[?1000h"  # Textual's driver switches the mouse on as it starts: the app is running


class Run:
    """``python -m arterm`` on a pty of ``size`` (columns, lines)."""

    def __init__(self, env: dict[str, str], size: tuple[int, int] = (100, 30), args: tuple[str, ...] = ()) -> None:
        self.raw = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the size before anything reads it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
                os.execve(sys.executable, [sys.executable, "-m", "arterm", *args], env)
            finally:
                os._exit(127)
        self.modes_before = termios.tcgetattr(self.fd)

    def plain(self) -> str:
        return ANSI.sub(b"", self.raw).decode("utf-8", "replace")

    def read_until(self, predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; screen so far:\n{self.plain()[-3000:]}")
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.raw += chunk

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def quit(self) -> int:
        self.send(b"\x11")  # ctrl+q
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.modes_after = termios.tcgetattr(self.fd)
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.05)
                if ready:
                    self.raw += os.read(self.fd, 65536)
            except OSError:
                pass
        os.kill(self.pid, 9)
        raise AssertionError("arterm did not quit")

    def before_app(self) -> bytes:
        """What was written before the app's driver started."""
        return self.raw.split(MOUSE_ON, 1)[0]


@pytest.fixture
def env(tmp_path: Path, sqlite_db: Database) -> dict[str, str]:
    customer(sqlite_db, name="Ferretería Azteca SA de CV", rfc="EKU9003173C9")
    customer(sqlite_db, name="Abarrotes López", rfc="KIJ0906199R1")
    config = tmp_path / "arterm.toml"
    config.write_text('[ui]\nlanguage = "es"\n', encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "USER": "tester", "LANG": "es_MX.UTF-8",
        "TERM": "xterm-256color", "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "ARTERM_DATA_DIR": str(tmp_path / "data"), "ARTERM_CONFIG": str(config),
        "ARTERM_DATABASE_URL": sqlite_db.url,
    }


def started(run: Run) -> bool:
    return "2 clientes" in run.plain()


def kept(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "arterm").glob("first-frame-*"))


def test_the_next_start_shows_the_kept_frame_before_the_app_and_keeps_what_is_typed(
        env: dict[str, str], tmp_path: Path) -> None:
    first = Run(env)
    first.read_until(started)
    assert b"Clientes" not in first.before_app()  # nothing kept yet: the app paints first
    first.read_until(lambda r: len(kept(tmp_path)) == 4, timeout=10)
    assert first.quit() == 0
    assert first.modes_after == first.modes_before
    frames = kept(tmp_path)  # today's, and the next three days' (the first start of a day shows one too)
    for frame, picture in zip(frames, pictures(frames), strict=True):
        assert frame.stat().st_mode & 0o777 == 0o600
        assert "2 clientes" not in picture  # no data in it

    second = Run(env)
    second.read_until(lambda r: b"Clientes" in r.raw)
    assert b"Clientes" in second.before_app()  # the kept frame, before the app started
    # Typed while only the picture is on screen: not echoed, and reaches the app, Enter as
    # Enter (opens the match) -- not as a line feed, as a terminal in its usual mode sends it.
    second.send(b"azteca\r")
    second.read_until(lambda r: MOUSE_ON in r.raw)
    assert b"azteca" not in second.before_app()
    second.read_until(lambda r: "Saldos" in r.plain() and "Ferretería Azteca" in r.plain())
    assert "Abarrotes López" not in ANSI.sub(b"", second.raw.rsplit(b"Saldos", 1)[-1]).decode("utf-8", "replace")
    assert second.quit() == 0
    assert second.modes_after == second.modes_before  # echo and line editing back, as before the start


def pictures(frames: list[Path]) -> list[str]:
    return [ANSI.sub(b"", f.read_bytes().split(b"\n\x00\n", 1)[1]).decode("utf-8", "replace") for f in frames]


def by_day(tmp_path: Path) -> dict[int, Path]:
    """The kept frames by how many days from today their date line says, checking each of today
    and the next three days has exactly one."""
    frames = kept(tmp_path)
    found = {}
    for ahead in range(4):
        line = f"tester · Al {date.today() + timedelta(days=ahead):%d/%m/%Y}"
        (found[ahead],) = [f for f, p in zip(frames, pictures(frames), strict=True) if line in p]
    assert len(frames) == 4
    return found


def test_the_next_days_frames_are_kept_again_by_a_start_that_finds_them_missing(
        env: dict[str, str], tmp_path: Path) -> None:
    """A start that shows today's frame does not write it again, nor the next days' while
    tomorrow's is there; when it is missing (the last start was days ago), it keeps them."""
    first = Run(env)
    first.read_until(started)
    first.read_until(lambda r: len(kept(tmp_path)) == 4, timeout=10)
    assert first.quit() == 0
    frames = by_day(tmp_path)
    for ahead in (1, 2, 3):
        frames[ahead].unlink()
    today = frames[0].stat().st_mtime_ns

    second = Run(env)
    second.read_until(started)
    assert b"Clientes" in second.before_app()
    second.read_until(lambda r: len(kept(tmp_path)) == 4, timeout=10)
    assert second.quit() == 0
    frames = by_day(tmp_path)
    assert frames[0].stat().st_mtime_ns == today  # shown, so not written again
    stamps = {f: f.stat().st_mtime_ns for f in kept(tmp_path)}

    third = Run(env)
    third.read_until(started)
    assert b"Clientes" in third.before_app()
    time.sleep(0.5)
    assert third.quit() == 0
    assert {f: f.stat().st_mtime_ns for f in kept(tmp_path)} == stamps  # tomorrow's is there: nothing written


def test_no_kept_frame_for_another_size_a_changed_config_or_when_turned_off(
        env: dict[str, str], tmp_path: Path) -> None:
    first = Run(env)
    first.read_until(started)
    first.read_until(lambda r: bool(kept(tmp_path)), timeout=10)
    assert first.quit() == 0

    other_size = Run(env, size=(90, 30))
    other_size.read_until(started)
    assert b"Clientes" not in other_size.before_app()
    assert other_size.quit() == 0

    turned_off = Run({**env, "ARTERM_NO_FIRST_FRAME": "1"})
    turned_off.read_until(started)
    assert b"Clientes" not in turned_off.before_app()
    assert turned_off.quit() == 0

    config = Path(env["ARTERM_CONFIG"])
    config.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")  # a kept frame in Spanish is stale
    english = Run(env)
    english.read_until(lambda r: "2 customers" in r.plain())
    assert b"Clientes" not in english.before_app() and b"Customers" not in english.before_app()
    assert english.quit() == 0


def test_what_is_written_before_the_app_takes_over_is_not_lost(env: dict[str, str], tmp_path: Path) -> None:
    """With the kept frame on screen, a start that fails before the app runs leaves the
    alternate screen first and then shows its message (held back meanwhile)."""
    first = Run(env)
    first.read_until(started)
    first.read_until(lambda r: bool(kept(tmp_path)), timeout=10)
    assert first.quit() == 0
    # The same start, but the config file now stops it before the app runs. Same size, same
    # modification time: the kept frame still matches (a file changed that way is not noticed).
    config = Path(env["ARTERM_CONFIG"])
    stat = config.stat()
    config.write_text('[ui]\nlanguage = "xx"\n', encoding="utf-8")  # not a language; as long as "es"
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert config.stat().st_size == stat.st_size

    failing = Run(env)
    failing.read_until(lambda r: r.raw.count(b"\x1b[?1049l") >= 1 and b"language" in ANSI.sub(b"", r.raw))
    assert b"Clientes" in failing.raw.split(b"\x1b[?1049l", 1)[0]  # the kept frame was shown
    after = ANSI.sub(b"", failing.raw.split(b"\x1b[?1049l", 1)[1]).decode("utf-8", "replace")
    assert "language" in after  # the config error, after leaving the alternate screen
    _pid, status = os.waitpid(failing.pid, 0)
    assert os.waitstatus_to_exitcode(status) != 0
    assert termios.tcgetattr(failing.fd) == failing.modes_before
    os.close(failing.fd)


def test_a_command_that_works_before_opening_the_app_keeps_no_frame(env: dict[str, str], tmp_path: Path) -> None:
    """`arterm demo` builds data (and may ask to confirm a reset) before it opens the app: a
    picture of the app in front of that would hide its progress and its question."""
    demo = Run({**env, "ARTERM_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}, args=("demo", "--customers", "5"))
    demo.read_until(lambda r: "5 clientes" in r.plain(), timeout=60)
    time.sleep(0.5)  # the frame would have been written by now
    assert demo.quit() == 0
    assert kept(tmp_path) == []
