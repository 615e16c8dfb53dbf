"""A corpus of sample attachments with ground truth, in every format applicants send.

    build_corpus(formats=FORMATS, applicants=8, seed=0, cache_dir=None) -> list[CorpusItem]

Each applicant from ``sample_applicants`` gets one of the four layouts in
turn, and from that one form every format is made: the .docx itself, .doc
and .wps (LibreOffice), text PDF (LibreOffice, and the reportlab one), a
scanner's image-only PDF, a flatbed JPEG scan, a phone photo, a form whose
table runs over two pages, and a copy filled in by hand. Non-forms (an ID
card photo, a certificate scan, a résumé) come once per corpus. An item's
``expected`` is what ``parsers.parse`` should find (``None``: no form, []);
for handwriting ``review_keys`` lists the fields that must come back missing
or in ``needs_review``, never as a confident value.

LibreOffice is slow to start, so all conversions of one kind run in one
call, and ``cache_dir`` keeps built corpora keyed by the parameters and a
digest of the generator's source.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pypdfium2

from devtools.samples import forms, scans
from devtools.samples.forms import LAYOUTS, Applicant, build_form_docx, build_form_pdf, build_non_form_docx, sample_applicants

FORMATS = ("docx", "doc", "wps", "text_pdf", "scan_pdf", "scan_jpg", "photo_jpg", "two_page", "handwritten",
           "non_form")
GENERATOR_VERSION = 1
LAYOUT_NAMES = tuple(LAYOUTS)
TWO_PAGE_LAYOUTS = ("table4", "table2", "merged")  # "the table split over two pages"
SCAN_DPIS = (200, 240, 300)
PHOTO_DPI = 180  # how much of a phone picture the page fills, in page dots per inch
_RASTER_FORMATS = {"scan_pdf", "scan_jpg", "photo_jpg", "two_page", "handwritten", "non_form"}


@dataclass
class CorpusItem:
    name: str  # unique, e.g. "scan_jpg/03-merged"
    format: str
    filename: str  # as an applicant would attach it
    data: bytes
    applicant: Applicant | None
    expected: dict | None  # the one form's fields; None when the file holds no form
    pages: int
    layout: str = ""
    review_keys: list[str] = field(default_factory=list)  # must be missing or flagged
    note: str = ""

    @property
    def expected_forms(self) -> list[dict]:
        return [] if self.expected is None else [self.expected]


def _seed(seed: int, *parts) -> int:
    return zlib.crc32(":".join(map(str, (seed, *parts))).encode())


def _two_page_docx(applicant: Applicant, layout: str) -> bytes:
    """The form with tall rows, as forms printed for handwriting have: the
    table no longer fits one page."""
    from docx import Document
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Cm

    document = Document(io.BytesIO(build_form_docx(applicant, layout)))
    for table in document.tables:
        for row in table.rows:
            row.height, row.height_rule = Cm(1.7), WD_ROW_HEIGHT_RULE.AT_LEAST
    document.save(out := io.BytesIO())
    return out.getvalue()


# ---- work done in worker processes (rasters are CPU-bound) -------------------

def _raster_job(job: tuple) -> list[tuple[str, bytes, int]]:
    """One raster item: (kind, inputs...) -> [(suffix, data, pages)]."""
    kind, seed = job[0], job[1]
    if kind == "scan":  # pdf bytes -> scanned JPEG of page 1 and image-only PDF of all pages
        pdf, dpi, want_pdf, want_jpg = job[2:]
        pages = scans.render_pages(pdf, dpi)
        done = []
        if want_jpg:
            done.append(("jpg", scans.scan_image(pages[0], seed), 1))
        if want_pdf:
            scanned = [scans.degrade_scan(page, _seed(seed, number)) for number, page in enumerate(pages)]
            done.append(("pdf", scans.image_only_pdf(scanned, dpi), len(pages)))
        return done
    if kind == "photo":
        pages = scans.render_pages(job[2], PHOTO_DPI)
        return [("jpg", scans.phone_photo(pages[0], seed), 1)]
    if kind == "handwritten":
        return [("jpg", scans.scan_image(scans.handwritten_form_image(job[2], seed), seed), 1)]
    if kind == "id_card":
        card = scans.id_card_image(job[2], seed)
        return [("jpg", scans.phone_photo(card, seed), 1)]
    if kind == "certificate":
        return [("jpg", scans.scan_image(scans.certificate_image(job[2], seed), seed), 1)]
    raise ValueError(kind)


# ---- building ----------------------------------------------------------------

def _convert_all(wanted: dict[str, dict[str, bytes]]) -> dict[str, dict[str, bytes]]:
    """LibreOffice conversions, one call per target format, the calls side by side."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {fmt: pool.submit(scans.docx_to_many, fmt, docs) for fmt, docs in wanted.items() if docs}
        return {fmt: future.result() for fmt, future in futures.items()}


