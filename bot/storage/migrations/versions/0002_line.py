"""line inbox and users

Revision ID: 0002_line
Revises: 0001_core
Create Date: 2026-11-23 11:33:33.551063
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_line"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "line_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("event_ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("redelivered", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("outbox", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_inbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_line_inbox_event_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_line_inbox_message_id")),
    )
    with op.batch_alter_table("line_inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_inbox_received_at"), ["received_at"], unique=False)
        batch_op.create_index("ix_line_inbox_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_line_inbox_user_key"), ["user_key"], unique=False)

    op.create_table(
        "line_users",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("followed", sa.Boolean(), nullable=False),
        sa.Column("followed_at", sa.DateTime(), nullable=True),
        sa.Column("unfollowed_at", sa.DateTime(), nullable=True),
        sa.Column("delete_after", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_line_users")),
        sa.UniqueConstraint("user_id", name=op.f("uq_line_users_user_id")),
    )
    with op.batch_alter_table("line_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_users_delete_after"), ["delete_after"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("line_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_users_delete_after"))
    op.drop_table("line_users")
    with op.batch_alter_table("line_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_inbox_user_key"))
        batch_op.drop_index("ix_line_inbox_status_next")
        batch_op.drop_index(batch_op.f("ix_line_inbox_received_at"))
    op.drop_table("line_inbox")
