"""The inputs of the golden files in ``tests/data/golden``, built once.

    python -m devtools.golden_inputs [--out DIR] [--only PREFIX]

Each case is a form as someone outside this project would write it: label
wordings the parser's table never listed, two fields under one label, text
around the answers that is no answer, every way Word writes a tick, dates in
Chinese numerals, two applicants in one file, .doc files whose table
LibreOffice loses, flatbed scans and phone photos (answers glued to their
labels, a keystoned close-up, labels over answers, a tick box against the
table's rule), a file that is barely the form, and attachments that are not
the form at all. The Word cases are in ``devtools.golden_office``, the
pictures in ``devtools.golden_images``; pictures that pin OCR reading fixes
in ``devtools.golden_ocr_fixes``, and the fixes found on the unseen forms'
tuning draws in ``devtools.golden_unseen_fixes``.

The expected ``<input>.expected.json`` beside each input is written by hand
and reviewed as a diff; this script never writes it. Inputs are committed:
LibreOffice and JPEG encoders may change a few bytes between runs, so rerun
only to add a case (``--only`` its prefix), and read its expected output
again when you do.

Needs LibreOffice (.doc, .wps, PDF, and the page images of the scans and
photos) and the Noto CJK fonts; see ``devtools.samples.scans``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from devtools import golden_office as office
from devtools.golden_images import image_files
from devtools.golden_ocr_fixes import ocr_fix_files
from devtools.golden_unseen_fixes import unseen_fix_files
from devtools.samples import scans

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden"


def word_files() -> dict[str, bytes]:
    return {
        "01-label-wordings.docx": office.wordings_nobody_listed(),
        "02-composite-labels.docx": office.composite_labels_in_cells(),
        "03-not-the-answer.docx": office.text_that_is_not_the_answer(),
        "04-tick-before-with-spaces.docx": office.ticks_before_with_spaces(),
        "04-tick-wingdings.docx": office.wingdings_ticks(),
        "04-tick-content-controls.docx": office.content_control_ticks(),
        "04-tick-after-and-short-forms.docx": office.ticks_after_and_short_forms(),
        "05-dates-chinese-numerals.docx": office.dates_in_chinese_numerals(),
        "06-two-applicants.docx": office.two_applicants(),
        "08-partial-form.docx": office.partial_form(office.rest_of_form_png()),
        "09-resume.docx": office.resume(),
        "25-another-citys-county.docx": office.another_citys_form(),
    }


def converted_files(docx: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """(format, source .docx): LibreOffice writes these, as it would for the applicant."""
    return {
        "01-label-wordings.doc": ("doc", docx["01-label-wordings.docx"]),
        "02-composite-labels.pdf": ("pdf", office.composite_labels_in_paragraphs()),
        "04-tick-wingdings.doc": ("doc", docx["04-tick-wingdings.docx"]),
        "04-tick-content-controls.wps": ("wps", docx["04-tick-content-controls.docx"]),
        "04-tick-wingdings2.pdf": ("pdf", office.wingdings2_ticks_for_pdf()),
        "05-dates-dots-and-slashes.wps": ("wps", office.dates_with_dots_and_slashes()),
        "09-cover-letter.pdf": ("pdf", office.cover_letter()),
        "14-doc-table-lost.doc": ("doc", office.doc_table_lost()),
        "15-long-answer-split.doc": ("doc", office.long_answer_split()),
    }


def build(out: Path, only: str = "") -> list[Path]:
    docx = word_files()
    files = {name: data for name, data in docx.items() if name.startswith(only)}
    for fmt in ("doc", "wps", "pdf"):
        wanted = {name: source for name, (kind, source) in converted_files(docx).items()
                  if kind == fmt and name.startswith(only)}
        files.update(scans.docx_to_many(fmt, wanted))
    files.update(image_files(only))
    files.update(ocr_fix_files(only))
    files.update(unseen_fix_files(only))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        (path := out / name).write_bytes(data)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR)
    parser.add_argument("--only", default="", help="build only the cases whose file name starts so (e.g. 04-)")
    args = parser.parse_args()
    for path in build(args.out, args.only):
        print(f"{path.stat().st_size:>9,}  {path.name}")


if __name__ == "__main__":
    main()
