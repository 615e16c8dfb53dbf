"""Ingest throughput of ``poll --once`` over N messages in a local Dovecot.

    python -m bench.ingest_throughput [--messages 500] [--database-url URL]

Appends N realistic application emails (a .docx or text PDF form each, in
the encodings of the sample mailbox) to a private Dovecot, then times one
``run_once`` against it: fetch + store, parse + record, and sending the
acknowledgements to a local SMTP sink. Prints messages per second.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from intake.core.config import settings_from_mapping
from devtools.servers import DovecotServer
from devtools.servers.smtp_sink import SmtpSink
from intake.core.migrate import upgrade_database
from intake.core.db import Runtime
from intake.worker.pipeline import run_once
from devtools.samples import emails
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from devtools.samples.mailbox import on

BUILDERS = [emails.qq_mail, emails.netease_mail, emails.foxmail_mail, emails.outlook_mail, emails.raw8bit_mail]


def build_messages(count: int) -> list[tuple[bytes, object]]:
    messages = []
    for index, person in enumerate(sample_applicants(count, seed=2020)):
        form = (f"{person.name}.pdf", build_form_pdf(person)) if index % 4 == 3 else (
            f"{person.name}.docx", build_form_docx(person))
        when = on(1 + index % 24, 8 + index % 12, index % 60)
        raw = BUILDERS[index % len(BUILDERS)](
            sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
            body="您好，报名表见附件。", attachments=[form], date=when,
        )
        messages.append((raw, when))
    return messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ingest throughput of poll --once")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    options = parser.parse_args(argv)

    print(f"building {options.messages} sample emails …", flush=True)
    messages = build_messages(options.messages)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # Dovecot's own users must reach the mail store inside it
        run(tmp, messages, options)


def run(tmp: str, messages, options) -> None:
    with DovecotServer(Path(tmp) / "imap") as dovecot, SmtpSink() as sink:
        account = dovecot.new_account("bench")
        started = time.perf_counter()
        for raw, when in messages:
            dovecot.append(account.username, account.password, "INBOX", raw, msg_time=when)
        print(f"appended to Dovecot in {time.perf_counter() - started:.1f} s", flush=True)

        url = options.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = settings_from_mapping({
            "mailbox": {"host": dovecot.host, "port": dovecot.port, "security": "none",
                        "username": account.username, "password": account.password},
            "smtp": {"host": sink.host, "port": sink.port, "security": "none",
                     "username": "bench@126.com", "password": "x", "from_address": "bench@126.com"},
            "database": {"url": url},
            "storage": {"path": str(Path(tmp) / "store")},
            "campaign": {"name": "bench", "deadline": "2020-09-25"},
            "outbox": {"batch_size": 1000},
        }, base_dir=Path(tmp))
        upgrade_database(settings.database.url)
        runtime = Runtime.from_settings(settings)
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            marks.setdefault(stage, time.perf_counter())
            if done == total:
                marks[f"{stage}-done"] = time.perf_counter()

        started = time.perf_counter()
        report = run_once(runtime, progress=progress)
        total = time.perf_counter() - started
        runtime.close()

    n = report.ingest.stored
    fetch = marks.get("fetch-done", started) - started
    process = marks.get("process-done", started) - marks.get("fetch-done", started)
    send = total - (marks.get("process-done", started) - started)
    print(f"messages: {n} stored, {report.process.applications_created} applications, "
          f"{report.outbox.sent if report.outbox else 0} acknowledgements sent, {report.process.failed} failed")
    print(f"fetch + store:   {fetch:6.1f} s  {n / fetch if fetch else 0:7.1f} msg/s")
    print(f"parse + record:  {process:6.1f} s  {n / process if process else 0:7.1f} msg/s")
    print(f"send replies:    {send:6.1f} s")
    print(f"poll --once:     {total:6.1f} s  {n / total:7.1f} msg/s  (ingest throughput)")


if __name__ == "__main__":
    main()
