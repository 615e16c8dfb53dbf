"""Legacy and other office formats (.doc, .wps, .rtf, .odt) via LibreOffice.

    convert_to_docx(kind, data, *, timeout=60) -> bytes     the file as .docx
    read_office(kind, data, *, timeout=CONVERT_TIMEOUT)     -> list[FormResult]

Each conversion runs ``soffice --headless --convert-to docx`` as a separate
process and the result goes through the ordinary .docx reader, so a form
typed in Word 2003 or WPS parses exactly like one saved as .docx. A Word 97
file whose tables LibreOffice cannot see is read from its own text
(``parsers.readers.word97_text``), with a warning.

Safety of one conversion:

* its own LibreOffice profile (``-env:UserInstallation``) and its own input
  and output directories under one fresh temp dir, removed afterwards: two
  conversions at once never share a lock file or a profile;
* the input is written under a fixed ASCII name (``input.doc`` ...): nothing
  from the attachment's name reaches a command line or a path;
* macros never run: headless ``--convert-to`` loads documents without
  running macros, no macro-enabling option is passed, and the profile is
  seeded with ``DisableMacrosExecution=true`` and ``MacroSecurityLevel=3``
  (very high) to make that explicit;
* nothing but its own folder, no network: soffice runs under bubblewrap
  (``office_jail``), seeing the programs and fonts read-only and only its
  work folder writable — not the database, the blob store or the config —
  with no network; where that cannot be built the file is refused unless
  the caller allows it. The profile also blocks linked content
  (``BlockUntrustedRefererLinks``), never updates links (``Link`` 0) and the
  import filter is the one our sniffing chose (``--infilter``);
* a time limit: soffice runs in its own process group, which is killed
  whole (soffice is a script that starts oosplash, which starts soffice.bin)
  when the limit passes -> ``ParseTimeout``. GNU ``timeout`` wraps the
  group as a second deadline that holds even if this process is killed
  first (the isolated parse child is SIGKILLed on its own time limit), and
  ``setpriv --pdeathsig`` tells it when that happens;
* memory and CPU: soffice inherits the parse child's RLIMIT_AS/RLIMIT_CPU
  (a conversion needs ~200 MB resident and runs fine under 1 GB).

Password-protected files: LibreOffice cannot convert them without the
password (it reports a load failure, nothing more specific), so they are
recognised before converting. A Word 97-2003 file marks encryption in its
File Information Block (FIB, at the start of the WordDocument stream):
``fEncrypted`` is bit 0 of the byte at offset 0x0B. Without a compound-file
reader (olefile is not a dependency) the FIB is found heuristically: the
stream starts on a sector boundary with the magic 0xA5EC followed by a
plausible nFib. An encrypted .odt lists ``encryption-data`` in its manifest.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
import io
from pathlib import Path

from parsers.errors import CorruptFile, EncryptedFile, ParseError, ParseTimeout, UnsupportedFormat
from parsers.options import ParseOptions
from parsers.readers.docx import docx_rows
from parsers.readers.office_jail import jail
from parsers.readers.sniff import CFB_MAGIC
from parsers.readers.word97_text import has_cells, rows_from_word97_text, word97_text
from parsers.results import FormResult
from parsers.text.assemble import rows_to_results

__all__ = ["convert_to_docx", "convert_document", "read_office", "find_soffice", "is_encrypted_word97",
           "CONVERT_TIMEOUT", "OFFICE_KINDS", "NO_LIBREOFFICE"]

# The whole parse runs in a child with a 60 s limit (parsers.sandbox):
# our own limit must fire first so staff see "conversion timed out".
CONVERT_TIMEOUT = 45.0
OFFICE_KINDS = ("doc", "wps", "rtf", "odt")
_SUFFIX = {"doc": ".doc", "wps": ".wps", "rtf": ".rtf", "odt": ".odt", "docx": ".docx"}
_NAMES = {"doc": "Word 97-2003（.doc）", "wps": "WPS（.wps）", "rtf": "RTF", "odt": "ODT", "docx": "Word（.docx）"}
# LibreOffice's import filter per kind, decided by our sniffing: left to
# itself LibreOffice picks an importer from the content, so an HTML page named
# .doc would go through the HTML importer (and its links).
_IMPORT_FILTERS = {"doc": "MS Word 97", "wps": "MS Word 97", "rtf": "Rich Text Format", "odt": "writer8",
                   "docx": "MS Word 2007 XML"}
# LibreOffice's export filter per target format.
_FILTERS = {"docx": "docx:MS Word 2007 XML", "pdf": "pdf:writer_pdf_Export"}
NO_LIBREOFFICE = ("LibreOffice is not installed on the server: cannot read .doc/.wps files. "
                  "服务器未安装 LibreOffice，无法读取 .doc/.wps 文件，请管理员安装 LibreOffice，"
                  "或请申请人另存为 .docx 或 PDF 后重新发送。")
_SOFFICE_PLACES = ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
                   "/opt/libreoffice/program/soffice", "/usr/local/bin/soffice",
                   "/Applications/LibreOffice.app/Contents/MacOS/soffice")
TABLE_FROM_TEXT = "{name} 文件的表格转换后丢失，已按文件中的原始文字逐格读取，请对照原件核对"
_KILL_GRACE = 5  # seconds between TERM and KILL for the outer `timeout`

# Seeded into each fresh profile before soffice starts.
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def find_soffice() -> str | None:
    """Path of LibreOffice's ``soffice``, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((place for place in _SOFFICE_PLACES if os.access(place, os.X_OK)), None)


