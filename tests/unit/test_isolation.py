"""A pathological parse can only kill its own child; the worker gets a status back."""
from __future__ import annotations

import os
import time

import pytest

from parsers.sandbox import ChildCrashed, Limits, run_isolated
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
    from parsers.sandbox import map_isolated

    outcomes = map_isolated(meets, [(tmp_path, "a", "b"), (tmp_path, "b", "a")], workers=2,
                            limits=Limits(timeout_seconds=30))
    assert outcomes == ["a", "b"]


def test_one_file_failing_does_not_stop_the_others():
    from parsers.sandbox import map_isolated

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
