"""A province's deadline week on this machine: one poller, workers, three cities, PostgreSQL.

    python -m bench.province_load [--mails 2000] [--minutes 60] [--workers 2]
    python -m bench.province_load --backlog --mails 300 --workers 1   # throughput, all mail waiting

Three campaigns' mailboxes on a private Dovecot, one private PostgreSQL
with the job queue (``jobs.queue``), a local SMTP sink. ``intake run`` and
``intake worker`` run as the separate processes a deployment runs. The
mail: every applicant's own form (.docx); 30 % also carry an ID-card photo
and a certificate PDF; 10 % send the form as a flatbed scan or a phone
photo instead. Paced (default), the mails arrive evenly over ``--minutes``
and the bench prints, per mail, arrival (appended to the mailbox) →
acknowledgement (received by the sink): the median and p95, errors, each
worker's peak resident memory, and how long the scans took to drain after
the last mail. With ``--backlog`` every mail is in the mailboxes before the
processes start: mails per minute, to compare one worker with two.
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml
from PIL import Image
from sqlalchemy import create_engine, text

from bench.ingest_throughput import _children, _resident_kb
from devtools.samples import emails, scans
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from devtools.servers import DovecotServer
from devtools.servers.postgres import PostgresServer
from devtools.servers.smtp_sink import SmtpSink

PROJECT = Path(__file__).resolve().parents[1]
CITIES = ("zj", "mm", "yj")
BUILDERS = [emails.qq_mail, emails.netease_mail, emails.foxmail_mail, emails.outlook_mail, emails.phone_mail]
DISTINCT_IMAGES = 12  # scans and photos drawn once each (LibreOffice and rendering take seconds), then re-sent
TARGET_P95_SECONDS, TARGET_RSS_MB, TARGET_DRAIN_SECONDS = 300.0, 300.0, 3600.0


@dataclass
class Mail:
    city: str
    sender: str
    raw: bytes
    is_image: bool


def build_mails(count: int, seed: int = 2026) -> list[Mail]:
    people = sample_applicants(count, seed=seed)
    images = _images(people[:DISTINCT_IMAGES])
    id_cards = [_jpeg(scans.id_card_image(person, seed=i)) for i, person in enumerate(people[:DISTINCT_IMAGES])]
    mails = []
    for index, person in enumerate(people):
        sender = f"applicant{index:05d}@example.com"  # one reply each, told apart by address
        is_image = index % 10 == 9
        if is_image:
            name, data = images[index % len(images)]
            attachments = [(name, data)]
        else:
            attachments = [(f"报名表-{person.name}.docx", build_form_docx(person))]
            if index % 10 in (0, 3, 6):  # 30 %: with an ID-card photo and a certificate
                attachments += [("身份证.jpg", id_cards[index % len(id_cards)]),
                                ("职称证书.pdf", build_form_pdf(person))]
        builder = BUILDERS[index % len(BUILDERS)]
        raw = builder(sender_name=person.name, sender_address=sender, subject=f"专家报名表-{person.name}",
                      body="老师您好，报名材料见附件。", to_address=f"{CITIES[index % 3]}@intake.local",
                      attachments=attachments, date=datetime(2020, 9, 20, 1, tzinfo=timezone.utc))
        mails.append(Mail(CITIES[index % 3], sender, raw, is_image))
    return mails


def _images(people) -> list[tuple[str, bytes]]:
    """Scans and photos of printed forms: half flatbed, half phone."""
    pdfs = scans.docx_to_many("pdf", {str(i): build_form_docx(person) for i, person in enumerate(people)})
    images = []
    for i, person in enumerate(people):
        page = scans.render_pages(pdfs[str(i)], dpi=200)[0]
        if i % 2:
            images.append((f"报名表-{person.name}.jpg", scans.scan_image(page, seed=i)))
        else:
            images.append((f"IMG_{2020 + i}.jpg", scans.phone_photo(page, seed=i)))
    return images


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A province's deadline week: poller, workers, three cities")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=60.0, help="paced: the mails arrive evenly over this long")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backlog", action="store_true", help="every mail waits before the processes start")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # Dovecot's and PostgreSQL's own users reach their folders inside it
        run(Path(tmp), options)


def run(tmp: Path, options) -> None:
    print(f"building {options.mails} mails (10 % scans and photos, 30 % with three attachments) …", flush=True)
    started = time.perf_counter()
    mails = _built_in_a_child(options.mails)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    with DovecotServer(tmp / "imap") as dovecot, PostgresServer(tmp / "pg") as postgres, SmtpSink() as sink:
        accounts = {city: dovecot.add_user(f"{city}@intake.local", "secret") for city in CITIES}
        url = postgres.create_database("province")
        config = _write_config(tmp, dovecot, sink, url)
        _intake(config, "db", "upgrade")
        arrivals: dict[str, float] = {}
        if options.backlog:
            for mail in mails:
                _deliver(dovecot, accounts, mail, arrivals)
        processes = _start(config, options.workers, tmp)
        watch = Watch(processes["workers"], sink)
        try:
            began = time.time()
            if not options.backlog:
                _deliver_paced(dovecot, accounts, mails, arrivals, options.minutes * 60, watch)
            last_arrival = max(arrivals.values())
            watch.wait_for_all(arrivals, timeout=options.minutes * 60 + TARGET_DRAIN_SECONDS + 600)
        finally:
            watch.stop()
            _stop(processes)
        errors = _errors(url)
    _report(options, mails, arrivals, watch, began, last_arrival, errors)


def _built_in_a_child(count: int) -> list[Mail]:
    """Built in a child process, so what the generators hold never sits in the bench's memory."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(build_mails, (count,))


