"""Engine, session factory and the Runtime built from settings; nothing is created at import."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from intake.core.blobstore import BlobStore
from intake.core.config import Settings


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


# Execution option: this connection's transactions will write (see ``_sqlite_begin``).
WRITES = "intake_writes"


def _sqlite_begin(connection) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (begin_nested); with
    # the driver in autocommit mode, SQLAlchemy emits BEGIN itself (SQLAlchemy docs recipe).
    # A transaction that will write takes the write lock as it starts: in WAL
    # mode one that read first and writes after another process (the review
    # app, the worker) has committed fails at once, "database is locked",
    # whatever busy_timeout says. IMMEDIATE waits its turn instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITES) else "BEGIN")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    # WAL lets the review app read while the worker writes; busy_timeout makes
    # a second writer wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_session_factory(engine: Engine, *, writes: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``writes``: each transaction takes SQLite's write lock as it
    starts (the worker's and the commands', which all write), not when it first writes."""
    return sessionmaker(engine.execution_options(**{WRITES: True}) if writes else engine, expire_on_commit=False)


@dataclass
class Runtime:
    """What a run needs, built once from settings (engine, sessions, blob store)."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    blobs: BlobStore

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        engine = make_engine(settings.database.url)
        return cls(settings, engine, make_session_factory(engine, writes=True),
                   BlobStore(settings.storage.path / "blobs"))

    def close(self) -> None:
        self.engine.dispose()
