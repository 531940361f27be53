"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sequence',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sequence'))
    )

    op.create_table('operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator')),
    sa.UniqueConstraint('username', name=op.f('uq_operator_username'))
    )
    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('rfc', sa.String(length=13), nullable=False),
    sa.Column('rfc_check_ok', sa.Boolean(), nullable=False),
    sa.Column('tax_regime', sa.String(length=3), nullable=False),
    sa.Column('uso_cfdi', sa.String(length=4), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('ext_number', sa.String(length=40), nullable=False),
    sa.Column('int_number', sa.String(length=40), nullable=False),
    sa.Column('colonia', sa.String(length=120), nullable=False),
    sa.Column('municipio', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('emails', sa.String(length=1000), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('assigned_operator_id', sa.Integer(), nullable=True),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('credit_limit_cents', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('search_text', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_operator_id'], ['operator.id'], name=op.f('fk_customer_assigned_operator_id_operator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('identifier', name=op.f('uq_customer_identifier'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_assigned_operator_id'), ['assigned_operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_rfc'), ['rfc'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('frequency', sa.String(length=12), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=True),
    sa.Column('billing_day', sa.Integer(), nullable=True),
    sa.Column('payment_terms_days', sa.Integer(), nullable=True),
    sa.Column('metodo_pago', sa.String(length=3), nullable=False),
    sa.Column('forma_pago', sa.String(length=2), nullable=False),
    sa.Column('direct_debit', sa.Boolean(), nullable=False),
    sa.Column('dd_forma_pago', sa.String(length=2), nullable=False),
    sa.Column('dd_reference', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_contract_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract'))
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_balance',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('open_cents', sa.BigInteger(), nullable=False),
    sa.Column('credit_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_balance_customer_id_customer')),
    sa.PrimaryKeyConstraint('customer_id', 'currency', name=op.f('pk_customer_balance'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('series', sa.String(length=25), nullable=False),
    sa.Column('folio', sa.String(length=40), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.String(length=20), nullable=False),
    sa.Column('subtotal_cents', sa.BigInteger(), nullable=False),
    sa.Column('discount_cents', sa.BigInteger(), nullable=False),
    sa.Column('tax_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('balance_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('metodo_pago', sa.String(length=3), nullable=False),
    sa.Column('forma_pago', sa.String(length=2), nullable=False),
    sa.Column('cfdi_uuid', sa.String(length=36), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_document_contract_id_contract')),
    sa.ForeignKeyConstraint(['created_by'], ['operator.id'], name=op.f('fk_document_created_by_operator')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_document_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('cfdi_uuid', name=op.f('uq_document_cfdi_uuid')),
    sa.UniqueConstraint('contract_id', 'period_start', name=op.f('uq_document_contract_id_period_start'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_document_customer_issue', ['customer_id', 'issue_date'], unique=False)
        batch_op.create_index('ix_document_open', ['customer_id', 'kind', 'currency', 'due_date', 'balance_cents'], unique=False, sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"))

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.String(length=20), nullable=False),
    sa.Column('forma_pago', sa.String(length=2), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('unapplied_cents', sa.BigInteger(), nullable=False),
    sa.Column('rep_status', sa.String(length=12), nullable=False),
    sa.Column('rep_uuid', sa.String(length=36), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_payment_contract_id_contract')),
    sa.ForeignKeyConstraint(['created_by'], ['operator.id'], name=op.f('fk_payment_created_by_operator')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_payment_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('ix_payment_customer_date', ['customer_id', 'paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_rep_uuid'), ['rep_uuid'], unique=False)

    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance_after_cents', sa.BigInteger(), nullable=True),
    sa.Column('credit_after_cents', sa.BigInteger(), nullable=True),
    sa.Column('detail', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['operator.id'], name=op.f('fk_activity_actor_id_operator')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_activity_contract_id_contract')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_activity_customer_id_customer')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_activity_document_id_document')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_activity_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_customer_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_payment_id'), ['payment_id'], unique=False)

    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('credit_note_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('source_amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('reversed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['operator.id'], name=op.f('fk_allocation_created_by_operator')),
    sa.ForeignKeyConstraint(['credit_note_id'], ['document.id'], name=op.f('fk_allocation_credit_note_id_document')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_allocation_customer_id_customer')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_allocation_document_id_document')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_allocation_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation'))
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_payment_id'), ['payment_id'], unique=False)

    op.create_table('document_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('quantity', sa.String(length=24), nullable=False),
    sa.Column('unit_price', sa.String(length=24), nullable=False),
    sa.Column('tax_rate', sa.String(length=10), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('tax_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_line_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_line'))
    )
    with op.batch_alter_table('document_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_line_document_id'), ['document_id'], unique=False)

    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=5000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['operator.id'], name=op.f('fk_note_author_id_operator')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_note_customer_id_customer')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_note_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index('ix_note_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_document_id'), ['document_id'], unique=False)




def downgrade() -> None:
    op.drop_table('sequence')

    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_document_id'))
        batch_op.drop_index('ix_note_customer_created')

    op.drop_table('note')
    with op.batch_alter_table('document_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_line_document_id'))

    op.drop_table('document_line')
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_payment_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_document_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_customer_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_credit_note_id'))

    op.drop_table('allocation')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_payment_id'))
        batch_op.drop_index(batch_op.f('ix_activity_document_id'))
        batch_op.drop_index('ix_activity_customer_id')

    op.drop_table('activity')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_rep_uuid'))
        batch_op.drop_index('ix_payment_customer_date')

    op.drop_table('payment')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_open', sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"))
        batch_op.drop_index('ix_document_customer_issue')
        batch_op.drop_index(batch_op.f('ix_document_contract_id'))

    op.drop_table('document')
    op.drop_table('customer_balance')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_customer_id'))

    op.drop_table('contract')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_rfc'))
        batch_op.drop_index(batch_op.f('ix_customer_assigned_operator_id'))

    op.drop_table('customer')
    op.drop_table('operator')

