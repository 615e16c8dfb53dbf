"""Which one reply a mail gets, and what counts as an application mail — decided without a server."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.core.models import Attachment
from intake.core.statuses import AttachmentStatus, ReplyKind
from intake.worker.applications import could_be_form, mentions_applying
from notifier.replies import MessageItem, Outcome, reply_kind_for_message


def item(outcome=Outcome.NEW, *, form_read=True, missing=(), changed=()) -> MessageItem:
    return MessageItem(outcome=outcome, form_read=form_read, missing_fields=list(missing), changed_fields=list(changed))


def kind(*items: MessageItem, late: bool = False) -> ReplyKind:
    return reply_kind_for_message(is_late=late, items=list(items))


def test_a_new_complete_form_is_acknowledged():
    assert kind(item()) == ReplyKind.ACKNOWLEDGEMENT


def test_a_new_form_with_fields_missing_gets_the_incomplete_notice():
    assert kind(item(missing=["mobile"])) == ReplyKind.INCOMPLETE


def test_a_correction_that_is_still_incomplete_gets_the_incomplete_notice_again():
    assert kind(item(Outcome.UPDATE, missing=["expertise"], changed=["mobile"])) == ReplyKind.INCOMPLETE


def test_a_correction_that_completes_the_form_is_an_update():
    assert kind(item(Outcome.UPDATE, changed=["expertise"])) == ReplyKind.UPDATE


def test_supporting_documents_for_an_incomplete_application_are_an_update_not_a_second_notice():
    assert kind(item(Outcome.UPDATE, form_read=False, missing=["mobile"])) == ReplyKind.UPDATE


def test_a_mail_that_looked_like_an_application_but_held_no_readable_form_is_acknowledged_not_listed_missing():
    # Staff read the attachment by hand; nine "missing" fields would be wrong.
    assert kind(item(form_read=False, missing=["name", "gender", "mobile"])) == ReplyKind.ACKNOWLEDGEMENT


def test_files_nobody_can_open_are_asked_for_again():
    unreadable = MessageItem(outcome=Outcome.NEW, form_read=False, missing_fields=["name"], files_unreadable=True)
    assert kind(unreadable) == ReplyKind.INCOMPLETE


def test_another_senders_form_with_an_id_number_on_file_is_told_staff_will_check():
    assert kind(item(Outcome.POSSIBLE_DUPLICATE, missing=["mobile"])) == ReplyKind.POSSIBLE_DUPLICATE


def test_several_forms_in_one_mail_get_one_listing():
    assert kind(item(), item(missing=["email"]), item(Outcome.POSSIBLE_DUPLICATE)) == ReplyKind.SEVERAL


@pytest.mark.parametrize("items", [[item()], [item(Outcome.UPDATE)], [item(), item()], [item(missing=["mobile"])]])
def test_after_the_deadline_every_application_mail_gets_the_late_notice(items):
    assert kind(*items, late=True) == ReplyKind.LATE


@pytest.mark.parametrize("late", [False, True])
def test_a_mail_that_made_no_application_is_an_inquiry(late):
    assert kind(late=late) == ReplyKind.INQUIRY


def attachment(kind: str, status: AttachmentStatus, *, origin: str = "attachment", reason: str | None = None):
    return Attachment(filename="x", content_type="application/octet-stream", sha256="0" * 64, size=1,
                      origin=origin, kind=kind, status=status, reason=reason)


@pytest.mark.parametrize(("file", "expected"), [
    (attachment("docx", AttachmentStatus.PARSED), True),
    (attachment("image", AttachmentStatus.PARTIAL), True),
    (attachment("doc", AttachmentStatus.UNREADABLE, reason="encrypted"), True),      # could not look inside
    (attachment("pdf", AttachmentStatus.NOT_A_FORM, reason="no_form_fields"), True),  # a layout not known yet
    (attachment("image", AttachmentStatus.UNREADABLE, reason="timeout"), True),       # maybe a photographed page
    (attachment("image", AttachmentStatus.NOT_A_FORM, reason="no_form_fields"), False),  # an ID card, a certificate
    (attachment("image", AttachmentStatus.UNREADABLE, origin="inline"), False),       # the signature's logo
    (attachment("other", AttachmentStatus.NOT_A_FORM, reason="not_a_document"), False),
])
def test_what_attachment_could_be_the_form(file, expected):
    assert could_be_form(file) is expected


def test_a_mail_says_it_is_an_application_in_its_subject_body_or_a_files_name():
    assert mentions_applying("请问报名表是这个吗？", "")
    assert mentions_applying("", "我想申请加入专家库")
    assert mentions_applying("资料", "见附件", ["志愿服务专家登记表.pdf"])
    assert not mentions_applying("会议通知", "下周二开会", ["议程.pdf"])


# ---- properties: whatever a mail did, one reply of a kind that fits ---------------------------------

ITEMS = st.lists(st.builds(
    MessageItem,
    outcome=st.sampled_from(list(Outcome)), form_read=st.booleans(),
    missing_fields=st.lists(st.sampled_from(["name", "mobile", "expertise"]), unique=True),
    changed_fields=st.lists(st.sampled_from(["employer", "mobile"]), unique=True),
    files_unreadable=st.booleans()), max_size=4)


@given(ITEMS, st.booleans())
def test_every_mail_gets_exactly_one_kind_and_it_fits_what_the_mail_did(items, late):
    reply = reply_kind_for_message(is_late=late, items=items)
    assert isinstance(reply, ReplyKind)
    if not items:
        assert reply == ReplyKind.INQUIRY  # a question is answered whenever it came
    elif late:
        assert reply == ReplyKind.LATE  # after the deadline, whatever it carried
    elif len(items) > 1:
        assert reply == ReplyKind.SEVERAL  # one listing, never one reply per form
    else:
        # Nothing the sender cannot use: a duplicate is never told about the other application,
        # a complete form is never asked to complete, an incomplete one never just acknowledged.
        [only] = items
        if only.outcome == Outcome.POSSIBLE_DUPLICATE:
            assert reply == ReplyKind.POSSIBLE_DUPLICATE
        elif only.form_read and only.missing_fields:
            assert reply == ReplyKind.INCOMPLETE
        else:
            assert reply in (ReplyKind.ACKNOWLEDGEMENT, ReplyKind.UPDATE, ReplyKind.INCOMPLETE)
