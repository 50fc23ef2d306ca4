"""The Celery application. Its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery, signals

from core.log_redaction import RedactingFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("raves")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    """The embedded broker (no REDIS_URL) keeps its messages in folders that must exist.

    Read from Django's settings: the app's own `conf` is still being built while this runs.
    """
    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_worker_logs(logger, **kwargs) -> None:
    """The worker replaces the root logger's handlers with its own: they redact tokens too."""
    for handler in logger.handlers:
        handler.addFilter(RedactingFilter())
