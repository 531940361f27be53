"""Keep the customers screen's first frame, before its rows arrive, for the next start (see
``arterm.launch``): the picture the next ``arterm`` shows while Python imports the app."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import date, timedelta

from rich.cells import cell_len
from rich.control import Control
from textual.screen import Screen

from .. import launch

log = logging.getLogger("arterm.tui")


def frame_text(screen: Screen) -> str:
    """What Textual writes to the terminal to draw the whole of ``screen`` now (as ``App._display``
    does for a full update, with the cursor put where the app keeps it)."""
    app = screen.app
    update = screen._compositor.render_full_update()
    cursor = screen.outer_size.clamp_offset(app.cursor_position)
    return update.render_segments(app.console) + Control.move_to(*cursor).segment.text


def depends_on() -> list[str]:
    """Files whose change makes a kept frame stale: arterm's code and styles, Textual's and Rich's
    versions, and the config files this run may have read."""
    import rich
    import textual

    from .. import __file__ as package_init

    files: list[str] = []
    for folder, dirs, names in os.walk(os.path.dirname(package_init)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        files += [os.path.join(folder, n) for n in names if n.endswith((".py", ".tcss"))]
    files += [textual.__file__ or "", rich.__file__ or ""]
    return sorted(files) + launch.config_candidates()


DAYS_AHEAD = 3
"""Frames also kept for the next days (a Friday's start keeps Monday's): the first start of a day
shows one too."""


def dated_frames(text: str, today: date, dated: Callable[[date], str]) -> dict[date, str]:
    """``text`` (today's frame) and the same frame for each of the next ``DAYS_AHEAD`` days.

    ``dated(day)``: the text the screen shows for ``day`` (the header's date line); the frame of
    another day is today's with that text replaced. Only when it appears exactly once in the frame
    and takes as many cells every day (so nothing else on the line moves); otherwise today only.
    """
    frames = {today: text}
    shown = dated(today)
    if not shown or text.count(shown) != 1:
        return frames
    for ahead in range(1, DAYS_AHEAD + 1):
        day = today + timedelta(days=ahead)
        label = dated(day)
        if cell_len(label) == cell_len(shown) and "\x1b" not in label:
            frames[day] = text.replace(shown, label)
    return frames


def days_to_keep(screen: Screen) -> list[str]:
    """The days whose frame ``keep`` would write for ``screen`` now (``launch.first_frame_days``)."""
    return launch.first_frame_days((screen.app.size.width, screen.app.size.height), DAYS_AHEAD)


def keep(screen: Screen, days: list[str], dated: Callable[[date], str] | None = None,
         shown: date | None = None) -> None:
    """Keep ``screen``'s current frame for the next starts on ``days`` (ISO dates; see
    ``days_to_keep``). Call it before the first rows are in: the picture has no data.

    ``dated``: the text of the screen's date line for a given day, when the frame shows a date
    (``dated_frames``); without it, only today's frame is kept. ``shown``: the day the frame
    shows (default today); a frame is kept only for that day or, with ``dated``, the days after
    it (a start across midnight painted yesterday's date: not today's frame)."""
    if not days:
        return
    today = shown or date.today()
    try:  # Textual internals (the compositor): a cache is never worth a failed start
        text = frame_text(screen)
        frames = dated_frames(text, today, dated) if dated is not None else {today: text}
    except Exception:
        log.debug("first frame not rendered", exc_info=True)
        return
    frames = {day: frame for day, frame in frames.items() if day.isoformat() in days}
    size = (screen.app.size.width, screen.app.size.height)

    def save() -> None:
        try:
            files = depends_on()
            for day, frame in frames.items():
                launch.save_first_frame(frame, size, files, day.isoformat())
        except Exception:
            log.debug("first frame not kept", exc_info=True)

    screen.app.run_worker(save, thread=True, group="first-frame", exit_on_error=False)


def kept_frame_driver(base: type) -> type:
    """``base`` (Textual's driver for this platform), taking over a terminal that ``launch`` has
    kept quiet since the kept frame was shown: at the end it restores the modes from before."""

    class KeptFrameDriver(base):  # type: ignore[misc, valid-type]
        def start_application_mode(self) -> None:
            super().start_application_mode()
            if hasattr(self, "attrs_before"):  # LinuxDriver: what it restores when the app ends
                original = launch.take_terminal_modes()
                if original is not None:
                    self.attrs_before = original
            # otherwise the modes are restored when Python exits (launch._restore_pending_modes)

    return KeptFrameDriver
