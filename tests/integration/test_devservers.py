"""The project's own Dovecot and PostgreSQL servers really work."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import sqlalchemy as sa
from imapclient import IMAPClient

from devtools.servers import DevServerError, DovecotServer, ImapAccount, PostgresServer
from devtools.servers.dovecot import render_config

pytestmark = pytest.mark.integration

CST = dt.timezone(dt.timedelta(hours=8))

RAW_8BIT = (
    "From: =?utf-8?b?5byg5LiJ?= <zhangsan@example.com>\r\n"
    "To: apply@example.com\r\n"
    "Subject: =?utf-8?b?55Sz6K+36KGo?=\r\n"
    "Date: Fri, 01 Mar 2024 08:30:00 +0800\r\n"
    "Message-ID: <devservers-1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "专家申请表：张三，湛江市中小企业服务志愿专家。\r\n"
).encode("utf-8")


def login(account: ImapAccount) -> IMAPClient:
    client = IMAPClient(account.host, port=account.port, ssl=False, timeout=10)
    client.normalise_times = False  # keep INTERNALDATE's timezone
    client.login(account.username, account.password)
    return client


# --------------------------------------------------------------------- Dovecot


def test_listens_on_loopback_only(dovecot_server: DovecotServer) -> None:
    assert dovecot_server.host == "127.0.0.1"
    conf = dovecot_server.config_path.read_text()
    assert "listen = 127.0.0.1" in conf
    assert "ssl = no" in conf
    with socket.create_connection((dovecot_server.host, dovecot_server.port), timeout=5) as sock:
        assert sock.recv(1024).startswith(b"* OK")


def test_login_id_append_search_fetch_roundtrip(
    dovecot_server: DovecotServer, imap_account: ImapAccount
) -> None:
    internaldate = dt.datetime(2024, 3, 1, 8, 30, 15, tzinfo=CST)
    uid = dovecot_server.append(
        imap_account.username,
        imap_account.password,
        "INBOX",
        RAW_8BIT,
        flags=(),
        msg_time=internaldate,
    )
    assert uid == 1

    client = login(imap_account)
    try:
        caps = set(client.capabilities())
        assert {b"ID", b"UIDPLUS", b"MOVE", b"IDLE"} <= caps
        server_id = dict(client.id_({"name": "intake-tests", "version": "0"}))
        assert server_id[b"name"] == b"Dovecot"

        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        assert uids == [uid]
        assert client.search(["HEADER", "Message-ID", "<devservers-1@example.com>"]) == [uid]
        fetched = client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE", "FLAGS"])[uid]
        assert fetched[b"BODY[]"] == RAW_8BIT
        assert fetched[b"INTERNALDATE"] == internaldate  # same instant
        assert b"\\Seen" not in fetched[b"FLAGS"]  # PEEK must not set \Seen
    finally:
        client.logout()


def test_internaldate_reported_in_server_timezone(make_dovecot_server) -> None:
    server = make_dovecot_server(timezone="CST-8")  # like 126.com: +0800
    account = server.new_account()
    sent = dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc)
    uid = server.append(account.username, account.password, "INBOX", RAW_8BIT, msg_time=sent)
    client = login(account)
    try:
        client.select_folder("INBOX", readonly=True)
        internaldate = client.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"]
    finally:
        client.logout()
    assert internaldate == sent
    assert internaldate.utcoffset() == dt.timedelta(hours=8)
    assert (internaldate.year, internaldate.month, internaldate.day) == (2024, 3, 1)


def test_append_with_flags_into_new_folder(
    dovecot_server: DovecotServer, imap_account: ImapAccount
) -> None:
    folder = "申请/已处理"
    dovecot_server.create_folder(imap_account.username, folder)
    uid = dovecot_server.append(
        imap_account.username, imap_account.password, folder, RAW_8BIT, flags=[r"\Seen"]
    )
    with dovecot_server.session(imap_account.username) as client:
        assert client.folder_exists(folder)
        client.select_folder(folder, readonly=True)
        assert client.search(["SEEN"]) == [uid]


def test_move_is_supported_by_default(
    dovecot_server: DovecotServer, imap_account: ImapAccount
) -> None:
    dovecot_server.create_folder(imap_account.username, "Done")
    uid = dovecot_server.append(imap_account.username, imap_account.password, "INBOX", RAW_8BIT)
    with dovecot_server.session(imap_account.username) as client:
        client.select_folder("INBOX")
        client.move([uid], "Done")
        assert client.search(["ALL"]) == []
        client.select_folder("Done", readonly=True)
        assert len(client.search(["ALL"])) == 1


def test_uidvalidity_changes_after_recreate(
    dovecot_server: DovecotServer, imap_account: ImapAccount
) -> None:
    user = imap_account.username
    for folder in ("INBOX", "Archive"):
        dovecot_server.append(user, imap_account.password, folder, RAW_8BIT)
        before = dovecot_server.uidvalidity(user, folder)
        after = dovecot_server.recreate_mailbox(user, folder)
        assert after != before
        assert dovecot_server.uidvalidity(user, folder) == after
        with dovecot_server.session(user) as client:
            client.select_folder(folder, readonly=True)
            assert client.search(["ALL"]) == []
        # UIDs start again from 1 in the new mailbox.
        assert dovecot_server.append(user, imap_account.password, folder, RAW_8BIT) == 1


def test_users_are_isolated_and_passwords_checked(
    dovecot_server: DovecotServer, imap_account: ImapAccount
) -> None:
    other = dovecot_server.new_account("other")
    dovecot_server.append(other.username, other.password, "INBOX", RAW_8BIT)
    with dovecot_server.session(imap_account.username) as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["ALL"]) == []
    bad = ImapAccount(other.host, other.port, other.username, other.password + "x")
    with pytest.raises(IMAPClient.Error):
        login(bad)


def test_disable_move_hides_move_capability(make_dovecot_server) -> None:
    server = make_dovecot_server(disable_move=True, disable_idle=True)
    account = server.new_account()
    client = login(account)
    try:
        caps = set(client.capabilities())
        assert b"MOVE" not in caps
        assert b"IDLE" not in caps
        assert {b"IMAP4REV1", b"ID", b"UIDPLUS"} <= caps
        # The COPY + EXPUNGE fallback a client uses without MOVE.
        uid = server.append(account.username, account.password, "INBOX", RAW_8BIT)
        server.create_folder(account.username, "Done")
        client.select_folder("INBOX")
        client.copy([uid], "Done")
        client.delete_messages([uid])
        client.uid_expunge([uid])
        assert client.search(["ALL"]) == []
        client.select_folder("Done", readonly=True)
        assert len(client.search(["ALL"])) == 1
    finally:
        client.logout()


def test_stop_frees_port_and_workdir() -> None:
    server = DovecotServer().start()
    port, workdir = server.port, server.workdir
    server.stop()
    assert not workdir.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.parametrize("server_class", [DovecotServer, PostgresServer])
def test_unstarted_server_says_so(server_class) -> None:
    server = server_class()
    for attribute in ("port", "workdir"):
        with pytest.raises(DevServerError, match=f"{server_class.__name__} is not started"):
            getattr(server, attribute)
    assert not server.running
    assert server.log_tail() == ""
    assert repr(server) == f"<{server_class.__name__} stopped>"
    server.stop()  # stopping a server that never started is harmless


def test_config_for_dovecot_24_uses_new_option_names(tmp_path) -> None:
    conf = render_config(workdir=tmp_path, port=1143, version=(2, 4, 1))
    assert "auth_allow_cleartext = yes" in conf
    assert "disable_plaintext_auth" not in conf
    conf23 = render_config(workdir=tmp_path, port=1143, version=(2, 3, 19, 1))
    assert "disable_plaintext_auth = no" in conf23
    assert "auth_allow_cleartext" not in conf23


# ------------------------------------------------------------------ PostgreSQL


def test_postgres_table_roundtrip(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://")
    assert "@127.0.0.1:" in postgres_url
    engine = sa.create_engine(postgres_url)
    try:
        meta = sa.MetaData()
        forms = sa.Table(
            "forms",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("received_at", sa.DateTime(timezone=True)),
        )
        meta.create_all(engine)
        when = dt.datetime(2024, 3, 1, 8, 30, tzinfo=CST)
        with engine.begin() as conn:
            conn.execute(forms.insert(), [{"name": "张三", "received_at": when}, {"name": "李四", "received_at": None}])
        with engine.connect() as conn:
            rows = conn.execute(sa.select(forms.c.name, forms.c.received_at).order_by(forms.c.id)).all()
            version = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
        assert [r.name for r in rows] == ["张三", "李四"]
        assert rows[0].received_at == when
        assert int(version) >= 150000
    finally:
        engine.dispose()


def test_postgres_databases_are_fresh_per_test(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        assert tables == 0
    finally:
        engine.dispose()


def test_postgres_server_api(postgres_server: PostgresServer) -> None:
    assert postgres_server.host == "127.0.0.1"
    url = postgres_server.create_database("api_check")
    try:
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/api_check"
        with postgres_server.connect("api_check") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("api_check",)
            assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
    finally:
        postgres_server.drop_database("api_check")


# ------------------------------------------------------- missing installations


def test_missing_dovecot_gives_install_hint(monkeypatch) -> None:
    from devtools.servers import dovecot as dovecot_mod

    monkeypatch.setattr(dovecot_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(dovecot_mod, "_SEARCH_DIRS", ())
    with pytest.raises(dovecot_mod.DovecotNotInstalled, match="apt-get install dovecot-imapd"):
        DovecotServer().start()


def test_missing_postgres_gives_install_hint(monkeypatch) -> None:
    from devtools.servers import postgres as postgres_mod

    with pytest.raises(postgres_mod.PostgresNotInstalled, match="apt-get install postgresql-15"):
        postgres_mod.find_postgres_bindir(version="0")


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_server_skips_locally_and_fails_in_ci(monkeypatch, ci: str) -> None:
    from tests.fixtures import missing_server

    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci == "true" else pytest.skip.Exception
    with pytest.raises(expected):
        missing_server("not installed")
