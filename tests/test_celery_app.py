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


def test_what_a_person_waits_for_goes_to_the_alerts_queue_and_invitations_to_bulk():
    from config.celery_app import app

    def queue_of(task_name: str) -> str:
        return app.amqp.router.route({}, task_name)["queue"].name

    for task in ("outbox.tasks.send_outbox_emails", "reviews.tasks.remind_overdue_cases", "outbox.tasks.sweep_outbox"):
        assert queue_of(task) == "alerts", task
    for task in ("feedback.tasks.send_feedback_requests", "feedback.tasks.send_feedback_reminders"):
        assert queue_of(task) == "bulk", task
    assert queue_of("outbox.tasks.deliver_webhook") == "bulk"  # a slow receiver never holds up an alert
    # Every task sent has a queue a worker consumes.
    assert {queue.name for queue in app.amqp.queues.values()} == {"alerts", "bulk"}


def test_a_worker_on_redis_drains_alerts_before_bulk(settings):
    from config.settings.base import CELERY_BROKER_TRANSPORT_OPTIONS, REDIS_URL

    if REDIS_URL:
        assert CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] == "priority"
    run_py = (ROOT / "scripts" / "run.py").read_text()
    assert '"alerts,bulk"' in run_py
