"""The migrations build exactly the schema the models describe, on both backends."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from intake.core.db import make_engine
from intake.core.migrate import upgrade_database
from intake.core.models import Base

pytestmark = pytest.mark.integration


# SQLite cannot reflect an index on an expression, so it is left out of the
# comparison there; test_outbox_recipient_index checks that one.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index:sqlalchemy.exc.SAWarning")
def test_upgraded_database_matches_the_models(database_url):
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
