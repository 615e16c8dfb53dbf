"""The dovecot.conf of a private loopback instance, and the system users it names.

Kept apart from :mod:`devtools.servers.dovecot` (which re-exports
:func:`render_config`) because it is pure text generation: it can be read
and tested without starting anything.
"""

from __future__ import annotations

import dataclasses
import grp
import os
import pwd
from collections.abc import Sequence
from pathlib import Path

from .ports import LOOPBACK, DevServerError

__all__ = ["identities", "render_config"]


@dataclasses.dataclass(frozen=True)
class _Ids:
    root: bool
    internal_user: str
    internal_group: str
    internal_gid: int
    login_user: str
    mail_uid: int
    mail_gid: int


def identities() -> _Ids:
    """Which system users Dovecot's processes and mail files run as."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid())
        return _Ids(False, me.pw_name, group.gr_name, group.gr_gid, me.pw_name, me.pw_uid, me.pw_gid)
    internal = _first_user("dovecot", "nobody")
    login = _first_user("dovenull", "nobody")
    internal_group = grp.getgrgid(internal.pw_gid)
    # Mail is stored as Dovecot's own unprivileged system user.
    return _Ids(
        True,
        internal.pw_name,
        internal_group.gr_name,
        internal_group.gr_gid,
        login.pw_name,
        internal.pw_uid,
        internal.pw_gid,
    )


def _first_user(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise DevServerError(f"none of the system users {names} exists")


def render_config(
    *,
    workdir: Path,
    port: int,
    version: tuple[int, ...],
    run_dir: Path | None = None,
    capabilities: Sequence[str] | None = None,
    removed_capabilities: Sequence[str] = (),
    separator: str = "/",
    debug: bool = False,
) -> str:
    """The dovecot.conf text for a private loopback instance.

    *capabilities* replaces the advertised list. *removed_capabilities* is
    only used for Dovecot >= 2.4, whose ``imap_capability`` is a boolean
    list; for 2.3 the caller passes the filtered full list instead.
    """
    ids = identities()
    v24 = version >= (2, 4)
    user_var = "%{user}" if v24 else "%u"
    users = f"{workdir}/users/{user_var}"
    home = f"{workdir}/home/{user_var}"
    lines = [
        "# Generated for a private development/test instance. Do not edit.",
    ]
    if v24:
        lines += ["dovecot_config_version = 2.4.0", "dovecot_storage_version = 2.4.0"]
    lines += [
        f"base_dir = {run_dir or workdir / 'run'}",
        f"state_dir = {workdir}/state",
        f"instance_name = intake-dovecot-{port}",
        f"log_path = {workdir}/log/dovecot.log",
        f"info_log_path = {workdir}/log/dovecot.log",
        f"debug_log_path = {workdir}/log/dovecot.log",
        "protocols = imap",
        f"listen = {LOOPBACK}",
        "ssl = no",
        "auth_allow_cleartext = yes" if v24 else "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        "auth_failure_delay = 0",
        f"default_internal_user = {ids.internal_user}",
        f"default_internal_group = {ids.internal_group}",
        f"default_login_user = {ids.login_user}",
        f"first_valid_uid = {ids.mail_uid}",
        f"last_valid_uid = {ids.mail_uid}",
        f"first_valid_gid = {ids.mail_gid}",
        f"last_valid_gid = {ids.mail_gid}",
        f"mail_home = {home}",
        "mail_fsync = never",
        "maildir_very_dirty_syncs = no",
        "imap_idle_notify_interval = 1 secs",
    ]
    if ids.root:
        lines += [f"mail_uid = {ids.mail_uid}", f"mail_gid = {ids.mail_gid}"]
    if v24:
        lines += [
            "mail_driver = maildir",
            "mail_path = ~/Maildir",
            "passdb passwd-file {",
            f"  passwd_file_path = {users}",
            "}",
            "userdb passwd-file {",
            f"  passwd_file_path = {users}",
            "}",
        ]
    else:
        lines += [
            "mail_location = maildir:~/Maildir",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {users}",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {users}",
            "}",
        ]
    if debug:
        lines += ["auth_debug = yes", "auth_verbose = yes", "mail_debug = yes"]
    if capabilities is not None:
        lines.append(f"imap_capability = {' '.join(capabilities)}")
    elif v24 and removed_capabilities:
        lines.append("imap_capability {")
        lines += [f"  {cap} = no" for cap in removed_capabilities]
        lines.append("}")
    ns_name = "inbox"
    lines += [
        f"namespace {ns_name} {{",
        "  inbox = yes",
        f"  separator = {separator}",
        "  prefix =" if not v24 else "",
        "  mailbox Drafts {",
        "    special_use = \\Drafts",
        "  }",
        "  mailbox Sent {",
        "    special_use = \\Sent",
        "  }",
        "  mailbox Junk {",
        "    special_use = \\Junk",
        "  }",
        "  mailbox Trash {",
        "    special_use = \\Trash",
        "  }",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        # 2.4 has no per-listener address; the global `listen` applies.
        f"    address = {LOOPBACK}" if not v24 else "",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
    ]
    if not ids.root:
        lines.append("  chroot =")
    lines.append("}")
    if not ids.root:
        # chroot() needs root; an unprivileged instance runs without it.
        for service in ("anvil", "imap-urlauth-login"):
            lines += [f"service {service} {{", "  chroot =", "}"]
    return "\n".join(line for line in lines if line != "") + "\n"
