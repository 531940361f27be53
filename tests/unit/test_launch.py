"""The kept first frame's file (``arterm.launch``): what makes it stale, and its upkeep."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from arterm import launch

SIZE = (100, 30)
DAY = "2026-11-28"


@pytest.fixture
def context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(launch, "_context", [launch._start_context(["--db", "sqlite:///x.db"])])
    return launch._context[0]


def save(tmp_path: Path, frame: str = "\x1b[1;1Hhola", depends: list[str] | None = None) -> Path:
    dep = tmp_path / "dep.py"
    if not dep.exists():
        dep.write_text("x = 1\n", encoding="utf-8")
    launch.save_first_frame(frame, SIZE, [str(dep), str(tmp_path / "absent.toml"), *(depends or [])])
    (path,) = (tmp_path / "cache" / "arterm").glob("first-frame-*")
    return path


def test_a_kept_frame_is_read_back_for_the_same_start_only(context: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    today = datetime.date.today().isoformat()
    path = save(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert launch._read(launch._key(context, SIZE, today)) == b"\x1b[1;1Hhola"
    assert launch._read(launch._key(context, (101, 30), today)) is None  # another size
    assert launch._read(launch._key(context, SIZE, DAY)) is None  # another day
    other = launch._start_context(["--db", "sqlite:///y.db"])
    assert launch._read(launch._key(other, SIZE, today)) is None  # another command line
    monkeypatch.setenv("ARTERM_OPERATOR", "someone")
    assert launch._read(launch._key(launch._start_context(["--db", "sqlite:///x.db"]), SIZE, today)) is None


@pytest.mark.parametrize("change", ["dependency edited", "file appeared", "corrupt", "truncated", "empty frame"])
def test_a_stale_or_damaged_frame_is_not_shown(context: str, tmp_path: Path, change: str) -> None:
    import datetime

    path = save(tmp_path)
    key = launch._key(context, SIZE, datetime.date.today().isoformat())
    if change == "dependency edited":
        (tmp_path / "dep.py").write_text("x = 22\n", encoding="utf-8")
    elif change == "file appeared":
        (tmp_path / "absent.toml").write_text("", encoding="utf-8")  # a config file created since
    elif change == "corrupt":
        path.write_bytes(b"\x00\xff garbage")
    elif change == "truncated":
        path.write_bytes(path.read_bytes().split(b"\n\x00\n")[0])
    else:
        path.write_bytes(path.read_bytes().split(b"\n\x00\n")[0] + b"\n\x00\n")
    assert launch._read(key) is None


def test_frames_of_past_days_are_removed_when_a_new_one_is_kept(context: str, tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "arterm"
    folder.mkdir(parents=True)
    old, recent, other = folder / "first-frame-00000001", folder / "first-frame-00000002", folder / "notes.txt"
    for p in (old, recent, other):
        p.write_text("x", encoding="utf-8")
    week_ago = time.time() - 8 * 86400
    for p in (old, other):
        os.utime(p, (week_ago, week_ago))
    launch.save_first_frame("f", SIZE, [])
    assert not old.exists() and recent.exists() and other.exists()
    assert len(list(folder.glob("first-frame-*"))) == 2


def test_nothing_is_kept_or_shown_without_a_terminal(context: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    save(tmp_path)
    monkeypatch.setattr(launch, "_terminal_size", lambda fd: SIZE)
    monkeypatch.setattr(os, "isatty", lambda fd: False)  # output piped, say
    launch._opening_app[:] = [None]
    try:
        assert not launch.wants_first_frame()
        assert launch.show_first_frame() is False
    finally:
        launch._opening_app.clear()


def test_a_frame_kept_for_another_day_is_read_back_on_that_day_only(context: str, tmp_path: Path) -> None:
    launch.save_first_frame("\x1b[1;1Hmañana", SIZE, [], "2026-11-30")
    assert launch._read(launch._key(context, SIZE, "2026-11-30")) == "\x1b[1;1Hmañana".encode()
    assert launch._read(launch._key(context, SIZE, "2026-12-01")) is None


def test_the_frames_of_the_next_days_differ_from_todays_only_in_the_date_line() -> None:
    from datetime import date

    from arterm.tui.first_frame import DAYS_AHEAD, dated_frames

    def dated(day: date) -> str:
        return f"ana · Al {day:%d/%m/%Y}"

    today = date(2026, 11, 27)  # a Friday: Monday's frame is kept too
    frame = "\x1b[1;1H arterm · Clientes \x1b[1;80Hana · Al 27/11/2026\x1b[2;1H Buscando…"
    frames = dated_frames(frame, today, dated)
    assert len(frames) == DAYS_AHEAD + 1 == 4
    assert frames[today] == frame
    assert frames[date(2026, 11, 30)] == frame.replace("27/11/2026", "30/11/2026")
    # The date line twice in the frame, or not at all (cut short on a narrow terminal): today only.
    assert list(dated_frames(frame + "ana · Al 27/11/2026", today, dated)) == [today]
    assert list(dated_frames(frame.replace("27/11/2026", "27/11/20…"), today, dated)) == [today]
    # A day whose line is wider or narrower would move the rest of the line: not kept.
    assert list(dated_frames("x ana · 9 nov x", date(2026, 11, 9), lambda d: f"ana · {d.day} nov")) == [
        date(2026, 11, 9)]
