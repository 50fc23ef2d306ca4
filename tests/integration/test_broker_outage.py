"""Web requests never wait on a broken Redis, and nothing is lost: measured from the client side.

Real gunicorn, PostgreSQL, a Redis of the test's own (broker and Django cache), a Celery worker and
an SMTP sink (see conftest.py). Redis is first frozen (SIGSTOP: connections hang, the worst case),
then killed (connections refused). Meanwhile a customer answers with one star (a case, an owner
alert, a webhook, the showcase cache invalidated, the link limit counted), an integration creates
requests and reads reviews through the API, and an owner publishes a review in the admin. Each
answer must come back within the budget; once Redis is back, every email arrives exactly once.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from businesses.services import api_key_create
from core.redis_rest import REST_SECONDS
from feedback.models import FeedbackRequest
from outbox.models import OutboxEmail
from reviews.models import Review
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token
from tests.integration.conftest import ROOT, wait_until
from tests.reviews.factories import ReviewFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OWNER = "owner@outage.example"
PASSWORD = "a-long-owner-password-41"
# Per request, from the client side: frozen Redis costs at most one socket time-out.
FROZEN_BUDGET = 3.0
DOWN_BUDGET = 1.0
# The client gives up long before a hung request would end the test run.
CLIENT_TIMEOUT = 15.0
# Rounds of the four requests in each outage: the first pays the time-out, the rest must not.
ROUNDS = 3
SWEEP_EVERY = 2.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A client with cookies that never follows redirects; every call is timed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(self.cookies))

    def call(self, method: str, path: str, *, form=None, body=None, headers=None) -> tuple[int, bytes, float]:
        """(status, body, seconds) of one request."""
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else body
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers=headers or {})
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=CLIENT_TIMEOUT) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        return status, payload, time.monotonic() - started

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def log_in(self, username: str, password: str) -> None:
        status, payload, _ = self.call("GET", "/admin/login/?next=/admin/")
        assert status == 200 and self.csrf(), (status, payload[:500], list(self.cookies))
        status, payload, _ = self.call(
            "POST",
            "/admin/login/?next=/admin/",
            form={"username": username, "password": password, "csrfmiddlewaretoken": self.csrf()},
        )
        assert status == 302, re.findall(rb"errornote[^<]*<[^<]*|errorlist[^<]*<[^<]*", payload)


class Shop:
    """One business, its owner in the admin, its API key, and the four requests under test."""

    def __init__(self, web_server, business, api_key: str) -> None:
        self.business = business
        self.api_key = api_key
        self.browser = Browser(web_server.base_url)
        self.browser.log_in(OWNER, PASSWORD)
        self.batches = 0

    def one_star_answer(self) -> tuple[int, bytes, float]:
        request = FeedbackRequestFactory(business=self.business)
        form = {"rating": "1", "comment": "Cold food, rude staff.", "display_name_choice": "anonymous"}
        return Browser(self.browser.base_url).call("POST", f"/f/{feedback_token(request)}/", form=form)

    def api_create(self) -> tuple[int, bytes, float]:
        self.batches += 1
        body = [
            {"customer": {"name": f"Customer {n}", "email": f"b{self.batches}-{n}@customers.example"}} for n in range(5)
        ]
        return self._api("POST", "/api/v1/feedback-requests/", json.dumps(body).encode())

    def api_reviews(self) -> tuple[int, bytes, float]:
        return self._api("GET", "/api/v1/reviews/", None)

    def admin_publish(self) -> tuple[int, bytes, float]:
        review = ReviewFactory(business=self.business)
        form = {
            "action": "publish_selected",
            "_selected_action": [str(review.pk)],
            "index": "0",
            "csrfmiddlewaretoken": self.browser.csrf(),
        }
        answer = self.browser.call("POST", "/admin/reviews/review/", form=form)
        review.refresh_from_db()
        assert review.status == Review.Status.PUBLISHED, answer[1][:500]
        return answer

    def _api(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Api-Key {self.api_key}", "Content-Type": "application/json"}
        return Browser(self.browser.base_url).call(method, path, body=body, headers=headers)

    def every_request(self) -> dict[str, Callable[[], tuple[int, bytes, float]]]:
        return {
            "1-star answer": self.one_star_answer,
            "API create": self.api_create,
            "API reviews": self.api_reviews,
            "admin publish": self.admin_publish,
        }


EXPECTED_STATUS = {"1-star answer": 302, "API create": 201, "API reviews": 200, "admin publish": 302}


def timed_rounds(shop: Shop, budget: float, *, cold: bool) -> list[tuple[str, int, float]]:
    """Run every request ROUNDS times; (name, status, seconds) of each, asserting status and budget.

    `cold`: in the first round, each request comes after the web processes' rest from Redis has run
    out, so that each kind of request is measured paying the time-out itself, not only skipping it.
    """
    timings = []
    for round_number in range(ROUNDS):
        for name, call in shop.every_request().items():
            if cold and round_number == 0:
                time.sleep(REST_SECONDS + 0.5)
            status, payload, seconds = call()
            timings.append((name, status, seconds))
            assert status == EXPECTED_STATUS[name], f"{name}: {status} {payload[:500]!r}"
    slow = [(name, round(seconds, 2)) for name, _, seconds in timings if seconds >= budget]
    assert not slow, f"over {budget} s: {slow}; all: {[(n, round(s, 2)) for n, _, s in timings]}"
    return timings


@pytest.fixture
def static_files(services) -> None:
    """The admin's pages name hashed static files (DEBUG off), so the manifest must exist."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=services.env,
        check=True,
        timeout=120,
    )


