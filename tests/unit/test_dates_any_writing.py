"""Dates read the same however the applicant wrote them.

A birth month and a fill-in date come in digits or Chinese numerals, with
年/月/日 or dots, dashes and slashes, in full- or half-width digits, or run
together. A two-digit year is not guessed: it is kept as written so the
check flags it for staff.
"""
from __future__ import annotations

import pytest

from parsers.schema import load_schema
from parsers.text.fields import normalise, validate

BIRTH = load_schema().spec_for("birth_date")
FILLED = load_schema().spec_for("fill_date")


@pytest.mark.parametrize("written,month", [
    ("1975年3月", "1975-03"), ("1975.03", "1975-03"), ("1975-3", "1975-03"), ("1975/03/08", "1975-03"),
    ("197503", "1975-03"), ("19750308", "1975-03"), ("１９７５年３月", "1975-03"), ("1975 年 3 月", "1975-03"),
    ("一九七五年三月", "1975-03"), ("一九七五年十一月", "1975-11"), ("1975年元月", "1975-01"),
    ("一九七〇年十月", "1970-10"), ("一九七O年十月", "1970-10"),  # the zero typed as a letter O
])
def test_a_birth_month_in_any_common_writing(written, month):
    assert normalise(BIRTH, written) == month
    assert validate(BIRTH, month) == []


@pytest.mark.parametrize("written,day", [
    ("2020年9月7日", "2020-09-07"), ("2020.9.7", "2020-09-07"), ("2020-09-07", "2020-09-07"),
    ("2020/9/7", "2020-09-07"), ("20200907", "2020-09-07"), ("２０２０年９月７日", "2020-09-07"),
    ("二〇一九年十二月三十一日", "2019-12-31"), ("二〇二〇年十月八日", "2020-10-08"),
    ("二〇二〇年二月二十日", "2020-02-20"), ("二零二零年一月十日", "2020-01-10"),
    ("二〇二〇十月八日", "2020-10-08"),  # no 年: the year's digits and 十月 still come apart
])
def test_a_fill_in_date_in_any_common_writing(written, day):
    assert normalise(FILLED, written) == day
    assert validate(FILLED, day) == []


@pytest.mark.parametrize("written", ["75年3月", "75.3"])
def test_a_two_digit_year_is_kept_as_written_and_flagged(written):
    assert normalise(BIRTH, written) == written
    assert validate(BIRTH, written) != []


def test_a_fill_in_date_without_its_day_is_flagged_not_guessed():
    assert normalise(FILLED, "2020年9月") == "2020年9月"
    assert validate(FILLED, "2020年9月") != []


def test_the_printed_date_left_empty_is_no_date():
    assert normalise(FILLED, "    年    月    日") is None


@pytest.mark.parametrize("written,month", [
    ("1970/09/2 1", "1970-09"),  # a birth date wrapped in a narrow PDF cell
    ("1983年11 月", "1983-11"),
])
def test_a_date_wrapped_inside_a_number_reads_as_one_number(written, month):
    assert normalise(BIRTH, written) == month


def test_a_date_with_an_age_after_it_is_not_joined_to_the_age():
    # 出生年月（年龄）answered "1983年11月7日 41": the 日 closes the date, so what
    # follows is the age the label asked for, whether or not a wrap lost the gap.
    assert normalise(BIRTH, "1983年11月7日 41") == "1983-11"
    assert normalise(BIRTH, "1976年10月4日44") == "1976-10"
    assert normalise(BIRTH, "1977年7月25日　43岁") == "1977-07"
