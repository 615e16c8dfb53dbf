"""Fictional applicants for the drawn forms, and the ways each value is written.

``draw_person(rng)`` gives one applicant's true values; ``written(person,
key, rng)`` one way that applicant might write a value on paper (a date as
``1975.03`` or ``二〇二〇年九月七日``, a county as ``霞山``, an ID number in
groups). The truth stays canonical: birth_date ``YYYY-MM``, fill_date
``YYYY-MM-DD``, county's full name, ID number with an upper-case X, mobile
as 11 digits, office phone ``0759-nnnnnnn``, e-mail in lower case.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from devtools.samples.layouts.vocabulary import COUNTIES, COUNTY_WRITINGS, EXPERTISE_OPTIONS, SERVICE_OPTIONS
from parsers.text.checks import id_check_char

SURNAMES = ("陈 李 黄 林 梁 吴 杨 冯 庞 莫 邓 钟 揭 麦 詹 冼 覃 植 邝 禤 骆 柯 龙 宁 "
            "欧阳 司徒 上官 诸葛 端木 皇甫").split()
GIVEN = {"男": "伟 志强 建华 浩 俊杰 国栋 振宇 文彬 昊 晟 炜 喆 堃 彧 赟 翀 燊 垚 淼 鑫 梓轩 承熙 昇 德昌".split(),
         "女": "婷 丽娟 晓燕 静怡 慧敏 雅琪 嘉欣 婧 珺 瑜 玥 琤 晞 珏 滢 钰莹 芷若 沁 翊 蕙兰".split()}
PINYIN_HANDLES = ("zhangwei", "lixia", "chenjm", "huang_hz", "linqing", "ouyang.j", "situ2020", "mkx", "zjexpert",
                  "lianjiang.c", "xy_wu")
MAIL_DOMAINS = ("163.com", "126.com", "qq.com", "foxmail.com", "sina.com", "139.com")
EMPLOYER_PLACES = ("湛江", "湛江市", "广东", "廉江市", "吴川市", "雷州市")
EMPLOYER_CORES = ("海鸿", "粤西", "南港", "蓝海", "恒信", "鼎盛", "金沙湾", "北部湾", "椹川", "鹏程", "中粤")
EMPLOYER_KINDS = (("科技", "有限公司"), ("智能制造", "有限公司"), ("水产食品", "股份有限公司"), ("家电", "有限公司"),
                  ("会计师事务所", "（普通合伙）"), ("律师事务所", ""), ("税务师事务所", "有限公司"),
                  ("管理咨询", "有限公司"), ("进出口贸易", "有限公司"), ("信息技术", "有限公司"))
INSTITUTIONS = ("广东海洋大学", "岭南师范学院", "湛江科技学院", "湛江市生产力促进中心")
POSITIONS = ("总经理", "副总经理", "财务总监", "技术总监", "合伙人", "主任", "所长", "高级顾问", "董事长", "部门经理",
             "执行董事", "首席会计师")
ACADEMIC_POSITIONS = ("教授", "副院长", "系主任", "副教授")
TITLES = ("高级会计师", "会计师", "高级工程师", "工程师", "正高级工程师", "副教授", "教授", "一级律师", "二级律师",
          "高级经济师", "经济师", "税务师")
EDUCATION = (("本科", "学士"), ("硕士研究生", "硕士"), ("研究生", "硕士"), ("博士研究生", "博士"), ("大专", ""),
             ("大学本科", "学士"), ("本科", "管理学学士"), ("硕士研究生", "工商管理硕士"))
POLITICAL = ("中共党员", "中共预备党员", "群众", "民盟盟员", "九三学社社员", "民进会员", "致公党党员", "无党派人士",
             "共青团员")
ETHNICITIES = ("汉族",) * 8 + ("壮族", "瑶族", "黎族", "回族", "满族", "土家族")
MOBILE_PREFIXES = "138 139 135 137 150 158 159 188 187 136 189 133 180 199 166 177 198".split()
STREETS = ("人民大道中", "海滨大道南", "椹川大道", "解放西路", "康宁路", "乐山路", "观海路", "南桥南路", "体育北路",
           "九二一路")
BUILDINGS = ("", "", "金海花园3栋502房", "丽景湾B座1206", "创业大厦8楼", "（南国花园）", "2单元301")
TIMES = ("工作日晚上及周末", "每月不少于2天", "周末及节假日", "根据企业需求灵活安排", "每周二、周四下午",
         "每季度集中服务一次，其余时间线上答疑")
FIRMS = ("湛江市属国有企业", "某大型制造企业", "广州某会计师事务所", "深圳某科技公司", "湛江某外贸公司", "某律师事务所")
CHINESE_DIGITS = "〇一二三四五六七八九"


@dataclass
class Person:
    """One applicant's true answers (lists for ticks, lines for long text)."""
    name: str
    gender: str
    birth: str  # YYYY-MM-DD
    ethnicity: str
    political_status: str
    education: str
    degree: str
    title: str
    id_number: str
    employer: str
    position: str
    county: str
    mobile: str
    office_phone: str
    email: str
    address: str
    expertise: list[str] = field(default_factory=list)
    service_modes: list[str] = field(default_factory=list)
    specialty: list[str] = field(default_factory=list)  # lines
    experience: list[str] = field(default_factory=list)
    achievements: list[str] = field(default_factory=list)
    available_time: str = ""
    fill_date: str = ""  # YYYY-MM-DD

    @property
    def age(self) -> int:
        return int(self.fill_date[:4]) - int(self.birth[:4]) - (self.fill_date[5:] < self.birth[5:])


