"""The lifecycle both development servers share: one child process on loopback.

:class:`ServerProcess` owns a working directory (a fresh temporary one unless
the caller names one), picks a free port, starts the server in its own
process group, waits until it answers, and stops it again - also when the
test run crashes (parent-death signal) or the object is garbage collected
without :meth:`~ServerProcess.stop` (weakref finalizer).

Subclasses (:class:`~devtools.servers.dovecot.DovecotServer`,
:class:`~devtools.servers.postgres.PostgresServer`) say what to run and how
to tell it is ready by overriding the ``_``-prefixed hooks below.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from .ports import LOOPBACK, DevServerError, find_free_port, set_parent_death_signal, tail, wait_until

__all__ = ["ServerProcess", "make_dir", "terminate"]

# A port picked by find_free_port can be taken by someone else before the
# server binds it, so a server that reports "in use" gets a few more tries.
_PORT_ATTEMPTS = 3


class ServerProcess:
    """A server process on 127.0.0.1 with its own working directory.

    :param workdir: working directory; default a fresh temporary directory,
        removed again by :meth:`stop` unless *keep_workdir* is true.
    :param port: TCP port; default a free one.
    """

    #: Product name used in error messages, e.g. ``"Dovecot"``.
    product: ClassVar[str] = "server"
    #: Sent to the server when this process dies (``prctl(PR_SET_PDEATHSIG)``).
    death_signal: ClassVar[int] = signal.SIGTERM
    #: Signals :func:`terminate` escalates through, waiting after each.
    stop_signals: ClassVar[tuple[int, ...]] = (signal.SIGTERM, signal.SIGKILL)
    stop_timeout: ClassVar[float] = 10.0
    #: Signal the whole process group (the server's children too) or only
    #: the main process (for servers that shut their children down themselves).
    signal_group: ClassVar[bool] = True

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None,
        *,
        port: int | None,
        keep_workdir: bool,
        startup_timeout: float,
    ) -> None:
        self._requested_workdir = Path(workdir) if workdir is not None else None
        self._requested_port = port
        self.keep_workdir = keep_workdir
        self.startup_timeout = startup_timeout

        self.host = LOOPBACK
        self._port: int | None = None
        self._workdir: Path | None = None
        self._owns_workdir = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None

    # ------------------------------------------------------------------ props
    @property
    def port(self) -> int:
        if self._port is None:
            raise DevServerError(f"{type(self).__name__} is not started")
        return self._port

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            raise DevServerError(f"{type(self).__name__} is not started")
        return self._workdir

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the server's log file(s)."""
        if self._workdir is None:
            return ""
        parts = [tail(path, lines) for path in self._log_files()]
        return "\n".join(p for p in parts if p)

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Self:
        """Start the server and return once it accepts connections."""
        if self.running:
            return self
        self._find_programs()
        try:
            self._prepare()
            attempts = 1 if self._requested_port else _PORT_ATTEMPTS
            for attempt in range(attempts):
                self._port = self._requested_port or find_free_port(self.host)
                self._configure_port()
                if self._launch():
                    return self
                log = self.log_tail()
                self._kill()
                if "in use" not in log or attempt == attempts - 1:
                    raise DevServerError(
                        f"{self.product} did not become ready on {self.host}:{self._port} "
                        f"within {self.startup_timeout:.0f}s. Log tail:\n{log}"
                    )
        except BaseException:
            # Leave nothing behind: no process, no temporary directory.
            self.stop()
            raise
        return self  # pragma: no cover - the loop always returns or raises

    def stop(self) -> None:
        """Stop the server, wait for it, and remove a temporary working directory."""
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
        if proc is None:
            return
        if proc.poll() is None:
            self._request_shutdown()
        terminate(proc, self.stop_signals, timeout=self.stop_timeout, group=self.signal_group)

    def _launch(self) -> bool:
        """Start the process; whether it became ready within the timeout."""
        death_signal = self.death_signal
        with open(self._output_path(), "ab") as output:
            self._proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=str(self.workdir),
                env=self._env(),
                start_new_session=True,  # own process group, see terminate()
                preexec_fn=lambda: set_parent_death_signal(death_signal),
                **self._user_kwargs(),
            )
        # Must not refer to self, or the finalizer would keep it alive.
        self._finalizer = weakref.finalize(
            self, terminate, self._proc, self.stop_signals,
            timeout=self.stop_timeout, group=self.signal_group,
        )
        proc = self._proc
        return wait_until(
            self._accepting, timeout=self.startup_timeout, abort=lambda: proc.poll() is not None
        )

    def _new_workdir(self, prefix: str, parent: str | None = None) -> Path:
        """The requested working directory (created), or a fresh temporary one we own."""
        if self._requested_workdir is not None:
            work = self._requested_workdir.resolve()
            work.mkdir(parents=True, exist_ok=True)
            self._owns_workdir = False
        else:
            work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            self._owns_workdir = True
        self._workdir = work
        return work

    # ------------------------------------------------------------------ hooks
    def _find_programs(self) -> None:
        """Locate the binaries; runs before anything is created on disk."""

    def _prepare(self) -> None:
        """Create the working directory and everything in it that does not depend on the port."""
        raise NotImplementedError

    def _configure_port(self) -> None:
        """Called after ``_port`` is chosen, before each launch attempt."""

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _output_path(self) -> Path:
        """File that receives the process's stdout and stderr."""
        raise NotImplementedError

    def _log_files(self) -> Sequence[Path]:
        """Files :meth:`log_tail` reads, in order."""
        return [self._output_path()]

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    def _user_kwargs(self) -> dict[str, Any]:
        """Extra :class:`subprocess.Popen` arguments, e.g. ``user=`` to drop root."""
        return {}

    def _accepting(self) -> bool:
        """Whether the server answers on ``self.port`` yet."""
        raise NotImplementedError

    def _request_shutdown(self) -> None:
        """Ask a still running server to shut down before it is signalled."""

    def __repr__(self) -> str:
        state = f"{self.host}:{self._port}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"


# ---------------------------------------------------------------------------


def make_dir(path: Path, mode: int, owner: tuple[int, int] | None = None) -> Path:
    """Create *path* if needed and give it *mode* and (when root) *owner* ``(uid, gid)``."""
    path.mkdir(exist_ok=True)
    if owner is not None:
        os.chown(path, *owner)
    os.chmod(path, mode)
    return path


def terminate(
    proc: subprocess.Popen[bytes],
    signals: Sequence[int],
    *,
    timeout: float,
    group: bool,
) -> None:
    """Stop *proc*, escalating through *signals* while it does not exit in time.

    With *group* the whole process group is signalled: the server runs in
    its own group (``start_new_session``), and signalling only a master
    process can make it wait for its children first.
    """
    def send(sig: int) -> None:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)

    exited_before = proc.poll() is not None
    for sig in signals:
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            send(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
    proc.wait()
    if group and exited_before:
        # Children that outlived a crashed main process.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

