"""Run Alembic migrations programmatically (``intake db upgrade``)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from intake.core.db import make_engine
# Tables modelled outside models.py join Base.metadata when imported; the
# migrations and their check against the models must see every one.
from intake.core import reminder_models, staff_models  # noqa: F401

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head", *, campaigns: Sequence[str] = ()) -> None:
    """``campaigns``: the names configured; a migration that files older rows
    under a campaign uses the only one when that is all there is (0008)."""
    config = alembic_config(url)
    config.attributes["campaigns"] = list(campaigns)
    command.upgrade(config, revision)


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
