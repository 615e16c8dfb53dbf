"""One drawn file: a layout from the space, filled in by one applicant (or
two, the second after a page break), with its ground truth.

    draw_file(seed) -> DrawnFile
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property

from devtools.samples.layouts.arrange import layout_document
from devtools.samples.layouts.people import Person, draw_person
from devtools.samples.layouts.render_docx import render_docx
from devtools.samples.layouts.space import LayoutSpec, Tick, compose, draw_spec, fill_date_entry, sub_seed
from devtools.samples.layouts.truth import expected_fields
from devtools.samples.layouts.vocabulary import SYMBOL_TICKS


@dataclass
class DrawnFile:
    seed: int
    spec: LayoutSpec
    people: list[Person]
    truths: list[dict]  # one per applicant, in file order
    blocks: list

    @cached_property
    def docx(self) -> bytes:
        return render_docx(self.spec, self.blocks)

    @property
    def has_symbol_ticks(self) -> bool:
        return any(style in SYMBOL_TICKS for style in self.spec.tick_styles.values())

    @cached_property
    def printable_docx(self) -> bytes:
        """What a printer puts on paper (the same file unless it uses symbol fonts)."""
        return render_docx(self.spec, self.blocks, printable=True) if self.has_symbol_ticks else self.docx

    @property
    def ticks(self) -> list[Tick]:
        """The ticks that are Word objects, in document order."""
        return [piece for block in self.blocks for piece in _pieces(block) if isinstance(piece, Tick)]


def _pieces(block) -> list:
    rows = getattr(block, "rows", None)
    if rows is not None:
        return [piece for row in rows for cell in row for line in cell.lines for piece in line]
    return list(getattr(block, "pieces", []))


def draw_file(seed: int) -> DrawnFile:
    """The same file for the same seed."""
    spec = draw_spec(seed)
    people, truths, forms = [], [], []
    for number in range(spec.applicants):
        person = draw_person(random.Random(sub_seed(seed, "person", number)))
        rng = random.Random(sub_seed(seed, "writing", number))
        entries = compose(spec, person, rng)
        fill = fill_date_entry(spec, person, rng)
        people.append(person)
        truths.append(expected_fields([*entries, fill]))
        forms.append((entries, fill))
    return DrawnFile(seed, spec, people, truths, layout_document(spec, forms))
