"""A private PostgreSQL cluster on loopback for tests and ``intake demo``.

:class:`PostgresServer` runs ``initdb`` into a fresh data directory and then
the ``postgres`` server itself in the foreground, listening on 127.0.0.1 (and
a Unix socket inside its working directory) with ``trust`` authentication.
Durability is switched off (``fsync=off`` ...) because the data is thrown
away afterwards.

``initdb`` and ``postgres`` refuse to run as root. When the current process
is root (as in CI) they run as an unprivileged system user - ``postgres``
(created by Debian's package) or else ``nobody`` - and the working directory
is created where that user can reach it and owned by it.

Example::

    with PostgresServer() as pg:
        url = pg.create_database("intake_demo")
        engine = sqlalchemy.create_engine(url)
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from .ports import DevServerError, ServerNotInstalled
from .server_process import ServerProcess, make_dir

__all__ = ["PostgresNotInstalled", "PostgresServer", "find_postgres_bindir"]

INSTALL_HINT = (
    "PostgreSQL 未安装：请运行 apt-get install postgresql-15 / "
    "PostgreSQL is not installed: run apt-get install postgresql-15"
)

_REQUIRED = ("initdb", "pg_ctl", "postgres")
_STARTUP_TIMEOUT = 30.0
_DBNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")


class PostgresNotInstalled(ServerNotInstalled):
    """initdb / pg_ctl / postgres could not be found."""


def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"/postgresql/(\d+(?:\.\d+)?)/bin$", path)
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def find_postgres_bindir(version: str | int | None = None) -> Path:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks at ``/usr/lib/postgresql/<version>/bin`` (Debian's layout, where
    these programs are not on PATH; newest first unless *version* is given),
    then at the directory of ``pg_ctl`` on PATH.
    """
    candidates: list[str] = []
    if version is not None:
        candidates.append(f"/usr/lib/postgresql/{version}/bin")
    else:
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(os.path.dirname(os.path.realpath(on_path)))
    candidates += ["/usr/local/pgsql/bin"]
    for directory in candidates:
        if not all(os.access(os.path.join(directory, prog), os.X_OK) for prog in _REQUIRED):
            continue
        if version is not None and str(_major_version(Path(directory))) != str(version):
            continue
        return Path(directory)
    wanted = f" {version}" if version is not None else ""
    raise PostgresNotInstalled(f"{INSTALL_HINT} (looked for PostgreSQL{wanted} in {candidates})")


