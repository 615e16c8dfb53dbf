"""Memory and behaviour of one ``intake poll`` over the hostile mailbox, and of ``intake parse`` on its files.

    python -m bench.hostile_mailbox [--scale 1] [--no-huge] [--json FILE]
    python -m bench.hostile_mailbox --files [--scale 1] [--json FILE]

Mailbox mode APPENDs the hostile mailbox (``devtools.samples.hostile``: every
row of the hostile-input table that concerns mail and files, the 60 MB mail
and the 3.8 MB mail of expanding zips included) to a private Dovecot, runs
one ``intake poll`` in a subprocess (SQLite in a temporary folder, replies
to a local SMTP sink) and, every 50 ms, reads the worker's and each of its
descendants' VmRSS/VmHWM from /proc. It prints per mail its status,
attachments, replies and what differs from the table, then the targets:
worker peak RSS ≤ 300 MB, no parse child over 1 GB, every mail with a
status, no reply where none is expected, every reply to exactly one
recipient.

``--files`` runs ``intake parse --json`` on each hostile file (rows 21–36)
alone, with the same sampling: each file's largest child, its time, and
that a line was printed for it.

Figures, not a test: exit status 0 unless it cannot run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from devtools.samples.hostile import NO_REPLY, HostileMail, hostile_mailbox
from devtools.samples.hostile_files import SENTINEL_NAME
from devtools.samples.hostile_outcome import (NOT_TERMINAL, problems, read_outcomes, recipient_problems,
                                              stray_replies)
from devtools.servers import DovecotServer
from devtools.servers.smtp_sink import SmtpSink

MB = 1024 * 1024
WORKER_TARGET_MB = 300
CHILD_TARGET_MB = 1024
SAMPLE_SECONDS = 0.05


# ---- memory, read from /proc while the command runs ---------------------------------

def _status(pid: int) -> dict[str, int]:
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM", "RssAnon"):
                    values[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                found += [int(child) for child in children.read().split()]
    except OSError:
        pass
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "?"


@dataclass
class ProcessPeak:
    pid: int
    depth: int        # 1: a child of the command (a parse child), 2+: what that child started
    name: str
    peak_rss: int = 0
    peak_hwm: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0


class MemorySampler:
    """Samples the command and all its descendants every 50 ms, in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.started = pid, time.monotonic()
        self.worker = ProcessPeak(pid, 0, "worker")
        self.descendants: dict[int, ProcessPeak] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _record(self, peak: ProcessPeak, now: float) -> None:
        values = _status(peak.pid)
        if values:
            peak.peak_rss = max(peak.peak_rss, values.get("VmRSS", 0))
            peak.peak_hwm = max(peak.peak_hwm, values.get("VmHWM", 0))
            peak.last_seen = now

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic() - self.started
            self._record(self.worker, now)
            level, depth = [self.pid], 0
            while level:
                depth += 1
                level = [child for parent in level for child in _children(parent)]
                for child in level:
                    if child not in self.descendants:
                        self.descendants[child] = ProcessPeak(child, depth, _name(child), first_seen=now)
                    self._record(self.descendants[child], now)
            self._stop.wait(SAMPLE_SECONDS)

    @property
    def largest_child(self) -> ProcessPeak | None:
        return max(self.descendants.values(), key=lambda p: max(p.peak_hwm, p.peak_rss), default=None)


def run_sampled(command: list[str], *, cwd: Path, timeout: float) -> tuple[subprocess.CompletedProcess, MemorySampler]:
    with open(cwd / "stdout.txt", "w+b") as out, open(cwd / "stderr.txt", "w+b") as err:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        with MemorySampler(process.pid) as sampler:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        out.seek(0), err.seek(0)
        done = subprocess.CompletedProcess(command, process.returncode, out.read().decode("utf-8", "replace"),
                                           err.read().decode("utf-8", "replace"))
    return done, sampler


def _mb(value: int) -> str:
    return f"{value / MB:,.0f} MB"


# ---- mailbox mode -----------------------------------------------------------------------

