"""``intake demo``: the real service, end to end, on a local mailbox.

It starts a private Dovecot and a local SMTP sink on the ports in
config.yaml, seeds the mailbox once from the sample mailbox, runs exactly
the poll production runs, and shows the applications and the replies sent.
Then it serves the staff review app on those applications (web.host/web.port)
with a demo admin account until Ctrl-C or SIGTERM; ``web=False``
(``--exit-after-poll``) stops after the poll, for CI.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import threading
from email import policy
from email.parser import BytesParser
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.engine import make_url

from devtools.samples.mailbox import demo_mailbox
from devtools.servers import DovecotServer, ServerNotInstalled
from devtools.servers.smtp_sink import SmtpSink
from devtools.web_server import WebServer
from intake.cli.reporting import print_run_report
from intake.core.config import ConfigError, MailboxSettings, Settings, config_path_from, load_settings
from intake.core.db import Runtime
from intake.core.labels import field_labels, status_label
from intake.core.masking import mask_fields
from intake.core.migrate import upgrade_database
from intake.core.models import Application
from intake.core.statuses import StaffRole
from intake.worker.pipeline import run_once
from review import audit
from review.accounts import add_user, find_user
from review.app import create_app

# The demo's own admin account, printed on screen: for the demo database only.
# A real deployment adds its staff with `intake users add NAME --role admin`.
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-intake-2020"


def run_demo(workdir: Path, *, fresh: bool = False, config_path: str | None = None, web: bool = True) -> int:
    try:
        settings = load_settings(config_path_from(config_path))
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        return 2
    # The demo's sample mail goes to the first campaign; every campaign's mailbox is an account of
    # the one local Dovecot, and every reply goes to the one local sink.
    demo_campaign = settings.campaigns[0]
    mailbox, smtp = demo_campaign.mailbox, demo_campaign.smtp
    if any(c.mailbox.host not in ("127.0.0.1", "localhost") or c.mailbox.security != "none"
           or (c.mailbox.port, c.smtp.port) != (mailbox.port, smtp.port) for c in settings.campaigns):
        click.echo("intake demo uses the local demo mailbox; this config points at a real one. "
                   "Use the checked-in config.yaml, or run `intake poll --once` for a real mailbox.", err=True)
        return 2
    if fresh:
        for path in (workdir, _mailserver_dir(workdir)):
            if path.exists():
                shutil.rmtree(path)
        for path in (settings.storage.path, _sqlite_file(settings)):
            if path is not None and path.exists():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    workdir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    sent_dir = workdir / "sent"
    try:
        dovecot = DovecotServer(_mailserver_dir(workdir), port=mailbox.port, keep_workdir=True)
        with dovecot, SmtpSink(port=smtp.port, eml_dir=sent_dir):
            accounts = [dovecot.add_user(c.mailbox.username, c.mailbox.resolved_password() or "", exist_ok=True)
                        for c in settings.campaigns]
            _seed_once(dovecot, accounts[0], workdir, demo_campaign.mailbox)
            upgrade_database(settings.database.url, campaigns=[c.name for c in settings.campaigns])
            runtime = Runtime.from_settings(settings)
            try:
                click.echo("== 运行一次收信处理（与生产环境的 intake poll --once 相同）")
                report = run_once(runtime)
                print_run_report(report)
                _show_applications(runtime)
            finally:
                runtime.close()
    except ServerNotInstalled as exc:
        click.echo(str(exc), err=True)
        return 1
    _show_sent(sent_dir)
    click.echo(f"\n已发送的回复保存在 {sent_dir}/ ；再次运行不会重复收取或发送。`intake demo --fresh` 从头开始。")
    if not report.ok:
        return 1
    return _serve_review_app(settings) if web else 0


def _serve_review_app(settings: Settings) -> int:
    """The review app on the demo data, until Ctrl-C or SIGTERM."""
    runtime = Runtime.from_settings(settings)
    try:
        _ensure_demo_account(runtime)
        app = create_app(settings, runtime.session_factory)
        server = WebServer(app, host=settings.web.host, port=settings.web.port, threads=settings.web.threads)
        try:
            server.start()
        except OSError as exc:
            click.echo(f"审核系统无法在 {settings.web.host}:{settings.web.port} 启动（{exc.strerror or exc}）。"
                       "请关闭占用该端口的程序，或在 config.yaml 中修改 web.port 后重试。", err=True)
            return 1
        try:
            click.echo(f"\n== 审核系统：{server.url}  用户名 {DEMO_USERNAME}  密码 {DEMO_PASSWORD}")
            click.echo("   （演示专用的管理员账号，只存在于演示数据库；正式使用请用 intake users add 添加账号）")
            click.echo("   按 Ctrl-C 停止。")
            _wait_for_stop_signal()
        finally:
            server.stop()
        click.echo("审核系统已停止。")
        return 0
    finally:
        runtime.close()


def _ensure_demo_account(runtime: Runtime) -> None:
    with runtime.session_factory() as session, session.begin():
        if find_user(session, DEMO_USERNAME) is None:
            add_user(session, DEMO_USERNAME, DEMO_PASSWORD, StaffRole.ADMIN,
                     campaigns=[campaign.name for campaign in runtime.settings.campaigns], provincial=True)
            audit.record(session, "user_add", username="(演示)", details={"user": DEMO_USERNAME})


def _wait_for_stop_signal() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM, then restore the previous handlers."""
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _mailserver_dir(workdir: Path) -> Path:
    """The demo mail store; Dovecot drops root, so its users must be able to reach it.

    A project checked out under a private directory (/root, a 0700 home) gets
    the store under /var/tmp instead, one per project, kept between runs.
    """
    wanted = (workdir / "mailserver").resolve()
    # A folder not made yet (a fresh checkout's data/) is made with the usual umask, open to all.
    if os.geteuid() != 0 or all(p.stat().st_mode & 0o001 for p in wanted.parents if p.exists()):
        return wanted
    digest = hashlib.sha1(str(wanted).encode()).hexdigest()[:10]
    return Path("/var/tmp") / f"intake-demo-{digest}"


