"""A form layout drawn at random from a space, and the answers written into it.

    draw_spec(seed) -> LayoutSpec          everything about the template and its filling-in style
    compose(spec, person, rng) -> list[Entry]  the label/value pairs of one filled form

The space: how the fields are arranged (label and value in neighbouring cells
of a 2-, 4- or 6-column grid, in one cell, in paragraphs, labels above their
values, or a mixture of these within one form), which wording each label
uses, composite labels holding two fields, required stars, colons, padded
labels, fonts, how ticks are drawn, how dates and counties are written, and
the text around the answers that is no answer (see ``arrange``).
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

from devtools.samples.layouts import vocabulary as vocab
from devtools.samples.layouts.people import Person, written
from devtools.samples.layouts.truth import true_value

BASIC_KEYS = ("name", "gender", "birth_date", "ethnicity", "political_status", "education", "degree", "title",
              "id_number", "employer", "position", "county", "mobile", "office_phone", "email", "address")
TICK_KEYS = ("expertise", "service_modes")
LONG_KEYS = ("specialty", "experience", "achievements", "available_time")
ARRANGEMENTS = ("grid2", "grid4", "grid6", "inline", "paragraphs", "above")
FAMILIES = (*ARRANGEMENTS, "mixed")
REQUIRED = {"name", "gender", "id_number", "mobile", "county", "expertise", "service_modes"}
OPTIONAL_TEMPLATE_ROWS = ("ethnicity", "office_phone", "degree", "available_time", "achievements", "political_status")
WIDE_KEYS = {"address", "expertise", "service_modes", "specialty", "experience", "achievements", "available_time"}
SHORT_VALUE_KEYS = {"name", "gender", "ethnicity", "political_status", "education", "degree", "title", "position"}


def sub_seed(seed: int, *parts) -> int:
    return zlib.crc32(":".join(map(str, (seed, *parts))).encode())


@dataclass(frozen=True)
class Tick:
    """A tick that is a Word object rather than a character."""
    style: str  # sym_wingdings2, sym_wingdings, content_control, form_field
    checked: bool
    variant: int = 0  # which of the object's ways of saying "checked"


@dataclass
class Entry:
    """One label and its answer as written: lines of pieces ([] when blank),
    and the true value of each field it answers (none when left blank)."""
    keys: tuple[str, ...]
    label: str
    lines: list[list] = field(default_factory=list)
    answers: dict = field(default_factory=dict)
    wide: bool = False
    long: bool = False


@dataclass
class LayoutSpec:
    seed: int
    family: str
    title: str
    sections: list[tuple[str, tuple[str, ...]]]  # (arrangement, keys) in order
    labels: dict[str, str]
    composites: list[tuple[tuple[str, str], str, str]]  # (keys, label, joiner)
    notes: dict[str, str]
    colon: str
    grid_colon: bool
    star: str
    pad: str
    font: str
    size: float
    tick_styles: dict[str, str]
    tick_variant: int
    option_gap: str
    list_separator: str
    options_per_line: int
    short_service_options: bool
    omitted: set[str]
    underscores: bool
    brackets: bool
    photo: str
    number_line: str
    section_titles: bool
    fill_placement: str  # grid, after, signature
    signature_noise: str
    unit_opinion: tuple[str, str] | None
    review_row: tuple[str, str] | None
    declaration: str
    declaration_in_table: bool
    footnote: str
    id_wide: bool
    inline_per_row: int
    above_group: int
    applicants: int

    def summary(self) -> str:
        ticks = "/".join(sorted(set(self.tick_styles.values())))
        return (f"{self.family} [{' + '.join(a for a, _ in self.sections)}] ticks {ticks}, font {self.font} "
                f"{self.size:g}pt, fill date {self.fill_placement}" + (", photo" if self.photo else "")
                + (f", {self.applicants} applicants" if self.applicants > 1 else ""))


def _plan_sections(family: str, rng: random.Random, keys: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    basic = tuple(k for k in keys if k in BASIC_KEYS)
    ticks = tuple(k for k in keys if k in TICK_KEYS)
    long = tuple(k for k in keys if k in LONG_KEYS)
    if family != "mixed":
        return [(family, basic + ticks + long)]
    first = rng.choice(("grid4", "grid6", "inline", "above"))
    second = rng.choice(("grid2", "grid4", "inline", "paragraphs"))
    third = rng.choice(("above", "grid2", "paragraphs", "grid4"))
    if rng.random() < 0.5:
        return [(first, basic), (second, ticks + long)]
    return [(first, basic), (second, ticks), (third, long)]


def _choose_labels(rng: random.Random) -> dict[str, str]:
    """Mostly an unusual wording, sometimes the plainest one."""
    return {key: rng.choice(wordings) if rng.random() < 0.7 else wordings[0] for key, wordings in vocab.LABELS.items()}


def draw_spec(seed: int) -> LayoutSpec:
    """One point of the space, the same for the same seed."""
    rng = random.Random(sub_seed(seed, "spec"))
    family = rng.choice(FAMILIES + ("mixed",))
    omitted = {key for key in OPTIONAL_TEMPLATE_ROWS if rng.random() < 0.12}
    composites = []
    for composite_keys, wordings, joiners in vocab.COMPOSITES:
        if rng.random() < 0.3 and not set(composite_keys) & omitted:
            composites.append((composite_keys, rng.choice(wordings), rng.choice(joiners)))
    keys = [k for k in (*BASIC_KEYS, *TICK_KEYS, *LONG_KEYS) if k not in omitted]
    if rng.random() < 0.3:  # some templates ask for contact details before the work details
        contact = [k for k in ("mobile", "office_phone", "email") if k in keys]
        rest = [k for k in keys if k not in contact]
        at = rest.index("employer") if "employer" in rest else 0
        keys = rest[:at] + contact + rest[at:]
    tick_style = rng.choice(vocab.TICK_STYLES)
    tick_styles = {"expertise": tick_style,
                   "service_modes": tick_style if rng.random() < 0.8 else rng.choice(vocab.TICK_STYLES)}
    grids = family.startswith("grid") or family in ("above", "mixed")
    return LayoutSpec(
        seed=seed, family=family, title=rng.choice(vocab.TITLES), sections=_plan_sections(family, rng, keys),
        labels=_choose_labels(rng), composites=composites,
        notes={key: rng.choice(notes) for key, notes in vocab.LABEL_NOTES.items() if rng.random() < 0.25},
        colon=rng.choice(vocab.COLONS[:2]) if rng.random() < 0.9 else "", grid_colon=rng.random() < 0.3,
        star=rng.choice(vocab.STARS) if rng.random() < 0.25 else "", pad=rng.choice(("", "　　", " ", "")),
        font=rng.choice(vocab.FONTS), size=rng.choice(vocab.FONT_SIZES), tick_styles=tick_styles,
        tick_variant=rng.randrange(3), option_gap=rng.choice(vocab.OPTION_GAPS),
        list_separator=rng.choice(vocab.LIST_SEPARATORS), options_per_line=rng.choice((0, 0, 3, 4, 6)),
        short_service_options=rng.random() < 0.2, omitted=omitted,
        underscores=rng.random() < 0.15, brackets=rng.random() < 0.1,
        photo=rng.choice(vocab.PHOTO_TEXTS) if grids and rng.random() < 0.5 else "",
        number_line=rng.choice(vocab.NUMBER_LINES) if rng.random() < 0.25 else "",
        section_titles=rng.random() < 0.25,
        fill_placement=rng.choice(("grid", "after", "signature")),
        signature_noise=rng.choice(vocab.SIGNATURE_LINES) if rng.random() < 0.4 else "",
        unit_opinion=rng.choice(vocab.UNIT_OPINIONS) if rng.random() < 0.35 else None,
        review_row=rng.choice(vocab.REVIEW_ROWS) if rng.random() < 0.15 else None,
        declaration=rng.choice(vocab.DECLARATIONS) if rng.random() < 0.7 else "",
        declaration_in_table=rng.random() < 0.4, footnote=rng.choice(vocab.FOOTNOTES) if rng.random() < 0.3 else "",
        id_wide=rng.random() < 0.5, inline_per_row=rng.choice((2, 2, 3)), above_group=rng.choice((3, 4, 5)),
        applicants=2 if rng.random() < 0.08 else 1)


# ---- labels ------------------------------------------------------------------------

def label_text(spec: LayoutSpec, keys: tuple[str, ...], label: str) -> str:
    """The label as printed: padded, starred, with its note (no colon)."""
    if len(label) == 2 and spec.pad:
        label = spec.pad.join(label)
    if spec.star and keys[0] in REQUIRED:
        label = spec.star + label
    return label + spec.notes.get(keys[0], "")


# ---- values --------------------------------------------------------------------------

def _ticks(spec: LayoutSpec, key: str, ticked: list[str]) -> list[list]:
    style = spec.tick_styles[key]
    options = list(vocab.OPTIONS[key])
    printed = {option: option for option in options}
    if key == "service_modes" and spec.short_service_options:
        printed = {option: vocab.SHORT_SERVICE[option][0] for option in options}
    if style == "plain_list":
        rng = random.Random(sub_seed(spec.seed, key, "list", len(ticked)))
        words = [rng.choice((option, *vocab.SHORT_SERVICE[option])) if key == "service_modes" else option
                 for option in ticked]
        return [[spec.list_separator.join(words)]]
    pieces = []
    for option in options:
        checked = option in ticked
        text = printed[option] + ("：＿＿＿＿" if option == "其他" else "")
        if style in vocab.GLYPH_TICKS:
            on, off = vocab.GLYPH_TICKS[style]
            pieces.append([(on if checked else off) + text])
        elif style == "paren_after":
            on, off = vocab.PAREN_TICKS[spec.tick_variant]
            pieces.append([text + (on if checked else off)])
        else:
            pieces.append([Tick(style, checked, spec.tick_variant), text])
    per_line = spec.options_per_line or len(pieces)
    lines = []
    for start in range(0, len(pieces), per_line):
        line: list = []
        for number, option_pieces in enumerate(pieces[start:start + per_line]):
            gap = spec.option_gap if style != "check_before_spaces" else "　"
            if number:
                line.append(gap)
            elif style == "check_before_spaces":
                line.append("　")
            line.extend(option_pieces)
        lines.append(_merge_text(line))
    return lines


def _merge_text(line: list) -> list:
    merged: list = []
    for piece in line:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _short(spec: LayoutSpec, value: str, rng: random.Random) -> str:
    if value and spec.underscores and rng.random() < 0.5:
        return f"{'_' * rng.randint(2, 4)}{value}{'_' * rng.randint(2, 6)}"
    if value and spec.brackets and rng.random() < 0.5:
        return rng.choice(("【{}】", "[ {} ]", "（ {} ）")).format(value)
    return value


def _blank_answer(rng: random.Random) -> list[list]:
    return rng.choice(([], [], [["无"]], [["/"]]))


def compose(spec: LayoutSpec, person: Person, rng: random.Random) -> list[Entry]:
    """Entries in form order: what this person writes into this template."""
    composite_of = {keys[0]: (keys, label, joiner) for keys, label, joiner in spec.composites}
    covered = {key for keys, _, _ in spec.composites for key in keys}
    entries = []
    for _, keys in spec.sections:
        for key in keys:
            if key in composite_of:
                (first, second), label, joiner = composite_of[key]
                parts = [written(person, first, rng), written(person, second, rng) if second == "age" or
                         getattr(person, second) else ""]
                value = joiner.join(part for part in parts if part)
                answers = {k: true_value(person, k) for k, part in zip((first, second), parts) if part and k != "age"}
                entries.append(Entry((first, second), label_text(spec, (first, second), label), [[value]], answers,
                                     wide=first == "employer"))
                continue
            if key in covered:
                continue
            label = label_text(spec, (key,), spec.labels[key])
            if key in TICK_KEYS:
                entries.append(Entry((key,), label, _ticks(spec, key, getattr(person, key)),
                                     {key: true_value(person, key)}, wide=True))
            elif key in LONG_KEYS:
                value = getattr(person, key)
                lines = [[line] for line in value] if isinstance(value, list) else [[value]] if value else []
                entries.append(Entry((key,), label, lines, {key: true_value(person, key)} if value else {},
                                     wide=True, long=key != "available_time"))
            else:
                value = written(person, key, rng)
                if key in SHORT_VALUE_KEYS:
                    value = _short(spec, value, rng)
                lines = [[value]] if value else _blank_answer(rng)
                entries.append(Entry((key,), label, lines, {key: true_value(person, key)} if value else {},
                                     wide=key in WIDE_KEYS or (key == "id_number" and spec.id_wide)))
    return entries


def fill_date_entry(spec: LayoutSpec, person: Person, rng: random.Random) -> Entry:
    return Entry(("fill_date",), label_text(spec, ("fill_date",), spec.labels["fill_date"]),
                 [[written(person, "fill_date", rng)]], {"fill_date": true_value(person, "fill_date")})
