"""A 10,000-row CSV import, confirmed in the admin (gunicorn), created by a real Celery worker that is
SIGKILLed in the middle: the confirmation answers at once, the page shows the progress, and after
a restart and the sweep every row exists exactly once.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from feedback.models import CustomerImport, FeedbackRequest
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.integration.conftest import ROOT, CeleryWorker, wait_until
from tests.integration.test_broker_outage import Browser

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OWNER = "owner@import.example"
PASSWORD = "a-long-owner-password-42"
ROWS = 10_000
STALLED_SECONDS = 5


@pytest.fixture
def import_env(services):
    services.env["CSV_IMPORT_STALLED_SECONDS"] = str(STALLED_SECONDS)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=services.env,
        check=True,
        timeout=120,
    )
    return services


def previewed_import(business) -> CustomerImport:
    rows = [
        {
            "row": n + 2,
            "name": f"Customer {n}",
            "email": f"customer{n}@import.example",
            "external_id": "",
            "staff_id": None,
            "interaction_at": None,
            "reference": "",
        }
        for n in range(ROWS)
    ]
    return CustomerImport.objects.create(business=business, filename="customers.csv", rows=rows, row_count=ROWS)


def rows_done(customer_import: CustomerImport) -> int:
    customer_import.refresh_from_db()
    return customer_import.rows_done


def test_a_ten_thousand_row_import_survives_a_killed_worker_and_creates_each_row_once(import_env, web_server, sweeper):
    owner = UserFactory(username=OWNER, email=OWNER)
    owner.password = PBKDF2PasswordHasher().encode(PASSWORD, "integration-salt", iterations=1000)
    owner.save(update_fields=["password"])
    business = MembershipFactory(user=owner).business
    customer_import = previewed_import(business)
    browser = Browser(web_server.base_url)
    browser.log_in(OWNER, PASSWORD)
    page = f"/admin/feedback/feedbackrequest/import/{customer_import.pk}/"

    worker = CeleryWorker(import_env.env)
    worker.start()
    try:
        browser.call("GET", page)
        status, _, seconds = browser.call("POST", page, form={"confirm": "1", "csrfmiddlewaretoken": browser.csrf()})
        assert status == 302 and seconds < 1, (status, seconds)

        wait_until(lambda: rows_done(customer_import) > 0, 60, lambda: worker.output[-3000:], step=0.01)
        worker.kill()  # in the middle of the import, whatever it was doing
        stopped_at = rows_done(customer_import)
        assert 0 < stopped_at < ROWS
        _, body, _ = browser.call("GET", page)
        shown = re.search(rb"<strong>([\d,]+) of 10,000</strong> created", body)
        assert shown and int(shown.group(1).replace(b",", b"")) == stopped_at
        assert b'http-equiv="refresh"' in body

        worker.start()
        time.sleep(STALLED_SECONDS + 1)
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        sweeper.app.send_task("feedback.tasks.sweep_customer_imports", queue=queue)
        wait_until(
            lambda: customer_import.refresh_from_db() or customer_import.finished_at,
            120,
            lambda: f"{customer_import.rows_done} done; worker said:\n{worker.output[-3000:]}",
            step=0.2,
        )
    finally:
        worker.stop()

    created = Counter(FeedbackRequest.objects.filter(business=business).values_list("customer__email", flat=True))
    assert len(created) == ROWS and set(created.values()) == {1}
    assert customer_import.created_count == ROWS
    _, body, _ = browser.call("GET", page)
    assert b"10000 feedback requests created." in body