def _build(formats: tuple[str, ...], count: int, seed: int, jobs: int) -> list[CorpusItem]:
    people = sample_applicants(count, seed)
    layouts = [LAYOUT_NAMES[number % len(LAYOUT_NAMES)] for number in range(count)]
    docx = {number: build_form_docx(person, layouts[number]) for number, person in enumerate(people)}
    have_soffice = scans.soffice_path() is not None
    if not have_soffice and ({"doc", "wps", "text_pdf"} | _RASTER_FORMATS) & set(formats):
        warnings.warn("LibreOffice (soffice) is not installed: no .doc/.wps items, and scans are made "
                      "from the reportlab PDF (table layout only)", stacklevel=3)
    needs_pdf = bool(set(formats) & (_RASTER_FORMATS | {"text_pdf"}))
    wanted = {"pdf": {}, "doc": {}}
    if have_soffice:
        if needs_pdf:
            wanted["pdf"] = {f"form{n}": data for n, data in docx.items()}
        if "two_page" in formats:
            wanted["pdf"].update({f"tall{n}": _two_page_docx(p, TWO_PAGE_LAYOUTS[n % 3]) for n, p in enumerate(people)})
        if "non_form" in formats:
            wanted["pdf"]["resume"] = build_non_form_docx()
        if {"doc", "wps"} & set(formats):
            wanted["doc"] = {f"form{n}": data for n, data in docx.items()}
    converted = _convert_all(wanted) if have_soffice else {}
    pdfs, docs = converted.get("pdf", {}), converted.get("doc", {})

    def page_pdf(number: int) -> tuple[bytes, str]:
        if f"form{number}" in pdfs:
            return pdfs[f"form{number}"], layouts[number]
        return build_form_pdf(people[number]), "table4"

    items: list[CorpusItem] = []
    raster_jobs: list[tuple[tuple, dict]] = []  # (job, how to name what it makes)
    for number, person in enumerate(people):
        layout, truth, name = layouts[number], person.expected_fields(), person.name
        tag = f"{number:02d}-{layout}"

        def add(fmt, filename, data, pages=1, item_layout=layout, **extra):
            item_tag = f"{number:02d}-{item_layout}" + extra.pop("suffix", "")
            items.append(CorpusItem(f"{fmt}/{item_tag}", fmt, filename, data, person, dict(truth), pages,
                                    item_layout, **extra))

        if "docx" in formats:
            add("docx", f"报名表-{name}.docx", docx[number])
        if "doc" in formats and f"form{number}" in docs:
            add("doc", f"{name}报名表.doc", docs[f"form{number}"])
        if "wps" in formats and f"form{number}" in docs:
            add("wps", f"{name}-专家报名表.wps", docs[f"form{number}"])
        if "text_pdf" in formats:
            if f"form{number}" in pdfs:
                add("text_pdf", f"报名表_{name}.pdf", pdfs[f"form{number}"])
            add("text_pdf", f"{name}_报名表(打印).pdf", build_form_pdf(person), item_layout="table4",
                suffix="-reportlab", note="reportlab")
        source, source_layout = page_pdf(number) if needs_pdf else (b"", layout)
        item_seed = _seed(seed, number)
        dpi = SCAN_DPIS[item_seed % len(SCAN_DPIS)]
        if {"scan_pdf", "scan_jpg"} & set(formats):
            names = {"jpg": ("scan_jpg", f"scan_2024091{number % 10}_{number + 1:04d}.jpg"),
                     "pdf": ("scan_pdf", f"扫描件_{name}.pdf")}
            raster_jobs.append((("scan", item_seed, source, dpi, "scan_pdf" in formats, "scan_jpg" in formats),
                                {"names": names, "layout": source_layout, "tag": tag, "person": number}))
        if "photo_jpg" in formats:
            raster_jobs.append((("photo", _seed(seed, number, "photo"), source),
                                {"names": {"jpg": ("photo_jpg", f"IMG_202409{number % 28 + 1:02d}_1{number:05d}.jpg")},
                                 "layout": source_layout, "tag": tag, "person": number}))
        if "two_page" in formats and f"tall{number}" in pdfs:
            tall, tall_layout = pdfs[f"tall{number}"], TWO_PAGE_LAYOUTS[number % 3]
            pages = len(pypdfium2.PdfDocument(tall))
            if number % 2:
                add("two_page", f"{name}报名表(2页).pdf", tall, pages, tall_layout, suffix="-text", note="text layer")
            else:
                raster_jobs.append((("scan", item_seed, tall, 200, True, False),
                                    {"names": {"pdf": ("two_page", f"{name}报名表扫描(2页).pdf")},
                                     "layout": tall_layout, "tag": f"{number:02d}-{tall_layout}-scan",
                                     "person": number, "note": "image-only"}))
        if "handwritten" in formats:
            raster_jobs.append((("handwritten", _seed(seed, number, "hand"), person),
                                {"names": {"jpg": ("handwritten", f"{name}手写报名表.jpg")}, "layout": "table4",
                                 "tag": f"{number:02d}-table4", "person": number, "handwritten": True}))
    if "non_form" in formats and people:
        raster_jobs.append((("id_card", _seed(seed, "id"), people[0]),
                            {"names": {"jpg": ("non_form", "身份证正面.jpg")}, "tag": "id-card"}))
        raster_jobs.append((("certificate", _seed(seed, "cert"), people[-1]),
                            {"names": {"jpg": ("non_form", "职称证书.jpg")}, "tag": "certificate"}))
        items.append(CorpusItem("non_form/resume-docx", "non_form", "个人简历.docx", build_non_form_docx(),
                                None, None, 1, note="résumé"))
        if "resume" in pdfs:
            items.append(CorpusItem("non_form/resume-pdf", "non_form", "个人简历.pdf", pdfs["resume"], None, None, 1,
                                    note="résumé"))
    items += _run_raster_jobs(raster_jobs, people, jobs)
    order = {fmt: index for index, fmt in enumerate(FORMATS)}
    return sorted(items, key=lambda item: (order[item.format], item.name))


