"""Named steps where a test may kill the worker outright, to prove that a crash
anywhere loses nothing and does nothing twice.

Off unless the environment variable ``INTAKE_CRASH_AT`` names a step, e.g.
``after_fetch:3`` — the third time the step is reached the process sends
itself SIGKILL (no cleanup, no flush: what a power cut or the OOM killer
does). The steps, in the order mail meets them:

after_fetch          a mail's bytes are in memory, no row for it (earlier mails of its
                     fetch batch may already be on disk, without rows: fetched again)
after_blob           the raw mail is fsynced to the blob store, no row yet
after_message_commit the message row is committed, nothing read yet
before_record        its attachments are parsed, nothing recorded
after_record_commit  application and reply rows committed, mailbox untouched
before_move          about to move processed mail on the server
after_smtp_accepted  the SMTP server said 250, the outbox row not yet marked sent
"""
from __future__ import annotations

import os
import signal
from collections import Counter

ENVIRONMENT_VARIABLE = "INTAKE_CRASH_AT"
STEPS = ("after_fetch", "after_blob", "after_message_commit", "before_record", "after_record_commit",
         "before_move", "after_smtp_accepted")
_reached: Counter[str] = Counter()


def reached(step: str) -> None:
    """Mark that the worker got to ``step``; dies here if a test asked it to."""
    wanted = os.environ.get(ENVIRONMENT_VARIABLE)
    if not wanted:
        return
    name, _, count = wanted.partition(":")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
