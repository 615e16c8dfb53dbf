"""`intake demo` ends by serving the review app on the demo data until it is stopped.

A person runs README's main command, reads the address and the demo account
off the screen, signs in, sees the demo applications, and stops it with
Ctrl-C (here: SIGTERM, the same handler).
"""
from __future__ import annotations

import http.cookiejar
import re
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from devtools.demo import DEMO_PASSWORD, DEMO_USERNAME, _mailserver_dir
from devtools.servers import find_free_port
from devtools.servers.ports import wait_until

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
# The demo polls its whole sample mailbox (scans and photos included) before the app starts.
START_TIMEOUT_SECONDS = 600


@pytest.fixture
def demo_config(tmp_path):
    config = yaml.safe_load((PROJECT / "config.yaml").read_text(encoding="utf-8"))
    config["mailbox"]["port"] = find_free_port()
    config["smtp"]["port"] = find_free_port()
    config["web"]["port"] = find_free_port()
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    yield config
    shutil.rmtree(_mailserver_dir(tmp_path / "data" / "demo"), ignore_errors=True)


def login_page(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url + "login", timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def test_the_demo_serves_the_review_app_with_its_account_until_stopped(tmp_path, demo_config):
    url = f"http://127.0.0.1:{demo_config['web']['port']}/"
    output = tmp_path / "demo-output.txt"
    with output.open("w", encoding="utf-8") as out:
        demo = subprocess.Popen([sys.executable, "-m", "intake", "--config", "config.yaml", "demo"],
                                cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: login_page(url) is not None, timeout=START_TIMEOUT_SECONDS, max_interval=1,
                          abort=lambda: demo.poll() is not None), output.read_text(encoding="utf-8")
        assert "工作人员登录" in login_page(url)
        screen = output.read_text(encoding="utf-8")
        assert f"审核系统：{url}  用户名 {DEMO_USERNAME}  密码 {DEMO_PASSWORD}" in screen
        assert "演示专用" in screen

        queue = sign_in(url, DEMO_USERNAME, DEMO_PASSWORD)
        assert "张喆" in queue  # a demo applicant, in the queue behind the login

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert "审核系统已停止" in output.read_text(encoding="utf-8")
    assert login_page(url) is None  # the port is closed again


def sign_in(url: str, username: str, password: str) -> str:
    """Log in as a browser would (cookie, CSRF token) and return the page it lands on."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(url + "login", timeout=10).read().decode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
    with opener.open(url + "login", data=data, timeout=30) as response:
        assert urllib.parse.urlsplit(response.geturl()).path == "/", "the login did not go through"
        return response.read().decode("utf-8")
