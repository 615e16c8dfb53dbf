"""The text an engine read: look-alike mistakes undone, words joined, e-mails compared."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from parsers.text.place_names import with_legal_form_restored, with_place_names_restored
from parsers.text.fields import with_period_semicolons
from parsers.text.labels import label_index

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "○": "0",
                                   "l": "1", "I": "1", "|": "1", "i": "1", "!": "1", "丨": "1",
                                   "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6",
                                   "g": "9", "q": "9", "x": "X", "×": "X", "—": "-", "－": "-",
                                   "（": "(", "）": ")"})
# A long dash between two years or dates ("2012年—2019年", "2012.03—2019.05")
# is read as the numeral 一 or a full-width minus: a horizontal stroke
# between digits is a range, never the numeral (that is "年一月", before 月).
_RANGE_DASH = re.compile(r"(?<=[0-9])\s*([年月.]?)\s*[一－]\s*(?=[0-9])")
# In a sentence (a line punctuated as one), a dot between two clauses is a
# comma read small: the middle dot of a transliterated name stands in names.
_SENTENCE_MARKS = "。；;，"
_COMMA_AS_DOT = re.compile(r"(?<=[\u4e00-\u9fff0-9])[·•・](?=[\u4e00-\u9fff])")
# A mail host's name is a word: a zero between two of its letters is an o
# ("f0xmail"); digits beside digits ("163", "21cn") stand.
_ZERO_IN_WORD = re.compile(r"(?<=[A-Za-z])0(?=[A-Za-z])")
# An address has no spaces: one between two letters or digits before the @
# is the gap an underscore leaves above the line ("huang hz1" for huang_hz1).
_UNDERSCORE_GAP = re.compile(r"(?<=[A-Za-z0-9]) (?=[A-Za-z0-9][A-Za-z0-9._%+\-]*@)")
# The same in a line that holds more than the address ("电子邮件huang hz3@126.com"):
# the word before the gap is the address's, unless it is its label ("Email abc@…").
_GAPPED_ADDRESS = re.compile(r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9][A-Za-z0-9._%+\-]*)"
                             r" (?=[A-Za-z0-9][A-Za-z0-9._%+\-]*@)")
# In pinyin a q begins a syllable and an i or a u follows it; after a vowel
# and an n it can only be the g of -ng read as q ("zhanqwei", "huanq_hz1").
# (After a consonant it may be an initial: "wangqm" is 王秋明.)
_NG_READ_NQ = re.compile(r"(?<=[aeiou]n)q(?![iu])", re.I)
# A full-width colon set apart after a bracket ("主要业绩（近三年）：") is read
# as two middle dots, side by side or one line each; Chinese writes no such
# pair (a name's dot stands alone, an ellipsis is "……").
_COLON_AS_DOTS = re.compile(r"[·•・]\s*[·•・]")


def join_words(words: Iterable[str]) -> str:
    """Words as one string: a space between Latin words, none next to Chinese."""
    return _SPACE_BETWEEN_CJK.sub("", " ".join(w for w in words if w)).strip()


def correct(text: str, hint: str) -> str:
    """Undo the usual look-alike mistakes for the kind of value expected."""
    text = text.strip()
    if hint == "digits":
        # Only where the text is clearly a number (an ID, a phone): letters
        # among digits are then misreadings. "X" may end an ID.
        compact = re.sub(r"\s+", " ", text)
        letters = sum(ch.isalpha() and not ch.isascii() for ch in compact)
        if letters == 0 and sum(ch.isdigit() for ch in compact) >= max(3, len(compact) // 2):
            text = compact.translate(_DIGIT_LOOKALIKES)
            text = re.sub(r"(?<=\d)X(?=\d)", "", text)  # a stray cross between digits is noise
    elif hint == "email":
        text = _UNDERSCORE_GAP.sub("_", text.replace("＠", "@"))
        text = re.sub(r"\s+", "", text).replace("。", ".").replace("，", ".")
        text = _o_in_host(text)
        local, at, host = text.partition("@")
        text = _NG_READ_NQ.sub("g", local) + at + host
    elif hint == "date":
        text = re.sub(r"(?<=\d)[Oo](?=\d|\b)", "0", text)
    else:
        # The radical 丶 is never written in running text: it is the enumeration comma 、.
        text = _RANGE_DASH.sub(r"\1—", text).replace("丶", "、")
        text = _lone_corner_bracket(text)
        if hint != "name" and any(mark in text for mark in _SENTENCE_MARKS):
            text = _COMMA_AS_DOT.sub("，", text)
        text = _COLON_AS_DOTS.sub("：", text)
        text = _GAPPED_ADDRESS.sub(lambda gap: gap.group(0) if _is_label(gap.group(1)) else gap.group(1) + "_", text)
        if hint != "name":
            label, colon, answer = text.rpartition("：") if "：" in text else text.rpartition(":")
            text = label + colon + with_legal_form_restored(with_place_names_restored(answer))
        text = with_period_semicolons(text)
    return text


def _is_label(word: str) -> bool:
    label = label_index().read(word)
    return label is not None and not label.unknown


def _o_in_host(address: str) -> str:
    local, at, rest = address.partition("@")
    host, dot, domain = rest.partition(".")
    return local + at + _ZERO_IN_WORD.sub("o", host) + dot + domain if at else address


def _lone_corner_bracket(line: str) -> str:
    """A line's "「" that nothing closes (or "」" that nothing opens): the
    sheet's edge or a shadow beside the text, read as a corner bracket."""
    if line.startswith("「") and "」" not in line:
        return line[1:].lstrip()
    if line.endswith("」") and "「" not in line:
        return line[:-1].rstrip()
    return line


