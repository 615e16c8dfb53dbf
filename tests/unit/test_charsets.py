"""Charset and header decoding for what Chinese mail clients really send."""
import base64

import pytest

from intake.mail.charsets import (codec_for_label, decode_bytes, decode_header_value,
                             decode_header_value_checked, html_to_text, mailbox_from_header,
                             message_ids, single_line, valid_address)

ZHANG_ZHE = "张喆"  # 喆 is in GBK but not in GB2312


def b_word(text: str, label: str, codec: str) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec)).decode()}?="


@pytest.mark.parametrize("label", ["gb2312", "GB2312", "gbk", "GBK", "x-gbk", "cp936",
                                   "gb18030", "euc-cn", '"gb2312"'])
def test_gb_family_labels_decode_as_gb18030(label):
    assert codec_for_label(label) == "gb18030"
    assert decode_bytes(ZHANG_ZHE.encode("gbk"), label) == (ZHANG_ZHE, False)


def test_stdlib_gb2312_really_fails_on_gbk_bytes():
    with pytest.raises(UnicodeDecodeError):
        ZHANG_ZHE.encode("gbk").decode("gb2312")


def test_missing_label_tries_utf8_then_gb18030():
    assert decode_bytes("申请表".encode("utf-8"), None) == ("申请表", False)
    assert decode_bytes("申请表".encode("gbk"), None) == ("申请表", False)


def test_unusable_bytes_fall_back_to_latin1_with_repair_flag():
    text, repaired = decode_bytes(b"caf\xe9 \xff", None)
    assert text == "caf\xe9 \xff" and repaired


def test_unknown_label_is_a_repair():
    assert decode_bytes("张三".encode("utf-8"), "x-no-such-charset") == ("张三", True)


def test_utf8_label_on_gbk_bytes_is_repaired():
    assert decode_bytes("申请表".encode("gbk"), "utf-8") == ("申请表", True)


def test_gbk_label_on_utf8_bytes_is_repaired():
    # Some webmail forms label UTF-8 bodies as gb2312.
    assert decode_bytes("湛江市中小企业服务中心".encode("utf-8"), "gb2312") == \
        ("湛江市中小企业服务中心", True)


def test_utf8_bom_is_dropped():
    assert decode_bytes("\ufeff你好".encode("utf-8"), "utf-8")[0] == "你好"


def test_encoded_word_gb2312_label_with_gbk_bytes():
    assert decode_header_value(b_word(ZHANG_ZHE + "的申请", "gb2312", "gbk")) == "张喆的申请"


def test_encoded_words_split_mid_character_are_joined():
    raw = "张喆申请表".encode("gbk")
    words = [f"=?GBK?B?{base64.b64encode(chunk).decode()}?=" for chunk in (raw[:3], raw[3:])]
    assert decode_header_value(" ".join(words) + ".docx") == "张喆申请表.docx"


def test_adjacent_words_in_different_charsets():
    value = b_word("张", "utf-8", "utf-8") + " " + b_word("喆", "gbk", "gbk")
    assert decode_header_value(value) == "张喆"


def test_q_encoding_and_plain_text_spacing():
    assert decode_header_value("Re: =?utf-8?Q?=E5=BC=A0_=E4=B8=89?= hi") == "Re: 张 三 hi"


def test_folded_header_is_unfolded():
    value = b_word("湛江市中小企业", "utf-8", "utf-8") + "\r\n " + b_word("服务中心", "utf-8", "utf-8")
    assert decode_header_value(value) == "湛江市中小企业服务中心"


@pytest.mark.parametrize("codec", ["gbk", "utf-8"])
def test_raw_8bit_header_bytes_surrogate_escaped(codec):
    escaped = "报名表 张喆".encode(codec).decode("ascii", errors="surrogateescape")
    assert decode_header_value(escaped) == "报名表 张喆"
    assert decode_header_value("报名表 张喆".encode(codec)) == "报名表 张喆"


def test_broken_base64_word_does_not_raise():
    text, repaired = decode_header_value_checked("=?utf-8?B?5byg5Z?=")
    assert repaired and isinstance(text, str)


def test_none_header():
    assert decode_header_value(None) == ""


def test_single_line_removes_line_breaks_and_controls():
    assert single_line("Hi\r\nBcc: victim@x\x00\x07") == "Hi Bcc: victim@x"


def test_html_to_text_drops_scripts_styles_and_tags():
    markup = ("<html><head><style>p{}</style><title>t</title></head><body>"
              "<script>alert(1)</script><p>第一行</p>第二&amp;行<br>第三<img src='http://x/t.gif'>"
              "</body></html>")
    assert html_to_text(markup) == "第一行\n第二&行\n第三"


def test_html_to_text_unclosed_head_keeps_body():
    assert html_to_text("<head><meta charset=utf-8><body>正文") == "正文"


@pytest.mark.parametrize("raw, expected", [
    ('"admin@centre" <attacker@x>', ("admin@centre", "attacker@x")),
    ("a@x, b@y", ("", None)),
    ("a@x@y", ("", None)),
    ("<>", ("", None)),
    ("undisclosed-recipients:;", ("", None)),
    ("张三 <ZhangSan@QQ.COM>", ("张三", "ZhangSan@qq.com")),
    ('"=?GBK?B?1cXI/Q==?=" <a@b.com>', ("张三", "a@b.com")),
    ("x <a@b.com>, ", ("x", "a@b.com")),
])
def test_mailbox_from_header(raw, expected):
    assert mailbox_from_header(raw) == expected


def test_encoded_display_name_cannot_inject_an_address():
    evil = b_word("x <evil@attacker.example>,", "utf-8", "utf-8")
    name, address = mailbox_from_header(f"{evil} <real@example.com>")
    assert address == "real@example.com" and "evil" in name


@pytest.mark.parametrize("address", ["a b@x.com", "a@-x.com", "a..b@x.com", "@x.com", "a@",
                                     '"q"@x.com', "a@x_y.com", "张@x.com"])
def test_invalid_addresses(address):
    assert valid_address(address) is None


def test_message_ids_keep_brackets():
    assert message_ids(" <a@b>\r\n\t<c@d> ") == ["<a@b>", "<c@d>"]
    assert message_ids("bare@id") == ["bare@id"]
