"""admin console: the last TOTP step used per staff user (no code twice), and the sign-in throttle's counters

Revision ID: 0009_totp
Revises: 0005_admin
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_totp"
down_revision = "0005_admin"  # the admin branch (docs/contracts.md, Storage): staff_users is created there
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle") as batch:
        batch.create_index(batch.f("ix_login_throttle_last_at"), ["last_at"], unique=False)


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("totp_last_step")
