"""The golden files that are pictures of a printed form: flatbed scans and
phone photos, the image cases ``devtools.golden_inputs`` builds.

Most are a Word form printed to PDF by LibreOffice, rendered and put under
a scanner or a phone (``devtools.samples.scans``); one is drawn line by line
where a rule has to land on an exact pixel. Each case writes its values out
as they stand on the form; the truth is in the expected JSON beside it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from devtools.golden_word import (
    DECLARATION, EXPERTISE, FOUR_COLUMN_WIDTHS, MODES, TITLE, Bold, WordForm, four_columns, typed_ticks,
)
from devtools.samples import scans
from parsers.ocr.geometry import find_sheet
from parsers.ocr.keystone import frame_corners
from parsers.ocr.page_images import load_pages

PRINT_FACE = "Noto Serif CJK SC"  # this machine's stand-in for 宋体


@dataclass(frozen=True)
class PrintedPage:
    """A Word form printed on one page, rendered at ``dpi`` and captured
    (scanned or photographed) by ``capture``."""
    docx: bytes
    dpi: int
    capture: Callable[[Image.Image], bytes]


# ---- 07: the printed form, scanned and photographed ---------------------------

def printed_form(person: dict) -> bytes:
    """07: the whole printed form, as it goes under a scanner or a phone."""
    form = WordForm(PRINT_FACE, 11)
    form.title()
    form.table(four_columns([
        ("姓　　名", person["name"], "性　　别", person["gender"]),
        ("出生年月", person["birth"], "民　　族", "汉族"),
        ("政治面貌", person["party"], "学　　历", person["education"]),
        ("学　　位", person["degree"], "职　　称", person["title"]),
        ("身份证号码", person["id"]),
        ("工作单位", person["employer"], "职　　务", person["position"]),
        ("所在县（市、区）", person["county"], "手机号码", person["mobile"]),
        ("办公电话", person["office"], "电子邮箱", person["email"]),
        ("专业领域", typed_ticks(EXPERTISE, person["expertise"])),
        ("服务形式", typed_ticks(MODES, person["modes"])),
        ("专业特长", person["specialty"]),
        ("可提供志愿服务时间", person["time"]),
    ]), widths=FOUR_COLUMN_WIDTHS)
    form.paragraph(DECLARATION)
    form.paragraph(f"填表日期：{person['date']}")
    return form.bytes()


SCANNED = dict(name="林翀", gender="男", birth="1981年9月", party="群众", education="本科", degree="学士",
               title="高级工程师", id="44080219810914007X", employer="湛江市赤坎区精工模具有限公司", position="副总经理",
               county="赤坎区", mobile="13828105537", office="0759-3187642", email="linchong@jgmold.cn",
               expertise=("智能制造", "科技创新"), modes=("线下志愿服务", "精准对接"),
               specialty="注塑模具设计与生产线改造。", time="周末", date="2024年12月2日")
PHOTOGRAPHED = dict(name="许婧", gender="女", birth="1977年8月", party="中共党员", education="硕士研究生", degree="硕士",
                    title="高级经济师", id="44088319770809008X", employer="吴川市羽绒产业服务中心", position="主任",
                    county="吴川市", mobile="13680497213", office="0759-5561029", email="xujing77@163.com",
                    expertise=("政策解读", "行业发展"), modes=("线上志愿服务",),
                    specialty="产业政策解读与企业申报辅导。", time="工作日晚上", date="2024年12月5日")


# ---- 10: answers set off from their labels only by wide spaces ----------------

def glued_labels_form() -> bytes:
    """10: a paragraph form, several answers a line, each after its label
    and a run of wide spaces, no colon anywhere."""
    form = WordForm(PRINT_FACE, 11)
    form.title()
    for line in ("姓名　　　梁晓雯　　　性别　　女　　　民族　　汉族　　　出生年月　　1985年3月",
                 "政治面貌　　中共党员　　　最高学历　　大学本科　　　学位　　学士",
                 "身份证号码　　440804198503220046",
                 "工作单位　　湛江市坡头区南海渔业有限公司　　　职务　　财务负责人",
                 "职称　　高级会计师　　　所在县（市、区）　　坡头区",
                 "移动电话　　13926071584　　　办公电话（选填）　0759 3352817",
                 "电子邮箱　　liangxw85@163.com",
                 f"专业领域（可多选，请在□内打√）　{typed_ticks(EXPERTISE, ('财税', '会计'), gap=' ')}",
                 f"服务形式　　{typed_ticks(MODES, ('线上志愿服务', '精准对接'))}",
                 "专业特长　　水产企业成本核算与出口退税",
                 DECLARATION,
                 "填表日期　　2024年12月9日"):
        form.paragraph(line)
    return form.bytes()


# ---- 11: a photo too close for the sheet's edge ------------------------------

KEYSTONED = dict(name="蔡文龙", gender="男", birth="1978年6月", party="中共党员", education="本科", degree="学士",
                 title="高级农艺师", id="44088219780614003X", employer="雷州市绿丰农业科技有限公司", position="总经理",
                 county="雷州市", mobile="13692471530", office="0759-8612735", email="caiwenlong@126.com",
                 expertise=("行业发展", "科技创新"), modes=("线下志愿服务",),
                 specialty="热带水果种植与农产品加工技术推广。", time="农闲季节的周末", date="2024年12月10日")


def close_up_photo(page: Image.Image, seed: int) -> bytes:
    """The page photographed from near its foot with the phone tilted back:
    the sheet overruns the frame on every side (no edge, no desk to find it
    by) and the table comes out a trapezoid, its top rule the shorter.
    Stored turned with EXIF Orientation 6, as a phone held upright does."""
    rng = np.random.default_rng(seed)
    width, height = page.size
    # Where the page's corners land (tl, tr, br, bl), in shares of the frame.
    landed = np.array([[-0.03, -0.03], [1.03, -0.03], [1.12, 1.03], [-0.12, 1.03]]) * (width, height)
    landed += rng.uniform(-0.005, 0.005, (4, 2)) * (width, height)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, landed.astype(np.float32))
    paper = np.array([rng.uniform(232, 244), rng.uniform(228, 240), rng.uniform(214, 228)], np.float32)
    pixels = np.asarray(page.convert("RGB"), np.float32) * paper / 255
    pixels = cv2.warpPerspective(pixels, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.0 - 0.18 * (ys / height) * rng.uniform(0.8, 1.2) - 0.08 * np.abs(xs / width - 0.4)  # the phone's shadow
    pixels *= light[:, :, None] * np.array([1.0, 0.98, 0.93], np.float32)  # warm indoor light
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.9))
    pixels = np.asarray(photo, np.float32) + rng.normal(0, 3.0, (height, width, 3)).astype(np.float32)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return phone_jpeg(photo, ("HUAWEI", "nova 11"), quality=84)


def phone_jpeg(upright: Image.Image, phone: tuple[str, str], *, quality: int) -> bytes:
    """The JPEG a phone saves: the sensor's rows (turned a quarter), EXIF saying how to stand it up, and the
    phone's make and model."""
    exif = Image.Exif()
    exif[scans.EXIF_ORIENTATION] = 6
    exif[0x010F], exif[0x0110] = phone  # Make, Model
    out = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def keystoned_photo(page: Image.Image) -> bytes:
    """11: the close-up, checked to be what it pins: no sheet outline to
    cut out, a keystoned table for its rules to square."""
    photo = close_up_photo(page, seed=1111)
    [upright] = load_pages(photo, normalise=False)
    grey = np.asarray(upright, np.uint8)
    assert find_sheet(grey) is None, "the sheet's edge is found: the photo does not pin the case"
    assert frame_corners(grey) is not None, "the table is not keystoned enough to be squared by its rules"
    return photo


