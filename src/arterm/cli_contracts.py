"""Command-line commands of the contracts feature (registered on arterm.cli.cli)."""

from __future__ import annotations

from .cli import cli  # noqa: F401
