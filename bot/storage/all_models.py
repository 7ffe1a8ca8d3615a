"""Import every model module so `Base.metadata` (and Alembic) sees all tables."""

from importlib import import_module

from bot.storage.db import Base

MODEL_MODULES = (
    "models",
    "line_inbox",
    "reports",
    "citydata",
    "accounts",
    "city_settings",
    "surveys",
    "profiles",
)

for _name in MODEL_MODULES:
    try:
        import_module(f"bot.storage.{_name}")
    except ModuleNotFoundError as exc:  # a concern not built yet
        if exc.name != f"bot.storage.{_name}":
            raise

metadata = Base.metadata
