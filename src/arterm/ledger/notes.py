"""Internal notes on a customer or on one of its documents."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain.errors import NotFound
from ..domain.text import clean_text
from ._base import customer_row, now, start
from .allocations import T_DOC, reference

T_NOTE = tables.note


def add_note(session: Connection, *, actor: str, customer_id: int, text: str, document_id: int | None = None) -> int:
    log = start(session, actor)
    body = clean_text(text, field="note", max_len=5000, required=True)
    customer_row(session, customer_id)
    ref = ""
    if document_id is not None:
        doc = session.execute(sa.select(T_DOC.c.customer_id, T_DOC.c.series, T_DOC.c.folio).where(T_DOC.c.id == document_id)).first()
        if doc is None or doc.customer_id != customer_id:
            raise NotFound(f"document #{document_id} does not belong to this customer", field="document")
        ref = reference(doc.series, doc.folio, document_id)
    note_id = session.execute(
        T_NOTE.insert().values(customer_id=customer_id, document_id=document_id, author_id=log.actor_id, text=body,
                               created_at=now()).returning(T_NOTE.c.id)
    ).scalar_one()
    first_line = body.splitlines()[0][:120]
    log(customer_id, "note_added", document_id=document_id, detail=f"{ref}: {first_line}" if ref else first_line,
        with_balance=False)
    return int(note_id)
