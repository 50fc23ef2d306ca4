"""The API keeps its published contract: Schemathesis against /api/schema/ of a real gunicorn.

Every operation, every phase (the schema's examples, coverage, fuzzing, stateful sequences) and
every check: no server error, no status code or body the schema does not document, no
schema-valid request refused, no schema-violating request accepted. The run is bounded (a fixed
number of examples per operation, about a minute here) and seeded, so CI sees the same requests
each time; set CONTRACT_SEED to explore others.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from businesses.services import api_key_create
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.conftest import require_service
from tests.integration.conftest import WebServer
from tests.reviews.factories import CaseFactory, ReviewFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 40
RUN_DEADLINE_SECONDS = 170


def schemathesis_command() -> list[str]:
    executable = Path(sys.executable).with_name("schemathesis")
    found = str(executable) if executable.exists() else shutil.which("schemathesis")
    require_service(found is not None, "schemathesis (pip install -r requirements-dev.txt)")
    return [found]


@pytest.fixture
def contract_server(services):
    # The throttles are the subject of their own tests; here they would only slow the run down.
    env = {**services.env, "API_THROTTLE_RATE": "1000000/min", "PUBLIC_API_THROTTLE_RATE": "1000000/min"}
    server = WebServer(env)
    server.start()
    yield server
    server.stop()


def seed_business() -> str:
    """A business with the records the schema's own examples name, and one of each kind to read."""
    business = BusinessFactory(slug="contract-cafe")
    StaffMemberFactory(business=business, email="maya@example.com", name="Maya Chen")
    ReviewFactory(business=business)
    ReviewFactory(business=business, status="published")
    CaseFactory(business=business)
    _, key = api_key_create(business=business, name="contract test")
    return key


def test_the_api_honours_its_schema_under_schemathesis(contract_server, tmp_path):
    key = seed_business()
    command = [*schemathesis_command(), "--config-file", str(CONFIG), "run", f"{contract_server.base_url}/api/schema/"]
    command += ["--header", f"Authorization: Api-Key {key}", "--checks", "all"]
    command += ["--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(EXAMPLES_PER_OPERATION)]
    command += ["--seed", os.environ.get("CONTRACT_SEED", "20261206"), "--generation-database", "none"]
    command += ["--request-timeout", "20", "--wait-for-schema", "30", "--no-color", "--workers", "2"]

    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_DEADLINE_SECONDS, cwd=tmp_path)

    report = result.stdout + result.stderr
    print(report)  # shown with -rP or -s, and on failure
    server_log = contract_server.output[-8000:]
    assert result.returncode == 0, f"Schemathesis found contract failures:\n{report}\n--- server log ---\n{server_log}"
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected and selected.group(1) == selected.group(2), f"Not every operation was selected:\n{report}"
    assert f"Tested: {selected.group(1)}" in report, f"Not every operation was tested:\n{report}"
