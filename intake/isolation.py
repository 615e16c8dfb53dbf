"""Run a parser in a child process with a time limit and a memory limit.

A pathological file (a decompression bomb, a parser bug looping forever) can
then only kill its own child: the worker records a status and moves on.
The child is forked from a parent that has already imported the parsers, so
starting one costs milliseconds, not an interpreter start-up.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import resource
import signal
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from parsers.errors import ParseError, ParseTimeout, TooLarge


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 60.0
    memory_mb: int = 2048


class ChildCrashed(ParseError):
    reason = "crashed"


def run_isolated(func: Callable[..., Any], *args: Any, limits: Limits = Limits()) -> Any:
    """``func(*args)`` in a forked child; its return value or its ParseError come back.

    Any other exception in the child comes back as a ParseError carrying the
    child's traceback summary, so no foreign exception crosses this line.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, func, args, limits), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.timeout_seconds):
            raise ParseTimeout(f"解析超时（超过 {limits.timeout_seconds:g} 秒），请人工查看原件。")
        try:
            outcome, payload = receiver.recv()
        except (EOFError, OSError):
            child.join(5)
            if child.exitcode is not None and child.exitcode < 0 and -child.exitcode == signal.SIGKILL:
                raise TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。") from None
            raise ChildCrashed(f"解析进程异常退出（退出码 {child.exitcode}），请人工查看原件。") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if outcome == "ok":
        return payload
    raise payload


def _child_main(sender, func, args, limits: Limits) -> None:
    # A collection in the child would walk (and so copy) every object the
    # parent owns; the child lives for one parse, so let it skip them.
    gc.disable()
    try:
        limit = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(limits.timeout_seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        try:
            message = ("ok", func(*args))
        except ParseError as exc:
            message = ("error", exc)
        except MemoryError:
            message = ("error", TooLarge("解析时内存超限，文件可能是压缩炸弹或过大，请人工查看原件。"))
        except RecursionError:
            message = ("error", ParseError("文件结构嵌套过深，无法解析，请人工查看原件。"))
        except Exception as exc:  # a parser bug must still come back as a status
            summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            message = ("error", ParseError(f"解析失败：{summary[:500]}"))
        try:
            sender.send(message)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            sender.send(("error", ParseError(f"解析结果无法传回：{exc}")))
    finally:
        sender.close()
        os._exit(0)
