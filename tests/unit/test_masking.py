import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.core.masking import mask_fields, mask_id_number, mask_phone, redact_text

FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_MOBILE = re.compile(r"1[3-9]\d{9}")


def leaks(text: str) -> bool:
    return bool(FULL_ID.search(text) or FULL_MOBILE.search(text))


@pytest.mark.parametrize(
    ("given_id", "masked"),
    [
        ("440802197805121234", "440802********1234"),
        ("44080219780512123x", "440802********123X"),
        (" 440802 19780512 123X ", "440802********123X"),
        ("440802780512123", "440802*****2123"),  # old 15-digit card
        ("G12345678", "G****5678"),  # passport-like: only the end survives
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_id_number(given_id, masked):
    assert mask_id_number(given_id) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("+86 138-1234-1234", "138****1234"),
        ("0759-2345678", "0759-***5678"),
        ("(0759)23456789", "0759-****6789"),
        ("020 12345678 转 801", "020-****5678"),
        ("13812341234/0759-2345678", "***********/****-***5678"),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_fields_masks_known_keys_and_redacts_the_rest():
    fields = {
        "name": "张喆",
        "id_number": "440802197805121234",
        "mobile": "13812341234",
        "office_phone": "0759-2345678",
        "expertise": ["财务管理", "电话 13900001111"],
        "remarks": "身份证 440802197805121234",
        "years": 12,
        "phone_as_number": 13812341234,
    }
    masked = mask_fields(fields)
    assert masked["name"] == "张喆"
    assert masked["id_number"] == "440802********1234"
    assert masked["mobile"] == "138****1234"
    assert masked["office_phone"] == "0759-***5678"
    assert masked["expertise"] == ["财务管理", "电话 139****1111"]
    assert masked["remarks"] == "身份证 440802********1234"
    assert masked["years"] == 12
    assert not leaks(repr(masked))
    assert fields["id_number"] == "440802197805121234"  # input untouched


def test_redact_text_examples():
    assert redact_text("from 13812341234 re 440802197805121234.") == "from 138****1234 re 440802********1234."
    assert redact_text("call 138-1234-1234") == "call 138-****-1234"
    assert redact_text("no numbers here 12345") == "no numbers here 12345"


def test_redact_text_does_not_leave_a_number_formed_from_what_it_kept():
    # 20 digits: masking only the first 11 would leave "0135123456789" → a new mobile.
    assert not leaks(redact_text("13800000135123456789"))


DIGITISH = st.text(alphabet="0123456789Xx -1313", max_size=60)


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=80), DIGITISH))
def test_redact_text_never_leaves_a_full_number(text):
    assert not leaks(redact_text(text))


@given(st.one_of(st.text(max_size=40), DIGITISH))
def test_masked_ids_and_phones_never_match(value):
    assert not leaks(mask_id_number(value))
    assert not leaks(mask_phone(value))


@given(
    st.dictionaries(
        st.sampled_from(["id_number", "mobile", "office_phone", "remarks", "expertise"]),
        st.one_of(DIGITISH, st.lists(DIGITISH, max_size=3), st.integers()),
    )
)
def test_mask_fields_never_leaves_a_full_number(fields):
    assert not leaks(repr(mask_fields(fields)))


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("身份证 4408 0219 7805 1212 34 号", "身份证 4408 02** **** **12 34 号"),
        ("440802-19780512-123x", "440802-********-123x"),
        ("手机１３８－１２３４－５６７８", "手机１３８－****－５６７８"),
        ("138.1234.5678", "138.****.5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
    ],
)
def test_numbers_written_in_groups_or_full_width_are_masked(written, masked):
    assert redact_text(written) == masked


@pytest.mark.parametrize("text", ["1998.07-2003.06 在某公司任职", "电话 0759-3302096", "2020-09-25 13:00 截止"])
def test_dates_and_office_lines_stay_readable(text):
    assert redact_text(text) == text


def _compact_digits(text: str) -> str:
    folded = "".join(chr(ord(c) - 0xFF10 + 48) if "０" <= c <= "９" else c for c in text)
    return re.sub(r"[^\dXx]", "", folded)


def _written(number: str, separators: list[str], full_width: list[bool]) -> str:
    out = []
    for position, digit in enumerate(number):
        if full_width[position % len(full_width)] and digit.isdigit():
            digit = chr(ord(digit) - 48 + 0xFF10)
        out.append(digit + (separators[position % len(separators)] if position < len(number) - 1 else ""))
    return "".join(out)


SEPARATORS = st.lists(st.sampled_from(["", "", "", " ", "-", ".", "\u3000", "－"]), min_size=1, max_size=18)
WIDTHS = st.lists(st.booleans(), min_size=1, max_size=18)


@settings(max_examples=300)
@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"), SEPARATORS, WIDTHS)
def test_a_mobile_however_written_is_masked(mobile, separators, widths):
    redacted = redact_text(f"联系 {_written(mobile, separators, widths)} 谢谢")
    assert mobile not in _compact_digits(redacted)


@settings(max_examples=300)
@given(st.from_regex(r"\A[0-9]{17}[0-9X]\Z"), SEPARATORS, WIDTHS)
def test_an_id_number_however_written_is_masked(id_number, separators, widths):
    redacted = redact_text(f"身份证：{_written(id_number, separators, widths)}。")
    assert id_number not in _compact_digits(redacted)
