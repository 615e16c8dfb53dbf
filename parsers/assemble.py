"""Rows of one file → one FormResult per application form in it.

Shared by every reader so a docx and a text PDF of the same form give the
same fields, checks and warnings.
"""
from __future__ import annotations

from typing import Any

from parsers import checks
from parsers.fields import IGNORED, label_index, label_key_text, normalise, validate
from parsers.pairs import Pair, read_pairs
from parsers.results import FormResult
from parsers.rows import TextRow
from parsers.schema import load_schema
from parsers.ticks import merge_readings, read_ticks

# Labels found only on this form, not on a résumé or cover letter.
FORM_SPECIFIC_KEYS = {"county", "expertise", "service_modes", "available_time", "achievements"}
IDENTITY_KEYS = {"name", "id_number"}
REVIEW_CONFIDENCE = 0.5
# An ID whose GB 11643 check character holds was read right whatever the
# OCR engine's own doubt (one wrong digit fails the check 10 times in 11).
CHECKED_ID_CONFIDENCE = 0.95


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


def rows_to_results(rows: list[TextRow], method: str, base_confidence: float = 1.0,
                    review_below: float = 0.0) -> list[FormResult]:
    """``review_below``: a field read with less confidence than this (the
    rows' per-cell OCR confidences) goes to needs_review."""
    results = []
    for form_rows in split_forms(rows):
        pairs = read_pairs(form_rows)
        if looks_like_form(form_rows, pairs):
            results.append(build_result(form_rows, pairs, method, base_confidence, review_below))
    return results


class _ResultBuilder:
    def __init__(self, method: str, base_confidence: float, review_below: float = 0.0) -> None:
        self.schema = load_schema()
        self.result = FormResult(method=method)
        self.base_confidence = base_confidence
        self.review_below = review_below
        self.read_confidence: dict[str, float] = {}  # per key, from the cells (OCR)

    def flag(self, key: str, problem: str) -> None:
        if key not in self.result.needs_review:
            self.result.needs_review.append(key)
        if problem not in self.result.warnings:
            self.result.warnings.append(problem)

    def put(self, key: str, value: Any, confidence: float = 1.0) -> None:
        spec = self.schema.spec_for(key)
        fields = self.result.fields
        if key in fields:
            if fields[key] != value:
                self.flag(key, f"表中“{spec.label}”出现两次且内容不一致：“{fields[key]}”和“{value}”")
            return
        fields[key] = value
        if confidence < 1.0:
            self.read_confidence[key] = confidence
        for problem in validate(spec, value):
            self.flag(key, problem)

    def finish(self) -> FormResult:
        result = self.result
        order = {key: number for number, key in enumerate(self.schema.keys)}
        result.needs_review.sort(key=order.__getitem__)
        result.fields = {key: result.fields[key] for key in sorted(result.fields, key=order.__getitem__)}
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
        for key, confidence in self.read_confidence.items():
            if confidence < self.review_below and key not in review:
                label = self.schema.spec_for(key).label
                self.flag(key, f"“{label}”识别把握不大（置信度 {confidence:.2f}），请对照原件核对")


def _phone_route(pair: Pair, value: Any) -> str:
    """"联系电话" is the mobile when it is one, otherwise the office line."""
    if label_key_text(pair.label) != "联系电话" or checks.MOBILE_PATTERN.match(str(value)):
        return "mobile"
    return "office_phone"


def build_result(rows: list[TextRow], pairs: list[Pair], method: str, base_confidence: float = 1.0,
                 review_below: float = 0.0) -> FormResult:
    builder = _ResultBuilder(method, base_confidence, review_below)
    schema = builder.schema
    tick_labels: dict[str, str] = {}
    for pair in pairs:
        if pair.key == IGNORED:
            continue
        spec = schema.spec_for(pair.key)
        if spec.kind == "ticks":
            tick_labels.setdefault(pair.key, pair.raw)
            continue
        value = normalise(spec, pair.raw)
        if value is None:
            if pair.confidence < review_below:
                # Ink in the box that OCR could not read: often handwriting.
                builder.flag(pair.key, f"“{spec.label}”一栏有字迹但无法识别（可能是手写），请对照原件录入")
            continue
        key = pair.key
        if key == "mobile":
            key = _phone_route(pair, value)
            if key == "office_phone":
                value = normalise(schema.spec_for(key), pair.raw)
            if label_key_text(pair.label) == "联系电话" and key in builder.result.fields:
                continue  # a second contact number, not a contradiction
        builder.put(key, value, pair.confidence)
    _read_tick_fields(builder, rows, tick_labels)
    _cross_check_id(builder)
    builder.review_doubtful_reads()
    return builder.finish()


def _read_tick_fields(builder: _ResultBuilder, rows: list[TextRow], tick_labels: dict[str, str]) -> None:
    # Ticks are read from every cell: option names are unique to their
    # field, and a merged label cell may sit rows away from its boxes.
    cells = [(cell, row.confidence(n)) for row in rows for n, cell in enumerate(row.cells) if cell.strip()]
    for spec in builder.schema.fields:
        if spec.kind != "ticks":
            continue
        readings = [(read_ticks(cell, spec.options), confidence) for cell, confidence in cells]
        reading = merge_readings([r for r, _ in readings], spec.options)
        if reading.ticked:
            confidence = min((c for r, c in readings if r.has_marks), default=1.0)
            builder.put(spec.key, reading.ticked, confidence)
        elif not reading.has_marks and tick_labels.get(spec.key):
            value = normalise(spec, tick_labels[spec.key])
            if value:
                builder.put(spec.key, value)


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
