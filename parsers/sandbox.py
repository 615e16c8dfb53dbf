"""Run a parser in a child process with a time limit and a memory limit.

A pathological file (a decompression bomb, a parser bug looping forever) can
then only kill its own child: the worker records a status and moves on.
The child is forked from a parent that has already imported the parsers, so
starting one costs milliseconds, not an interpreter start-up.

``map_isolated`` runs several files at once, one child each, as many as
there are CPUs, each child pinned to a core of its own: the OCR models
then run one thread per child (``parsers.ocr.engines.rapid_models``)
rather than every child's threads contending for every core.
``ParsePool`` does the same for a stream of files, and may let a child
parse up to ``calls_per_child`` of them one after another (a fork and a
cold start per file cost more than a .docx takes to read). Every file
still gets the child's limits afresh (time, memory, CPU), an emptied
folder, and no helper left behind by the file before; a child that fails
in any way, leaves a helper running or has grown is retired, never reused.

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
import itertools
import multiprocessing
import os
import pickle
import resource
import shutil
import signal
import tempfile
import time
import traceback
from collections import deque
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
    outcomes: dict[int, Any] = {}
    with ParsePool(func, limits=limits, workers=min(parsing_workers(workers), max(1, len(calls)))) as pool:
        tickets = [pool.submit(args) for args in calls]
        while pool.busy():
            for ticket, outcome in pool.collect():
                outcomes[ticket] = outcome
                if progress:
                    progress(len(outcomes), len(calls))
    return [outcomes[ticket] for ticket in tickets]


@dataclass
class _Child:
    process: Any
    tasks: Any  # the worker's end of the pipe calls go down
    results: Any  # the worker's end of the pipe outcomes come up
    core: int | None
    work_dir: str
    calls_done: int = 0
    ticket: int | None = None  # the call it is running
    started: float = 0.0


class ParsePool:
    """Confined children running ``func`` on calls as they are submitted, up
    to ``workers`` at once; a child runs at most ``calls_per_child`` calls,
    one at a time, and is retired early after any failure (see the module
    docstring). Use as a context manager: leaving it kills every child."""

    def __init__(self, func: Callable[..., Any], *, limits: Limits = Limits(), workers: int | None = None,
                 calls_per_child: int = 1) -> None:
        remove_stale_temp_dirs()
        self.func, self.limits = func, limits
        self.workers = parsing_workers(workers)
        self.calls_per_child = max(1, calls_per_child)
        # Several at once: each child on a core of its own (the OCR then runs
        # one thread per child instead of every child spinning on every core).
        self._cores = _cores() if self.workers > 1 else []
        self._context = multiprocessing.get_context("fork")
        self._children: list[_Child] = []
        self._queue: deque[tuple[int, tuple]] = deque()
        self._tickets = itertools.count()

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def submit(self, args: tuple) -> int:
        """Queue ``func(*args)``; the ticket its outcome comes back with from ``collect``."""
        ticket = next(self._tickets)
        self._queue.append((ticket, args))
        self._dispatch()
        return ticket

    def busy(self) -> bool:
        return bool(self._queue) or any(child.ticket is not None for child in self._children)

    def collect(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        """Outcomes (ticket, return value or ParseError) of the calls that
        finish within ``timeout`` seconds; None: wait until one does."""
        waited_until = None if timeout is None else time.monotonic() + timeout
        finished: list[tuple[int, Any]] = []
        while not finished:
            running = [child for child in self._children if child.ticket is not None]
            if not running:
                break
            now = time.monotonic()
            cut_off = min(child.started for child in running) + self.limits.timeout_seconds
            until = cut_off if waited_until is None else min(cut_off, waited_until)
            ready = wait([child.results for child in running], timeout=max(0.0, until - now))
            for child in running:
                if child.results in ready:
                    outcome, retire = self._receive(child)
                elif time.monotonic() - child.started >= self.limits.timeout_seconds:
                    outcome, retire = ParseTimeout(
                        f"解析超时（超过 {self.limits.timeout_seconds:g} 秒），请人工查看原件。"), True
                else:
                    continue
                finished.append((child.ticket, outcome))
                child.ticket, child.calls_done = None, child.calls_done + 1
                if retire or child.calls_done >= self.calls_per_child:
                    self._retire(child)
            self._dispatch()
            if waited_until is not None and time.monotonic() >= waited_until:
                break
        return finished

    def close(self) -> None:
        for child in list(self._children):
            self._retire(child)
        self._queue.clear()

    def _dispatch(self) -> None:
        """Hand queued calls to idle children, starting children up to ``workers``."""
        while self._queue:
            child = next((c for c in self._children if c.ticket is None), None)
            if child is None:
                if len(self._children) >= self.workers:
                    return
                child = self._start_child()
            ticket, args = self._queue.popleft()
            try:
                child.tasks.send(args)
            except OSError:  # it died idle; the call goes to another
                self._retire(child)
                self._queue.appendleft((ticket, args))
                continue
            child.ticket, child.started = ticket, time.monotonic()

    def _start_child(self) -> _Child:
        taken = {child.core for child in self._children}
        core = next((c for c in self._cores if c not in taken), None)
        task_receiver, task_sender = self._context.Pipe(duplex=False)
        result_receiver, result_sender = self._context.Pipe(duplex=False)
        work_dir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
        process = self._context.Process(
            target=_child_main, daemon=True,
            args=(task_receiver, result_sender, self.func, self.limits, self.calls_per_child, core, work_dir))
        try:
            process.start()
        finally:
            task_receiver.close()
            result_sender.close()
        child = _Child(process, task_sender, result_receiver, core, work_dir)
        self._children.append(child)
        return child

    def _receive(self, child: _Child) -> tuple[Any, bool]:
        try:
            return child.results.recv()
        except (EOFError, OSError):
            child.process.join(5)
            if child.process.exitcode == -signal.SIGKILL:
                return TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。"), True
            return ChildCrashed(f"解析进程异常退出（退出码 {child.process.exitcode}），请人工查看原件。"), True

    def _retire(self, child: _Child) -> None:
        self._children.remove(child)
        child.tasks.close()
        child.results.close()
        # The whole group: a LibreOffice or Tesseract the child started dies with it.
        try:
            os.killpg(child.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if child.process.is_alive():
            child.process.kill()
        child.process.join(5)
        shutil.rmtree(child.work_dir, ignore_errors=True)


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


def _confine(pipes: Sequence[Any], work_dir: str) -> None:
    """In the child, before the parse: its own process group, folder,
    environment and limits, and none of the worker's descriptors but its ``pipes``."""
    os.setpgid(0, 0)
    _leave_the_network()
    kept = {name: value for name, value in os.environ.items()
            if name in CHILD_ENVIRONMENT or name.startswith(CHILD_ENVIRONMENT_PREFIXES)}
    kept.update(HOME=work_dir, TMPDIR=work_dir)
    os.environ.clear()
    os.environ.update(kept)
    tempfile.tempdir = work_dir
    os.chdir(work_dir)
    keep = {0, 1, 2, *(pipe.fileno() for pipe in pipes)}
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


