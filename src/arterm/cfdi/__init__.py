"""CFDI (Mexican electronic invoice) XML: safe parsing and a deterministic test generator.

No database, no UI: ``arterm.cfdi.parse_cfdi`` returns frozen dataclasses that a later step maps
into the ledger.
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
