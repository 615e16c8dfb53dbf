"""The text an engine read: look-alike mistakes undone, words joined, e-mails compared."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from parsers.text.fields import with_period_semicolons

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
_RANGE_DASH = re.compile(r"(?<=[0-9])([年月.]?)\s*[一－]\s*(?=[0-9])")


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
        text = re.sub(r"\s+", "", text).replace("＠", "@").replace("。", ".").replace("，", ".")
    elif hint == "date":
        text = re.sub(r"(?<=\d)[Oo](?=\d|\b)", "0", text)
    else:
        # The radical 丶 is never written in running text: it is the enumeration comma 、.
        text = _RANGE_DASH.sub(r"\1—", text).replace("丶", "、")
        text = with_period_semicolons(text)
    return text


def correct_lines(lines: list[str], hint: str) -> str:
    """A cell's lines, each corrected, as one text; a work history's
    semicolon read as a colon at a line's end too."""
    text = "\n".join(correct(line, hint) for line in lines)
    return with_period_semicolons(text) if hint not in ("digits", "email", "date") else text


# What OCR makes of a shadow, a rule's end or a speck in a cell: a line of
# nothing but blocks and bars ("■", "1", "|", "「").
# (Not punctuation or brackets: a full stop or a closing bracket wrapped onto a line of its own is writing.)
_STRAY_MARKS = re.compile(r"[■□▪▫●◆◇|｜丨「」\s]+|[Il1]")


def is_stray_marks(line: str) -> bool:
    """A line of a cell that is no writing, only marks (not in a tick cell, whose boxes are its content)."""
    return bool(line.strip()) and _STRAY_MARKS.fullmatch(line.strip()) is not None


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
