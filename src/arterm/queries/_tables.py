from __future__ import annotations

from ..db import tables

T_CUSTOMER = tables.customer
T_BALANCE = tables.customer_balance
T_AGING_DOCS = tables.aging_documents
T_DOC = tables.document
T_LINE = tables.document_line
T_PAY = tables.payment
T_ALLOC = tables.allocation
T_NOTE = tables.note
T_ACT = tables.activity
T_OP = tables.operator
T_CONTRACT = tables.contract
RECEIVABLE_KINDS = ("invoice", "sales_note")
ACTIVE_PAYMENT = ("applied", "partial", "unapplied")

import sqlalchemy as _sa  # noqa: E402

# A literal (not a bound parameter): SQLite only uses the partial index ix_document_open when the
# query's WHERE repeats its predicate ``status = 'current'`` word for word.
DOC_OPEN = T_DOC.c.status == _sa.literal_column("'current'")