def correct_lines(lines: list[str], hint: str) -> str:
    """A cell's lines, each corrected, as one text; a work history's
    semicolon read as a colon at a line's end too."""
    text = "\n".join(correct(line, hint) for line in lines)
    if hint in ("digits", "email", "date"):
        return text
    # A colon's two dots cut apart as two lines of a crop of their own.
    return with_period_semicolons(_COLON_AS_DOTS.sub("：", text))


# What OCR makes of a shadow, a rule's end or a speck in a cell: a line of
# nothing but blocks and bars ("■", "1", "|", "「").
# (Not punctuation or brackets: a full stop or a closing bracket wrapped onto a line of its own is writing.)
# Nor a number: a line of bars and ones ("1 1", "■1", "!") is a shadow's edge, "11" may be written.
_STRAY_MARKS = re.compile(r"[■□▪▫●◆◇|｜丨「」!！Il1\s]+")


def ng_read_as_nq(address: str) -> bool:
    """The address as read holds "-nq" where pinyin has "-ng" (put right by ``correct``)."""
    return bool(_NG_READ_NQ.search(address.partition("@")[0]))


def is_stray_marks(line: str) -> bool:
    """A line of a cell that is no writing, only marks (not in a tick cell, whose boxes are its content)."""
    line = line.strip()
    return bool(line) and _STRAY_MARKS.fullmatch(line) is not None and not (len(line) > 1 and line.isdigit())


def normalise_email(text: str) -> str:
    text = correct(unicodedata.normalize("NFKC", text), "email")
    return re.sub(r"\s+", "", text).lower()


EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+\-]+\s*[@＠]\s*[A-Za-z0-9\-]+(?:\s*[.。]\s*[A-Za-z0-9\-]+)+")


def has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def emails_in(text: str) -> list[str]:
    """The addresses in a line of text, normalised."""
    text = re.sub(r"\s*([@.。])\s*", r"\1", unicodedata.normalize("NFKC", text))
    return [normalise_email(m.group(0)) for m in EMAIL_IN_TEXT.finditer(text)]


def same_email(first: str, second: str) -> bool:
    """Two readings of an e-mail cell give the same address, character for character."""
    a, b = normalise_email(first), normalise_email(second)
    return bool(a) and "@" in a and a == b
