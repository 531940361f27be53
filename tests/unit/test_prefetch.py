"""``arterm.prefetch``: a function run in a forked child, its result taken by the parent.

Each case runs in a fresh interpreter: ``prefetch`` forks only a process with a single thread,
and a pytest-xdist worker has several (which is itself checked below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from arterm import prefetch

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def run(script: str, **env: str) -> dict:
    """Run ``script`` in a fresh interpreter; it prints one JSON object last."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env}, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_result_comes_from_another_process() -> None:
    out = run("""
        import json, os
        from arterm import prefetch
        started = prefetch.start("os:getpid")
        again = prefetch.start("os:getpid")  # one child per target at a time
        print(json.dumps({"started": started, "again": again, "me": os.getpid(),
                          "child": prefetch.take("os:getpid", 10), "twice": prefetch.take("os:getpid", 10)}))
    """)
    assert out["started"] is True and out["again"] is False
    assert isinstance(out["child"], int) and out["child"] != out["me"]
    assert out["twice"] is None  # taken once


def test_arguments_and_a_large_result_cross_the_pipe() -> None:
    # ~1 MB: more than a pipe holds, so the child blocks writing until the parent reads.
    out = run("""
        import json
        from arterm import prefetch
        prefetch.start("builtins:bytes", 1_000_000)
        got = prefetch.take("builtins:bytes", 10)
        print(json.dumps({"len": len(got), "zero": got == bytes(1_000_000)}))
    """)
    assert out == {"len": 1_000_000, "zero": True}


def test_a_failing_child_gives_nothing() -> None:
    out = run("""
        import json
        from arterm import prefetch
        prefetch.start("os:no_such_function")
        prefetch.start("json:loads", "{not json")
        print(json.dumps({"missing": prefetch.take("os:no_such_function", 10),
                          "raised": prefetch.take("json:loads", 10)}))
    """)
    assert out == {"missing": None, "raised": None}


def test_a_child_slower_than_the_wait_is_killed_and_reaped() -> None:
    out = run("""
        import json, os, time
        from arterm import prefetch
        prefetch.start("time:sleep", 30)
        pid = prefetch._children["time:sleep"].pid
        t = time.monotonic()
        got = prefetch.take("time:sleep", 0.2)
        waited = time.monotonic() - t
        try:
            os.kill(pid, 0)
            gone = False
        except ProcessLookupError:  # killed and reaped: not even a zombie is left
            gone = True
        print(json.dumps({"got": got, "gone": gone, "quick": waited < 20}))
    """)
    assert out == {"got": None, "gone": True, "quick": True}


def test_discard_stops_children_nobody_took() -> None:
    out = run("""
        import json, os
        from arterm import prefetch
        prefetch.start("time:sleep", 30)
        pid = prefetch._children["time:sleep"].pid
        prefetch.discard()
        try:
            os.kill(pid, 0)
            gone = False
        except ProcessLookupError:
            gone = True
        print(json.dumps({"gone": gone, "after": prefetch.take("time:sleep", 1)}))
    """)
    assert out == {"gone": True, "after": None}


def test_the_child_writes_nothing_to_the_terminal() -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        from arterm import prefetch
        prefetch.start("builtins:print", "from the child")
        prefetch.take("builtins:print", 10)
    """)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_turned_off_by_the_environment() -> None:
    out = run("""
        import json
        from arterm import prefetch
        print(json.dumps({"started": prefetch.start("os:getpid")}))
    """, ARTERM_NO_PREFETCH="1")
    assert out == {"started": False}


def test_never_forks_a_process_with_other_threads() -> None:
    out = run("""
        import json, threading
        from arterm import prefetch
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        started = prefetch.start("os:getpid")
        stop.set()
        worker.join()
        print(json.dumps({"started": started}))
    """)
    assert out == {"started": False}
    # This very process (a test runner with threads of its own) is refused the same way.
    if threading.active_count() > 1:
        assert prefetch.start("os:getpid") is False
    assert prefetch.take("never:started", 0.1) is None
