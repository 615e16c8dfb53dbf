"""The migrations build exactly the schema the models describe, on both backends."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from intake.core.db import make_engine
from intake.core.migrate import upgrade_database
from intake.core.models import Base

pytestmark = pytest.mark.integration


def test_upgraded_database_matches_the_models(database_url):
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
