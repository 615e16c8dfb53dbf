"""A service started under an address-space cap (ulimit -v) still parses: children stay under it."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.samples.forms import build_form_docx, sample_applicants

pytestmark = pytest.mark.integration

TWO_GB = 2 * 1024 ** 3


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (TWO_GB, TWO_GB))


def test_intake_parse_of_a_docx_works_under_a_2_gb_address_space_cap(tmp_path):
    person = sample_applicants(1, seed=11)[0]
    form = tmp_path / "报名表.docx"
    form.write_bytes(build_form_docx(person))
    intake = Path(sys.executable).with_name("intake")
    done = subprocess.run([str(intake), "parse", str(form), "--json"], capture_output=True, text=True,
                          timeout=300, preexec_fn=_capped)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.splitlines()[0])
    assert result["fields"]["name"] == person.name
