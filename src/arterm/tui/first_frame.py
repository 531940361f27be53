"""Keep the customers screen's first frame, before its rows arrive, for the next start (see
``arterm.launch``): the picture the next ``arterm`` shows while Python imports the app."""

from __future__ import annotations

import logging
import os

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


def keep(screen: Screen) -> None:
    """Keep ``screen``'s current frame for the next start (call it before the first rows are in)."""
    if not launch.wants_first_frame():
        return
    try:  # Textual internals (the compositor): a cache is never worth a failed start
        text = frame_text(screen)
    except Exception:  # noqa: BLE001
        log.debug("first frame not rendered", exc_info=True)
        return
    size = (screen.app.size.width, screen.app.size.height)

    def save() -> None:
        try:
            launch.save_first_frame(text, size, depends_on())
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
