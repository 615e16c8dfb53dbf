"""Server time of the review app's pages with a whole province of applications in the database.

    python -m bench.review_app [--applications 100000] [--backend sqlite|postgresql|both]

Generates N applications (one message each; realistic fields, counties,
statuses and fields to check) with bulk Core inserts, then, in a fresh
process (so its memory is the web app's alone), signs in as an admin with
Flask's test client and times: queue pages (unfiltered, filtered, searched by
the last four digits of a phone, deep keyset pages), detail pages, the
dashboard (uncached and cached), and the provincial report of 10,000
approved experts as .xlsx; then the process's peak RSS. PostgreSQL runs in a
private cluster (devtools.servers.PostgresServer). Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from intake.core.config import load_settings, settings_from_mapping
from intake.core.db import Runtime
from intake.core.migrate import upgrade_database
from intake.core.models import Application, ApplicationSearch, Message, search_text
from intake.core.statuses import ApplicationStatus, MessageStatus, StaffRole
from parsers.text.checks import id_check_char
from review.accounts import add_user
from review.app import create_app
from review.request_scope import figures_cache

PROJECT = Path(__file__).resolve().parents[1]
CAMPAIGN = "bench-2020"
PASSWORD = "bench password 2020"
CHUNK = 5000
APPROVED_EVERY = 10  # every tenth application is approved: 10,000 experts at 100,000
TARGETS_MS = {"queue": 100.0, "detail": 150.0, "dashboard": 300.0}
EXPORT_TARGET_S, RSS_TARGET_MB = 10.0, 200.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the data ---------------------------------------------------------------------------------

def generate(url: str, count: int, *, seed: int = 2020) -> None:
    """N messages and N applications, inserted CHUNK rows at a time (executemany)."""
    # Imported here, not at the top: the measuring process imports this module too,
    # and its memory must be the web app's alone (the sample generators pull in more).
    from devtools.samples.forms import sample_applicants  # noqa: PLC0415

    rng = random.Random(seed)
    pool = sample_applicants(min(count, 2000), seed=seed)
    start = datetime(2020, 8, 20, tzinfo=timezone.utc)
    runtime = Runtime.from_settings(_settings(url, Path(tempfile.gettempdir())))
    try:
        started = time.perf_counter()
        for first in range(1, count + 1, CHUNK):
            numbers = range(first, min(first + CHUNK, count + 1))
            messages, applications = [], []
            for number in numbers:
                received = start + timedelta(seconds=rng.randint(0, 40 * 86400))
                fields = _fields(pool[number % len(pool)], number, len(pool))
                messages.append(_message_row(number, received, fields))
                applications.append(_application_row(number, received, fields, rng))
            searches = [{"application_id": row["id"], "campaign": row["campaign"],
                         "text": search_text(row["reference"], row["name"], row["employer"], row["email"],
                                             row["mobile"], row["id_number"])} for row in applications]
            with runtime.engine.begin() as connection:
                connection.execute(insert(Message.__table__), messages)
                connection.execute(insert(Application.__table__), applications)
                connection.execute(insert(ApplicationSearch.__table__), searches)
            log(f"  {numbers[-1]:>7} / {count} applications ({time.perf_counter() - started:.0f} s)")
        # The steady state of a live database: PostgreSQL's autovacuum vacuums and analyses a table
        # soon after many inserts (the visibility map makes index-only scans possible); SQLite
        # gathers statistics only when asked.
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if runtime.engine.dialect.name == "postgresql" else "ANALYZE"))
        with runtime.session_factory() as session:
            add_user(session, "bench-admin", PASSWORD, StaffRole.ADMIN, campaigns=[CAMPAIGN])
            session.commit()
    finally:
        runtime.close()


def _fields(person, number: int, pool_size: int) -> dict:
    fields = person.expected_fields()
    # Unique ID numbers and mobiles per application (the pool repeats names, which real data does too).
    first17 = fields["id_number"][:14] + f"{(number // pool_size) % 1000:03d}"
    fields["id_number"] = first17 + id_check_char(first17)
    fields["mobile"] = fields["mobile"][:3] + f"{number:08d}"
    fields["email"] = f"{number}{fields['email']}"
    return fields


def _message_row(number: int, received: datetime, fields: dict) -> dict:
    return {
        "id": number, "raw_sha256": f"{number:064x}", "size": 40_000, "message_id_header": f"<{number}@bench>",
        "references_header": [], "body_sha256": f"{number:064x}", "received_at": received,
        "subject": f"报名表-{fields['name']}", "from_name": fields["name"], "from_address": fields["email"],
        "reply_address": fields["email"], "status": MessageStatus.PROCESSED, "error": None, "attempts": 1,
        "no_reply_reason": None, "is_late": False, "defects": [], "created_at": received, "processed_at": received,
    }


def _application_row(number: int, received: datetime, fields: dict, rng: random.Random) -> dict:
    if number % APPROVED_EVERY == 0:
        status = ApplicationStatus.APPROVED
    else:
        status = rng.choices([ApplicationStatus.PENDING_REVIEW, ApplicationStatus.INCOMPLETE,
                              ApplicationStatus.REJECTED], weights=[60, 25, 15])[0]
    missing = ["office_phone", "specialty"][: rng.randint(1, 2)] if status == ApplicationStatus.INCOMPLETE else []
    for key in missing:
        fields.pop(key, None)
    review = rng.sample(["id_number", "mobile", "employer", "name", "expertise"], rng.choice([0, 0, 0, 1, 2]))
    application = Application(fields=fields, needs_review=review)
    application.sync_columns()
    decided = status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
    return {
        "id": number, "campaign": CAMPAIGN, "reference": f"ZJZJ-2020-{number:06d}", "status": status,
        "sender": fields["email"], "reply_address": fields["email"], "name": application.name,
        "id_number": application.id_number, "fields": fields, "confidence": {key: 0.99 for key in fields},
        "missing_fields": missing, "needs_review": review,
        "warnings": ["身份证号码校验位不符"] if "id_number" in review else [],
        "is_late": rng.random() < 0.03, "version": 2 if rng.random() < 0.05 else 1, "message_id": number,
        "attachment_id": None, "received_at": received, "employer": application.employer,
        "county": application.county, "mobile": application.mobile, "email": application.email,
        "review_count": application.review_count, "confirmed_fields": [],
        "decision_reason": "材料不全" if status == ApplicationStatus.REJECTED else None,
        "decided_by": "bench-admin" if decided else None, "decided_at": received + timedelta(days=3) if decided else None,
        "row_version": 1, "created_at": received, "updated_at": received,
    }


def _settings(url: str, workdir: Path):
    workstations = load_settings(PROJECT / "config.yaml").campaigns[0].workstations
    return settings_from_mapping({
        "mailbox": {"host": "127.0.0.1"}, "smtp": {"host": "127.0.0.1", "from_address": "bench@126.com"},
        "database": {"url": url}, "storage": {"path": str(workdir / "store")},
        "campaign": {"name": CAMPAIGN, "deadline": "2020-09-25", "workstations": workstations},
    }, base_dir=workdir)


# ---- the measurements (in a fresh process) ------------------------------------------------------

def measure(url: str, workdir: str, samples: int, results) -> None:
    runtime = Runtime.from_settings(_settings(url, Path(workdir)))
    try:
        results.put(_measure(create_app(runtime.settings, runtime.session_factory), samples))
    finally:
        runtime.close()


def _measure(app, samples: int) -> dict:
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "bench-admin", "password": PASSWORD, "csrf_token": token})
    out: dict = {}

    first = client.get("/")
    if b"data-application-id" not in first.data:
        out["queue"] = f"skipped: the queue page shows no applications (HTTP {first.status_code})"
    else:
        log("  queue pages …")
        out["queue"] = _queue(client, first.get_data(as_text=True), samples)

    ids = [int(i) for i in re.findall(r'data-application-id="(\d+)"', first.get_data(as_text=True))]
    probe = client.get(f"/applications/{ids[0] if ids else 1}")
    if probe.status_code != 200:
        out["detail"] = f"skipped: detail.show answered HTTP {probe.status_code}"
    else:
        log("  detail pages …")
        rng = random.Random(1)
        total = _max_id(app)
        out["detail"] = {"detail": _times(client, [f"/applications/{rng.randint(1, total)}" for _ in range(samples)])}

    log("  dashboard …")
    uncached = []
    for _ in range(max(samples // 5, 5)):
        with app.app_context():
            figures_cache().clear()
        uncached += _times(client, ["/dashboard"], warm=False)
    out["dashboard"] = {"dashboard (uncached)": uncached, "dashboard (cached)": _times(client, ["/dashboard"] * samples)}

    log("  provincial report of the approved experts as .xlsx …")
    started = time.perf_counter()
    response = client.get("/exports/report.xlsx")
    out["export"] = (time.perf_counter() - started, response.status_code, len(response.data), _export_rows(app))
    out["rss_mb"] = _rss_mb()
    return out


def _queue(client, first_page: str, samples: int) -> dict:
    digits = re.search(r"\d{3}\*{4}(\d{4})", first_page)
    cases = {
        "queue": "/",
        "queue ?status=pending_review": "/?status=pending_review",
        "queue ?county=霞山区": "/?county=霞山区",
        "queue ?needs_review=1": "/?needs_review=1",
        "queue ?status=approved&sort=name": "/?status=approved&sort=name",
        "queue ?q=<last 4 digits>": f"/?q={digits.group(1) if digits else '1234'}",
    }
    timings = {name: _times(client, [url] * samples) for name, url in cases.items()}
    # Deep keyset pages: follow "next" 50 times, then time the deepest page again.
    url, hops = "/", []
    for _ in range(50):
        found = re.search(r'rel="next" href="([^"]+)"', client.get(url).get_data(as_text=True))
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
        hops += _times(client, [url])
    timings[f"queue, next page ×{len(hops)}"] = hops
    timings["queue, deepest page"] = _times(client, [url] * samples)
    return timings


def _times(client, urls: list[str], *, warm: bool = True) -> list[float]:
    if warm:  # first-request costs (template compile) are not page costs
        client.get(urls[0])
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return times


def _max_id(app) -> int:
    with app.extensions["intake"]["session_factory"]() as session:
        return session.scalar(text("SELECT max(id) FROM application"))


def _export_rows(app) -> int:
    with app.extensions["intake"]["session_factory"]() as session:
        return session.scalar(text("SELECT count(*) FROM application WHERE status = 'approved'"))


def _rss_mb() -> tuple[float, float]:
    """(now, peak) resident memory of this process, in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        values = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return int(values["VmRSS"].split()[0]) / 1024, int(values["VmHWM"].split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak, peak


# ---- the report ----------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def print_table(backend: str, count: int, results: dict) -> None:
    print(f"\n== {backend}, {count:,} applications ==")
    print(f"{'measure':<38} {'p50 ms':>8} {'p95 ms':>8} {'target':>10}  met")
    for group in ("queue", "detail", "dashboard"):
        figures = results[group]
        if isinstance(figures, str):
            print(f"{group:<38} {figures}")
            continue
        for name, values in figures.items():
            if not values:
                continue
            worst = p95(values)
            print(f"{name:<38} {statistics.median(values):8.1f} {worst:8.1f} {'≤' + format(TARGETS_MS[group], '.0f') + ' ms':>10}"
                  f"  {'yes' if worst <= TARGETS_MS[group] else 'NO'}")
    seconds, status, size, rows = results["export"]
    print(f"{f'report .xlsx, {rows:,} approved experts':<38} {seconds:8.2f} s {'':>8} {'≤10 s':>10}"
          f"  {'yes' if status == 200 and seconds <= EXPORT_TARGET_S else 'NO'}  ({size / 1e6:.1f} MB)")
    now, peak = results["rss_mb"]
    print(f"{'web process RSS after the run':<38} {now:8.0f} MB {'':>7} {'≤200 MB':>10}  {'yes' if now <= RSS_TARGET_MB else 'NO'}")
    print(f"{'web process peak RSS (VmHWM)':<38} {peak:8.0f} MB {'':>7} {'≤200 MB':>10}  {'yes' if peak <= RSS_TARGET_MB else 'NO'}")


def run_backend(backend: str, options) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-review-") as workdir:
        server = None
        if backend == "postgresql":
            from devtools.servers import PostgresServer  # noqa: PLC0415 - see generate()

            log("starting a private PostgreSQL cluster …")
            server = PostgresServer().start()
            url = server.create_database("bench_review")
        else:
            url = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        try:
            upgrade_database(url)
            log(f"{backend}: generating {options.applications:,} applications …")
            generate(url, options.applications)
            log(f"{backend}: measuring in a fresh process …")
            context = multiprocessing.get_context("spawn")
            results = context.Queue()
            child = context.Process(target=measure, args=(url, workdir, options.samples, results))
            child.start()
            figures = results.get()
            child.join()
            print_table(backend, options.applications, figures)
        finally:
            if server is not None:
                server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Review app page times at a province's scale")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=40, help="timed requests per page (default 40)")
    options = parser.parse_args(argv)
    for backend in (["sqlite", "postgresql"] if options.backend == "both" else [options.backend]):
        run_backend(backend, options)


if __name__ == "__main__":
    main()