def make_id(area: str, birth: str, gender: str, rng: random.Random) -> str:
    odd_digit = rng.choice("13579" if gender == "男" else "02468")
    first17 = f"{area}{birth.replace('-', '')}{rng.randint(0, 99):02d}{odd_digit}"
    return first17 + id_check_char(first17)


def _employer(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.15:
        return rng.choice(INSTITUTIONS), rng.choice(ACADEMIC_POSITIONS)
    kind, suffix = rng.choice(EMPLOYER_KINDS)
    return f"{rng.choice(EMPLOYER_PLACES)}{rng.choice(EMPLOYER_CORES)}{kind}{suffix}", rng.choice(POSITIONS)


def _experience(start: int, employer: str, position: str, focus: str, rng: random.Random) -> list[str]:
    lines, year = [], start
    for _ in range(rng.randint(1, 3)):
        end = min(year + rng.randint(3, 9), 2019)
        lines.append(f"{year}年—{end}年　{rng.choice(FIRMS)}　从事{focus}相关工作；")
        year = end
    lines.append(f"{year}年至今　{employer}　{position}。")
    return lines


def draw_person(rng: random.Random) -> Person:
    gender = rng.choice("男女")
    name = rng.choice(SURNAMES) + rng.choice(GIVEN[gender])
    birth = f"{rng.randint(1960, 1994)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    county = rng.choice(list(COUNTIES))
    # Most were born where they live; some elsewhere in Guangdong.
    area = COUNTIES[county] if rng.random() < 0.7 and county != "湛江经济技术开发区" else \
        rng.choice(("440802", "440803", "440881", "440882", "440883", "440902", "440106", "445221"))
    education, degree = rng.choice(EDUCATION)
    employer, position = _employer(rng)
    expertise = sorted(rng.sample(EXPERTISE_OPTIONS[:-1], rng.randint(1, 4)), key=EXPERTISE_OPTIONS.index)
    modes = sorted(rng.sample(SERVICE_OPTIONS, rng.randint(1, 3)), key=SERVICE_OPTIONS.index)
    start = int(birth[:4]) + rng.randint(21, 25)
    fill_date = f"{rng.choice((2020, 2021, 2023, 2024, 2025))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    mail_user = rng.choice(PINYIN_HANDLES) + str(rng.randint(1, 99)) if rng.random() < 0.5 else \
        str(rng.randint(10**7, 10**10))
    specialty = [f"熟悉{'、'.join(expertise)}等业务，能为中小企业提供{expertise[0]}方面的咨询与辅导。"]
    if rng.random() < 0.3:
        specialty.append(f"持有{rng.choice(('注册会计师', '税务师', '法律职业资格', '信息系统项目管理师'))}证书。")
    achievements = [f"近三年累计辅导中小企业{rng.randint(5, 80)}家，协助{rng.randint(1, 12)}家企业获评专精特新企业；"]
    if rng.random() < 0.5:
        achievements.append(f"参与编写《湛江市{rng.choice(expertise)}工作指引》，获市级表彰{rng.randint(1, 3)}次。")
    else:
        achievements[-1] = achievements[-1][:-1] + "。"
    return Person(
        name=name, gender=gender, birth=birth, ethnicity=rng.choice(ETHNICITIES),
        political_status=rng.choice(POLITICAL), education=education, degree=degree, title=rng.choice(TITLES),
        id_number=make_id(area, birth, gender, rng), employer=employer, position=position, county=county,
        mobile=rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 10**8 - 1):08d}",
        office_phone=f"0759-{rng.randint(2, 3)}{rng.randint(0, 999999):06d}" if rng.random() < 0.8 else "",
        email=f"{mail_user}@{rng.choice(MAIL_DOMAINS)}".lower(),
        address=f"广东省湛江市{county}{rng.choice(STREETS)}{rng.randint(1, 299)}号{rng.choice(BUILDINGS)}",
        expertise=expertise, service_modes=modes, specialty=specialty,
        experience=_experience(start, employer, position, expertise[0], rng), achievements=achievements,
        available_time=rng.choice(TIMES), fill_date=fill_date)


