"""A second reading of a name by a recogniser that knows the rare characters.

The main recogniser (PP-OCRv4, about 6,600 characters of simplified
Chinese) lacks many characters names are written with (禤, 琤, 赟, 燊, 翀)
and, having learnt the others mostly from common text, reads a rare one it
has as its common look-alike (冼 as 洗, 彧 as 或, 垚 as 逵) or drops it: the
largest loss on scans, and a name read as 钟或 was once sure enough to pass.

PP-OCRv6's recogniser (shipped in the ``rapidocr`` wheel, about 18,700
characters, run here by the same ``rapidocr_onnxruntime`` code as the
first) reads them, but it is slower and knows traditional forms too (会计
read 會計). So it reads name cells whole, and of other Chinese text only the
lines holding a character the first doubted. A name's reading changes the
first only where they disagree on Chinese characters:

* a character it is at least even-odds sure of (``WIDE_SURE``) replaces the
  first's; one the first dropped is put back however unsure (欧阳 /
  欧阳赟: a guess is no worse than nothing, and the name is doubted);
* a character outside the first's set, which is simplified Chinese, is
  first taken to its simplified form (OpenCC ``t2s``: 陳 becomes 陈; 禤,
  which has no other form, stays). One inside that set is left as read: it
  is simplified already, and t2s would turn a name's 昇 into 升.

A name the two read differently goes to review whichever reading stands,
and so does one the wide recogniser is unsure of where they agree. In other
text only the doubted characters are replaced (``doubtful_characters_replaced``).
"""
from __future__ import annotations

import functools
import importlib.util
from difflib import SequenceMatcher
from pathlib import Path
from typing import Callable

from parsers.ocr.engines.crops import as_grey, line_crops
from parsers.ocr.engines.line_reading import LineReading
from parsers.ocr.engines.readings import has_cjk

WIDE_SURE = 0.5  # a character read at less than even odds corrects nothing
# Both recognisers read 彧 as 或, the first sure of it (0.99), the wide one
# not (0.90): on the tuning draws the wide recogniser scored the characters
# of the names both read wrong 0.91 and less, those of nine in ten names
# read right 0.95 and more.
WIDE_NAME_SURE = 0.92
MODEL = "models/PP-OCRv6_rec_small.onnx"  # inside the rapidocr package


def model_path() -> Path | None:
    """The wide recogniser's weights, found without importing ``rapidocr``
    (its import pulls in a configuration system this reading does not use)."""
    spec = importlib.util.find_spec("rapidocr")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / MODEL
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=None)
def wide_recogniser(threads: int):
    """One recogniser per process and thread count, or None where the
    ``rapidocr`` wheel or OpenCC is not installed (the first reading then
    stands alone, as before)."""
    path = model_path()
    if path is None or importlib.util.find_spec("opencc") is None:
        return None
    # Lazy: onnxruntime loads only in a process that reads images.
    from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer

    # The character list travels in the model's metadata.
    return TextRecognizer({"model_path": str(path), "rec_img_shape": [3, 48, 320], "rec_batch_num": 6,
                           "intra_op_num_threads": threads, "inter_op_num_threads": 1,
                           "use_cuda": False, "use_dml": False})


@functools.lru_cache(maxsize=1)
def _to_simplified():
    import opencc  # lazy, as the recogniser: only where a name is read again

    return opencc.OpenCC("t2s").convert


def _simplified(text: str, known: frozenset[str]) -> str:
    convert = _to_simplified()
    return "".join(convert(ch) if has_cjk(ch) and ch not in known else ch for ch in text)


def _aligned(mine: list[tuple[str, float]], theirs: list[tuple[str, float]], known: frozenset[str]):
    """The wide reading made simplified, and how it lines up with the first."""
    # t2s converts character by character here, so the lengths stay equal.
    other = list(zip(_simplified("".join(ch for ch, _ in theirs), known), [p for _, p in theirs]))
    matcher = SequenceMatcher(None, "".join(ch for ch, _ in mine), "".join(ch for ch, _ in other), autojunk=False)
    return other, matcher.get_opcodes()


def merge_reading(mine: list[tuple[str, float]], theirs: list[tuple[str, float]],
                  known: frozenset[str]) -> tuple[list[tuple[str, float]], bool]:
    """The first reading of a line (each character with its probability)
    corrected by the wide one, and whether the two disagreed on a Chinese
    character. ``known``: the first recogniser's characters."""
    other, opcodes = _aligned(mine, theirs, known)
    merged: list[tuple[str, float]] = []
    disagreed = False
    for op, i1, i2, j1, j2 in opcodes:
        kept, read = mine[i1:i2], other[j1:j2]
        if op == "equal":
            merged.extend(kept)
            continue
        if not any(has_cjk(ch) for ch, _ in kept + read):
            merged.extend(kept)  # punctuation, spaces, letters: the first reading's business
            continue
        disagreed = True
        read_cjk = [(ch, p) for ch, p in read if has_cjk(ch)]
        if op == "insert":
            merged.extend(read_cjk)  # the first reading dropped them: a guess is no worse than nothing
        elif (op == "replace" and len(read_cjk) > len(kept) and all(has_cjk(ch) for ch, _ in kept)
              and all(p >= WIDE_SURE for _, p in read_cjk)):
            merged.extend(read_cjk)  # one misread and one dropped (洗 for 冼燊)
        elif op == "replace" and len(read) == len(kept):
            merged.extend(r if has_cjk(k[0]) and has_cjk(r[0]) and r[1] >= WIDE_SURE else k
                          for k, r in zip(kept, read))
        else:
            merged.extend(kept)
    return merged, disagreed


