"""A pathological parse can only kill its own child; the worker gets a status back."""
from __future__ import annotations

import os
import resource
import socket
import subprocess
import tempfile
import time

import pytest

import parsers
from parsers import sandbox, sandbox_confinement, sandbox_template
from parsers.options import ParseOptions
from parsers.sandbox import ChildCrashed, Limits, map_isolated, run_isolated
from parsers.errors import CorruptFile, ParseError, ParseTimeout, TooLarge


def returns(value):
    return value


def raises_corrupt():
    raise CorruptFile("坏文件")


def loops_forever():
    while True:
        time.sleep(0.01)


def eats_memory():
    blocks = []
    while True:
        blocks.append(bytearray(50 * 1024 * 1024))


def dies():
    os._exit(3)


def has_a_bug():
    return {}["missing"]


def test_result_comes_back():
    assert run_isolated(returns, {"name": "张喆"}) == {"name": "张喆"}


def test_parse_errors_come_back_as_themselves():
    with pytest.raises(CorruptFile, match="坏文件"):
        run_isolated(raises_corrupt)


def test_a_hang_is_cut_off_by_the_time_limit():
    started = time.monotonic()
    with pytest.raises(ParseTimeout):
        run_isolated(loops_forever, limits=Limits(timeout_seconds=0.5))
    assert time.monotonic() - started < 5


def test_a_memory_hog_is_stopped_by_the_memory_limit():
    with pytest.raises(TooLarge):
        run_isolated(eats_memory, limits=Limits(timeout_seconds=20, memory_mb=300))


def test_a_dying_child_is_a_status_not_a_crash():
    with pytest.raises(ChildCrashed):
        run_isolated(dies)


def test_a_parser_bug_becomes_a_parse_error():
    with pytest.raises(ParseError, match="KeyError"):
        run_isolated(has_a_bug)


def meets(folder, mine: str, other: str):
    """Ready, then wait for the other child: only works if both run at once."""
    (folder / mine).touch()
    deadline = time.monotonic() + 20
    while not (folder / other).exists():
        if time.monotonic() > deadline:
            raise ParseTimeout("the other child never ran alongside")
        time.sleep(0.01)
    return mine


def test_files_are_parsed_side_by_side_and_come_back_in_order(tmp_path):

    outcomes = map_isolated(meets, [(tmp_path, "a", "b"), (tmp_path, "b", "a")], workers=2,
                            limits=Limits(timeout_seconds=30))
    assert outcomes == ["a", "b"]


def test_one_file_failing_does_not_stop_the_others():

    seen = []
    outcomes = map_isolated(
        lambda kind: {"loop": loops_forever, "bad": raises_corrupt, "ok": lambda: "张喆"}[kind](),
        [("loop",), ("ok",), ("bad",), ("ok",)], workers=2, limits=Limits(timeout_seconds=1),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert isinstance(outcomes[0], ParseTimeout)
    assert outcomes[1] == "张喆" and outcomes[3] == "张喆"
    assert isinstance(outcomes[2], CorruptFile)
    assert seen[-1] == (4, 4) and len(seen) == 4


# ---- what a child holds of the worker's --------------------------------------

def environment_and_limits():
    return {"env": dict(os.environ), "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "tmp": tempfile.gettempdir(),
            "cwd": os.getcwd()}


def test_a_child_has_no_secrets_in_its_environment_and_no_core_dumps(monkeypatch):
    monkeypatch.setenv("INTAKE_IMAP_PASSWORD", "auth-code-1234")
    monkeypatch.setenv("DATABASE_URL", "postgresql://intake:pw@db/intake")
    seen = run_isolated(environment_and_limits)
    assert "INTAKE_IMAP_PASSWORD" not in seen["env"] and "DATABASE_URL" not in seen["env"]
    assert "PATH" in seen["env"]
    assert seen["core"] == 0 and seen["nofile"] <= 1024
    assert seen["tmp"] == seen["cwd"] == seen["env"]["TMPDIR"]
    assert os.path.basename(seen["tmp"]).startswith("intake-parse-")
    assert not os.path.exists(seen["tmp"]), "the child's folder is removed when it is done"


def reads_descriptor(fd):
    try:
        os.fstat(fd)
    except OSError:
        return "closed"
    return "open"


def test_a_child_cannot_use_the_workers_open_files(tmp_path):
    with open(tmp_path / "intake.sqlite3", "wb") as database:
        assert run_isolated(reads_descriptor, database.fileno()) == "closed"
        assert reads_descriptor(database.fileno()) == "open"


def starts_a_helper_and_hangs(pid_file):
    helper = subprocess.Popen(["sleep", "300"])
    with open(pid_file, "w") as out:
        out.write(str(helper.pid))
    while True:
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped by its (dead) parent is a zombie: gone for our purpose.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_what_a_child_started_dies_with_it_on_timeout(tmp_path):
    pid_file = tmp_path / "helper.pid"
    with pytest.raises(ParseTimeout):
        run_isolated(starts_a_helper_and_hangs, str(pid_file), limits=Limits(timeout_seconds=1.5))
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper)


def test_folders_left_by_a_dead_worker_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sandbox_template, "_stale_checked", False)
    dead = tmp_path / f"{sandbox.TEMP_PREFIX}999999999-abc"
    alive = tmp_path / f"{sandbox.TEMP_PREFIX}{os.getpid()}-abc"
    dead.mkdir()
    alive.mkdir()
    (dead / "applicant-form.docx").write_bytes(b"PK")
    sandbox.remove_stale_temp_dirs()
    assert not dead.exists() and alive.exists()


def connects_to(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        return type(exc).__name__
    return "connected"


def test_a_child_cannot_reach_the_network_where_the_kernel_allows_leaving_it():
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port = listener.getsockname()[1]
        if not run_isolated(sandbox._leave_the_network):
            pytest.skip("this kernel does not allow an unprivileged network namespace")
        assert run_isolated(connects_to, port) != "connected"
        assert connects_to(port) == "connected"  # the worker itself still can
    finally:
        listener.close()


def test_a_file_refused_unread_needs_no_child_and_says_why_as_parse_would():
    options = ParseOptions(max_file_bytes=1000)
    assert isinstance(parsers.refused_unread(b"", options), CorruptFile)
    assert isinstance(parsers.refused_unread(b"%PDF" + b"0" * 1000, options), TooLarge)
    assert parsers.refused_unread(b"%PDF" + b"0" * 10, options) is None
    with pytest.raises(TooLarge) as refused:
        parsers.parse("big.pdf", b"%PDF" + b"0" * 1000, options=options)
    assert str(refused.value) == str(parsers.refused_unread(b"%PDF" + b"0" * 1000, options))


def test_a_child_is_limited_from_what_the_template_measured_before_forking_it(monkeypatch):
    """The template reads its own size before each fork (the child starts
    with the same) and counts its user's processes at most once a second."""
    counted = []
    monkeypatch.setattr(sandbox_confinement, "_process_count", None)
    monkeypatch.setattr(sandbox_confinement, "_processes_of_this_user", lambda: counted.append(1) or 40)

    first, second = sandbox_confinement.fork_baseline(), sandbox_confinement.fork_baseline()

    assert first.processes == second.processes == 40 and len(counted) == 1
    assert first.address_space > 0
    monkeypatch.setattr(sandbox_confinement, "_process_count", (time.monotonic() - 2, 40))
    sandbox_confinement.fork_baseline()
    assert len(counted) == 2
