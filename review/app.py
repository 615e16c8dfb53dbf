"""The staff review web app: ``create_app(settings, session_factory)``.

Stands on ``intake.core`` only (settings, sessions, models, statuses,
masking): it reads and decides from stored rows and queues replies through
``notifier``; it never imports the worker. Views come with the review-app work.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from intake.core.config import Settings


def create_app(settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    """A Flask app bound to these settings and this database; nothing global."""
    app = Flask(__name__)
    app.extensions["intake"] = {"settings": settings, "session_factory": session_factory}
    return app
