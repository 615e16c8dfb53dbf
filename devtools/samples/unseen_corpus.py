"""A corpus of forms nobody here has seen, in every format, with ground truth.

    build_unseen_corpus(formats=UNSEEN_FORMATS, applicants=24, seed=0, cache_dir=None) -> list[UnseenItem]

Each of ``applicants`` files is drawn from the layout space
(``devtools.samples.layouts.draw_file``) with a seed derived from ``seed``;
a few hold two applicants. From each: the .docx, .doc and .wps (LibreOffice),
a text PDF (LibreOffice), a scanner's image-only PDF, a flatbed JPEG scan and
a phone photo of the first page. Non-forms (a résumé in a table, a cover
letter naming the form) come once per corpus and must give no form. An
item's ``expected_forms`` lists every form the file holds, in order; the
layout family (grid2/4/6, inline, paragraphs, above, mixed) is its
``layout``, and the drawn spec's summary its ``note``.

Built corpora are cached like the project's own family: under ``cache_dir``,
keyed by the parameters and a digest of the generator's source.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pypdfium2

from devtools.samples import layouts, scans
from devtools.samples.corpus import CorpusItem
from devtools.samples.layouts import draw_file
from devtools.samples.layouts.non_forms import cover_letter_docx, resume_docx
from devtools.samples.layouts.space import sub_seed

UNSEEN_FORMATS = ("docx", "doc", "wps", "text_pdf", "scan_pdf", "scan_jpg", "photo_jpg", "non_form")
GENERATOR_VERSION = 1
SCAN_DPIS = (200, 240, 300)
PHOTO_DPI = 180  # as in the project's own corpus


@dataclass
class UnseenItem(CorpusItem):
    more_expected: list[dict] = field(default_factory=list)  # the forms after the first, in file order

    @property
    def expected_forms(self) -> list[dict]:
        return [] if self.expected is None else [self.expected, *self.more_expected]


def _raster(job: tuple) -> list[tuple[str, bytes, int]]:
    """In a worker process: (kind, seed, pdf, dpi) -> [(format, data, pages)]."""
    kind, seed, pdf, dpi, formats = job
    pages = scans.render_pages(pdf, dpi)
    if kind == "photo":
        return [("photo_jpg", scans.phone_photo(pages[0], seed), 1)]
    done = []
    if "scan_jpg" in formats:
        done.append(("scan_jpg", scans.scan_image(pages[0], seed), 1))
    if "scan_pdf" in formats:
        degraded = [scans.degrade_scan(page, sub_seed(seed, number)) for number, page in enumerate(pages)]
        done.append(("scan_pdf", scans.image_only_pdf(degraded, dpi), len(pages)))
    return done


def _convert(wanted: dict[str, dict[str, bytes]]) -> dict[str, dict[str, bytes]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {fmt: pool.submit(scans.docx_to_many, fmt, docs) for fmt, docs in wanted.items() if docs}
        return {fmt: future.result() for fmt, future in futures.items()}


def _filename(fmt: str, number: int, name: str) -> str:
    return {"docx": f"{name}-志愿服务专家报名表.docx", "doc": f"报名表（{name}）.doc", "wps": f"{name}报名表.wps",
            "text_pdf": f"{name}_申请表.pdf", "scan_pdf": f"扫描全能王 {number + 1:02d}.pdf",
            "scan_jpg": f"SCAN{number + 1:04d}.jpg", "photo_jpg": f"mmexport16{number:08d}.jpg"}[fmt]


def _build(formats: tuple[str, ...], count: int, seed: int, jobs: int) -> list[UnseenItem]:
    files = [draw_file(sub_seed(seed, "file", number)) for number in range(count)]
    wanted_rasters = {"scan_pdf", "scan_jpg", "photo_jpg"} & set(formats)
    if scans.soffice_path() is None and ({"doc", "wps", "text_pdf"} | wanted_rasters) & set(formats):
        raise scans.MissingTool("the unseen corpus needs LibreOffice (soffice) for .doc/.wps/PDF and scans")
    wanted = {"pdf": {}, "doc": {}}
    if "text_pdf" in formats:
        wanted["pdf"] = {f"form{n}": f.docx for n, f in enumerate(files)}
    if wanted_rasters:
        wanted["pdf"].update({f"print{n}": f.printable_docx for n, f in enumerate(files) if f.has_symbol_ticks})
        wanted["pdf"].update({f"form{n}": f.docx for n, f in enumerate(files) if not f.has_symbol_ticks})
    if {"doc", "wps"} & set(formats):
        wanted["doc"] = {f"form{n}": f.docx for n, f in enumerate(files)}
    if "non_form" in formats:
        wanted["pdf"]["resume"] = resume_docx(sub_seed(seed, "resume"))
    converted = _convert(wanted) if any(wanted.values()) else {}
    pdfs, docs = converted.get("pdf", {}), converted.get("doc", {})

    items: list[UnseenItem] = []
    jobs_meta: list[tuple[tuple, int]] = []
    for number, drawn in enumerate(files):
        name, family = drawn.people[0].name, drawn.spec.family

        def add(fmt: str, data: bytes, pages: int = 1, truths: list[dict] = drawn.truths) -> None:
            items.append(UnseenItem(f"{fmt}/{number:02d}-{family}", fmt, _filename(fmt, number, name), data, None,
                                    dict(truths[0]), pages, family, note=drawn.spec.summary(),
                                    more_expected=[dict(t) for t in truths[1:]]))

        if "docx" in formats:
            add("docx", drawn.docx)
        for fmt in ("doc", "wps"):
            if fmt in formats:
                add(fmt, docs[f"form{number}"])
        if "text_pdf" in formats:
            add("text_pdf", pdfs[f"form{number}"], len(pypdfium2.PdfDocument(pdfs[f"form{number}"])))
        if wanted_rasters:
            printed = pdfs[f"print{number}"] if drawn.has_symbol_ticks else pdfs[f"form{number}"]
            dpi = SCAN_DPIS[sub_seed(seed, number, "dpi") % len(SCAN_DPIS)]
            if {"scan_pdf", "scan_jpg"} & set(formats):
                jobs_meta.append((("scan", sub_seed(seed, number, "scan"), printed, dpi, formats), number))
            if "photo_jpg" in formats:
                jobs_meta.append((("photo", sub_seed(seed, number, "photo"), printed, PHOTO_DPI, formats), number))
    if jobs > 1 and len(jobs_meta) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outputs = list(pool.map(_raster, [job for job, _ in jobs_meta]))
    else:
        outputs = [_raster(job) for job, _ in jobs_meta]
    for (job, number), produced in zip(jobs_meta, outputs):
        drawn = files[number]
        pages = len(pypdfium2.PdfDocument(job[2]))
        for fmt, data, item_pages in produced:
            truths = drawn.truths
            if fmt != "scan_pdf":  # a picture of the first page: only a form that fits on it
                if pages > len(drawn.truths):
                    continue
                truths = truths[:1]
            items.append(UnseenItem(f"{fmt}/{number:02d}-{drawn.spec.family}", fmt, _filename(fmt, number, drawn.people[0].name),
                                    data, None, dict(truths[0]), item_pages, drawn.spec.family, note=drawn.spec.summary(),
                                    more_expected=[dict(t) for t in truths[1:]]))
    if "non_form" in formats:
        letter = cover_letter_docx(sub_seed(seed, "letter"))
        items += [UnseenItem("non_form/resume-docx", "non_form", "个人简历.docx", resume_docx(sub_seed(seed, "resume")),
                             None, None, 1, note="résumé in a table"),
                  UnseenItem("non_form/resume-pdf", "non_form", "简历.pdf", pdfs["resume"], None, None, 1,
                             note="résumé in a table"),
                  UnseenItem("non_form/letter-docx", "non_form", "自荐信.docx", letter, None, None, 1,
                             note="cover letter naming the form")]
    order = {fmt: index for index, fmt in enumerate(UNSEEN_FORMATS)}
    return sorted(items, key=lambda item: (order[item.format], item.name))


# ---- cache -------------------------------------------------------------------

def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(layouts.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    for module_file in (scans.__file__, __file__):
        digest.update(Path(module_file).read_bytes())
    return digest.hexdigest()[:16]


def cache_key(formats, applicants: int, seed: int) -> str:
    fonts = {kind: scans.has_font(kind) for kind in scans.FONT_FAMILIES}
    spec = {"family": "unseen", "formats": sorted(formats), "applicants": applicants, "seed": seed,
            "version": GENERATOR_VERSION, "source": _source_digest(), "soffice": scans.soffice_path() is not None,
            "fonts": fonts}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


def _save(items: list[UnseenItem], directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".corpus-", dir=directory.parent))
    manifest = []
    for number, item in enumerate(items):
        blob = f"{number:04d}.bin"
        (temp / blob).write_bytes(item.data)
        manifest.append({**{k: v for k, v in asdict(item).items() if k not in ("data", "applicant")}, "blob": blob})
    (temp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        os.replace(temp, directory)
    except OSError:  # another process cached the same corpus first
        shutil.rmtree(temp, ignore_errors=True)


def _load(directory: Path) -> list[UnseenItem] | None:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        return [UnseenItem(data=(directory / record.pop("blob")).read_bytes(), applicant=None, **record)
                for record in manifest]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def build_unseen_corpus(formats=UNSEEN_FORMATS, applicants: int = 24, seed: int = 0,
                        cache_dir: str | Path | None = None, jobs: int | None = None) -> list[UnseenItem]:
    """Every requested format of ``applicants`` drawn files (and the
    non-forms), deterministic from ``seed``; cached under ``cache_dir``."""
    formats = tuple(formats)
    unknown = set(formats) - set(UNSEEN_FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; choose from {', '.join(UNSEEN_FORMATS)}")
    directory = Path(cache_dir) / cache_key(formats, applicants, seed) if cache_dir else None
    if directory and (cached := _load(directory)) is not None:
        return cached
    items = _build(formats, applicants, seed, jobs or min(2, os.cpu_count() or 1))
    if directory:
        _save(items, directory)
    return items
