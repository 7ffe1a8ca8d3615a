"""Every process of the stack migrates as it starts, so on a new database several upgrade at once; each must
start (`bot.storage.db.migration_lock`), and the schema must come out whole, once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.storage.all_models import metadata
from bot.storage.db import alembic_config, make_engine, migrate

REPO = Path(__file__).resolve().parents[3]
PROCESSES = 4
MIGRATE = "import sys; from bot.storage.db import migrate; migrate(sys.argv[1])"


def test_processes_that_migrate_a_new_database_at_once_all_start(db_url: str) -> None:
    started = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, db_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(PROCESSES)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read().decode()[-2000:] if p.stdout else "") for p in started]
    assert [code for code, _ in outcomes] == [0] * PROCESSES, [out for code, out in outcomes if code]

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            versions = list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        head = ScriptDirectory.from_config(alembic_config(db_url)).get_heads()
        assert sorted(versions) == sorted(head)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    migrate(db_url)  # and once more, later: nothing to do, no error
