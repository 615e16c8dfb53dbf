"""config.yaml is validated at start-up: a wrong or missing key is named, and the command exits non-zero."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from intake.core.config import ConfigError, load_settings

PROJECT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((PROJECT / "config.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_checked_in_config_is_valid_and_resolves_paths_next_to_it():
    settings = load_settings(PROJECT / "config.yaml")
    assert settings.campaign.deadline.isoformat() == "2020-09-25"
    assert settings.campaign.timezone == "Asia/Shanghai"
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
        settings.mailbox.resolved_password()
    monkeypatch.setenv("TEST_IMAP_SECRET", "授权码123")
    assert settings.mailbox.resolved_password() == "授权码123"


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
    from intake.core.config import Settings

    def keys(model, prefix=""):
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                yield from keys(annotation, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"

    undocumented = [key for key in keys(Settings) if f"`{key}`" not in readme]
    assert undocumented == []
