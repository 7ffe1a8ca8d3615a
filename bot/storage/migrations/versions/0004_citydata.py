"""city data: imported datasets, snowplow positions, reminder subscriptions and their sent-log

Revision ID: 0004_citydata
Revises: 0003_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_citydata"
down_revision = "0003_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "city_datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_datasets")),
    )
    with op.batch_alter_table("city_datasets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_city_datasets_kind"), ["kind"], unique=False)

    op.create_table(
        "snowplow_positions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snowplow_positions")),
        sa.UniqueConstraint("vehicle_id", "recorded_at", name="uq_snowplow_positions_vehicle_time"),
    )
    with op.batch_alter_table("snowplow_positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snowplow_positions_recorded_at"), ["recorded_at"], unique=False)

    op.create_table(
        "reminder_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("sender_ref", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_subscriptions")),
    )
    with op.batch_alter_table("reminder_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_subscriptions_sender"), ["sender"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminder_subscriptions_cancelled_at"), ["cancelled_at"], unique=False
        )

    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["reminder_subscriptions.id"],
            name=op.f("fk_reminder_deliveries_subscription_id_reminder_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_deliveries")),
        sa.UniqueConstraint("subscription_id", "target_date", name="uq_reminder_deliveries_sub_date"),
    )


def downgrade() -> None:
    op.drop_table("reminder_deliveries")
    with op.batch_alter_table("reminder_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_subscriptions_cancelled_at"))
        batch_op.drop_index(batch_op.f("ix_reminder_subscriptions_sender"))
    op.drop_table("reminder_subscriptions")
    with op.batch_alter_table("snowplow_positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snowplow_positions_recorded_at"))
    op.drop_table("snowplow_positions")
    with op.batch_alter_table("city_datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_city_datasets_kind"))
    op.drop_table("city_datasets")
