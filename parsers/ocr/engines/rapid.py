"""RapidOCR (PP-OCRv4 models shipped in the ``rapidocr_onnxruntime`` wheel,
CPU, nothing fetched at run time), with a second opinion from Tesseract.

RapidOCR's score for a line is the mean of its characters' probabilities,
so one misread character (冼 read as 洗) hides among sure ones. Its cells
are therefore judged by their least sure character: a cell whose every
character is near-certain (``SURE_CHAR``) keeps the line score; any other
cell is read again by Tesseract (``second_opinion``, one montage per page,
cheap) and keeps its score only if Tesseract confirms every doubtful
character, else it drops to ``DOUBTED`` — below the review threshold, so
the value is kept but flagged. Without Tesseract the least sure character
caps the cell's confidence.

Both engines prefer a common character to a rare one of like shape (季
read as 李, 彧 as 或; in an address, j as i, g as a or q), so their
agreement confirms a shape, not a character: a letter or Chinese character
RapidOCR is quite unsure of (``CONFIRMABLE``) stays doubted whatever
Tesseract reads, and in a name (hint "name"), where rare characters are
common and the recogniser knows them least, so does any Chinese character
short of near-certain (``NAME_SURE_CHAR``).

PP-OCRv4 knows about 6,600 characters and lacks or misreads the rare ones
names are written with (禤 is not among them; 冼 is read 洗): a name, and a
line of any other Chinese cell holding a doubtful character, is read again
by PP-OCRv6's recogniser (``wide_charset``), which corrects its Chinese
characters and doubts what it changed.

E-mail addresses cannot be validated before the @, so with a second
opinion every e-mail (a cell hinted "email", or a line holding a label and
an address) is read by Tesseract too (ASCII whitelist for an e-mail cell)
and keeps its confidence only if the two agree on the whole address and
RapidOCR was not quite unsure of any of its letters, nor short of
near-certain of an i or a j (``DOTTED_SURE``: the two read alike once a
scan blurs the j's descender).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import unicodedata
from difflib import SequenceMatcher

import numpy as np

from parsers.ocr.engines.base import OcrEngine, OcrLine
from parsers.ocr.engines.crops import as_bgr, as_grey, has_ink, line_crops, unread_ink, with_written_gaps
from parsers.ocr.engines.line_reading import LineReading, recognise_lines
from parsers.ocr.engines.readings import (EMAIL_IN_TEXT, correct, correct_lines, emails_in, has_cjk, is_stray_marks,
                                         ng_read_as_nq, same_email)
from parsers.ocr.engines.tesseract import TesseractEngine
from parsers.ocr.engines.wide_charset import doubtful_lines_read_again, names_read_again, wide_recogniser
from parsers.text.labels import label_index


def rapid_models():
    """One RapidOCR per process (models load in a fraction of a second),
    running on ``ocr_threads()``."""
    return _rapid_models(ocr_threads())


def ocr_threads() -> int:
    """The CPUs this process is given: all of them for a file read alone,
    one when intake pins each of several parses to a core of its own (two
    parses sharing cores with two threads each were 3× slower each), and no
    more than ``OMP_NUM_THREADS`` where it is set (processes that share a
    machine without knowing of each other: ``intake worker``)."""
    try:
        threads = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        threads = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if limit.isdigit() and int(limit) > 0:
        threads = min(threads, int(limit))
    return max(1, threads)


@functools.lru_cache(maxsize=None)
def _rapid_models(threads: int):
    # Lazy: onnxruntime and the models cost a third of a second to import and
    # are needed only when RapidOCR reads (not for Tesseract alone, nor on a
    # server without the wheel, where ``ocr_available`` says so).
    from rapidocr_onnxruntime import RapidOCR

    # Global keys: rapidocr copies them over the per-model ones (a
    # "rec_intra_op_num_threads" is silently replaced by the default).
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)


@functools.lru_cache(maxsize=None)
def _known_characters(threads: int) -> frozenset[str]:
    return frozenset(_rapid_models(threads).text_rec.postprocess_op.character)


GUESS_BELOW = 0.5  # a line read less surely than this is a guess, not a reading
WRAPPED_TAIL_CHARS = 2  # the end of a word wrapped onto a line of its own ("博" / "士")
SURE_CHAR = 0.95  # a character RapidOCR is at least this sure of needs no second opinion
CONFIRMED = 0.97  # a cell whose doubtful characters Tesseract read the same
DOUBTED = 0.6  # a cell with a doubtful character the second opinion did not confirm
# A letter or Chinese character read less surely than this is not confirmed by
# a second reading that agrees: the two engines share their taste for common
# look-alikes (季 and 李 read alike at 0.88, an address's j and i at 0.86).
CONFIRMABLE = 0.9
# A name's Chinese character read less surely than this is doubted: names are
# where the rare characters are, and a rare one read as its common look-alike
# scored 0.95 (彧 as 或) where the names read right scored 0.98 and more.
NAME_SURE_CHAR = 0.98
# i and j differ by a descender a scan blurs, and both engines read the
# commoner i: an address's i or j read less surely than this (a clear one
# scores 0.99) is doubted, whatever Tesseract says ("chenjm12" read "chenim12").
DOTTED_LETTERS = "ijIJ"
DOTTED_SURE = 0.98


def _punctuation_only(text: str) -> bool:
    return all(unicodedata.category(ch).startswith("P") for ch in text if not ch.isspace())


def _wrapped_tail_guessed(lines: list[tuple[str, float]]) -> bool:
    """Some lines of a cell (text, score) are guesses of no more than
    ``WRAPPED_TAIL_CHARS`` characters, the others read well and hold words
    (not a picture's marks read as "?")."""
    guessed = [text for text, score in lines if score < GUESS_BELOW]
    read = [text for text, score in lines if score >= GUESS_BELOW]
    return (bool(guessed) and all(len(text.strip()) <= WRAPPED_TAIL_CHARS for text in guessed)
            and bool(read) and all(any(ch.isalnum() for ch in text) for text in read))


def _confirmable(ch: str) -> bool:
    """A character whose look-alikes the two engines share: a letter (not a digit or a mark)."""
    return ch.isalpha()


def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return (folded if len(folded) == 1 else ch).lower()


def confirmed_by(chars: list[tuple[str, float]], other: str, sure: float = SURE_CHAR) -> bool:
    """Every character below ``sure`` in ``chars`` (text, probability) is
    read the same, at the same place, in ``other`` (a second reading).

    Punctuation and spaces are compared loosely (engines differ on them),
    except a doubtful one, which must be there in the other reading too.
    """
    mine = [(_fold_char(ch), p) for ch, p in chars if not ch.isspace()]
    theirs = [_fold_char(ch) for ch in other if not ch.isspace()]
    if not any(p < sure for _, p in mine):
        return True
    a = "".join(ch for ch, _ in mine)
    b = "".join(theirs)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    agreed = [False] * len(a)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            agreed[block.a + offset] = True
    return all(agreed[i] for i, (_, p) in enumerate(mine) if p < sure)


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*[A-Za-z]")
_LATIN_TAIL = re.compile(r"[A-Za-z1|]{1,2}")
_AS_LETTER = str.maketrans({"1": "l", "|": "l"})  # an l alone on its line is read as a digit or a bar


def _word_tails_joined(readings: list[tuple]) -> list[tuple]:
    """A cell's lines (text, score, full, probabilities) with the last
    letter or two of a Latin label that a narrow cell wrapped ("Emai" over
    "l") put back on the label's line: alone, that "l" reads as a rule's end
    ("1", "|") and is dropped, and the label "Email" with it. Only after a
    line that is one Latin word and no label, when the two make one (an
    answer such as "MBA" keeps a rule's end under it apart, to be dropped)."""
    out: list[tuple] = []
    for reading in readings:
        text = reading[0].strip()
        joined = out[-1][0].strip() + text.translate(_AS_LETTER) if out else ""
        if (out and _LATIN_TAIL.fullmatch(text) and _LATIN_WORD.fullmatch(out[-1][0].strip())
                and _is_label(joined) and not _is_label(out[-1][0])):
            before = out[-1]
            out[-1] = (joined, min(before[1], reading[1]), before[2], [*before[3], *reading[3]])
        else:
            out.append(reading)
    return out


def _is_label(text: str) -> bool:
    label = label_index().read(text)
    return label is not None and not label.unknown


class RapidEngine(OcrEngine):
    """PP-OCRv4 recognition on line crops (PP-OCRv6's wide recogniser again
    on names and doubtful characters); detection only for read_text."""

    name = "rapidocr"
    PAD = 6

    def __init__(self, second_opinion: bool = False, second: OcrEngine | None = None) -> None:
        # Tesseract re-reads cells with a doubtful character (see SURE_CHAR).
        self.second = (second or TesseractEngine()) if second_opinion else None
        # The last call's readings by crop, so a cell read again with its
        # hint (below) is not recognised twice.
        self._last: dict[bytes, tuple[str, float]] = {}
        # The least sure Chinese character, and letter, of each of those crops.
        self._least_cjk: dict[bytes, float] = {}
        self._least_letter: dict[bytes, float] = {}
        self._least_dotted: dict[bytes, float] = {}
        # Line crops as the wide recogniser read them (``wide_charset``): a
        # name's lines are read on the first call and again with its hint.
        self._wide: dict[bytes, LineReading] = {}
        # Cells Tesseract read as an address: an e-mail is confirmed on the
        # first call and again with its hint, from the same crop.
        self._as_email: dict[bytes, str] = {}

    @property
    def rereads_with_hints(self) -> bool:
        # A name cell is read again by the wide recogniser, and with a second
        # opinion an e-mail cell by Tesseract (nothing validates the part
        # before the @, so Tesseract must agree on it all): both need the
        # hints, which come after the first reading.
        return True

    @property
    def ocr(self):
        return rapid_models()

    def read_text(self, image: np.ndarray) -> list[OcrLine]:
        result, _ = self.ocr(as_bgr(image), use_cls=False)
        lines = []
        for points, text, score in result or []:
            xs = [int(p[0]) for p in points]
            ys = [int(p[1]) for p in points]
            lines.append(OcrLine(text, (min(xs), min(ys), max(xs), max(ys)), float(score)))
        return lines

    def recognise_chars(self, line_images: list[np.ndarray]) -> list[LineReading]:
        """Batch recognition of single-line crops (the rec model takes a
        list), with each character's probability and where it lies."""
        return recognise_lines(self.ocr.text_rec, line_images)

    def read_cells(self, items):
        keys = [_crop_key(image) for image, _hint in items]
        if items and all(key in self._last for key in keys):
            # The same crops read again with their hints: correct the first
            # reading for the hint, and have e-mails confirmed whole.
            out = [(correct(self._last[key][0], hint), self._last[key][1]) for key, (_, hint) in zip(keys, items)]
        else:
            self._wide, self._as_email = {}, {}
            out, least_cjk, least_letter, least_dotted = self._read_cells(items)
            self._last = dict(zip(keys, out))
            self._least_cjk = dict(zip(keys, least_cjk))
            self._least_letter = dict(zip(keys, least_letter))
            self._least_dotted = dict(zip(keys, least_dotted))
        out = self._names_read_again(items, out)
        out = [(text, min(confidence, DOUBTED)) if hint == "name" and self._least_cjk.get(key, 1.0) < NAME_SURE_CHAR
               else (text, confidence) for key, (_, hint), (text, confidence) in zip(keys, items, out)]
        sure_letters = [self._least_letter.get(key, 1.0) >= CONFIRMABLE and self._least_dotted.get(key, 1.0) >= DOTTED_SURE
                        for key in keys]
        out = self._confirm_emails(items, keys, out, sure_letters)
        # An address's "-nq" put right as "-ng" is a guess, however sure the reading.
        return [(text, min(confidence, DOUBTED)) if hint == "email" and ng_read_as_nq(self._last.get(key, ("",))[0])
                else (text, confidence) for key, (_, hint), (text, confidence) in zip(keys, items, out)]

    def recognise_wide(self, line_images: list[np.ndarray]) -> list[LineReading] | None:
        """The same crops read by the wide recogniser (``wide_charset``),
        each crop once; None where it is not installed."""
        wide = wide_recogniser(ocr_threads())
        if wide is None:
            return None
        keys = [_crop_key(image) for image in line_images]
        unread = [n for n, key in enumerate(keys) if key not in self._wide]
        for n, reading in zip(unread, recognise_lines(wide, [line_images[n] for n in unread])):
            self._wide[keys[n]] = reading
        return [self._wide[key] for key in keys]

    def _names_read_again(self, items, out: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Name cells corrected by the wide recogniser, doubted where the two
        readings disagree or it was unsure (``wide_charset``)."""
        texts, doubted = names_read_again(items, [text for text, _ in out], self.recognise_wide,
                                          _known_characters(ocr_threads()), self.PAD)
        return [(text, min(confidence, DOUBTED) if n in doubted else confidence)
                for n, (text, (_, confidence)) in enumerate(zip(texts, out))]

    def _confirm_emails(self, items, keys: list[bytes], out: list[tuple[str, float]],
                        sure_letters: list[bool]) -> list[tuple[str, float]]:
        """An e-mail keeps its confidence only if a second reading (Tesseract,
        ASCII only) gives the same whole address and no letter of it was
        quite unsure (``CONFIRMABLE``, ``DOTTED_SURE`` for i and j); else it
        drops to DOUBTED."""
        if self.second is None:
            return out
        # An e-mail cell, or any cell holding an address ("邮箱：a@b.cn", "E-mail a@b.cn").
        numbers = [n for n, (_, hint) in enumerate(items)
                   if out[n][0] and (hint == "email" or EMAIL_IN_TEXT.search(out[n][0]))]
        if not numbers:
            return out
        # Read as Latin text even beside a Chinese label: a Chinese reading
        # drops an underscore as readily as RapidOCR does ("xy_wu" → "xywu"),
        # and a label read as Latin junk only makes the two disagree.
        unread = [n for n in numbers if keys[n] not in self._as_email]
        if unread:
            readings = self.second.read_cells([(items[n][0], "email") for n in unread])
            self._as_email.update((keys[n], other) for n, (other, _conf) in zip(unread, readings))
        out = list(out)
        for n in numbers:
            other = self._as_email[keys[n]]
            text, confidence = out[n]
            if items[n][1] != "email":
                # The rest of the line keeps what its own second opinion gave it.
                mine = emails_in(text)
                if not mine or mine != emails_in(other) or not sure_letters[n]:
                    out[n] = (text, min(confidence, DOUBTED))
            elif same_email(text, other) and sure_letters[n]:
                out[n] = (text, max(confidence, CONFIRMED))
            else:
                out[n] = (text, min(confidence, DOUBTED))
        return out

    def _read_cells(self, items):
        crops, owners = [], []
        for number, (image, _hint) in enumerate(items):
            for crop, full in line_crops(as_grey(image), self.PAD):
                crops.append(crop)
                owners.append((number, full))
        texts: list[list[tuple[str, float, bool, list[float]]]] = [[] for _ in items]
        # Cells doubted whatever else: a mark no character was read at, a
        # doubtful character the wide recogniser read otherwise.
        doubted: set[int] = set()
        for crop, (owner, full), reading in zip(crops, owners, self.recognise_chars(crops)):
            text, chars = with_written_gaps(crop, reading.text, reading.chars, reading.centres)
            texts[owner].append((text, reading.score, full, chars))
            if reading.text.strip() and unread_ink(crop, reading.centres):
                doubted.add(owner)
        doubted |= doubtful_lines_read_again([hint for _, hint in items], crops, texts, self.recognise_wide,
                                             _known_characters(ocr_threads()), SURE_CHAR)
        out: list[tuple[str, float]] = []
        least_cjk: list[float] = []
        least_letter: list[float] = []
        least_dotted: list[float] = []
        doubtful: dict[int, list[tuple[str, float]]] = {}  # cell -> its characters and their probabilities
        for number, ((image, hint), readings) in enumerate(zip(items, texts)):
            if hint == "chinese":
                readings = _word_tails_joined(readings)
            readings = [r for r in readings if r[0].strip() and (r[2] or r[1] >= 0.5)
                        and (hint in ("ticks", "digits") or not is_stray_marks(r[0]) or len(readings) == 1)]
            chars = [(ch, p) for t, _, full, probs in readings if full for ch, p in zip(t, probs)]
            least_cjk.append(min((p for ch, p in chars if has_cjk(ch)), default=1.0))
            least_letter.append(min((p for ch, p in chars if _confirmable(ch)), default=1.0))
            # An underscore put back from its gap is as doubtful as an unsure i or j.
            least_dotted.append(min((p for ch, p in chars if ch in DOTTED_LETTERS + "_"), default=1.0))
            if not readings:
                out.append(("", 0.0 if has_ink(image) else 1.0))
                continue
            text = correct_lines([t for t, _, _, _ in readings], hint)
            # Nor does a line of punctuation alone (a bracket wrapped onto its own
            # line: "（" read as "【"; a symbol, "±" for 士, is a misread character).
            full_lines = [(t, s) for t, s, full, _ in readings if full]
            deciding = [(t, s) for t, s in full_lines if not _punctuation_only(t)] or full_lines
            confidence = min((s for _, s in deciding), default=1.0)
            if _wrapped_tail_guessed(deciding):
                # A character or two wrapped onto a line of their own and read
                # unsurely, under writing read well: the cell is doubted, not lost.
                confidence = min(min(s for _, s in deciding if s >= GUESS_BELOW), DOUBTED)
            least = min((p for ch, p in chars if not ch.isspace()), default=1.0)
            if least < SURE_CHAR:
                doubtful[number] = chars
                if self.second is None:
                    confidence = min(confidence, least)
            out.append((text, confidence))
        if self.second is not None and doubtful:
            numbers = sorted(doubtful)
            others = self.second.read_cells([(items[n][0], "chinese") for n in numbers])
            for n, (other, _conf) in zip(numbers, others):
                text, confidence = out[n]
                if confirmed_by(doubtful[n], other) and least_letter[n] >= CONFIRMABLE:
                    out[n] = (text, max(confidence, CONFIRMED))
                else:
                    out[n] = (text, min(confidence, DOUBTED))
        for n in doubted:
            out[n] = (out[n][0], min(out[n][1], DOUBTED))
        return out, least_cjk, least_letter, least_dotted


def _crop_key(image: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16,
                           person=str(image.shape).encode()[:16]).digest()
