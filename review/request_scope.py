"""What one request works with: the app's settings and a database session opened on first use."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from intake.core.config import Settings
from intake.core.db import WRITES
from review.dashboard_figures import FiguresCache

FIGURES_CACHE_KEY = "intake.dashboard_figures"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db() -> Session:
    """This request's database session (opened on first use, closed at the end of the request).
    A request that changes something (a form posted) writes: its transactions take SQLite's
    write lock as they start (``intake.core.db.WRITES``), so the worker committing meanwhile
    makes it wait its turn rather than fail; a page only read never holds the lock, whichever
    sessions the app was given."""
    if "db" not in g:
        factory = current_app.extensions["intake"]["session_factory"]
        writes = has_request_context() and request.method not in SAFE_METHODS
        g.db = factory(bind=factory.kw["bind"].execution_options(**{WRITES: writes}))
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