def _deadline_wrapper(seconds: float) -> tuple[str, ...]:
    """``setpriv --pdeathsig TERM timeout -k 5 N``: a deadline outside Python."""
    wrapper: tuple[str, ...] = ()
    setpriv = shutil.which("setpriv")
    if setpriv:
        wrapper += (setpriv, "--pdeathsig", "TERM", "--")
    timeout = shutil.which("timeout")
    if timeout:
        wrapper += (timeout, "-k", str(_KILL_GRACE), f"{max(seconds, 0.1) + 2:.1f}")
    return wrapper


# ---- encryption, before converting -----------------------------------------

def is_encrypted_word97(data: bytes) -> bool:
    """Heuristic: a compound file whose Word FIB has the fEncrypted bit set."""
    if not data.startswith(CFB_MAGIC) or len(data) < 1024:
        return False
    sector_shift = int.from_bytes(data[0x1E:0x20], "little")
    sector = 1 << sector_shift if sector_shift in (9, 12) else 512
    for offset in range(sector, len(data) - 0x20, sector):
        if data[offset:offset + 2] != b"\xec\xa5":
            continue
        n_fib = int.from_bytes(data[offset + 2:offset + 4], "little")
        if not 0x60 <= n_fib <= 0x120:
            continue
        return bool(data[offset + 0x0B] & 0x01)
    return False


def _is_encrypted_odf(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("META-INF/manifest.xml")
            if info.file_size > 1024 * 1024:
                return False
            return b"encryption-data" in archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, RuntimeError):
        return False


def _check_encrypted(kind: str, data: bytes) -> None:
    if (kind in ("doc", "wps") and is_encrypted_word97(data)) or (kind == "odt" and _is_encrypted_odf(data)):
        raise EncryptedFile(f"{_NAMES[kind]} 文件设置了打开密码，无法读取，请申请人取消密码后重新发送。")


# ---- conversion ---------------------------------------------------------------

def _input_name(kind: str, data: bytes) -> str:
    # A Kingsoft .wps is the Word 97 binary format; LibreOffice would try
    # Microsoft Works' .wps importer first, so call such a file .doc.
    if kind == "wps" and data.startswith(CFB_MAGIC) and "WordDocument".encode("utf-16-le") in data:
        return "input.doc"
    return "input" + _SUFFIX[kind]


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass


