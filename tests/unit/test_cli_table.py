"""The command line's plain table (`arterm aging`, `arterm balance`) and the exact amount formats."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from arterm import cli_table
from arterm.cli_table import PlainTable, print_table
from arterm.domain.money import fmt_cents
from arterm.i18n import fmt_amount

COLUMNS = (("Identifier", "left"), ("Name", "left"), ("Cur", "left"), ("Total", "right"), ("Credit", "right"))


def table(*rows: tuple[str, ...], **kw: Any) -> PlainTable:
    t = PlainTable("Aging as of 2026-11-29", COLUMNS)
    for row in rows:
        t.add_row(row, **kw)
    return t


def test_same_box_as_the_rich_tables() -> None:
    lines = list(table(("C1", "Ferretería Ñandú", "MXN", "1,500.00", "0.00")).lines())
    assert lines == [
        "Aging as of 2026-11-29",
        "┏━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━┳━━━━━━━━━━┳━━━━━━━━┓",
        "┃ Identifier ┃ Name             ┃ Cur ┃    Total ┃ Credit ┃",
        "┡━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━╇━━━━━━━━━━╇━━━━━━━━┩",
        "│ C1         │ Ferretería Ñandú │ MXN │ 1,500.00 │   0.00 │",
        "└────────────┴──────────────────┴─────┴──────────┴────────┘",
    ]


def test_narrow_terminal_wraps_names_and_never_cuts_amounts() -> None:
    t = table(("C000015", "Refaccionaria Maya del Sureste SC de RL", "MXN", "125,727.05", "209.78"))
    lines = list(t.lines(width=60))
    assert all(cell_len(line) <= 60 for line in lines), lines
    body = "\n".join(lines)
    assert "125,727.05" in body and "209.78" in body
    words = " ".join(line.split("│")[2].strip() for line in lines if line.startswith("│"))
    assert " ".join(words.split()) == "Refaccionaria Maya del Sureste SC de RL"  # wrapped, not lost
    # Too narrow even for the amounts: the line gets longer than the terminal, the amounts stay whole.
    assert "125,727.05" in "\n".join(t.lines(width=20))


def test_a_word_longer_than_its_column_is_split() -> None:
    lines = list(table(("C1", "X" * 40, "MXN", "1.00", "0.00")).lines(width=40))
    assert "".join(line.split("│")[2].strip() for line in lines if line.startswith("│")) == "X" * 40


def test_wide_characters_are_measured_in_cells() -> None:
    lines = list(table(("C1", "東京商事", "MXN", "1.00", "0.00"), ("C2", "Abc", "MXN", "2.00", "0.00")).lines())
    assert len({cell_len(line) for line in lines[1:]}) == 1  # every line of the box is as wide


def test_untrusted_text_is_written_literally_and_without_escapes() -> None:
    name = "[bold red]X[/] <b>y</b> \x1b[2J\x1b]0;pwned\x07\x07z\r\n"
    body = "\n".join(table(("C1", name, "MXN", "1.00", "0.00")).lines(width=200, color=True))
    assert "[bold red]X[/] <b>y</b>" in body
    assert "\x1b[2J" not in body and "pwned" not in body and "\x07" not in body and "\r" not in body
    assert "\ufffdz" in body  # a lone control character is shown as a replacement mark


def test_styles_only_when_asked() -> None:
    t = table(("C1", "Alfa", "MXN", "1.00", "0.00"), cell_styles={3: "red"})
    t.add_row(("TOTAL", "1 customers", "MXN", "1.00", "0.00"), style="bold")
    plain = "\n".join(t.lines())
    assert "\x1b" not in plain
    colored = "\n".join(t.lines(color=True))
    assert "\x1b[31m 1.00\x1b[0m" in colored and "\x1b[1mTOTAL     \x1b[0m" in colored
    assert "\x1b[3mAging as of 2026-11-29\x1b[0m" in colored


def test_piped_output_is_200_columns_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(cli_table.sys.stdout, "isatty", lambda: False, raising=False)
    assert cli_table.terminal() == (200, False)
    out = io.StringIO()
    print_table(table(*[(f"C{i}", "N" * 250, "MXN", "1.00", "0.00") for i in range(3)]), out)
    assert max(cell_len(line) for line in out.getvalue().splitlines()) == 200


def test_a_row_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError):
        table(("C1", "Alfa"))


@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_amount_formats_are_exact(cents: int) -> None:
    exact = (Decimal(cents) / 100).quantize(Decimal("0.01"))
    assert fmt_cents(cents) == f"{exact:.2f}"
    assert fmt_amount(cents) == f"{exact:,.2f}"


def test_amount_formats_refuse_floats_and_bools() -> None:
    for bad in (1.5, True, Decimal(1)):
        with pytest.raises(TypeError):
            fmt_amount(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("color", [False, True])
def test_wide_characters_wrap_by_cells(color: bool) -> None:
    name = "東京商事 大阪物産 名古屋貿易"
    lines = list(table(("C1", name, "MXN", "1.00", "0.00"), cell_styles={3: "red"}).lines(width=50, color=color))
    if not color:
        assert all(cell_len(line) <= 50 for line in lines) and len(lines) > 7, lines
    names = "".join(line.split("│")[2] for line in lines if line.startswith("│"))
    assert "".join(names.split()) == "".join(name.split())  # every character, none cut
