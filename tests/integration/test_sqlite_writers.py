"""The worker and the review app write to one SQLite database from two processes.

In WAL mode a transaction that has read and then writes, after another
process committed meanwhile, fails at once ("database is locked"), whatever
the busy timeout: the worker's group of mails, or a reviewer's decision,
would fail because the other side happened to commit. Transactions that
write take the write lock as they start, and so wait their turn.
"""
from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from intake.core.db import WRITES, make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.staff_models import StaffUser
from review import request_scope

pytestmark = pytest.mark.integration


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'intake.sqlite3'}"
    upgrade_database(url)
    worker, web = make_engine(url), make_engine(url)  # two processes' engines
    yield make_session_factory(worker, writes=True), make_session_factory(web)
    worker.dispose()
    web.dispose()


def add_user(session, name: str) -> None:
    session.add(StaffUser(username=name, password_hash="x"))


def test_a_writer_that_read_first_waits_for_the_other_instead_of_failing(database):
    worker, web = database
    web_done = threading.Event()
    errors: list[Exception] = []

    def reviewer_decides() -> None:
        try:
            with web(bind=web.kw["bind"].execution_options(**{WRITES: True})) as session, session.begin():
                add_user(session, "reviewer")
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)
        finally:
            web_done.set()

    with worker() as session, session.begin():
        session.scalar(select(func.count()).select_from(StaffUser))  # the worker reads first …
        reviewer = threading.Thread(target=reviewer_decides)
        reviewer.start()
        assert not web_done.wait(0.5), "the reviewer's write waits while the worker's transaction is open"
        add_user(session, "worker")  # … then writes: no "database is locked"
    reviewer.join(30)
    assert errors == []
    with web() as session:
        assert sorted(session.scalars(select(StaffUser.username))) == ["reviewer", "worker"]


def test_a_deferred_transaction_is_what_failed(database):
    """Why: the same steps with a transaction that takes the lock only when it writes."""
    _worker, web = database
    reader, other = web(), web()
    reader.begin()
    reader.execute(text("SELECT count(*) FROM staff_user")).scalar()
    with other.begin():
        add_user(other, "reviewer")
    add_user(reader, "worker")
    with pytest.raises(Exception, match="database is locked"):
        reader.flush()
    reader.rollback()
    reader.close()
    other.close()


def test_the_review_app_writes_with_the_lock_only_when_a_form_is_posted(database):
    for sessions in database:  # whichever sessions the app is given
        app = Flask(__name__)
        app.extensions["intake"] = {"session_factory": sessions}
        for method, writes in (("GET", False), ("POST", True)):
            with app.test_request_context("/", method=method):
                assert request_scope.db().connection().get_execution_options().get(WRITES) is writes, method
                request_scope.close_session()
