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
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from imapclient import IMAPClient

from .ports import (
    LOOPBACK,
    DevServerError,
    ServerNotInstalled,
    find_free_port,
    read_greeting,
    set_parent_death_signal,
    tail,
    wait_until,
)

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
_PORT_ATTEMPTS = 3


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


class DovecotServer:
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
        self._requested_workdir = Path(workdir) if workdir is not None else None
        self._requested_port = port
        self.disable_move = disable_move
        self.disable_idle = disable_idle
        self._capabilities = tuple(capabilities) if capabilities is not None else None
        self.separator = separator
        self.timezone = timezone
        self.debug = debug
        self.keep_workdir = keep_workdir
        self.startup_timeout = startup_timeout

        self.host = LOOPBACK
        self._port: int | None = None
        self._workdir: Path | None = None
        self._owns_workdir = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()
        self.binary: str | None = None
        self.version: tuple[int, ...] = ()

    # ------------------------------------------------------------------ props
    @property
    def port(self) -> int:
        if self._port is None:
            raise DevServerError("DovecotServer is not started")
        return self._port

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            raise DevServerError("DovecotServer is not started")
        return self._workdir

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

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of Dovecot's log and of its stdout/stderr."""
        if self._workdir is None:
            return ""
        parts = [tail(self.log_path, lines), tail(self.workdir / "log" / "stderr.log", lines)]
        return "\n".join(p for p in parts if p)

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> DovecotServer:
        """Start Dovecot and return once it sends its IMAP greeting."""
        if self.running:
            return self
        self.binary = find_dovecot()
        self.version = dovecot_version(self.binary)
        capabilities = self._effective_capabilities()
        self._prepare_workdir()
        try:
            attempts = 1 if self._requested_port else _PORT_ATTEMPTS
            for attempt in range(attempts):
                self._port = self._requested_port or find_free_port(self.host)
                self._write_config(capabilities)
                if self._launch():
                    return self
                log = self.log_tail()
                self._kill()
                if "in use" not in log or attempt == attempts - 1:
                    raise DevServerError(
                        f"Dovecot did not become ready on {self.host}:{self._port} "
                        f"within {self.startup_timeout:.0f}s. Log tail:\n{log}"
                    )
        except BaseException:
            self.stop()
            raise
        return self  # pragma: no cover - loop always returns or raises

    def stop(self) -> None:
        """Stop Dovecot, wait for it, and remove a temporary working directory."""
        self._kill()
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._workdir is not None and self._owns_workdir and not self.keep_workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._port = None

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc)

    def _launch(self) -> bool:
        stderr_path = self.workdir / "log" / "stderr.log"
        env = dict(os.environ)
        if self.timezone:
            env["TZ"] = self.timezone
        with open(stderr_path, "ab") as stderr:
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=subprocess.STDOUT,
                cwd=str(self.workdir),
                env=env,
                start_new_session=True,
                preexec_fn=lambda: set_parent_death_signal(signal.SIGTERM),
            )
        self._finalizer = weakref.finalize(self, _terminate, self._proc)
        proc = self._proc
        port = self._port
        assert port is not None

        def greeted() -> bool:
            try:
                return read_greeting(self.host, port, timeout=1.0).startswith(b"* OK")
            except OSError:
                return False

        return wait_until(
            greeted, timeout=self.startup_timeout, abort=lambda: proc.poll() is not None
        )

    # ---------------------------------------------------------- configuration
    def _prepare_workdir(self) -> None:
        if self._requested_workdir is not None:
            self._workdir = self._requested_workdir.resolve()
            self._workdir.mkdir(parents=True, exist_ok=True)
            self._owns_workdir = False
        else:
            self._workdir = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
            self._owns_workdir = True
        ids = _identities()
        work = self._workdir
        # Dovecot's unprivileged processes must be able to traverse it.
        os.chmod(work, 0o755)
        for name in ("state", "log"):
            (work / name).mkdir(exist_ok=True)
        home = work / "home"
        home.mkdir(exist_ok=True)
        os.chmod(home, 0o750)
        if ids.root:
            os.chown(home, ids.mail_uid, ids.mail_gid)
        users = self.users_dir
        users.mkdir(exist_ok=True)
        if ids.root:
            # Read by the auth process, which runs as the internal user.
            os.chown(users, 0, ids.internal_gid)
            os.chmod(users, 0o750)
        else:
            os.chmod(users, 0o700)

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
    def add_user(self, username: str, password: str) -> ImapAccount:
        """Create a mailbox user (plaintext ``{PLAIN}`` password)."""
        if not _USERNAME_RE.match(username):
            raise ValueError(f"unsupported IMAP username: {username!r}")
        if not password or any(ch in password for ch in ":\r\n\0"):
            raise ValueError("password must be non-empty and contain no ':' or line breaks")
        # Each user gets its own passwd-file: Dovecot checks a passwd-file
        # it has already loaded for changes at most once per second, so
        # appending to one shared file could miss a user added just now.
        path = self.users_dir / username
        with self._lock:
            if username in self._users or path.exists():
                raise ValueError(f"user {username!r} already exists")
            tmp = path.with_name(f".{username}.tmp")
            tmp.write_text(f"{username}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
            ids = _identities()
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

    def __repr__(self) -> str:
        state = f"{self.host}:{self._port}" if self.running else "stopped"
        return f"<DovecotServer {state}>"


# ---------------------------------------------------------------------------
# helpers


@dataclasses.dataclass(frozen=True)
class _Ids:
    root: bool
    internal_user: str
    internal_group: str
    internal_gid: int
    login_user: str
    mail_uid: int
    mail_gid: int


def _identities() -> _Ids:
    """Which system users Dovecot's processes and mail files run as."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid())
        return _Ids(False, me.pw_name, group.gr_name, group.gr_gid, me.pw_name, me.pw_uid, me.pw_gid)
    internal = _first_user("dovecot", "nobody")
    login = _first_user("dovenull", "nobody")
    internal_group = grp.getgrgid(internal.pw_gid)
    # Mail is stored as Dovecot's own unprivileged system user.
    return _Ids(
        True,
        internal.pw_name,
        internal_group.gr_name,
        internal_group.gr_gid,
        login.pw_name,
        internal.pw_uid,
        internal.pw_gid,
    )


def _first_user(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise DevServerError(f"none of the system users {names} exists")


def render_config(
    *,
    workdir: Path,
    port: int,
    version: tuple[int, ...],
    capabilities: Sequence[str] | None = None,
    removed_capabilities: Sequence[str] = (),
    separator: str = "/",
    debug: bool = False,
) -> str:
    """The dovecot.conf text for a private loopback instance.

    *capabilities* replaces the advertised list. *removed_capabilities* is
    only used for Dovecot >= 2.4, whose ``imap_capability`` is a boolean
    list; for 2.3 the caller passes the filtered full list instead.
    """
    ids = _identities()
    v24 = version >= (2, 4)
    user_var = "%{user}" if v24 else "%u"
    users = f"{workdir}/users/{user_var}"
    home = f"{workdir}/home/{user_var}"
    lines = [
        "# Generated for a private development/test instance. Do not edit.",
    ]
    if v24:
        lines += ["dovecot_config_version = 2.4.0", "dovecot_storage_version = 2.4.0"]
    lines += [
        f"base_dir = {workdir}/run",
        f"state_dir = {workdir}/state",
        f"instance_name = intake-dovecot-{port}",
        f"log_path = {workdir}/log/dovecot.log",
        f"info_log_path = {workdir}/log/dovecot.log",
        f"debug_log_path = {workdir}/log/dovecot.log",
        "protocols = imap",
        f"listen = {LOOPBACK}",
        "ssl = no",
        "auth_allow_cleartext = yes" if v24 else "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        "auth_failure_delay = 0",
        f"default_internal_user = {ids.internal_user}",
        f"default_internal_group = {ids.internal_group}",
        f"default_login_user = {ids.login_user}",
        f"first_valid_uid = {ids.mail_uid}",
        f"last_valid_uid = {ids.mail_uid}",
        f"first_valid_gid = {ids.mail_gid}",
        f"last_valid_gid = {ids.mail_gid}",
        f"mail_home = {home}",
        "mail_fsync = never",
        "maildir_very_dirty_syncs = no",
        "imap_idle_notify_interval = 1 secs",
    ]
    if ids.root:
        lines += [f"mail_uid = {ids.mail_uid}", f"mail_gid = {ids.mail_gid}"]
    if v24:
        lines += [
            "mail_driver = maildir",
            "mail_path = ~/Maildir",
            "passdb passwd-file {",
            f"  passwd_file_path = {users}",
            "}",
            "userdb passwd-file {",
            f"  passwd_file_path = {users}",
            "}",
        ]
    else:
        lines += [
            "mail_location = maildir:~/Maildir",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {users}",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {users}",
            "}",
        ]
    if debug:
        lines += ["auth_debug = yes", "auth_verbose = yes", "mail_debug = yes"]
    if capabilities is not None:
        lines.append(f"imap_capability = {' '.join(capabilities)}")
    elif v24 and removed_capabilities:
        lines.append("imap_capability {")
        lines += [f"  {cap} = no" for cap in removed_capabilities]
        lines.append("}")
    ns_name = "inbox"
    lines += [
        f"namespace {ns_name} {{",
        "  inbox = yes",
        f"  separator = {separator}",
        "  prefix =" if not v24 else "",
        "  mailbox Drafts {",
        "    special_use = \\Drafts",
        "  }",
        "  mailbox Sent {",
        "    special_use = \\Sent",
        "  }",
        "  mailbox Junk {",
        "    special_use = \\Junk",
        "  }",
        "  mailbox Trash {",
        "    special_use = \\Trash",
        "  }",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        # 2.4 has no per-listener address; the global `listen` applies.
        f"    address = {LOOPBACK}" if not v24 else "",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
    ]
    if not ids.root:
        lines.append("  chroot =")
    lines.append("}")
    if not ids.root:
        # chroot() needs root; an unprivileged instance runs without it.
        for service in ("anvil", "imap-urlauth-login"):
            lines += [f"service {service} {{", "  chroot =", "}"]
    return "\n".join(line for line in lines if line != "") + "\n"


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


def _terminate(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop the master and its children.

    The master runs in its own process group; signalling the whole group
    shuts Dovecot down at once (signalling only the master makes it wait
    about a second for its children).
    """
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    else:
        proc.wait()
        # Children that outlived a crashed master.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
