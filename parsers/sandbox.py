"""Run a parser in a child process of its own, with a time limit and a memory limit.

A pathological file (a decompression bomb, a parser bug looping forever) can
then only kill its own child: the worker records a status and moves on. A
file that takes over its child (a bug in native code: lxml, pdfium, OpenCV)
sees that one file and nothing of the worker's: every file gets a fresh
child, which reads exactly one file and exits.

The children are forked from a template (``parsers.sandbox_template``), one
process per pool, started with it: a fork of the caller, holding the
function to run (any callable: a closure, a test's lambda), or, asked for
with ``ParsePool(fresh_template=True)`` as the worker does, a fresh
interpreter that imports the function by name (one of the parsers' own:
``functools.partial(parsers.parse, options=…)``) and so holds nothing of the
worker's memory. The template confines itself, imports the readers and
builds what every parse needs, so a child costs a fork, not an interpreter
start-up and its imports; it never opens a file itself. A child confines
itself further (``parsers.sandbox_confinement``): its own process group
(whatever it started, LibreOffice or Tesseract, is killed with it), a
temporary folder of its own (the template removes it once the child has
exited; folders of a template that died are removed when the pool notices,
or the next time a pool starts), its own time, memory, CPU, file and process
limits, no secrets in its environment, no inherited descriptors and no
network (where the kernel allows leaving it).

A call that needs only the office readers (``submit(..., office_only=True)``:
.docx, .doc, .wps …) is forked from a second, light template that never
imported the PDF and image libraries: a fork and an exit copy and unmap a
quarter of the pages (the commonest attachment is a .docx of milliseconds).
Each template starts with the first call that needs it.

``map_isolated`` runs several files at once, as many as there are CPUs,
each child pinned to a core of its own: the OCR models then run one thread
per child (``parsers.ocr.engines.rapid_models``) rather than every child's
threads contending for every core. ``ParsePool`` does the same for a stream
of files. A template that dies is started again for the next file.

What a child sends back is read as plain values and the parsers' own
classes only (``sandbox_wire.read_outcome``): a child a hostile file took over cannot
make the worker run anything by what it sends.
"""
from __future__ import annotations

import functools
import itertools
import os
import pickle
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Sequence

from parsers.errors import ParseError, ParseTimeout, TooLarge
from parsers.sandbox_confinement import Limits, template_environment
from parsers.sandbox_template import (TEMP_PREFIX, reap_template, remove_stale_temp_dirs, template_command,
                                      template_main)
from parsers.sandbox_wire import STARTED, TEMPLATE_MESSAGE, read_outcome, receive_frame, send_frame
from parsers.sandbox_confinement import leave_the_network as _leave_the_network  # noqa: F401 - tests call it in a child

__all__ = ["Limits", "ChildCrashed", "ParsePool", "map_isolated", "run_isolated", "parsing_workers",
           "remove_stale_temp_dirs", "TEMP_PREFIX"]


class ChildCrashed(ParseError):
    reason = "crashed"


# How long a child whose socket closed without an outcome is given for the
# template to report its exit code (a kill by the kernel reads as TooLarge).
EXIT_CODE_WAIT_SECONDS = 5.0
MAX_OUTCOME_BYTES = 64 * 1024 * 1024  # forms are kilobytes; more is a child misbehaving


def run_isolated(func: Callable[..., Any], *args: Any, limits: Limits = Limits()) -> Any:
    """``func(*args)`` in a child of its own; its return value or its ParseError come back.

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
    """``func(*args)`` for each args in ``calls``, each in a child of its
    own, up to ``workers`` (default: one per usable CPU) at once.

    Returns, in the order of ``calls``, each child's return value or the
    ParseError it raised (returned, not raised: one bad file does not stop
    the rest). The template is forked from the calling thread.
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
class _Template:
    pid: int
    control: socket.socket  # closes (reads empty) when the template is gone


@dataclass(frozen=True)
class _Call:  # a call waiting for a child
    ticket: int
    args: tuple[tuple, dict[str, Any]]
    office_only: bool


@dataclass
class _Parse:
    """One call, in one child, as the pool sees it."""

    ticket: int
    args: tuple[tuple, dict[str, Any]]  # kept until the outcome: a call whose template died is run again
    office_only: bool  # forked from the light template
    channel: socket.socket  # the pool's end of the child's own socket
    core: int | None
    started: float
    pid: int | None = None  # once the template says it forked the child
    exit_code: int | None = None  # once the template says it has exited
    hung_up_at: float | None = None  # the channel closed without an outcome
    orphaned: bool = False  # its template died: no exit code will come


