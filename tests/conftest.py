"""Shared fixtures. Real servers (Dovecot, an SMTP sink, PostgreSQL) come from tests/fixtures/."""
from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.dovecot",
    "tests.fixtures.postgres",
    "tests.fixtures.smtp",
    "tests.fixtures.intake_env",
    "tests.fixtures.review_app",
    "tests.fixtures.browser",
    "tests.fixtures.log_audit",
]
