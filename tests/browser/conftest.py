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


@pytest.fixture
def phone_page(browser, live_server, page_log: PageLog) -> Iterator:
    """A phone-sized page whose requests to any host but the live server are aborted and logged."""
    allowed = urlsplit(live_server.url).netloc
    context = browser.new_context(**PHONE)

    def only_live_server(route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == allowed:
            route.continue_()
        else:
            page_log.blocked_requests.append(url)
            route.abort()

    context.route("**/*", only_live_server)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and page_log.console_errors.append(message.text))
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    yield page
    context.close()
