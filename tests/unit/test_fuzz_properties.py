"""Properties that must hold for any input a stranger can send.

The MIME reader and the reply headers have their own property tests
(test_mime.py, test_reply_headers.py); here: attachment filenames, the ID
checksum and the Word reader on mutated files. ``python -m devtools.fuzz``
runs the same entry points for as long as you like.
"""
from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.fuzz import SEED_DOCX, mutated, parse_outcome
from intake.mail.filenames import MAX_FILENAME_BYTES, sanitise_filename
from parsers.text.checks import check_id_number, id_check_char

HOSTILE_NAMES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="./\\:*?\"<>|\x00\r\n\t \u202e\u200b报名表.docx", max_size=60),
    st.sampled_from(["../../etc/passwd", "..", ".", "CON.docx", "nul", "a/b\\c.docx", "\u202ecod.exe", " . "]),
)


@settings(max_examples=400)
@given(HOSTILE_NAMES, st.integers(1, 99))
def test_a_sanitised_filename_is_one_safe_name(name, index):
    safe = sanitise_filename(name, index=index)
    assert safe and safe not in (".", "..")
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not any(unicodedata.category(char) in ("Cc", "Cf") for char in safe)
    assert len(safe.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert safe == safe.strip() and not safe.endswith(".")
    assert sanitise_filename(safe, index=index) == safe  # sanitising twice changes nothing


IDS = st.builds(lambda region, birth, seq: f"{region}{birth}{seq:03d}",
                st.sampled_from(["440802", "440803", "440881", "110101"]),
                st.dates().filter(lambda d: 1900 <= d.year <= 2020).map(lambda d: d.strftime("%Y%m%d")),
                st.integers(0, 999))


@given(IDS)
def test_an_id_with_its_check_character_passes(first17):
    assert check_id_number(first17 + id_check_char(first17)) == []


@given(IDS, st.integers(0, 16), st.integers(1, 9))
def test_one_digit_written_wrong_is_always_caught(first17, position, shift):
    right = first17 + id_check_char(first17)
    digit = (int(right[position]) + shift) % 10
    wrong = right[:position] + str(digit) + right[position + 1:]
    assert check_id_number(wrong) != []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SEED_DOCX) - 1), st.binary(min_size=1, max_size=16)), max_size=8))
def test_a_mutated_word_file_gives_forms_or_a_parse_error_never_anything_else(edits):
    assert parse_outcome("报名表.docx", mutated(SEED_DOCX, edits)) in ("forms", "no form", "parse error")
