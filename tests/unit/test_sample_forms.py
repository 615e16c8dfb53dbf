"""Round trip: every sample form parses back to exactly what was written."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from devtools.samples.forms import (
    LAYOUTS,
    build_blank_form_docx,
    build_form_docx,
    build_form_pdf,
    build_forms_docx,
    build_forms_pdf,
    build_incomplete_form_docx,
    build_non_form_docx,
    sample_applicants,
)
from parsers import parse
from parsers.text.checks import check_id_agrees, check_id_number, check_mobile

APPLICANTS = sample_applicants(6)


def _only(results):
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("number", range(len(APPLICANTS)))
def test_docx_layouts_round_trip(layout, number):
    applicant = APPLICANTS[number]
    result = _only(parse("报名表.docx", build_form_docx(applicant, layout)))
    assert result.fields == applicant.expected_fields()
    assert result.needs_review == []
    assert result.warnings == []
    assert set(result.confidence.values()) == {1.0}
    assert result.method == "docx"


@pytest.mark.parametrize("number", range(4))
def test_pdf_round_trip(number):
    applicant = APPLICANTS[number]
    result = _only(parse("报名表.pdf", build_form_pdf(applicant)))
    assert result.fields == applicant.expected_fields()
    assert result.needs_review == []
    assert result.method == "pdf-text"


@pytest.mark.parametrize("layout", ["table4", "paragraphs", "merged"])
def test_several_forms_in_one_docx(layout):
    results = parse("两份.docx", build_forms_docx(APPLICANTS[:2], layout))
    assert [r.fields for r in results] == [a.expected_fields() for a in APPLICANTS[:2]]


def test_one_form_per_pdf_page():
    results = parse("两页.pdf", build_forms_pdf(APPLICANTS[2:4]))
    assert [r.fields for r in results] == [a.expected_fields() for a in APPLICANTS[2:4]]


def test_resume_is_not_a_form():
    assert parse("简历.docx", build_non_form_docx()) == []


def test_blank_form_is_a_form_with_nothing_filled():
    result = _only(parse("报名表.docx", build_blank_form_docx()))
    assert result.fields == {}
    assert result.needs_review == []


def test_incomplete_form_omits_dropped_fields():
    applicant = APPLICANTS[0]
    drop = ["email", "expertise", "county"]
    result = _only(parse("报名表.docx", build_incomplete_form_docx(applicant, drop)))
    expected = {k: v for k, v in applicant.expected_fields().items() if k not in drop}
    assert result.fields == expected


def test_applicants_are_deterministic_and_valid():
    again = sample_applicants(30)
    assert sample_applicants(30) == again
    assert [a.name for a in again[:3]] == ["张喆", "欧阳婧", "冼浩"]
    for applicant in again:
        assert applicant.id_number.startswith("4408")
        assert check_id_number(applicant.id_number) == []
        assert check_id_agrees(applicant.id_number, applicant.birth_date, applicant.gender) == []
        assert check_mobile(applicant.mobile) == []
        assert applicant.office_phone.startswith("0759-")
        assert applicant.expertise and applicant.service_modes


def test_make_blank_form_script(tmp_path, capsys):
    script = Path(__file__).parents[2] / "scripts" / "make_blank_form.py"
    spec = importlib.util.spec_from_file_location("make_blank_form", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main = module.main
    out = tmp_path / "报名表.docx"
    assert main([str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_bytes()[:2] == b"PK"
