"""Where LibreOffice runs: a sandbox that sees the programs, the fonts and its own folder — nothing else.

LibreOffice is a large C++ program reading a stranger's file; a flaw in one
of its importers must not reach the database, the blob store, the
configuration (with its passwords) or the network. With bubblewrap
(Debian's ``bubblewrap``) the conversion runs in fresh namespaces: /usr and
the few /etc entries LibreOffice and fontconfig read are visible read-only,
its work folder is the only writable place, /tmp, /proc and /dev are its
own, there is no network and it dies with its parent.

Where bubblewrap is missing or the kernel refuses it, the conversion is
refused (``IsolationUnavailable``) unless the caller allows running without
it (``ParseOptions.allow_unisolated_office``, from ``parsing.
allow_unisolated_office`` in config.yaml); then an empty network namespace
(``unshare -rn``) is still used where the kernel allows that.
"""
from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from parsers.errors import UnsupportedFormat

# Read-only, when present: what the dynamic loader, fontconfig and LibreOffice's
# start-up script read (Debian keeps sofficerc and registry defaults in /etc/libreoffice).
READ_ONLY = ("/usr", "/etc/fonts", "/etc/libreoffice", "/etc/alternatives", "/etc/ld.so.cache",
             "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/var/cache/fontconfig")
MERGED_USR = (("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/bin", "/bin"), ("usr/sbin", "/sbin"))
NO_ISOLATION = ("服务器无法为 LibreOffice 建立隔离环境（需要 bubblewrap），为安全起见未转换此文件。"
                "请管理员安装 bubblewrap（apt-get install bubblewrap），或请申请人另存为 .docx 或 PDF 后重新发送。")


class IsolationUnavailable(UnsupportedFormat):
    reason = "isolation_unavailable"


def jail(work_dir: Path, *, allow_unisolated: bool = False) -> tuple[str, ...]:
    """The command prefix that runs a program confined to ``work_dir``."""
    bwrap = _working_bwrap()
    if bwrap is not None:
        return _bwrap_arguments(bwrap, work_dir)
    if not allow_unisolated:
        raise IsolationUnavailable(NO_ISOLATION)
    return _network_only()


def _bwrap_arguments(bwrap: str, work_dir: Path | None) -> tuple[str, ...]:
    arguments = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
                 "--tmpfs", "/tmp"]
    for path in READ_ONLY:
        if Path(path).exists():
            arguments += ["--ro-bind", path, path]
    for target, link in MERGED_USR:
        if Path(link).is_symlink():
            arguments += ["--symlink", target, link]
    if work_dir is not None:
        folder = str(work_dir.resolve())
        arguments += ["--bind", folder, folder, "--chdir", folder]
    return tuple(arguments)


@lru_cache(maxsize=1)
def _working_bwrap() -> str | None:
    """bubblewrap, if installed and this kernel lets it build its namespaces (checked once)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    command = [*_bwrap_arguments(bwrap, None), "/usr/bin/true"]
    try:
        return bwrap if subprocess.run(command, capture_output=True, timeout=10).returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


@lru_cache(maxsize=1)
def _network_only() -> tuple[str, ...]:
    unshare = shutil.which("unshare")
    if not unshare:
        return ()
    try:
        probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ()
    return (unshare, "-rn") if probe.returncode == 0 else ()
