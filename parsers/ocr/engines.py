"""OCR engines behind one small interface.

    engine.read_text(image)          -> list[OcrLine]   a page or region
    engine.read_cells([(image, hint), ...]) -> [(text, confidence), ...]

``hint`` is what the cell should hold: "digits" (ID, phone), "date",
"email" or "chinese" (anything else). It narrows what the engine may read
(Tesseract's whitelist) and how the text is corrected afterwards (O→0, l→1
in a number). Confidences are 0..1.

Two engines: RapidOCR (PP-OCR models shipped in the ``rapidocr_onnxruntime``
wheel, CPU, nothing fetched at run time) and Tesseract (``chi_sim+eng``
through pytesseract). "both" runs the two and lowers the confidence of
every cell where they disagree.

RapidOCR's score for a line is the mean of its characters' probabilities,
so one misread character (冼 read as 洗) hides among sure ones. Its cells
are therefore judged by their least sure character: a cell whose every
character is near-certain (``SURE_CHAR``) keeps the line score; any other
cell is read again by Tesseract (``second_opinion``, one montage per page,
cheap) and keeps its score only if Tesseract confirms every doubtful
character, else it drops to ``DOUBTED`` — below the review threshold, so
the value is kept but flagged. Without Tesseract the least sure character
caps the cell's confidence.

E-mail addresses cannot be validated before the @, so with a second
opinion every e-mail (a cell hinted "email", or a line holding a label and
an address) is read by Tesseract too (ASCII whitelist for an e-mail cell)
and keeps its confidence only if the two agree on the whole address.

Images are numpy arrays, uint8, grey (H, W) or BGR (H, W, 3), white
background.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

INK = 160  # grey level below which a pixel of a (flattened) page is ink
# Tesseract's OpenMP threads oversubscribe a small machine badly (about 3×
# slower on 2 cores); intake parallelises across files instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "○": "0",
                                   "l": "1", "I": "1", "|": "1", "i": "1", "!": "1", "丨": "1",
                                   "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6",
                                   "g": "9", "q": "9", "x": "X", "×": "X", "—": "-", "－": "-",
                                   "（": "(", "）": ")"})


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels
    confidence: float


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
    return text


def as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image


def as_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return image.mean(axis=2).astype(np.uint8)
    return image


def text_lines(grey: np.ndarray, ink_level: int = INK) -> list[tuple[int, int]]:
    """(top, bottom) of each line of text in a crop, by row projection."""
    ink_rows = (grey < ink_level).sum(axis=1)
    threshold = max(1, int(grey.shape[1] * 0.002))
    runs, start = [], None
    for y, count in enumerate(ink_rows):
        if count >= threshold and start is None:
            start = y
        elif count < threshold and start is not None:
            runs.append([start, y])
            start = None
    if start is not None:
        runs.append([start, len(ink_rows)])
    if not runs:
        return []
    tallest = max(bottom - top for top, bottom in runs)
    # Thin runs (the dot of an "i", a stroke of "二" on a short line) join
    # the nearer neighbour rather than becoming lines of their own.
    merged = True
    while merged and len(runs) > 1:
        merged = False
        for number, (top, bottom) in enumerate(runs):
            if bottom - top >= 0.45 * tallest:
                continue
            if number == 0:
                other = 1
            elif number == len(runs) - 1:
                other = number - 1
            else:
                other = number - 1 if top - runs[number - 1][1] <= runs[number + 1][0] - bottom else number + 1
            gap = runs[other][0] - bottom if other > number else top - runs[other][1]
            if gap > 0.6 * tallest:
                continue
            low, high = sorted((number, other))
            runs[low] = [min(runs[low][0], runs[high][0]), max(runs[low][1], runs[high][1])]
            del runs[high]
            merged = True
            break
    return [(top, bottom) for top, bottom in runs if bottom - top >= 4]


@dataclass(frozen=True)
class LineReading:
    """One line crop as the recogniser read it."""

    text: str
    score: float
    chars: list[float]  # each character's probability
    centres: list[float] | None = None  # each character's middle, in the crop's pixels (None: unknown)


def _char_centres(info, width: int, text: str) -> list[float] | None:
    """Where RapidOCR put each character: its CTC time step scaled to the
    crop's width (the word-box detail of ``text_rec``)."""
    try:
        steps = float(info[0])
        columns = [int(c) for word in info[2] for c in word]
    except (TypeError, ValueError, IndexError):
        return None
    if steps <= 0 or len(columns) != len(text):
        return None
    return [(c + 0.5) * width / steps for c in columns]


