"""Commands that change state. Each runs inside one ``Database.write()`` transaction and writes its
Activity row; invalid input raises ``DomainError`` before anything is written."""

from .contracts import FREQUENCIES, create_contract, set_contract_status
from .customers import Address, assign_operator, create_customer, set_identifier, set_payment_terms, update_customer, upsert_operator
from .documents import LineInput, Totals, cancel_document, compute_totals, issue_credit_note, issue_document
from .notes import add_note
from .payments import apply_credit, cancel_payment, record_payment, set_rep

__all__ = [
    "FREQUENCIES", "Address", "LineInput", "Totals", "add_note", "apply_credit", "assign_operator", "cancel_document",
    "cancel_payment", "compute_totals", "create_contract", "create_customer", "issue_credit_note", "issue_document",
    "record_payment", "set_contract_status", "set_identifier", "set_payment_terms", "set_rep", "update_customer",
    "upsert_operator",
]
