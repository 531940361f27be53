"""The ``arterm`` entry point: shows the app's first frame before Python has imported it.

Opening the app costs ~550 ms on this project's 2-core machine before Textual paints its first
frame (Python and Textual's imports alone are ~300 ms: an empty Textual app paints no sooner).
The customers screen's first frame, before any data, is the same at every start for the same
terminal, settings, code and day. So the app keeps it (``save_first_frame``, written once it has
painted it, before the first rows arrive), and the next start writes it to the terminal at once
(``main``, ~30 ms in), before importing anything heavy; Textual's own first frame then replaces
it with the same picture, and the rows follow as before.

It is a picture of the screen, without data, and only that:

- kept per terminal size, working directory, command line, environment (terminal type, colours,
  language, ``ARTERM_*``, ``TEXTUAL_*``), user and day (the app also keeps the next three days'
  frames, today's with the date line changed: ``tui/first_frame.dated_frames``); and checked against the files it
  depends on (arterm's code, Textual's and Rich's, the config file): any change, no picture;
- only for a plain ``arterm [--db ...] [--config ...] [--as ...]`` (the run that opened the app
  without a command, through ``cli.open_app``, is the only one that saves it; ``arterm demo``
  does not) on a real terminal;
- keys typed meanwhile are neither echoed nor lost: the terminal stops echoing, and what was
  typed reaches the app when it starts, as before; Ctrl+C still stops the start;
- anything written to stdout/stderr before the app takes over (a config error, say) is held
  back and written after the screen is left, so no message is lost on the alternate screen.

``ARTERM_NO_FIRST_FRAME=1`` turns it off. Standard library only, and only cheap modules: this
runs before everything else.
"""

from __future__ import annotations

import os
import sys

_VERSION = "1"  # of the file format
_ENTER = b"\x1b[?1049h\x1b[?25l"  # alternate screen (as Textual's driver), cursor hidden
_LEAVE = b"\x1b[?1049l\x1b[?25h"
_ENV_KEYS = ("TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE",
             "USER", "LOGNAME", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TERM_PROGRAM")


class _Shown:
    """The terminal state while a first frame is on screen and the app has not taken over."""

    def __init__(self, fd_in: int, attrs: list, saved_out: int, saved_err: int, held: int) -> None:
        self.fd_in = fd_in
        self.attrs = attrs  # the terminal modes to give back (what Textual must see and restore)
        self.saved_out = saved_out  # the real stdout / stderr while they point at ``held``
        self.saved_err = saved_err
        self.held = held  # an unlinked file that takes what is written meanwhile


_shown: _Shown | None = None
_opening_app: list[str | None] = []  # [the --config path] once this run opens the app


def cache_dir() -> str:
    """Where first frames are kept (the user's cache folder; platformdirs costs ~30 ms to import)."""
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Caches", "arterm")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "arterm")


def _start_context(argv: list[str]) -> str:
    """What a kept frame depends on besides the terminal size and the day, as this process
    started (the app sets variables of its own, TEXTUAL_FPS say: taken before it runs)."""
    env = "\x1f".join(f"{k}={os.environ.get(k, '')}" for k in _ENV_KEYS)
    env += "\x1f" + "\x1f".join(sorted(f"{k}={v}" for k, v in os.environ.items()
                                       if k.startswith(("ARTERM_", "TEXTUAL_"))))
    return "\x1e".join((_VERSION, repr(argv), os.getcwd(), env, f"{os.getuid() if hasattr(os, 'getuid') else ''}",
                        sys.executable))


_context: list[str] = []  # [_start_context(argv)] once main() has run


def _key(context: str, size: tuple[int, int], today: str) -> str:
    return "\x1e".join((context, f"{size[0]}x{size[1]}", today))


def _path(key: str) -> str:
    import zlib

    return os.path.join(cache_dir(), f"first-frame-{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}")


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}\t-"
    return f"{path}\t{st.st_mtime_ns}\t{st.st_size}"


