"""Checks behind /healthz. Each returns "ok" or a short reason, within a couple of seconds."""

from __future__ import annotations

import logging
import os

import redis
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "not answering"
        logger.warning("Health check: database failed: %s", error)
        return f"error: {type(error).__name__}"
    return "ok"


def check_broker() -> str:
    try:
        if settings.REDIS_URL:
            client = redis.Redis.from_url(
                settings.REDIS_URL,
                socket_timeout=settings.REDIS_TIMEOUT,
                socket_connect_timeout=settings.REDIS_TIMEOUT,
            )
            with client:
                client.ping()
        else:
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            os.makedirs(folder, exist_ok=True)
            if not os.access(folder, os.W_OK):
                return "error: broker folder is not writable"
    except Exception as error:
        logger.warning("Health check: broker failed: %s", error)
        return f"error: {type(error).__name__}"
    return "ok"
