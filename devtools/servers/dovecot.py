"""A private Dovecot IMAP server on loopback for tests and ``intake demo``.

Each :class:`DovecotServer` runs its own ``dovecot -F`` master process with a
generated configuration, its own base/state/log directories and Maildir
storage, all inside one working directory. It listens only on 127.0.0.1,
allows plaintext logins there and authenticates users from a passwd-file
that :meth:`DovecotServer.add_user` appends to (Dovecot re-reads the file
when it changes, so users can be added while the server runs).

It works both as root (as in CI: Dovecot drops privileges to its own
system users and mail is stored as an unprivileged user) and as an ordinary
user (everything runs as that user, no chroot).

Example::

    with DovecotServer(disable_move=True) as server:
        account = server.new_account()
        server.append(account.username, account.password, "INBOX", raw)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from imapclient import IMAPClient

from .dovecot_config import identities, render_config
from .ports import DevServerError, ServerNotInstalled, read_greeting
from .server_process import ServerProcess, make_dir

__all__ = [
    "DovecotNotInstalled",
    "DovecotServer",
    "ImapAccount",
    "dovecot_version",
    "find_dovecot",
]

INSTALL_HINT = (
    "Dovecot 未安装：请运行 apt-get install dovecot-imapd / "
    "Dovecot is not installed: run apt-get install dovecot-imapd"
)

_SEARCH_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/usr/local/bin")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_STARTUP_TIMEOUT = 20.0


class DovecotNotInstalled(ServerNotInstalled):
    """The ``dovecot`` binary could not be found."""


@dataclasses.dataclass(frozen=True)
class ImapAccount:
    """Where and how to log in to one mailbox of a :class:`DovecotServer`."""

    host: str
    port: int
    username: str
    password: str


def find_dovecot() -> str:
    """Path of the ``dovecot`` binary; raises :class:`DovecotNotInstalled`."""
    found = shutil.which("dovecot")
    if found:
        return found
    for directory in _SEARCH_DIRS:
        candidate = os.path.join(directory, "dovecot")
        if os.access(candidate, os.X_OK):
            return candidate
    raise DovecotNotInstalled(INSTALL_HINT)


def dovecot_version(binary: str | None = None) -> tuple[int, ...]:
    """Version of Dovecot as a tuple, e.g. ``(2, 3, 19, 1)``."""
    binary = binary or find_dovecot()
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    match = re.match(r"\s*(\d+(?:\.\d+)*)", out)
    if not match:
        raise DevServerError(f"cannot parse `dovecot --version` output: {out!r}")
    return tuple(int(part) for part in match.group(1).split("."))


# Capabilities a stock server advertises after login, per Dovecot binary.
# Filled lazily the first time a server with a filtered list is started.
_default_caps: dict[tuple[str, tuple[int, ...]], tuple[str, ...]] = {}
_default_caps_lock = threading.Lock()


class DovecotServer(ServerProcess):
    """A private Dovecot IMAP server on 127.0.0.1.

    :param workdir: directory for config, runtime state, logs and mail.
        Default: a fresh temporary directory, removed again by :meth:`stop`.
    :param port: TCP port; default a free one.
    :param disable_move: do not advertise ``MOVE`` (like 126.com), so clients
        must fall back to COPY + EXPUNGE.
    :param disable_idle: do not advertise ``IDLE`` (like 126.com).
    :param capabilities: explicit post-login capability list (``imap_capability``);
        overrides the default list that the two options above filter.
    :param separator: hierarchy separator of the namespace.
    :param timezone: ``TZ`` for the server, e.g. ``"Asia/Shanghai"`` or the
        POSIX form ``"CST-8"``. Maildir keeps INTERNALDATE as an instant;
        Dovecot reports it in this zone (126.com reports ``+0800``).
    :param debug: turn on Dovecot's auth and mail debug logging.
    :param keep_workdir: keep a temporary working directory after :meth:`stop`.
    """

    product = "Dovecot"

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        disable_move: bool = False,
        disable_idle: bool = False,
        capabilities: Sequence[str] | None = None,
        separator: str = "/",
        timezone: str | None = None,
        debug: bool = False,
        keep_workdir: bool = False,
        startup_timeout: float = _STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(workdir, port=port, keep_workdir=keep_workdir, startup_timeout=startup_timeout)
        self.disable_move = disable_move
        self.disable_idle = disable_idle
        self._capabilities = tuple(capabilities) if capabilities is not None else None
        self.separator = separator
        self.timezone = timezone
        self.debug = debug
        self._users: dict[str, str] = {}
        self._run_dir: Path | None = None
        self._lock = threading.Lock()
        self.binary: str | None = None
        self.version: tuple[int, ...] = ()
        self._start_capabilities: tuple[str, ...] | None = None

    # ------------------------------------------------------------------ props
    @property
    def config_path(self) -> Path:
        return self.workdir / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.workdir / "log" / "dovecot.log"

    @property
    def users_dir(self) -> Path:
        """One passwd-file per user (see :meth:`add_user`)."""
        return self.workdir / "users"

    # ------------------------------------------------- ServerProcess hooks
    def _find_programs(self) -> None:
        self.binary = find_dovecot()
        self.version = dovecot_version(self.binary)
        self._start_capabilities = self._effective_capabilities()

    def _prepare(self) -> None:
        work = self._new_workdir("intake-dovecot-")
        ids = identities()
        # Dovecot's unprivileged processes must be able to traverse it.
        os.chmod(work, 0o755)
        self._run_dir = self._socket_dir(work)
        for name in ("state", "log"):
            (work / name).mkdir(exist_ok=True)
        make_dir(work / "home", 0o750, (ids.mail_uid, ids.mail_gid) if ids.root else None)
        if ids.root:
            # Read by the auth process, which runs as the internal user.
            make_dir(self.users_dir, 0o750, (0, ids.internal_gid))
        else:
            make_dir(self.users_dir, 0o700)

    @staticmethod
    def _socket_dir(work: Path) -> Path:
        """Where Dovecot puts its sockets: unix socket paths are limited to 107
        bytes, so a deep working directory gets a short one under /tmp."""
        longest = work / "run" / "token-login" / "imap-urlauth-worker"
        if len(os.fsencode(str(longest))) < 100:
            return work / "run"
        short = Path(tempfile.mkdtemp(prefix="dovecot-"))
        os.chmod(short, 0o755)
        return short

    def stop(self) -> None:
        super().stop()
        run_dir, self._run_dir = self._run_dir, None
        if run_dir is not None and run_dir.name.startswith("dovecot-") and run_dir.parent == Path(tempfile.gettempdir()):
            shutil.rmtree(run_dir, ignore_errors=True)

    def _configure_port(self) -> None:
        # The listener's port is part of the config, so it is written per attempt.
        self._write_config(self._start_capabilities)

    def _command(self) -> list[str]:
        assert self.binary is not None
        return [self.binary, "-F", "-c", str(self.config_path)]

    def _output_path(self) -> Path:
        return self.workdir / "log" / "stderr.log"

    def _log_files(self) -> list[Path]:
        # Startup errors (e.g. a bad config) only reach stderr, not the log.
        return [self.log_path, self._output_path()]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.timezone:
            env["TZ"] = self.timezone
        return env

    def _accepting(self) -> bool:
        try:
            return read_greeting(self.host, self.port, timeout=1.0).startswith(b"* OK")
        except OSError:
            return False

    # ---------------------------------------------------------- configuration
    def _removed_capabilities(self) -> tuple[str, ...]:
        removed = []
        if self.disable_move:
            removed.append("MOVE")
        if self.disable_idle:
            removed.append("IDLE")
        return tuple(removed)

    def _write_config(self, capabilities: Sequence[str] | None) -> None:
        self.config_path.write_text(
            render_config(
                workdir=self.workdir,
                port=self.port,
                version=self.version,
                run_dir=self._run_dir,
                capabilities=capabilities,
                removed_capabilities=self._removed_capabilities(),
                separator=self.separator,
                debug=self.debug,
            ),
            encoding="utf-8",
        )

    def _effective_capabilities(self) -> tuple[str, ...] | None:
        if self._capabilities is not None:
            return self._capabilities
        removed = set(self._removed_capabilities())
        if not removed or self.version >= (2, 4):
            # 2.4 can switch single capabilities off in the config itself.
            return None
        defaults = _stock_capabilities(self.binary or find_dovecot(), self.version)
        return tuple(cap for cap in defaults if cap.upper() not in removed)

    # ------------------------------------------------------------------ users
    def add_user(self, username: str, password: str, *, exist_ok: bool = False) -> ImapAccount:
        """Create a mailbox user (plaintext ``{PLAIN}`` password).

        ``exist_ok`` keeps a user (and its mail) from an earlier run of a kept
        working directory, setting the password given now.
        """
        if not _USERNAME_RE.match(username):
            raise ValueError(f"unsupported IMAP username: {username!r}")
        if not password or any(ch in password for ch in ":\r\n\0"):
            raise ValueError("password must be non-empty and contain no ':' or line breaks")
        # Each user gets its own passwd-file: Dovecot checks a passwd-file
        # it has already loaded for changes at most once per second, so
        # appending to one shared file could miss a user added just now.
        path = self.users_dir / username
        with self._lock:
            if (username in self._users or path.exists()) and not exist_ok:
                raise ValueError(f"user {username!r} already exists")
            tmp = path.with_name(f".{username}.tmp")
            tmp.write_text(f"{username}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
            ids = identities()
            if ids.root:
                os.chown(tmp, 0, ids.internal_gid)
            os.chmod(tmp, 0o640 if ids.root else 0o600)
            os.replace(tmp, path)
            self._users[username] = password
        return ImapAccount(self.host, self.port, username, password)

    def new_account(self, prefix: str = "user") -> ImapAccount:
        """Create a user with a unique name and a random password."""
        username = f"{prefix}-{secrets.token_hex(4)}"
        return self.add_user(username, secrets.token_urlsafe(12))

    def password_of(self, username: str) -> str:
        try:
            return self._users[username]
        except KeyError:
            raise KeyError(f"unknown user {username!r}; create it with add_user()") from None

    # ---------------------------------------------------------------- clients
    def client(self, username: str, password: str | None = None, timeout: float = 10.0) -> IMAPClient:
        """A logged-in :class:`IMAPClient`; the caller must ``logout()`` it."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        try:
            client.login(username, password if password is not None else self.password_of(username))
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    @contextlib.contextmanager
    def session(self, username: str, password: str | None = None) -> Iterator[IMAPClient]:
        """``with server.session(user) as imap: ...`` - logs out afterwards."""
        client = self.client(username, password)
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()
            with contextlib.suppress(Exception):
                client.shutdown()

    def create_folder(self, username: str, folder: str, password: str | None = None) -> None:
        """Create *folder* in the user's mailbox if it does not exist yet."""
        with self.session(username, password) as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)

    def append(
        self,
        username: str,
        password: str | None,
        folder: str,
        raw_bytes: bytes,
        flags: Iterable[str | bytes] = (),
        msg_time: _dt.datetime | None = None,
        *,
        create_missing: bool = True,
    ) -> int | None:
        """APPEND a raw RFC 5322 message; returns its UID (from APPENDUID).

        *msg_time* becomes the message's INTERNALDATE; pass an aware
        datetime (a naive one is taken as local time by imapclient).
        """
        with self.session(username, password) as imap:
            if create_missing and not imap.folder_exists(folder):
                imap.create_folder(folder)
            response = imap.append(folder, raw_bytes, flags=tuple(flags), msg_time=msg_time)
        return _appenduid(response)

    def uidvalidity(self, username: str, folder: str = "INBOX") -> int:
        with self.session(username) as imap:
            status = imap.folder_status(folder, [b"UIDVALIDITY"])
        return int(status[b"UIDVALIDITY"])

    def recreate_mailbox(self, username: str, folder: str = "INBOX") -> int:
        """Empty *folder* and give it a new UIDVALIDITY; returns the new value.

        A normal folder is deleted and created again over IMAP. INBOX cannot
        be deleted in IMAP, so its messages and Dovecot's index/UID list are
        removed on disk instead; Dovecot then assigns a fresh UIDVALIDITY.
        """
        old = self.uidvalidity(username, folder)
        if folder.upper() == "INBOX":
            self._reset_inbox_on_disk(username)
        else:
            with self.session(username) as imap:
                if imap.folder_exists(folder):
                    imap.delete_folder(folder)
                imap.create_folder(folder)
        new = self.uidvalidity(username, folder)
        if new == old:  # pragma: no cover - Dovecot guarantees a new value
            raise DevServerError(f"UIDVALIDITY of {folder!r} did not change ({old})")
        return new

    def _reset_inbox_on_disk(self, username: str) -> None:
        maildir = self.workdir / "home" / username / "Maildir"
        for sub in ("cur", "new", "tmp"):
            for entry in (maildir / sub).glob("*"):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
        for entry in maildir.glob("dovecot*"):
            if entry.name == "dovecot-uidvalidity" or entry.name.startswith("dovecot-uidvalidity."):
                continue  # keeps the per-user counter that makes values unique
            if entry.is_file():
                entry.unlink()


# ---------------------------------------------------------------------------
# helpers


def _stock_capabilities(binary: str, version: tuple[int, ...]) -> tuple[str, ...]:
    """Post-login capabilities of an unmodified instance of this Dovecot.

    Learned once per binary by starting a throwaway instance, so a filtered
    list never advertises something this Dovecot version cannot do.
    """
    key = (binary, version)
    with _default_caps_lock:
        if key not in _default_caps:
            with DovecotServer() as probe:
                account = probe.new_account("probe")
                with probe.session(account.username, account.password) as imap:
                    caps = imap.capabilities()
            _default_caps[key] = tuple(
                c.decode() if isinstance(c, bytes) else str(c) for c in caps
            )
        return _default_caps[key]


def _appenduid(response: bytes | str | None) -> int | None:
    if response is None:
        return None
    if isinstance(response, bytes):
        response = response.decode("ascii", "replace")
    match = re.search(r"\[APPENDUID \d+ (\d+)\]", response)
    return int(match.group(1)) if match else None

