"""Turning rows of cells into (field key, raw value) pairs.

Handles the layouts the form comes in: label and value in neighbouring
cells (2, 4 or more columns), "标签：值" inside one cell or paragraph (several
per line), "标签　值" set off by spaces without a colon, labels over a row
of values or a label row over its answer row, a value split over several
cells (an ID written one digit per box), and long answers continued on the
next lines or rows (or on paragraphs and then a cell, when a .doc's cell
lines were read from its text: that answer goes to review).

A value is what lies between its label and the next label, never across
one: the form's furniture (申请人签字, 照片) and labels this form does not
have (籍贯：, 入党日期) end the value before them like any other; the latter
are reported in the notes. A composite label ("学历/学位：本科/学士") gives
one pair per field. Every value is cleaned of the form's furniture
(``parsers.text.cleaning``); what was taken out becomes a note, and
label-like text still left inside a value sends the field to review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.text.cleaning import CleanValue, clean_value, without_leading_marks
from parsers.text.composite_answers import split_composite
from parsers.text.glued_labels import GLUED_UNSURE, glued_label
from parsers.text.label_text import IGNORED, Label, LabelHit
from parsers.text.labels import LabelIndex, label_index
from parsers.text.rows import SourceBox, TextRow, gathered_under, merged_empty_cells
from parsers.schema import load_schema

CONTINUED_KINDS = ("longtext", "ticks")
# Lines that close the data part of a form; never part of an answer.
STOP_PREFIXES = ("本人承诺", "承诺", "注：", "注:", "说明：", "说明:")
SWALLOWED = "“{label}”一栏似乎连带读入了下方的承诺声明，已截去，请对照原件核对"
UNKNOWN_LABEL = "未识别的栏目“{label}”已忽略"
REMOVED = "“{label}”一栏{what}"
NOT_SPLIT = "“{label}”一栏的内容未能分成{parts}，已原样记入各栏，请对照原件核对"
SHORT_ANSWER_CHARS = 8  # the second of two answers run together ("副院长", "学士")
_NOTE_AT_START = re.compile(r"\s*[(（][^()（）]{1,12}[)）]")
LABEL_INSIDE = "“{label}”一栏中夹有另一栏目“{other}”，可能混入了不属于本栏的内容，请对照原件核对"
EXTENT_UNSURE = "“{label}”一栏的内容在原件中分在表格内外几处，已合并读入，但无法确定是否完整，请对照原件核对"


@dataclass
class Pair:
    key: str
    raw: str
    label: str  # the label as written, e.g. "联系电话"
    confidence: float = 1.0  # the least sure of the cells the value came from (OCR)
    # Why the value's extent is uncertain (a cell that ran into the next
    # one): OCR only; the field goes to review whatever the confidence.
    doubt: str | None = None
    # Why the value may hold text that is not the answer (any format): the
    # field goes to review with this reason.
    review_reason: str | None = None
    # What was taken out of the value as not part of the answer (placeholder
    # underscores, a signature line…): kept as warnings, not review.
    notes: list[str] = field(default_factory=list)
    box: SourceBox | None = None  # where the value was read, when known


@dataclass
class _Pending:
    label: Label
    written: str  # the label as written
    parts: list[str] = field(default_factory=list)
    confidence: float = 1.0
    box: SourceBox | None = None
    doubt: str | None = None  # why where the label ends is a guess

    @property
    def has_value(self) -> bool:
        return any(part.strip() for part in self.parts)


def _joined(box: SourceBox | None, other: SourceBox | None) -> SourceBox | None:
    return other if box is None else box.union(other)


class _PairReader:
    def __init__(self, index: LabelIndex) -> None:
        schema = load_schema()
        self.index = index
        self.kinds = {spec.key: spec.kind for spec in schema.fields}
        self.field_labels = {spec.key: spec.label for spec in schema.fields}
        # A field's own words: its answers, and its options ("男回族": 男 is the gender's).
        self.answers = {spec.key: tuple(spec.answers) + tuple(spec.options) for spec in schema.fields}
        self.pairs: list[Pair] = []
        self.pending: _Pending | None = None
        self.continuing: Pair | None = None  # the answer later lines may extend
        self.unknown_labels: list[str] = []  # notes waiting for a pair to carry them
        self.label_row_above = False  # the last table row held only a label, its value below
        self.loose_answer = False  # the last row was a paragraph that went into a long answer

    # -- values ---------------------------------------------------------------

    def flush(self) -> None:
        if self.pending is None:
            return
        parts = [part for part in self.pending.parts if part.strip()]
        one_char_boxes = len(parts) > 1 and all(len(part.strip()) == 1 for part in parts)
        raw = ("" if one_char_boxes else "\n").join(part.strip() for part in parts)
        self.emit(self.pending.label, self.pending.written, raw, self.pending.confidence, self.pending.box,
                  self.pending.doubt)
        self.pending = None

    def emit(self, label: Label, written: str, raw: str, confidence: float = 1.0,
             box: SourceBox | None = None, doubt: str | None = None) -> None:
        if not label.is_composite and (label.unknown or label.key == IGNORED):
            if label.unknown:
                self.unknown_labels.append(UNKNOWN_LABEL.format(label=re.sub(r"\s+", "", written)))
            self.pairs.append(Pair(IGNORED, raw, written, confidence, box=box))
            self.continuing = None
            return
        cleaned = clean_value(raw, self.kinds[label.key])
        values, reason = self._composite_values(label, written, cleaned.text) if label.is_composite else ([cleaned.text], None)
        if label.is_composite:  # a part may start with the separator (the whole was cleaned already)
            values = [without_leading_marks(value) for value in values]
        for key, part_label, value in zip(label.keys, label.parts if label.is_composite else (written,), values):
            if key == IGNORED:
                continue  # the part of a composite this form does not ask ("年龄")
            pair = Pair(key, value, part_label, confidence, box=box)
            self._note_cleaning(pair, cleaned)
            pair.review_reason = reason or doubt
            self.pairs.append(pair)
            self.continuing = pair if self.kinds[key] in CONTINUED_KINDS else None

    def _composite_values(self, label: Label, written: str, text: str) -> tuple[list[str], str | None]:
        """Each field's part of a composite answer, and the review reason
        when it would not split (each field then shows the whole)."""
        asked = [key for key in label.keys if key != IGNORED]
        first_asked = (label.keys[0] != IGNORED) if len(asked) == 1 else None
        values = split_composite(text, len(label.keys), label.separator == "(", first_asked)
        if values is None and len(label.keys) == 2 and len(asked) == 2:
            values = self._split_after_answer(text, label.keys[0])
        if values is None:
            values = self._answer_of_one(label.keys, text)
        if values is not None:
            return values, None
        if len(asked) == 1:
            # Only the part this form does not ask ("年龄") is left unsaid.
            return [text if key == label.key else "" for key in label.keys], None
        # Each field shows what was written, for staff to divide: none of
        # them looks filled in and right, none looks left empty.
        names = "、".join(f"“{self.field_labels.get(key, part)}”" for key, part in zip(label.keys, label.parts))
        label_text = written.strip().rstrip(":：")
        return [text] * len(label.keys), NOT_SPLIT.format(label=label_text, parts=names)

    def _answer_of_one(self, keys: tuple[str, ...], text: str) -> list[str] | None:
        """One answer to a composite label that only one of its fields'
        answers fit ("学历学位：大专" — a 大专 confers no degree): that field's;
        the others were left empty."""
        if not text or len(text.split()) != 1:
            return None
        fitting = [key for key in keys if key != IGNORED and any(word in text for word in self.answers[key])]
        if len(fitting) != 1:
            return None
        return [text if key == fitting[0] else "" for key in keys]

    def _split_after_answer(self, text: str, first: str) -> list[str] | None:
        """"广东海洋大学副院长", "本科学士": two answers run together, cut after
        the last word only the first field's answers hold ("大学", "本科"),
        leaving a short second answer. A note in brackets right after that
        word is still the first answer's ("某事务所（普通合伙）高级顾问":
        an organisation's legal form)."""
        cuts = [_after_note(text, at + len(word))
                for word in self.answers[first] for at in range(len(text)) if text.startswith(word, at)]
        cuts = [cut for cut in cuts if 0 < len(text[cut:].strip()) <= SHORT_ANSWER_CHARS]
        if not cuts:
            return None
        cut = max(cuts)
        return [text[:cut].strip(), text[cut:].strip()]

    def _note_cleaning(self, pair: Pair, cleaned: CleanValue) -> None:
        label = self.field_labels[pair.key]
        for what in cleaned.removed:
            note = REMOVED.format(label=label, what=what)
            if note not in pair.notes:
                pair.notes.append(note)
        if cleaned.declaration:
            pair.doubt = pair.doubt or SWALLOWED.format(label=pair.label)

    def value(self, text: str, row: TextRow, position: int) -> None:
        confidence = row.confidence(position)
        if self.pending is not None:
            # An empty cell OCR could not read (confidence 0) still counts.
            self.pending.confidence = min(self.pending.confidence, confidence)
        if not text.strip():
            if confidence == 0.0 and self.pending is None and self._continues(row):
                self.continuing.confidence = 0.0  # a line of it could not be read
            return
        if self.pending is not None:
            self.pending.parts.append(text)
            self.pending.box = _joined(self.pending.box, row.box(position))
            return
        stripped = text.strip()
        if stripped.startswith(STOP_PREFIXES) or self.index.is_title(stripped):
            self.continuing = None
            return
        if self._continues(row):
            pair = self.continuing
            if row.in_table and row.cells[0].strip():
                # Lines read as paragraphs, then one as a cell: where the answer
                # ends is a guess (a .doc's first cell read from its text).
                pair.review_reason = pair.review_reason or EXTENT_UNSURE.format(label=self.field_labels[pair.key])
            cleaned = clean_value(stripped, self.kinds[pair.key])
            self._note_cleaning(pair, cleaned)
            if cleaned.declaration:
                self.continuing = None
            pair.raw = f"{pair.raw}\n{cleaned.text}".strip()
            pair.confidence = min(pair.confidence, confidence)
            pair.box = _joined(pair.box, row.box(position))

    def _continues(self, row: TextRow) -> bool:
        # In a table only a row whose label cell is empty (a vertically
        # merged label) continues the answer above, or a row of one cell
        # right after paragraphs that went into a long answer: the answer's
        # last line, the others having lost their cell (see ``value``).
        return self.continuing is not None and (not row.in_table or not row.cells[0].strip() or (
            self.loose_answer and self._lone_cell(row) is not None and self.kinds[self.continuing.key] == "longtext"))

    # -- labels ---------------------------------------------------------------

    def _stands_as_label(self, label: Label, row: TextRow, position: int) -> bool:
        """A cell holding only a label: always for a field's or the form's
        own; for a label this form does not have, only in a label's place —
        the first cell of a table row with something to its right, or the
        cell after a short answer already given."""
        if not label.unknown:
            return True
        if not row.in_table:
            return False
        if position == 0:
            return any(cell.strip() for cell in row.cells[1:])
        pending = self.pending
        return pending is not None and pending.has_value and self.kinds.get(pending.label.key) not in CONTINUED_KINDS

    def _answer_kind(self, row: TextRow) -> str | None:
        if self.pending is not None:
            return self.kinds.get(self.pending.label.key)
        return self.kinds.get(self.continuing.key) if self._continues(row) else None

    def _ending_labels(self, text: str, row: TextRow) -> list[LabelHit]:
        """The labels inside a cell that end the value before them. In a long
        answer only the form's labels with their colon do: a word and a colon
        the form does not know ("主要职责：") is the applicant's own heading, and
        a label word without a colon is just a word — unless it opens the cell."""
        kind = self._answer_kind(row)
        with_colon = self.index.find_labels(text)
        without = [hit for hit in self.index.spaced_labels(text)
                   if not any(other.start < hit.end and hit.start < other.end for other in with_colon)]
        opening = len(text) - len(text.lstrip())
        hits = []
        for hit in sorted(with_colon + without, key=lambda hit: hit.start):
            unknown = hit.label.unknown and not self.index.is_genre_label(hit.label)
            if kind == "longtext" and (unknown or (not hit.colon and hit.start > opening)):
                continue
            hits.append(hit)
            kind = self.kinds.get(hit.label.key)
        return hits

    def cell(self, text: str, row: TextRow, position: int) -> None:
        hits = self._ending_labels(text, row)
        glued = None
        # Not in a value's place: after a label still waiting for its answer,
        # or inside a long answer going on.
        waiting = self.pending is not None and not self.pending.has_value
        if not waiting and not (hits and hits[0].start <= len(text) - len(text.lstrip())) and not (
                self._continues(row) and self.kinds[self.continuing.key] == "longtext"):
            following = next((cell for cell in row.cells[position + 1:] if cell.strip()), None)
            glued = glued_label(self.index, text, following)
        if glued is not None:
            hits = [glued.hit, *(hit for hit in hits if hit.start >= glued.hit.end)]
        # "专家姓名　张三": the label and its value in one cell, no colon.
        label_and_value = bool(hits) and not hits[0].colon and not text[:hits[0].start].strip()
        label = None if label_and_value else self.index.read(text)
        if label is not None and self._stands_as_label(label, row, position):
            self.flush()
            self.pending = _Pending(label, text.strip())
            return
        if not hits:
            self.value(text, row, position)
            return
        self.value(text[:hits[0].start], row, position)
        for number, hit in enumerate(hits):
            self.flush()
            stop = hits[number + 1].start if number + 1 < len(hits) else len(text)
            self.pending = _Pending(hit.label, hit.text)
            if glued is not None and number == 0 and not glued.sure:
                self.pending.doubt = GLUED_UNSURE.format(label=hit.text)
            self.value(text[hit.end:stop], row, position)

    def _lone_cell(self, row: TextRow) -> str | None:
        filled = [cell for cell in row.cells if cell.strip()]
        return filled[0] if row.in_table and len(filled) == 1 else None

    def row(self, row: TextRow) -> None:
        # A table row holding only a label and then a row holding only a
        # value: the label above its value ("专业特长" over the answer).
        lone = self._lone_cell(row)
        value_below = (self.label_row_above and lone is not None and self.index.read(lone) is None
                       and not self.index.find_labels(lone))
        self.label_row_above = False
        if row.in_table and not value_below:
            self.flush()
        for position, text in enumerate(row.cells):
            self.cell(text, row, position)
        pending = self.pending
        if row.in_table and lone is not None and pending is not None and not pending.has_value and not value_below:
            self.label_row_above = True
            self.loose_answer = False
            return
        # A paragraph label alone on its line takes the next line as value.
        if row.in_table or (pending is not None and pending.has_value):
            self.flush()
        self.loose_answer = not row.in_table and self.continuing is not None

    def header_row(self, labels: list[tuple[Label | None, str]], values: TextRow) -> None:
        self.flush()
        for position, ((label, written), text) in enumerate(zip(labels, values.cells)):
            if label is not None:
                self.emit(label, written, text.strip(), values.confidence(position), values.box(position))
        self.continuing = None
        self.loose_answer = False

    # -- the whole form -------------------------------------------------------

    def finish(self) -> list[Pair]:
        self.flush()
        answers = [pair for pair in self.pairs if pair.key != IGNORED]
        for pair in answers:
            other = self._label_inside(pair)
            if other and not pair.review_reason:
                pair.review_reason = LABEL_INSIDE.format(label=self.field_labels[pair.key], other=other)
        if answers:
            # Form-wide news; the last answer carries it to the warnings.
            carrier = answers[-1]
            carrier.notes.extend(note for note in dict.fromkeys(self.unknown_labels) if note not in carrier.notes)
        return self.pairs

    def _label_inside(self, pair: Pair) -> str | None:
        """Another field's label (or the form's furniture) left in a value."""
        for hit in self.index.find_labels(pair.raw):
            if not hit.label.unknown and pair.key not in hit.label.keys:
                return hit.text
        if self.kinds[pair.key] in CONTINUED_KINDS:
            return None  # free text may use such words; only "label:" counts there
        for token in pair.raw.split():
            label = self.index.read(token)
            if label is not None and not label.unknown and pair.key not in label.keys:
                return token
        return None