def _sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.database.url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def _seed_once(dovecot: DovecotServer, account, workdir: Path, mailbox: MailboxSettings) -> None:
    marker = workdir / "mailbox-seeded"
    if marker.exists():
        return
    mails = demo_mailbox(to_address=mailbox.username)
    click.echo(f"== 向演示邮箱投递 {len(mails)} 封样例邮件")
    for mail in mails:
        dovecot.append(account.username, account.password, mailbox.folder, mail.raw,
                       msg_time=mail.received_at)
        click.echo(f"   {mail.received_at:%m-%d %H:%M}  {mail.label}")
    marker.write_text("seeded\n", encoding="utf-8")


def _show_applications(runtime: Runtime) -> None:
    with runtime.session_factory() as session:
        applications = session.scalars(select(Application).order_by(Application.id)).all()
        click.echo(f"\n== 报名（共 {len(applications)} 份；身份证号、电话已脱敏）")
        for app in applications:
            fields = mask_fields(app.fields or {})
            flags = [status_label(app.status)] + (["逾期"] if app.is_late else []) + ([f"v{app.version}"] if app.version > 1 else [])
            click.echo(
                f"  {app.reference}  {fields.get('name', '（未识别）')}  {fields.get('employer', '')}  "
                f"{fields.get('id_number', '')}  {fields.get('mobile', '')}  [{', '.join(flags)}]"
            )
            if app.missing_fields:
                click.echo(f"      缺少：{'、'.join(field_labels(app.missing_fields))}")


def _show_sent(sent_dir: Path) -> None:
    files = sorted(sent_dir.glob("*.eml"))
    click.echo(f"\n== 已发送的自动回复（{len(files)} 封）")
    for path in files:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = message.get_body(("plain",))
        lines = [line.strip() for line in (body.get_content() if body else "").splitlines() if line.strip()]
        first_lines = lines[1:3]
        click.echo(f"  → {message['To']}  「{message['Subject']}」")
        for line in first_lines:
            click.echo(f"      {line}")
