"""Throw mutated mail and Word files at intake's entry points for as long as you like.

    python -m devtools.fuzz [--target mime|docx|both] [--seconds 60] [--seed N]

Every input must come back as a result: ``parse_mail`` never raises, and
``parsers.parse`` gives forms, no form, or a ``ParseError`` (a status staff
see). Anything else is printed with the seed that reproduces it and the
exit status is 1. The unit tests run the same properties for a few seconds
(tests/unit/test_fuzz_properties.py, test_mime.py).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from intake.mail.mime import parse_mail
from parsers import parse
from parsers.errors import ParseError

_APPLICANT = sample_applicants(1, seed=5)[0]
SEED_DOCX = build_form_docx(_APPLICANT)
SEED_MAIL = emails.netease_mail(sender_name=_APPLICANT.name, sender_address=_APPLICANT.email,
                                subject=f"报名表-{_APPLICANT.name}", body="附件是报名表",
                                attachments=[("报名表.docx", SEED_DOCX)])


def mutated(data: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, replacement in edits:
        out[position:position + len(replacement)] = replacement
    return bytes(out)


def parse_outcome(filename: str, data: bytes) -> str:
    """What ``parsers.parse`` made of it; raises on anything that is not a status."""
    try:
        return "forms" if parse(filename, data) else "no form"
    except ParseError:
        return "parse error"


def _random_edits(rng: random.Random, size: int) -> list[tuple[int, bytes]]:
    return [(rng.randrange(size), rng.randbytes(rng.randint(1, 16))) for _ in range(rng.randint(1, 8))]


def run(target: str, seconds: float, seed: int) -> int:
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    tried = failures = 0
    while time.monotonic() < deadline:
        case_seed = rng.randrange(2**32)
        case = random.Random(case_seed)
        kind = target if target != "both" else case.choice(("mime", "docx"))
        try:
            if kind == "mime":
                parse_mail(mutated(SEED_MAIL, _random_edits(case, len(SEED_MAIL))))
            else:
                parse_outcome("报名表.docx", mutated(SEED_DOCX, _random_edits(case, len(SEED_DOCX))))
        except Exception:  # noqa: BLE001 - what we are looking for
            failures += 1
            print(f"{kind} case seed {case_seed}: {traceback.format_exc(limit=-3)}", file=sys.stderr)
        tried += 1
        if tried % 200 == 0:
            print(f"\r{tried} inputs, {failures} failures", end="", file=sys.stderr)
    print(f"\n{tried} inputs in {seconds:g} s, {failures} failures")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("mime", "docx", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return run(args.target, args.seconds, args.seed)


if __name__ == "__main__":
    sys.exit(main())
