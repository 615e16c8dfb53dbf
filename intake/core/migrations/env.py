"""Alembic environment: the URL comes from intake's config, never from alembic.ini."""
from __future__ import annotations

from alembic import context

from intake.core.db import make_engine
from intake.core.models import Base

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    if connection.dialect.name != "sqlite":
        with context.begin_transaction():
            context.run_migrations()
        return
    # SQLite changes a table's constraints only by rebuilding it, which drops
    # the table other tables' foreign keys point at: its documented procedure
    # turns foreign keys off (only possible outside a transaction), and checks
    # them all before they are on again.
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


run_migrations()
