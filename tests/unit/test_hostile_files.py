"""Hostile or broken files get a clear status, never a silent nothing."""
from __future__ import annotations

import io
import os
import warnings
import zipfile
from email.message import EmailMessage

import pytest

from devtools.samples import hostile_files
from devtools.samples.forms import build_form_docx, sample_applicants
from intake.mail import mime
from parsers import parse
from parsers.errors import CorruptFile, ParseError, TooLarge

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


# ---- a mail that decodes to far more than it weighs ---------------------------

def _zip_of(name: str, size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(name, os.urandom(size))
    return out.getvalue()


def test_a_mail_whose_attachments_decode_past_its_budget_keeps_what_fits_and_says_why(monkeypatch):
    monkeypatch.setattr(mime, "MAX_DECODED_BYTES", 1024 * 1024)
    message = EmailMessage()
    message["From"] = "张伟 <zw@126.com>"
    message["Subject"] = "报名表"
    message.set_content("附件是报名材料")
    for number in range(3):
        message.add_attachment(_zip_of(f"scan{number}.jpg", 600 * 1024), maintype="application",
                               subtype="zip", filename=f"材料{number}.zip")
    mail = mime.parse_mail(message.as_bytes())
    kept = sum(len(attachment.data) for attachment in mail.attachments)
    assert kept <= 1024 * 1024
    assert [a.filename for a in mail.attachments if a.origin == "zip"] == ["scan0.jpg"]
    assert any("possible decompression bomb" in defect or "exceeds" in defect for defect in mail.defects)


def test_a_docx_with_an_unknown_compression_method_is_a_parse_error_not_a_crash():
    data = bytearray(build_form_docx(APPLICANT))
    central = data.index(b"PK\x01\x02")
    data[central + 10:central + 12] = (99).to_bytes(2, "little")  # a method no library implements
    with pytest.raises(ParseError):
        parse("报名表.docx", bytes(data))


@pytest.mark.parametrize("content", [
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><text>\xe6\x8a\xa5\xe5\x90\x8d\xe8\xa1\xa8</text></svg>",
])
def test_a_photo_that_is_really_postscript_or_svg_is_refused_unopened(content):
    with pytest.raises(ParseError):
        parse("photo.jpg", content)


def test_a_chained_flate_bomb_pdf_is_refused_as_too_large_before_it_is_inflated():
    bomb = hostile_files.pdf_flate_bomb()  # a few KB that inflate to a gigabyte
    assert len(bomb) < 100_000
    with pytest.raises(TooLarge, match="压缩炸弹"):
        parse("报名表.pdf", bomb)