def _write_config(tmp: Path, dovecot, sink, url: str) -> Path:
    config = {
        "campaigns": [
            {"name": f"{city}-2020", "title": f"{city} 专家报名", "deadline": "2020-09-25",
             "reference_prefix": f"{city.upper()}ZJ",
             "mailbox": {"host": dovecot.host, "port": dovecot.port, "security": "none",
                         "username": f"{city}@intake.local", "password": "secret", "batch_size": 100},
             "smtp": {"host": sink.host, "port": sink.port, "security": "none", "username": f"{city}@intake.local",
                      "password": "x", "from_address": f"{city}@intake.local"}}
            for city in CITIES
        ],
        "database": {"url": url},
        "storage": {"path": str(tmp / "store")},
        "poll": {"interval_seconds": 60, "idle": True},
        "parsing": {"workers": 1},
        "jobs": {"queue": True},
        # The relay guard is not what is measured.
        "outbox": {"max_per_hour": 100_000, "max_per_day": 100_000, "max_per_domain_per_hour": 100_000,
                   "max_per_domain_per_day": 100_000},
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _intake(config: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "intake", "--config", str(config), *args], check=True, cwd=config.parent,
                   env=_env(), capture_output=True)


def _start(config: Path, workers: int, tmp: Path) -> dict[str, list[subprocess.Popen]]:
    def start(name: str, *command: str) -> subprocess.Popen:
        log = open(tmp / f"{name}.log", "w", encoding="utf-8")
        return subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), *command],
                                stdout=log, stderr=subprocess.STDOUT, cwd=tmp, env=_env())

    return {"poller": [start("poller", "run")],
            "workers": [start(f"worker-{n}", "worker") for n in range(1, workers + 1)]}


def _stop(processes: dict[str, list[subprocess.Popen]]) -> None:
    everyone = [process for group in processes.values() for process in group]
    for process in everyone:
        process.terminate()
    for process in everyone:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT)}


def _deliver(dovecot, accounts, mail: Mail, arrivals: dict[str, float]) -> None:
    account = accounts[mail.city]
    dovecot.append(account.username, account.password, "INBOX", mail.raw)
    arrivals[mail.sender] = time.time()


