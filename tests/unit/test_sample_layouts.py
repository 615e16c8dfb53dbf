"""Forms nobody here has seen: the layout space draws varied forms, each
with ground truth that agrees with what is written on it."""
from __future__ import annotations

import datetime
import io
import random
import re

import docx
import pytest

from bench.parse_accuracy import score_item, summarise
from devtools.samples.layouts import draw_file
from devtools.samples.layouts.non_forms import cover_letter_docx, resume_docx
from devtools.samples.layouts.people import chinese_number, write_fill_date
from parsers.text.checks import id_check_char
from devtools.samples.layouts.space import ARRANGEMENTS, FAMILIES
from devtools.samples.layouts.vocabulary import COUNTIES, EXPERTISE_OPTIONS, LABELS, SERVICE_OPTIONS, TICK_STYLES
from devtools.samples.unseen_corpus import UnseenItem, build_unseen_corpus

SEEDS = range(50)
FILES = {seed: draw_file(seed) for seed in SEEDS}
KEYS = set(LABELS)


def _document_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_same_seed_draws_the_same_file():
    assert draw_file(7).docx == FILES[7].docx
    assert draw_file(7).truths == FILES[7].truths
    assert draw_file(8).docx != FILES[7].docx


def test_fifty_seeds_cover_the_space():
    specs = [FILES[seed].spec for seed in SEEDS]
    assert {spec.family for spec in specs} == set(FAMILIES)
    assert {arrangement for spec in specs for arrangement, _ in spec.sections} == set(ARRANGEMENTS)
    assert {style for spec in specs for style in spec.tick_styles.values()} == set(TICK_STYLES)
    assert {keys[0] for spec in specs for keys, _, _ in spec.composites} == {"education", "employer", "gender", "birth_date"}
    assert len({spec.labels["county"] for spec in specs}) >= 5
    assert {spec.fill_placement for spec in specs} == {"grid", "after", "signature"}
    assert {spec.font for spec in specs} >= {"宋体", "仿宋", "楷体", "黑体"}
    assert any(spec.applicants == 2 for spec in specs) and any(spec.photo for spec in specs)
    assert any(spec.omitted for spec in specs) and any(spec.unit_opinion for spec in specs)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_truth_is_what_a_valid_applicant_wrote(seed):
    drawn = FILES[seed]
    text = _document_text(drawn.docx)
    flat = re.sub(r"[\s\-－()（）]", "", text).upper()
    assert len(drawn.truths) == drawn.spec.applicants
    for truth in drawn.truths:
        assert set(truth) <= KEYS and {"name", "id_number", "mobile", "expertise", "fill_date"} <= set(truth)
        id_number = truth["id_number"]
        assert re.fullmatch(r"\d{17}[\dX]", id_number) and id_check_char(id_number[:17]) == id_number[17]
        assert int(id_number[16]) % 2 == (truth.get("gender", "男") == "男") or "gender" not in truth
        if "birth_date" in truth:
            assert re.fullmatch(r"\d{4}-\d{2}", truth["birth_date"])
            assert id_number[6:12] == truth["birth_date"].replace("-", "")
        datetime.date.fromisoformat(truth["fill_date"])
        assert re.fullmatch(r"1\d{10}", truth["mobile"])
        assert re.fullmatch(r"0759-\d{7}", truth.get("office_phone", "0759-0000000"))
        assert truth.get("county", "赤坎区") in COUNTIES
        assert truth["expertise"] == [o for o in EXPERTISE_OPTIONS if o in truth["expertise"]]
        assert truth["service_modes"] == [o for o in SERVICE_OPTIONS if o in truth["service_modes"]]
        # What the truth says is on the page, in some writing.
        assert truth["name"] in text and id_number in flat and truth["mobile"] in flat
        for key in ("employer", "title", "address"):
            assert key not in truth or truth[key] in text
        for key in ("experience", "achievements"):
            assert key not in truth or all(line in text for line in truth[key].split("\n"))


def test_ticks_written_as_word_objects_agree_with_the_truth():
    checked = total = 0
    for drawn in FILES.values():
        if drawn.ticks and drawn.spec.applicants == 1 and len(set(drawn.spec.tick_styles.values())) == 1:
            truth = drawn.truths[0]
            assert sum(t.checked for t in drawn.ticks) == len(truth["expertise"]) + len(truth["service_modes"])
            checked += 1
            total += len(drawn.ticks)
    assert checked >= 5 and total > 50


def test_word_objects_are_in_the_docx_xml():
    xml = {style: "" for style in ("w:sym", "w14:checkbox", "FORMCHECKBOX")}
    for drawn in FILES.values():
        body = docx.Document(io.BytesIO(drawn.docx)).element.xml
        for marker in xml:
            if marker in body:
                xml[marker] = body
    assert all(xml.values())
    printable = next(d for d in FILES.values() if d.has_symbol_ticks).printable_docx
    assert "w:sym" not in docx.Document(io.BytesIO(printable)).element.xml


def test_dates_in_chinese_numerals():
    assert [chinese_number(n) for n in (7, 10, 17, 20, 31)] == ["七", "十", "十七", "二十", "三十一"]
    writings = {write_fill_date("2020-09-07", random.Random(n)) for n in range(60)}
    assert {"二〇二〇年九月七日", "2020年9月7日", "2020.9.7", "2020-09-07"} <= writings


def test_non_forms_open_and_name_no_form_of_their_own():
    for data in (resume_docx(1), cover_letter_docx(1)):
        assert "报名表" not in docx.Document(io.BytesIO(data)).paragraphs[0].text


def test_a_file_with_two_applicants_expects_two_forms():
    items = build_unseen_corpus(("docx",), applicants=4, seed=4)
    assert len(items) == 4 and {item.format for item in items} == {"docx"}
    two = [item for item in items if len(item.expected_forms) == 2]
    assert two, "some files hold two applicants"
    item = two[0]
    first, second = item.expected_forms
    outcome = {"status": "ok", "message": "", "seconds": 1.0,
               "results": [{"fields": dict(second), "needs_review": []}, {"fields": dict(first), "needs_review": []}]}
    score = score_item(item, outcome)
    assert score["right"] == score["fields"] == len(first) + len(second)
    assert summarise([score])["forms_matched"] == 2
    lost = score_item(item, {**outcome, "results": outcome["results"][:1]})
    assert lost["missing"] == len(first) and summarise([lost])["forms_matched"] == 1


def test_a_long_answer_is_compared_without_its_line_breaks():
    item = UnseenItem("docx/00-grid2", "docx", "a.docx", b"", None, {"experience": "2001年起任会计；\n2010年至今　总监。"},
                      1, "grid2")
    outcome = {"status": "ok", "message": "", "seconds": 1.0,
               "results": [{"fields": {"experience": "2001年起任会计；2010年至今 总监。"}, "needs_review": []}]}
    assert score_item(item, outcome)["right"] == 1
