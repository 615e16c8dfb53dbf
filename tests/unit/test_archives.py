"""expand_zip: GBK member names, junk entries and hostile archives."""
import io
import zipfile

from intake.mail.archives import expand_zip
from devtools.samples.emails import gbk_zip


def make_zip(members, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def names(attachments):
    return [a.filename for a in attachments]


def test_gbk_member_names_without_utf8_flag():
    data = gbk_zip([("张喆-申请表.docx", b"D"), ("身份证.jpg", b"J")])
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert all(not info.flag_bits & 0x800 for info in infos)  # really the Windows style
    members, problems = expand_zip("材料.zip", data)
    assert names(members) == ["张喆-申请表.docx", "身份证.jpg"] and problems == []
    assert {(m.origin, m.container) for m in members} == {("zip", "材料.zip")}
    assert members[1].content_type == "image/jpeg" and members[1].data == b"J"


def test_utf8_flagged_names():
    members, _ = expand_zip("a.zip", make_zip([("申请表.pdf", b"P")]))
    assert names(members) == ["申请表.pdf"]


def test_directories_macos_junk_and_paths_are_dropped():
    data = make_zip([("folder/", b""), ("folder/sub/表.pdf", b"P"), ("__MACOSX/folder/._表.pdf", b"x"),
                     (".DS_Store", b"x"), ("folder/._a.pdf", b"x"), ("../../etc/passwd", b"x")])
    members, problems = expand_zip("a.zip", data)
    assert names(members) == ["表.pdf", "passwd"] and problems == []


def test_member_count_cap():
    members, problems = expand_zip("a.zip", make_zip([(f"{i}.txt", b"x") for i in range(5)]),
                                   max_members=3)
    assert len(members) == 3 and len(problems) == 1


def test_compression_ratio_bomb_is_refused():
    members, problems = expand_zip("bomb.zip", make_zip([("big.txt", b"\0" * 2_000_000)]))
    assert members == [] and "zip bomb" in problems[0]


def test_total_size_cap():
    data = make_zip([("a.bin", b"a" * 600), ("b.bin", b"b" * 600)], compression=zipfile.ZIP_STORED)
    members, problems = expand_zip("a.zip", data, max_total=1000)
    assert names(members) == ["a.bin"] and problems


def test_lying_size_header_is_caught():
    data = bytearray(make_zip([("a.txt", b"x" * 5000)]))
    # Shrink the declared size in both headers; the real stream is bigger.
    real = (5000).to_bytes(4, "little")
    data = bytes(data).replace(real, (10).to_bytes(4, "little"))
    members, problems = expand_zip("a.zip", data)
    assert members == [] and problems


def test_encrypted_member_noted():
    data = bytearray(make_zip([("secret.pdf", b"P"), ("open.pdf", b"O")]))
    # Set the "encrypted" bit on the first member in both headers.
    local = data.index(b"PK\x03\x04")
    data[local + 6] |= 1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1
    members, problems = expand_zip("a.zip", bytes(data))
    assert names(members) == ["open.pdf"] and "password" in problems[0]


def test_not_a_zip():
    members, problems = expand_zip("x.zip", b"PK\x03\x04garbage")
    assert members == [] and "x.zip" in problems[0]


def test_truncated_zip():
    data = make_zip([("a.txt", b"hello" * 100)])
    members, problems = expand_zip("t.zip", data[: len(data) // 2])
    assert members == [] and problems
