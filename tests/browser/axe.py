"""axe-core in the page under test: WCAG 2 A and AA rules, colour contrast included.

axe-core ships inside the `axe-playwright-python` wheel (no network at test time). The script is
evaluated through the DevTools protocol (`page.evaluate`), which a page's Content Security Policy
does not govern, so our strict pages are checked as they are served. Each run's full result is kept
in test-artifacts/axe/<name>.json, beside the screenshots.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "axe"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def axe_results(page) -> dict:
    """Run axe-core on the page (and its same-origin frames) and return its result object."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]}
    return page.evaluate("(options) => axe.run(document, options)", options)


def blocking_violations(results: dict) -> list[dict]:
    return [violation for violation in results["violations"] if violation.get("impact") in BLOCKING]


def describe(violations: list[dict]) -> str:
    """One paragraph per rule: its id, impact and help, then each element it failed on."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " > ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def assert_accessible(page, name: str) -> dict:
    """Fail on any serious or critical WCAG 2 A/AA violation; keep the result as <name>.json."""
    results = axe_results(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(results, indent=1))
    violations = blocking_violations(results)
    if violations:
        pytest.fail(f"axe-core found on {name} ({page.url}):\n{describe(violations)}", pytrace=False)
    return results
