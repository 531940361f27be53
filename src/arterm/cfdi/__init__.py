"""CFDI (Mexican electronic invoice) XML: safe parsing, import into the ledger, a test generator.

* ``parser`` — strict, safe parsing into frozen dataclasses (``parse_cfdi``, ``parse_cfdi_file``);
  no database.
* ``sources`` — files, folders and ``.zip`` archives, read with size caps and zip-bomb / path
  traversal checks.
* ``importer`` — ``import_paths``: maps what we issued into the ledger (invoices, credit notes,
  REPs, substitutions) in any order, with a report; ``_ops`` / ``_sql`` are its driver-level
  ledger writes.
* ``generate`` — deterministic CFDI 4.0 for tests and benchmarks.

No UI here (the TUI's dialog is ``arterm.tui.dialogs.import_cfdi``).
"""

from .parser import (
    DEFAULT_MAX_BYTES,
    Cfdi,
    CfdiError,
    Concept,
    DoctoRelacionado,
    Pago,
    Party,
    Receptor,
    Related,
    parse_cfdi,
    parse_cfdi_file,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Cfdi",
    "CfdiError",
    "Concept",
    "DoctoRelacionado",
    "Pago",
    "Party",
    "Receptor",
    "Related",
    "parse_cfdi",
    "parse_cfdi_file",
]