# ---- 12: a row of labels over a row of answers in bold brackets --------------

def labels_over_answers_form() -> bytes:
    """12: the first labels in one row over their answers, typed in bold,
    some in brackets; the rest label beside answer."""
    form = WordForm(PRINT_FACE, 11)
    form.title()
    form.table([
        ["姓名", "性别", "出生年月", "政治面貌"],
        [[Bold("谭振宇")], [Bold("[男]")], [Bold("1974年11月")], [Bold("（中共党员）")]],
        *four_columns([
            ("民族", "汉族", "学历", "本科"),
            ("身份证号码", "440802197411070039"),
            ("工作单位", "湛江市赤坎区粤西海鲜食品有限公司", "职务", "副总经理"),
            ("所在县（市、区）", "赤坎区", "手机号码", "15816027394"),
            ("电子邮箱", "tanzhenyu@yxhx.cn"),
            ("专业领域", typed_ticks(EXPERTISE, ("外贸", "企业管理"))),
            ("服务形式", typed_ticks(MODES, ("线上志愿服务", "线下志愿服务"))),
            ("专业特长", "冷冻水产品加工与出口质量管理。"),
            ("填表日期", "2024年12月11日"),
        ]),
    ], widths=FOUR_COLUMN_WIDTHS)
    return form.bytes()


