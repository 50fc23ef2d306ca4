"""Real services for the delivery tests: an SMTP sink, a Redis server, gunicorn and a Celery worker.

Every service here is private to one test: its own Redis on a free port (never the shared one),
its own SMTP port, its own worker name. The web server and the worker are subprocesses that use
the test's PostgreSQL database (pytest-django's test_<name>), which is why the tests that use them
need `django_db(transaction=True)`: their rows must be committed for the subprocesses to see them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from celery import Celery

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent.parent
# Variables of the surrounding shell or CI that must not leak into the subprocesses' settings.
INHERITED_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
    "RAVES_VAR_DIR",
    "DEBUG",
    "SECRET_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "FEEDBACK_SEND_LEASE_SECONDS",
    "DELIVERY_LEASE_SECONDS",
    "DELIVERY_RETRY_BASE_SECONDS",
    "DELIVERY_RETRY_CAP_SECONDS",
    "DELIVERY_EMAIL_MAX_ATTEMPTS",
    "CONN_MAX_AGE",
)
SITE_URL = "https://raves.test"
# A killed sender's claim runs out after this many seconds (the product's default is 120).
LEASE_SECONDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float, failure: Callable[[], str], step: float = 0.05) -> None:
    """Poll `condition` until it holds; fail the test with `failure()` when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s: {failure()}")
        time.sleep(step)


# --- SMTP -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        received = Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content))
        with self.lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"


class SMTPSink:
    """An SMTP server on a loopback port that records every message; it can be started late."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # A fresh controller each time: a stopped one cannot be started again.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def per_recipient(self) -> Counter[str]:
        return Counter(recipient.lower() for received in self.messages for recipient in received.recipients)

    def wait_for_recipients(self, count: int, timeout: float) -> None:
        wait_until(
            lambda: len(self.per_recipient()) >= count,
            timeout,
            lambda: f"{len(self.per_recipient())} of {count} recipients reached the SMTP sink "
            f"({len(self.messages)} messages)",
        )


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink(free_port())
    sink.start()
    yield sink
    sink.stop()


# --- Redis ----------------------------------------------------------------------------------
class RedisServer:
    """A redis-server of the test's own on a free port, that the test may stop and start again."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_until(self.answers, 10, lambda: f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def answers(self) -> bool:
        try:
            with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except (redis.RedisError, OSError):
            return False


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    require_service(shutil.which("redis-server") is not None, "redis-server (Debian package redis-server)")
    server = RedisServer(free_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


# --- Subprocesses ---------------------------------------------------------------------------
class ManagedProcess:
    """A command in a process group of its own, its output collected by a thread."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._collect, args=(self.process,), daemon=True).start()

    def _collect(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_for_output(self, fragment: str, timeout: float) -> None:
        def seen() -> bool:
            if fragment in self.output:
                return True
            if not self.running():
                pytest.fail(f"{self.name} exited before printing {fragment!r}:\n{self.output[-5000:]}")
            return False

        wait_until(seen, timeout, lambda: f"{self.name} did not print {fragment!r}:\n{self.output[-5000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group (a Celery worker's pool processes too): no clean-up at all."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Ask the group to stop (SIGTERM), then kill whatever is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()  # the group may outlive its leader (pool processes)


def database_url(settings_dict: dict) -> str:
    """The URL of the database this test process uses (pytest-django's test_<name>)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@dataclass
class Services:
    """What the subprocesses are configured with; `env` is the environment they all share."""

    env: dict[str, str]
    redis: RedisServer
    smtp: SMTPSink


@pytest.fixture
def services(transactional_db, redis_server, smtp_sink, tmp_path) -> Services:
    """The environment for web and worker subprocesses, on the test's own PostgreSQL database."""
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_SETTINGS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY="integration-secret-key-" + "x" * 40,
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=SITE_URL,
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=redis_server.url,
        EMAIL_URL=smtp_sink.url,
        FEEDBACK_SEND_LEASE_SECONDS=str(LEASE_SECONDS),
        RAVES_VAR_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    return Services(env=env, redis=redis_server, smtp=smtp_sink)


# --- Celery worker --------------------------------------------------------------------------
class CeleryWorker(ManagedProcess):
    """`celery -A config worker` (prefork, two processes) that can be SIGKILLed and started again."""

    def __init__(self, env: dict[str, str], concurrency: int = 2) -> None:
        self.node = f"raves-integration-{uuid.uuid4().hex[:8]}@localhost"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork"]
        command += [f"--concurrency={concurrency}", "-l", "INFO", "--without-mingle", "--without-gossip"]
        command += ["-n", self.node]
        super().__init__("The Celery worker", command, env)

    def start(self) -> None:
        self.lines = []
        super().start()
        self.wait_for_output(f"{self.node} ready.", timeout=60)


@pytest.fixture
def worker(services) -> Iterator[CeleryWorker]:
    process = CeleryWorker(services.env)
    process.start()
    yield process
    process.stop()


def project_queue(task: str) -> str:
    """The queue the project routes `task` to (settings.CELERY_TASK_ROUTES), as beat and `.delay()`
    do: a task sent by name from a bare Celery app would otherwise go to "celery", which no worker
    of the project consumes."""
    from django.conf import settings

    route = getattr(settings, "CELERY_TASK_ROUTES", {}).get(task, {})
    return route.get("queue", getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))


class Sweeper:
    """Stands in for celery beat: queues the sweep task on the broker, as beat does every 30 s."""

    def __init__(self, redis_url: str) -> None:
        self.app = Celery(
            "raves-integration-beat",
            broker=redis_url,
            broker_transport_options={"socket_timeout": 2, "socket_connect_timeout": 2},
        )

    def sweep(self, task: str = "feedback.tasks.sweep_feedback_requests") -> None:
        self.app.send_task(task, queue=project_queue(task))

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def sweeper(services) -> Iterator[Sweeper]:
    sweeper = Sweeper(services.redis.url)
    yield sweeper
    sweeper.close()


# --- Web server -----------------------------------------------------------------------------
class WebServer(ManagedProcess):
    """gunicorn serving config.wsgi on a free loopback port."""

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--timeout", "60", "--no-control-socket"]
        super().__init__("gunicorn", command, env)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_until(self._accepts, 60, lambda: f"gunicorn did not answer:\n{self.output[-5000:]}", step=0.2)

    def _accepts(self) -> bool:
        if not self.running():
            pytest.fail(f"gunicorn exited:\n{self.output[-5000:]}")
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # it answered (503 while the broker is down is still an answer)
        except OSError:
            return False

    def request(self, method: str, path: str, *, key: str, body=None, timeout: float = 30) -> tuple[int, object]:
        """(status, decoded JSON) of one API call."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                return error.code, json.loads(payload)
            except ValueError:
                return error.code, payload.decode(errors="replace")


@pytest.fixture
def web_server(services) -> Iterator[WebServer]:
    server = WebServer(services.env)
    server.start()
    yield server
    server.stop()