def _deliver_paced(dovecot, accounts, mails: list[Mail], arrivals, seconds: float, watch: "Watch") -> None:
    start, gap = time.monotonic(), seconds / max(len(mails), 1)
    for index, mail in enumerate(mails):
        delay = start + index * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # the arrival schedule itself, not a wait for readiness
        _deliver(dovecot, accounts, mail, arrivals)
        if index % 100 == 99:
            print(f"  {index + 1} mails delivered, {len(watch.acknowledged)} acknowledged", flush=True)


class Watch:
    """When each acknowledgement reached the sink, and the workers' peak memory, sampled."""

    def __init__(self, workers: list[subprocess.Popen], sink: SmtpSink) -> None:
        self.workers, self.sink = workers, sink
        self.acknowledged: dict[str, float] = {}
        self.peak_rss_kb = {process.pid: 0 for process in workers}
        self.peak_children_kb = {process.pid: 0 for process in workers}
        self._seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            messages = self.sink.messages
            now = time.time()
            for mail in messages[self._seen:]:
                for address in mail.rcpt_tos:
                    self.acknowledged.setdefault(address, now)
            self._seen = len(messages)
            for process in self.workers:
                self.peak_rss_kb[process.pid] = max(self.peak_rss_kb[process.pid], _resident_kb(process.pid))
                children = sum(_resident_kb(child) for child in _descendants(process.pid))
                self.peak_children_kb[process.pid] = max(self.peak_children_kb[process.pid], children)

    def wait_for_all(self, arrivals: dict[str, float], *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not set(arrivals) <= set(self.acknowledged):
            time.sleep(1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _descendants(pid: int) -> list[int]:
    found, waiting = [], _children(pid)
    while waiting:
        child = waiting.pop()
        found.append(child)
        waiting.extend(_children(child))
    return found


def _errors(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                "failed mails": connection.scalar(text("SELECT count(*) FROM message WHERE status = 'failed'")),
                "failed jobs": connection.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")),
                "replies not sent": connection.scalar(text("SELECT count(*) FROM outbox_mail WHERE status <> 'sent'")),
                "applications": connection.scalar(text("SELECT count(*) FROM application")),
            }
    finally:
        engine.dispose()


def _report(options, mails: list[Mail], arrivals, watch: Watch, began: float, last_arrival: float,
            errors: dict[str, int]) -> None:
    latencies = sorted(watch.acknowledged[sender] - arrivals[sender] for sender in arrivals
                       if sender in watch.acknowledged)
    unanswered = len(arrivals) - len(latencies)
    done = max(watch.acknowledged.values(), default=began)
    images = [mail.sender for mail in mails if mail.is_image]
    scans_done = max((watch.acknowledged.get(sender, done) for sender in images), default=last_arrival)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    mode = "backlog" if options.backlog else f"paced over {options.minutes:g} min"
    print(f"\n{len(mails)} mails, 3 campaigns, {options.workers} worker(s), {mode}")
    print(f"acknowledged:      {len(latencies)} of {len(arrivals)} ({unanswered} unanswered)")
    if latencies:
        print(f"arrival → ack:     median {statistics.median(latencies):.1f} s, p95 {p95:.1f} s, "
              f"max {latencies[-1]:.1f} s (target p95 ≤ {TARGET_P95_SECONDS:.0f} s)")
    print(f"throughput:        {len(latencies) / ((done - began) / 60):.1f} mails/min "
          f"({done - began:.0f} s from the start to the last acknowledgement)")
    print(f"scan backlog:      the last scan or photo answered {max(scans_done - last_arrival, 0):.0f} s "
          f"after the last mail arrived (target ≤ {TARGET_DRAIN_SECONDS:.0f} s)")
    print("errors:            " + ", ".join(f"{name} {count}" for name, count in errors.items()))
    for number, pid in enumerate(watch.peak_rss_kb, start=1):
        print(f"worker {number}:          peak {watch.peak_rss_kb[pid] / 1024:.0f} MB resident "
              f"(target ≤ {TARGET_RSS_MB:.0f} MB), its parse children at most {watch.peak_children_kb[pid] / 1024:.0f} MB")
    print(f"load average:      {os.getloadavg()[0]:.2f} at the end (shared machine: other work slows the figures)")


if __name__ == "__main__":
    main()
