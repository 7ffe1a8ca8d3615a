"""faq: faq_entries.translations (answer_<lang> columns of the FAQ file: zh, ko, vi, pt…)

Revision ID: 0007_faq_translations
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_faq_translations"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("faq_entries") as batch:
        batch.drop_column("translations")
