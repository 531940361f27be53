"""A plain, fast table for the command line's long reports (`arterm aging`, `arterm balance`).

Rich's ``Table`` measures and renders every cell as a renderable: ~1 ms a row here, so the aging of
100,000 customers took minutes. This draws the same heavy-headed box with string formatting
(~3 µs a cell) and writes it in one go. Amounts (right-aligned columns) are never cut or wrapped;
when the table is wider than the terminal the text columns wrap instead, as Rich's did.

Cells are untrusted text: control characters and escape sequences are replaced or dropped
(:func:`arterm.domain.text.printable`), never written to the terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from rich.cells import cell_len

from .domain.text import _NEEDS_CLEANING, printable

try:  # Rich's own test (characters that are each one cell wide), private: a fallback if it goes
    from rich.cells import _is_single_cell_widths as _single_cells
except ImportError:  # pragma: no cover
    def _single_cells(text: str) -> bool:
        return text.isascii()

_SGR = {"bold": "1", "italic": "3", "red": "31"}
_MIN_TEXT_WIDTH = 6


def _wrap(text: str, width: int, measure: Callable[[str], int] = cell_len) -> list[str]:
    """Greedy word wrap by terminal cells; a word longer than the line is split."""
    if measure(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:  # the word alone may not fit
            if measure(line + ch) > width and line:
                lines.append(line)
                line = ""
            line += ch
    if line or not lines:
        lines.append(line)
    return lines


def _pad(text: str, width: int, justify: str) -> str:
    gap = " " * max(0, width - cell_len(text))
    return gap + text if justify == "right" else text + gap


class PlainTable:
    """Columns of ``(header, justify)``; rows of strings with an optional style for the whole row
    (``"bold"``) and for single cells (``{index: "red"}``)."""

    def __init__(self, title: str, columns: Sequence[tuple[str, str]]) -> None:
        self.title = printable(title)
        self.headers = [printable(h) for h, _ in columns]
        self.justify = [j for _, j in columns]
        self.rows: list[tuple[list[str], str, dict[int, str] | None]] = []

    def add_row(self, cells: Sequence[str], *, style: str = "", cell_styles: dict[int, str] | None = None) -> None:
        if len(cells) != len(self.headers):
            raise ValueError(f"{len(cells)} cells for {len(self.headers)} columns")
        if not _NEEDS_CLEANING.search("".join(cells)):  # one search a row, not one a cell
            self.rows.append((list(cells), style, cell_styles))
        else:
            self.rows.append(([printable(c) for c in cells], style, cell_styles))

    def widths(self, available: int | None) -> list[int]:
        """Each column's width: its longest cell; text columns give way when ``available`` is short."""
        return self._fit(self._natural_widths(), available)

    def _natural_widths(self) -> list[int]:
        widths = [cell_len(h) for h in self.headers]
        for i in range(len(widths)):
            column = [cells[i] for cells, _, _ in self.rows]
            widths[i] = max(widths[i], max(map(len, column), default=0) if all(map(str.isascii, column))
                            else max(map(cell_len, column)))
        return widths

    def _fit(self, natural: list[int], available: int | None) -> list[int]:
        widths = list(natural)
        if available is None:
            return widths
        excess = sum(widths) + 3 * len(widths) + 1 - available
        text_cols = [i for i, j in enumerate(self.justify) if j != "right"]
        while excess > 0:
            widest = max(text_cols, key=lambda i: widths[i], default=None)
            if widest is None or widths[widest] <= _MIN_TEXT_WIDTH:
                break  # only amounts left: the line is longer than the terminal, not cut
            widths[widest] -= 1
            excess -= 1
        return widths

    def lines(self, *, width: int | None = None, color: bool = False) -> Iterator[str]:
        natural = self._natural_widths()
        w = self._fit(natural, width)
        shrunk = [i for i in range(len(w)) if w[i] < natural[i]]  # cells there may need wrapping
        row_template = "│ " + " │ ".join(f"{{:{'>' if j == 'right' else '<'}{n}}}"
                                          for j, n in zip(self.justify, w, strict=True)) + " │"

        def style(text: str, name: str) -> str:
            if not color or not name:
                return text
            codes = ";".join(_SGR[s] for s in name.split())
            return f"\x1b[{codes}m{text}\x1b[0m"

        def row_lines(cells: Sequence[str], border: str, row_style: str, cell_styles: dict[int, str] | None) -> Iterator[str]:
            """Any row: measured in cells, wrapped, styled cell by cell."""
            wrapped = [_wrap(c, w[i]) if self.justify[i] != "right" else [c] for i, c in enumerate(cells)]
            for n in range(max(len(x) for x in wrapped)):
                parts = []
                for i, chunks in enumerate(wrapped):
                    text = _pad(chunks[n] if n < len(chunks) else "", w[i], self.justify[i])
                    cell_style = " ".join(s for s in (row_style, (cell_styles or {}).get(i, "")) if s)
                    parts.append(style(text, cell_style) if text.strip() else text)
                yield border + " " + f" {border} ".join(parts) + " " + border

        def rule(left: str, fill: str, mid: str, right: str) -> str:
            return left + mid.join(fill * (x + 2) for x in w) + right

        if self.title:
            yield style(self.title, "italic")
        yield rule("┏", "━", "┳", "┓")
        yield from row_lines(self.headers, "┃", "bold", None)
        yield rule("┡", "━", "╇", "┩")
        for cells, row_style, cell_styles in self.rows:
            # Most rows: one ``str.format`` pads every cell (characters = terminal cells, no style,
            # nothing to wrap). ~3x faster than padding cell by cell at 100k rows.
            if (color and (row_style or cell_styles)) or not _single_cells("".join(cells)):
                yield from row_lines(cells, "│", row_style, cell_styles)
                continue
            wrapped = {i: _wrap(cells[i], w[i], len) for i in shrunk if len(cells[i]) > w[i]}
            if not wrapped:
                yield row_template.format(*cells)
                continue
            for n in range(max(map(len, wrapped.values()))):
                yield row_template.format(*(
                    (chunks[n] if n < len(chunks) else "") if (chunks := wrapped.get(i)) else (cell if not n else "")
                    for i, cell in enumerate(cells)))
        yield rule("└", "─", "┴", "┘")


def terminal() -> tuple[int | None, bool]:
    """(width, color) for stdout: the terminal's width and Rich's colour rules (``NO_COLOR``,
    ``TERM=dumb``...) on a terminal; 200 columns (as the other reports) and no colour when piped."""
    from rich.console import Console

    console = Console()
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return console.width, console.is_terminal and console.color_system is not None
    return 200, False


def print_table(table: PlainTable, out: TextIO | None = None) -> None:
    width, color = terminal()
    write = (out or sys.stdout).write
    chunk: list[str] = []
    for line in table.lines(width=width, color=color):
        chunk.append(line)
        if len(chunk) >= 2_000:
            write("\n".join(chunk) + "\n")
            chunk = []
    if chunk:
        write("\n".join(chunk) + "\n")
