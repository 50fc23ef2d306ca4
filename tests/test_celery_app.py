"""The embedded broker works from a fresh process: the web server enqueues without a server."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_fresh_process_enqueues_into_the_embedded_broker(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL", "CI"}}
    env.update(DEBUG="true", RAVES_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.base")
    code = "import django; django.setup(); from outbox.tasks import sweep_outbox; sweep_outbox.delay()"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr
    assert list((tmp_path / "broker").glob("*.msg"))
