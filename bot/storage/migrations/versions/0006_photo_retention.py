"""retention: report_photos.deleted_at (photo file deleted after the retention period)

Revision ID: 0006_photo_retention
Revises: 0003_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_photo_retention"
down_revision = "0003_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_photos") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_photos") as batch:
        batch.drop_column("deleted_at")