def _config(folder: Path, dovecot: DovecotServer, account, sink: SmtpSink) -> tuple[Path, str]:
    url = f"sqlite:///{folder / 'intake.sqlite3'}"
    mapping = {
        "mailbox": {"host": dovecot.host, "port": dovecot.port, "security": "none",
                    "username": account.username, "password": account.password, "folder": "INBOX"},
        "smtp": {"host": sink.host, "port": sink.port, "security": "none", "username": "zjzxqyfw@126.com",
                 "password": "x", "from_address": "zjzxqyfw@126.com"},
        "database": {"url": url},
        "storage": {"path": str(folder / "store")},
        "campaign": {"name": "zj-2020", "deadline": "2020-09-25", "timezone": "Asia/Shanghai"},
        "outbox": {"batch_size": 1000},
    }
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return config, url


def run_mailbox(folder: Path, mails: list[HostileMail], timeout: float) -> dict:
    with DovecotServer(folder / "imap") as dovecot, SmtpSink() as sink:
        account = dovecot.new_account("hostile")
        uids, started = {}, time.perf_counter()
        for mail in mails:
            uids[mail.key] = dovecot.append(account.username, account.password, "INBOX", mail.raw,
                                            msg_time=mail.received_at)
            print(f"  appended {mail.key:32s} {len(mail.raw) / 1024:10,.0f} KB", flush=True)
            mail.release()
        print(f"appended {len(mails)} mails in {time.perf_counter() - started:.1f} s; running intake poll …",
              flush=True)
        config, url = _config(folder, dovecot, account, sink)
        started = time.perf_counter()
        done, sampler = run_sampled([sys.executable, "-m", "intake", "--config", str(config), "poll"], cwd=folder,
                                    timeout=timeout)
        seconds = time.perf_counter() - started
        received = sink.messages
    outcomes = read_outcomes(url, uids, received)
    by_key = {mail.key: mail for mail in mails}
    rows = [{"key": key, "row": by_key[key].row, "label": by_key[key].label, "expected": by_key[key].expected.what,
             "outcome": asdict(outcome) | {"application_ids": sorted(outcome.application_ids)},
             "problems": problems(by_key[key], outcome, outcomes)} for key, outcome in outcomes.items()]
    largest = sampler.largest_child
    worker = max(sampler.worker.peak_hwm, sampler.worker.peak_rss)
    child = max(largest.peak_hwm, largest.peak_rss) if largest else 0
    unterminated = [key for key, o in outcomes.items() if o.status is None or o.status in NOT_TERMINAL]
    unwanted = [key for key, o in outcomes.items() if by_key[key].expected.reply == NO_REPLY and o.replies]
    misaddressed = [key for key, o in outcomes.items() if recipient_problems(o)] + stray_replies(outcomes, received)
    pickle_loaded = (folder / "trap" / SENTINEL_NAME).exists()
    targets = [
        (worker <= WORKER_TARGET_MB * MB, f"worker peak RSS {_mb(worker)}   (target ≤ {WORKER_TARGET_MB} MB)"),
        (child <= CHILD_TARGET_MB * MB, f"largest child {_mb(child)}"
         + (f" ({largest.name}, depth {largest.depth})" if largest else "") + f"   (target ≤ {CHILD_TARGET_MB} MB)"),
        (not unterminated, f"every mail has a terminal status {unterminated or ''}"),
        (not unwanted, f"no reply where none is expected {unwanted or ''}"),
        (not misaddressed, f"every reply to exactly one recipient, the stored one {misaddressed or ''}"),
        (not pickle_loaded, "the pickle named by a PDF was never loaded"),
    ]
    return {"mode": "mailbox", "exit": done.returncode, "seconds": round(seconds, 1),
            "stderr_tail": done.stderr[-2000:], "worker_peak": worker,
            "largest_child": asdict(largest) if largest else None,
            "children": [asdict(p) for p in sorted(sampler.descendants.values(), key=lambda p: -p.peak_hwm)],
            "mails": rows, "replies_received": len(received), "targets": targets}


def _attachments_text(outcome: dict) -> str:
    return "; ".join(f"{a['filename'][:18]}={a['status']}" + (f"/{a['reason']}" if a["reason"] else "")
                     for a in outcome["attachments"][:3]) + (" …" if len(outcome["attachments"]) > 3 else "")


