"""Domain errors: every invalid input raises one of these with a message fit for the operator."""

from __future__ import annotations


class DomainError(ValueError):
    """Invalid input or an operation the ledger refuses. Nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class NotFound(DomainError):
    """The customer, document or payment asked for does not exist."""


class ConcurrencyError(DomainError):
    """Someone else changed the same record first; reload and try again."""
