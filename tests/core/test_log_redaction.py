"""Link tokens and URL credentials never reach a log line: Django's request log, gunicorn's access
and error logs, and any message that quotes a URL with a password."""

from __future__ import annotations

import io
import logging
import logging.config
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from copy import deepcopy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.settings import base
from core.log_redaction import RedactingGunicornLogger, redact

pytestmark = pytest.mark.django_db


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def logging_restored():
    """Every logger's and handler's set-up as it was: gunicorn's logger adds its filter to each handler
    it finds (pytest's capturing handlers among them), the production config replaces handlers."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    saved = {log: (log.handlers[:], log.filters[:], log.level, log.propagate, log.disabled) for log in loggers}
    handler_filters = {handler: handler.filters[:] for log in loggers for handler in log.handlers}
    yield
    for log, (handlers, filters, level, propagate, disabled) in saved.items():
        log.handlers[:], log.filters[:] = handlers, filters
        log.level, log.propagate, log.disabled = level, propagate, disabled
    for handler, filters in handler_filters.items():
        handler.filters[:] = filters


@pytest.fixture
def production_logging():
    """The LOGGING of config/settings/base.py, its console writing into a buffer (undone by logging_restored)."""
    config = deepcopy(base.LOGGING)
    stream = io.StringIO()
    for handler in config["handlers"].values():
        handler["stream"] = stream
    logging.config.dictConfig(config)
    captured = Captured()
    logging.getLogger().addHandler(captured)  # after the console handler: sees each record as the handlers leave it
    return SimpleNamespace(stream=stream, records=captured.records)


@pytest.mark.parametrize(
    "path",
    [
        "/f/{token}/",
        "/f/{token}/thanks/",
        "/u/{token}/",
        "/case/{token}/",
        "/scorecard/{token}/",
        "/digest/unsubscribe/{token}/",
        "/meeting-sheet/{token}/",
    ],
)
def test_a_404_on_a_link_logs_no_token(client, production_logging, path):
    token = secrets.token_urlsafe(16)
    response = client.get(path.format(token=token), HTTP_REFERER=f"https://mail.example/{path.format(token=token)}")

    assert response.status_code == 404
    logged = production_logging.stream.getvalue()
    assert "Not Found: " + path.format(token="[redacted]") in logged
    assert token not in logged
    [record] = [r for r in production_logging.records if r.name == "django.request"]
    assert token not in record.getMessage()
    assert token not in record.request.path and token not in record.request.META["PATH_INFO"]
    assert token not in record.request.META["HTTP_REFERER"]
    assert token in response.wsgi_request.path  # the live request is untouched


def test_url_credentials_are_redacted_from_messages_and_tracebacks(production_logging):
    logger = logging.getLogger("outbox.webhooks")
    try:
        raise ConnectionError("could not reach https://hook-user:s3cret-pass@hooks.example.com/in")
    except ConnectionError:
        logger.exception("Webhook to %s failed", "https://hook-user:s3cret-pass@hooks.example.com/in")
    logged = production_logging.stream.getvalue()
    assert "https://[redacted]@hooks.example.com/in" in logged
    assert "s3cret-pass" not in logged and "hook-user" not in logged


def test_the_development_servers_request_lines_are_redacted(production_logging):
    token = secrets.token_urlsafe(16)
    server_log = logging.getLogger("django.server")
    server_log.info('"%s" %s %s', f"GET /u/{token}/ HTTP/1.1", 404, 179, extra={"status_code": 404})
    assert '"GET /u/[redacted]/ HTTP/1.1" 404 179' in production_logging.stream.getvalue()
    assert token not in production_logging.stream.getvalue()


def test_redact_leaves_ordinary_text_alone():
    text = "Sent 12 emails to /b/corner-bakery/ at https://raves.test/admin/"
    assert redact(text) == text


# --- gunicorn ----------------------------------------------------------------------------------
def gunicorn_logger() -> RedactingGunicornLogger:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("errorlog", "-")
    return RedactingGunicornLogger(cfg)


def test_the_gunicorn_access_log_redacts_tokens_credentials_and_basic_auth(capsys):
    token = secrets.token_urlsafe(16)
    logger = gunicorn_logger()
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/u/{token}/?from=mail",
        "PATH_INFO": f"/u/{token}/",
        "QUERY_STRING": "from=mail",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://user:pw@mail.example/f/{token}/",
        "HTTP_USER_AGENT": "Mail scanner",
        "HTTP_AUTHORIZATION": "Basic YW55bWFpbDpzZWNyZXQ=",  # anymail:secret
    }
    request = SimpleNamespace(
        headers=[("REFERER", environ["HTTP_REFERER"]), ("AUTHORIZATION", "Basic YW55bWFpbDpzZWNyZXQ=")]
    )
    response = SimpleNamespace(status="200 OK", sent=120, headers=[])

    logger.access(response, request, environ, timedelta(milliseconds=12))

    line = capsys.readouterr().out
    assert '"POST /u/[redacted]/?from=mail HTTP/1.1" 200 120' in line
    assert '"https://[redacted]@mail.example/f/[redacted]/"' in line
    assert token not in line and "anymail" not in line and "pw@" not in line


def test_the_gunicorn_error_log_redacts_tokens(capsys):
    token = secrets.token_urlsafe(16)
    gunicorn_logger().error("Error handling request %s", f"/f/{token}/thanks/")
    logged = capsys.readouterr().err
    assert "Error handling request /f/[redacted]/thanks/" in logged and token not in logged


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_until_answered(url: str, referer: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Referer": referer}), timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer:\n{process.communicate(timeout=5)[0]}")


def test_a_real_gunicorn_with_the_compose_options_logs_no_token():
    """gunicorn as docker-compose.yml starts it (access log on stdout), serving the stdlib's demo app."""
    token, port = secrets.token_urlsafe(16), free_port()
    command = [sys.executable, "-m", "gunicorn", "wsgiref.simple_server:demo_app", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--no-control-socket", "--access-logfile", "-"]
    command += ["--logger-class", "core.log_redaction.RedactingGunicornLogger"]
    process = subprocess.Popen(command, cwd=base.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        get_until_answered(
            f"http://127.0.0.1:{port}/f/{token}/?rating=5", f"https://x:y@mail.example/u/{token}/", process
        )
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert '"GET /f/[redacted]/?rating=5 HTTP/1.1" 200' in output
    assert '"https://[redacted]@mail.example/u/[redacted]/"' in output
    assert token not in output


@pytest.mark.parametrize("name", ["docker-compose.yml", "Dockerfile"])
def test_compose_and_the_image_start_gunicorn_with_the_redacting_logger(name):
    text = (base.BASE_DIR / name).read_text()
    assert "--logger-class" in text and "core.log_redaction.RedactingGunicornLogger" in text
