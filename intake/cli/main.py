"""The ``intake`` command: parse, poll, run, worker, export, status, health, retry, db, demo."""
from __future__ import annotations

import dataclasses
import json
import logging
import sys
from contextlib import nullcontext
from pathlib import Path

import click
from waitress import serve

import parsers
from intake.cli.campaign_choice import campaign_option, one_campaign
from intake.cli.export import export_applications
from intake.cli.reminders_command import reminders
from intake.cli.reporting import (
    health_checks, print_campaigns, print_health, print_queue, print_run_report, print_status,
)
from intake.cli.runtime_setup import runtime_of, settings_of, upgrade_schema
from intake.cli.templates_command import templates
from intake.cli.users_command import users
from intake.core import log_redaction
from intake.core.db import make_session_factory
from intake.core.masking import mask_fields, redact_text
from intake.core.migrate import current_revision
from intake.core.statuses import AttachmentStatus
from intake.worker.jobs import run_queue_worker
from intake.worker.pipeline import AlreadyRunning, run_once, single_runner
from intake.worker.runner import process_stored_messages
from intake.worker.scheduler import run_forever
from parsers.errors import ParseError
from parsers.results import FormResult
from parsers.sandbox import Limits, map_isolated
from parsers.schema import load_schema
from review.app import create_app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="config.yaml to use (default: $INTAKE_CONFIG, then ./config.yaml).")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """intake: the mailbox of application forms, parsed and queued for staff review."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    log_redaction.install(logging.DEBUG if verbose else logging.INFO, sys.stderr)
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations log every step


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per form per line (with where each field was read: \"source\"); "
                   "a file without a form or unreadable gets a line with its status.")
@click.option("--reveal", is_flag=True, help="Show ID and phone numbers in full (default: masked).")
def parse(files: tuple[Path, ...], as_json: bool, reveal: bool) -> None:
    """Read application forms from FILES (no database, no mailbox)."""
    failures = 0
    show_progress = len(files) > 1 and sys.stderr.isatty()
    # Files are parsed at once, one child process per CPU; results print in
    # the order given.
    with click.progressbar(length=len(files), label="解析中", file=sys.stderr) if show_progress \
            else nullcontext() as bar:
        parsers.preload()
        # Absolute paths: each child works in a folder of its own.
        outcomes = map_isolated(_parse_file, [(path.resolve(),) for path in files], limits=Limits(),
                                progress=(lambda done, total: bar.update(1)) if bar is not None else None)
    for path, outcome in zip(files, outcomes):
        if isinstance(outcome, ParseError):
            failures += 1
            _echo_parse_error(path, outcome, as_json)
            continue
        if not outcome:
            # Every file gets a line: a form, its error, or that it holds none.
            if as_json:
                click.echo(json.dumps({"file": str(path), "status": AttachmentStatus.NOT_A_FORM.value,
                                       "message": "没有找到报名表"}, ensure_ascii=False))
            else:
                click.echo(f"{path}: 没有找到报名表 (no application form found)")
        for result in outcome:
            if not reveal:
                result = masked_result(result)
            if as_json:
                click.echo(json.dumps(result.to_json(str(path)), ensure_ascii=False))
            else:
                _echo_result(path, result)
    if failures:
        sys.exit(1)


def _parse_file(path: Path):
    """Runs in the parsing child: the file is read there, not held by the parent."""
    return parsers.parse(path.name, path.read_bytes())


def _echo_parse_error(path: Path, exc, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"file": str(path), "status": AttachmentStatus.UNREADABLE.value, "error": exc.reason,
                               "message": str(exc)}, ensure_ascii=False))
    else:
        click.echo(f"{path}: 无法读取 ({exc.reason}): {exc}", err=True)


def masked_result(result: FormResult) -> FormResult:
    """The result as shown on a terminal or in a file: ID and phone numbers masked, in warnings too."""
    return dataclasses.replace(result, fields=mask_fields(result.fields),
                               warnings=[redact_text(warning) for warning in result.warnings])


def _echo_result(path: Path, result) -> None:
    click.echo(f"== {path}")
    shown = result.fields
    for spec in load_schema().fields:
        if spec.key in shown:
            value = shown[spec.key]
            text = "、".join(value) if isinstance(value, list) else value
            flag = "  [待核对]" if spec.key in result.needs_review else ""
            click.echo(f"  {spec.label}: {text}{flag}")
    for warning in result.warnings:
        click.echo(f"  ! {warning}")


@cli.command()
@click.option("--once", is_flag=True, help="Poll once and exit (the default; kept for scripts).")
@click.pass_context
def poll(ctx: click.Context, once: bool) -> None:
    """Fetch new mail, process it, send every reply that is due, exit."""
    runtime = runtime_of(ctx)
    try:
        report = run_once(runtime, progress=_progress_printer(), send_all_due=True)
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.close()
    print_run_report(report)
    _print_waiting_for_send_limit(report.outbox, runtime.settings.campaigns[0].tz)
    if not report.ok:
        sys.exit(1)


def _print_waiting_for_send_limit(outbox, tz) -> None:
    """Replies a send limit keeps back go by themselves later; staff are told how many, and from when."""
    if outbox is None or not outbox.waiting_for_limit:
        return
    since = f"，{outbox.held_until.astimezone(tz):%Y-%m-%d %H:%M} 起" if outbox.held_until else ""
    click.echo(f"  因发送上限等待的回复 {outbox.waiting_for_limit} 封{since}陆续自动发送"
               f"（intake run 或下次 intake poll 时）")


def _progress_printer():
    if not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        names = {"fetch": "收取邮件", "process": "处理邮件"}
        click.echo(f"\r{names.get(stage, stage)} {done}/{total}", err=True, nl=done == total)

    return show


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Poll every poll.interval_seconds and send replies, until stopped (Ctrl-C / SIGTERM)."""
    runtime = runtime_of(ctx)
    try:
        run_forever(runtime)
    finally:
        runtime.close()