# ---- 13: a tick box printed against the table's right rule -------------------

DRAWN_DPI = 200
RULE = 3  # px, a printed rule at 200 dpi
TABLE_ROWS = (("姓名", "杨启航", "性别", "男"), ("出生年月", "1983年9月", "民族", "汉族"),
              ("政治面貌", "群众", "职称", "工程师"), ("身份证号码", "440823198309170056"),
              ("工作单位", "遂溪县金穗糖业有限公司", "职务", "生产总监"),
              ("手机号码", "13750123846", "所在区县", "遂溪县"),
              ("办公电话", "0759-7726158", "电子邮箱", "yangqh@jinsui-sugar.com"))
FIRST_LINE_OPTIONS = EXPERTISE[:6]  # the rest of the list goes on the line below
TICKED = ("智能制造", "企业管理", "线下志愿服务", "精准对接")
BELOW_LISTS = ("专业特长：甘蔗制糖生产线自动化与设备管理。", "填表日期：2024年12月12日")


def _box(draw: ImageDraw.ImageDraw, left: int, top: int, side: int, ticked: bool) -> None:
    """A printed check box whose left side is the column ``left``; a pen tick in it if ticked."""
    draw.rectangle([left, top, left + side, top + side], outline=(0, 0, 0), width=RULE)
    if ticked:
        draw.line([(left + side * 0.2, top + side * 0.5), (left + side * 0.45, top + side * 0.8),
                   (left + side * 0.85, top + side * 0.15)], fill=(20, 30, 110), width=4, joint="curve")


def _options_line(draw, font, options, top: int, start: float | None = None, last_box: int | None = None) -> int:
    """Options each after its box, from ``start`` or so that the last box's
    left side is the column ``last_box``; where the line starts."""
    gap, side = font.size, font.size + 4
    widths = [side + 4 + font.getlength(option) for option in options]
    x = start if start is not None else last_box - sum(widths[:-1]) - gap * (len(options) - 1)
    first = x
    for option, width in zip(options, widths):
        _box(draw, round(x), top, side, option in TICKED)
        draw.text((x + side + 4, top + side / 2), option, font=font, fill=(15, 15, 15), anchor="lm")
        x += width + gap
    return round(first)


