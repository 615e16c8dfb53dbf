"""Hostile or broken files get a clear status, never a silent nothing."""
from __future__ import annotations

import io
import warnings
import zipfile

import pytest

from devtools.samples.forms import build_form_docx, sample_applicants
from parsers import parse
from parsers.errors import CorruptFile

APPLICANT = sample_applicants(1, seed=7)[0]


def rebuilt(data: bytes, extra: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
            for name, content in extra:
                target.writestr(name, content)
    return out.getvalue()


def test_a_docx_with_its_main_part_twice_is_refused_with_a_reason():
    data = build_form_docx(APPLICANT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        other = archive.read("word/document.xml").replace(APPLICANT.name.encode(), "冒名".encode())
    with pytest.raises(CorruptFile, match="重复"):
        parse("报名表.docx", rebuilt(data, [("word/document.xml", other)]))


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil", "/etc/passwd", "word/../../escape.xml", "C:/Windows/x.xml"])
def test_a_docx_whose_entries_climb_out_of_the_archive_is_refused(name):
    with pytest.raises(CorruptFile, match="路径不安全"):
        parse("报名表.docx", rebuilt(build_form_docx(APPLICANT), [(name, b"x")]))