def convert_to_docx(kind: str, data: bytes, *, timeout: float = 60, allow_unisolated: bool = False) -> bytes:
    """The document converted to .docx by a headless LibreOffice."""
    return convert_document(kind, data, target="docx", timeout=timeout, allow_unisolated=allow_unisolated)


def convert_document(kind: str, data: bytes, *, target: str, timeout: float = 60,
                     allow_unisolated: bool = False) -> bytes:
    """The document converted to ``target`` ("docx" to read it, "pdf" to show it)
    by a headless LibreOffice: its own profile (macros off, no linked content),
    a deadline and no network, whatever the target."""
    if kind not in _SUFFIX or target not in _FILTERS:
        raise UnsupportedFormat(f"不支持用 LibreOffice 转换的文件类型：{kind}")
    _check_encrypted(kind, data)
    soffice = find_soffice()
    if soffice is None:
        raise UnsupportedFormat(NO_LIBREOFFICE)
    with tempfile.TemporaryDirectory(prefix="intake-office-") as work:
        root = Path(work)
        profile, source_dir, out_dir = root / "profile", root / "in", root / "out"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")
        source_dir.mkdir()
        out_dir.mkdir()
        source = source_dir / _input_name(kind, data)
        source.write_bytes(data)
        # Confined to ``root`` (office_jail): or refused, unless running without that is allowed.
        command = [*_deadline_wrapper(timeout), *jail(root, allow_unisolated=allow_unisolated), soffice,
                   f"-env:UserInstallation={profile.as_uri()}",
                   "--headless", "--invisible", "--nologo", "--nodefault", "--norestore",
                   "--nolockcheck", f"--infilter={_IMPORT_FILTERS[kind]}", "--convert-to", _FILTERS[target],
                   "--outdir", str(out_dir), str(source)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "TMPDIR": str(root),
               "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp"}
        try:
            process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        except OSError as exc:
            raise UnsupportedFormat(NO_LIBREOFFICE) from exc
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise ParseTimeout(f"{_NAMES[kind]} 文件转换超时（超过 {timeout:g} 秒），请人工查看原件。") from None
        except BaseException:
            _kill_group(process)
            raise
        finally:
            # soffice.bin may outlive oosplash on some failures; never leave it behind.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if process.returncode in (124, 128 + signal.SIGKILL):  # the outer `timeout` fired
            raise ParseTimeout(f"{_NAMES[kind]} 文件转换超时（超过 {timeout:g} 秒），请人工查看原件。")
        result = out_dir / f"{source.stem}.{target}"
        if not result.is_file() or result.stat().st_size == 0:
            raise CorruptFile(f"{_NAMES[kind]} 文件已损坏或无法识别，LibreOffice 无法打开，"
                              "请申请人另存为 .docx 或 PDF 后重新发送。")
        return result.read_bytes()


def read_office(kind: str, data: bytes, *, timeout: float = CONVERT_TIMEOUT,
                allow_unisolated: bool = False, options: ParseOptions | None = None) -> list[FormResult]:
    """Application forms in a .doc/.wps/.rtf/.odt file (``options``: the campaign's choices).

    A Word 97 file whose tables LibreOffice could not see (the conversion
    holds no table, the file's own text holds cells) is read from its own
    text instead (``word97_text``), and says so."""
    docx = convert_to_docx(kind, data, timeout=timeout, allow_unisolated=allow_unisolated)
    try:
        rows = docx_rows(docx)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - a converter's odd output is a corrupt source
        raise CorruptFile(f"{_NAMES[kind]} 文件转换后无法读取（{type(exc).__name__}），请人工查看原件。") from exc
    if kind in ("doc", "wps") and not any(row.in_table for row in rows):
        text = word97_text(data)
        if has_cells(text):
            results = rows_to_results(rows_from_word97_text(text), method="docx", options=options)
            for result in results:
                result.warnings.insert(0, TABLE_FROM_TEXT.format(name=_NAMES[kind]))
            return results
    return rows_to_results(rows, method="docx", options=options)
