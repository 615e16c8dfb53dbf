"""How many threads a parse child's OCR runs: never more cores than the child
is given, nor more than OMP_NUM_THREADS where several workers share a machine."""
from __future__ import annotations

import os

from parsers.ocr.engines import rapid


def threads_chosen(monkeypatch) -> int:
    chosen = []
    monkeypatch.setattr(rapid, "_rapid_models", chosen.append)
    rapid.rapid_models()
    return chosen[0]


def test_a_file_read_alone_uses_every_core_it_is_given(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert threads_chosen(monkeypatch) == len(os.sched_getaffinity(0))


def test_workers_sharing_a_machine_ocr_on_one_thread_each(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads_chosen(monkeypatch) == 1


def test_a_nonsense_limit_is_ignored(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")
    assert threads_chosen(monkeypatch) == len(os.sched_getaffinity(0))
