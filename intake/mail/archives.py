"""Expanding .zip attachments into their member files.

Applicants zip a form with its scans; Windows tools common in China (the
built-in Explorer zip, WinRAR, 360zip, Bandizip) write member names as GBK
bytes without setting the UTF-8 flag, so the stdlib shows them as cp437
mojibake.  Archives are hostile input too: members are capped by count, total
size and compression ratio before anything is decompressed.
"""
from __future__ import annotations

import io
import zipfile
import zlib

from intake.mail.filenames import content_type_for, sanitise_filename
from intake.mail.parsed import MailAttachment

__all__ = ["expand_zip", "member_name"]

_UTF8_NAME_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
# Finder's resource forks and index files are never what the applicant meant.
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as the archiver meant it (path kept, undecorated)."""
    if info.flag_bits & _UTF8_NAME_FLAG:
        return info.orig_filename
    # Without the flag the stdlib decoded the bytes as cp437; get them back.
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:
        return info.orig_filename
    # macOS Archive Utility writes UTF-8 without the flag; try it first since
    # GBK names are practically never valid UTF-8.
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.orig_filename


def _is_junk(path: str) -> bool:
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return True
    if parts[0] == "__MACOSX" or parts[-1].lower() in _JUNK_NAMES:
        return True
    return parts[-1].startswith("._")  # AppleDouble companion files


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read a member but never more than ``limit`` bytes, whatever its header says."""
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise OverflowError
    return data


def expand_zip(filename: str, data: bytes, *, max_members: int = 100,
               max_total: int = 100 * 1024 * 1024,
               max_ratio: int = 100) -> tuple[list[MailAttachment], list[str]]:
    """Member files of a zip as attachments, plus human-readable problems.

    A broken archive gives ``([], [problem])``; the caller keeps the zip
    itself as an attachment then.
    """
    members: list[MailAttachment] = []
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError,
            EOFError, NotImplementedError) as error:
        return [], [f"{filename}: not a readable zip archive ({error})"]

    total = 0
    with archive:
        for info in infos:
            path = member_name(info)
            if info.is_dir() or path.endswith(("/", "\\")) or _is_junk(path):
                continue
            if len(members) >= max_members:
                problems.append(f"{filename}: more than {max_members} files; "
                                "the rest were not unpacked")
                break
            shown = sanitise_filename(path, index=len(members) + 1)
            if info.flag_bits & _ENCRYPTED_FLAG:
                problems.append(f"{filename}: {shown} is password-protected; not unpacked")
                continue
            budget = max_total - total
            ratio_cap = max(info.compress_size, 1) * max_ratio
            if info.file_size > budget:
                problems.append(f"{filename}: unpacked size exceeds {max_total} bytes; "
                                f"stopped at {shown}")
                break
            if info.file_size > ratio_cap:
                problems.append(f"{filename}: {shown} compresses suspiciously well "
                                "(possible zip bomb); not unpacked")
                continue
            try:
                # Headers can lie about sizes; cap the actual read as well.
                content = _read_capped(archive, info, min(budget, ratio_cap))
            except OverflowError:
                problems.append(f"{filename}: {shown} is larger than its header says "
                                "(possible zip bomb); not unpacked")
                continue
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
                    NotImplementedError, RuntimeError) as error:
                problems.append(f"{filename}: {shown} could not be unpacked ({error})")
                continue
            total += len(content)
            members.append(MailAttachment(
                filename=shown, content_type=content_type_for(shown), data=content,
                origin="zip", container=filename))
    return members, problems