def tick_box_against_table_page() -> Image.Image:
    """13: the form printed from a template whose 专业领域 list follows the
    table, set so that the box of its first line's last option hangs from
    the table's bottom right corner, carrying the right rule down (its
    option printed past the table's edge)."""
    page = Image.new("RGB", (round(8.27 * DRAWN_DPI), round(11.69 * DRAWN_DPI)), "white")
    page.info["dpi"] = (DRAWN_DPI, DRAWN_DPI)
    draw = ImageDraw.Draw(page)
    font, title = scans.load_font("serif", 28), scans.load_font("serif", 44)
    draw.text((page.width / 2, 150), TITLE, font=title, fill=(10, 10, 10), anchor="mt")
    left, row_height = 157, 72
    columns = [round(share * 1340 / 17.0) for share in FOUR_COLUMN_WIDTHS]
    edges = [left + sum(columns[:number]) for number in range(5)]
    top = 260
    for number, row in enumerate(TABLE_ROWS):
        y = top + number * row_height
        cells = [(edges[at], edges[at + 1], text) for at, text in enumerate(row)] if len(row) == 4 else \
            [(edges[0], edges[1], row[0]), (edges[1], edges[4], row[1])]
        for x0, x1, text in cells:
            draw.rectangle([x0, y, x1, y + row_height], outline=(0, 0, 0), width=RULE)
            draw.text((x0 + 14, y + row_height / 2), text, font=font, fill=(15, 15, 15), anchor="lm")
    bottom = top + len(TABLE_ROWS) * row_height
    line = bottom - RULE + 1  # the boxes' tops lie on the table's bottom rule
    label = "专业领域（可多选）："
    start = _options_line(draw, font, FIRST_LINE_OPTIONS, line, last_box=edges[4] - RULE + 1)
    draw.text((start - font.getlength(label) - 4, line + (font.size + 4) / 2), label, font=font, fill=(15, 15, 15),
              anchor="lm")
    _options_line(draw, font, EXPERTISE[6:], line + 56, start=start)
    label = "服务形式："
    draw.text((left, line + 140 + (font.size + 4) / 2), label, font=font, fill=(15, 15, 15), anchor="lm")
    _options_line(draw, font, MODES, line + 140, start=left + font.getlength(label) + 4)
    for number, text in enumerate(BELOW_LISTS):
        draw.text((left, line + 210 + 64 * number), text, font=font, fill=(15, 15, 15))
    return page


def sampled_at(page: Image.Image, dpi: int) -> Image.Image:
    """The drawn page as a scanner set to ``dpi`` samples it."""
    scale = dpi / page.info["dpi"][0]
    sampled = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    sampled.info["dpi"] = (dpi, dpi)
    return sampled


# ---- building ------------------------------------------------------------------

def scanned(seed: int) -> Callable[[Image.Image], bytes]:
    return lambda page: scans.scan_image(page, seed=seed)


def photographed(seed: int) -> Callable[[Image.Image], bytes]:
    return lambda page: scans.phone_photo(page, seed=seed)


def printed_pages() -> dict[str, PrintedPage]:
    return {
        "07-flatbed-scan.jpg": PrintedPage(printed_form(SCANNED), 200, scanned(907)),
        "07-phone-photo.jpg": PrintedPage(printed_form(PHOTOGRAPHED), 180, photographed(911)),
        "10-glued-labels-scan.jpg": PrintedPage(glued_labels_form(), 170, scanned(1010)),
        "11-keystoned-photo.jpg": PrintedPage(printed_form(KEYSTONED), 180, keystoned_photo),
        "12-labels-over-answers-photo.jpg": PrintedPage(labels_over_answers_form(), 180, photographed(1212)),
    }


def drawn_pages() -> dict[str, Callable[[], bytes]]:
    return {"13-tick-box-against-table.jpg": lambda: scanned(1313)(sampled_at(tick_box_against_table_page(), 160))}


def image_files(only: str = "") -> dict[str, bytes]:
    """The image cases whose file name starts with ``only``, built."""
    return built_images(printed_pages(), drawn_pages(), only)


def built_images(printed: dict[str, PrintedPage], drawn: dict[str, Callable[[], bytes]],
                 only: str = "") -> dict[str, bytes]:
    """The pages whose file name starts with ``only``: printed (one LibreOffice run for all) and captured, or drawn."""
    wanted = {name: page for name, page in printed.items() if name.startswith(only)}
    pdfs = scans.docx_to_many("pdf", {name: page.docx for name, page in wanted.items()})
    files = {name: page.capture(scans.render_pages(pdfs[name], page.dpi)[0]) for name, page in wanted.items()}
    files.update({name: draw() for name, draw in drawn.items() if name.startswith(only)})
    return files
