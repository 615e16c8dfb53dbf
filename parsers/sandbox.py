"""Run a parser in a child process with a time limit and a memory limit.

A pathological file (a decompression bomb, a parser bug looping forever) can
then only kill its own child: the worker records a status and moves on.
The child is forked from a parent that has already imported the parsers, so
starting one costs milliseconds, not an interpreter start-up.

``map_isolated`` runs several files at once, one child each, as many as
there are CPUs, each child pinned to a core of its own: the OCR models
then run one thread per child (``parsers.ocr.engines.rapid_models``)
rather than every child's threads contending for every core.

A child holds an applicant's file and nothing else of the worker's: it
starts with an environment without secrets (``CHILD_ENVIRONMENT``), closes
every descriptor it inherited (the database, the mailbox connection), leaves
the network (an empty network namespace, where the kernel allows one), gets
no core dumps and bounded files, open files and processes, and works in a
temporary folder of its own. It leads its own process group, so the worker
kills whatever it started (LibreOffice, Tesseract) with it, and removes its
folder, on every way out; folders left by a worker that died are removed
the next time one starts.
"""
from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import resource
import shutil
import signal
import tempfile
import time
import traceback
from pathlib import Path
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Sequence

from parsers.errors import ParseError, ParseTimeout, TooLarge


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 60.0
    memory_mb: int = 2048  # address space the parse may add to what the child inherits


class ChildCrashed(ParseError):
    reason = "crashed"


# What a child keeps of the worker's environment: locale, search path and
# the thread caps; never a password, a database URL or a session key.
CHILD_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "TZ", "TESSDATA_PREFIX")
CHILD_ENVIRONMENT_PREFIXES = ("LC_", "OMP_", "OPENBLAS_", "MKL_")
MAX_OPEN_FILES = 1024  # LibreOffice opens fonts and its profile; far more means a runaway
MAX_WRITTEN_FILE_BYTES = 512 * 1024 * 1024  # a converted document or a page image
EXTRA_PROCESSES = 64  # the child's helpers (soffice, tesseract) on top of what the user runs
TEMP_PREFIX = "intake-parse-"
_stale_checked = False


def run_isolated(func: Callable[..., Any], *args: Any, limits: Limits = Limits()) -> Any:
    """``func(*args)`` in a forked child; its return value or its ParseError come back.

    Any other exception in the child comes back as a ParseError carrying the
    child's traceback summary, so no foreign exception crosses this line.
    """
    [outcome] = map_isolated(func, [args], limits=limits, workers=1)
    if isinstance(outcome, ParseError):
        raise outcome
    return outcome


def parsing_workers(configured: int | None = None) -> int:
    """Children run at once: as configured, else one per CPU this process
    may run on (a container's share, not the machine's)."""
    return max(1, configured or len(_cores()) or os.cpu_count() or 1)


@dataclass
class _Run:
    index: int
    child: Any
    receiver: Any
    started: float
    core: int | None = None
    work_dir: str | None = None


