"""Reusable widgets for the arterm TUI."""

from arterm.tui.widgets.virtual_table import Column, Row, RowProvider, VirtualTable

__all__ = ["Column", "Row", "RowProvider", "VirtualTable"]
