"""The OCR path beside the bare engine, for ``bench.parse_accuracy``.

``reference_pass`` times the whole OCR path (``parsers.parse``) and one
full-page read of the engine on each flatbed scan, both in one fresh
process on one core, one thread, interleaved page by page so the
machine's noise hits them alike.
"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import time

from devtools.samples.corpus import CorpusItem

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_THREAD_LIMIT")


def _find_page_reader(engine_name: str):
    """(read(image) -> anything, description), or (None, why not)."""
    try:
        from parsers.ocr import engines
    except ImportError as exc:
        return None, f"parsers.ocr.engines not importable ({exc})"
    get_engine = getattr(engines, "get_engine", None)
    if not callable(get_engine):
        return None, "parsers.ocr.engines has no get_engine()"
    try:
        engine = get_engine(engine_name)
    except Exception as exc:  # noqa: BLE001 - an engine that cannot start is reported, not fatal
        return None, f"get_engine({engine_name!r}) failed: {type(exc).__name__}: {exc}"
    read = getattr(engine, "read_text", None)
    return (read, f"get_engine({engine_name!r}).read_text") if callable(read) else (None, "engine has no read_text()")


def _reference_worker(connection, engine_name: str, options, pages: list[tuple[str, bytes]]) -> None:
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: the models then run one thread
    import io

    import numpy as np
    from PIL import Image, ImageOps

    from parsers import parse

    read, description = _find_page_reader(engine_name)
    if read is None:
        connection.send({"available": False, "reason": description})
        return
    arrays = [np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))[:, :, ::-1])
              for _, data in pages]
    read(arrays[0])  # load the models
    parse(*pages[0], options=options)
    path, reference = [], []
    # Interleaved, so a busy moment on the machine slows both alike.
    for (filename, data), array in zip(pages, arrays):
        started = time.perf_counter()
        parse(filename, data, options=options)
        path.append(time.perf_counter() - started)
        started = time.perf_counter()
        read(array)
        reference.append(time.perf_counter() - started)
    connection.send({"available": True, "reader": description, "pages": len(pages),
                     "path_seconds_per_page": statistics.median(path),
                     "seconds_per_page_median": statistics.median(reference),
                     "ratio": statistics.median(path) / statistics.median(reference)})


def reference_pass(items: list[CorpusItem], engine_name: str, options, timeout: float) -> dict:
    """The whole OCR path (``parse``) and one full-page read of the engine
    on each flatbed scan, in one fresh process on one core, one thread."""
    pages = [(item.filename, item.data) for item in items if item.format == "scan_jpg"]
    if not pages:
        return {"available": False, "reason": "no scan_jpg pages in the corpus"}
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_reference_worker, args=(child, engine_name, options, pages), daemon=True)
    process.start()
    child.close()
    try:
        if parent.poll(2 * timeout * len(pages)):
            return parent.recv()
        return {"available": False, "reason": "timed out"}
    except EOFError:
        return {"available": False, "reason": "the reference process died"}
    finally:
        process.kill()
        process.join()