def unread_ink(line: np.ndarray, centres: list[float] | None) -> bool:
    """Whether a line crop has a mark no character was read at: a trailing
    "。" or a character the recogniser dropped (it does so with full
    confidence). ``centres`` are in the crop's pixels."""
    if centres is None or line.size == 0:
        return False
    dark = line < INK
    rows = np.where(dark.any(axis=1))[0]
    if not len(rows):
        return False
    height = int(rows[-1] - rows[0] + 1)  # the text's, not the crop's padding
    columns = dark.sum(axis=0) >= 2
    reach = 0.6 * height
    x, width = 0, len(columns)
    while x < width:
        if not columns[x]:
            x += 1
            continue
        start = x
        while x < width and columns[x]:
            x += 1
        # A blob at least a fifth of a character wide (a "。" is a third).
        if x - start >= max(3, height // 5) and not any(
                start - reach <= c <= x + reach for c in centres):
            return True
    return False


class OcrEngine:
    name = "engine"
    # True when reading a cell again with its hint (a digit whitelist) can
    # give a different answer; otherwise the hint only corrects the text.
    rereads_with_hints = False

    def read_text(self, image: np.ndarray) -> list[OcrLine]:
        raise NotImplementedError

    def read_cells(self, items: Sequence[tuple[np.ndarray, str]]) -> list[tuple[str, float]]:
        raise NotImplementedError


# ---- RapidOCR ---------------------------------------------------------------

def rapid_models():
    """One RapidOCR per process (models load in a fraction of a second),
    running on the CPUs this process is given: all of them for a file read
    alone, one when intake pins each of several parses to a core of its own
    (two parses sharing cores with two threads each were 3× slower each)."""
    try:
        threads = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        threads = os.cpu_count() or 1
    return _rapid_models(max(1, threads))


@functools.lru_cache(maxsize=None)
def _rapid_models(threads: int):
    from rapidocr_onnxruntime import RapidOCR

    # Global keys: rapidocr copies them over the per-model ones (a
    # "rec_intra_op_num_threads" is silently replaced by the default).
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)


SURE_CHAR = 0.95  # a character RapidOCR is at least this sure of needs no second opinion
CONFIRMED = 0.97  # a cell whose doubtful characters Tesseract read the same
DOUBTED = 0.6  # a cell with a doubtful character the second opinion did not confirm


