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