@pytest.fixture
def shop(static_files, services, web_server) -> Shop:
    owner = UserFactory(username=OWNER, email=OWNER)
    # Hashed as gunicorn's settings can check it (the test settings' MD5 hasher is not among them).
    owner.password = PBKDF2PasswordHasher().encode(PASSWORD, "integration-salt", iterations=1000)
    owner.save(update_fields=["password"])
    business = MembershipFactory(user=owner).business
    # A receiver that refuses connections: the webhook is queued and attempted, never delivered.
    business.webhook_url = "https://hooks.outage.example/raves"
    business.save(update_fields=["webhook_url", "webhook_secret"])
    _, key = api_key_create(business=business, name="outage test")
    return Shop(web_server, business, key)


def expected_recipients(business) -> Counter[str]:
    """One invitation per queued request created through the API, and each outbox email once."""
    invited = FeedbackRequest.objects.filter(business=business, customer__email__endswith="@customers.example")
    expected = Counter(invited.values_list("customer__email", flat=True))
    expected.update(OutboxEmail.objects.filter(business=business).values_list("to", flat=True))
    return Counter({address.lower(): count for address, count in expected.items()})


def all_sent(business) -> bool:
    requests = FeedbackRequest.objects.filter(business=business, customer__email__endswith="@customers.example")
    emails = OutboxEmail.objects.filter(business=business)
    return (
        not requests.exclude(status=FeedbackRequest.Status.SENT).exists()
        and not emails.exclude(status=OutboxEmail.Status.SENT).exists()
    )


def sweep_until_sent(sweeper, shop: Shop, worker, timeout: float) -> None:
    last = 0.0
    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")  # one the worker consumes

    def done() -> bool:
        nonlocal last
        if all_sent(shop.business):
            return True
        if time.monotonic() - last > SWEEP_EVERY:
            for task in ("feedback.tasks.sweep_feedback_requests", "outbox.tasks.sweep_outbox"):
                sweeper.app.send_task(task, queue=queue)
            last = time.monotonic()
        return False

    def failure() -> str:
        requests = FeedbackRequest.objects.filter(business=shop.business)
        emails = OutboxEmail.objects.filter(business=shop.business)
        states = Counter(requests.values_list("status", flat=True)), Counter(emails.values_list("status", flat=True))
        return f"not all sent {states}; worker said:\n{worker.output[-8000:]}"

    wait_until(done, timeout, failure, step=0.2)


def test_frozen_then_dead_redis_slows_no_request_and_loses_no_email(shop, services, worker, sweeper, smtp_sink):
    redis_pid = services.redis.process.pid
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        frozen = timed_rounds(shop, FROZEN_BUDGET, cold=True)
    finally:
        os.kill(redis_pid, signal.SIGCONT)

    services.redis.stop()
    try:
        down = timed_rounds(shop, DOWN_BUDGET, cold=True)
    finally:
        services.redis.start()
    print("frozen:", [(n, round(s, 2)) for n, _, s in frozen])
    print("down:", [(n, round(s, 2)) for n, _, s in down])

    # Redis is back: the sweep finds every row the web requests could not enqueue.
    sweep_until_sent(sweeper, shop, worker, timeout=100)
    expected = expected_recipients(shop.business)
    assert expected[OWNER] == 2 * ROUNDS  # one alert per 1-star answer
    # The owner, 5 invited customers per API call, and each complaining customer's acknowledgement.
    assert len(expected) == 1 + 2 * ROUNDS * 5 + 2 * ROUNDS and set(expected.values()) == {1} | {2 * ROUNDS}
    wait_until(
        lambda: smtp_sink.per_recipient() == expected,
        30,
        lambda: f"arrived {sorted(smtp_sink.per_recipient().items())}, expected {sorted(expected.items())}",
    )
    time.sleep(3)  # nothing more arrives: each email exactly once
    assert smtp_sink.per_recipient() == expected
