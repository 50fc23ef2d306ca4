"""A real Celery worker process connects to the broker, answers a ping and runs a task from it.

The project's own tasks are tested elsewhere; here the worker runs Celery's built-in
`celery.accumulate` (it returns its arguments), so nothing in product code exists for the test.
Each worker listens on a queue and a name of its own, so parallel runs and other workers on the
same broker never take each other's messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery

from tests.conftest import require_service

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent.parent
# Redis database for these tests' keys, apart from the application's (usually 0).
TEST_REDIS_DB = 15
# Variables of the surrounding environment that would change which broker the worker uses.
INHERITED_SETTINGS = ("DATABASE_URL", "REDIS_URL", "CI", "DJANGO_SETTINGS_MODULE", "RAVES_VAR_DIR", "DEBUG")


class Worker:
    """`celery -A config worker` in a process group of its own, its output collected by a thread."""

    def __init__(self, env: dict[str, str], queue: str) -> None:
        self.name = f"{queue}@raves-test"
        self.queue = queue
        self.lines: list[str] = []
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "INFO"]
        command += ["--without-mingle", "--without-gossip", "-n", self.name, "-Q", queue]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, fragment: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while fragment not in self.output:
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited ({self.process.returncode}) before {fragment!r}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"The worker did not log {fragment!r} within {timeout} s:\n{self.output}")
            time.sleep(0.1)

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                return None
        return self.process.returncode


def worker_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_SETTINGS}
    env.update(
        DEBUG="true",
        RAVES_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONUNBUFFERED="1",
        **variables,
    )
    return env


def redis_url_for_tests(url: str) -> str:
    """The same Redis server, database TEST_REDIS_DB."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{TEST_REDIS_DB}"))


def redis_answers(url: str) -> bool:
    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def redis_broker_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL", "")
    require_service(bool(url) and redis_answers(url), "Redis (REDIS_URL)")
    yield redis_url_for_tests(url)


def assert_worker_answers_and_runs_a_task(client_app: Celery, worker: Worker) -> None:
    worker.wait_for(f"{worker.name} ready.", timeout=60)

    replies = client_app.control.ping(destination=[worker.name], timeout=10)
    assert replies == [{worker.name: {"ok": "pong"}}], worker.output

    result = client_app.send_task("celery.accumulate", args=(41, 1), queue=worker.queue)
    worker.wait_for(f"Task celery.accumulate[{result.id}] succeeded", timeout=30)
    assert f"Task celery.accumulate[{result.id}] succeeded in" in worker.output
    assert ": (41, 1)" in worker.output


def test_a_worker_process_consumes_tasks_from_redis(redis_broker_url, tmp_path):
    queue = f"raves-test-{uuid.uuid4().hex[:12]}"
    client_app = Celery(
        "raves-test-client",
        broker=redis_broker_url,
        broker_transport_options={"socket_timeout": 5, "socket_connect_timeout": 5},
    )
    worker = Worker(worker_env(tmp_path, REDIS_URL=redis_broker_url), queue)
    try:
        assert_worker_answers_and_runs_a_task(client_app, worker)
        connected = [line for line in worker.lines if "Connected to redis://" in line]
        assert connected and connected[0].rstrip().endswith(f"/{TEST_REDIS_DB}"), worker.output
    finally:
        exit_code = worker.stop()
        client_app.close()
        with redis.Redis.from_url(redis_broker_url) as client:
            leftovers = list(client.scan_iter(match=f"*{queue}*"))
            if leftovers:
                client.delete(*leftovers)
    assert exit_code == 0, worker.output


def test_a_worker_process_consumes_tasks_from_the_embedded_broker(tmp_path):
    queue = f"raves-test-{uuid.uuid4().hex[:12]}"
    # The folders config.settings.base derives from RAVES_VAR_DIR when REDIS_URL is unset.
    client_app = Celery(
        "raves-test-client",
        broker="filesystem://",
        broker_transport_options={
            "data_folder_in": str(tmp_path / "broker"),
            "data_folder_out": str(tmp_path / "broker"),
            "control_folder": str(tmp_path / "broker-control"),
        },
    )
    worker = Worker(worker_env(tmp_path), queue)
    try:
        assert_worker_answers_and_runs_a_task(client_app, worker)
        assert "Connected to filesystem://" in worker.output
    finally:
        exit_code = worker.stop()
        client_app.close()
    assert exit_code == 0, worker.output
