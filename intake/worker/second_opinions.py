"""Second opinions on a parsed form from what surrounds it in the mail.

The applicant's own keyboard often writes their name around the form: the
sender's display name, the subject, the attachment's filename, a signature
line. OCR misreads a rare character or drops it; the mail does not. And the
form's county can be checked against the county named in its own address
and the region code of its ID number.

Agreement raises a field's confidence; a near miss (one character
different, one character dropped) flags the field with what disagrees. A
completely different name is someone forwarding a colleague's form, not an
error. Nothing here ever changes a value: only flags and confidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import islice

from intake.mail.parsed import MailAttachment, ParsedMail
from parsers.results import FormResult
from parsers.schema import load_schema
from parsers.text import checks
from parsers.text.assemble import HANDWRITTEN, REVIEW_CONFIDENCE
from parsers.text.fields import DEVELOPMENT_ZONE_ALIASES

AGREED_CONFIDENCE = 0.95
FORM_TITLE = "湛江市中小企业志愿服务专家报名表"
# Words of mail about the form that sit beside a name ("张伟报名表",
# "转发：张伟的申请材料", "张经理"): cut out so the name stands alone. Should one be
# part of a real name, cutting it leaves a piece shorter than the name read
# right, which is never a near miss (those are as long or longer): an
# opinion lost, never a false flag.
MAIL_WORDS = (
    "报名表", "申请表", "登记表", "报名", "申请", "材料", "附件", "扫描件", "扫描", "照片", "图片", "简历",
    "个人", "本人", "转发", "回复", "答复", "提交", "发送", "查收", "谢谢", "您好", "你好", "此致", "敬礼",
    "专家库", "加入", "参加", "补充", "完整", "修改", "更新", "最新", "逾期", "单位", "公司", "有限",
    "祝好", "同志", "先生", "女士", "老师", "经理", "总监", "主任", "部长", "所长", "院长", "书记", "董事长",
    "的",
)
# A surname with a title ("张总", "陈工") addresses a person without naming them.
TITLE_SUFFIXES = "总工"
# Form words: every piece of the form's title ("专家", "志愿服务", "湛江市").
CUT_WORDS = frozenset(MAIL_WORDS) | {FORM_TITLE[i:j] for i in range(len(FORM_TITLE))
                                    for j in range(i + 2, len(FORM_TITLE) + 1)}
LONGEST_CUT = max(map(len, CUT_WORDS))
CHINESE_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Where the applicant's own words end in a reply: the quoted earlier message.
QUOTE_START = re.compile(r"^\s*(>|-{2,}|—{2,})|原始邮件|Original Message|写道[:：]?\s*$", re.IGNORECASE)
SIGNATURE_MAX_CHARS = 8  # a body line this short may be a signature
NAME_DISAGREES = "姓名识别为“{name}”，但{sources}中为“{candidate}”，请对照原件核对"
NAME_CONFIRMED = "姓名“{name}”识别把握不大，但与{sources}一致，已采信"
LOW_CONFIDENCE_NAME = re.compile(r"^“姓名”识别把握不大（置信度 [\d.]+）")
COUNTY_DISAGREES = "{label}填写为“{county}”，但通讯地址中为“{address_county}”{id_note}，请核对"
COUNTY_HINT = "{label}{state}；供参考：{hints}"


@dataclass(frozen=True)
class MailFacts:
    """What the mail says around one attachment, as the sender typed it."""

    sender_name: str = ""
    subjects: tuple[str, ...] = ()  # the mail's, and the forwarded mail's when the file came in one
    filename: str = ""
    body_text: str = ""


def mail_facts(mail: ParsedMail, attachment: MailAttachment) -> MailFacts:
    subjects = (mail.subject,)
    if attachment.origin == "forwarded" and attachment.container:
        subjects += (attachment.container,)
    return MailFacts(sender_name=mail.from_name, subjects=subjects, filename=attachment.filename,
                     body_text=mail.body_text)


def with_second_opinions(result: FormResult, facts: MailFacts) -> FormResult:
    """The same form, its name and county confirmed or flagged by the mail and the form itself."""
    adjusted = replace(result, confidence=dict(result.confidence), needs_review=list(result.needs_review),
                       warnings=list(result.warnings))
    _second_opinion_on_name(adjusted, facts)
    _second_opinion_on_county(adjusted)
    return adjusted


# ---------------------------------------------------------------- name

def name_candidates(facts: MailFacts) -> dict[str, list[str]]:
    """Candidate name → where in the mail it was written ("发件人", "邮件主题", ...)."""
    sources = [("发件人", facts.sender_name), *(("邮件主题", subject) for subject in facts.subjects),
               ("附件文件名", re.sub(r"\.[A-Za-z0-9]{1,5}$", "", facts.filename)),
               *(("邮件正文", line) for line in _signature_lines(facts.body_text))]
    found: dict[str, list[str]] = {}
    for where, text in sources:
        for run in CHINESE_RUN.findall(text or ""):
            for piece in _pieces(run):
                if 2 <= len(piece) <= 4 and not (len(piece) <= 3 and piece[-1] in TITLE_SUFFIXES):
                    places = found.setdefault(piece, [])
                    if where not in places:
                        places.append(where)
    return found


def _signature_lines(body: str) -> list[str]:
    own = []
    for line in islice(body.splitlines(), 40):
        if QUOTE_START.search(line):
            break
        own.append(line.strip())
    return [line for line in own if 0 < len(line) <= SIGNATURE_MAX_CHARS]


def _pieces(run: str) -> list[str]:
    """A run of Chinese characters cut at the mail and form words in it, longest word first."""
    pieces, start, at = [], 0, 0
    while at < len(run):
        word = next((run[at:end] for end in range(min(len(run), at + LONGEST_CUT), at, -1)
                     if run[at:end] in CUT_WORDS), None)
        if word is None:
            at += 1
            continue
        pieces.append(run[start:at])
        at = start = at + len(word)
    pieces.append(run[start:])
    return [piece for piece in pieces if piece]


def _near_variant(name: str, candidate: str) -> bool:
    """One character read differently, or one character dropped from the candidate."""
    if len(name) == len(candidate):
        return sum(a != b for a, b in zip(name, candidate)) == 1
    if len(name) + 1 == len(candidate):
        return any(candidate[:i] + candidate[i + 1:] == name for i in range(len(candidate)))
    return False


def _second_opinion_on_name(result: FormResult, facts: MailFacts) -> None:
    name = result.fields.get("name")
    if not isinstance(name, str) or not name:
        return
    candidates = name_candidates(facts)
    if name in candidates:
        sources = "、".join(candidates[name])
        if "name" in result.needs_review:
            _confirm_doubtful_name(result, name, sources)
        if "name" not in result.needs_review:
            result.confidence["name"] = max(result.confidence.get("name", 0.0), AGREED_CONFIDENCE)
        return
    # Only a candidate that is itself a plausible name (a known surname)
    # can show a misread; any other near miss is a word, not a person.
    for candidate, places in candidates.items():
        if _near_variant(name, candidate) and not checks.check_surname(candidate):
            _flag(result, "name", NAME_DISAGREES.format(name=name, sources="、".join(places), candidate=candidate))


def _confirm_doubtful_name(result: FormResult, name: str, sources: str) -> None:
    """Un-flag a name the parser doubted only for how OCR read it.

    The mail's copy was typed by the applicant (or whoever sent the form),
    so an exact match is a second reading no misread lands on by chance:
    it settles a low OCR confidence or an unlisted surname. Any other reason
    (a cut value, a label in the value, a hand-filled form) still stands.
    """
    doubts = [w for w in result.warnings if LOW_CONFIDENCE_NAME.match(w) or w in checks.check_surname(name)]
    others = [w for w in result.warnings if w not in doubts and ("姓名" in w or f"“{name}”" in w)]
    handwritten = HANDWRITTEN.split("{")[0]
    if not doubts or others or any(w.startswith(handwritten) for w in result.warnings):
        return
    result.needs_review.remove("name")
    result.warnings = [w for w in result.warnings if w not in doubts]
    result.warnings.append(NAME_CONFIRMED.format(name=name, sources=sources))


# ---------------------------------------------------------------- county

def counties_in_address(address: str) -> set[str]:
    """The counties an address names: in full ("霞山区"), short ("霞山", "开发区") but not as a street ("霞山路")."""
    compact = re.sub(r"\s+", "", address)
    found = set()
    for county in load_schema().spec_for("county").options:
        words = DEVELOPMENT_ZONE_ALIASES if "开发区" in county else (county[:-1],)
        if county in compact or any(re.search(re.escape(word) + r"(?![路街道巷])", compact) for word in words):
            found.add(county)
    return found


def _second_opinion_on_county(result: FormResult) -> None:
    fields, review = result.fields, result.needs_review
    label = load_schema().label_for("county")
    address = fields.get("address") if "address" not in review else None
    named = counties_in_address(address) if isinstance(address, str) else set()
    address_county = next(iter(named)) if len(named) == 1 else None  # two counties: no opinion
    id_number = fields.get("id_number") if "id_number" not in review else None
    id_county = checks.county_for_id(id_number) if isinstance(id_number, str) else None
    county = fields.get("county")
    if not county or "county" in review:
        # The ID tells where the applicant was registered, the address where
        # they live: hints for staff filling in the county, not a verdict.
        hints = [f"通讯地址在“{address_county}”" if address_county else "",
                 f"身份证号码归属地为“{id_county}”" if id_county else ""]
        if any(hints):
            state = "需核对" if county else "未填写"
            _warn(result, COUNTY_HINT.format(label=label, state=state, hints="，".join(filter(None, hints))))
        return
    if address_county and address_county != county:
        id_note = f"（身份证号码归属地为“{id_county}”）" if id_county else ""
        _flag(result, "county", COUNTY_DISAGREES.format(label=label, county=county, address_county=address_county,
                                                        id_note=id_note))
    elif county in (address_county, id_county):
        result.confidence["county"] = max(result.confidence.get("county", 0.0), AGREED_CONFIDENCE)


def _flag(result: FormResult, key: str, problem: str) -> None:
    if key in result.confidence:  # as the parser scores a field it flags
        result.confidence[key] = min(result.confidence[key], REVIEW_CONFIDENCE)
    if key not in result.needs_review:
        result.needs_review.append(key)
        order = {k: n for n, k in enumerate(load_schema().keys)}
        result.needs_review.sort(key=lambda k: order.get(k, len(order)))
    _warn(result, problem)


def _warn(result: FormResult, note: str) -> None:
    if note not in result.warnings:
        result.warnings.append(note)