# ---- writing a value on paper -------------------------------------------------

def chinese_number(value: int) -> str:
    """1..31 as written in a date: 七, 十, 十七, 二十, 三十一."""
    tens, units = divmod(value, 10)
    return (("" if tens < 2 else CHINESE_DIGITS[tens]) + "十" if tens else "") + (CHINESE_DIGITS[units] if units else "")


def write_birth(birth: str, rng: random.Random) -> str:
    year, month, day = birth.split("-")
    return rng.choice((f"{year}年{int(month)}月", f"{year}.{month}", f"{year}-{int(month)}", f"{year}/{month}/{day}",
                       f"{year}{month}", f"{year}年{month}月", f"{year}.{int(month)}", f"{year}年{int(month)}月{int(day)}日"))


def write_fill_date(date: str, rng: random.Random) -> str:
    year, month, day = date.split("-")
    numerals = "".join(CHINESE_DIGITS[int(d)] for d in year) + f"年{chinese_number(int(month))}月{chinese_number(int(day))}日"
    return rng.choice((f"{year}年{int(month)}月{int(day)}日", numerals, f"{year}.{int(month)}.{int(day)}", date,
                       f"{year}/{int(month)}/{int(day)}", f"{year}年{month}月{day}日"))


def write_county(county: str, rng: random.Random) -> str:
    if county in COUNTY_WRITINGS:
        return rng.choice(COUNTY_WRITINGS[county])
    return rng.choice((county, county, county[:-1], f"湛江市{county}"))


def written(person: Person, key: str, rng: random.Random) -> str:
    """One way ``person`` writes the value of ``key`` (not for ticks or long text)."""
    if key == "birth_date":
        return write_birth(person.birth, rng)
    if key == "fill_date":
        return write_fill_date(person.fill_date, rng)
    if key == "county":
        return write_county(person.county, rng)
    if key == "age":
        return rng.choice((f"{person.age}", f"{person.age}岁"))
    value = getattr(person, key)
    if key == "id_number":
        return rng.choice((value, value, value.lower() if value.endswith("X") else value,
                           f"{value[:6]} {value[6:14]} {value[14:]}"))
    if key == "mobile":
        return rng.choice((value, value, f"{value[:3]}-{value[3:7]}-{value[7:]}", f"{value[:3]} {value[3:7]} {value[7:]}"))
    if key == "office_phone" and value:
        area, number = value.split("-")
        return rng.choice((value, f"{area}－{number}", f"({area}){number}", f"（{area}）{number}", f"{area} {number}"))
    if key == "email":
        return value.upper() if rng.random() < 0.1 else value
    if key == "ethnicity" and value == "汉族" and rng.random() < 0.4:
        return "汉"
    return value
