"""surveys: survey definitions and versions, responses, resident profiles (年代・地区), satisfaction asks and scores

Revision ID: 0012_surveys
Revises: 0001_core (its own concern, docs/contracts.md)
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_surveys"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("respondent_salt", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index(op.f("ix_surveys_status"), "surveys", ["status"])
    op.create_index(op.f("ix_surveys_previous_id"), "surveys", ["previous_id"])
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("next_question", sa.Integer(), nullable=False),
        sa.Column("age_group", sa.String(length=16), nullable=True),
        sa.Column("area", sa.String(length=128), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("survey_id", "respondent", name="uq_survey_responses_survey_respondent"),
    )
    op.create_index(op.f("ix_survey_responses_survey_id"), "survey_responses", ["survey_id"])
    op.create_table(
        "resident_profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("age_group", sa.String(length=16), nullable=True),
        sa.Column("area", sa.String(length=128), nullable=True),
        sa.Column("consent_version", sa.Integer(), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_profiles")),
        sa.UniqueConstraint("sender", name=op.f("uq_resident_profiles_sender")),
    )
    op.create_table(
        "satisfaction_asks",
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_satisfaction_asks")),
    )
    op.create_table(
        "satisfaction_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_scores")),
    )
    op.create_index("ix_satisfaction_scores_created", "satisfaction_scores", ["created_at"])


def downgrade() -> None:
    op.drop_table("satisfaction_scores")
    op.drop_table("satisfaction_asks")
    op.drop_table("resident_profiles")
    op.drop_table("survey_responses")
    op.drop_table("surveys")
