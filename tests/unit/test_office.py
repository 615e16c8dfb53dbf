"""parsers/readers/office.py without LibreOffice: encryption checks, registration,
the missing-soffice message, and .docx files as WPS Office writes them."""
from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

import parsers.readers.office as office
from devtools.samples.forms import build_form_docx, sample_applicants
from parsers import READERS, parse, sniff_kind
from parsers.errors import EncryptedFile, UnsupportedFormat

APPLICANTS = sample_applicants(4)
CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{%s}" % W_NS


def fake_word97(encrypted: bool, sector_shift: int = 9) -> bytes:
    """A compound-file header, a FAT sector, then a FIB on a sector boundary."""
    sector = 1 << sector_shift
    header = bytearray(sector)
    header[:8] = CFB
    header[0x1E:0x20] = sector_shift.to_bytes(2, "little")
    fib = bytearray(sector)
    fib[0:2] = b"\xec\xa5"
    fib[2:4] = (0xC1).to_bytes(2, "little")
    fib[0x0A:0x0C] = (0x0100 if encrypted else 0x0200).to_bytes(2, "little")
    directory = bytearray(sector)
    name = "WordDocument".encode("utf-16-le")
    directory[:len(name)] = name
    return bytes(header) + bytes(sector) + bytes(fib) + bytes(directory)


@pytest.mark.parametrize("shift", [9, 12])
def test_fib_encryption_flag(shift):
    assert office.is_encrypted_word97(fake_word97(True, shift))
    assert not office.is_encrypted_word97(fake_word97(False, shift))
    assert not office.is_encrypted_word97(b"%PDF-1.4" + bytes(4096))


@pytest.mark.parametrize("name,kind", [("报名表.doc", "doc"), ("报名表.wps", "wps"), ("报名表.docx", "doc")])
def test_encrypted_word97_is_reported_before_converting(name, kind, monkeypatch):
    monkeypatch.setattr(office, "find_soffice", lambda: pytest.fail("must not start LibreOffice"))
    data = fake_word97(True)
    assert sniff_kind(name, data) == kind
    with pytest.raises(EncryptedFile, match="密码") as caught:
        parse(name, data)
    assert caught.value.reason == "encrypted"


