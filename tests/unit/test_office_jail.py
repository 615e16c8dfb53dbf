"""LibreOffice sees its own folder and nothing else; without that confinement a file is refused unless allowed."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from parsers.readers import office_jail
from parsers.readers.office_jail import IsolationUnavailable, jail

needs_bwrap = pytest.mark.skipif(office_jail._working_bwrap() is None, reason="bubblewrap cannot run here")


@needs_bwrap
def test_a_confined_program_sees_its_folder_and_the_programs_but_not_the_service(tmp_path):
    (tmp_path / "input.doc").write_bytes(b"x")
    service_data = Path(__file__).resolve().parents[2]  # the project: config, data, code
    seen = subprocess.run([*jail(tmp_path), "/usr/bin/ls", str(tmp_path), str(service_data), "/root"],
                          capture_output=True, text=True)
    assert "input.doc" in seen.stdout
    assert f"cannot access '{service_data}'" in seen.stderr and "cannot access '/root'" in seen.stderr
    written = subprocess.run([*jail(tmp_path), "/usr/bin/touch", "/usr/evil"], capture_output=True, text=True)
    assert written.returncode != 0


@needs_bwrap
def test_a_confined_program_has_no_network(tmp_path):
    links = subprocess.run([*jail(tmp_path), "/usr/bin/cat", "/proc/net/dev"], capture_output=True, text=True)
    interfaces = [line.split(":")[0].strip() for line in links.stdout.splitlines()[2:]]
    assert interfaces in ([], ["lo"])


def test_without_bubblewrap_a_conversion_is_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(office_jail, "_working_bwrap", lambda: None)
    with pytest.raises(IsolationUnavailable, match="bubblewrap"):
        jail(tmp_path)
    assert isinstance(jail(tmp_path, allow_unisolated=True), tuple)
