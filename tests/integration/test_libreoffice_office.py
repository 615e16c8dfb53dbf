"""Real LibreOffice: .doc/.wps/.rtf/.odt forms parse like the .docx they came from.

Fixtures are made the way applicants make them: a sample form saved as
.docx, then converted by LibreOffice to .doc, .rtf and .odt; a Kingsoft
.wps is the Word 97 format, so a renamed .doc stands in for one.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from parsers.sandbox import Limits, run_isolated
from devtools.samples.forms import build_form_docx, sample_applicants
from parsers import parse
from parsers.errors import CorruptFile, EncryptedFile, ParseTimeout
from parsers.readers.office import convert_to_docx, find_soffice, is_encrypted_word97

SOFFICE = find_soffice()
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")]

APPLICANTS = sample_applicants(4, seed=3)
CASES = {"table4": APPLICANTS[0], "merged": APPLICANTS[1], "paragraphs": APPLICANTS[2], "table2": APPLICANTS[3]}
# Every layout as .doc; a couple each for the other formats (each parse is a ~2 s conversion).
MATRIX = [("doc", layout) for layout in CASES] + [("wps", "table4"), ("rtf", "table4"), ("rtf", "merged"),
                                                  ("odt", "table4"), ("odt", "paragraphs")]


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[tuple[str, str], bytes]:
    """{(format, layout): bytes}, made by LibreOffice from the sample .docx."""
    folder = tmp_path_factory.mktemp("office")
    names = []
    for layout, applicant in CASES.items():
        (folder / f"{layout}.docx").write_bytes(build_form_docx(applicant, layout))
        names.append(f"{layout}.docx")
    for fmt in ("doc", "rtf", "odt"):
        subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                        "--convert-to", fmt, "--outdir", str(folder / fmt), *names],
                       cwd=folder, check=True, capture_output=True, timeout=180)
    files = {(fmt, layout): (folder / fmt / f"{layout}.{fmt}").read_bytes()
             for fmt in ("doc", "rtf", "odt") for layout in CASES}
    files.update({("wps", layout): files[("doc", layout)] for layout in CASES})
    return files


@pytest.mark.parametrize("fmt,layout", MATRIX)
def test_office_formats_parse_like_docx(converted, fmt, layout):
    applicant = CASES[layout]
    started = time.perf_counter()
    [result] = parse(f"湛江专家报名表.{fmt}", converted[(fmt, layout)])
    elapsed = time.perf_counter() - started
    assert result.fields == applicant.expected_fields()
    assert result.needs_review == []
    assert elapsed < 30, f"{fmt} conversion took {elapsed:.1f}s"


def test_a_doc_named_docx_is_converted_too(converted):
    [result] = parse("报名表.docx", converted[("doc", "table4")])
    assert result.fields == CASES["table4"].expected_fields()


def test_inside_the_isolated_parse_child(converted):
    """soffice inherits the child's RLIMIT_AS (1 GB) and still converts."""
    [result] = run_isolated(parse, "报名表.wps", converted[("wps", "merged")], limits=Limits())
    assert result.fields == CASES["merged"].expected_fields()


def test_two_conversions_at_once(converted):
    outcomes: dict[str, object] = {}

    def work(fmt: str, layout: str) -> None:
        try:
            outcomes[fmt] = parse(f"a.{fmt}", converted[(fmt, layout)])[0].fields
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes[fmt] = exc

    threads = [threading.Thread(target=work, args=("doc", "table2")),
               threading.Thread(target=work, args=("odt", "table4"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcomes == {"doc": CASES["table2"].expected_fields(), "odt": CASES["table4"].expected_fields()}


def _soffice_children() -> set[str]:
    found = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return {line for line in found.splitlines() if "intake-office-" in line}


def test_timeout_kills_the_conversion(converted):
    before = _soffice_children()
    started = time.perf_counter()
    with pytest.raises(ParseTimeout, match="超时") as caught:
        convert_to_docx("doc", converted[("doc", "table4")], timeout=0.01)
    assert caught.value.reason == "timeout"
    assert time.perf_counter() - started < 10
    time.sleep(0.5)
    assert _soffice_children() <= before, "soffice left running after the timeout"


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_corrupt_doc(converted, damage):
    data = converted[("doc", "table4")]
    bad = data[: len(data) // 2] if damage == "truncated" else data[:512] + b"\x5a" * (len(data) - 512)
    with pytest.raises(CorruptFile) as caught:
        parse("报名表.doc", bad)
    assert caught.value.reason == "corrupt"


def test_corrupt_odt():
    with pytest.raises(CorruptFile):
        parse("报名表.odt", b"PK\x03\x04" + b"\x00" * 2000)


_MAKE_ENCRYPTED = r"""
import subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue
def pv(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p
folder, soffice = sys.argv[1], sys.argv[2]
office = subprocess.Popen([soffice, "--headless", "--invisible", "--norestore",
                           "-env:UserInstallation=file://" + folder + "/uno-profile",
                           "--accept=pipe,name=intake-test-enc;urp;"])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(120):
    try:
        ctx = resolver.resolve("uno:pipe,name=intake-test-enc;urp;StarOffice.ComponentContext"); break
    except Exception:
        time.sleep(0.25)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
doc = desktop.loadComponentFromURL("file://" + folder + "/form.docx", "_blank", 0, (pv("Hidden", True),))
doc.storeToURL("file://" + folder + "/enc.doc", (pv("FilterName", "MS Word 97"), pv("Password", "1234")))
doc.storeToURL("file://" + folder + "/enc.odt", (pv("FilterName", "writer8"), pv("Password", "1234")))
doc.close(True)
try:
    desktop.terminate()
except Exception:
    pass
office.wait(30)
"""


def test_password_protected_doc_and_odt(tmp_path):
    """Real files saved with a password by LibreOffice (needs python3-uno)."""
    # LibreOffice's uno module belongs to the distribution's Python.
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else shutil.which("python3")
    if python is None or subprocess.run([python, "-c", "import uno"], capture_output=True).returncode:
        pytest.skip("system python3 has no uno module")
    (tmp_path / "form.docx").write_bytes(build_form_docx(APPLICANTS[0]))
    (tmp_path / "make.py").write_text(_MAKE_ENCRYPTED)
    subprocess.run([python, str(tmp_path / "make.py"), str(tmp_path), SOFFICE],
                   check=True, capture_output=True, timeout=120)
    encrypted_doc = (tmp_path / "enc.doc").read_bytes()
    assert is_encrypted_word97(encrypted_doc)
    for name in ("报名表.doc", "报名表.wps"):
        with pytest.raises(EncryptedFile, match="密码"):
            parse(name, encrypted_doc)
    with pytest.raises(EncryptedFile, match="密码"):
        parse("报名表.odt", (tmp_path / "enc.odt").read_bytes())


def test_seconds_per_conversion(converted, record_property):
    timings = {}
    for fmt in ("doc", "rtf", "odt"):
        started = time.perf_counter()
        convert_to_docx(fmt, converted[(fmt, "table4")])
        timings[fmt] = round(time.perf_counter() - started, 2)
    record_property("seconds_per_conversion", timings)
    print("seconds per LibreOffice conversion:", timings)
    assert max(timings.values()) < 30


def test_an_html_page_named_doc_is_refused_not_read_as_html(tmp_path):
    page = ("<html><body><h1>湛江市中小企业志愿服务专家报名表</h1><table><tr><td>姓名</td><td>张伟</td></tr></table>"
            "<img src='http://127.0.0.1:9/track.png'></body></html>").encode("utf-8")
    with pytest.raises(CorruptFile):
        parse("报名表.doc", page)
