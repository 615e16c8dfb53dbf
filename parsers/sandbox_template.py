"""The parse template: a confined, warm process that forks one child per file.

``parsers.sandbox.ParsePool`` starts one template: a fork of the caller
holding the function to run (``template_main``), or a fresh interpreter
that imports it by name (``template_command``, ``fresh_template_main``; the
template then holds nothing of the worker's memory). The template
confines itself (``sandbox_confinement.confine_template``), imports the
readers and builds what every parse needs, then only forks: it never
receives a file, so nothing an applicant sends runs in it, and each child
starts from the same clean state however many files came before.

Over its control socket (``SOCK_SEQPACKET``: one message per send) the
worker asks for a child, handing it one end of a socket pair of its own
(``socket.send_fds``): ``(ticket, core)``. The template makes the child's
folder, forks it and answers (``STARTED``, ticket, pid); once the child has
exited it kills the child's process group (before reaping the child, so a
helper the parse left running dies with it and the group's id cannot have
been reused), removes the folder and answers (``ENDED``, ticket, exit
code), as plain numbers (``parsers.sandbox_wire.TEMPLATE_MESSAGE``). The
child confines itself (``confine_parse``), receives its call's arguments
from the worker over its own socket, sends back one outcome and exits. When
the worker closes the control socket (or dies), the template kills its
children's groups, removes their folders and exits.
"""
from __future__ import annotations

import gc
import os
import pickle
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import parsers
from parsers.errors import ParseError, TooLarge
from parsers.sandbox_confinement import ForkBaseline, Limits, confine_parse, confine_template, fork_baseline
from parsers.sandbox_wire import ENDED, STARTED, TEMPLATE_MESSAGE, receive_frame, send_frame
from parsers.text.labels import label_index

TEMP_PREFIX = "intake-parse-"  # then the template's pid: whose folder it is
CONTROL_MESSAGE_BYTES = 4096
SETUP_MESSAGE_BYTES = 1024 * 1024
TEMPLATE_EXIT_SECONDS = 5.0  # for the template to kill its children and exit once told to
_stale_checked = False


def template_main(control: socket.socket, func: Callable[..., Any], limits: Limits, temp_root: str,
                  office_only: bool = False) -> None:
    """The life of a template forked from the worker, holding ``func``; never returns (``os._exit``).
    ``temp_root``: where the children's folders go; ``office_only``: preload the office readers only."""
    try:
        confine_template(keep=[control.fileno()])
        _warm_and_serve(control, func, limits, temp_root, office_only)
    except BaseException:  # noqa: BLE001 - said on stderr; the worker sees the socket close
        traceback.print_exc()
    finally:
        os._exit(0)


def template_command(control_fd: int) -> list[str]:
    """A fresh interpreter running the same parsers as this process, as a template on ``control_fd``."""
    root = str(Path(parsers.__file__).resolve().parent.parent)
    return [sys.executable, "-I", "-c", _STARTED_FRESH, root, str(control_fd)]


_STARTED_FRESH = ("import sys; sys.path.insert(0, sys.argv[1]); "
                  "from parsers.sandbox_template import fresh_template_main; fresh_template_main(int(sys.argv[2]))")


def fresh_template_main(control_fd: int) -> None:
    """The life of a template started as a fresh interpreter: the first
    message on its socket is (``func``, ``limits``, ``temp_root``,
    ``office_only``), ``func`` one of the parsers' own functions, imported
    here by name; never returns."""
    try:
        control = socket.socket(fileno=control_fd)
        confine_template(keep=[control_fd])
        # From the worker: trusted.
        func, limits, temp_root, office_only = pickle.loads(control.recv(SETUP_MESSAGE_BYTES))
        _warm_and_serve(control, func, limits, temp_root, office_only)
    except BaseException:  # noqa: BLE001 - said on stderr; the worker sees the socket close
        traceback.print_exc()
    finally:
        os._exit(0)


def _warm_and_serve(control: socket.socket, func: Callable[..., Any], limits: Limits, temp_root: str,
                    office_only: bool) -> None:
    _preload(office_only)
    # The children's garbage collectors leave what they inherit alone:
    # walking the template's objects would touch (and copy) their pages.
    gc.freeze()
    _serve(control, func, limits, temp_root)