class PostgresServer(ServerProcess):
    """A private PostgreSQL cluster on 127.0.0.1 with trust authentication.

    :param workdir: parent for the data directory, socket and log. Default: a
        fresh temporary directory, removed again by :meth:`stop`.
    :param port: TCP port; default a free one.
    :param version: major version to use (e.g. ``15``); default the newest found.
    :param superuser: name of the database superuser initdb creates.
    :param settings: extra server settings (``-c name=value``).
    """

    product = "PostgreSQL"
    # postgres itself shuts its backends down, so only the postmaster is
    # signalled: SIGINT is "fast shutdown", SIGQUIT "immediate".
    death_signal = signal.SIGINT
    stop_signals = (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL)
    stop_timeout = 15.0
    signal_group = False

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        version: str | int | None = None,
        superuser: str = "postgres",
        settings: dict[str, Any] | None = None,
        keep_workdir: bool = False,
        startup_timeout: float = _STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(workdir, port=port, keep_workdir=keep_workdir, startup_timeout=startup_timeout)
        self._requested_version = version
        self.user = superuser
        self.settings = dict(settings or {})
        self.bindir: Path | None = None
        self._run_as: pwd.struct_passwd | None = None

    # ------------------------------------------------------------------ props
    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.workdir / "sock"

    @property
    def log_path(self) -> Path:
        return self.workdir / "postgres.log"

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL, ``postgresql+psycopg://postgres@127.0.0.1:PORT/dbname``."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq connection URI (for psycopg or psql)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    # ------------------------------------------------- ServerProcess hooks
    def _find_programs(self) -> None:
        self.bindir = find_postgres_bindir(self._requested_version)
        self._run_as = _unprivileged_user() if os.geteuid() == 0 else None

    def _prepare(self) -> None:
        self._prepare_workdir()
        self._initdb()

    def _request_shutdown(self) -> None:
        # pg_ctl waits for a clean checkpoint; the signals are the fallback.
        try:
            self._run(
                [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "30"],
                timeout=40,
            )
        except (DevServerError, subprocess.TimeoutExpired):
            pass

    def _output_path(self) -> Path:
        return self.log_path

    def _command(self) -> list[str]:
        settings = {
            "listen_addresses": self.host,
            "port": self._port,
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "32MB",
            "max_connections": 100,
            "logging_collector": "off",
            "log_min_messages": "warning",
            **self.settings,
        }
        cmd = [str(self.bindir / "postgres"), "-D", str(self.datadir)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        return cmd

    def _accepting(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _env(self) -> dict[str, str]:
        # PG* variables of the caller (PGHOST, PGDATA ...) would redirect the tools.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["HOME"] = str(self.workdir)
        env["LC_ALL"] = "C"
        return env

    def _user_kwargs(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}

    # ----------------------------------------------------------- internals
    def _prepare_workdir(self) -> None:
        owner = (self._run_as.pw_uid, self._run_as.pw_gid) if self._run_as else (os.geteuid(), os.getegid())
        parent = None  # tempfile's default directory
        if (
            self._requested_workdir is None
            and self._run_as
            and not _traversable(Path(tempfile.gettempdir()), self._run_as)
        ):
            parent = "/tmp"
        work = self._new_workdir("intake-pg-", parent)
        if self._run_as and not _traversable(work.parent, self._run_as):
            raise DevServerError(
                f"{work.parent} is not reachable by the user {self._run_as.pw_name!r} "
                "that PostgreSQL runs as; choose a working directory under /tmp"
            )
        make_dir(work, 0o700, owner)
        make_dir(work / "sock", 0o700, owner)
        log = self.log_path
        log.touch()
        os.chown(log, *owner)

    def _initdb(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            return  # reuse a cluster in a caller-provided workdir
        cmd = [
            str(self.bindir / "initdb"),
            "-D", str(self.datadir),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]
        if _major_version(self.bindir) >= 14:
            cmd.append("--no-instructions")
        self._run(cmd, timeout=120)

    def _run(self, cmd: list[str], timeout: float) -> None:
        result = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=str(self.workdir),
            env=self._env(),
            timeout=timeout,
            **self._user_kwargs(),
        )
        if result.returncode != 0:
            raise DevServerError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )

    # ------------------------------------------------------------- databases
    def connect(self, dbname: str = "postgres", *, autocommit: bool = True) -> psycopg.Connection:
        """A psycopg connection as the superuser; the caller closes it."""
        return psycopg.connect(self.dsn(dbname), autocommit=autocommit, connect_timeout=5)

    def create_database(self, name: str) -> str:
        """CREATE DATABASE *name*; returns its SQLAlchemy URL."""
        _check_dbname(name)
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE IF EXISTS *name*, disconnecting its sessions."""
        _check_dbname(name)
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# ---------------------------------------------------------------------------


def _check_dbname(name: str) -> None:
    if not _DBNAME_RE.match(name):
        raise ValueError(f"unsupported database name: {name!r}")


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise DevServerError("running as root, but neither a 'postgres' nor a 'nobody' user exists")


def _traversable(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether *user* may search every directory from / down to *path*."""
    groups = {user.pw_gid}
    with contextlib.suppress(Exception):
        groups.update(os.getgrouplist(user.pw_name, user.pw_gid))
    path = path.resolve()
    for directory in [path, *path.parents]:
        try:
            st = directory.stat()
        except OSError:
            return False
        if st.st_uid == user.pw_uid:
            ok = st.st_mode & 0o100
        elif st.st_gid in groups:
            ok = st.st_mode & 0o010
        else:
            ok = st.st_mode & 0o001
        if not ok:
            return False
    return True


def _major_version(bindir: Path) -> int:
    out = subprocess.run(
        [str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, timeout=10
    ).stdout
    match = re.search(r"(\d+)", out)
    return int(match.group(1)) if match else 0

