"""Project configuration: settings, the Celery app, URL routing."""

from config.celery_app import app as celery_app

__all__ = ["celery_app"]
