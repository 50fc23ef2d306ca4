"""Playwright on Debian's Chromium, at phone size, allowed to talk to the live server only.

Pages that carry a token must load nothing from other sites, so every request to another host is
aborted and recorded: a test asserts that none was attempted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.conftest import require_service

CHROMIUM = "/usr/bin/chromium"
# Keep Chromium from reaching for the internet on its own (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CSP_MARK = "Content Security Policy"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

# The live server runs Django in a thread; Playwright's sync API runs an event loop in this one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@dataclass
class PageLog:
    """What a page tried to do that a test may want to assert never happened."""

    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser():
    require_service(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


def live_server_page(browser, live_server, page_log: PageLog, **options) -> Iterator:
    """A page (with Playwright's context `options`) whose requests to any host but the live server are
    aborted and logged; console errors, page errors and Content Security Policy reports are kept."""
    allowed = urlsplit(live_server.url).netloc
    context = browser.new_context(**options)

    def only_live_server(route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == allowed:
            route.continue_()
        else:
            page_log.blocked_requests.append(url)
            route.abort()

    context.route("**/*", only_live_server)
    page = context.new_page()
    page.csp_messages = []
    page.on("console", lambda message: message.type == "error" and page_log.console_errors.append(message.text))
    page.on("console", lambda message: CSP_MARK in message.text and page.csp_messages.append(message.text))
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, page_log: PageLog) -> Iterator:
    """A phone-sized page that may talk to the live server only."""
    yield from live_server_page(browser, live_server, page_log, **PHONE)


@pytest.fixture
def desktop_page(browser, live_server, page_log: PageLog) -> Iterator:
    """A 1280x900 page that may talk to the live server only."""
    yield from live_server_page(browser, live_server, page_log, **DESKTOP)


# The journeys' SMTP server on loopback and recorded worker (tests/browser/journeys.py).
from tests.browser.journeys import smtp_server, worker  # noqa: E402, F401