def print_mailbox(report: dict) -> None:
    print(f"\n{'mail':32s} {'status':10s} {'replies':10s} attachments")
    for row in report["mails"]:
        outcome = row["outcome"]
        replies = ",".join(r["kind"][:6] for r in outcome["replies"]) or "-"
        print(f"{row['key']:32s} {str(outcome['status']):10s} {replies:10s} {_attachments_text(outcome)}")
        for problem in row["problems"]:
            print(f"{'':32s} ✗ {problem}")
    print(f"\nintake poll: exit {report['exit']}, {report['seconds']} s, {report['replies_received']} replies received")
    _print_targets(report["targets"])
    print(f"{sum(1 for m in report['mails'] if m['problems'])} of {len(report['mails'])} mails differ from the table")


def _print_targets(targets: list[tuple[bool, str]]) -> None:
    for ok, text in targets:
        print(f"{'ok  ' if ok else 'MISS'} {text}")


# ---- files mode -------------------------------------------------------------------------

def run_files(folder: Path, mails: list[HostileMail], timeout: float) -> dict:
    rows = []
    for number, mail in enumerate(m for m in mails if m.file):
        filename, data = mail.file()
        place = folder / f"{number:02d}-{mail.key}"
        place.mkdir()
        path = place / filename
        path.write_bytes(data)
        started = time.perf_counter()
        done, sampler = run_sampled([sys.executable, "-m", "intake", "parse", "--json", str(path)], cwd=place,
                                    timeout=timeout)
        lines = []
        for line in done.stdout.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        largest = sampler.largest_child
        rows.append({"key": mail.key, "file": filename, "bytes": len(data), "exit": done.returncode,
                     "seconds": round(time.perf_counter() - started, 1),
                     "statuses": [line.get("status", "form") for line in lines if line.get("file") == str(path)],
                     "reasons": [line.get("error") for line in lines if line.get("error")],
                     "worker_peak_hwm": sampler.worker.peak_hwm,
                     "child_peak": max(largest.peak_hwm, largest.peak_rss) if largest else 0,
                     "child_name": largest.name if largest else None, "stderr_tail": done.stderr[-500:]})
        print(f"  {mail.key:32s} {rows[-1]['seconds']:6.1f} s  child {_mb(rows[-1]['child_peak']):>9s}  "
              f"{rows[-1]['statuses'] or 'NO LINE'} {rows[-1]['reasons']}", flush=True)
    return {"mode": "files", "files": rows, "pickle_loaded": any(folder.rglob(SENTINEL_NAME))}


def print_files(report: dict) -> None:
    files = report["files"]
    silent = [row["key"] for row in files if not row["statuses"]]
    crashed = [row["key"] for row in files if row["exit"] not in (0, 1)]
    largest = max(files, key=lambda row: row["child_peak"], default=None)
    over = [row["key"] for row in files if row["child_peak"] > CHILD_TARGET_MB * MB]
    print(f"\n{len(files)} files parsed one by one with intake parse --json")
    _print_targets([
        (not over, f"largest parse child {_mb(largest['child_peak']) if largest else '-'}"
         f"{' on ' + largest['key'] if largest else ''}   (target ≤ {CHILD_TARGET_MB} MB) {over or ''}"),
        (not silent, f"a line printed for every file {silent or ''}"),
        (not crashed, f"intake parse exits 0 or 1 {crashed or ''}"),
        (not report["pickle_loaded"], "the pickle named by a PDF was never loaded"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The hostile mailbox: memory and behaviour of intake poll / parse")
    parser.add_argument("--files", action="store_true", help="parse each hostile file alone with intake parse --json")
    parser.add_argument("--scale", type=float, default=1.0, help="bomb sizes relative to the table (default 1)")
    parser.add_argument("--no-huge", action="store_true", help="leave out the 60 MB mail")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the poll (per file with --files)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "intake" / "hostile")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)  # Dovecot's own users must reach the mail store inside it
        mails = hostile_mailbox(scale=options.scale, include_huge=not options.no_huge, trap_dir=folder / "trap",
                                cache_dir=options.cache_dir)
        if options.files:
            report = run_files(folder, mails, min(options.timeout, 300))
            print_files(report)
        else:
            report = run_mailbox(folder, mails, options.timeout)
            print_mailbox(report)
    report["command"] = " ".join([Path(sys.executable).name, "-m", "bench.hostile_mailbox", *(argv or sys.argv[1:])])
    if options.json:
        options.json.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
