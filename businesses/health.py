"""Checks behind /healthz. Each returns "ok" or "error" within a couple of seconds.

/healthz answers anyone, so it names what failed but never why: the exception's class and
message (a driver, a host name, a path) go to the server's log only.
"""

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
    except Exception:  # any driver error means "not answering"
        logger.warning("Health check: the database failed", exc_info=True)
        return "error"
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
                logger.warning("Health check: the broker folder %s is not writable", folder)
                return "error"
    except Exception:
        logger.warning("Health check: the broker failed", exc_info=True)
        return "error"
    return "ok"