def _child_main(tasks, results, func, limits: Limits, calls: int = 1, core: int | None = None,
                work_dir: str | None = None) -> None:
    # The child's garbage collector leaves what it inherited alone: walking
    # the worker's objects would touch (and so copy) every page they are on.
    gc.freeze()
    try:
        if work_dir is not None:
            _confine([tasks, results], work_dir)
        if core is not None:
            os.sched_setaffinity(0, {core})
        budget = _ChildBudget(limits, calls)
        for number in range(1, calls + 1):
            try:
                args = tasks.recv()
            except (EOFError, OSError):
                return
            budget.before_call()
            outcome = _call(func, args)
            retire = (number == calls or isinstance(outcome, ParseError) or not budget.room_for_another()
                      or _helpers_left() or not _emptied(work_dir))
            try:
                results.send((outcome, retire))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                results.send((ParseError(f"解析结果无法传回：{exc}"), True))
                return
            if retire:
                return
    finally:
        results.close()
        os._exit(0)


def _call(func, args: tuple) -> Any:
    try:
        return func(*args)
    except ParseError as exc:
        return exc
    except MemoryError:
        return TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。")
    except RecursionError:
        return ParseError("文件结构嵌套过深，无法解析，请人工查看原件。")
    except Exception as exc:  # a parser bug must still come back as a status
        summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return ParseError(f"解析失败：{summary[:500]}")


# How much a reused child may grow (caches, a fragmented heap) before it is
# retired: below it, every call still gets ``Limits.memory_mb`` on top.
MAX_GROWTH_BYTES = 256 * 1024 * 1024


class _ChildBudget:
    """The child's memory and CPU limits, set so that each call gets the whole of them."""

    def __init__(self, limits: Limits, calls: int) -> None:
        self.memory = limits.memory_mb * 1024 * 1024
        # The limit is on top of what the child inherits: a parent that has
        # already mapped a gigabyte (libraries, models) must not leave its
        # children nothing to parse with.
        self.started_at = _address_space()
        hard = self.started_at + MAX_GROWTH_BYTES + self.memory if calls > 1 else self.started_at + self.memory
        # A service started under its own address-space cap (ulimit -v) keeps it:
        # the child may not raise a hard limit, only stay at or under it.
        inherited = resource.getrlimit(resource.RLIMIT_AS)[1]
        self.memory_hard = hard if inherited == resource.RLIM_INFINITY else min(hard, inherited)
        resource.setrlimit(resource.RLIMIT_AS, (min(self.started_at + self.memory, self.memory_hard), self.memory_hard))
        # RLIMIT_CPU counts the whole life of the process: each call may use
        # ``cpu`` seconds more than the calls before it used.
        self.cpu = int(limits.timeout_seconds) + 5
        cpu_hard = int(_cpu_seconds()) + calls * self.cpu + 5
        resource.setrlimit(resource.RLIMIT_CPU, (self.cpu, cpu_hard))
        self.cpu_hard = cpu_hard

    def before_call(self) -> None:
        memory = min(_address_space() + self.memory, self.memory_hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory, self.memory_hard))
        cpu = min(int(_cpu_seconds()) + self.cpu, self.cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, self.cpu_hard))

    def room_for_another(self) -> bool:
        return _address_space() <= self.started_at + MAX_GROWTH_BYTES


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _helpers_left() -> bool:
    """Whether anything this child started is still running (in its process
    group, or still its child after leaving the group)."""
    me = os.getpid()
    while True:  # reap what has exited
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z" and (fields[1] == str(me) or fields[2] == str(me)):
            return True
    return False


def _emptied(work_dir: str | None) -> bool:
    """The child's folder emptied for the next call: nothing one file left is seen by the next."""
    if work_dir is None:
        return True
    for entry in os.scandir(work_dir):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
    return not os.listdir(work_dir)
