"""A reviewer fixes what the machine misread: the value is judged exactly as the parser judges it.

The story: a form arrives with the name padded, the mobile written "+86 138 …", the
county as the short "遂溪" and the ID number with one digit wrong. A reviewer types the
same things into the review app and gets the same normalised values and the same verdicts
the parser gives; the bad ID number is saved but stays flagged. Two reviewers saving the
same application: the second, working from the old page, gets a conflict and the first
value stays.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from intake.core.db import make_engine, make_session_factory
from intake.core.models import Application, AuditEntry, Base, Message
from intake.core.statuses import ApplicationStatus
from parsers.text.assemble import rows_to_results
from parsers.text.checks import id_check_char
from parsers.text.rows import TextRow
from review.corrections import CONFLICT_MESSAGE, Conflict, confirm_field, correct_field

REQUIRED = ["name", "gender", "id_number", "employer", "mobile", "email", "county", "expertise", "specialty"]
GOOD_ID = "44080219780512001" + id_check_char("44080219780512001")  # a man born 1978-05
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")  # one wrong check character
COMPLETE = {"name": "张喆", "gender": "男", "birth_date": "1978-05", "id_number": GOOD_ID, "employer": "湛江某公司",
            "mobile": "13812345678", "email": "zhangzhe@example.com", "county": "霞山区", "expertise": ["财税"],
            "specialty": "财税咨询"}


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def add_application(session, **fields) -> Application:
    when = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)
    message = Message(raw_sha256="a" * 64, size=1, body_sha256="b" * 64, received_at=when)
    application = Application(campaign="zj-2020", reference="ZJZJ-2020-0001", status=ApplicationStatus.INCOMPLETE,
                              message=message, fields=dict(fields), received_at=when, missing_fields=[],
                              needs_review=list(fields), warnings=[])
    application.sync_columns()
    session.add(application)
    session.commit()
    return application


def parsed(**raw_by_label) -> dict:
    """What the parser makes of these raw values on a form."""
    rows = [TextRow(("湛江市中小企业志愿服务专家报名表",))]
    rows += [TextRow((label, value), in_table=True) for label, value in raw_by_label.items()]
    [result] = rows_to_results(rows, "docx")
    return {"fields": result.fields, "needs_review": result.needs_review, "warnings": result.warnings}


def correct(session, application, key, raw):
    return correct_field(session, application, key, raw, username="reviewer", expected_version=application.row_version,
                         address="127.0.0.1", required_fields=REQUIRED)


def test_typed_values_are_normalised_exactly_as_the_parser_reads_them(session):
    application = add_application(session, name="张", gender="男", birth_date="1978-05", id_number=GOOD_ID)
    typed = {"name": ("姓名", "张  喆"), "mobile": ("手机号码", "+86 138 1234 5678"),
             "county": ("所在县（市、区）", "遂溪"), "gender": ("性别", "男性")}
    parser = parsed(**dict(typed.values()), 身份证号码=GOOD_ID, 出生年月="1978.05")

    for key, (_label, raw) in typed.items():
        verdict = correct(session, application, key, raw)
        session.commit()
        assert verdict.ok and verdict.value == parser["fields"][key]

    assert application.fields["name"] == "张喆"
    assert application.fields["mobile"] == application.mobile == "13812345678"
    assert application.fields["county"] == application.county == "遂溪县"
    assert not parser["needs_review"]
    assert {"name", "mobile", "county", "gender"} <= set(application.confirmed_fields)
    assert not {"name", "mobile", "county", "gender"} & set(application.needs_review)


def test_an_id_number_with_a_bad_checksum_is_saved_but_stays_flagged_with_the_parsers_verdict(session):
    application = add_application(session, **{**COMPLETE, "id_number": None})
    assert application.status == ApplicationStatus.INCOMPLETE
    parser = parsed(身份证号码=BAD_ID, 性别="男", 出生年月="1978-05")

    verdict = correct(session, application, "id_number", f" {BAD_ID[:6]} {BAD_ID[6:]} ")
    session.commit()

    assert not verdict.ok and verdict.value == BAD_ID == parser["fields"]["id_number"]
    assert verdict.problems == parser["warnings"]
    assert application.fields["id_number"] == application.id_number == BAD_ID
    assert "id_number" in application.needs_review and "id_number" not in application.confirmed_fields
    assert parser["warnings"][0] in application.warnings
    # The required field is there now, flagged or not: the application is complete.
    assert application.missing_fields == [] and application.status == ApplicationStatus.PENDING_REVIEW
    assert application.review_count == len(application.needs_review)

    # Typing the right number clears the flag and the stale verdict.
    verdict = correct(session, application, "id_number", GOOD_ID)
    session.commit()
    assert verdict.ok and "id_number" not in application.needs_review
    assert parser["warnings"][0] not in application.warnings


def test_an_id_number_that_disagrees_with_the_gender_is_flagged_like_the_parser_does(session):
    application = add_application(session, **{**COMPLETE, "gender": "女"})
    parser = parsed(身份证号码=GOOD_ID, 性别="女", 出生年月="1978-05")
    assert "id_number" in parser["needs_review"]

    verdict = correct(session, application, "id_number", GOOD_ID)

    assert verdict.problems and verdict.problems == [w for w in parser["warnings"] if "性别" in w]


def test_the_audit_log_keeps_old_and_new_values_masked(session):
    application = add_application(session, **COMPLETE)
    correct(session, application, "id_number", BAD_ID)
    correct(session, application, "mobile", "13900001111")
    session.commit()

    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.details["field"]) for e in entries] == [("correct", "id_number"), ("correct", "mobile")]
    logged = repr([e.details for e in entries])
    for secret in (GOOD_ID, BAD_ID, "13812345678", "13900001111"):
        assert secret not in logged
    assert entries[1].details["old"] == "138****5678" and entries[1].details["new"] == "139****1111"
    assert entries[0].details["verdict"].startswith("身份证号码") and "校验位" in entries[0].details["verdict"]


def test_clearing_a_required_field_makes_the_application_incomplete_but_never_undoes_a_decision(session):
    application = add_application(session, **COMPLETE)
    application.status = ApplicationStatus.PENDING_REVIEW
    session.commit()

    correct(session, application, "employer", "  ")
    session.commit()
    assert "employer" not in application.fields and application.missing_fields == ["employer"]
    assert application.status == ApplicationStatus.INCOMPLETE

    application.status = ApplicationStatus.APPROVED
    session.commit()
    correct(session, application, "employer", "湛江另一公司")
    session.commit()
    assert application.status == ApplicationStatus.APPROVED and application.employer == "湛江另一公司"


def test_a_confirmed_field_leaves_review_unchanged_in_value(session):
    application = add_application(session, **COMPLETE)
    confirm_field(session, application, "mobile", username="reviewer", expected_version=application.row_version,
                  address=None)
    session.commit()
    assert application.fields["mobile"] == "13812345678"
    assert "mobile" not in application.needs_review and "mobile" in application.confirmed_fields
    [entry] = session.scalars(select(AuditEntry)).all()
    assert entry.action == "confirm" and entry.details == {"field": "mobile", "value": "138****5678"}


def test_a_second_save_from_an_old_page_is_a_conflict_and_the_first_value_stays(session):
    application = add_application(session, **COMPLETE)
    page_version = application.row_version  # both reviewers opened the page now

    correct_field(session, application, "employer", "第一位审核员填的单位", username="first",
                  expected_version=page_version, address=None, required_fields=REQUIRED)
    session.commit()
    with pytest.raises(Conflict, match=CONFLICT_MESSAGE):
        correct_field(session, application, "employer", "第二位审核员填的单位", username="second",
                      expected_version=page_version, address=None, required_fields=REQUIRED)
    session.rollback()

    session.expire_all()
    stored = session.get(Application, application.id)
    assert stored.employer == "第一位审核员填的单位"
    assert [e.username for e in session.scalars(select(AuditEntry))] == ["first"]


def test_a_save_racing_another_session_fails_at_commit_rather_than_overwriting(session):
    application = add_application(session, **COMPLETE)
    factory = make_session_factory(session.get_bind())
    with factory() as other:
        theirs = other.get(Application, application.id)
        correct_field(other, theirs, "employer", "另一会话的单位", username="other",
                      expected_version=theirs.row_version, address=None, required_fields=REQUIRED)
        other.commit()
    # This session still holds the old row_version: its own check passes, the UPDATE does not.
    with pytest.raises(StaleDataError):
        correct(session, application, "employer", "本会话的单位")
        session.commit()
    session.rollback()
    assert session.get(Application, application.id).employer == "另一会话的单位"
