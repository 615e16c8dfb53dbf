"""A parse child reused for several files: each file still gets it as if it were new.

A busy morning brings a thousand forms; forking a child per .docx costs more
than reading it, so a child reads a batch of files one after another. What
one file did must not reach the next: its folder is emptied, its helpers are
gone, the limits are whole again, and a child that failed is never reused.
"""
from __future__ import annotations

import os
import subprocess
import time

from parsers.errors import CorruptFile, ParseTimeout, TooLarge
from parsers.sandbox import Limits, ParsePool


def run_all(pool: ParsePool, calls: list[tuple]) -> list:
    tickets = [pool.submit(args) for args in calls]
    outcomes = {}
    while pool.busy():
        outcomes.update(pool.collect())
    return [outcomes[ticket] for ticket in tickets]


def step(action: str, *args):
    """What a file makes the parser do; every step says which child ran it."""
    if action == "leave_a_file":
        with open("left-behind.txt", "w") as out:
            out.write("applicant 1's data")
    elif action == "look_for_files":
        return os.getpid(), sorted(os.listdir("."))
    elif action == "fail":
        raise CorruptFile("坏文件")
    elif action == "start_a_helper":
        helper = subprocess.Popen(["sleep", "300"])
        return os.getpid(), helper.pid
    elif action == "take_memory":
        block = bytearray(args[0] * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
        del block
    elif action == "hang":
        while True:
            time.sleep(0.01)
    return os.getpid(), None


def test_a_child_reads_a_batch_of_files_and_each_starts_with_an_empty_folder():
    with ParsePool(step, workers=1, calls_per_child=5) as pool:
        outcomes = run_all(pool, [("leave_a_file",), ("look_for_files",), ("look_for_files",)])
    pids = {pid for pid, _ in outcomes}
    assert len(pids) == 1, "one child read all three"
    assert outcomes[1][1] == [] and outcomes[2][1] == []


def test_a_child_is_replaced_after_its_batch():
    with ParsePool(step, workers=1, calls_per_child=2) as pool:
        outcomes = run_all(pool, [("look_for_files",)] * 5)
    pids = [pid for pid, _ in outcomes]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


def test_after_a_failure_the_next_file_gets_a_fresh_child():
    with ParsePool(step, workers=1, calls_per_child=10) as pool:
        before, failed, after = run_all(pool, [("look_for_files",), ("fail",), ("look_for_files",)])
    assert isinstance(failed, CorruptFile)
    assert before[0] != after[0]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_helper_left_running_retires_the_child_and_dies_with_it():
    with ParsePool(step, workers=1, calls_per_child=10) as pool:
        (first, helper), (second, _) = run_all(pool, [("start_a_helper",), ("look_for_files",)])
    assert first != second, "the next file is not read beside a helper the last one left"
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper)


def test_every_file_in_a_batch_gets_the_whole_memory_limit():
    limits = Limits(timeout_seconds=30, memory_mb=400)
    with ParsePool(step, workers=1, calls_per_child=10, limits=limits) as pool:
        outcomes = run_all(pool, [("take_memory", 250)] * 4 + [("take_memory", 1000)])
    assert len({pid for pid, _ in outcomes[:4]}) == 1
    assert isinstance(outcomes[4], TooLarge), "the limit still holds for each file"


def test_a_file_that_hangs_is_cut_off_and_the_next_one_is_read():
    with ParsePool(step, workers=1, calls_per_child=10, limits=Limits(timeout_seconds=1)) as pool:
        hung, after = run_all(pool, [("hang",), ("look_for_files",)])
    assert isinstance(hung, ParseTimeout)
    assert after[1] == []
