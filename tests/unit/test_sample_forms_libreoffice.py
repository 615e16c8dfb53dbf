"""Optional cross-check: sample .docx forms printed to PDF by LibreOffice
(real fonts, real line wrapping) still parse to the expected fields."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from devtools.samples.forms import build_form_docx, build_forms_docx, sample_applicants
from parsers import parse

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")


def test_libreoffice_pdfs_parse_like_the_docx(tmp_path):
    applicants = sample_applicants(3)
    sources = {"table4.docx": build_form_docx(applicants[0], "table4"),
               "merged.docx": build_form_docx(applicants[1], "merged"),
               "paragraphs.docx": build_forms_docx(applicants[:2], "paragraphs")}
    for name, data in sources.items():
        (tmp_path / name).write_bytes(data)
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *sources],
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    expected = {"table4.pdf": applicants[:1], "merged.pdf": applicants[1:2], "paragraphs.pdf": applicants[:2]}
    for name, people in expected.items():
        results = parse(name, (tmp_path / name).read_bytes())
        assert [r.fields for r in results] == [p.expected_fields() for p in people], name
        assert all(r.needs_review == [] for r in results)
