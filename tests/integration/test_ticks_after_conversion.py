"""Ticks survive LibreOffice: a .doc or .wps, and a PDF exported from one.

Applicants whose Word still saves .doc (or who use WPS) send forms ticked
with Wingdings symbols, check-box content controls or old check-box form
fields. Each way of ticking is written into a .docx (as in
``tests/unit/test_ticks_any_convention.py``), turned into a .doc and a PDF
by LibreOffice the way such a file comes about, and must parse to exactly
the options ticked.

A PDF made on a machine without the symbol font draws every such glyph as
the same missing-glyph box. What it shows cannot tell ticked from unticked,
but the text layer keeps each glyph's private-use code (U+F052, in the
marked content's ActualText): codes that are tick boxes in exactly one of
Wingdings and Wingdings 2 are read as in that font. Marks that keep no such
code (Webdings, Wingdings 2 typed as letters) send the form to review, never
a guess.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from devtools.samples.scans import docx_to_many
from parsers import parse
from parsers.readers.office import find_soffice
from tests.unit.test_ticks_any_convention import APPLICANT, CONVENTIONS, with_tick_convention

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")]

TICK_KEYS = ("expertise", "service_modes")
# The font each convention needs drawn to show its marks in a PDF.
SYMBOL_FONT_OF = {"Wingdings 2 symbol": "Wingdings 2", "Wingdings symbol": "Wingdings",
                  "Webdings symbol": "Webdings", "Wingdings text": "Wingdings",
                  "Wingdings 2 typed letters": "Wingdings 2"}
# Conventions whose PDF keeps codes that name their font without it.
READ_BY_CODE = ("Wingdings 2 symbol", "Wingdings symbol", "Wingdings text")


def _font_installed(family: str) -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    families = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30).stdout
    return any(line.strip().lower() == family.lower() for line in families.replace(",", "\n").splitlines())


@pytest.fixture(scope="module")
def converted() -> dict[str, dict[str, bytes]]:
    """{format: {convention: bytes}}: one LibreOffice run per format."""
    documents = {convention: with_tick_convention(APPLICANT, convention) for convention in CONVENTIONS}
    return {fmt: docx_to_many(fmt, documents) for fmt in ("doc", "pdf")}


def assert_ticks_read_exactly(result) -> None:
    assert result.fields["expertise"] == APPLICANT.expertise
    assert result.fields["service_modes"] == APPLICANT.service_modes
    assert not set(TICK_KEYS) & set(result.needs_review)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_a_doc_ticked_any_way_reads_the_options_ticked(converted, convention):
    [result] = parse("报名表.doc", converted["doc"][convention])
    assert_ticks_read_exactly(result)


@pytest.mark.parametrize("convention", ["Wingdings 2 symbol", "check-box form field"])
def test_a_wps_reads_like_the_doc_it_is(converted, convention):
    # A Kingsoft .wps is the Word 97 format under another name.
    [result] = parse("报名表.wps", converted["doc"][convention])
    assert_ticks_read_exactly(result)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_a_pdf_exported_from_a_ticked_form_reads_the_ticks_or_asks_for_review(converted, convention):
    [result] = parse("报名表.pdf", converted["pdf"][convention])
    font = SYMBOL_FONT_OF.get(convention)
    if font is None or _font_installed(font) or convention in READ_BY_CODE:
        assert_ticks_read_exactly(result)
    else:
        assert set(TICK_KEYS) <= set(result.needs_review)
