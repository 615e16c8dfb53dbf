"""Staff read an applicant's e-mail as the worker read it: Chinese charsets repaired, HTML as text."""
from __future__ import annotations

from review.detail_data import email_text


def test_gbk_text_labelled_gb2312_reads_right_on_the_detail_page():
    body = "张喆的报名表见附件，手机13812345678。".encode("gbk")  # 喆 is GBK, not GB2312
    raw = (b"From: =?gb2312?B?1cXe1w==?= <zz@qq.com>\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body)
    text = email_text(raw)
    assert "张喆的报名表见附件" in text
    assert "13812345678" not in text  # masked on screen


def test_an_html_only_mail_is_shown_as_text_never_markup():
    raw = (b"From: a@b.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           + "<p>您好<script>alert(1)</script><b>报名</b></p>".encode("utf-8"))
    text = email_text(raw)
    assert "您好" in text and "报名" in text
    assert "<" not in text and "alert" not in text
