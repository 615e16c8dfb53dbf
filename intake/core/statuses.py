"""Status values stored in the database; their string values are stable."""
from __future__ import annotations

import enum


class MessageStatus(str, enum.Enum):
    STORED = "stored"          # raw bytes and row written; nothing else done yet
    PROCESSED = "processed"    # parsed and turned into applications (or ignored)
    IGNORED = "ignored"        # not an application (auto-reply, bounce, bulk, duplicate)
    FAILED = "failed"          # processing raised; error kept, retryable
    TOO_LARGE = "too_large"    # over mailbox.max_message_mb: headers kept, the mail left on the server


class AttachmentStatus(str, enum.Enum):
    PARSED = "parsed"          # one or more forms read
    PARTIAL = "partial"        # a form read, but with fields to check
    NOT_A_FORM = "not_a_form"  # readable, but holds no application form
    UNREADABLE = "unreadable"  # corrupt, encrypted, too large, unsupported, timed out


class ApplicationStatus(str, enum.Enum):
    INCOMPLETE = "incomplete"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"        # waiting for its first or next attempt
    SENDING = "sending"        # claimed by a flush; a crash here is resolved on restart
    SENT = "sent"
    FAILED = "failed"          # permanent SMTP failure or too many attempts; staff see it


class ReplyKind(str, enum.Enum):
    """What a reply is; its template is ``notifier/templates/<value>.txt``."""

    ACKNOWLEDGEMENT = "acknowledgement"  # a new application received
    INCOMPLETE = "incomplete"      # a form read with required fields missing (again after a correction)
    LATE = "late"                  # the mail arrived after the deadline
    UPDATE = "update"              # a correction or supporting documents for an existing application
    POSSIBLE_DUPLICATE = "possible_duplicate"  # another sender's form with an ID number already on file
    SEVERAL = "several_applications"  # one mail, several applications: one reply listing each
    INQUIRY = "inquiry"            # no form: how to apply, the blank form attached
    REMINDER = "reminder"
    REQUEST_INFO = "request_info"  # staff ask the applicant for more (需补充)
    APPROVED = "approved"          # staff decisions, sent when staff choose to
    REJECTED = "rejected"


class StaffRole(str, enum.Enum):
    REVIEWER = "reviewer"      # reviews, corrects and decides applications
    ADMIN = "admin"            # also reveals, exports the provincial report, retries, reads the audit log
