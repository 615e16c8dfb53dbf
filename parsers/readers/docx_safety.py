"""Checks on a .docx archive before any XML parser sees it.

A .docx is a zip of XML parts, so a hostile or broken attachment can be a
zip bomb, an XML entity bomb or just enormous. These checks look only at
the zip directory and raw bytes, and run before any XML parser.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

from parsers.errors import CorruptFile, EncryptedFile, TooLarge
from parsers.readers.sniff import CFB_MAGIC

MAX_ENTRIES = 1000
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECK_ABOVE = 1024 * 1024
MAX_PARAGRAPHS = 20_000
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_DOCTYPE_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_PARAGRAPH_TAG = re.compile(rb"<(?:\w+:)?p[\s>/]")
_PACKAGE_RELATIONSHIPS = "_rels/.rels"
_OFFICE_DOCUMENT = "/officeDocument"
# python-docx's own parser settings (entities never resolved; DOCTYPE is refused before any parse).
XML_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
RESEND_WITHOUT_PASSWORD = "文件设置了打开密码，无法读取。请申请人取消密码后重新发送报名表。"


def checked_xml_parts(data: bytes) -> dict[str, bytes]:
    """The archive's XML parts by name, once its directory and every one of them are known to be safe."""
    if data.startswith(CFB_MAGIC):
        raise EncryptedFile(RESEND_WITHOUT_PASSWORD)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFile("Word 文件已损坏或不完整，无法打开，请申请人重新发送。") from exc
    with archive:
        _check_names(entries)
        _check_sizes(entries)
        return {entry.filename: _checked_xml_part(archive, entry) for entry in entries
                if entry.filename.endswith((".xml", ".rels"))}


def _check_names(entries: list[zipfile.ZipInfo]) -> None:
    """A part named twice is read as whichever copy a library picks (Word and
    python-docx disagree), and a name climbing out of the archive ("../",
    "/etc/…") is written there by careless extractors: neither comes from Word."""
    seen: set[str] = set()
    for entry in entries:
        name = entry.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise CorruptFile(f"Word 文件内部路径不安全（{name[:80]}），疑似恶意文件，已拒绝处理。")
        folded = name.lower()
        if folded in seen:
            raise CorruptFile(f"Word 文件内部部件重复（{name[:80]}），无法确定应读取哪一份，请申请人重新保存后发送。")
        seen.add(folded)


def _check_sizes(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise TooLarge(f"Word 文件内部包含 {len(entries)} 个部件，超过上限 {MAX_ENTRIES}，疑似异常文件。")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise TooLarge(f"Word 文件解压后约 {total // (1024 * 1024)} MB，超过上限 100 MB。")
    for entry in entries:
        if entry.file_size > RATIO_CHECK_ABOVE and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise TooLarge("Word 文件压缩比异常（疑似压缩炸弹），已拒绝处理。")


def _checked_xml_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    try:
        # Declared sizes bound the read: zipfile stops at file_size.
        content = archive.read(entry)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise CorruptFile(f"Word 文件中的部件 {entry.filename} 已损坏，无法读取。") from exc
    if _DOCTYPE.search(content) or any(marker in content for marker in _DOCTYPE_UTF16):
        raise CorruptFile("Word 文件包含不允许的 XML 声明（DOCTYPE），疑似恶意文件，已拒绝处理。")
    return content


def main_document_xml(parts: dict[str, bytes]) -> bytes:
    """The main document part of a checked archive's parts (the package relationship
    of type officeDocument names it: ``word/document.xml`` from Word, not
    always from other writers), once its paragraphs are counted."""
    try:
        relationships = etree.fromstring(parts[_PACKAGE_RELATIONSHIPS], XML_PARSER)
        target = next(rel.get("Target", "") for rel in relationships
                      if rel.get("Type", "").endswith(_OFFICE_DOCUMENT))
        content = parts[posixpath.normpath(target.lstrip("/"))]
    except (KeyError, StopIteration, etree.LxmlError, ValueError) as exc:
        raise CorruptFile("Word 文件结构已损坏，无法读取，请申请人重新发送。") from exc
    paragraphs = len(_PARAGRAPH_TAG.findall(content))
    if paragraphs > MAX_PARAGRAPHS:
        raise TooLarge(f"Word 文件包含 {paragraphs} 个段落，超过上限 {MAX_PARAGRAPHS}，疑似异常文件。")
    return content
