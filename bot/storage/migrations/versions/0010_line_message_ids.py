"""line: LINE's message id with each stored message (`unsend`), the photo stored from an inbox event, and the
month's LINE usage (late pushes, fallback texts, message allowance used up)

Revision ID: 0010_line_message_ids
Revises: 0002_line (the LINE branch, docs/contracts.md: a later change to a concern appends to its branch)
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_line_message_ids"
down_revision = "0002_line"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("line_message_id", sa.String(64), nullable=True))
        batch.create_index("ix_messages_line_message_id", ["line_message_id"])
    with op.batch_alter_table("line_inbox") as batch:
        batch.add_column(sa.Column("photo_id", sa.String(64), nullable=True))
    op.create_table(
        "line_usage",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("late_pushes", sa.Integer(), nullable=False),
        sa.Column("fallback_texts", sa.Integer(), nullable=False),
        sa.Column("quota_exhausted_at", sa.DateTime(), nullable=True),
        sa.Column("quota_checked_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_line_usage")),
    )


def downgrade() -> None:
    op.drop_table("line_usage")
    with op.batch_alter_table("line_inbox") as batch:
        batch.drop_column("photo_id")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_line_message_id")
        batch.drop_column("line_message_id")
