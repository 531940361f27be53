"""Strings of this area of the app (see locale/__init__.py). Keep ES and EN in step."""

ES: dict[str, str] = {}
EN: dict[str, str] = {}
