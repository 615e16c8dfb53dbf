"""Rows of one file → one FormResult per application form in it.

Shared by every reader so a docx and a text PDF of the same form give the
same fields, checks and warnings.

Review policy for rows read by OCR (``review_below`` > 0; a docx or text
PDF is never flagged for doubt): a value is either right or in
``needs_review``, never silently wrong.

* Free text (name, employer, address, …) cannot be validated: it needs a
  confidence of at least its field's threshold (``ParseOptions``; the
  engine already lowered cells whose doubtful characters a second engine
  did not confirm).
* Structured values (ID, mobile, e-mail, dates, county, gender) must pass
  their validators and agree with each other (ID ↔ birth date ↔ gender).
  An e-mail's validator says nothing of the part before the @: the engine
  lowers it unless a second reading agrees on the whole address.
* A tick list is trusted only when every option of the field was found
  with a decided mark; else the field is flagged.
* A box with ink that gave no text is missing and flagged (handwriting);
  when several are, the form was filled in by hand and everything read
  from it is flagged; a required field OCR found empty on a form that is
  otherwise filled in is flagged too (a wholly blank form is not).
* A value whose cell ran into the next one (the declaration) is cut and
  flagged.
* A value wholly inside one pair of brackets is the answer written in the
  printed fill-in brackets: OCR does not see the blanks that tell them
  apart elsewhere ("（ 主任 ）"), and reads one bracket's shape for another
  ("[主任］"), so the brackets are taken off (and said so).
* A tick field whose marks could not be read falls back to the options
  named in its cell, with that cell's confidence; naming every option, that
  is the printed list, not a choice, and the field is flagged.
* A name is checked in every format for its shape (one character: the
  given name lost; more than four without a middle dot: something else
  ran in) and, when OCR read it, for its surname (a look-alike read).

A file that is plainly the form (``resembles_form``: its title and a label,
or labels enough with one of the form's own questions) but gave too little for
``looks_like_form`` is never "no form": it gives a partial result with
every field read in needs_review and a warning saying so.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from parsers.text import checks
from parsers.text.cleaning import CLOSING_BRACKETS, OPENING_BRACKETS
from parsers.text.fields import normalise, option_one_character_off, validate, with_period_semicolons
from parsers.text.label_text import IGNORED, label_key_text
from parsers.text.labels import label_index
from parsers.options import ParseOptions
from parsers.text.pairs import Pair, read_pairs
from parsers.results import FormResult
from parsers.text.rows import SourceBox, TextRow
from parsers.schema import load_schema
from parsers.text.ticked_options import TICKED_MARKS, UNTICKED_MARKS, merge_readings, read_ticks

TICK_BOX_MARKS = TICKED_MARKS + UNTICKED_MARKS  # a tick box, ticked or not

# Labels found only on this form, not on a résumé or cover letter.
FORM_SPECIFIC_KEYS = {"county", "expertise", "service_modes", "available_time", "achievements"}
IDENTITY_KEYS = {"name", "id_number"}
REVIEW_CONFIDENCE = 0.5
# Labels enough (one of them the form's own) to call a file the form even
# when too little was read from it to be sure what is where.
PARTIAL_FORM_LABELS = 3
# An ID whose GB 11643 check character holds was read right whatever the
# OCR engine's own doubt (one wrong digit fails the check 10 times in 11).
CHECKED_ID_CONFIDENCE = 0.95
# This many value boxes with ink but no readable text: the form was filled
# in by hand, and what OCR did read from it is no more trustworthy.
HANDWRITTEN_BOXES = 3
UNREADABLE = "“{label}”一栏有字迹但无法识别（可能是手写），请对照原件录入"
HANDWRITTEN = "此表似为手写填写（{count} 栏无法识别），所有识别结果均请对照原件核对"
REQUIRED_EMPTY = "“{label}”为必填项，但识别结果为空（可能漏填或未能识别），请对照原件核对"
TICKS_AMBIGUOUS = "“{label}”中的勾选标记无法确定属于哪个选项（{options}），请对照原件核对"
PARTIAL_FORM = ("文件像是报名表，但只识别出 {count} 项内容（版式特殊、扫描不清或填写不全），"
                "已识别的内容全部待核对，请对照原件补录")
TICKS_INCOMPLETE = "“{label}”的选项未能全部识别（可能跨页或被遮挡），请对照原件核对勾选"
TICKS_UNREAD = "“{label}”未能识别出勾选标记（识别结果列出了全部选项），请对照原件核对勾选"
BRACKETS_TAKEN_OFF = "去除了“{label}”填写内容外的括号"
NEAREST_OPTION = "“{label}”识别为“{read}”，不在可选范围内，已按最接近的选项记为“{option}”，请对照原件核对"
# Kinds whose brackets hold tick marks ("男（√）"), not an answer.
_MARKED_KINDS = ("ticks", "gender")
_OPENING, _CLOSING = OPENING_BRACKETS, CLOSING_BRACKETS
_WHOLLY_BRACKETED = re.compile(
    rf"^\s*[{re.escape(_OPENING)}]\s*([^{re.escape(_OPENING + _CLOSING)}]+?)\s*[{re.escape(_CLOSING)}]\s*$")


def _is_title_row(row: TextRow) -> bool:
    filled = [cell for cell in row.cells if cell.strip()]
    return len(filled) == 1 and label_index().is_title(filled[0])


def _label_keys(pairs: list[Pair]) -> set[str]:
    return {pair.key for pair in pairs if pair.key != IGNORED}


def split_forms(rows: list[TextRow]) -> list[list[TextRow]]:
    """Group rows into forms.

    Rows are first cut at page breaks, tables and titles; consecutive pieces
    are then joined unless a piece opens with the title while the form so
    far already has labels, or repeats the name or ID label — a second
    applicant. So a form running over two pages stays one form.
    """
    pieces: list[list[TextRow]] = []
    for row in rows:
        if not pieces or row.starts_page or row.starts_table or _is_title_row(row):
            pieces.append([])
        pieces[-1].append(row)
    forms: list[list[TextRow]] = []
    current_keys: set[str] = set()
    for piece in pieces:
        keys = _label_keys(read_pairs(piece))
        second_form = forms and (
            (_is_title_row(piece[0]) and current_keys) or (keys & current_keys & IDENTITY_KEYS)
        )
        if not forms or second_form:
            forms.append([])
            current_keys = set()
        forms[-1].extend(piece)
        current_keys |= keys
    return forms


def looks_like_form(rows: list[TextRow], pairs: list[Pair]) -> bool:
    labels = _label_keys(pairs)
    has_title = any(_is_title_row(row) for row in rows)
    return (has_title and len(labels) >= 2) or (
        len(labels & FORM_SPECIFIC_KEYS) >= 2 and len(labels) >= 4
    )


def resembles_form(rows: list[TextRow], pairs: list[Pair]) -> bool:
    """Too little was read for ``looks_like_form``, yet this is the form:
    its title over at least one of its labels, or several labels with one
    only this form asks. A résumé shares the name, phone and e-mail, not the
    form's questions; the call for applicants names the form in a line of
    its own ("附件：…报名表") but asks nothing."""
    labels = _label_keys(pairs)
    return (bool(labels) and any(_is_title_row(row) for row in rows)) or (
        len(labels) >= PARTIAL_FORM_LABELS and bool(labels & FORM_SPECIFIC_KEYS)
    )


def rows_to_results(rows: list[TextRow], method: str, base_confidence: float = 1.0,
                    review_below: float = 0.0, options: ParseOptions | None = None) -> list[FormResult]:
    """``review_below``: a field read with less confidence than this (the
    rows' per-cell OCR confidences) goes to needs_review; > 0 means the rows
    came from OCR and the review policy above applies. ``options`` add the
    per-field thresholds (default: ``ParseOptions(review_below=review_below)``) and the campaign's choices."""
    if options is None:
        options = ParseOptions(review_below=review_below) if review_below > 0 else None
    results, partial = [], []
    for form_rows in split_forms(rows):
        pairs = read_pairs(form_rows)
        if looks_like_form(form_rows, pairs):
            results.append(build_result(form_rows, pairs, method, base_confidence, review_below, options))
        elif resembles_form(form_rows, pairs):
            partial.append((form_rows, pairs))
    if results:
        return results  # a stray piece beside a whole form is not another applicant
    # Never nothing from what is plainly the form: whatever was read, for staff to check.
    return [_partial_result(form_rows, pairs, method, base_confidence, review_below, options)
            for form_rows, pairs in partial]


def _partial_result(rows: list[TextRow], pairs: list[Pair], method: str, base_confidence: float,
                    review_below: float, options: ParseOptions | None) -> FormResult:
    result = build_result(rows, pairs, method, base_confidence, review_below, options)
    result.warnings.insert(0, PARTIAL_FORM.format(count=len(result.fields)))
    result.needs_review = list(result.fields)  # already in the schema's order
    result.confidence = {key: min(value, REVIEW_CONFIDENCE) for key, value in result.confidence.items()}
    return result


class _ResultBuilder:
    def __init__(self, method: str, base_confidence: float, review_below: float = 0.0,
                 options: ParseOptions | None = None) -> None:
        self.schema = load_schema().with_choices(options.choices if options is not None else {})  # a city's counties
        self.result = FormResult(method=method)
        self.base_confidence = base_confidence
        self.review_below = review_below
        self.options = options if review_below > 0 else None  # None: not OCR, nothing flagged for doubt
        self.read_confidence: dict[str, float] = {}  # per key, from the cells (OCR)
        self.unreadable: list[str] = []  # keys whose box had ink but no text

    @property
    def ocr(self) -> bool:
        return self.options is not None

    def threshold(self, key: str) -> float:
        return self.options.threshold(key) if self.options is not None else self.review_below

    def flag(self, key: str, problem: str) -> None:
        if key not in self.result.needs_review:
            self.result.needs_review.append(key)
        if problem not in self.result.warnings:
            self.result.warnings.append(problem)

    def put(self, key: str, value: Any, confidence: float = 1.0, box: SourceBox | None = None) -> None:
        spec = self.schema.spec_for(key)
        fields = self.result.fields
        if key in fields:
            if fields[key] != value:
                self.flag(key, f"表中“{spec.label}”出现两次且内容不一致：“{fields[key]}”和“{value}”")
            return
        fields[key] = value
        if box is not None:
            self.result.source[key] = box.to_json()
        if confidence < 1.0:
            self.read_confidence[key] = confidence
        for problem in validate(spec, value):
            self.flag(key, problem)

    def finish(self) -> FormResult:
        result = self.result
        order = {key: number for number, key in enumerate(self.schema.keys)}
        result.needs_review.sort(key=order.__getitem__)
        result.fields = {key: result.fields[key] for key in sorted(result.fields, key=order.__getitem__)}
        result.source = {key: result.source[key] for key in result.fields if key in result.source}
        result.confidence = {
            key: REVIEW_CONFIDENCE if key in result.needs_review
            else round(min(self.base_confidence, self.read_confidence.get(key, 1.0)), 3)
            for key in result.fields
        }
        return result

    def review_doubtful_reads(self) -> None:
        """Flag fields the OCR was unsure of, after the checks had their say."""
        fields, review = self.result.fields, self.result.needs_review
        id_number = fields.get("id_number")
        if id_number and "id_number" in self.read_confidence and "id_number" not in review:
            if self.read_confidence["id_number"] >= REVIEW_CONFIDENCE and not checks.check_id_number(id_number):
                self.read_confidence["id_number"] = max(self.read_confidence["id_number"], CHECKED_ID_CONFIDENCE)
        name = fields.get("name")
        if name and "name" not in review:
            # OCR drops a rare character or swaps it for a look-alike without
            # a doubt; a name's shape and surname are its second opinion.
            for problem in checks.check_name_shape(name) + (checks.check_surname(name) if self.ocr else []):
                self.flag("name", problem)
        email = fields.get("email")
        if email and self.ocr and "email" not in review:
            for problem in checks.check_email_letters(email):
                self.flag("email", problem)
        for key, confidence in self.read_confidence.items():
            if confidence < self.threshold(key) and key not in review:
                label = self.schema.spec_for(key).label
                self.flag(key, f"“{label}”识别把握不大（置信度 {confidence:.2f}），请对照原件核对")

    def review_form_as_a_whole(self) -> None:
        """OCR only: a hand-filled form, and required fields found empty."""
        if not self.ocr:
            return
        fields = self.result.fields
        if len(self.unreadable) >= HANDWRITTEN_BOXES:
            problem = HANDWRITTEN.format(count=len(self.unreadable))
            for key in list(fields):
                self.flag(key, problem)
        if not fields:
            return  # a blank form is blank, not misread
        for spec in self.schema.fields:
            if spec.required and fields.get(spec.key) in (None, "", []) and spec.key not in self.result.needs_review:
                self.flag(spec.key, REQUIRED_EMPTY.format(label=spec.label))


def _phone_route(pair: Pair, value: Any) -> str:
    """"联系电话" is the mobile when it is one, otherwise the office line."""
    if label_key_text(pair.label) != "联系电话" or checks.MOBILE_PATTERN.match(str(value)):
        return "mobile"
    return "office_phone"


def build_result(rows: list[TextRow], pairs: list[Pair], method: str, base_confidence: float = 1.0,
                 review_below: float = 0.0, options: ParseOptions | None = None) -> FormResult:
    if options is None and review_below > 0:
        options = ParseOptions(review_below=review_below)
    builder = _ResultBuilder(method, base_confidence, review_below, options)
    schema = builder.schema
    tick_labels: dict[str, Pair] = {}
    for pair in pairs:
        for note in pair.notes:  # what was taken out of a value, or a label this form does not ask
            if note not in builder.result.warnings:
                builder.result.warnings.append(note)
        if pair.key == IGNORED:
            continue
        spec = schema.spec_for(pair.key)
        if spec.kind == "ticks":
            tick_labels.setdefault(pair.key, pair)
            continue
        if builder.ocr and spec.kind not in _MARKED_KINDS:
            pair = _brackets_taken_off(pair, builder, spec.label)
        value = normalise(spec, pair.raw)
        if value is None:
            if pair.review_reason:  # empty only because what was there was not the answer
                builder.flag(pair.key, pair.review_reason)
            if pair.confidence < review_below:
                # Ink in the box that OCR could not read: often handwriting.
                builder.flag(pair.key, UNREADABLE.format(label=spec.label))
                builder.unreadable.append(pair.key)
            continue
        if pair.doubt and builder.ocr:
            builder.flag(pair.key, pair.doubt)
        key = pair.key
        if key == "mobile":
            key = _phone_route(pair, value)
            if key == "office_phone":
                value = normalise(schema.spec_for(key), pair.raw)
            if label_key_text(pair.label) == "联系电话" and key in builder.result.fields:
                continue  # a second contact number, not a contradiction
        if pair.doubt and builder.ocr and key != pair.key:
            builder.flag(key, pair.doubt)
        if pair.review_reason:
            builder.flag(key, pair.review_reason)
        if builder.ocr and spec.kind == "longtext":
            value = with_period_semicolons(value)  # across the lines and rows the answer was read from
        if builder.ocr and spec.kind == "county" and value not in spec.options:
            # A closed list: a reading one character off its one option is that option, for staff to confirm.
            nearest = option_one_character_off(value, spec.options)
            if nearest is not None:
                builder.flag(key, NEAREST_OPTION.format(label=spec.label, read=value, option=nearest))
                value = nearest
        builder.put(key, value, pair.confidence, pair.box)
    _read_tick_fields(builder, rows, tick_labels)
    _cross_check_id(builder)
    builder.review_doubtful_reads()
    builder.review_form_as_a_whole()
    return builder.finish()


def _brackets_taken_off(pair: Pair, builder: _ResultBuilder, label: str) -> Pair:
    """The pair with an answer written wholly inside brackets taken out of them (OCR)."""
    found = _WHOLLY_BRACKETED.match(pair.raw or "")
    if not found:
        return pair
    note = BRACKETS_TAKEN_OFF.format(label=label)
    if note not in builder.result.warnings:
        builder.result.warnings.append(note)
    return dataclasses.replace(pair, raw=found.group(1))


def _read_tick_fields(builder: _ResultBuilder, rows: list[TextRow], tick_labels: dict[str, Pair]) -> None:
    # Ticks are read from every cell: option names are unique to their
    # field, and a merged label cell may sit rows away from its boxes.
    cells = [(cell, row.confidence(n), row.box(n)) for row in rows for n, cell in enumerate(row.cells) if cell.strip()]
    for spec in builder.schema.fields:
        if spec.kind != "ticks":
            continue
        readings = [(read_ticks(cell, spec.options), confidence, box) for cell, confidence, box in cells]
        reading = merge_readings([r for r, _, _ in readings], spec.options)
        if reading.ticked:
            confidence = min((c for r, c, _ in readings if r.has_marks), default=1.0)
            box = None
            for cell_reading, _, cell_box in readings:
                if cell_reading.has_marks and cell_box is not None:
                    box = cell_box.union(box)
            builder.put(spec.key, reading.ticked, confidence, box)
        if reading.ambiguous:
            builder.flag(spec.key, TICKS_AMBIGUOUS.format(label=spec.label, options="、".join(reading.ambiguous)))
        if reading.has_marks and builder.ocr:
            # Every option must have been seen with a mark, or a tick may
            # be lost (a cell cut by a page break, an option OCR dropped).
            seen = {option for cell, _, _ in cells for option in _marked_options(cell, spec.options)}
            if seen != set(spec.options):
                builder.flag(spec.key, TICKS_INCOMPLETE.format(label=spec.label))
        elif not reading.has_marks and spec.key in tick_labels:
            pair = tick_labels[spec.key]
            value = normalise(spec, pair.raw)
            if value:
                builder.put(spec.key, value, pair.confidence, pair.box)
                if builder.ocr and set(value) == set(spec.options):
                    builder.flag(spec.key, TICKS_UNREAD.format(label=spec.label))


def _marked_options(text: str, options: tuple[str, ...]) -> set[str]:
    """Options written with a tick box (ticked or not) in ``text``."""
    found = set()
    for option in options:
        for start in (m.start() for m in re.finditer(re.escape(option), text)):
            before = text[:start].rstrip(" \u3000")
            after = text[start + len(option):].lstrip(" \u3000")
            if (before and before[-1] in TICK_BOX_MARKS) or re.match(r"^[\[\(（【][^\]\)）】]{0,3}[\]\)）】]", after):
                found.add(option)
    return found


def _cross_check_id(builder: _ResultBuilder) -> None:
    fields, review = builder.result.fields, builder.result.needs_review
    id_number = fields.get("id_number")
    if not id_number or "id_number" in review:
        return
    birth = fields.get("birth_date") if "birth_date" not in review else None
    gender = fields.get("gender") if "gender" not in review else None
    for problem in checks.check_id_agrees(id_number, birth, gender):
        other = "birth_date" if "出生" in problem else "gender"
        builder.flag("id_number", problem)
        builder.flag(other, problem)
