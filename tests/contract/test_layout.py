"""Tests mirror the source: `bot/line/worker.py` is tested in `tests/bot/line/test_worker.py` (or, split by
feature, `tests/bot/line/test_worker_<feature>.py`). A module without one is in `EXEMPT`, with the reason.

Besides the mirrors, tests/ holds only the cross-cutting suites in `CROSS_CUTTING`.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SOURCE = ("bot", "knowledge", "actions", "channels")
CROSS_CUTTING = {
    "e2e",  # the whole stack started by the launcher
    "faults",  # a dependency fails (database restart, Rasa killed, LINE API errors, disk full)
    "hostile",  # forged webhooks, schema fuzzing, property tests of the APIs
    "privacy",  # masking, retention and docs/privacy.md across every store
    "eval",  # retrieval quality with the real model
    "conversation",  # Rasa story tests and `rasa data validate`
    "browser",  # the widget and the console in headless Chromium
    "scaleout",  # several gateway workers and Rasa instances
    "contract",  # docs and import rules checked against the code
    "support",  # shared fakes and fixtures, no tests
    "data",  # real cities' published files, unchanged, each with its source and licence; no tests
}

# Never mirrored: a package's `__init__`/`__main__` is tested through its modules; Alembic revisions run in
# tests/bot/storage/test_db_migrate_concurrently.py and every test that migrates a database.
NOT_MODULES = ("__init__.py", "__main__.py")
NOT_MIRRORED_DIRS = ("bot/storage/migrations/",)

# Modules tested elsewhere, and where. Keep this list short and true: `test_the_exemptions_are_current` fails
# when a module listed here gets its mirrored test or goes away.
EXEMPT: dict[str, str] = {
    # Rasa-side: import Rasa, so they run only in .venv-rasa, inside the Rasa server of the whole-stack suites
    "bot/nlu/channel.py": "tests/e2e, tests/scaleout (the gateway's half: tests/bot/test_rasa.py)",
    "bot/nlu/lock_store.py": "tests/scaleout (two Rasa instances on Redis); configured: tests/bot/run",
    "bot/nlu/tracker_store.py": "tests/e2e, tests/faults; configured: tests/bot/run/test_launcher.py",
    # trains Rasa; `make test` (scripts/test.sh) trains before pytest and the stack suites load the model
    "bot/run/training.py": "scripts/test.sh, tests/e2e",
    # a cross-cutting concern with its own suite
    "bot/run/retention.py": "tests/privacy/test_retention.py",
    # tables: every storage test uses them; docs/privacy.md is checked against them
    "bot/storage/models.py": "tests/bot/storage, tests/privacy/test_privacy_doc.py",
    "bot/storage/all_models.py": "tests/bot/storage/test_db_migrate_concurrently.py, tests/privacy",
    "bot/storage/line_inbox.py": "tests/bot/line/test_inbox.py, tests/bot/line/test_worker.py",
    "bot/storage/conversations.py": "tests/bot/admin/test_unanswered.py, tests/bot/test_chat.py, tests/bot/cli",
    "channels/line/events.py": "tests/channels/line/test_webhook_paths.py, tests/bot/line/test_handlers.py",
    "channels/line/signature.py": "tests/hostile/test_webhook_forgery.py, tests/channels/line/test_webhook.py",
    "knowledge/csvdata.py": "tests/knowledge/test_clinics.py, test_departments.py, test_snowplow.py",
    "knowledge/garbage/rules.py": "tests/knowledge/garbage/test_calendar.py, tests/hostile/test_properties.py",
    "bot/admin/charts.py": "tests/bot/admin/test_dashboard.py",
}


def source_modules() -> list[str]:
    return sorted(
        path.relative_to(REPO).as_posix()
        for package in SOURCE
        for path in (REPO / package).rglob("*.py")
        if path.name not in NOT_MODULES
        and not path.relative_to(REPO).as_posix().startswith(NOT_MIRRORED_DIRS)
    )


def mirrored_tests(module: str) -> list[Path]:
    path = Path(module)
    folder = TESTS / path.parent
    exact = folder / f"test_{path.stem}.py"
    return ([exact] if exact.is_file() else []) + sorted(folder.glob(f"test_{path.stem}_*.py"))


def test_every_source_module_has_a_mirrored_test() -> None:
    missing = [m for m in source_modules() if not mirrored_tests(m) and m not in EXEMPT]
    assert missing == [], (
        "add tests/<source path>/test_<module>.py (or an EXEMPT line saying why):\n" + "\n".join(missing)
    )


def test_the_exemptions_are_current() -> None:
    modules = set(source_modules())
    assert [m for m in EXEMPT if m not in modules] == [], "exempt modules that no longer exist"
    assert [m for m in EXEMPT if mirrored_tests(m)] == [], "exempt modules that now have a mirrored test"


def test_test_folders_mirror_the_source_or_are_cross_cutting() -> None:
    top = {d.name for d in TESTS.iterdir() if d.is_dir() and d.name != "__pycache__"}
    assert top - set(SOURCE) - CROSS_CUTTING == set()
    strays = [
        d.relative_to(TESTS).as_posix()
        for package in SOURCE
        if (TESTS / package).is_dir()
        for d in (TESTS / package).rglob("*")
        if d.is_dir() and d.name != "__pycache__" and not (REPO / d.relative_to(TESTS)).is_dir()
    ]
    assert strays == [], "test folders whose source folder does not exist"
