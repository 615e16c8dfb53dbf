"""Small networking helpers shared by the development servers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


def find_free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on *host* that was free a moment ago.

    There is an unavoidable race between closing the probe socket and the
    server binding the port; callers that pick the port themselves retry
    with a new one when the server reports "address already in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def read_greeting(host: str, port: int, timeout: float = 1.0) -> bytes:
    """Connect to host:port and return the first line the server sends.

    Raises OSError if the connection is refused, reset or times out.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        data = b""
        while b"\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def wait_until(
    probe: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.02,
    max_interval: float = 0.2,
    abort: Callable[[], bool] | None = None,
) -> bool:
    """Call *probe* until it returns True or *timeout* seconds have passed.

    *abort* is checked before every attempt; when it returns True (for
    example because the server process has exited) waiting stops early.
    Returns whether the probe succeeded.
    """
    deadline = time.monotonic() + timeout
    while True:
        if abort is not None and abort():
            return False
        if probe():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


class DevServerError(RuntimeError):
    """A development server could not be started or used."""


class ServerNotInstalled(DevServerError):
    """The binaries a development server needs are not installed."""


def set_parent_death_signal(sig: int) -> None:
    """Ask Linux to send *sig* to this process when its parent dies.

    Meant as ``preexec_fn`` for server subprocesses so that a crashed or
    killed test run does not leave servers behind. A no-op where the
    prctl call is unavailable.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except Exception:  # pragma: no cover - non-Linux platforms
        pass


def tail(path, lines: int = 40) -> str:
    """Last *lines* lines of a text file, or '' if it cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])
