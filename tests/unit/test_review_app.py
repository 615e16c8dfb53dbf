"""The review app's front door: built from the settings and sessions it is given, nothing global."""
from __future__ import annotations

from pathlib import Path

from intake.core.config import load_settings
from intake.core.db import make_engine, make_session_factory
from review.app import create_app

PROJECT = Path(__file__).resolve().parents[2]


def test_create_app_binds_the_given_settings_and_sessions(tmp_path):
    settings = load_settings(PROJECT / "config.yaml")
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    sessions = make_session_factory(engine)
    try:
        first, second = create_app(settings, sessions), create_app(settings, sessions)
        assert first is not second
        assert first.extensions["intake"] == {"settings": settings, "session_factory": sessions}
    finally:
        engine.dispose()
