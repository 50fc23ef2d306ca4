"""A real Celery worker delivers webhooks only to the private targets listed in its environment.

The worker process reads WEBHOOKS_ALLOWED_PRIVATE_TARGETS (with the development switch
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES on as well, which must not open anything more) and posts to
loopback receivers: a listed one that answers 200, a listed one that redirects to another listed
one (which must receive nothing), and an unlisted one (which must receive nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery

from outbox.models import WebhookDelivery
from tests.integration.conftest import CeleryWorker, project_queue, wait_until
from tests.outbox.receivers import HTTPReceiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
Status = WebhookDelivery.Status


@pytest.fixture
def receivers() -> Iterator[dict[str, HTTPReceiver]]:
    made = {"listed": HTTPReceiver(200), "target": HTTPReceiver(200), "unlisted": HTTPReceiver(200)}
    made["redirector"] = HTTPReceiver(302, headers={"Location": made["target"].url})
    yield made
    for receiver in made.values():
        receiver.close()


@pytest.fixture
def webhook_worker(services, receivers) -> Iterator[CeleryWorker]:
    listed = [receivers[name] for name in ("listed", "redirector", "target")]
    env = {
        **services.env,
        "WEBHOOKS_ALLOWED_PRIVATE_TARGETS": ",".join(f"127.0.0.1:{receiver.port}" for receiver in listed),
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    worker = CeleryWorker(env)
    worker.start()
    yield worker
    worker.stop()


def deliver(services, business, url: str) -> WebhookDelivery:
    business.webhook_url, business.webhook_secret = url, "s3cret"
    business.save()
    # Created directly, not through webhook_queue: this test process must not enqueue (or post) it.
    delivery = WebhookDelivery.objects.create(business=business, event="case.opened", key=url, url=url, body="{}")
    app = Celery("raves-integration-webhooks", broker=services.redis.url)
    try:
        app.send_task(
            "outbox.tasks.deliver_webhook", args=[delivery.pk], queue=project_queue("outbox.tasks.deliver_webhook")
        )
    finally:
        app.close()
    return delivery


def attempted(delivery: WebhookDelivery) -> bool:
    delivery.refresh_from_db()
    return delivery.status in (Status.DELIVERED, Status.FAILED) or (delivery.attempts and not delivery.claim)


def test_the_worker_reaches_only_the_listed_private_targets_and_follows_no_redirect(
    business, services, receivers, webhook_worker
):
    deliveries = {
        name: deliver(services, business, receivers[name].url) for name in ("listed", "redirector", "unlisted")
    }
    for delivery in deliveries.values():
        wait_until(lambda d=delivery: attempted(d), 60, lambda: f"worker said:\n{webhook_worker.output[-3000:]}")

    assert deliveries["listed"].status == Status.DELIVERED and len(receivers["listed"].received) == 1
    redirected = deliveries["redirector"]
    assert redirected.status == Status.QUEUED and redirected.last_status_code == 302
    assert f"redirect to {receivers['target'].url} refused" in redirected.last_error
    assert len(receivers["redirector"].received) == 1 and receivers["target"].received == []
    assert deliveries["unlisted"].status == Status.QUEUED and "non-public address" in deliveries["unlisted"].last_error
    assert receivers["unlisted"].received == []
