"""One active scheduler per database: the first ``intake run`` leads, any other waits to take over.

A scheduler only guards its own jobs; two of them on one database would
poll, remind and send twice. So leading is a fact the database's own host
keeps, released by the operating system or the server when the leader dies:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held
  on a connection of its own for as long as the process leads. The server
  drops it when that session ends; TCP keepalives on the session make a
  machine that vanished without closing its connection count as gone
  within about a minute.
- SQLite: an exclusive ``flock`` on a file next to the database file (an
  in-memory database uses the storage folder); the kernel drops it with
  the process.

A waiting process asks again every few seconds, so it takes over soon after
the leader dies, whether the leader ran on this machine or another.
"""
from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# The advisory lock's two int4 keys: ours ("inta" in ASCII) and the scheduler's number.
LOCK_CLASS = 0x696E7461
LOCK_SCHEDULER = 1
_LOCK_KEYS = {"class": LOCK_CLASS, "scheduler": LOCK_SCHEDULER}
# How pg_locks shows a lock taken with two int4 keys.
_OUR_LOCK = (
    "l.locktype = 'advisory' AND l.granted AND l.classid = CAST(CAST(:class AS integer) AS oid)"
    " AND l.objid = CAST(CAST(:scheduler AS integer) AS oid) AND l.objsubid = 2"
)
RETRY_SECONDS = 2.0


class Leadership(Protocol):
    def try_acquire(self) -> bool:
        """Become the leader if nobody is; never blocks for long."""

    def still_held(self) -> bool:
        """Whether this process still leads (False: stop scheduling at once)."""

    def holder(self) -> str:
        """Who leads now, as far as can be told, for the log of a waiting process."""

    def release(self) -> None: ...


def this_process() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def leadership_for(database_url: str, storage_path: Path) -> Leadership:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLeadership(database_url)
    if url.database and url.database != ":memory:":
        return FileLeadership(Path(f"{url.database}.scheduler.lock"))
    return FileLeadership(storage_path / "scheduler.lock")


def wait_for_leadership(leadership: Leadership, stop: threading.Event, *, retry_seconds: float = RETRY_SECONDS) -> bool:
    """Block until this process leads (True) or ``stop`` is set (False)."""
    waiting_logged = False
    while not stop.is_set():
        if leadership.try_acquire():
            log.info("调度：本进程（%s）是此数据库的在岗调度进程 / active scheduler for this database",
                     this_process())
            return True
        if not waiting_logged:
            log.info("调度：另一个 intake run 正在运行（%s），本进程待命，它停止后接替 / "
                     "standing by: another scheduler is active for this database", leadership.holder())
            waiting_logged = True
        stop.wait(retry_seconds)
    return False


class FileLeadership:
    """An exclusive flock; the file also says who holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(this_process())
        handle.flush()
        self._handle = handle
        return True

    def still_held(self) -> bool:
        return self._handle is not None

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


class PostgresLeadership:
    """A session-level advisory lock on a dedicated connection (never returned to a pool)."""

    def __init__(self, database_url: str) -> None:
        self._engine = create_engine(database_url, poolclass=NullPool)
        self._connection: Connection | None = None
        self._leading = False

    def try_acquire(self) -> bool:
        if self._leading:
            return True
        try:
            connection = self._connect()
            self._leading = bool(connection.scalar(
                text("SELECT pg_try_advisory_lock(CAST(:class AS integer), CAST(:scheduler AS integer))"),
                _LOCK_KEYS,
            ))
        except SQLAlchemyError as exc:
            log.warning("调度：无法连接数据库确认在岗进程 / cannot reach the database to take the lead: %s", exc)
            self._drop_connection()
            return False
        return self._leading

    def still_held(self) -> bool:
        if not self._leading or self._connection is None:
            return False
        try:
            held = self._connection.scalar(
                text(f"SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE {_OUR_LOCK} AND l.pid = pg_backend_pid())"),
                _LOCK_KEYS,
            )
        except SQLAlchemyError:
            held = False
        if not held:
            self._leading = False
            self._drop_connection()
        return bool(held)

    def holder(self) -> str:
        try:
            row = self._connect().execute(
                text("SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l"
                     f" JOIN pg_stat_activity a ON a.pid = l.pid WHERE {_OUR_LOCK}"),
                _LOCK_KEYS,
            ).first()
        except SQLAlchemyError:
            return "unknown"
        if row is None:
            return "unknown"
        name, address, pid = row
        return f"{name or 'backend ' + str(pid)}{f' from {address}' if address else ''}"

    def release(self) -> None:
        self._leading = False
        self._drop_connection()  # ending the session releases the lock
        self._engine.dispose()

    def _connect(self) -> Connection:
        if self._connection is None:
            # Autocommit: the session holds the lock, never an open transaction.
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("SELECT set_config('application_name', :name, false)"),
                               {"name": f"intake run ({this_process()})"[:63]})
            for setting, value in (("tcp_keepalives_idle", "30"), ("tcp_keepalives_interval", "10"),
                                   ("tcp_keepalives_count", "3")):
                connection.execute(text("SELECT set_config(:setting, :value, false)"),
                                   {"setting": setting, "value": value})
            self._connection = connection
        return self._connection

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                pass  # already gone: the server has ended the session, and the lock with it