def _header_labels(row: TextRow, next_row: TextRow | None, index: LabelIndex):
    """(label, as written) per cell of a row that heads a row of values
    below it, and that row's values under them; else None."""
    if not row.in_table or next_row is None or not next_row.in_table or next_row.starts_table:
        return None
    row = merged_empty_cells(row)
    next_row = gathered_under(row, next_row)
    labels = [(index.read(cell) if cell.strip() else None, cell.strip()) for cell in row.cells]
    # An empty cell leading the labels (the photo's column merged down) that
    # the values' row does not repeat: it labels nothing.
    while len(labels) > len(next_row.cells) and not labels[0][1]:
        labels = labels[1:]
    # A photo cell spanning the rows below may stand beyond the values' cells.
    beyond = labels[len(next_row.cells):]
    if len(row.cells) < len(next_row.cells) or len(next_row.cells) < 2 or any(
            label is None or label.key != IGNORED for label, _ in beyond):
        return None
    labels = labels[:len(next_row.cells)]
    if sum(1 for label, _ in labels if label is not None and not label.unknown) < 2:
        return None
    if any(written and label is None for label, written in labels):
        return None
    if any(index.match(cell) or index.find_inline(cell) for cell in next_row.cells):
        return None
    if not any(cell.strip() for cell in next_row.cells):
        return None
    return labels, next_row


def read_pairs(rows: list[TextRow]) -> list[Pair]:
    index = label_index()
    reader = _PairReader(index)
    skip_next = False
    for number, row in enumerate(rows):
        if skip_next:
            skip_next = False
            continue
        following = rows[number + 1] if number + 1 < len(rows) else None
        header = _header_labels(row, following, index)
        if header is not None:
            reader.header_row(*header)
            skip_next = True
            continue
        reader.row(row)
    return reader.finish()


def _after_note(text: str, at: int) -> int:
    """``at``, or the end of a bracketed note that starts there."""
    note = _NOTE_AT_START.match(text, at)
    return note.end() if note else at
