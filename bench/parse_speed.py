"""Median parse time per .docx and per text PDF over the project's own sample forms.

    python -m bench.parse_speed [--forms 40]

Each file is parsed in-process (the parser alone) and through the isolated
child the worker uses (what a poll pays per attachment).
"""
from __future__ import annotations

import argparse
import statistics
import time

import parsers
from parsers.sandbox import Limits, run_isolated
from devtools.samples.forms import LAYOUTS, build_form_docx, build_form_pdf, sample_applicants


def timed(func, *args, **kwargs) -> float:
    started = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Median parse time per .docx and per PDF")
    parser.add_argument("--forms", type=int, default=40, help="sample forms per format")
    options = parser.parse_args(argv)

    applicants = sample_applicants(options.forms, seed=42)
    samples = {
        "docx": [(f"{a.name}.docx", build_form_docx(a, layout=list(LAYOUTS)[i % len(LAYOUTS)])) for i, a in enumerate(applicants)],
        "pdf": [(f"{a.name}.pdf", build_form_pdf(a)) for a in applicants],
    }
    print(f"{'format':<6} {'files':>5} {'median ms':>10} {'p90 ms':>8} {'isolated median ms':>19}")
    for kind, files in samples.items():
        for name, data in files[:3]:  # warm imports and caches
            parsers.parse(name, data)
        direct = sorted(timed(parsers.parse, name, data) for name, data in files)
        isolated = sorted(timed(run_isolated, parsers.parse, name, data, limits=Limits()) for name, data in files)
        p90 = direct[int(len(direct) * 0.9) - 1]
        print(f"{kind:<6} {len(files):>5} {statistics.median(direct) * 1000:>10.1f} {p90 * 1000:>8.1f} "
              f"{statistics.median(isolated) * 1000:>19.1f}")


if __name__ == "__main__":
    main()
