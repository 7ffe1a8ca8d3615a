"""reports: what Open311 publishes once staff reviewed it (published_at/by, public_description/address/note)

Revision ID: 0008_open311_public
Revises: 0006_photo_retention
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_open311_public"
down_revision = "0006_photo_retention"  # the reports branch (docs/contracts.md, Storage)
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("published_by", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("public_description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("public_address", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("public_note", sa.Text(), nullable=False, server_default=""))
        batch.create_index("ix_reports_published_at", ["published_at"])


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_published_at")
        batch.drop_column("public_note")
        batch.drop_column("public_address")
        batch.drop_column("public_description")
        batch.drop_column("published_by")
        batch.drop_column("published_at")
