"""Textual user interface for arterm.

Importing this package before Textual caps Textual's frame rate at 120 frames per second instead
of its default 60, unless ``TEXTUAL_FPS`` is set already. Textual paints a change on its next
frame tick, so at 60 a search result that is ready waits up to 16.7 ms to reach the screen; at
120, up to 8.3 ms. Measured at 100,000 customers (bench/README-tui.md): keystroke -> repaint
46.6 -> 37.3 ms median, CPU per keystroke 42 -> 37 ms. Frames are still only drawn when something
changed, so an idle screen costs nothing more.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
