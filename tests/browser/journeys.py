"""What the journeys share: guarded browser pages, screenshots named after the journey, a real SMTP
server on loopback, and the worker's part run in the test (the tasks the web requests enqueue are
recorded, then run here, as a worker would run them). The fixtures are offered by conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock
from urllib.parse import urlsplit

import pytest

from feedback import tasks as feedback_tasks
from tests.integration.conftest import SMTPSink, free_port

if TYPE_CHECKING:
    from tests.browser.conftest import PageLog

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PASSWORD = "correct-horse-battery"  # tests.businesses.factories.UserFactory's


def screenshot(page, journey: int, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"journey-{journey}-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 0
    return path


def guarded_page(context, allowed: set[str], page_log: PageLog):
    """A page of `context` whose requests to hosts outside `allowed` are aborted and recorded.

    Allowed requests fall back to the context's earlier routes (a host page the test serves itself)."""

    def only_allowed(route) -> None:
        if urlsplit(route.request.url).netloc in allowed:
            route.fallback()
        else:
            page_log.blocked_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_allowed)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.on("console", lambda message: message.type == "error" and page_log.console_errors.append(message.text))
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    return page


def assert_clean(page_log: PageLog) -> None:
    assert page_log.blocked_requests == []
    assert page_log.console_errors == []
    assert page_log.page_errors == []


def assert_no_sideways_scrolling(page) -> None:
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def log_in(page, live_server, username: str, next_path: str = "/admin/") -> None:
    """Through the admin's own login form, as the owner does."""
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


# --- email through a real SMTP server -------------------------------------------------------------


def text_part(message: Message) -> str:
    return _part(message, "text/plain")


def html_part(message: Message) -> str:
    return _part(message, "text/html")


def _part(message: Message, content_type: str) -> str:
    for part in message.walk():
        if part.get_content_type() == content_type and not part.is_multipart():
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    pytest.fail(f"The email has no {content_type} part.")


def link_in(text: str, pattern: str) -> str:
    """The one link in `text` that matches `pattern` (a regular expression)."""
    links = sorted(set(re.findall(pattern, text)))
    assert len(links) == 1, f"expected one link matching {pattern}, found {links}"
    return links[0]


@pytest.fixture
def smtp_server(settings) -> Iterator[SMTPSink]:
    """Our SMTP backend pointed at an aiosmtpd server on loopback that keeps every message."""
    sink = SMTPSink(free_port())
    sink.start()
    settings.EMAIL_BACKEND = "mail.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()


def header(message: Message, name: str) -> str:
    """A header's value as one line (long ones arrive folded)."""
    return re.sub(r"\r?\n[ \t]+", " ", message[name] or "").strip()


def messages_to(sink: SMTPSink, address: str) -> list[Message]:
    return [received.message for received in sink.messages if address in received.recipients]


# --- the worker's part ------------------------------------------------------------------------------


@dataclass
class Worker:
    """The feedback tasks the web requests enqueued, run here as the worker would run them."""

    imports: list[int] = field(default_factory=list)
    sends: list[list[int]] = field(default_factory=list)

    def run_imports(self) -> None:
        for _ in range(100):
            if not self.imports:
                return
            feedback_tasks.create_customer_import(self.imports.pop(0))
        pytest.fail("The import kept handing itself on.")

    def send_invitations(self) -> int:
        sent = 0
        while self.sends:
            sent += feedback_tasks.send_feedback_requests(self.sends.pop(0))
        return sent


@pytest.fixture
def worker() -> Iterator[Worker]:
    recorded = Worker()

    def enqueued(queue: list):
        return lambda argument: queue.append(argument) or True  # the broker took it

    with (
        mock.patch.object(feedback_tasks.create_customer_import, "delay", side_effect=enqueued(recorded.imports)),
        mock.patch.object(feedback_tasks.send_feedback_requests, "delay", side_effect=enqueued(recorded.sends)),
    ):
        yield recorded
