"""Textual user interface for arterm."""
