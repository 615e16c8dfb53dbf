"""README's main job: `intake demo` runs the real service on a local mailbox, and a re-run sends nothing twice."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devtools.servers import find_free_port

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_dir(tmp_path):
    yield tmp_path
    from devtools.demo import _mailserver_dir

    shutil.rmtree(_mailserver_dir(tmp_path / "data" / "demo"), ignore_errors=True)


def test_the_demo_parses_the_sample_mailbox_and_shows_the_replies(demo_dir):
    tmp_path = demo_dir
    config = yaml.safe_load((PROJECT / "config.yaml").read_text(encoding="utf-8"))
    config["mailbox"]["port"] = find_free_port()
    config["smtp"]["port"] = find_free_port()
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    def demo(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "intake", "--config", "config.yaml", "demo", "--exit-after-poll", *options],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )

    first = demo("--fresh")  # as a new user may, on a checkout that never ran: nothing to forget yet
    assert first.returncode == 0, first.stderr
    assert "新报名 10 份" in first.stdout
    assert "已发送的自动回复（11 封）" in first.stdout
    assert "张喆" in first.stdout and "440804********4913" in first.stdout
    assert len(list((tmp_path / "data/demo/sent").glob("*.eml"))) == 11

    second = demo()
    assert second.returncode == 0, second.stderr
    assert "新邮件 0 封" in second.stdout and "成功 0" in second.stdout
    assert len(list((tmp_path / "data/demo/sent").glob("*.eml"))) == 11
    fresh = demo("--fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert "新报名 10 份" in fresh.stdout  # --fresh also forgets the demo mailbox kept outside the project
