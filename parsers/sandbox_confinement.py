"""What confines the parse template and each child it forks (``parsers.sandbox``).

Two steps, each applied once in the process it confines:

* ``confine_template``: the template, before it imports or forks anything,
  leaves everything of the worker's it need not hold: an environment
  without secrets (``CHILD_ENVIRONMENT``), every inherited descriptor (the
  database, the mailbox connection) but its own socket, the network (an
  empty network namespace, where the kernel allows one), core dumps, and the
  worker's process group (a Ctrl-C at the worker's terminal is not its to
  hear). The children it forks inherit all of this.
* ``confine_parse``: each child, before it receives its one file: a process
  group of its own (the worker kills whatever the parse started, LibreOffice
  or Tesseract, with it), its own folder as home, temporary folder and
  working directory, only its own socket, and the per-file limits: address
  space, CPU time, written file size, open files and processes.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import tempfile
import time
from dataclasses import dataclass
from typing import Collection


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 60.0
    memory_mb: int = 2048  # address space the parse may add to what the child inherits


# What the template keeps of the worker's environment: locale, search path
# and the thread caps; never a password, a database URL or a session key.
CHILD_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "TZ", "TESSDATA_PREFIX")
CHILD_ENVIRONMENT_PREFIXES = ("LC_", "OMP_", "OPENBLAS_", "MKL_")
MAX_OPEN_FILES = 1024  # LibreOffice opens fonts and its profile; far more means a runaway
MAX_WRITTEN_FILE_BYTES = 512 * 1024 * 1024  # a converted document or a page image
EXTRA_PROCESSES = 64  # the child's helpers (soffice, tesseract) on top of what the user runs
# CPU seconds a parse may use beyond its wall-clock timeout before the kernel
# stops it (the worker's timeout normally comes first).
CPU_GRACE_SECONDS = 5
PARSE_NICENESS = 5  # added to the worker's: the template and every child it forks


def confine_template(keep: Collection[int]) -> None:
    """In the template, before anything else, while it is single-threaded
    (just forked, or a fresh interpreter that has imported only the parsers' text rules)."""
    os.setpgid(0, 0)
    leave_the_network()
    kept = template_environment()
    os.environ.clear()
    os.environ.update(kept)
    os.chdir("/")
    close_descriptors_but(keep)
    lower_limit(resource.RLIMIT_CORE, 0)
    lower_limit(resource.RLIMIT_FSIZE, MAX_WRITTEN_FILE_BYTES)
    lower_limit(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)
    # Parsing is background work: the worker that feeds the children and
    # records what they read goes first. With two children and the worker on
    # two cores, an equal share held the worker back and the children then
    # waited for files (a thousand .docx mails read and recorded in 40 s, not 36 s).
    os.nice(PARSE_NICENESS)


def template_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items()
            if name in CHILD_ENVIRONMENT or name.startswith(CHILD_ENVIRONMENT_PREFIXES)}


@dataclass(frozen=True)
class ForkBaseline:
    """What the template measures of itself right before it forks a child,
    which starts with the same: read in the warm template, not in every
    fresh child (where reading /proc cost two milliseconds a file)."""

    address_space: int  # bytes mapped
    processes: int  # processes of this user, counted at most once a second


PROCESS_COUNT_SECONDS = 1.0
_process_count: tuple[float, int] | None = None  # (when, how many)


def fork_baseline() -> ForkBaseline:
    """In the template, right before a fork."""
    global _process_count
    now = time.monotonic()
    if _process_count is None or now - _process_count[0] >= PROCESS_COUNT_SECONDS:
        _process_count = (now, _processes_of_this_user())
    return ForkBaseline(address_space=address_space(), processes=_process_count[1])


def confine_parse(work_dir: str, keep: Collection[int], limits: Limits, core: int | None,
                  baseline: ForkBaseline) -> None:
    """In a child the template just forked, before it receives its file."""
    # The template's way of hearing its children end is not the child's: a
    # SIGCHLD from a helper must not write into a descriptor number reused here.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setpgid(0, 0)
    close_descriptors_but(keep)
    os.environ.update(HOME=work_dir, TMPDIR=work_dir)
    tempfile.tempdir = work_dir
    os.chdir(work_dir)
    if core is not None:
        os.sched_setaffinity(0, {core})
    lower_limit(resource.RLIMIT_NPROC, baseline.processes + EXTRA_PROCESSES)
    # The memory limit is on top of what the child inherits: a template that
    # has mapped half a gigabyte of libraries must not leave the parse nothing.
    # A service started under its own cap (ulimit -v) keeps it: lower_limit
    # never raises a hard limit.
    lower_limit(resource.RLIMIT_AS, baseline.address_space + limits.memory_mb * 1024 * 1024)
    # A forked child starts at zero CPU seconds.
    cpu = int(limits.timeout_seconds) + CPU_GRACE_SECONDS
    lower_limit(resource.RLIMIT_CPU, cpu, hard=cpu + CPU_GRACE_SECONDS)


def close_descriptors_but(keep: Collection[int]) -> None:
    keep = {0, 1, 2, *keep}
    for name in os.listdir("/proc/self/fd"):
        if name.isdigit() and int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass


_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


def leave_the_network() -> bool:
    """Move this single-threaded process into an empty network namespace,
    keeping its own user and group ids; False where the kernel does not
    allow it (a parse still runs: it needs no network)."""
    uid, gid = os.getuid(), os.getgid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            return False
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w", encoding="ascii") as mapping:
                mapping.write(text)
    except (OSError, AttributeError):
        return False
    return True


def lower_limit(which: int, value: int, *, hard: int | None = None) -> None:
    """Set a limit (soft ``value``, hard ``hard`` or ``value``) no higher
    than the hard limit inherited: a confined process may only lower it."""
    _soft, inherited = resource.getrlimit(which)
    hard = value if hard is None else hard
    if inherited != resource.RLIM_INFINITY:
        value, hard = min(value, inherited), min(hard, inherited)
    try:
        resource.setrlimit(which, (value, hard))
    except (ValueError, OSError):
        pass


def _processes_of_this_user() -> int:
    # A process's /proc folder belongs to its user: a stat each, not a read
    # of every process's status (a tenth of the time).
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                continue
    return count


def address_space() -> int:
    """Bytes of address space this process has mapped (0 if unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
