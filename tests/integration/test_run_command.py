"""`make run` (scripts/run.py) from a fresh folder: it starts, serves, lets the owner log in, stops clean.

The script runs as a newcomer runs it: no DATABASE_URL (here: a fresh SQLite file), no Redis,
no DEBUG (the script turns it on), Ctrl-C to stop.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent.parent
# Settings the script must not inherit from the developer's or CI's environment.
INHERITED_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CI",
    "DEBUG",
    "SECRET_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "DJANGO_SETTINGS_MODULE",
    "HOST",
)
OWNER_LOGIN = re.compile(r"owner login:\s+(?P<username>\S+) / (?P<password>\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Output:
    """Lines a process writes, collected by a thread so a full pipe never blocks it."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._collect, args=(process,), daemon=True)
        self.reader.start()

    def read_to_the_end(self, timeout: float = 10) -> str:
        """All of it, once every writer (the script and its children) has closed the pipe."""
        self.reader.join(timeout)
        return self.text

    def _collect(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time), read from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields after its last ")" do not.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`: pid -> start time (to tell a reused pid from the original)."""
    table = process_table()
    found: dict[int, str] = {}
    parents = [pid]
    while parents:
        parent = parents.pop()
        for child, (ppid, _, started) in table.items():
            if ppid == parent and child not in found:
                found[child] = started
                parents.append(child)
    return found


def still_running(processes: dict[int, str]) -> list[int]:
    """Those of `processes` alive now; a zombie has finished, a reused pid is another process."""
    table = process_table()
    return [
        pid for pid, started in processes.items() if pid in table and table[pid][2] == started and table[pid][1] != "Z"
    ]


def kill_all(pids) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for(output: Output, process: subprocess.Popen, fragment: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while fragment not in output.text:
        if process.poll() is not None:
            pytest.fail(f"run.py exited ({process.returncode}) before {fragment!r}:\n{output.text}")
        if time.monotonic() > deadline:
            pytest.fail(f"run.py did not print {fragment!r} within {timeout} s:\n{output.text}")
        time.sleep(0.2)


def admin_login(base: str, username: str, password: str) -> str:
    """Log in through the admin's own form, as a browser does, and return the page it lands on."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(f"{base}/admin/login/?next=/admin/", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, form
    fields = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": "/admin/"}
    request = urllib.request.Request(
        f"{base}/admin/login/?next=/admin/",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Referer": f"{base}/admin/login/"},
    )
    with browser.open(request, timeout=10) as response:
        assert response.url == f"{base}/admin/", response.url
        return response.read().decode()


def start_run_script(tmp_path: Path, port: int, **variables: str) -> tuple[subprocess.Popen, Output]:
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_SETTINGS}
    env.update(
        RAVES_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    env.update(variables)
    script = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return script, Output(script)


def test_make_run_starts_everything_serves_the_owner_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    script, output = start_run_script(tmp_path, port)
    children: dict[int, str] = {}
    try:
        wait_for(output, script, "Raves is running", timeout=90)
        children = descendants(script.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in children]
        assert any("runserver" in command for command in commands), commands
        assert any(" worker" in command for command in commands), commands
        assert any(" beat" in command for command in commands), commands

        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
            assert response.status == 200
            assert json.load(response) == {"status": "ok", "database": "ok", "broker": "ok"}

        login = OWNER_LOGIN.search(output.text)
        assert login, output.text
        page = admin_login(base, login["username"], login["password"])
        assert "Log out" in page
        assert "Staff members" in page
        assert login["username"] in page

        stop_started = time.monotonic()
        os.killpg(script.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        exit_code = script.wait(timeout=20)
        stop_seconds = time.monotonic() - stop_started
        assert exit_code == 0, output.read_to_the_end()
        assert "Raves stopped." in output.read_to_the_end()

        deadline = time.monotonic() + 5  # pool processes notice their parent is gone
        while still_running(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert still_running(children) == [], (stop_seconds, output.text)
        assert "Traceback" not in output.text, output.text
    finally:
        kill_all(still_running(children) + still_running(descendants(script.pid)))
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()


def test_make_run_stops_everything_and_fails_when_the_web_server_cannot_start(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        script, output = start_run_script(tmp_path, taken.getsockname()[1])
        try:
            exit_code = script.wait(timeout=90)
        finally:
            kill_all(still_running(descendants(script.pid)))
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGKILL)
                script.wait()

    text = output.read_to_the_end()
    assert exit_code == 1, text
    assert "web stopped unexpectedly" in text
    assert "Raves is running" not in text


def test_make_run_says_why_when_the_settings_are_wrong(tmp_path):
    script, output = start_run_script(tmp_path, free_port(), DATABASE_URL="nonsense")
    try:
        exit_code = script.wait(timeout=60)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()

    text = output.read_to_the_end()
    assert exit_code == 1, text
    assert "ImproperlyConfigured: DATABASE_URL must be a URL" in text
    assert "manage.py migrate failed" in text