def _cores() -> list[int]:
    """The CPUs this process may run on."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []


def map_isolated(func: Callable[..., Any], calls: Sequence[tuple], *, limits: Limits = Limits(),
                 workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """``func(*args)`` for each args in ``calls``, each in a forked child of
    its own, up to ``workers`` (default: one per usable CPU) at once.

    Returns, in the order of ``calls``, each child's return value or the
    ParseError it raised (returned, not raised: one bad file does not stop
    the rest). Children are forked from the calling thread only.
    """
    remove_stale_temp_dirs()
    workers = parsing_workers(workers)
    # Several at once: each child on a core of its own (the OCR then runs
    # one thread per child instead of every child spinning on every core).
    cores = _cores() if workers > 1 and len(calls) > 1 else []
    context = multiprocessing.get_context("fork")
    outcomes: list[Any] = [None] * len(calls)
    waiting = list(range(len(calls)))[::-1]
    running: list[_Run] = []
    done = 0
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                index = waiting.pop()
                taken = {run.core for run in running}
                core = next((c for c in cores if c not in taken), None)
                receiver, sender = context.Pipe(duplex=False)
                work_dir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
                child = context.Process(target=_child_main,
                                        args=(sender, func, calls[index], limits, core, work_dir), daemon=True)
                try:
                    child.start()
                finally:
                    sender.close()
                running.append(_Run(index, child, receiver, time.monotonic(), core, work_dir))
            deadline = min(run.started for run in running) + limits.timeout_seconds
            ready = wait([run.receiver for run in running], timeout=max(0.0, deadline - time.monotonic()))
            for run in list(running):
                if run.receiver in ready:
                    outcomes[run.index] = _collect(run)
                elif time.monotonic() - run.started >= limits.timeout_seconds:
                    outcomes[run.index] = ParseTimeout(
                        f"解析超时（超过 {limits.timeout_seconds:g} 秒），请人工查看原件。")
                else:
                    continue
                _finish(run)
                running.remove(run)
                done += 1
                if progress:
                    progress(done, len(calls))
    finally:
        for run in running:
            _finish(run)
    return outcomes


def _collect(run: _Run) -> Any:
    try:
        return run.receiver.recv()
    except (EOFError, OSError):
        run.child.join(5)
        if run.child.exitcode == -signal.SIGKILL:
            return TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。")
        return ChildCrashed(f"解析进程异常退出（退出码 {run.child.exitcode}），请人工查看原件。")


def _finish(run: _Run) -> None:
    run.receiver.close()
    # The whole group: a LibreOffice or Tesseract the child started dies with it.
    try:
        os.killpg(run.child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if run.child.is_alive():
        run.child.kill()
    run.child.join(5)
    if run.work_dir:
        shutil.rmtree(run.work_dir, ignore_errors=True)


def remove_stale_temp_dirs() -> None:
    """Remove children's folders whose worker is gone (killed, machine rebooted); once per process."""
    global _stale_checked
    if _stale_checked:
        return
    _stale_checked = True
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        owner = folder.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _process_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _confine(sender, work_dir: str) -> None:
    """In the child, before the parse: its own process group, folder,
    environment and limits, and none of the worker's descriptors."""
    os.setpgid(0, 0)
    _leave_the_network()
    kept = {name: value for name, value in os.environ.items()
            if name in CHILD_ENVIRONMENT or name.startswith(CHILD_ENVIRONMENT_PREFIXES)}
    kept.update(HOME=work_dir, TMPDIR=work_dir)
    os.environ.clear()
    os.environ.update(kept)
    tempfile.tempdir = work_dir
    os.chdir(work_dir)
    keep = {0, 1, 2, sender.fileno()}
    for name in os.listdir("/proc/self/fd"):
        if name.isdigit() and int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass
    _lower(resource.RLIMIT_CORE, 0)
    _lower(resource.RLIMIT_FSIZE, MAX_WRITTEN_FILE_BYTES)
    _lower(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)
    _lower(resource.RLIMIT_NPROC, _processes_of_this_user() + EXTRA_PROCESSES)


_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


def _leave_the_network() -> bool:
    """Move this (single-threaded, just forked) child into an empty network
    namespace, keeping its own user and group ids; False where the kernel
    does not allow it (the parse still runs: it needs no network)."""
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


def _lower(which: int, value: int) -> None:
    """Set a limit no higher than the one inherited (a child may not raise it)."""
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass


def _processes_of_this_user() -> int:
    uid = str(os.getuid())
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith("Uid:"):
                        count += line.split()[1] == uid
                        break
        except OSError:
            continue
    return count


def _address_space() -> int:
    """Bytes of address space this process has mapped (0 if unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _child_main(sender, func, args, limits: Limits, core: int | None = None, work_dir: str | None = None) -> None:
    # A collection in the child would walk (and so copy) every object the
    # parent owns; the child lives for one parse, so let it skip them.
    gc.disable()
    try:
        if work_dir is not None:
            _confine(sender, work_dir)
        if core is not None:
            os.sched_setaffinity(0, {core})
        # The limit is on top of what the child inherits: a parent that has
        # already mapped a gigabyte (libraries, models) must not leave its
        # children nothing to parse with.
        limit = _address_space() + limits.memory_mb * 1024 * 1024
        # A service started under its own address-space cap (ulimit -v) keeps it:
        # the child may not raise a hard limit, only stay at or under it.
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(limits.timeout_seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        try:
            outcome = func(*args)
        except ParseError as exc:
            outcome = exc
        except MemoryError:
            outcome = TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。")
        except RecursionError:
            outcome = ParseError("文件结构嵌套过深，无法解析，请人工查看原件。")
        except Exception as exc:  # a parser bug must still come back as a status
            summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            outcome = ParseError(f"解析失败：{summary[:500]}")
        try:
            sender.send(outcome)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            sender.send(ParseError(f"解析结果无法传回：{exc}"))
    finally:
        sender.close()
        os._exit(0)
