"""Normalising and checking the values written next to the form's labels.

Values are normalised per field kind; a value that cannot be normalised is
returned as written so the validator flags it instead of intake guessing.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from parsers.text import checks
from parsers.schema import FieldSpec
from parsers.text.label_text import fold
from parsers.text.place_names import one_character_apart
from parsers.text.ticked_options import named_options, read_ticks

ETHNIC_GROUPS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
POLITICAL_STATUS = {
    "党员": "中共党员", "共产党员": "中共党员", "中国共产党党员": "中共党员",
    "预备党员": "中共预备党员", "团员": "共青团员", "无党派": "无党派人士",
}
DEVELOPMENT_ZONE_ALIASES = ("开发区", "经开区", "经济技术开发区", "经济开发区", "湛江开发区", "湛江经开区")
CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A number in Chinese numerals: one under a hundred written with 十 ("十",
# "十二", "二十", "三十一"), or digits one by one ("二〇二〇", "一九七五").
_CN_NUMBER = re.compile(r"[一二三四五六七八九]?十[一二三四五六七八九]?|[〇零○一二三四五六七八九]+")
# A letter O (or a digit 0) beside a Chinese digit is the zero 〇 typed or read as one.
_LETTER_ZERO = re.compile(r"(?<=[〇零○一二三四五六七八九])[Oo0]|[Oo0](?=[〇零○一二三四五六七八九])")
# Symbol-font glyphs nobody could decode (Unicode private-use area) are no
# part of a written value; where tick marks may stand they are kept, so
# that an unreadable mark sends the field to review.
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_MARKED_KINDS = ("ticks", "gender")
_WRAPPED_DIGITS = re.compile(r"(?<=\d)\s+(?=\d)")
_MARKED_DATE_AND_AGE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号]\s*)?\d{1,3}\s*(?:周?岁)?\s*$")
_FILLER = re.compile(r"^[\s_＿\-—–/／\\.。·…]*$")


def clean_text(raw: str) -> str:
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in raw.splitlines()]
    return "\n".join(line for line in lines if line)


def is_blank(raw: str) -> bool:
    return bool(_FILLER.match(raw))


def normalise(spec: FieldSpec, raw: str) -> Any:
    """The normalised value, or None when nothing was filled in."""
    if raw is not None and spec.kind not in _MARKED_KINDS:
        raw = _PRIVATE_USE.sub("", raw)
    if raw is None or is_blank(raw):
        return None
    text = clean_text(raw)
    normaliser = _NORMALISERS.get(spec.kind, _text)
    return normaliser(text, spec)


_HALF_WIDTH_PARENS = re.compile(r"\s*[(（]\s*([^()（）]*[\u4e00-\u9fff][^()（）]*?)\s*[)）]")


def _text(text: str, spec: FieldSpec) -> str:
    # "（普通合伙）" typed or read as "(普通合伙)": Chinese text takes full-width brackets.
    return _HALF_WIDTH_PARENS.sub(r"（\1）", text)


_SPACE_BESIDE_HAN = re.compile(r"(?<=[\u3400-\u9fff\u3000-\u303f\uff08\uff09])[ \t\u3000]+|[ \t\u3000]+(?=[\u3400-\u9fff\u3000-\u303f\uff08\uff09])")


def _line(text: str, spec: FieldSpec) -> str:
    # Chinese is written without spaces: one beside a Han character in a
    # one-line answer is layout ("南桥南路 77 号", an OCR gap, a padded cell),
    # while one between Latin words ("TCL Technology") is kept.
    return _SPACE_BESIDE_HAN.sub("", _text(text, spec))


def _name(text: str, spec: FieldSpec) -> str:
    # "张  喆" is padding, not part of the name.
    return re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", text)


def _gender(text: str, spec: FieldSpec) -> str:
    reading = read_ticks(text, spec.options)
    if reading.has_marks:
        return reading.ticked[0] if len(reading.ticked) == 1 else text
    compact = re.sub(r"[\s()\[\]【】]", "", fold(text)).lower()  # "（男）": written in the printed brackets
    return {"男": "男", "男性": "男", "m": "男", "male": "男",
            "女": "女", "女性": "女", "f": "女", "female": "女"}.get(compact, text)


def _digit_groups(text: str) -> list[str]:
    """The numbers in a date, in order, whether written in digits (full or
    half width) or Chinese numerals; 元月 is the first month."""
    return re.findall(r"\d+", _numerals_as_digits(text))


def _numerals_as_digits(text: str) -> str:
    """The text with Chinese numerals as digits (each number set apart by
    spaces: "二〇一九年" has no digits to run into), markers (年, 月, 日) kept."""
    text = _LETTER_ZERO.sub("〇", fold(text)).replace("元月", "1月")
    return _CN_NUMBER.sub(lambda match: f" {_cn_number(match.group(0))} ", text)


def _cn_number(chars: str) -> str:
    if "十" not in chars:  # a year written digit by digit: 二〇二〇
        return "".join(str(CN_DIGITS[ch]) for ch in chars)
    tens, _, ones = chars.partition("十")
    return str((CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0))


def _date_parts(text: str, count: int) -> Optional[list[str]]:
    """Year, month (and day) as written, year first and in four digits; None
    when the text is not such a date. Digits run together ("197503",
    "20200907") are cut by position; digits split by a space where a
    narrow cell wrapped them ("1970/09/2 1") are one number again when
    the date has no room for another."""
    groups = _digit_groups(text)
    marked = _MARKED_DATE_AND_AGE.match(" ".join(_numerals_as_digits(text).split()))
    if len(groups) > 3 and marked:
        # "1976年10月4日44": a date written with its markers ends at the last
        # one; a number after it (an age, where the label asked
        # "出生年月（年龄）"), its gap lost to a wrap, is no part of it.
        groups = [group for group in marked.groups()[:3] if group]
    elif len(groups) > 3:
        groups = _digit_groups(_WRAPPED_DIGITS.sub("", text))
    if len(groups) == 1 and len(groups[0]) in (6, 8):
        whole = groups[0]
        groups = [whole[:4], whole[4:6]] + ([whole[6:]] if len(whole) == 8 else [])
    if len(groups) < count or len(groups[0]) != 4 or any(len(group) > 2 for group in groups[1:count]):
        return None
    return groups


# A period of a work history ("2005年—2014年某企业从事…工作；") ends in a
# semicolon, and OCR reads it as a colon: one closing an item that opened
# with a year, before the next item's year, is that semicolon.
_PERIOD_ITEM_COLON = re.compile(r"(?:^|(?<=[；;。\n]))(\s*\d{4}\s*年[^；;。：:\n]*?[\u4e00-\u9fff])[：:](?=\s*\d{4}\s*年)")


def with_period_semicolons(text: str) -> str:
    """OCR'd text with the semicolon that ends a work history's period put
    back where it was read as a colon (never for typed text: the
    applicant's own punctuation stands)."""
    return _PERIOD_ITEM_COLON.sub(r"\1；", text)


def _month(text: str, spec: FieldSpec) -> Optional[str]:
    if not _digit_groups(text):
        return None
    parts = _date_parts(text, 2)
    if parts is None or len(parts) > 3:
        return text  # a two-digit year is not guessed: the validator flags it
    return f"{parts[0]}-{int(parts[1]):02d}"


def _day(text: str, spec: FieldSpec) -> Optional[str]:
    if not _digit_groups(text):
        return None  # the printed "年 月 日" left empty
    parts = _date_parts(text, 3)
    if parts is None or len(parts) != 3:
        return text
    return f"{parts[0]}-{int(parts[1]):02d}-{int(parts[2]):02d}"


def _ethnicity(text: str, spec: FieldSpec) -> str:
    return text + "族" if text in ETHNIC_GROUPS else text


def _political_status(text: str, spec: FieldSpec) -> str:
    return POLITICAL_STATUS.get(text.replace(" ", ""), text)


def _id_number(text: str, spec: FieldSpec) -> str:
    compact = re.sub(r"[\s\-]", "", fold(text)).upper()
    return compact if re.fullmatch(r"[\dX]+", compact) else text


def _mobile(text: str, spec: FieldSpec) -> str:
    folded = fold(text)
    if not re.fullmatch(r"[\d\s\-+()]+", folded):
        return text
    digits = re.sub(r"\D", "", folded)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


# The brackets around an area code, whatever shape OCR gave them ("【0759】").
_AREA_CODE_BRACKETS = str.maketrans({**dict.fromkeys("[【〔［", "("), **dict.fromkeys("]】〕］", ")")})


def _office_phone(text: str, spec: FieldSpec) -> str:
    # Spaces inside the number (or its brackets) are layout, PDF character spacing or an OCR gap.
    folded = re.sub(r"(?<=\d)\s+(?=\d)|(?<=\()\s+|\s+(?=\))", "", fold(text).strip().translate(_AREA_CODE_BRACKETS))
    match = re.fullmatch(r"\(?(0\d{2,3})\)?[\s\-]*(\d{7,8})(?:\s*(?:-|转|ext\.?)\s*(\d{1,6}))?", folded)
    if match:
        area, number, extension = match.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    digits = re.sub(r"[\s\-]", "", folded)
    if checks.MOBILE_PATTERN.match(digits):
        return digits
    return text


def _email(text: str, spec: FieldSpec) -> str:
    folded = fold(text).strip().lower()
    folded = _TLD_LOOKALIKES.sub(lambda m: "." + m.group(1).translate(_DIGIT_AS_LETTER), folded.removeprefix("mailto:"))
    if " " not in folded:
        return folded
    # An address has no spaces: one inside it is where a narrow cell wrapped
    # it ("…@163.co" / "m"), when what is left is a single address.
    joined = re.sub(r"\s+", "", folded)
    return joined if checks.EMAIL_PATTERN.fullmatch(joined) else text


# A top-level domain is letters only: a digit in it is a letter read as a digit (".c0m").
_TLD_LOOKALIKES = re.compile(r"(?<=[^@\s])\.((?=[a-z01]*[a-z])(?=[a-z01]*[01])[a-z01]{2,})$")
_DIGIT_AS_LETTER = str.maketrans({"0": "o", "1": "l"})


def _county(text: str, spec: FieldSpec) -> str:
    compact = re.sub(r"\s+", "", fold(text))
    if compact in spec.options:
        return compact
    contained = [option for option in spec.options if option in compact]
    if len(contained) == 1:
        return contained[0]
    short = re.sub(r"^(广东省)?(湛江市?)?", "", compact) or compact
    if short in DEVELOPMENT_ZONE_ALIASES or compact in DEVELOPMENT_ZONE_ALIASES:
        return next(option for option in spec.options if "开发区" in option)
    for option in spec.options:
        if len(option) == 3 and short == option[:2]:
            return option
    return text


def option_one_character_off(text: str, options: tuple[str, ...]) -> Optional[str]:
    """The one county option ``text`` is a single character away from,
    written in full or short ("逐溪" for 遂溪县: OCR's look-alike of a
    character it hardly knows); None when none or several are."""
    compact = re.sub(r"^(广东省)?(湛江市?)?", "", re.sub(r"\s+", "", fold(text)))
    forms = [(option, option) for option in options] + [(option[:2], option) for option in options if len(option) == 3]
    near = {option for form, option in forms
            if len(form) >= 2 and one_character_apart(compact, form)}
    return near.pop() if len(near) == 1 else None


def _ticks(text: str, spec: FieldSpec) -> Optional[list[str]]:
    reading = read_ticks(text, spec.options)
    if reading.has_marks:
        return reading.ticked or None
    # Retyped forms sometimes just list the choices: "财税、会计", "线上，对接".
    named = named_options(text, spec.options)
    if named is None:
        return [text]
    if len(named) == len(spec.options) > 3:
        # Every option of a long list named: the printed list whose marks
        # were lost, not a choice. Kept as written so it goes to review.
        return [text]
    return named


_NORMALISERS = {
    "text": _line, "longtext": _text, "name": _name, "gender": _gender,
    "month": _month, "day": _day, "ethnicity": _ethnicity,
    "political_status": _political_status, "id_number": _id_number,
    "mobile": _mobile, "office_phone": _office_phone, "email": _email,
    "county": _county, "ticks": _ticks,
}


def validate(spec: FieldSpec, value: Any) -> list[str]:
    """Problems with a normalised value, in Chinese; empty when it passes."""
    if spec.kind == "ticks":
        unknown = [item for item in value if item not in spec.options]
        if unknown:
            return [f"{spec.label}填写了无法识别的选项“{'、'.join(unknown)}”，请人工核对"]
        return []
    check = {
        "id_number": checks.check_id_number,
        "mobile": checks.check_mobile,
        "office_phone": checks.check_office_phone,
        "email": checks.check_email,
        "month": checks.check_month,
        "day": checks.check_day,
    }.get(spec.validator or "")
    if check:
        return check(value)
    if spec.validator in ("county", "gender"):
        return checks.check_choice(value, spec.options, spec.label)
    return []