def test_encrypted_odt_is_reported_before_converting(monkeypatch):
    monkeypatch.setattr(office, "find_soffice", lambda: pytest.fail("must not start LibreOffice"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
                         '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>')
        archive.writestr("content.xml", b"\x00" * 100)
    with pytest.raises(EncryptedFile):
        parse("报名表.odt", out.getvalue())


@pytest.mark.parametrize("name,data", [("a.doc", fake_word97(False)), ("a.wps", fake_word97(False)),
                                       ("a.rtf", b"{\\rtf1 hello}"), ("a.odt", b"not a zip")])
def test_without_libreoffice_the_message_says_so(name, data, monkeypatch):
    monkeypatch.setattr(office, "find_soffice", lambda: None)
    with pytest.raises(UnsupportedFormat, match="服务器未安装 LibreOffice") as caught:
        parse(name, data)
    assert "LibreOffice is not installed" in str(caught.value)


def test_office_kinds_are_registered():
    for kind in ("doc", "wps", "rtf", "odt"):
        assert kind in READERS
    assert "image" not in office.OFFICE_KINDS


def test_kingsoft_wps_is_converted_as_word97():
    assert office._input_name("wps", fake_word97(False)) == "input.doc"
    assert office._input_name("wps", CFB + bytes(600)) == "input.wps"
    assert office._input_name("rtf", b"{\\rtf1}") == "input.rtf"


def test_deadline_wrapper_and_profile_settings():
    wrapper = office._deadline_wrapper(10)
    assert wrapper == () or wrapper[-1] == "12.0"
    settings = etree.fromstring(office._PROFILE_SETTINGS.encode())
    values = {prop.get("{http://openoffice.org/2001/registry}name"): prop.findtext("value")
              for prop in settings.iter("prop")}
    assert values["DisableMacrosExecution"] == "true"
    assert values["MacroSecurityLevel"] == "3"
    assert values["BlockUntrustedRefererLinks"] == "true"
    assert values["Link"] == "0"  # sw UpdateLinks: 0 never, 1 on request, 2 always


def test_an_html_page_named_doc_is_not_read_by_the_html_importer():
    # LibreOffice would otherwise choose its importer from the content.
    assert office._IMPORT_FILTERS["doc"] == office._IMPORT_FILTERS["wps"] == "MS Word 97"
    assert set(office._IMPORT_FILTERS) == set(office._SUFFIX)


# ---- .docx as WPS Office saves it -------------------------------------------

WPS_NAMESPACES = {
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "w15": "http://schemas.microsoft.com/office/word/2012/wordml",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wpsCustomData": "http://www.wps.cn/officeDocument/2013/wpsCustomData",
    "wpc": "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
}


def _sdt(child: etree._Element, tag: str = "文本", placeholder: bool = False) -> etree._Element:
    sdt = etree.Element(W + "sdt")
    properties = etree.SubElement(sdt, W + "sdtPr")
    etree.SubElement(properties, W + "tag").set(W + "val", tag)
    etree.SubElement(properties, W + "id").set(W + "val", "147483")
    if placeholder:
        etree.SubElement(properties, W + "showingPlcHdr")
    content = etree.SubElement(sdt, W + "sdtContent")
    parent = child.getparent()
    parent.replace(child, sdt)
    content.append(child)
    return sdt


def wps_style_docx(docx: bytes) -> bytes:
    """Rewrite a python-docx file the way WPS Office writes one: extra
    namespaces and a wpsCustomData element, mc:Ignorable, paraIds, custom
    XML parts, KSOProductBuildVer, content controls around cells, around a
    whole row and around the table, and a customXml element."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    root = etree.fromstring(source.read("word/document.xml"))
    nsmap = {**root.nsmap, **WPS_NAMESPACES}
    new_root = etree.Element(root.tag, nsmap=nsmap)
    new_root.set("{%s}Ignorable" % WPS_NAMESPACES["mc"], "w14 w15 wp14 wpsCustomData")
    for child in root:
        new_root.append(child)
    root = new_root
    body = root.find(W + "body")
    for number, paragraph in enumerate(root.iter(W + "p")):
        paragraph.set("{%s}paraId" % WPS_NAMESPACES["w14"], f"{number:08X}")
    table = body.find(W + "tbl")
    rows = table.findall(W + "tr")
    for cell in rows[0].findall(W + "tc") + rows[-2].findall(W + "tc"):
        _sdt(cell)
    _sdt(rows[3], tag="row")
    custom = etree.Element(W + "customXml")
    custom.set(W + "element", "applicant")
    table.addprevious(custom)
    custom.append(table)
    _sdt(custom, tag="form")
    etree.SubElement(body, "{%s}docInfo" % WPS_NAMESPACES["wpsCustomData"]).set("id", "1")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == "word/document.xml":
                target.writestr(item, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
            elif item.filename == "[Content_Types].xml":
                types = source.read(item).replace(
                    b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType='
                    b'"application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
                target.writestr(item, types)
            else:
                target.writestr(item, source.read(item))
        target.writestr("customXml/item9.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        '<s:customData xmlns="http://www.wps.cn/officeDocument/2013/wpsCustomData" '
                        'xmlns:s="http://www.wps.cn/officeDocument/2013/wpsCustomData">'
                        '<customSectProps><customSectPr/></customSectProps></s:customData>')
        target.writestr("docProps/custom.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
                        '<vt:lpwstr>2052-12.1.0.16120</vt:lpwstr></property></Properties>')
    return out.getvalue()


@pytest.mark.parametrize("applicant", APPLICANTS[:2], ids=lambda a: a.name)
def test_docx_saved_by_wps_office_parses_like_word(applicant):
    data = wps_style_docx(build_form_docx(applicant, "table4"))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert b"wpsCustomData" in xml and b"<w:sdt>" in xml and b"w:customXml" in xml
    assert sniff_kind("报名表.docx", data) == "docx"
    [result] = parse("报名表.docx", data)
    assert result.fields == applicant.expected_fields()
    assert result.needs_review == []


def test_empty_content_control_placeholder_is_not_a_value():
    """Word and WPS show "单击或点击此处输入文字。" in an empty content control
    (w:showingPlcHdr): that text is a prompt, not what the applicant wrote."""
    applicant = APPLICANTS[0]
    source = zipfile.ZipFile(io.BytesIO(build_form_docx(applicant, "table4")))
    root = etree.fromstring(source.read("word/document.xml"))
    email_cell = root.find(f"{W}body/{W}tbl").findall(W + "tr")[6].findall(W + "tc")[3]
    for text in email_cell.iter(W + "t"):
        text.text = "单击或点击此处输入文字。"
    _sdt(email_cell, placeholder=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, etree.tostring(root) if item.filename == "word/document.xml" else source.read(item))
    [result] = parse("报名表.docx", out.getvalue())
    assert "email" not in result.fields
    assert "单击" not in str(result.fields)
