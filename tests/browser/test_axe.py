"""The axe-core check itself: it runs on our CSP-strict pages and fails, readably, on a real violation."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from feedback.links import feedback_url
from tests.browser.axe import ARTIFACTS, assert_accessible
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAINT_AND_UNLABELLED = """<!doctype html><html lang="en"><head><title>Bad page</title>
<style>.faint { color: #bbbbbb; background: #ffffff; }</style></head>
<body><main><p class="faint" id="faint">Hard to read</p><input type="text" id="nameless"></main></body></html>"""


def script_sources(csp: str) -> list[str]:
    directives = {name: values for name, *values in (part.split() for part in csp.split(";") if part.strip())}
    return directives.get("script-src", directives.get("default-src", []))


def test_axe_runs_on_a_page_whose_policy_allows_no_inline_script(phone_page, page_log, live_server):
    request = FeedbackRequestFactory()
    parts = urlsplit(feedback_url(request))
    response = phone_page.goto(f"{live_server.url}{parts.path}")
    sources = script_sources(response.headers["content-security-policy"])
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources

    results = assert_accessible(phone_page, "axe-self-check-feedback-form")

    major, minor = (int(part) for part in results["testEngine"]["version"].split(".")[:2])
    assert (major, minor) >= (4, 8)
    assert results["passes"], "axe ran no rule"
    assert {"color-contrast", "label"} <= {rule["id"] for rule in results["passes"]}
    assert json.loads((ARTIFACTS / "axe-self-check-feedback-form.json").read_text())["url"] == phone_page.url
    assert not [error for error in page_log.console_errors if "Content Security Policy" in error]


def test_a_serious_violation_fails_with_the_rule_its_impact_and_the_element(phone_page):
    phone_page.set_content(FAINT_AND_UNLABELLED)

    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(phone_page, "axe-self-check-bad-page")

    message = str(failure.value)
    assert "color-contrast (serious)" in message and "#faint" in message
    assert "label (critical)" in message and "#nameless" in message
    saved = json.loads((ARTIFACTS / "axe-self-check-bad-page.json").read_text())
    assert {violation["id"] for violation in saved["violations"]} >= {"color-contrast", "label"}
