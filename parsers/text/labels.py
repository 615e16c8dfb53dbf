"""Recognising the form's labels by what they mean.

Labels are compared after folding width variants (NFKC per character, so
string positions stay put), dropping whitespace — forms pad labels as
"姓　　名" — and trailing colons.

A wording listed in ``form_schema.yaml`` matches outright. Any other short,
label-shaped piece of text is scored against each field's weighted key
terms (``terms``), so a wording nobody listed ("区县（市）", "个人履历") is
still recognised; each character no term explains costs a little, so a
value that happens to hold a key term ("硕士学位", "霞山区") does not pass.
A label scoring for two fields joined by "/、及和与" — or two fields'
labels written back to back ("学历学位") — is a composite label naming both.
A label glued after the answer before it ("学士专业技术资格：") is found by
``run_on_labels``. Labels of the form's furniture (签名, 照片, …意见) read as
``IGNORED``; labels of the genre this form does not ask (籍贯, 入党日期) read
as unknown labels: no field, but still a label that ends the value before it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from parsers.schema import FormSchema, load_schema
from parsers.text.label_text import IGNORED, Label, LabelHit, fold, label_key_text
from parsers.text.run_on_labels import label_run_on

LABEL_SCORE = 1.0  # what a field's key terms must add up to
UNEXPLAINED_CHAR_COST = 0.1
NOTE_TERM_WEIGHT = 2.0  # "联系电话（办公）" is the office line
FURNITURE_WEIGHT = 2.0  # a furniture or other-form term outweighs any field's
MAX_LABEL_CHARS = 12  # a known field's label, bracketed notes aside
MAX_UNKNOWN_LABEL_CHARS = 8  # a label no field matches is shorter still
PADDED_PIECE_CHARS = 3  # "姓　　名", "身份证　号码": a label spread out by padding
COMPOSITE_SEPARATORS = "/、&及和与"
_OTHER = "?"  # scorer key: a label of the genre that this form does not ask
_NOT_IN_LABELS = re.compile(r"[\d@:。，,；;！!？?☑□√✓✔■☐☒]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_BRACKET_NOTE = re.compile(r"\(([^()]*)\)")
# What a note telling the applicant how to fill the field in says ("选填", "可多选", "请打√", "限200字").
_INSTRUCTION = re.compile(r"[选填请打写限勾]")
# An answer written into the printed brackets has room left around it: "（ 主任 ）".
_PADDED_IN_BRACKETS = re.compile(r"\(\s+[^()]+?\s+\)")
_SPLIT_COMPOSITE = re.compile(f"[{re.escape(COMPOSITE_SEPARATORS)}]")
_COLON = re.compile(r":(?!//)")
_TOKEN = re.compile(r"\S+")
_WIDE_GAP = re.compile(r"[ \t\u3000]{2,}")
_GLUED_NUMBER = re.compile(r"([^\d\s:]+?)([(\d][\d()\-xX]*)")


@dataclass(frozen=True)
class _Scorer:
    key: str
    terms: tuple[tuple[str, float], ...]  # longest first
    answers: tuple[str, ...] = ()

    def score(self, text: str, note: str, fillers: tuple[str, ...]) -> tuple[float, int]:
        """(score, characters of ``text`` left unexplained); ``note`` is the
        label's bracketed note, whose terms count but whose other words are
        free — except another form's terms: "（从参加工作写起）" is an instruction."""
        if self.key == _OTHER:
            note = ""
        if any(answer in text for answer in self.answers) or not any(term in text or term in note
                                                                     for term, _ in self.terms):
            return 0.0, len(text)
        total = 0.0
        # A term in the note says which field is meant: it counts twice.
        for part, factor in ((text, 1.0), (note, NOTE_TERM_WEIGHT)):
            found = [(start, start + len(term), term, weight)
                     for term, weight in self.terms if term in part for start in _occurrences(term, part)]
            # "区" inside "区域" is the same word, not a second term.
            counted = {term: weight for start, end, term, weight in found
                       if not any(s <= start and end <= e and e - s > end - start for s, e, _, _ in found)}
            total += sum(counted.values()) * factor
        explained = [False] * len(text)
        for word in [term for term, _ in self.terms] + list(fillers):
            for start in _occurrences(word, text):
                explained[start:start + len(word)] = [True] * len(word)
        unexplained = sum(1 for char, done in zip(text, explained) if not done and char not in COMPOSITE_SEPARATORS)
        return total - UNEXPLAINED_CHAR_COST * unexplained, unexplained


