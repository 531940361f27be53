"""Running the ``arterm`` command line in-process, as the CLI tests do."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

import arterm.db.engine as engine_mod
from arterm.cli import cli
from arterm.db.engine import Database


class ArtermCli:
    """Runs ``arterm --db URL [options] ...`` with click's ``CliRunner`` and disposes the engines
    each command opened (a test on PostgreSQL must not leave connections behind)."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch, *, options: Sequence[str] = ()) -> None:
        self.url = url
        self.options = list(options)
        self.runner = CliRunner()
        self.opened: list[Database] = []
        real = engine_mod.open_database

        def tracking(url: str, **kw: Any) -> Database:
            database = real(url, **kw)
            self.opened.append(database)
            return database

        monkeypatch.setattr(engine_mod, "open_database", tracking)

    def invoke(self, *args: str, db: bool = True, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        argv = (["--db", self.url] if db else []) + self.options + list(args)
        try:
            return self.runner.invoke(cli, argv, env={"COLUMNS": "250", **(env or {})}, input=input)
        finally:
            for database in self.opened:
                database.dispose()
            self.opened.clear()

    def __call__(self, *args: str, code: int = 0, **kw: Any) -> Result:
        """Run a command that must end with exit ``code``."""
        result = self.invoke(*args, **kw)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    def ok(self, *args: str, **kw: Any) -> str:
        return self(*args, **kw).stdout

    def json(self, *args: str, **kw: Any) -> Any:
        return json.loads(self.ok(*args, **kw))

    def fail(self, *args: str, code: int = 1, **kw: Any) -> str:
        """Run a command that must fail cleanly (a message, no traceback); returns its stderr."""
        result = self(*args, code=code, **kw)
        assert isinstance(result.exception, SystemExit), result.exception
        return result.stderr
