"""Read something in a forked child while this process goes on importing (the second core).

A cold ``arterm`` spends ~500 ms importing Textual and composing its first frame on this project's
2-core machine, and only then starts what the first rows of the customers screen need: importing
SQLAlchemy (~200 ms), opening the database, counting and reading a page. None of that depends on
Textual. So ``cli.open_app`` forks, before importing Textual, a child that does it
(``tui.providers.read_first_page``) and sends the result back pickled through a pipe; the
screen's first provider takes it (``take``) instead of reading the database, when it asks exactly
what the child read.

It is only ever a shortcut. If the child fails (no database yet, a schema the app must upgrade
first, a server that does not answer), takes longer than the caller will wait, or the platform
cannot fork, ``take`` returns ``None`` and the caller reads the database itself, as it always
did. The child:

- is forked only from a process with no other thread (a fork copies only the calling thread:
  a lock held by another one would stay locked in the child forever);
- writes nothing anywhere but its pipe (its standard streams are ``/dev/null``) and never
  writes to the database (the caller's function must only read);
- leaves with ``os._exit``: the parent's ``atexit`` handlers (which restore the terminal) and
  buffered output are the parent's alone.

``ARTERM_NO_PREFETCH=1`` turns it off. Standard library only (``pickle`` and ``select`` are
cheap): this runs before the heavy imports.
"""

from __future__ import annotations

import importlib
import os
import pickle
import select
import signal
import threading
import time
from typing import Any

_lock = threading.Lock()


class _Child:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd


_children: dict[str, _Child] = {}


def start(target: str, *args: Any) -> bool:
    """Run ``target`` (``"package.module:function"``, imported in the child) with ``args`` in a
    forked child; ``take(target)`` gets its result. False (and nothing started) when prefetching
    is off, impossible here, or ``target`` is running already."""
    if os.environ.get("ARTERM_NO_PREFETCH") or not hasattr(os, "fork"):
        return False
    if threading.active_count() > 1:
        return False
    with _lock:
        if target in _children:
            return False
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return False
        if pid == 0:  # the child: never returns
            _run_child(read_fd, write_fd, target, args)
        os.close(write_fd)
        _children[target] = _Child(pid, read_fd)
        return True


def _run_child(read_fd: int, write_fd: int, target: str, args: tuple) -> None:
    code = 1
    try:
        os.close(read_fd)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        module, _, function = target.partition(":")
        result = getattr(importlib.import_module(module), function)(*args)
        data = memoryview(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(write_fd, data):]
        code = 0
    except BaseException:  # noqa: BLE001, S110 - the parent reads the database itself
        pass
    finally:
        os._exit(code)


def take(target: str, timeout: float) -> Any | None:
    """The result of the child started for ``target``, waiting at most ``timeout`` seconds for it;
    ``None`` if there is none (never started, failed, too slow, or taken already). Once only: the
    child is gone after this (a child still running is killed)."""
    with _lock:
        child = _children.pop(target, None)
    if child is None:
        return None
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    complete = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.fd], [], [], left)[0]:
                break  # too slow: the caller reads the database itself
            chunk = os.read(child.fd, 1 << 16)
            if not chunk:
                complete = True
                break
            chunks.append(chunk)
    except OSError:
        complete = False
    finally:
        os.close(child.fd)
    status = _reap(child.pid, kill=not complete)
    if not complete or status != 0:
        return None
    try:
        return pickle.loads(b"".join(chunks))  # our own child, through our own pipe
    except Exception:  # noqa: BLE001 - a result that cannot be read is no result
        return None


def discard() -> None:
    """Stop and reap every child whose result nobody took (the app is closing)."""
    with _lock:
        children = list(_children.values())
        _children.clear()
    for child in children:
        os.close(child.fd)
        _reap(child.pid, kill=True)


def _reap(pid: int, *, kill: bool) -> int | None:
    """The child's exit code (``None``: killed or not ours any more)."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None