def _fold_char(ch: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKC", ch)
    return (folded if len(folded) == 1 else ch).lower()


def confirmed_by(chars: list[tuple[str, float]], other: str, sure: float = SURE_CHAR) -> bool:
    """Every character below ``sure`` in ``chars`` (text, probability) is
    read the same, at the same place, in ``other`` (a second reading).

    Punctuation and spaces are compared loosely (engines differ on them),
    except a doubtful one, which must be there in the other reading too.
    """
    from difflib import SequenceMatcher

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


class RapidEngine(OcrEngine):
    """PP-OCRv4 recognition on line crops; detection only for read_text."""

    name = "rapidocr"
    PAD = 6

    def __init__(self, second_opinion: bool = False, second: OcrEngine | None = None) -> None:
        # Tesseract re-reads cells with a doubtful character (see SURE_CHAR).
        self.second = (second or TesseractEngine()) if second_opinion else None
        # The last call's readings by crop, so a cell read again with its
        # hint (below) is not recognised twice.
        self._last: dict[bytes, tuple[str, float]] = {}

    @property
    def rereads_with_hints(self) -> bool:
        # With a second opinion, an e-mail cell is read again: nothing
        # validates the part before the @, so Tesseract must agree on it all.
        return self.second is not None

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
        if not line_images:
            return []
        images = [as_bgr(img) for img in line_images]
        try:
            found, _ = self.ocr.text_rec(images, True)
        except Exception:  # noqa: BLE001 - no per-character detail: the line score stands for each
            plain, _ = self.ocr.text_rec(images)
            found = [(text, score, None) for text, score in plain]
        results = []
        for image, (text, score, *detail) in zip(images, found):
            info = detail[0] if detail and detail[0] and len(detail[0]) > 4 else None
            chars = [float(c) for c in info[4]] if info else []
            if len(chars) != len(text):
                chars = [float(score)] * len(text)
            results.append(LineReading(text, float(score), chars, _char_centres(info, image.shape[1], text)))
        return results

    def read_cells(self, items):
        keys = [_crop_key(image) for image, _hint in items]
        if items and all(key in self._last for key in keys):
            # The same crops read again with their hints: correct the first
            # reading for the hint, and have e-mails confirmed whole.
            out = [(correct(self._last[key][0], hint), self._last[key][1]) for key, (_, hint) in zip(keys, items)]
        else:
            out = self._read_cells(items)
            self._last = dict(zip(keys, out))
        return self._confirm_emails(items, out)

    def _confirm_emails(self, items, out: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """An e-mail keeps its confidence only if a second reading (Tesseract,
        ASCII only) gives the same whole address; else it drops to DOUBTED."""
        if self.second is None:
            return out
        # An e-mail cell, or a line holding a label and an address ("邮箱：a@b.cn").
        numbers = [n for n, (_, hint) in enumerate(items)
                   if out[n][0] and (hint == "email" or (EMAIL_IN_TEXT.search(out[n][0]) and _has_cjk(out[n][0])))]
        if not numbers:
            return out
        others = self.second.read_cells([(items[n][0], items[n][1] if items[n][1] == "email" else "chinese")
                                         for n in numbers])
        out = list(out)
        for n, (other, _conf) in zip(numbers, others):
            text, confidence = out[n]
            if items[n][1] != "email":
                # The rest of the line keeps what its own second opinion gave it.
                mine = emails_in(text)
                if not mine or mine != emails_in(other):
                    out[n] = (text, min(confidence, DOUBTED))
            elif same_email(text, other):
                out[n] = (text, max(confidence, CONFIRMED))
            else:
                out[n] = (text, min(confidence, DOUBTED))
        return out

    def _read_cells(self, items):
        crops, owners = [], []
        for number, (image, _hint) in enumerate(items):
            grey = as_grey(image)
            lines = text_lines(grey)
            tallest = max((bottom - top for top, bottom in lines), default=0)
            for top, bottom in lines:
                line = grey[top:bottom]
                cols = np.where((line < INK).any(axis=0))[0]
                if not len(cols):
                    continue
                line = line[:, max(0, cols[0] - 2): cols[-1] + 3]  # the line's ink, all rows kept
                crops.append(np.pad(line, self.PAD, constant_values=255))
                # A sliver of a line (a full stop wrapped onto its own line)
                # is read, but does not decide how sure the cell is.
                owners.append((number, bottom - top >= 0.5 * tallest))
        texts: list[list[tuple[str, float, bool, list[float]]]] = [[] for _ in items]
        skipped: set[int] = set()  # cells with a mark no character was read at
        for crop, (owner, full), reading in zip(crops, owners, self.recognise_chars(crops)):
            texts[owner].append((reading.text, reading.score, full, reading.chars))
            if reading.text.strip() and unread_ink(crop, reading.centres):
                skipped.add(owner)
        out: list[tuple[str, float]] = []
        doubtful: dict[int, list[tuple[str, float]]] = {}  # cell -> its characters and their probabilities
        for number, ((image, hint), readings) in enumerate(zip(items, texts)):
            readings = [r for r in readings if r[0].strip() and (r[2] or r[1] >= 0.5)]
            if not readings:
                out.append(("", 0.0 if _has_ink(image) else 1.0))
                continue
            text = "\n".join(correct(t, hint) for t, _, _, _ in readings)
            confidence = min((s for _, s, full, _ in readings if full), default=1.0)
            chars = [(ch, p) for t, _, full, probs in readings if full for ch, p in zip(t, probs)]
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
                if confirmed_by(doubtful[n], other):
                    out[n] = (text, max(confidence, CONFIRMED))
                else:
                    out[n] = (text, min(confidence, DOUBTED))
        for n in skipped:
            out[n] = (out[n][0], min(out[n][1], DOUBTED))
        return out


def _crop_key(image: np.ndarray) -> bytes:
    import hashlib

    return hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16,
                           person=str(image.shape).encode()[:16]).digest()


def normalise_email(text: str) -> str:
    import unicodedata

    text = correct(unicodedata.normalize("NFKC", text), "email")
    return re.sub(r"\s+", "", text).lower()


EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+\-]+\s*[@＠]\s*[A-Za-z0-9\-]+(?:\s*[.。]\s*[A-Za-z0-9\-]+)+")


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def emails_in(text: str) -> list[str]:
    """The addresses in a line of text, normalised."""
    import unicodedata

    text = re.sub(r"\s*([@.。])\s*", r"\1", unicodedata.normalize("NFKC", text))
    return [normalise_email(m.group(0)) for m in EMAIL_IN_TEXT.finditer(text)]


