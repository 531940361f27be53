"""Placeholder customers screen (replaced by the workbench)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from ..base import BaseScreen


class CustomersScreen(BaseScreen):
    def compose(self) -> ComposeResult:
        yield Static("arterm")
        yield Footer()
