"""Golden files: forms as people outside this project write them, each read
as a careful person reads it.

Every input in ``tests/data/golden`` sits beside ``<file>.expected.json``,
written by hand: the forms the file holds, in order, each with its fields
and the keys that must go to review. The parser must find exactly those
forms and read every field exactly; a key the truth says must be flagged is
flagged. Flagging more than the truth asks is not a wrong answer (staff look
once more), so it is allowed and printed.

A rare character that OCR reads as its common look-alike cannot be read
right from the picture, only flagged: such a field is written right in
``fields`` and as OCR reads it in the form's ``misread``; it must be flagged,
and either reading passes (a better engine may read it right one day).

A file from another campaign names the options it is read with (its
``options``: a city's counties, as the worker reads that campaign's mail).

A case that fails today is listed in ``KNOWN_FAILURES`` with what came out
instead; the mark is strict, so a fix that makes it pass must remove it.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from parsers import parse
from parsers.options import ParseOptions
from parsers.schema import load_schema

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
EXPECTED_SUFFIX = ".expected.json"
INPUTS = sorted(path.name for path in GOLDEN.iterdir()
                if not path.name.endswith(EXPECTED_SUFFIX) and path.name != "README.md")
NEEDS_LIBREOFFICE = (".doc", ".wps")
NEEDS_OCR = (".jpg", ".png")
# + the three OCR-fix pictures, 16–18; + 19–20 from the tuning draw (pictures, truths, README rows)
# + 21–24, the fixes found on the unseen forms' tuning draws (a .docx, three pictures, truths, README rows)
# + 25, another city's form (a .docx, its truth, a README row)
# + 26–29, scans from the tuning draws whose gaps, check marks and box cells were lost (pictures, truths, README rows)
# + 30–35, the OCR fixes on the tuning draws: wrapped answers, stacked and rule-cut boxes, descenders, the sheet's outline (five scans, a photo, truths, README rows)
# + 36–38, an underscore on a rule, a date wrapped onto the age, check marks without their boxes (a photo, two scans, truths, README rows)
# + 39–40, a photo's outline under light falling off, an empty row between labels and answers (two photos, truths, README rows)
# + 41–43, names read again by the wide recogniser (two scans, a photo, truths, README rows)
FOLDER_LIMIT_BYTES = (3 * 1024 * 1024 + 680 * 1024 + 713_451 + 700_000 + 40_000 + 690_000 + 760_000 + 520_000 + 325_000
                      + 640_000)

KNOWN_FAILURES: dict[str, str] = {}


def _marks(name: str) -> list:
    marks = []
    if name.endswith(NEEDS_LIBREOFFICE) and shutil.which("soffice") is None:
        marks.append(pytest.mark.skip(reason="LibreOffice is not installed"))
    if name.endswith(NEEDS_OCR) and importlib.util.find_spec("rapidocr_onnxruntime") is None:
        marks.append(pytest.mark.skip(reason="the OCR engine is not installed"))
    if name in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
    return marks


def _expected(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}{EXPECTED_SUFFIX}").read_text(encoding="utf-8"))


def _expected_forms(name: str) -> list[dict]:
    return _expected(name)["forms"]


def _options(name: str) -> ParseOptions | None:
    options = _expected(name).get("options")
    if options is None:
        return None
    return ParseOptions(choices={key: tuple(values) for key, values in options.get("choices", {}).items()})


def _differences(read: dict, truth: dict, misread: dict | None = None) -> list[str]:
    misread = misread or {}
    return [f"{key}: read {read.get(key)!r}, truth {truth.get(key)!r}"
            for key in load_schema().keys
            if read.get(key) != truth.get(key) and (key not in misread or read.get(key) != misread[key])]


@pytest.mark.parametrize("name", [pytest.param(name, marks=_marks(name)) for name in INPUTS])
def test_a_golden_file_reads_as_a_careful_person_reads_it(name):
    expected = _expected_forms(name)
    results = parse(name, (GOLDEN / name).read_bytes(), options=_options(name))

    assert len(results) == len(expected), f"{len(results)} forms found, the file holds {len(expected)}"
    for number, (result, truth) in enumerate(zip(results, expected), start=1):
        differences = _differences(result.fields, truth["fields"], truth.get("misread"))
        assert not differences, f"form {number}: " + "; ".join(differences)
        unflagged = [key for key in truth["needs_review"] if key not in result.needs_review]
        assert not unflagged, f"form {number}: not sent to review: {unflagged}"
        beyond = [key for key in result.needs_review if key not in truth["needs_review"]]
        if beyond:
            print(f"{name} form {number}: flagged beyond the truth: {beyond}")


def test_every_input_has_its_truth_and_a_line_in_the_readme():
    keys = set(load_schema().keys)
    readme = (GOLDEN / "README.md").read_text(encoding="utf-8")
    truths = sorted(path.name.removesuffix(EXPECTED_SUFFIX) for path in GOLDEN.glob(f"*{EXPECTED_SUFFIX}"))
    assert truths == INPUTS
    for name in INPUTS:
        assert f"`{name}`" in readme, name
        for form in _expected_forms(name):
            assert set(form["fields"]) <= keys and set(form["needs_review"]) <= keys, name
            assert all(value not in ("", [], None) for value in form["fields"].values()), name
            # A field read as a look-alike is one that must be flagged.
            assert set(form.get("misread", {})) <= set(form["needs_review"]), name


def test_the_golden_folder_stays_small():
    assert sum(path.stat().st_size for path in GOLDEN.iterdir()) < FOLDER_LIMIT_BYTES