def same_email(first: str, second: str) -> bool:
    """Two readings of an e-mail cell give the same address, character for character."""
    a, b = normalise_email(first), normalise_email(second)
    return bool(a) and "@" in a and a == b


def _has_ink(image: np.ndarray) -> bool:
    return int((as_grey(image) < INK).sum()) > 12


# ---- Tesseract --------------------------------------------------------------

class TesseractEngine(OcrEngine):
    """Tesseract 5 through pytesseract; cells go as one montage per hint.

    Starting Tesseract and loading chi_sim costs ~0.2 s, so cells are not
    read one call each: the crops are stacked into one tall image, read
    with --psm 6, and every word goes back to the crop it lies in.
    """

    name = "tesseract"
    rereads_with_hints = True
    GAP = 40
    EMAIL_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-+"
    # (lang, config) per group of cells: a number or an address is read
    # with only the characters it may hold.
    GROUPS = {"digits": ("eng", "--psm 6 -c tessedit_char_whitelist=0123456789Xx-()+"),
              "email": ("eng", f"--psm 6 -c tessedit_char_whitelist={EMAIL_CHARACTERS}"),
              "text": ("chi_sim+eng", "--psm 6")}

    def __init__(self, timeout: float = 60) -> None:
        self.timeout = timeout

    def _data(self, image: np.ndarray, lang: str, config: str) -> dict:
        import pytesseract
        from PIL import Image

        picture = Image.fromarray(as_grey(image))
        # pytesseract hands the image over as a file, PNG unless told: a
        # page-sized PNG takes a quarter of a second to compress, a BMP none.
        picture.format = "BMP"
        return pytesseract.image_to_data(
            picture, lang=lang, config=config,
            output_type=pytesseract.Output.DICT, timeout=self.timeout,
        )

    def read_text(self, image: np.ndarray) -> list[OcrLine]:
        data = self._data(image, "chi_sim+eng", "--psm 3")
        lines: dict[tuple, list[int]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip() and float(data["conf"][i]) >= 0:
                key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
                lines.setdefault(key, []).append(i)
        out = []
        for indices in lines.values():
            x0 = min(data["left"][i] for i in indices)
            y0 = min(data["top"][i] for i in indices)
            x1 = max(data["left"][i] + data["width"][i] for i in indices)
            y1 = max(data["top"][i] + data["height"][i] for i in indices)
            text = join_words(data["text"][i] for i in sorted(indices, key=lambda i: data["left"][i]))
            conf = min(float(data["conf"][i]) for i in indices) / 100
            out.append(OcrLine(text, (x0, y0, x1, y1), conf))
        return out

    def read_cells(self, items):
        out: list[tuple[str, float] | None] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for number, (image, hint) in enumerate(items):
            if not _has_ink(image):
                out[number] = ("", 1.0)
            else:
                groups.setdefault(hint if hint in ("digits", "email") else "text", []).append(number)
        for group, numbers in groups.items():
            lang, config = self.GROUPS[group]
            for number, (text, conf) in zip(numbers, self._montage([items[n][0] for n in numbers], lang, config)):
                out[number] = (correct(text, items[number][1]), conf)
        return [reading or ("", 0.0) for reading in out]

    def _montage(self, images: list[np.ndarray], lang: str, config: str) -> list[tuple[str, float]]:
        greys = [_trim(as_grey(img)) for img in images]
        width = max(g.shape[1] for g in greys) + 2 * self.GAP
        spans, parts, y = [], [], self.GAP
        for grey in greys:
            spans.append((y, y + grey.shape[0]))
            part = np.full((grey.shape[0] + self.GAP, width), 255, np.uint8)
            part[:grey.shape[0], self.GAP:self.GAP + grey.shape[1]] = grey
            parts.append(part)
            y += part.shape[0]
        sheet = np.vstack([np.full((self.GAP, width), 255, np.uint8), *parts])
        data = self._data(sheet, lang, config)
        # Each word goes to the crop its middle lies in; within a crop, words
        # keep Tesseract's line grouping (psm 6 may run a "line" across crops).
        lines: dict[tuple, list[int]] = {}
        for i, word in enumerate(data["text"]):
            if not word.strip() or float(data["conf"][i]) < 0:
                continue
            middle = data["top"][i] + data["height"][i] / 2
            owner = next((n for n, (a, b) in enumerate(spans) if a - self.GAP / 2 <= middle < b + self.GAP / 2), None)
            if owner is not None:
                lines.setdefault((owner, data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
        found: list[list[tuple[int, str, float]]] = [[] for _ in images]
        for (owner, *_), indices in lines.items():
            ordered = sorted(indices, key=lambda i: data["left"][i])
            text = join_words(data["text"][i] for i in ordered)
            conf = sum(float(data["conf"][i]) for i in ordered) / len(ordered) / 100
            found[owner].append((min(data["top"][i] for i in indices), text, conf))
        out = []
        for readings in found:
            if not readings:
                out.append(("", 0.0))
                continue
            readings.sort()
            out.append(("\n".join(t for _, t, _ in readings), min(c for _, _, c in readings)))
        return out


def _trim(grey: np.ndarray) -> np.ndarray:
    ys, xs = np.where(grey < INK)
    if not len(ys):
        return grey[:8, :8]
    return grey[max(0, ys.min() - 2): ys.max() + 3, max(0, xs.min() - 2): xs.max() + 3]


# ---- both -------------------------------------------------------------------

def _comparable(text: str) -> str:
    return re.sub(r"[\s:：,，.。()（）\-]", "", text).lower()


class BothEngine(OcrEngine):
    """RapidOCR's reading, trusted only as far as Tesseract agrees with it."""

    name = "both"
    rereads_with_hints = True
    DISAGREEMENT_FACTOR = 0.6

    def __init__(self, primary: OcrEngine | None = None, second: OcrEngine | None = None) -> None:
        self.primary = primary or RapidEngine()  # no second opinion of its own: this is one
        self.second = second or TesseractEngine()

    def read_text(self, image):
        return self.primary.read_text(image)

    def read_cells(self, items):
        first = self.primary.read_cells(items)
        second = self.second.read_cells(items)
        out = []
        for (text_a, conf_a), (text_b, conf_b) in zip(first, second):
            if _comparable(text_a) == _comparable(text_b):
                out.append((text_a, max(conf_a, conf_b)))
            else:
                out.append((text_a, min(conf_a, conf_b, conf_a * self.DISAGREEMENT_FACTOR)))
        return out


ENGINES = {"rapidocr": RapidEngine, "tesseract": TesseractEngine, "both": BothEngine}


def get_engine(name: str, **options) -> OcrEngine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}") from None
    return factory(**options)
