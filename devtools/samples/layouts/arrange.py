"""A drawn form laid out as a document: tables of cells and paragraphs.

    layout_document(spec, forms) -> list[Block]

``forms`` holds each applicant's entries (``space.compose``) and fill-date
entry; more than one applicant go one after another with a page break
between. Every arrangement of the space is here: label and value in
neighbouring cells (2/4/6 columns), label and value in one cell, paragraphs,
labels above their values; and the text that is no answer: a title, a
number line, section titles, a photo box beside the first values, the
signature line, unit-opinion and stamp rows, the declaration, a footnote.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from devtools.samples.layouts.space import Entry, LayoutSpec, sub_seed

SECTION_TITLES = {"basic": ("一、基本情况", "基本信息", "个人基本信息"), "ticks": ("二、服务意向", "志愿服务意向"),
                  "long": ("三、专业能力", "个人履历及业绩")}


@dataclass
class Cell:
    lines: list[list] = field(default_factory=list)  # paragraphs of pieces (str or Tick)
    span: int = 1
    rows: int = 1  # merged down over this many rows
    role: str = "value"  # label, value, photo, note


@dataclass
class Table:
    widths: list[float]  # relative column widths
    rows: list[list[Cell]]


@dataclass
class Paragraph:
    pieces: list
    kind: str = "text"  # title, text, right


PAGE_BREAK = "page break"


def _label_cell(spec: LayoutSpec, entry: Entry, span: int = 1) -> Cell:
    return Cell([[entry.label + (spec.colon or "：" if spec.grid_colon else "")]], span, role="label")


def _value_cell(entry: Entry, span: int = 1) -> Cell:
    return Cell([list(line) for line in entry.lines] or [[""]], span)


def _inline_lines(spec: LayoutSpec, entry: Entry) -> list[list]:
    """Label and value in one run of text: "标签：值"."""
    head = [entry.label + (spec.colon or "　")]
    if not entry.lines:
        return [head]
    if entry.long:
        return [head, *[list(line) for line in entry.lines]]
    return [head + list(entry.lines[0]), *[list(line) for line in entry.lines[1:]]]


def _grid_rows(spec: LayoutSpec, entries: list[Entry], pairs: int) -> tuple[list[float], list[list[Cell]]]:
    columns = 2 * pairs
    rows, pending = [], []

    def flush():
        if pending:
            row = []
            for number, entry in enumerate(pending):
                last = number == len(pending) - 1
                row += [_label_cell(spec, entry), _value_cell(entry, 1 + (2 * (pairs - len(pending)) if last else 0))]
            rows.append(row)
            pending.clear()

    for entry in entries:
        if entry.wide and pairs > 1:
            flush()
            rows.append([_label_cell(spec, entry), _value_cell(entry, columns - 1)])
        else:
            pending.append(entry)
            if len(pending) == pairs:
                flush()
    flush()
    return [1.0, 2.0] * pairs, rows


def _inline_rows(spec: LayoutSpec, entries: list[Entry]) -> tuple[list[float], list[list[Cell]]]:
    per_row = spec.inline_per_row
    rows, pending = [], []
    for entry in entries:
        if entry.wide:
            if pending:
                rows.append(pending)
                pending = []
            rows.append([Cell(_inline_lines(spec, entry), per_row)])
            continue
        pending.append(Cell(_inline_lines(spec, entry)))
        if len(pending) == per_row:
            rows.append(pending)
            pending = []
    if pending:
        pending[-1].span += per_row - len(pending)
        rows.append(pending)
    return [1.0] * per_row, rows


def _above_rows(spec: LayoutSpec, entries: list[Entry]) -> tuple[list[float], list[list[Cell]]]:
    group = spec.above_group
    rows, pending = [], []

    def flush():
        if pending:
            extra = group - len(pending)
            rows.append([Cell([[e.label]], 1 + (extra if i == len(pending) - 1 else 0), role="label")
                         for i, e in enumerate(pending)])
            rows.append([_value_cell(e, 1 + (extra if i == len(pending) - 1 else 0)) for i, e in enumerate(pending)])
            pending.clear()

    for entry in entries:
        if entry.long:
            flush()
            rows.append([Cell([[entry.label]], group, role="label")])
            rows.append([_value_cell(entry, group)])
        elif entry.wide:
            flush()
            rows.append([_label_cell(spec, entry), _value_cell(entry, group - 1)])
        else:
            pending.append(entry)
            if len(pending) == group:
                flush()
    flush()
    return [1.0] * group, rows


def _paragraph_lines(spec: LayoutSpec, entries: list[Entry], rng: random.Random) -> list[list]:
    lines, index = [], 0
    while index < len(entries):
        entry = entries[index]
        following = entries[index + 1] if index + 1 < len(entries) else None
        if not entry.wide and following and not following.wide and rng.random() < 0.5:
            lines.append(_inline_lines(spec, entry)[0] + ["　　"] + _inline_lines(spec, following)[0])
            index += 2
            continue
        lines.extend(_inline_lines(spec, entry))
        index += 1
    return lines


def _add_photo(spec: LayoutSpec, widths: list[float], rows: list[list[Cell]]) -> None:
    """A photo box in a column of its own beside the first rows."""
    covered = 0
    while covered < min(4, len(rows)) and len(rows[covered]) > 1:
        covered += 1
    if covered < 2:
        return
    for number, row in enumerate(rows):
        if number == 0:
            row.append(Cell([[line] for line in spec.photo.split("\n")], rows=covered, role="photo"))
        elif number >= covered:
            row[-1].span += 1
    widths.append(1.3)


def _section_rows(spec: LayoutSpec, arrangement: str, entries: list[Entry]) -> tuple[list[float], list[list[Cell]]]:
    if arrangement.startswith("grid"):
        return _grid_rows(spec, entries, int(arrangement[4:]) // 2)
    if arrangement == "inline":
        return _inline_rows(spec, entries)
    return _above_rows(spec, entries)


def _section_kind(entries: list[Entry]) -> str:
    keys = {key for entry in entries for key in entry.keys}
    return "basic" if "name" in keys else "ticks" if "expertise" in keys and "experience" not in keys else "long"


def _form_blocks(spec: LayoutSpec, entries: list[Entry], fill: Entry, rng: random.Random) -> list:
    blocks: list = []
    if spec.number_line:
        blocks.append(Paragraph([spec.number_line], "right"))
    blocks.append(Paragraph([spec.title], "title"))
    by_key = {key: entry for entry in entries for key in entry.keys}
    for number, (arrangement, keys) in enumerate(spec.sections):
        section = []
        for key in keys:
            entry = by_key.get(key)
            if entry is not None and entry not in section:
                section.append(entry)
        if not section:
            continue
        title = rng.choice(SECTION_TITLES[_section_kind(section)]) if spec.section_titles else ""
        if arrangement == "paragraphs":
            blocks += [Paragraph([title])] if title else []
            blocks += [Paragraph(line) for line in _paragraph_lines(spec, section, rng)]
            continue
        widths, rows = _section_rows(spec, arrangement, section)
        if number == 0 and spec.photo:
            _add_photo(spec, widths, rows)
        if title:
            rows.insert(0, [Cell([[title]], len(widths), role="note")])
        blocks.append(Table(widths, rows))
    _add_closing(spec, blocks, fill)
    return blocks


def _add_closing(spec: LayoutSpec, blocks: list, fill: Entry) -> None:
    """What follows the last answer: date, stamps, declaration, signature."""
    last_table = blocks[-1] if isinstance(blocks[-1], Table) else None
    columns = len(last_table.widths) if last_table else 0

    def table_row(label: str, text: str) -> None:
        last_table.rows.append([Cell([[label]], 1, role="label"),
                                Cell([[line] for line in text.split("\n")], columns - 1, role="note")])

    if spec.declaration:
        if last_table and spec.declaration_in_table:
            last_table.rows.append([Cell([[spec.declaration], ["申请人签名："]], columns, role="note")])
        else:
            blocks.append(Paragraph([spec.declaration]))
    fill_line = fill.label + (spec.colon or "：") + fill.lines[0][0]
    if spec.fill_placement == "grid" and last_table and columns >= 2:
        last_table.rows.append([Cell([[fill.label]], 1, role="label"), Cell([list(fill.lines[0])], columns - 1)])
    elif spec.fill_placement == "signature":
        blocks.append(Paragraph([f"申请人签名{spec.colon or '：'}＿＿＿＿＿＿　　{fill_line}"], "right"))
    else:
        blocks.append(Paragraph([fill_line], "right"))
    for extra in (spec.unit_opinion, spec.review_row):
        if extra and last_table and columns >= 2:
            table_row(*extra)
        elif extra:
            blocks.append(Paragraph([f"{extra[0]}{spec.colon or '：'}{extra[1].replace(chr(10), '　')}"]))
    if spec.signature_noise and spec.fill_placement != "signature":
        blocks.append(Paragraph([spec.signature_noise], "right"))
    if spec.footnote:
        blocks.append(Paragraph([spec.footnote]))


def layout_document(spec: LayoutSpec, forms: list[tuple[list[Entry], Entry]]) -> list:
    """Blocks of one file: each applicant's form, a page break between."""
    rng = random.Random(sub_seed(spec.seed, "arrange"))
    blocks: list = []
    for number, (entries, fill) in enumerate(forms):
        if number:
            blocks.append(PAGE_BREAK)
        blocks += _form_blocks(spec, entries, fill, rng)
    return blocks