def _read(key: str) -> bytes | None:
    """The frame kept for ``key``, if every file it was made from is unchanged."""
    try:
        with open(_path(key), "rb") as f:
            data = f.read()
    except OSError:
        return None
    head, sep, frame = data.partition(b"\n\x00\n")
    if not sep or not frame:
        return None
    lines = head.decode("utf-8", "surrogateescape").split("\n")
    if lines[0] != key.replace("\n", " "):
        return None  # another key with the same checksum, or an older format
    for line in lines[1:]:
        if _stamp(line.split("\t", 1)[0]) != line:
            return None
    return frame


def _terminal_size(fd: int) -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.columns, size.lines


def _can_show() -> tuple[int, int, tuple[int, int]] | None:
    """(input fd, output fd, size) when this process talks to a real terminal."""
    if os.environ.get("ARTERM_NO_FIRST_FRAME") or os.name != "posix":
        return None
    try:
        # the process's own streams (inside the app Textual has replaced sys.stdout/stderr)
        fd_in, fd_out = sys.__stdin__.fileno(), sys.__stderr__.fileno()  # Textual writes to stderr
        if not (os.isatty(fd_in) and os.isatty(fd_out) and os.isatty(sys.__stdout__.fileno())):
            return None
    except (AttributeError, OSError, ValueError):
        return None
    size = _terminal_size(fd_out)
    return None if size is None else (fd_in, fd_out, size)


def show_first_frame() -> bool:
    """Write the kept first frame for this start, if there is one; True when it is on screen."""
    global _shown
    where = _can_show() if _context else None
    if where is None:
        return False
    fd_in, _fd_out, size = where
    from datetime import date

    frame = _read(_key(_context[0], size, date.today().isoformat()))
    if frame is None:
        return False
    import termios

    try:
        attrs = termios.tcgetattr(fd_in)
        quiet = termios.tcgetattr(fd_in)
        # No echo, no line editing, CR kept as CR (Enter typed now must reach the app as Enter,
        # as in Textual's own raw mode); Ctrl+C still interrupts the start.
        quiet[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN)
        quiet[0] &= ~(termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON)
        termios.tcsetattr(fd_in, termios.TCSANOW, quiet)
    except termios.error:
        return False
    held = -1
    saved_out = saved_err = -1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        held = _held_file()
        saved_out, saved_err = os.dup(1), os.dup(2)
        _write(saved_err, _ENTER + frame)
        os.dup2(held, 1)
        os.dup2(held, 2)
    except OSError:
        for fd in (saved_out, saved_err):
            if fd >= 0:
                os.close(fd)
        if held >= 0:
            os.close(held)
        termios.tcsetattr(fd_in, termios.TCSANOW, attrs)
        return False
    _shown = _Shown(fd_in, attrs, saved_out, saved_err, held)
    _shown_this_start[:] = [True]
    return True


_shown_this_start: list[bool] = []  # [True] once this start showed a kept frame (it is current)