@cli.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Take jobs from the queue (jobs.queue, PostgreSQL): parse, record, send; until stopped."""
    runtime = runtime_of(ctx)
    if not runtime.settings.jobs.queue:
        runtime.close()
        raise click.ClickException("未启用任务队列（config.yaml 的 jobs.queue 为 false）：intake run 自己完成全部工作，"
                                   "无需 intake worker。/ jobs.queue is off: intake run does all the work.")
    try:
        run_queue_worker(runtime)
    finally:
        runtime.close()


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output; xlsx needs a file).")
@click.option("--roster", is_flag=True, help="Public roster: approved experts, 姓名/工作单位/专业特长 only.")
@click.option("--reveal", is_flag=True, help="Include full ID numbers and phones (for vetting; handle with care).")
@campaign_option
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None, roster: bool, reveal: bool,
           campaign_name: str | None) -> None:
    """Export applications (ID numbers and phones masked unless --reveal)."""
    if roster and reveal:
        raise click.UsageError("--roster never includes personal data; drop --reveal")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("xlsx is binary: give --output FILE.xlsx")
    runtime = runtime_of(ctx)
    try:
        # Only reads, for as long as a big export takes: never holding SQLite's write lock meanwhile.
        with make_session_factory(runtime.engine)() as session:
            campaign = one_campaign(runtime.settings, campaign_name)
            data, count = export_applications(session, campaign, fmt=fmt, roster=roster,
                                              reveal=reveal)
    finally:
        runtime.close()
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(f"已导出 {count} 条到 {output}", err=True)


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Counts by status, each campaign's queue and replies waiting, and what failed (with its errors)."""
    runtime = runtime_of(ctx)
    try:
        with runtime.session_factory() as session:
            print_status(session=session)
            print_campaigns(session=session, campaigns=[c.name for c in runtime.settings.campaigns])
            if runtime.settings.jobs.queue:
                print_queue(session=session, settings=runtime.settings)
    finally:
        runtime.close()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: ok, and each check with what it found.")
@click.pass_context
def health(ctx: click.Context, as_json: bool) -> None:
    """Exit 0 when the database answers and a scheduler (intake run) is active; else 1, saying what to do."""
    checks = health_checks(settings_of(ctx))
    print_health(checks, as_json=as_json)
    if not all(check.ok for check in checks):
        sys.exit(1)


@cli.command()
@click.pass_context
def retry(ctx: click.Context) -> None:
    """Process failed messages again (after fixing what their error said)."""
    runtime = runtime_of(ctx)
    try:
        with single_runner(runtime.settings.storage.path):
            report = process_stored_messages(
                runtime.settings, session_factory=runtime.session_factory, blobs=runtime.blobs, include_failed=True
            )
    finally:
        runtime.close()
    click.echo(f"重新处理：成功 {report.processed + report.ignored}，仍失败 {report.failed}")
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.failed:
        sys.exit(1)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: web.port, 8000).")
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the staff review app (waitress) until stopped."""
    runtime = runtime_of(ctx)
    web_settings = runtime.settings.web
    host, port = host or web_settings.host, port or web_settings.port
    app = create_app(runtime.settings, runtime.session_factory)
    click.echo(f"审核系统：http://{host}:{port}/ （Ctrl-C 停止）", err=True)
    try:
        serve(app, host=host, port=port, threads=web_settings.threads, ident="intake")
    finally:
        runtime.close()


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the database to the latest schema (Alembic)."""
    settings = settings_of(ctx.parent)
    upgrade_schema(settings)
    click.echo(f"数据库已是最新版本: {current_revision(settings.database.url)}")


@cli.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("data/demo"),
              show_default=True, help="Where the demo keeps its mail server and the replies it sent.")
@click.option("--fresh", is_flag=True, help="Forget earlier demo runs and start over.")
@click.option("--exit-after-poll", "--no-web", "exit_after_poll", is_flag=True,
              help="Stop after the poll instead of serving the review app (for CI and scripts).")
@click.pass_context
def demo(ctx: click.Context, workdir: Path, fresh: bool, exit_after_poll: bool) -> None:
    """Run the whole service on a local demo mailbox, then serve the review app until Ctrl-C."""
    try:
        # The demo, its sample mail and its private mail servers are development
        # tools (package devtools, the [dev] extra); the service never needs them.
        from devtools.demo import run_demo
    except ImportError as exc:
        raise click.ClickException(
            f"演示需要开发工具（缺少 {exc.name}）：pip install 'sme-expert-intake[dev]'，或在源码目录运行 bash scripts/demo.sh。"
        ) from None
    sys.exit(run_demo(workdir, fresh=fresh, config_path=ctx.obj["config"], web=not exit_after_poll))


cli.add_command(reminders)
cli.add_command(templates)
cli.add_command(users)


def main(args: list[str] | None = None) -> None:
    cli.main(args=args, prog_name="intake")
