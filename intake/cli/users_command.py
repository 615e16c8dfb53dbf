"""``intake users``: the review app's staff accounts and their roles per campaign."""
from __future__ import annotations

import sys

import click

from intake.cli.campaign_choice import chosen_campaigns, one_campaign
from intake.cli.runtime_setup import runtime_of, settings_of
from intake.core.statuses import StaffRole
from review import audit
from review.accounts import AccountError, add_user, disable_user, grant, revoke, set_password


@click.group()
def users() -> None:
    """Staff accounts of the review app."""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")


def _account_change(ctx: click.Context, action: str, username: str, change) -> None:
    runtime = runtime_of(ctx)
    try:
        with runtime.session_factory() as session, session.begin():
            change(session)
            audit.record(session, action, username="(命令行)", details={"user": username})
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.close()


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), default=None,
              help="Its role in the campaigns given (reviewer or admin).")
@click.option("--campaign", "campaign_names", multiple=True, metavar="NAME",
              help="A campaign it works in (repeatable); default: the only one configured.")
@click.option("--provincial", is_flag=True, help="Reads every campaign and exports the provincial report.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_add(ctx: click.Context, username: str, role: str | None, campaign_names: tuple[str, ...],
              provincial: bool, password_stdin: bool) -> None:
    """Add a staff account: a reviewer or admin of campaigns, and/or a provincial reader."""
    settings = settings_of(ctx)
    if campaign_names:
        campaigns = [campaign.name for name in campaign_names for campaign in chosen_campaigns(settings, name)]
    elif role is not None:
        campaigns = [one_campaign(settings, None).name]
    else:
        campaigns = []
    if role is None and not provincial:
        raise click.UsageError("give --role reviewer|admin (and --campaign), or --provincial")
    password = _password(password_stdin)
    _account_change(ctx, "user_add", username, lambda session: add_user(
        session, username, password, StaffRole(role) if role else None, campaigns=campaigns, provincial=provincial))
    what = [f"{role}：{'、'.join(campaigns)}"] if campaigns else []
    click.echo(f"已添加用户 {username}（{'；'.join(what + (['省级'] if provincial else []))}）")


@users.command("grant")
@click.argument("username")
@click.option("--campaign", "campaign_name", required=True, metavar="NAME")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), required=True)
@click.pass_context
def users_grant(ctx: click.Context, username: str, campaign_name: str, role: str) -> None:
    """Give an account a role in one more campaign (or change the one it has there)."""
    campaign = chosen_campaigns(settings_of(ctx), campaign_name)[0]
    _account_change(ctx, "user_grant", username, lambda session: grant(session, username, campaign.name,
                                                                       StaffRole(role)))
    click.echo(f"已授予用户 {username} 在活动 {campaign.name} 中的角色 {role}")


@users.command("revoke")
@click.argument("username")
@click.option("--campaign", "campaign_name", required=True, metavar="NAME")
@click.pass_context
def users_revoke(ctx: click.Context, username: str, campaign_name: str) -> None:
    """Take away an account's role in one campaign."""
    _account_change(ctx, "user_revoke", username, lambda session: revoke(session, username, campaign_name))
    click.echo(f"已取消用户 {username} 在活动 {campaign_name} 中的角色")


@users.command("disable")
@click.argument("username")
@click.pass_context
def users_disable(ctx: click.Context, username: str) -> None:
    """Disable an account; its sessions end at their next request."""
    _account_change(ctx, "user_disable", username, lambda session: disable_user(session, username))
    click.echo(f"已停用用户 {username}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a new password; the account's other sessions end."""
    password = _password(password_stdin)
    _account_change(ctx, "user_passwd", username, lambda session: set_password(session, username, password))
    click.echo(f"已修改用户 {username} 的密码")