def _held_file() -> int:
    """A file with no name (gone when closed) in the cache folder."""
    if hasattr(os, "O_TMPFILE"):
        try:
            return os.open(cache_dir(), os.O_RDWR | os.O_TMPFILE, 0o600)
        except OSError:  # a file system without O_TMPFILE
            pass
    path = os.path.join(cache_dir(), f".held-{os.getpid()}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.unlink(path)
    return fd


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def end_first_frame(*, app_starting: bool) -> bool:
    """Give stdout/stderr back, with what was written to them meanwhile; True if a frame was shown.

    ``app_starting``: the app takes over the screen now; the frame stays until it paints its
    own, and the terminal stays quiet (no echo, Enter as Enter) until the app's driver puts it
    in its own raw mode: ``KeptFrameDriver`` takes the original modes then, to restore them
    at the end (if the app never gets that far, they are restored when Python exits).
    Otherwise the frame is taken off the screen first, so that the held text is seen, and
    the terminal modes are restored at once."""
    global _shown, _pending_modes
    shown, _shown = _shown, None
    if shown is None:
        return False
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    if not app_starting:
        try:
            _write(shown.saved_err, _LEAVE)
        except OSError:
            pass
    os.dup2(shown.saved_out, 1)
    os.dup2(shown.saved_err, 2)
    os.close(shown.saved_out)
    os.close(shown.saved_err)
    if app_starting:
        import atexit

        _pending_modes = (shown.fd_in, shown.attrs)
        atexit.register(_restore_pending_modes)
    else:
        _set_modes(shown.fd_in, shown.attrs)
    try:
        os.lseek(shown.held, 0, os.SEEK_SET)
        while chunk := os.read(shown.held, 65536):
            _write(2, chunk)
    except OSError:
        pass
    finally:
        os.close(shown.held)
    return True


_pending_modes: tuple[int, list] | None = None


def _set_modes(fd: int, attrs: list) -> None:
    import termios

    try:
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except termios.error:
        pass


def _restore_pending_modes() -> None:
    global _pending_modes
    pending, _pending_modes = _pending_modes, None
    if pending is not None:
        _set_modes(*pending)


def take_terminal_modes() -> list | None:
    """The terminal modes from before the kept frame, for the app's driver to restore at the end
    (``None``: nothing pending, the driver's own reading is right)."""
    global _pending_modes
    pending, _pending_modes = _pending_modes, None
    return None if pending is None else pending[1]


def opening_app(config_path: str | None) -> None:
    """Called by ``cli.open_app``: this run opens the app, so the frame it paints may be kept."""
    _opening_app[:] = [config_path]


def wants_first_frame() -> bool:
    """Does this start keep first frames at all (a plain ``arterm`` on a real terminal)?"""
    return bool(_opening_app) and bool(_context) and _can_show() is not None


def first_frame_days(size: tuple[int, int], ahead: int) -> list[str]:
    """The days (ISO dates) whose first frame this start should keep, for a terminal of ``size``:
    today and the ``ahead`` days after it. None when this start keeps no frame, and only the days
    ahead when it showed today's (checked current: writing it again would only compete with the
    first rows), and then only when tomorrow's is missing, so that a start that showed a frame
    does not write the next days' again every time."""
    if not wants_first_frame():
        return []
    from datetime import date, timedelta

    today = date.today()
    days = [(today + timedelta(days=n)).isoformat() for n in range(ahead + 1)]
    if not _shown_this_start:
        return days
    if len(days) < 2 or os.path.exists(_path(_key(_context[0], size, days[1]))):
        return []
    return days[1:]


def config_candidates() -> list[str]:
    """The config files this run may have read (``--config``, ``ARTERM_CONFIG``, the default)."""
    from .config import config_dir

    explicit = _opening_app[0] if _opening_app else None
    return [os.path.abspath(p) for p in (explicit, os.environ.get("ARTERM_CONFIG"),
                                         str(config_dir() / "config.toml")) if p]


def save_first_frame(frame: str, size: tuple[int, int], depends_on: list[str], day: str | None = None) -> None:
    """Keep ``frame`` (what Textual writes for the whole screen) for the next start on ``day``
    (ISO date; default today).

    ``depends_on``: files whose change makes it stale (checked, by modification time and size,
    before it is shown). Written whole or not at all (a temporary file renamed)."""
    from datetime import date

    key = _key(_context[0], size, day or date.today().isoformat())
    head = "\n".join([key.replace("\n", " "), *(_stamp(p) for p in depends_on)])
    path = _path(key)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        os.chmod(tmp, 0o600)
        f.write(head.encode("utf-8", "surrogateescape") + b"\n\x00\n" + frame.encode("utf-8"))
    os.replace(tmp, path)
    _forget_old(os.path.dirname(path))


def _forget_old(folder: str, days: int = 7) -> None:
    """Frames are kept per day (the header shows the date): remove those not used for a week."""
    import time

    limit = time.time() - days * 86400
    for entry in os.scandir(folder):
        try:
            if entry.name.startswith("first-frame-") and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
        except OSError:
            pass


def main() -> None:
    _context[:] = [_start_context(sys.argv[1:])]
    shown = show_first_frame()
    try:
        from .cli import main as cli_main

        cli_main()
    finally:
        if shown:
            end_first_frame(app_starting=False)