class LabelIndex:
    def __init__(self, schema: FormSchema) -> None:
        self.by_text: dict[str, str] = {}
        for spec in schema.fields:
            for label in spec.all_labels:
                self.by_text.setdefault(label_key_text(label), spec.key)
        for label in schema.ignored_labels:
            self.by_text.setdefault(label_key_text(label), IGNORED)
        labels = sorted({fold(label) for label in self.by_text}, key=len, reverse=True)
        alternatives = "|".join(r"[ \t\u3000]*".join(re.escape(ch) for ch in label) for label in labels)
        self.inline_pattern = re.compile(rf"[*★]?({alternatives})[ \t]*:", re.IGNORECASE)
        self.title_keywords = schema.title_keywords
        term_texts = [term for spec in schema.fields for term, _ in spec.terms]
        self.label_prefixes = frozenset(text[:end] for text in [*self.by_text, *term_texts] for end in range(1, len(text)))
        self.options = tuple({option for spec in schema.fields if spec.kind == "ticks" for option in spec.options})
        self.answers = tuple(sorted({word for spec in schema.fields for word in (*spec.answers, *spec.options)}))
        self.fillers = schema.label_fillers
        self.endings = schema.label_endings
        self.scorers = [
            _Scorer(spec.key, spec.terms, tuple(spec.answers) + tuple(o.lower() for o in spec.options))
            for spec in schema.fields if spec.terms
        ]
        self.scorers.append(_Scorer(IGNORED, tuple((t, FURNITURE_WEIGHT) for t in schema.ignored_terms)))
        self.scorers.append(_Scorer(_OTHER, tuple((t, FURNITURE_WEIGHT) for t in schema.other_label_terms)))
        # A scorer none of whose terms is in the text scores nothing: only
        # those with a term starting with one of the text's characters are
        # asked (most pieces of a form are answers, and hold none).
        self._scorers_by_char: dict[str, set[int]] = {}
        for number, scorer in enumerate(self.scorers):
            for term, _ in scorer.terms:
                self._scorers_by_char.setdefault(term[:1], set()).add(number)
        self._read_cache: dict[str, Optional[Label]] = {}

    # -- the API readers use -------------------------------------------------

    def is_label_start(self, text: str) -> bool:
        """True for the first part of a label spread out by padding ("姓　　名")."""
        return label_key_text(text) in self.label_prefixes

    def match(self, text: str) -> Optional[str]:
        """Key of a cell that holds only a label (a composite's first field),
        IGNORED for the form's furniture, else None."""
        label = self.read(text)
        return label.key if label is not None else None

    def find_inline(self, text: str) -> list[tuple[str, int, int]]:
        """(key, start, end) of every known "label:" in text; end is after the colon."""
        return [(hit.label.key, hit.start, hit.end) for hit in self.find_labels(text) if not hit.label.unknown]

    def is_title(self, text: str) -> bool:
        compact = re.sub(r"\s+", "", text)
        return len(compact) <= 40 and any(word in compact for word in self.title_keywords)

    # -- labels by meaning ---------------------------------------------------

    def read(self, text: str) -> Optional[Label]:
        """The label a piece of text holding only a label is, else None.

        Unknown labels (``Label.unknown``) are returned only when the text
        looks like a label of this kind of form (籍贯, …日期, …意见); a caller
        that knows the text sits in a label's place decides what that means."""
        key_text = label_key_text(text)
        if key_text not in self._read_cache:
            self._read_cache[key_text] = self._read(key_text)
        return self._read_cache[key_text]

    def label_shaped(self, text: str, limit: int = MAX_LABEL_CHARS) -> bool:
        """Short, Chinese, no digits and not a sentence: what labels look like
        (a bracketed note may be longer, and makes a one-character label: "县（市、区）")."""
        bare, note = _without_notes(label_key_text(text))
        shortest = 1 if note else 2
        return shortest <= len(bare) <= limit and not _NOT_IN_LABELS.search(bare) and bool(_CJK.search(bare))

    def find_labels(self, text: str) -> list[LabelHit]:
        """Every "label:" in ``text``: listed wordings wherever they are, and
        by meaning a label-shaped run (a label no field matches included) at
        the start of a line or after whitespace, before its colon."""
        folded = fold(text)
        hits: list[LabelHit] = []
        for colon in _COLON.finditer(folded):
            hit = self._label_before(text, folded, colon.start())
            if hit is not None and (not hits or hit.start >= hits[-1].end):
                hits.append(hit)
        return hits

    def _label_before(self, text: str, folded: str, colon: int) -> Optional[LabelHit]:
        # The label starts after the line's previous colon at the earliest.
        line_start = max(folded.rfind("\n", 0, colon), folded.rfind(":", 0, colon)) + 1
        listed = None
        for match in self.inline_pattern.finditer(folded, line_start, colon + 1):
            if match.end() == colon + 1:
                listed = match
        tokens = list(_TOKEN.finditer(folded, line_start, colon))
        by_meaning = self._label_of_tokens(folded, tokens)
        end = colon + 1
        run_on = label_run_on(tokens[-1].group(), self._is_field_label, self.answers) if tokens else None
        if run_on is not None and (by_meaning is None or not by_meaning[1].whole):
            # "学士专业技术资格：", "…辅导。个人履历：": the answer before is no part of the label.
            start = tokens[-1].start() + run_on
            return LabelHit(self.read(folded[start:colon]), start, end, text[start:colon].strip())
        if by_meaning is not None:
            start, label = by_meaning
            # A listed wording inside a longer label ("所获学位") is that
            # label's end when the label stands apart (line start, after
            # whitespace); glued to a value ("姓名:张喆性别:") only the listed
            # wording is sure, unless the rest is label words too.
            apart = start == 0 or folded[start - 1].isspace()
            if listed is None or apart or label.whole or label.key != self.read(listed.group(1)).key:
                return LabelHit(label, start, end, text[start:colon].strip())
        if listed is not None:
            return LabelHit(self.read(listed.group(1)), listed.start(), end, text[listed.start():colon].strip())
        if tokens and self.label_shaped(tokens[-1].group(), MAX_UNKNOWN_LABEL_CHARS) and not any(
                option in tokens[-1].group() for option in self.options):  # "□其他：＿＿" is a choice
            start = tokens[-1].start()
            return LabelHit(Label((), (label_key_text(tokens[-1].group()),)), start, end, text[start:colon].strip())
        return None

    def _is_field_label(self, text: str) -> bool:
        label = self.read(text)
        return label is not None and label.whole and len(label.keys) == 1 and label.key not in (None, IGNORED)

    def _label_of_tokens(self, folded: str, tokens: list[re.Match]) -> Optional[tuple[int, Label]]:
        """The shortest run of whitespace-separated pieces before a colon that
        reads as a label: the last piece, or with padded-out pieces before it ("区　县")."""
        for first in range(len(tokens) - 1, -1, -1):
            # "擅长领域 （可多选）：": a note set apart is still the label's.
            notes_after = all(_BRACKET_NOTE.fullmatch(token.group()) for token in tokens[first + 1:])
            if first < len(tokens) - 1 and len(tokens[first].group()) > PADDED_PIECE_CHARS and not notes_after:
                break
            joined = "".join(token.group() for token in tokens[first:])
            # Bracketed notes aside: "擅长领域（可多选，请在□内打√）" is a label of four.
            if len(_without_notes(label_key_text(joined))[0]) > MAX_LABEL_CHARS + 4:
                break
            label = self.read(joined)
            if label is not None and not label.unknown:
                return tokens[first].start(), label
        return None

    def is_genre_label(self, label: Label) -> bool:
        """A label no field matches that is plainly a label of this kind of
        form (another form's field, …日期, …意见), not a word in an answer."""
        text = "".join(label.parts)
        return label.key == IGNORED or (label.unknown and (
            self._best(text, "")[0] == _OTHER or text.endswith(self.endings)))

    def _read(self, key_text: str) -> Optional[Label]:
        if not key_text or len(key_text) > 30:
            return None
        if key_text in self.by_text:
            return Label((self.by_text[key_text],), (key_text,))
        bare, note = _without_notes(key_text)
        if not bare and note:
            bare, note = note, ""  # "（近期二寸照片）"
        # A note naming a field outright makes a composite ("学历（学位）",
        # "出生年月（年龄）"); any other note only weighs in ("联系电话（办公）").
        other = self._note_key(note) if note else None
        label = self._read_bare(bare, "" if other else note)
        if label is None or label.unknown or label.is_composite or label.key == IGNORED or other is None:
            return label
        if other != label.key:
            return Label((label.key, other), (bare, note), "(")
        return label

    def _read_bare(self, bare: str, note: str) -> Optional[Label]:
        if bare in self.by_text:
            # A note may say which of two fields is meant: "联系电话（办公）".
            listed, with_note = self.by_text[bare], self._best(bare, note)[0]
            better = with_note not in (None, IGNORED, _OTHER) and with_note != self._best(bare, "")[0]
            return Label((with_note if better else listed,), (bare,))
        if not self.label_shaped(f"{bare}({note})" if note else bare):
            return None
        composite = self._composite(bare)
        if composite is not None:
            return composite
        key, unexplained = self._best(bare, note)
        if key == _OTHER or (key is None and len(bare) <= MAX_UNKNOWN_LABEL_CHARS and bare.endswith(self.endings)):
            return Label((), (bare,))
        if key is None:
            return None
        return Label((key,), (bare,), whole=unexplained == 0)

    def _note_key(self, note: str) -> Optional[str]:
        """The field a bracketed note names outright, IGNORED for another
        form's field ("年龄"); None for an instruction ("限200字", "从参加工作写起")."""
        key = self.by_text.get(note)
        if key is None:
            key, unexplained = self._best(note, "")
            key = key if unexplained == 0 else None
        return IGNORED if key == _OTHER else key if key != IGNORED else None

    def _best(self, text: str, note: str) -> tuple[Optional[str], int]:
        """The field (or IGNORED, or _OTHER) whose terms explain ``text`` best."""
        best, best_score, best_unexplained = None, LABEL_SCORE - 1e-9, len(text)
        asked: set[int] = set()
        for char in set(text + note):
            asked |= self._scorers_by_char.get(char, set())
        for number in sorted(asked):  # in the scorers' order: the first of two equal scores wins
            scorer = self.scorers[number]
            score, unexplained = scorer.score(text, note, self.fillers)
            if score > best_score:
                best, best_score, best_unexplained = scorer.key, score, unexplained
        return best, best_unexplained

    def _part_key(self, part: str) -> Optional[str]:
        """The field one part of a composite label names; IGNORED for a
        field of other forms ("年龄"); None when it is not a label."""
        key = self.by_text.get(part) or self._best(part, "")[0]
        return IGNORED if key == _OTHER else key if key != IGNORED else None

    def _composite(self, bare: str) -> Optional[Label]:
        """Two or more fields named by one label: "学历/学位", "工作单位及职务",
        or two of the form's own wordings back to back ("学历学位")."""
        separators = _SPLIT_COMPOSITE.findall(bare)
        if separators:
            parts = [part for part in _SPLIT_COMPOSITE.split(bare) if part]
            keys = [self._part_key(part) for part in parts]
            fields = [key for key in keys if key not in (None, IGNORED)]
            distinct = bool(fields) and len(set(fields)) == len(fields)
            if len(parts) >= 2 and None not in keys and distinct and (len(fields) > 1 or IGNORED in keys):
                return Label(tuple(keys), tuple(parts), separators[0])
            return None
        if self._best(bare, "")[1] == 0:
            return None
        for cut in range(2, len(bare) - 1):
            left, right = self.by_text.get(bare[:cut]), self.by_text.get(bare[cut:])
            if left and right and left != right and IGNORED not in (left, right):
                return Label((left, right), (bare[:cut], bare[cut:]))
        return None

    def spaced_labels(self, text: str) -> list[LabelHit]:
        """Labels without a colon, set off by whitespace ("专家姓名　张三　　性别　男"):
        one opening the text (its value may start on the next line), and
        others at the start of a line or after a wide gap (two spaces or more)."""
        folded = fold(text)
        starts = sorted({0, *(gap.end() for gap in _WIDE_GAP.finditer(folded)),
                         *(line.end() for line in re.finditer(r"\n", folded))})
        hits: list[LabelHit] = []
        for start in starts:
            if hits and start < hits[-1].end:
                continue
            line_end = folded.find("\n", start)
            stop = len(folded) if start == 0 or line_end < 0 else line_end
            hit = self._label_then_value(text, folded, start, stop)
            if hit is not None:
                hits.append(hit)
        return hits

    def _label_then_value(self, text: str, folded: str, start: int, stop: int) -> Optional[LabelHit]:
        tokens = list(_TOKEN.finditer(folded, start, stop))
        if not tokens:
            return None
        glued = _GLUED_NUMBER.fullmatch(tokens[0].group())
        if glued and len(re.sub(r"\D", "", glued.group(2))) >= 7:  # "手机13800138000": an ID or phone stands apart
            label = self.read(glued.group(1))
            if label is not None and not label.unknown:
                end = tokens[0].start() + glued.end(1)
                return LabelHit(label, tokens[0].start(), end, text[tokens[0].start():end].strip(), colon=False)
        line_end = folded.find("\n", start)
        for count in range(1, min(len(tokens), 6)):
            end = tokens[count - 1].end()
            if 0 <= line_end < end or (count > 1 and len(tokens[count - 1].group()) > PADDED_PIECE_CHARS):
                return None  # a label is on one line, and only padding splits it ("姓　　名")
            label = self.read(folded[tokens[0].start():end])
            if label is None or label.unknown:
                continue
            after = tokens[count].start()
            note = _BRACKET_NOTE.match(folded, after)
            if note and _INSTRUCTION.search(note.group(1)):  # "办公电话 （选填） 0759…": the note is the label's
                after = note.end() + len(folded[note.end():stop]) - len(folded[note.end():stop].lstrip())
                end = note.end()
            gap = _WIDE_GAP.search(folded, after, stop)
            value = folded[after:gap.start() if gap else stop].strip()
            if _BRACKET_NOTE.fullmatch(value) and not _PADDED_IN_BRACKETS.fullmatch(value):
                return None  # the label's own note: "联系电话 （办公）"
            if self.read(value) is None and not value.startswith(":"):
                return LabelHit(label, tokens[0].start(), after, text[tokens[0].start():end].strip(), colon=False)
            return None
        return None


def _occurrences(word: str, text: str) -> list[int]:
    """Every position ``word`` starts at in ``text``, overlapping ones too."""
    if not word:
        return list(range(len(text) + 1))
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def _without_notes(key_text: str) -> tuple[str, str]:
    """("专业领域", "可多选") for "专业领域(可多选)": the label and its bracketed notes."""
    notes = "".join(_BRACKET_NOTE.findall(key_text))
    bare = _BRACKET_NOTE.sub("", key_text)
    if "(" in bare and ")" not in bare:  # "姓名(中文": the note's closing bracket cut off with the cell
        bare, _, rest = bare.partition("(")
        notes += rest
    return bare, notes


@lru_cache(maxsize=1)
def label_index() -> LabelIndex:
    return LabelIndex(load_schema())