class ParsePool:
    """Calls of ``func`` as they are submitted, each in a fresh child of the
    template, up to ``workers`` at once (see the module docstring). Use as a
    context manager: leaving it kills every child and the template.

    ``fresh_template``: start the template as a fresh interpreter, for a
    long stream of files (it costs half a second once, and then every fork is
    of a small process holding nothing of the caller's); ``func`` must then
    be one of the parsers' own functions. Otherwise the template is a fork of
    the caller, ready at once."""

    def __init__(self, func: Callable[..., Any], *, limits: Limits = Limits(), workers: int | None = None,
                 fresh_template: bool = False) -> None:
        if fresh_template and not _named_in_parsers(func):
            raise ValueError("a fresh template imports its function by name: give one of the parsers' own")
        remove_stale_temp_dirs()
        self.func, self.limits = func, limits
        self._fresh = fresh_template
        self._temp_root = tempfile.gettempdir()
        self.workers = parsing_workers(workers)
        # Several at once: each child on a core of its own (the OCR then runs
        # one thread per child instead of every child spinning on every core).
        self._cores = _cores() if self.workers > 1 else []
        self._templates: dict[bool, _Template] = {}  # by office_only
        self._running: dict[int, _Parse] = {}
        self._queue: deque[_Call] = deque()
        self._tickets = itertools.count()
        self._retried: set[int] = set()  # calls whose template died before forking their child
        # Seconds each finished call ran in its child (not its wait in the queue), by ticket; the caller pops them.
        self.seconds: dict[int, float] = {}

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def submit(self, args: tuple, kwargs: dict[str, Any] | None = None, *, office_only: bool = False) -> int:
        """Queue ``func(*args, **kwargs)``; the ticket its outcome comes back with from ``collect``.
        ``office_only``: the call reads an office document (never a PDF or an image)."""
        ticket = next(self._tickets)
        self._queue.append(_Call(ticket, (args, kwargs or {}), office_only))
        self._dispatch()
        return ticket

    def prepare(self, *, office_only: bool = False) -> None:
        """Start the template now (it warms in a process of its own), not at the first call."""
        if office_only not in self._templates:
            self._start_template(office_only)

    def busy(self) -> bool:
        return bool(self._queue or self._running)

    def collect(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        """Outcomes (ticket, return value or ParseError) of the calls that
        finish within ``timeout`` seconds; None: wait until one does."""
        waited_until = None if timeout is None else time.monotonic() + timeout
        finished: list[tuple[int, Any]] = []
        while not finished and self._running:
            until = min(self._decision_due(parse) for parse in self._running.values())
            if waited_until is not None:
                until = min(until, waited_until)
            listening = [parse.channel for parse in self._running.values() if parse.hung_up_at is None]
            listening += [template.control for template in self._templates.values()]
            ready = wait(listening, timeout=max(0.0, until - time.monotonic()))
            for office_only, template in list(self._templates.items()):
                if template.control in ready:
                    self._hear_from_template(office_only)
            for parse in list(self._running.values()):
                outcome = self._outcome(parse, parse.channel in ready)
                if outcome is _NOT_YET:
                    continue
                self._end(parse)
                if outcome is _NEVER_STARTED:
                    self._queue.appendleft(_Call(parse.ticket, parse.args, parse.office_only))
                    self._retried.add(parse.ticket)
                else:
                    finished.append((parse.ticket, outcome))
                    self.seconds[parse.ticket] = time.monotonic() - parse.started
                    self._retried.discard(parse.ticket)
            self._dispatch()
            if waited_until is not None and time.monotonic() >= waited_until:
                break
        return finished

    def close(self) -> None:
        self._queue.clear()
        for parse in list(self._running.values()):
            self._kill(parse)
            self._end(parse)
        for office_only in list(self._templates):
            self._stop_template(office_only)

    # ---- starting children -------------------------------------------------

    def _dispatch(self) -> None:
        while self._queue and len(self._running) < self.workers:
            call = self._queue.popleft()
            self._running[call.ticket] = self._start(call)

    def _start(self, call: _Call) -> _Parse:
        taken = {parse.core for parse in self._running.values()}
        core = next((c for c in self._cores if c not in taken), None)
        ours, theirs = socket.socketpair()
        parse = _Parse(call.ticket, call.args, call.office_only, ours, core, time.monotonic())
        try:
            template = self._templates.get(call.office_only) or self._start_template(call.office_only)
            socket.send_fds(template.control, [pickle.dumps((call.ticket, core))], [theirs.fileno()])
        except OSError:  # the template is gone (or could not start): the call waits for the next one
            parse.hung_up_at, parse.orphaned = time.monotonic(), True
            self._stop_template(call.office_only)
            return parse
        finally:
            theirs.close()
        # Until the child has read them, the arguments wait here; a child that
        # ends first (or a template that dies before forking it) makes the send fail.
        ours.settimeout(self.limits.timeout_seconds)
        try:
            send_frame(ours, pickle.dumps(call.args))
        except OSError:
            pass  # its exit code, or its timeout, decides the outcome
        return parse

    def _start_template(self, office_only: bool) -> _Template:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            if self._fresh:
                os.set_inheritable(theirs.fileno(), True)
                pid = os.posix_spawn(sys.executable, template_command(theirs.fileno()), template_environment())
                ours.send(pickle.dumps((self.func, self.limits, self._temp_root, office_only)))
            else:
                pid = os.fork()
                if pid == 0:
                    template_main(theirs, self.func, self.limits, self._temp_root, office_only)  # never returns
        finally:
            theirs.close()
        self._templates[office_only] = template = _Template(pid, ours)
        return template

    def _stop_template(self, office_only: bool) -> None:
        """Close the template's socket (it then kills its children and exits) and reap it."""
        template = self._templates.pop(office_only, None)
        if template is None:
            return
        template.control.close()
        reap_template(template.pid)
        # Its children's folders, if it died without removing them.
        for folder in Path(self._temp_root).glob(f"{TEMP_PREFIX}{template.pid}-*"):
            shutil.rmtree(folder, ignore_errors=True)
        for parse in self._running.values():
            if parse.office_only == office_only and parse.exit_code is None:
                parse.orphaned = True

    def _hear_from_template(self, office_only: bool) -> None:
        while (template := self._templates.get(office_only)) is not None:
            try:
                message = template.control.recv(TEMPLATE_MESSAGE.size, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                message = b""
            if len(message) != TEMPLATE_MESSAGE.size:  # it died: started again for the next call
                self._stop_template(office_only)
                return
            event, ticket, value = TEMPLATE_MESSAGE.unpack(message)
            parse = self._running.get(ticket)
            if parse is not None and event == STARTED:
                parse.pid = value
            elif parse is not None:
                parse.exit_code = value

    # ---- a call's outcome --------------------------------------------------

    def _decision_due(self, parse: _Parse) -> float:
        if parse.hung_up_at is not None:
            return parse.hung_up_at if parse.exit_code is not None or parse.orphaned \
                else parse.hung_up_at + EXIT_CODE_WAIT_SECONDS
        return parse.started + self.limits.timeout_seconds

    def _outcome(self, parse: _Parse, readable: bool) -> Any:
        """The call's outcome once known; else ``_NOT_YET``, or
        ``_NEVER_STARTED`` when its template died before forking it (it then
        waits for the next template, once: a file that kills templates fails)."""
        now = time.monotonic()
        if readable and parse.hung_up_at is None:
            parse.channel.settimeout(max(0.01, parse.started + self.limits.timeout_seconds - now))
            try:
                frame = receive_frame(parse.channel, MAX_OUTCOME_BYTES)
            except OSError:  # includes a child that stalled halfway through its outcome
                frame = None
            if frame is not None:
                try:
                    return read_outcome(frame)
                except Exception:  # noqa: BLE001 - whatever the child sent, the file gets a status
                    return ChildCrashed("解析进程传回的结果无法识别，已拒绝读取，请人工查看原件。")
            parse.hung_up_at = now
        if parse.hung_up_at is not None:
            if parse.orphaned and parse.pid is None and parse.ticket not in self._retried:
                return _NEVER_STARTED
            if parse.exit_code is not None or parse.orphaned or now >= self._decision_due(parse):
                return _crashed(parse.exit_code)
            return _NOT_YET
        if now - parse.started >= self.limits.timeout_seconds:
            self._kill(parse)
            return ParseTimeout(f"解析超时（超过 {self.limits.timeout_seconds:g} 秒），请人工查看原件。")
        return _NOT_YET

    def _kill(self, parse: _Parse) -> None:
        """The child's whole group: a LibreOffice or Tesseract it started dies with it."""
        if parse.pid is None and parse.office_only in self._templates:
            self._hear_from_template(parse.office_only)  # which child it is may be waiting there
        if parse.pid is None or parse.exit_code is not None:
            return
        try:
            os.killpg(parse.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _end(self, parse: _Parse) -> None:
        del self._running[parse.ticket]
        parse.channel.close()


_NOT_YET, _NEVER_STARTED = object(), object()


def _named_in_parsers(func: Callable[..., Any]) -> bool:
    """Whether ``func`` is one of the parsers' own functions (or a
    ``functools.partial`` of one, its arguments plain values), which a fresh
    interpreter imports by name."""
    target = func.func if isinstance(func, functools.partial) else func
    if getattr(target, "__module__", "").split(".")[0] != "parsers":
        return False
    try:
        pickle.dumps(func)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def _crashed(exit_code: int | None) -> ParseError:
    if exit_code == -signal.SIGKILL:
        return TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。")
    return ChildCrashed(f"解析进程异常退出（退出码 {'未知' if exit_code is None else exit_code}），请人工查看原件。")
