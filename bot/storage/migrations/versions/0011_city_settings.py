"""city settings: staff edits of city.json (contact, holiday policy per category, links), one row per save

Revision ID: 0011_city_settings
Revises: 0001_core (its own concern, docs/contracts.md)
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_city_settings"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "city_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("overlay", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_settings")),
    )


def downgrade() -> None:
    op.drop_table("city_settings")
