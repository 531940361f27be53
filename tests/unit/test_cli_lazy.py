"""The top-level commands load their modules lazily; the map that says where each lives is complete."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import click

from arterm import cli as cli_mod


def test_lazy_map_matches_what_the_modules_register() -> None:
    cli_mod.load_all_commands()
    registered = {name: cmd.callback.__module__.rsplit(".", 1)[-1] for name, cmd in cli_mod.cli.commands.items()
                  if cmd.callback is not None}
    elsewhere = {name: module for name, module in registered.items() if module != "cli"}
    assert elsewhere == cli_mod.LAZY_COMMANDS


def test_help_lists_every_command_and_each_runs_from_a_fresh_process() -> None:
    ctx = click.Context(cli_mod.cli)
    names = cli_mod.cli.list_commands(ctx)
    assert set(cli_mod.LAZY_COMMANDS) <= set(names)
    code = ("import sys; from arterm import cli; cli.cli.main(['rep', '--help'], standalone_mode=False); "
            "print(sorted(m for m in sys.modules if m.startswith('arterm.cli_')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "pending" in out  # the `rep` group's help, found although its module was not imported
    assert out.strip().endswith("['arterm.cli_cfdi']")  # and only that module was imported


def test_balance_imports_no_other_command_module() -> None:
    code = ("import sys; from arterm import cli; cli.cli.main(['balance', '--help'], standalone_mode=False); "
            "print(sorted(m for m in sys.modules if m.startswith('arterm.cli_')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip().endswith("[]")


def test_the_query_layer_imports_no_orm_and_no_unused_dialect() -> None:
    """What `arterm balance` needs stays light: no SQLModel/pydantic/Alembic, no PostgreSQL dialect
    for a SQLite database (the generated tables do not use dialect-specific index options)."""
    code = ("import sys, arterm.queries.balances, arterm.queries.customers, arterm.db.engine; "
            "print(sorted(m for m in ('sqlmodel', 'pydantic', 'alembic', 'textual', 'sqlalchemy.dialects.postgresql') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_the_entry_point_writes_a_kept_frame_before_importing_anything_heavy() -> None:
    """``arterm.launch`` runs first in every start: only cheap standard modules before the kept
    first frame is on screen (platformdirs alone costs ~30 ms, hashlib's OpenSSL ~4 ms)."""
    code = ("import sys; import arterm.launch as l; l._context[:] = [l._start_context([])]; l.show_first_frame(); l._read(l._key(l._context[0], (80, 24), '2026-01-01')); "
            "print(sorted(m for m in ('click', 'textual', 'rich', 'sqlalchemy', 'platformdirs', 'hashlib', 'json', "
            "'arterm.cli', 'arterm.config') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_amounts_in_cli_tables_are_never_cut(monkeypatch: Any) -> None:
    from rich.table import Table

    table = Table()  # the shape of `arterm balance`
    for name in ("Identifier", "Name", "RFC", "Cur"):
        table.add_column(name)
    for name in ("Current", "Overdue", "Total", "Credit"):
        table.add_column(name, justify="right")
    table.add_row("C000015", "Refaccionaria Maya SC", "REF090115WF0", "MXN", "0.00", "125,727.05", "125,727.05", "209.78")
    monkeypatch.setenv("COLUMNS", "80")  # a standard terminal
    out = cli_mod.console()
    with out.capture() as captured:
        out.print(table)
    assert captured.get().count("125,727.05") == 2  # the text columns wrap instead
    monkeypatch.delenv("COLUMNS")  # piped (pytest's stdout is no terminal): reports are not squeezed to 80
    assert cli_mod.console().width == 200
