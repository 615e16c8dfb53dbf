"""Taking out of a value the text that is not the answer.

Forms are filled in around printed furniture that ends up in the value's
cell or line: underscores to write on, empty brackets to write in, a photo
placeholder beside the name, the signature and date line under the last
field, the declaration under the table. ``clean_value`` removes these and
says what it removed (short Chinese phrases the caller turns into
warnings); it never touches the answer itself: "__张三__" keeps 张三, and a
date field's empty "年　月　日" is left for the date reader to find empty.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Kinds whose empty brackets are tick boxes ("男（√）女（ ）"), not blanks.
TICK_KINDS = ("ticks", "gender")
DATE_KINDS = ("month", "day")

NOTHING_WRITTEN = ("无", "暂无", "没有")  # the field left empty in words
# The declaration: a cell whose bottom rule was not found (a scan) runs on
# into it ("周末及节假日本人承诺以上信息真实有效…").
DECLARATION = re.compile(r"(本人|人)?承诺以上|本人承诺")
_SIGN_WORD = r"(?:签名|签字|签章|盖章)"
# A signature or stamp line: at the start of a line or after a space, a
# few characters naming who signs, then the word, then only what such a
# line holds (a colon, blanks, a name, a date) to the end of the value.
_SIGNATURE_LINE = re.compile(rf"(?:^|(?<=\s))[\u4e00-\u9fff]{{0,5}}?{_SIGN_WORD}(?=[\s:：_＿(（]|$)", re.M)
_STAMP_NOTE = re.compile(rf"[(（][^()（）]{{0,6}}{_SIGN_WORD}[^()（）]{{0,4}}[)）]")
SIGNATURE_TAIL_CHARS = 20  # a signer's name and a date, not a paragraph
_PHOTO_WORDS = r"(?:照片|相片|彩照)"
_PHOTO_NOTE = re.compile(rf"[(（][^()（）]{{0,10}}{_PHOTO_WORDS}[^()（）]{{0,6}}[)）]")
_PHOTO_WORD = re.compile(rf"(?:^|(?<=\s))\S{{0,6}}{_PHOTO_WORDS}\S{{0,4}}(?=\s|$)", re.M)
# An answer written inside the printed fill-in brackets: "（ 主任 ）".
_WRITTEN_IN_BRACKETS = re.compile(
    r"^(?:[(（][ \t\u3000]+([^()（）]+?)[ \t\u3000]+[)）]|[\[【［〔]\s*([^\[\]【】［］〔〕]+?)\s*[\]】］〕])$")
_EMPTY_BRACKETS = re.compile(r"[(（][\s_＿]*[)）]")
_BLANK_DATE = re.compile(r"(?:^|(?<=\s))(?:日期)?[:：]?[\s_＿]*年[\s_＿]*月[\s_＿]*日[\s_＿]*$")
# Underscores to write on: any full-width ones, a run of two or more, or a
# single one not inside a word ("zhang_san@163.com" keeps its own).
_UNDERSCORES = re.compile(r"＿+|_{2,}|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")

# The line an answer is written on, read as long dashes ("——女——", "—上官翀"):
# no short answer starts or ends with a dash (a range's dash stands between two).
_RULE_AT_EDGES = re.compile(r"^[—－―─━\s]+(?=\S)|(?<=\S)[—－―─━\s]+$")

OPENING_BRACKETS, CLOSING_BRACKETS = "(（[【［〔", ")）]】］〕"
_LEADING_MARKS = re.compile(r"^[\s·•・‧∙⋅.。、,，:：;；…]+")

SIGNATURE_CUT = "去除了签名、盖章或日期栏“{text}”"
PHOTO_CUT = "去除了照片占位文字“{text}”"
BLANK_DATE_CUT = "去除了空白的日期栏"
BRACKETS_CUT = "去除了空白的填写括号"
UNDERSCORES_CUT = "去除了填写用的下划线"


@dataclass
class CleanValue:
    text: str
    removed: list[str] = field(default_factory=list)  # what was taken out, in Chinese
    declaration: bool = False  # the value ran on into the declaration, cut off


def _tidy(text: str) -> str:
    lines = (line.strip(" \t\u3000") for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _cut_tail(text: str, pattern: re.Pattern, note: str, result: CleanValue) -> str:
    for match in pattern.finditer(text):
        tail = text[match.end():]
        if len(re.sub(r"\s", "", tail)) <= SIGNATURE_TAIL_CHARS:
            result.removed.append(note.format(text=re.sub(r"\s+", " ", text[match.start():].strip())))
            return text[:match.start()]
    return text


def without_leading_marks(text: str) -> str:
    """A colon read as dots, a leader, a separator left by a split: no answer starts with punctuation."""
    return _LEADING_MARKS.sub("", text)


def _without_lone_bracket(text: str) -> str:
    """"（共青团员": the half of a fill-in bracket the answer's cell kept
    (a photo's grid cut the other half off) is no part of the answer."""
    stripped = text.strip()
    if stripped[:1] in OPENING_BRACKETS and not any(ch in CLOSING_BRACKETS for ch in stripped):
        return stripped[1:]
    if stripped[-1:] in CLOSING_BRACKETS and not any(ch in OPENING_BRACKETS for ch in stripped):
        return stripped[:-1]
    return text


def clean_value(raw: str, kind: str = "text") -> CleanValue:
    """The answer in ``raw`` without the furniture around it, for a field of ``kind``."""
    result = CleanValue(raw or "")
    text = result.text
    found = DECLARATION.search(text)
    if found:
        text, result.declaration = text[:found.start()], True
    text = _cut_tail(text, _SIGNATURE_LINE, SIGNATURE_CUT, result)
    text = _cut_tail(text, _STAMP_NOTE, SIGNATURE_CUT, result)
    for pattern in (_PHOTO_NOTE, _PHOTO_WORD):
        for photo in [match.group().strip() for match in pattern.finditer(text)]:
            text = text.replace(photo, " ", 1)
            result.removed.append(PHOTO_CUT.format(text=photo))
    # Blanks that were the whole (empty) answer are not worth a warning.
    quiet: list[str] = []
    if kind not in DATE_KINDS and _BLANK_DATE.search(text):
        text = _BLANK_DATE.sub("", text)
        quiet.append(BLANK_DATE_CUT)
    inside = _WRITTEN_IN_BRACKETS.match(text.strip())
    if inside and kind != "ticks":
        text = inside.group(1) or inside.group(2)
    if kind not in TICK_KINDS:
        text = without_leading_marks(text)
    if kind not in TICK_KINDS and kind != "longtext":
        text = _without_lone_bracket(text)
    if kind not in ("ticks", "longtext"):
        text = _RULE_AT_EDGES.sub("", text.strip())
    if kind not in TICK_KINDS and _EMPTY_BRACKETS.search(text):
        text = _EMPTY_BRACKETS.sub(" ", text)
        quiet.append(BRACKETS_CUT)
    if _UNDERSCORES.search(text):
        text = _UNDERSCORES.sub(" ", text)
        quiet.append(UNDERSCORES_CUT)
    result.text = _tidy(text)
    if result.text in NOTHING_WRITTEN:
        result.text = ""
    if result.text and kind != "ticks":  # a tick list's blanks are its "其他：＿＿"
        result.removed.extend(quiet)
    return result
