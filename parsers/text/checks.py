"""Pure checks on normalised values.

Kept apart from extraction so every reader (docx, text PDF, later OCR) judges
values the same way. Each check returns a list of problems in Chinese, empty
when the value is fine; callers turn problems into ``needs_review``.
"""
from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

# GB 11643-1999: weights for the first 17 digits, and the check character
# indexed by (weighted sum mod 11).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
OFFICE_PHONE_PATTERN = re.compile(r"^0\d{2,3}-\d{7,8}(-\d{1,6})?$")
# Deliberately plain: one @, a dotted domain, no spaces. Staff check the rest.
EMAIL_PATTERN = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
DAY_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def id_check_char(first17: str) -> str:
    """The 18th character of a GB 11643 ID for its first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def id_birth_date(id_number: str) -> str | None:
    """``YYYY-MM-DD`` encoded in an 18-character ID, or None if not a date."""
    if not ID_PATTERN.match(id_number):
        return None
    year, month, day = int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])
    if not _is_real_day(year, month, day):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def id_gender(id_number: str) -> str | None:
    """The 17th digit is odd for men, even for women."""
    if not ID_PATTERN.match(id_number):
        return None
    return "男" if int(id_number[16]) % 2 else "女"


def check_id_number(value: str) -> list[str]:
    if len(value) == 15 and value.isdigit():
        return ["身份证号码为 15 位旧号码，请人工核对或请申请人提供 18 位号码"]
    if not ID_PATTERN.match(value):
        return [f"身份证号码“{value}”格式不正确，应为 18 位（最后一位可为 X）"]
    if id_birth_date(value) is None:
        return [f"身份证号码“{value}”中的出生日期无效"]
    if id_check_char(value[:17]) != value[17]:
        return [f"身份证号码“{value}”校验位不正确（GB 11643），可能有数字填错"]
    return []


def check_id_agrees(id_number: str, birth_date: str | None, gender: str | None) -> list[str]:
    """Cross-check the ID against the separately filled birth month and gender."""
    problems = []
    id_birth = id_birth_date(id_number)
    if id_birth and birth_date and MONTH_PATTERN.match(birth_date) and id_birth[:7] != birth_date:
        problems.append(
            f"身份证号码中的出生年月（{id_birth[:7]}）与填写的出生年月（{birth_date}）不一致"
        )
    id_sex = id_gender(id_number)
    if id_sex and gender in ("男", "女") and id_sex != gender:
        problems.append(f"身份证号码显示性别为“{id_sex}”，与填写的性别“{gender}”不一致")
    return problems


def check_mobile(value: str) -> list[str]:
    if MOBILE_PATTERN.match(value):
        return []
    return [f"手机号码“{value}”不是有效的 11 位手机号（应以 13–19 开头）"]


def check_office_phone(value: str) -> list[str]:
    if OFFICE_PHONE_PATTERN.match(value) or MOBILE_PATTERN.match(value):
        return []
    return [f"办公电话“{value}”格式无法识别（应如 0759-3302096）"]


def check_email(value: str) -> list[str]:
    if EMAIL_PATTERN.match(value):
        return []
    return [f"电子邮箱“{value}”格式不正确"]


def check_email_letters(value: str) -> list[str]:
    """An address read by OCR: in English and in pinyin a "q" is followed
    by "u" or "i"; one that is not ("zhanqwei", "linqinq3") is usually a
    "g" misread, and both engines tend to make the same mistake."""
    local = (value or "").split("@")[0].lower()
    if re.search(r"q(?![iu])", local):
        return [f"电子邮箱“{value}”中的“q”后面不是 u 或 i，可能是“g”识别有误，请对照原件核对"]
    return []


def check_month(value: str) -> list[str]:
    match = MONTH_PATTERN.match(value)
    if match and 1900 <= int(match[1]) <= date.today().year and 1 <= int(match[2]) <= 12:
        return []
    return [f"出生年月“{value}”无法识别为有效的年月"]


def check_day(value: str) -> list[str]:
    match = DAY_PATTERN.match(value)
    if match and _is_real_day(int(match[1]), int(match[2]), int(match[3])):
        return []
    return [f"日期“{value}”无法识别为有效的日期"]


def check_choice(value: str, options: tuple[str, ...], what: str) -> list[str]:
    if value in options:
        return []
    return [f"{what}“{value}”不在可选范围内（{'、'.join(options)}）"]


def _is_real_day(year: int, month: int, day: int) -> bool:
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


@lru_cache(maxsize=1)
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    lines = [line.split() for line in (Path(__file__).parent / "surnames.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    words = {word for line in lines for word in line}
    return frozenset(w for w in words if len(w) == 1), frozenset(w for w in words if len(w) == 2)


# GB/T 2260 codes of Zhanjiang's districts and counties: the first six
# digits of an ID issued there. The development zone has no code of its own.
ZHANJIANG_COUNTY_CODES = {
    "440802": "赤坎区", "440803": "霞山区", "440804": "坡头区", "440811": "麻章区", "440823": "遂溪县",
    "440825": "徐闻县", "440881": "廉江市", "440882": "雷州市", "440883": "吴川市",
}
LONGEST_PLAIN_NAME = 4  # Han names without a middle dot: a compound surname and two characters at most


def county_for_id(id_number: str) -> str | None:
    """The Zhanjiang district or county where an ID was issued (its region
    code), as the form's county option; None for an ID from elsewhere or
    not an ID. Where someone was registered at birth is not where they
    work: agreement with the form's county is a second opinion, a
    disagreement is no error."""
    if not isinstance(id_number, str) or not re.fullmatch(r"\d{6}.*", id_number):
        return None
    return ZHANJIANG_COUNTY_CODES.get(id_number[:6])


def check_name_shape(name: str) -> list[str]:
    """A Han name is two to four characters (more only with a middle dot):
    one character is a surname whose given name was lost, more than four
    usually a name run into the next cell."""
    compact = re.sub(r"\s+", "", name or "")
    if not compact or not re.fullmatch(r"[\u4e00-\u9fff]+", compact):
        return []  # written in Latin letters, or with a middle dot: nothing to say
    if len(compact) == 1:
        return [f"姓名“{compact}”只有一个字，可能漏识或漏填了名字，请对照原件核对"]
    if len(compact) > LONGEST_PLAIN_NAME:
        return [f"姓名“{compact}”有 {len(compact)} 个字且没有间隔号，可能混入了其他内容，请对照原件核对"]
    return []


def check_surname(name: str) -> list[str]:
    """A name read by OCR whose surname is not a known Chinese surname is likely misread."""
    if not name or not re.fullmatch(r"[\u4e00-\u9fff·]{2,8}", name):
        return []
    single, compound = _surnames()
    if name[:2] in compound or name[0] in single:
        return []
    return [f"姓名“{name}”的姓氏“{name[0]}”不常见，可能识别有误，请对照原件核对"]