def _preload(office_only: bool) -> None:
    """What every parse needs, built once here rather than in every child:
    the readers (only the office ones for ``office_only``) and the label
    index (its patterns take longer to compile than a .docx takes to read),
    warmed by one parse. Not the OCR models: they map gigabytes, and only
    children that OCR load them."""
    try:
        parsers.preload(office_only=office_only)
        label_index()
        parsers.warm_up()
    except Exception:  # noqa: BLE001 - a child that needs the broken part fails with a ParseError
        traceback.print_exc()


def _serve(control: socket.socket, func: Callable[..., Any], limits: Limits, temp_root: str) -> None:
    woken, wake = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # the wake-up descriptor is what is heard
    running: dict[int, tuple[int, str]] = {}  # (ticket, folder) by pid
    try:
        while True:
            ready, _, _ = select.select([control, woken], [], [])
            if woken in ready:
                while _drain(woken):
                    pass
                _reap(running, control)
            if control in ready:
                message, descriptors, _flags, _address = socket.recv_fds(control, CONTROL_MESSAGE_BYTES, 1)
                if not message:
                    return
                ticket, core = pickle.loads(message)  # from the worker, which is trusted
                [channel] = descriptors
                work_dir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=temp_root)
                baseline = fork_baseline()
                pid = os.fork()
                if pid == 0:
                    _parse_one(channel, func, limits, work_dir, core, baseline)
                # Also set here: the worker may kill the group before the child has set it.
                try:
                    os.setpgid(pid, pid)
                except OSError:
                    pass
                os.close(channel)
                running[pid] = (ticket, work_dir)
                control.send(TEMPLATE_MESSAGE.pack(STARTED, ticket, pid))
    except (BrokenPipeError, ConnectionResetError):
        return  # the worker is gone
    finally:
        for pid, (_ticket, work_dir) in running.items():
            _kill_group(pid)
            os.waitpid(pid, 0)
            shutil.rmtree(work_dir, ignore_errors=True)


def _drain(descriptor: int) -> bool:
    try:
        return bool(os.read(descriptor, 512))
    except BlockingIOError:
        return False


def _reap(running: dict[int, tuple[int, str]], control: socket.socket) -> None:
    """Every child that has exited: its group killed while its id is still
    held (the child not yet reaped), then reaped, its folder removed and its
    exit code told."""
    while True:
        try:
            exited = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if exited is None or exited.si_pid == 0:
            return
        _kill_group(exited.si_pid)
        _pid, status = os.waitpid(exited.si_pid, 0)
        if exited.si_pid in running:
            ticket, work_dir = running.pop(exited.si_pid)
            shutil.rmtree(work_dir, ignore_errors=True)
            control.send(TEMPLATE_MESSAGE.pack(ENDED, ticket, os.waitstatus_to_exitcode(status)))


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _parse_one(channel_fd: int, func: Callable[..., Any], limits: Limits, work_dir: str, core: int | None,
               baseline: ForkBaseline) -> None:
    """The child: one file, one outcome, exit. Never returns."""
    code = 0
    try:
        channel = socket.socket(fileno=channel_fd)
        confine_parse(work_dir, keep=[channel_fd], limits=limits, core=core, baseline=baseline)
        call = receive_frame(channel)
        if call is None:  # the worker gave up on this call before sending it
            return
        args, kwargs = pickle.loads(call)  # from the worker, which is trusted
        outcome = call_guarded(func, args, kwargs)
        try:
            payload = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001 - what cannot be sent back is itself the outcome
            payload = pickle.dumps(ParseError(f"解析结果无法传回：{type(exc).__name__}"))
        send_frame(channel, payload)
    except BaseException:  # noqa: BLE001 - the worker sees the exit code
        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def call_guarded(func: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)``, or the ParseError it ended in: no foreign exception comes back."""
    try:
        return func(*args, **kwargs)
    except ParseError as exc:
        return exc
    except MemoryError:
        return TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。")
    except RecursionError:
        return ParseError("文件结构嵌套过深，无法解析，请人工查看原件。")
    except Exception as exc:  # a parser bug must still come back as a status
        summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return ParseError(f"解析失败：{summary[:500]}")


def reap_template(pid: int) -> None:
    """Wait for a template told to stop (its socket closed); killed if it takes too long."""
    deadline = time.monotonic() + TEMPLATE_EXIT_SECONDS
    try:
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return
            time.sleep(0.01)
    except ChildProcessError:
        pass


def remove_stale_temp_dirs() -> None:
    """Remove children's folders whose template is gone (killed, machine rebooted); once per process."""
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
