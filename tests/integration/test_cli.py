"""The ``intake`` command as staff and operators run it."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest
import yaml
from openpyxl import load_workbook

from devtools.samples.forms import build_form_docx, build_form_pdf, build_non_form_docx, sample_applicants
from devtools.samples.mailbox import demo_mailbox
from intake.core.masking import mask_fields
from tests.fixtures.intake_env import settings_mapping

pytestmark = pytest.mark.integration

ID_PATTERN = r"\d{17}[\dXx]"


def intake(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intake", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture
def config_file(tmp_path, imap_account, smtp_sink, sqlite_url):
    path = tmp_path / "config.yaml"
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=imap_account, smtp_sink=smtp_sink, database_url=sqlite_url)
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


def test_parse_prints_one_json_line_per_form_and_one_for_a_file_without_a_form(tmp_path):
    a, b = sample_applicants(2, seed=1)
    (tmp_path / "a.docx").write_bytes(build_form_docx(a))
    (tmp_path / "b.pdf").write_bytes(build_form_pdf(b))
    (tmp_path / "cv.docx").write_bytes(build_non_form_docx())

    result = intake("parse", "a.docx", "b.pdf", "cv.docx", "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == ["a.docx", "b.pdf", "cv.docx"]
    assert lines[2] == {"file": "cv.docx", "status": "not_a_form", "message": "没有找到报名表"}
    assert lines[0]["fields"] == mask_fields(a.expected_fields())  # masked unless --reveal
    assert lines[1]["fields"] == mask_fields(b.expected_fields())
    assert set(lines[0]) == {"file", "fields", "confidence", "needs_review", "warnings", "source"}
    assert lines[0]["source"] == {}  # a Word file has no pages to point at
    # A PDF says where each field was read: page 1, a box in points inside the A4 page.
    assert set(lines[1]["source"]) == set(lines[1]["fields"])
    name = lines[1]["source"]["name"]
    x0, top, x1, bottom = name["box"]
    assert name["page"] == 1 and 0 <= x0 < x1 <= 595.3 and 0 <= top < bottom <= 841.9


def test_parse_masks_id_and_phone_numbers_unless_revealed(tmp_path):
    [person] = sample_applicants(1, seed=3)
    (tmp_path / "a.docx").write_bytes(build_form_docx(person))
    masked = intake("parse", "a.docx", "--json", cwd=tmp_path)
    revealed = intake("parse", "a.docx", "--json", "--reveal", cwd=tmp_path)
    assert person.id_number not in masked.stdout and person.mobile not in masked.stdout
    assert not re.search(ID_PATTERN, masked.stdout)
    assert json.loads(revealed.stdout)["fields"]["id_number"] == person.id_number


def test_parse_json_gives_an_unreadable_file_its_status(tmp_path):
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really")
    result = intake("parse", "broken.docx", "--json", cwd=tmp_path)
    assert result.returncode == 1
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["file"] == "broken.docx" and line["status"] == "unreadable" and line["error"] == "corrupt"
    assert line["message"]


def test_parse_says_why_a_file_cannot_be_read(tmp_path):
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really")
    result = intake("parse", "broken.docx", cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.docx" in result.stderr and "corrupt" in result.stderr


def test_poll_once_twice_then_export(tmp_path, config_file, dovecot_server, imap_account, smtp_sink):
    mailbox = demo_mailbox(to_address=imap_account.username)
    for mail in mailbox:
        dovecot_server.append(imap_account.username, imap_account.password, "INBOX", mail.raw, msg_time=mail.received_at)

    first = intake("--config", str(config_file), "poll", "--once", cwd=tmp_path)
    second = intake("--config", str(config_file), "poll", "--once", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "新邮件 14 封，重复 1 封" in first.stdout
    assert "新邮件 0 封" in second.stdout
    assert len(smtp_sink.messages) == 11  # one per mail that asks for one: two applicants in one mail share it; a question gets one too

    exported = intake("--config", str(config_file), "export", "--format", "json", cwd=tmp_path)
    records = json.loads(exported.stdout)
    assert len(records) == 10
    assert {"id", "status", "sender", "subject", "received_at", "fields", "missing_fields", "attachments"} <= set(records[0])
    assert not __import__("re").search(ID_PATTERN, exported.stdout)  # masked unless --reveal
    revealed = json.loads(intake("--config", str(config_file), "export", "--reveal", cwd=tmp_path).stdout)
    assert len(revealed[0]["fields"]["id_number"]) == 18

    csv_out = intake("--config", str(config_file), "export", "--format", "csv", "-o", "a.csv", cwd=tmp_path)
    assert csv_out.returncode == 0, csv_out.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "a.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["编号", "状态"] and len(rows) == 11

    intake("--config", str(config_file), "export", "--format", "xlsx", "-o", "a.xlsx", cwd=tmp_path)
    sheet = load_workbook(tmp_path / "a.xlsx").active
    assert sheet.max_row == 11

    roster = json.loads(intake("--config", str(config_file), "export", "--roster", cwd=tmp_path).stdout)
    assert roster == []  # nobody approved yet: nothing is published

    status = intake("--config", str(config_file), "status", cwd=tmp_path)
    assert status.returncode == 0 and "待审核" in status.stdout


def test_run_polls_on_schedule_and_stops_cleanly_on_sigterm(tmp_path, config_file, dovecot_server, imap_account, smtp_sink):
    import signal
    import time

    [mail] = [m for m in demo_mailbox(to_address=imap_account.username) if m.expect_reply][:1]
    dovecot_server.append(imap_account.username, imap_account.password, "INBOX", mail.raw, msg_time=mail.received_at)
    worker = subprocess.Popen(
        [sys.executable, "-m", "intake", "--config", str(config_file), "run"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not smtp_sink.messages:  # the first poll runs at start-up
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, "no acknowledgement within 120 s"
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, stderr
    assert "poll: fetched 1 new" in stderr
    assert "intake worker stopped" in stderr
    assert len(smtp_sink.messages) == 1
