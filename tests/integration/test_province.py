"""A province, not one office: three cities' centres in one deployment.

Each centre has its own 126.com-style mailbox (three accounts on one real
Dovecot) and its own SMTP account; one worker reads them all. Each mail
becomes an application of the city whose mailbox it reached, numbered with
that city's prefix, and is answered once, from that city's address. An
applicant unsure of their city who sends one mail to two centres is an
applicant of each, answered by each.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from intake.core.config import settings_from_mapping
from intake.core.db import Runtime
from intake.core.migrate import upgrade_database
from intake.core.models import Application, Message
from intake.worker.pipeline import run_once
from parsers.text.checks import id_check_char

pytestmark = pytest.mark.integration

CITIES = {  # campaign → (title, reference prefix, the centre's address)
    "zj-2020": ("湛江市中小企业志愿服务专家报名", "ZJZJ", "zjzxqyfw@126.com"),
    "mm-2020": ("茂名市中小企业志愿服务专家报名", "MMZJ", "mmzxqyfw@126.com"),
    "yj-2020": ("阳江市中小企业志愿服务专家报名", "YJZJ", "yjzxqyfw@126.com"),
}
ARRIVED = datetime(2020, 9, 15, 2, 0, tzinfo=timezone.utc)
MAOMING_WORKSTATIONS = {"茂南区": 3, "电白区": 2, "高州市": 2, "化州市": 2, "信宜市": 2}


@pytest.fixture
def province(tmp_path, dovecot_server, smtp_sink, database_url):
    mailboxes = {name: dovecot_server.new_account(name.split("-")[0]) for name in CITIES}
    campaigns = [
        {"name": name, "title": title, "deadline": "2020-09-25", "reference_prefix": prefix,
         "mailbox": {"host": mailboxes[name].host, "port": mailboxes[name].port, "security": "none",
                     "username": mailboxes[name].username, "password": mailboxes[name].password},
         "smtp": {"host": "127.0.0.1", "port": smtp_sink.port, "security": "none", "username": address,
                  "password": "secret", "from_address": address, "from_name": title[:3] + "中小企业服务中心"},
         **({"workstations": MAOMING_WORKSTATIONS} if name == "mm-2020" else {})}
        for name, (title, prefix, address) in CITIES.items()
    ]
    settings = settings_from_mapping({"campaigns": campaigns, "database": {"url": database_url},
                                      "storage": {"path": str(tmp_path / "store")}}, base_dir=tmp_path)
    upgrade_database(settings.database.url, campaigns=list(CITIES))
    runtime = Runtime.from_settings(settings)
    yield runtime, mailboxes
    runtime.close()


def application_mail(applicant, centre: str) -> bytes:
    return emails.qq_mail(sender_name=applicant.name, sender_address=applicant.email, subject=f"报名表-{applicant.name}",
                          body="老师您好，报名表请查收。", to_address=centre, date=ARRIVED,
                          attachments=[(f"报名表-{applicant.name}.docx", build_form_docx(applicant))])


def test_each_city_files_and_answers_its_own_mail(province, dovecot_server, smtp_sink):
    runtime, mailboxes = province
    zhanjiang_a, zhanjiang_b, maoming, yangjiang, unsure = sample_applicants(5, seed=12)
    sent_to = {"zj-2020": [zhanjiang_a, zhanjiang_b], "mm-2020": [maoming], "yj-2020": [yangjiang]}
    for campaign, applicants in sent_to.items():
        for applicant in applicants:
            deliver(dovecot_server, mailboxes[campaign], application_mail(applicant, CITIES[campaign][2]))
    both = application_mail(unsure, CITIES["zj-2020"][2])  # one mail, copied to two centres
    for campaign in ("zj-2020", "mm-2020"):
        deliver(dovecot_server, mailboxes[campaign], both)

    first = run_once(runtime, send_all_due=True)
    second = run_once(runtime, send_all_due=True)

    assert first.ok and first.process.failed == 0, first.process.errors
    assert (first.ingest.stored, first.outbox.sent) == (6, 6)
    assert (second.ingest.stored, second.process.processed, second.outbox.sent) == (0, 0, 0)
    with runtime.session_factory() as session:
        filed = Counter((a.campaign, a.name) for a in session.scalars(select(Application)))
        references = {a.campaign: a.reference.split("-")[0] for a in session.scalars(select(Application))}
        mail_of = Counter(m.campaign for m in session.scalars(select(Message)))
    assert filed == Counter({("zj-2020", zhanjiang_a.name): 1, ("zj-2020", zhanjiang_b.name): 1,
                             ("mm-2020", maoming.name): 1, ("yj-2020", yangjiang.name): 1,
                             ("zj-2020", unsure.name): 1, ("mm-2020", unsure.name): 1})
    assert references == {name: prefix for name, (_, prefix, _) in CITIES.items()}
    assert mail_of == Counter({"zj-2020": 3, "mm-2020": 2, "yj-2020": 1})

    # One reply per application, each from the centre the applicant wrote to, with that centre's title.
    replies = Counter((mail.envelope_from, mail.rcpt_tos[0]) for mail in smtp_sink.messages)
    expected = Counter((CITIES[campaign][2], applicant.email)
                       for campaign, applicants in {**sent_to}.items() for applicant in applicants)
    expected.update({(CITIES["zj-2020"][2], unsure.email): 1, (CITIES["mm-2020"][2], unsure.email): 1})
    assert replies == expected
    for mail in smtp_sink.messages:
        campaign = next(name for name, (_, _, address) in CITIES.items() if address == mail.envelope_from)
        assert CITIES[campaign][1] in str(mail.message.get_body(("plain",)).get_content())


def test_a_citys_form_is_read_against_that_citys_counties(province, dovecot_server, smtp_sink):
    runtime, mailboxes = province
    maoming, zhanjiang = (replace(applicant, county="茂南区", address="广东省茂名市茂南区油城三路8号",
                                  id_number=maoming_id(applicant.id_number))
                          for applicant in sample_applicants(2, seed=13))
    deliver(dovecot_server, mailboxes["mm-2020"], application_mail(maoming, CITIES["mm-2020"][2]))
    deliver(dovecot_server, mailboxes["zj-2020"], application_mail(zhanjiang, CITIES["zj-2020"][2]))

    report = run_once(runtime, send_all_due=True)

    assert report.process.failed == 0, report.process.errors
    with runtime.session_factory() as session:
        by_campaign = {a.campaign: a for a in session.scalars(select(Application))}
    # Maoming's own county, on Maoming's list: read as written, nothing to check.
    assert by_campaign["mm-2020"].county == "茂南区"
    assert "county" not in by_campaign["mm-2020"].needs_review, by_campaign["mm-2020"].warnings
    # The same county on a form sent to Zhanjiang is not one of Zhanjiang's: staff check it.
    assert "county" in by_campaign["zj-2020"].needs_review
    assert any("不在可选范围内" in warning for warning in by_campaign["zj-2020"].warnings)


def maoming_id(id_number: str) -> str:
    """The same person's number as issued in 茂南区 (440902), its check digit worked out again."""
    body = "440902" + id_number[6:17]
    return body + id_check_char(body)


def deliver(dovecot_server, account, raw: bytes) -> None:
    dovecot_server.append(account.username, account.password, "INBOX", raw, msg_time=ARRIVED)
