"""When an application is complete: one rule for the worker reading a form and for staff correcting one."""
from __future__ import annotations

from typing import Any, Sequence

from intake.core.statuses import ApplicationStatus


def missing_required(fields: dict[str, Any], required: Sequence[str]) -> list[str]:
    return [key for key in required if fields.get(key) in (None, "", [])]


def status_for(missing: Sequence[str]) -> ApplicationStatus:
    """The open status an application's missing fields give it (a decision is made by staff)."""
    return ApplicationStatus.INCOMPLETE if missing else ApplicationStatus.PENDING_REVIEW