def _run_raster_jobs(raster_jobs, people, jobs: int) -> list[CorpusItem]:
    if jobs > 1 and len(raster_jobs) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outputs = list(pool.map(_raster_job, [job for job, _ in raster_jobs]))
    else:
        outputs = [_raster_job(job) for job, _ in raster_jobs]
    items = []
    for (_, meta), produced in zip(raster_jobs, outputs):
        person = people[meta["person"]] if "person" in meta else None
        for suffix, data, pages in produced:
            fmt, filename = meta["names"][suffix]
            truth = person.expected_fields() if person else None
            review = sorted(truth) if meta.get("handwritten") else []
            items.append(CorpusItem(f"{fmt}/{meta['tag']}", fmt, filename, data, person, truth, pages,
                                    meta.get("layout", ""), review, meta.get("note", "")))
    return items


# ---- cache -------------------------------------------------------------------

def _source_digest() -> str:
    digest = hashlib.sha256()
    for module in (forms, scans):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def cache_key(formats, applicants: int, seed: int) -> str:
    fonts = {kind: scans.has_font(kind) for kind in scans.FONT_FAMILIES}
    spec = {"formats": sorted(formats), "applicants": applicants, "seed": seed, "version": GENERATOR_VERSION,
            "source": _source_digest(), "soffice": scans.soffice_path() is not None, "fonts": fonts}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


def _save(items: list[CorpusItem], directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".corpus-", dir=directory.parent))
    manifest = []
    for number, item in enumerate(items):
        blob = f"{number:04d}.bin"
        (temp / blob).write_bytes(item.data)
        record = {key: value for key, value in asdict(item).items() if key not in ("data", "applicant")}
        record["applicant"] = asdict(item.applicant) if item.applicant else None
        manifest.append({**record, "blob": blob})
    (temp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        os.replace(temp, directory)
    except OSError:  # another process cached the same corpus first
        shutil.rmtree(temp, ignore_errors=True)


def _load(directory: Path) -> list[CorpusItem] | None:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        items = []
        for record in manifest:
            data = (directory / record.pop("blob")).read_bytes()
            person = record.pop("applicant")
            items.append(CorpusItem(data=data, applicant=Applicant(**person) if person else None, **record))
        return items
    except (OSError, ValueError, TypeError, KeyError):
        return None


def build_corpus(formats=FORMATS, applicants: int = 8, seed: int = 0, cache_dir: str | Path | None = None,
                 jobs: int | None = None) -> list[CorpusItem]:
    """Every requested format for ``applicants`` sample applicants (and the
    non-forms), deterministic from ``seed``; cached under ``cache_dir``."""
    formats = tuple(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; choose from {', '.join(FORMATS)}")
    directory = Path(cache_dir) / cache_key(formats, applicants, seed) if cache_dir else None
    if directory and (cached := _load(directory)) is not None:
        return cached
    items = _build(formats, applicants, seed, jobs or min(2, os.cpu_count() or 1))
    if directory:
        _save(items, directory)
    return items
