"""A busy morning's files, each read in a fresh child of its own, forked from one warm template.

A thousand forms arrive at once. Starting an interpreter per file would cost
more than reading it, so one template process starts warm and forks a child
per file; no file is read in a process that has read another applicant's,
and whatever one file does to its child (crash it, hang it, leave a helper
or a mark behind) stays with that file.
"""
from __future__ import annotations

import functools
import os
import pickle
import subprocess
import time

import pytest

import parsers
from devtools.samples.forms import build_form_docx, sample_applicants
from parsers import sandbox
from parsers.errors import CorruptFile, ParseTimeout, TooLarge
from parsers.sandbox import ChildCrashed, Limits, ParsePool
from parsers.sandbox_wire import read_outcome

# Set while a file is read: a child that read another file would still have it.
MARKER: list[str] = []


def run_all(pool: ParsePool, calls: list[tuple]) -> list:
    tickets = [pool.submit(args) for args in calls]
    outcomes = {}
    while pool.busy():
        outcomes.update(pool.collect())
    return [outcomes[ticket] for ticket in tickets]


def step(action: str, *args):
    """What a file makes the parser do; every step says which process ran it and what it saw."""
    seen = {"pid": os.getpid(), "parent": os.getppid(), "marker": list(MARKER), "files": sorted(os.listdir("."))}
    MARKER.append(action)
    if action == "leave_a_file":
        with open("left-behind.txt", "w") as out:
            out.write("applicant 1's data")
    elif action == "fail":
        raise CorruptFile("坏文件")
    elif action == "crash":
        os._exit(3)
    elif action == "kill_the_template":
        os.kill(os.getppid(), 9)
    elif action == "start_a_helper":
        seen["helper"] = subprocess.Popen(["sleep", "300"]).pid
    elif action == "take_memory":
        block = bytearray(args[0] * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
        del block
    elif action == "hang":
        while True:
            time.sleep(0.01)
    return seen


def test_a_second_file_never_sees_the_first_files_process():
    with ParsePool(step, workers=1) as pool:
        first, second, third = run_all(pool, [("leave_a_file",), ("look",), ("look",)])
    assert len({first["pid"], second["pid"], third["pid"]}) == 3, "one child per file"
    assert first["parent"] == second["parent"] == third["parent"] != os.getpid(), "all forked from one template"
    assert second["marker"] == third["marker"] == [], "what file 1 set in its process is not there for file 2"
    assert second["files"] == third["files"] == [], "nor what it left in its folder"
    assert MARKER == [], "and the worker itself never read a file"


def test_a_crash_or_a_hang_fails_only_its_own_file_and_the_template_carries_on():
    with ParsePool(step, workers=1, limits=Limits(timeout_seconds=1)) as pool:
        crashed, hung, failed, after = run_all(pool, [("crash",), ("hang",), ("fail",), ("look",)])
    assert isinstance(crashed, ChildCrashed) and "退出码 3" in str(crashed)
    assert isinstance(hung, ParseTimeout)
    assert isinstance(failed, CorruptFile)
    assert after["marker"] == [] and after["files"] == []


def test_a_template_that_dies_is_started_again_for_the_next_file():
    with ParsePool(step, workers=1) as pool:
        before, killer, after = run_all(pool, [("look",), ("kill_the_template",), ("look",)])
    assert not isinstance(after, Exception), after
    assert after["parent"] != before["parent"], "a new template"


def test_office_documents_are_forked_from_a_light_template_of_their_own():
    """A .docx needs no PDF or image library: its child is forked from a
    template that never imported them (a quarter of the pages to copy)."""
    with ParsePool(functools.partial(parsers.parse, options=parsers.DEFAULT_OPTIONS), workers=2,
                   fresh_template=True) as pool:
        docx = build_form_docx(sample_applicants(1, seed=5)[0])
        office = pool.submit(("报名表.docx", docx), office_only=True)
        other = pool.submit(("报名表.txt", b"not a form"))
        outcomes = {}
        while pool.busy():
            outcomes.update(pool.collect())
        templates = dict(pool._templates)
    assert outcomes[office][0].fields["name"], "the office template reads the form"
    assert isinstance(outcomes[other], parsers.ParseError), "the full template answers the rest"
    assert set(templates) == {True, False} and templates[True].pid != templates[False].pid


def test_a_light_template_that_dies_is_started_again_and_the_full_one_carries_on():
    with ParsePool(step, workers=1) as pool:
        full_before = run_all(pool, [("look",)])[0]
        light = [pool.submit(args, office_only=True) for args in [("look",), ("kill_the_template",), ("look",)]]
        outcomes = {}
        while pool.busy():
            outcomes.update(pool.collect())
        full_after = run_all(pool, [("look",)])[0]
    before, after = outcomes[light[0]], outcomes[light[2]]
    assert not isinstance(after, Exception), after
    assert after["parent"] != before["parent"], "a new light template"
    assert full_after["parent"] == full_before["parent"] != before["parent"], "the full template lived on"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_helper_a_file_left_running_dies_with_its_child():
    with ParsePool(step, workers=1) as pool:
        [started] = run_all(pool, [("start_a_helper",)])
    deadline = time.monotonic() + 5
    while _alive(started["helper"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(started["helper"])


def test_every_file_gets_the_whole_memory_limit():
    limits = Limits(timeout_seconds=30, memory_mb=400)
    with ParsePool(step, workers=1, limits=limits) as pool:
        outcomes = run_all(pool, [("take_memory", 250)] * 3 + [("take_memory", 1000)])
    assert all(isinstance(outcome, dict) for outcome in outcomes[:3])
    assert isinstance(outcomes[3], TooLarge), "the limit still holds for each file"


def test_files_side_by_side_each_get_a_folder_that_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox.tempfile, "tempdir", str(tmp_path))
    with ParsePool(step, workers=2) as pool:
        outcomes = run_all(pool, [("leave_a_file",)] * 4 + [("look",)] * 4)
    assert all(outcome["files"] == [] for outcome in outcomes)
    assert list(tmp_path.iterdir()) == []


def _children_of_this_process() -> list[int]:
    me, found = str(os.getpid()), []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if entry.isdigit() and stat.read().rsplit(")", 1)[-1].split()[1] == me:
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _command(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as command:
            return command.read()
    except OSError:
        return b""


def test_the_workers_parse_runs_from_a_fresh_template_that_holds_nothing_of_the_worker(monkeypatch):
    monkeypatch.setenv("INTAKE_IMAP_PASSWORD", "auth-code-1234")
    people = sample_applicants(3, seed=7)
    files = [(f"{person.name}.docx", build_form_docx(person)) for person in people]
    with ParsePool(functools.partial(parsers.parse), workers=1, fresh_template=True) as pool:
        tickets = [pool.submit(file, {"kind": "docx"}) for file in files]
        outcomes = {}
        while pool.busy():
            outcomes.update(pool.collect())
        # (Other children of this test process — servers an earlier test started — are not the template.)
        [template] = [pid for pid in _children_of_this_process() if b"fresh_template_main" in _command(pid)]
        with open(f"/proc/{template}/environ", "rb") as environment:
            assert b"auth-code-1234" not in environment.read()
    assert [outcomes[ticket][0].fields["name"] for ticket in tickets] == [person.name for person in people]


def test_only_the_parsers_own_functions_can_run_from_a_fresh_template():
    with pytest.raises(ValueError):
        ParsePool(step, fresh_template=True)


class RunsSomething:
    """What a child a hostile file took over might send back instead of its outcome."""

    def __init__(self, function) -> None:
        self.function = function

    def __reduce__(self):
        return self.function, ("true",)


@pytest.mark.parametrize("function", [os.system, eval, subprocess.Popen])
def test_an_outcome_that_names_something_to_run_is_refused(function):
    with pytest.raises(pickle.UnpicklingError):
        read_outcome(pickle.dumps(RunsSomething(function)))


def test_forms_and_parse_errors_come_back_as_themselves():
    form = parsers.FormResult(fields={"name": "张喆"}, confidence={"name": 0.9}, method="docx")
    assert read_outcome(pickle.dumps([form])) == [form]
    assert isinstance(read_outcome(pickle.dumps(CorruptFile("坏文件"))), CorruptFile)