def doubtful_characters_replaced(mine: list[tuple[str, float]], theirs: list[tuple[str, float]],
                                 known: frozenset[str], below: float) -> tuple[list[tuple[str, float]], bool]:
    """A line of another field (an employer's 椹川 read 楼川, 季度 read 李度):
    only the Chinese characters the first recogniser read short of ``below``
    are replaced, one for one, by what the wide one read surely at the same
    place, each keeping the first's doubt; nothing is put back or taken out
    (on a long line the two differ in punctuation and spacing). Whether one
    was replaced."""
    other, opcodes = _aligned(mine, theirs, known)
    out = list(mine)
    for op, i1, i2, j1, j2 in opcodes:
        if op != "replace" or i2 - i1 != j2 - j1:
            continue
        for k in range(i2 - i1):
            (ch, p), (wide_ch, q) = mine[i1 + k], other[j1 + k]
            if p < below and q >= WIDE_SURE and has_cjk(ch) and has_cjk(wide_ch):
                out[i1 + k] = (wide_ch, p)
    return out, out != mine


def corrected_name(text: str, theirs: list[LineReading], known: frozenset[str]) -> tuple[str, bool]:
    """A name cell's text as first read, corrected by the wide recogniser's
    reading of its lines (``merge_reading``), and whether it is doubted: the
    two disagreed, or the wide one was unsure of a Chinese character
    (``WIDE_NAME_SURE``) even where they agree."""
    other = [(ch, p) for line in theirs for ch, p in zip(line.text, line.chars)]
    merged, disagreed = merge_reading([(ch, 1.0) for ch in text], other, known)
    unsure = any(has_cjk(ch) and p < WIDE_NAME_SURE for ch, p in other)
    return "".join(ch for ch, _ in merged), disagreed or unsure


def names_read_again(items: list[tuple], texts: list[str], recognise_wide: Callable, known: frozenset[str],
                     pad: int) -> tuple[list[str], set[int]]:
    """Name cells (``items``: image and hint; ``texts``: as first read)
    corrected by the wide recogniser, which reads their full lines only (a
    rule's end or a sliver the first reading set aside is no part of the
    name). Returns the texts and the cells doubted (``corrected_name``);
    nothing changes where the wide recogniser is not installed
    (``recognise_wide`` gives None)."""
    names = [n for n, (_, hint) in enumerate(items) if hint == "name" and texts[n]]
    lines = {n: [crop for crop, full in line_crops(as_grey(items[n][0]), pad) if full] for n in names}
    read = recognise_wide([crop for n in names for crop in lines[n]]) if names else None
    if read is None:
        return texts, set()
    texts, doubted, readings = list(texts), set(), iter(read)
    for n in names:
        texts[n], doubt = corrected_name(texts[n], [next(readings) for _ in lines[n]], known)
        if doubt:
            doubted.add(n)
    return texts, doubted


def doubtful_lines_read_again(hints: list[str], crops: list, texts: list[list[tuple]], recognise_wide: Callable,
                              known: frozenset[str], below: float) -> set[int]:
    """The lines of Chinese text (cells hinted "chinese") holding a Chinese
    character read short of ``below``, read again by the wide recogniser and
    those characters replaced where it read others surely
    (``doubtful_characters_replaced``). ``crops``: every cell's line crops,
    cell after cell; ``texts``: per cell, the readings of its crops in the
    same order (text, score, full, probabilities), changed in place.
    Returns the cells so changed, to be doubted."""
    places = [(cell, line) for cell, lines in enumerate(texts) for line in range(len(lines))]
    todo = [(crop, cell, line) for crop, (cell, line) in zip(crops, places)
            if hints[cell] == "chinese" and any(has_cjk(ch) and p < below
                                                 for ch, p in zip(texts[cell][line][0], texts[cell][line][3]))]
    wide = recognise_wide([crop for crop, _, _ in todo]) if todo else None
    changed: set[int] = set()
    for (_, cell, line), other in zip(todo, wide or []):
        text, score, full, probs = texts[cell][line]
        replaced, differs = doubtful_characters_replaced(list(zip(text, probs)), list(zip(other.text, other.chars)),
                                                         known, below)
        if differs:
            changed.add(cell)
            texts[cell][line] = ("".join(ch for ch, _ in replaced), score, full, [p for _, p in replaced])
    return changed
