"""What one request works with: the app's settings and a database session opened on first use."""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from intake.core.config import Settings
from review.dashboard_figures import FiguresCache

FIGURES_CACHE_KEY = "intake.dashboard_figures"


def db() -> Session:
    """This request's database session (opened on first use, closed at the end of the request)."""
    if "db" not in g:
        g.db = current_app.extensions["intake"]["session_factory"]()
    return g.db


def settings() -> Settings:
    return current_app.extensions["intake"]["settings"]


def close_session(_exc=None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def client_address() -> str:
    return (request.remote_addr or "")[:64]


def figures_cache() -> FiguresCache:
    """The app's cache of counts (one per app, never module-global: two apps in one process
    must not share figures). The queue's counts and the dashboard read it; decisions clear it."""
    return current_app.extensions.setdefault(FIGURES_CACHE_KEY, FiguresCache())
