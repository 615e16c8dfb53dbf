"""config.yaml is validated at start-up: a wrong or missing key is named, and the command exits non-zero."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from intake.core.config import ConfigError, MailboxSettings, OneCentreSettings, Settings, all_keys, load_settings

PROJECT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((PROJECT / "config.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_checked_in_config_is_valid_and_resolves_paths_next_to_it():
    settings = load_settings(PROJECT / "config.yaml")
    assert settings.campaigns[0].deadline.isoformat() == "2020-09-25"
    assert settings.campaigns[0].timezone == "Asia/Shanghai"
    assert settings.storage.path.is_absolute()
    assert settings.database.url.startswith("sqlite:////")


@pytest.mark.parametrize(
    "mutate, named_key",
    [
        (lambda d: d["mailbox"].pop("host"), "mailbox.host"),
        (lambda d: d["mailbox"].update(security="tls"), "mailbox.security"),
        (lambda d: d["smtp"].update(port=70000), "smtp.port"),
        (lambda d: d["campaign"].update(deadline="25/09/2020"), "campaign.deadline"),
        (lambda d: d["campaign"].update(timezone="China/Zhanjiang"), "campaign.timezone"),
        (lambda d: d["poll"].update(intervall_seconds=5), "poll.intervall_seconds"),
        (lambda d: d["campaign"].update(required_fields=["name", "shoe_size"]), "shoe_size"),
        (lambda d: d["smtp"].update(password_env="X"), "smtp"),
    ],
)
def test_a_wrong_key_is_named(tmp_path, mutate, named_key):
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, mutate))
    assert named_key in str(caught.value)


def test_password_can_come_from_the_environment(tmp_path, monkeypatch):
    def use_env(d):
        d["mailbox"].pop("password")
        d["mailbox"]["password_env"] = "TEST_IMAP_SECRET"

    settings = load_settings(write_config(tmp_path, use_env))
    with pytest.raises(ConfigError, match="TEST_IMAP_SECRET"):
        settings.campaigns[0].mailbox.resolved_password()
    monkeypatch.setenv("TEST_IMAP_SECRET", "授权码123")
    assert settings.campaigns[0].mailbox.resolved_password() == "授权码123"


def test_the_command_exits_non_zero_naming_the_key(tmp_path):
    path = write_config(tmp_path, lambda d: d["mailbox"].update(port="imap"))
    result = subprocess.run(
        [sys.executable, "-m", "intake", "--config", str(path), "status"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "mailbox.port" in result.stderr


def test_a_missing_file_says_what_to_do(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "intake", "--config", str(tmp_path / "nope.yaml"), "status"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "--config" in result.stderr


def test_every_config_key_is_documented_in_the_readme():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    # An entry of campaigns: holds the keys of the one-centre sections, documented there.
    keys = {*all_keys(OneCentreSettings), *(key for key in all_keys(Settings) if not key.startswith("campaigns.")),
            "campaigns", "campaigns.templates_dir"}
    undocumented = sorted(key for key in keys if f"`{key}`" not in readme)
    assert undocumented == []


def test_a_date_deadline_ends_with_that_day_in_the_campaign_time_zone(tmp_path):
    settings = load_settings(write_config(tmp_path, lambda d: d["campaign"].update(deadline="2020-09-25")))
    assert settings.campaigns[0].deadline_end().isoformat() == "2020-09-25T23:59:59.999999+08:00"


@pytest.mark.parametrize("written", ["2020-09-25T17:30:00+08:00", "2020-09-25T09:30:00Z"])
def test_a_deadline_with_a_time_and_offset_is_that_instant(tmp_path, written):
    settings = load_settings(write_config(tmp_path, lambda d: d["campaign"].update(deadline=written)))
    end = settings.campaigns[0].deadline_end()
    assert end.isoformat() == "2020-09-25T17:30:00+08:00"  # shown in campaign time
    assert settings.campaigns[0].deadline.isoformat() == "2020-09-25"  # still a date for references and letters


def test_an_unquoted_yaml_date_time_is_read_too(tmp_path):
    path = tmp_path / "config.yaml"
    text = (PROJECT / "config.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("deadline: 2020-09-25 ", "deadline: 2020-09-25T23:00:00+00:00 "), encoding="utf-8")
    campaign = load_settings(path).campaigns[0]
    assert campaign.deadline.isoformat() == "2020-09-26"  # 07:00 the next morning in Zhanjiang
    assert campaign.deadline_end().isoformat() == "2020-09-26T07:00:00+08:00"


@pytest.mark.parametrize("written", ["2020-09-25 23:59", "2020-09-25T23:59:59", "2020-02-30", "next friday"])
def test_a_deadline_without_an_offset_or_not_a_date_is_refused_with_an_example(tmp_path, written):
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, lambda d: d["campaign"].update(deadline=written)))
    message = str(caught.value)
    assert "campaign.deadline" in message and "2020-09-25T23:59:59+08:00" in message


def test_the_campaign_name_defaults_to_its_title(tmp_path):
    def without_name(d):
        d["campaign"].pop("name")

    assert load_settings(write_config(tmp_path, without_name)).campaigns[0].name == "湛江市中小企业志愿服务专家报名"

    def own_title(d):
        d["campaign"].pop("name")
        d["campaign"]["title"] = "2021年专家报名"

    assert load_settings(write_config(tmp_path, own_title)).campaigns[0].name == "2021年专家报名"


@pytest.mark.parametrize(
    "mutate, named_key, example",
    [
        (lambda d: d["mailbox"].pop("host"), "mailbox.host", "imap.126.com"),
        (lambda d: d["mailbox"].update(port="imap"), "mailbox.port", "993"),
        (lambda d: d["mailbox"].update(security="tls"), "mailbox.security", "ssl"),
        (lambda d: d["smtp"].update(from_address="centre at 126"), "smtp.from_address", "@126.com"),
        (lambda d: d["campaign"].update(deadline="25/09/2020"), "campaign.deadline", "2020-09-25"),
        (lambda d: d["campaign"].update(timezone="China/Zhanjiang"), "campaign.timezone", "Asia/Shanghai"),
        (lambda d: d["campaign"].update(name=""), "campaign.name", "zj-sme-experts-2020"),
        (lambda d: d["campaign"].update(required_fields=["shoe_size"]), "campaign.required_fields", "id_number"),
        (lambda d: d["campaign"].update(workstations={"霞山区": "three"}), "campaign.workstations.霞山区", "霞山区: 3"),
        (lambda d: d["poll"].update(interval_seconds=1), "poll.interval_seconds", "300"),
        (lambda d: d["poll"].update(intervall_seconds=5), "poll.intervall_seconds", "poll.interval_seconds"),
        (lambda d: d["parsing"].update(workers=0), "parsing.workers", "2"),
        (lambda d: d["smtp"].update(password_env="X"), "smtp", "password_env"),
    ],
)
def test_every_error_names_the_key_in_chinese_and_english_with_a_valid_example(tmp_path, mutate, named_key, example):
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, mutate))
    [line] = [line for line in str(caught.value).splitlines() if line.strip().startswith("-")]
    assert f"- {named_key}:" in line
    assert "例如 (e.g.)" in line and example in line.split("例如 (e.g.)", 1)[1]
    assert any("\u4e00" <= c <= "\u9fff" for c in line.split(":", 1)[1])  # Chinese …
    assert any(c.isascii() and c.isalpha() for c in line.split(":", 1)[1])  # … and English


def test_file_level_errors_are_bilingual_with_an_example(tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("campaign:\n  deadline: [2020-09-25\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"不是有效的 YAML / not valid YAML[\s\S]*deadline: 2020-09-25"):
        load_settings(bad_yaml)
    a_list = tmp_path / "list.yaml"
    a_list.write_text("- mailbox\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"顶层.*top level[\s\S]*host: imap.126.com"):
        load_settings(a_list)
    with pytest.raises(ConfigError, match=r"database.url: 不是数据库地址 / not a database URL.*sqlite:///"):
        load_settings(write_config(tmp_path, lambda d: d["database"].update(url="not a url")))


@pytest.mark.parametrize("host", ["imap.126.com", "10.0.0.5", "mail.example.org"])
def test_plain_text_is_refused_for_a_server_on_another_machine(host):
    with pytest.raises(ValueError) as refused:
        MailboxSettings(host=host, security="none")
    assert "security: none" in str(refused.value) and "ssl" in str(refused.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.53"])
def test_plain_text_is_allowed_to_this_machine(host):
    assert MailboxSettings(host=host, security="none").security == "none"


def centre(name: str, prefix: str, user: str) -> dict:
    return {
        "name": name, "title": f"{name} 专家报名", "deadline": "2020-09-25", "reference_prefix": prefix,
        "mailbox": {"host": "127.0.0.1", "port": 10143, "security": "none", "username": user, "password": "x"},
        "smtp": {"host": "127.0.0.1", "port": 10025, "security": "none", "from_address": user},
    }


def several_centres(tmp_path, *campaigns, **sections) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"campaigns": list(campaigns), **sections}, allow_unicode=True), encoding="utf-8")
    return path


def test_a_province_lists_its_centres_each_with_its_own_mailbox_and_account(tmp_path):
    settings = load_settings(several_centres(
        tmp_path, centre("zhanjiang", "ZJZJ", "zj@intake.local"), {**centre("maoming", "MMZJ", "mm@intake.local"),
                                                                    "templates_dir": "mm-templates"},
        replies={"templates_dir": "shared-templates"}))
    zhanjiang, maoming = settings.campaigns
    assert (zhanjiang.mailbox.username, maoming.smtp.from_address) == ("zj@intake.local", "mm@intake.local")
    assert zhanjiang.templates_dir == tmp_path / "shared-templates"  # the shared folder, unless its own
    assert maoming.templates_dir == tmp_path / "mm-templates"
    assert settings.campaign_named("maoming") is maoming


def test_one_centre_is_a_province_of_one(tmp_path):
    settings = load_settings(PROJECT / "config.yaml")
    [campaign] = settings.campaigns
    assert campaign.name == "zj-sme-experts-2020" and campaign.mailbox.port == 10143 and campaign.smtp.port == 10025


@pytest.mark.parametrize("repeated, second", [
    ("name", centre("zhanjiang", "MMZJ", "mm@intake.local")),
    ("reference_prefix", centre("maoming", "ZJZJ", "mm@intake.local")),
    ("mailbox", centre("maoming", "MMZJ", "zj@intake.local")),
])
def test_two_centres_never_share_a_name_a_prefix_or_a_mailbox(tmp_path, repeated, second):
    with pytest.raises(ConfigError) as caught:
        load_settings(several_centres(tmp_path, centre("zhanjiang", "ZJZJ", "zj@intake.local"), second))
    assert f"each campaign needs its own {repeated}" in str(caught.value)


def test_an_error_in_a_centre_names_its_place_in_the_list_with_an_example(tmp_path):
    broken = {**centre("maoming", "MMZJ", "mm@intake.local"), "deadline": "25/09/2020"}
    with pytest.raises(ConfigError) as caught:
        load_settings(several_centres(tmp_path, centre("zhanjiang", "ZJZJ", "zj@intake.local"), broken))
    assert "- campaigns.1.deadline:" in str(caught.value) and "2020-09-25" in str(caught.value)
    mailbox_less = {key: value for key, value in centre("maoming", "MMZJ", "mm@intake.local").items() if key != "mailbox"}
    with pytest.raises(ConfigError) as caught:
        load_settings(several_centres(tmp_path, mailbox_less))
    assert "- campaigns.0.mailbox:" in str(caught.value) and "mailbox: 段" in str(caught.value)


def test_both_layouts_at_once_is_refused(tmp_path):
    def also_campaigns(d):
        d["campaigns"] = [centre("maoming", "MMZJ", "mm@intake.local")]

    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, also_campaigns))
    assert "campaign" in str(caught.value) and "unknown key" in str(caught.value)
