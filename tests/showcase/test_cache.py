"""The per-business cache: every public change shows at once, and a broken cache never breaks a page."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from businesses.models import Business
from core.redis_rest import redis_rest_end
from feedback.services.responses import Answer, feedback_submit
from reviews.models import Review
from reviews.services.moderation import Actor, review_feature, review_publish, review_reject, review_reply
from showcase import cache as showcase_cache
from tests.businesses.factories import UserFactory
from tests.conftest import require_service
from tests.reviews.factories import answer
from tests.showcase.helpers import review

pytestmark = pytest.mark.django_db
OWNER = Actor("owner@example.com")
PUBLIC_PATHS = ("/b/{slug}/", "/b/{slug}/widget.js", "/b/{slug}/embed/", "/api/v1/public/{slug}/reviews/")


def page(business: Business) -> str:
    response = Client().get(f"/b/{business.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def redis_caches(url: str, timeout: float = 0.5) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_timeout": timeout, "socket_connect_timeout": timeout},
        }
    }


# --- Invalidation -------------------------------------------------------------------------------


def test_a_cached_page_is_served_from_the_cache(business):
    review(business, comment="First words")
    page(business)
    Review.objects.filter(business=business).update(reply="Written behind the services' back")

    with CaptureQueriesContext(connection) as queries:
        html = page(business)

    assert "Written behind" not in html  # so the tests below prove invalidation, not a missing cache
    assert len(queries) <= 1


def test_publishing_a_review_shows_it(business, django_capture_on_commit_callbacks):
    pending = review(business, comment="Waiting for a moderator", status=Review.Status.PENDING)
    assert "Waiting for a moderator" not in page(business)

    with django_capture_on_commit_callbacks(execute=True):
        review_publish(review=pending, actor=OWNER)

    assert "Waiting for a moderator" in page(business)


def test_rejecting_a_published_review_takes_it_down(business, django_capture_on_commit_callbacks):
    published = review(business, comment="Call me on 07700 900123")
    assert "07700 900123" in page(business)

    with django_capture_on_commit_callbacks(execute=True):
        review_reject(review=published, reason=Review.RejectionReason.PERSONAL_DATA, actor=OWNER)

    assert "07700 900123" not in page(business)


def test_a_reply_shows(business, django_capture_on_commit_callbacks):
    published = review(business)
    page(business)

    with django_capture_on_commit_callbacks(execute=True):
        review_reply(review=published, text="Thank you for coming in!", actor=OWNER)

    assert "Thank you for coming in!" in page(business)


def test_featuring_a_review_shows_it_first(business, django_capture_on_commit_callbacks):
    older = review(business, comment="Older words")
    review(business, comment="Newer words")
    assert page(business).index("Newer words") < page(business).index("Older words")

    with django_capture_on_commit_callbacks(execute=True):
        review_feature(review=older, featured=True, actor=OWNER)

    html = page(business)
    assert html.index("Older words") < html.index("Newer words")
    assert "chose to feature" in html


def test_a_new_rating_changes_the_average_even_when_it_is_not_published(business, django_capture_on_commit_callbacks):
    review(business, rating=5)
    assert "from 1 rating<" in page(business)

    with django_capture_on_commit_callbacks(execute=True):
        answer(business=business, rating=1, consent=False)

    html = page(business)
    assert "from 2 ratings<" in html
    assert '<span class="average-number">3.0</span>' in html


def test_a_customer_withdrawing_consent_takes_their_review_down(business, django_capture_on_commit_callbacks):
    business.auto_publish = True
    business.save()
    with django_capture_on_commit_callbacks(execute=True):
        feedback = answer(business=business, rating=5, comment="Happy to be quoted")
    assert "Happy to be quoted" in page(business)

    with django_capture_on_commit_callbacks(execute=True):
        feedback_submit(
            request_id=feedback.request_id,
            answer=Answer(rating=5, comment="Happy to be quoted", consent_to_publish=False),
        )

    assert "Happy to be quoted" not in page(business)


def test_saving_the_business_in_the_admin_shows_its_new_details(business, django_capture_on_commit_callbacks):
    page(business)
    business.name, business.phone = "New Name Ltd", "+44 20 7946 0999"
    business.save()
    assert "New Name Ltd" not in page(business)  # a plain save does not reach the cached page...

    with django_capture_on_commit_callbacks(execute=True):
        _admin_save(business)  # ...the owner's save in the admin does

    html = page(business)
    assert "New Name Ltd" in html
    assert "+44 20 7946 0999" in html


def test_switching_the_showcase_off_in_the_admin_takes_every_public_answer_down_at_once(
    business, django_capture_on_commit_callbacks
):
    review(business)
    for path in PUBLIC_PATHS:
        assert Client().get(path.format(slug=business.slug)).status_code == 200

    business.showcase_enabled = False
    with django_capture_on_commit_callbacks(execute=True):
        _admin_save(business)

    for path in PUBLIC_PATHS:
        assert Client().get(path.format(slug=business.slug)).status_code == 404, path


def test_a_switch_off_written_elsewhere_takes_effect_within_the_lookup_pause(business, monkeypatch):
    """A write that skips the admin (a shell, another process) is seen once the remembered lookup expires."""
    review(business)
    assert Client().get(f"/b/{business.slug}/").status_code == 200
    Business.objects.filter(pk=business.pk).update(showcase_enabled=False)

    seconds_later(monkeypatch, showcase_cache.LOOKUP_SECONDS + 0.1)

    assert Client().get(f"/b/{business.slug}/").status_code == 404


def invalidated_by_another_process(business: Business) -> None:
    """What another process's invalidation does to the shared cache (this process's memory is not told)."""
    showcase_cache.cache.set(showcase_cache._version_key(business.pk), uuid.uuid4().hex, None)


def seconds_later(monkeypatch, seconds: float) -> None:
    later = time.monotonic() + seconds
    monkeypatch.setattr(showcase_cache.time, "monotonic", lambda: later)


def test_an_invalidation_by_another_process_shows_here_within_a_second(business, monkeypatch):
    published = review(business, comment="Before")
    page(business)
    Review.objects.filter(pk=published.pk).update(reply="Replied through another process")
    invalidated_by_another_process(business)

    assert "Replied through another process" not in page(business)  # this process's memory, for a moment
    seconds_later(monkeypatch, showcase_cache.LOCAL_SECONDS + 0.1)
    assert "Replied through another process" in page(business)


def test_a_remembered_business_is_never_used_to_compute_a_page(business, monkeypatch):
    """This process still remembers the old name; what it computes and caches is fresh all the same."""
    review(business)
    page(business)
    Business.objects.filter(pk=business.pk).update(name="Renamed Elsewhere Ltd")
    invalidated_by_another_process(business)

    seconds_later(monkeypatch, showcase_cache.LOCAL_SECONDS + 0.1)  # the page is forgotten, the business not yet
    assert showcase_cache.LOCAL_SECONDS + 0.1 < showcase_cache.LOOKUP_SECONDS
    assert "Renamed Elsewhere Ltd" in page(business)


def _admin_save(business: Business) -> None:
    request = RequestFactory().post("/admin/")
    request.user = UserFactory(is_superuser=True)
    admin.site._registry[Business].save_model(request, business, form=None, change=True)


def test_the_change_shows_only_once_the_transaction_commits(business, django_capture_on_commit_callbacks):
    pending = review(business, comment="Not yet public", status=Review.Status.PENDING)
    page(business)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review_publish(review=pending, actor=OWNER)
    assert "Not yet public" not in page(business)  # still the cached page: nothing committed yet

    for callback in callbacks:
        callback()
    assert "Not yet public" in page(business)


def test_invalidating_one_business_leaves_the_others_cached(business, other_business):
    review(other_business, comment="Other business words")
    page(other_business)
    showcase_cache._new_version(business.pk)

    with CaptureQueriesContext(connection) as queries:
        page(other_business)
    assert len(queries) == 0  # still in this process's memory
    showcase_cache.forget_local()
    with CaptureQueriesContext(connection) as queries:
        page(other_business)
    assert len(queries) == 1  # which business the URL names; the page itself is still in the shared cache


# --- A broken cache never breaks a page ---------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_with_the_cache_server_down_every_public_answer_still_comes_from_the_database(business, path):
    review(business, comment="Served without a cache")

    with override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0")):
        response = Client().get(path.format(slug=business.slug))

    assert response.status_code == 200
    assert b"Served without a cache" in response.content


def test_with_the_cache_down_moderation_still_works(business, django_capture_on_commit_callbacks):
    pending = review(business, status=Review.Status.PENDING)

    with (
        override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        review_publish(review=pending, actor=OWNER)

    pending.refresh_from_db()
    assert pending.status == Review.Status.PUBLISHED


@pytest.fixture(scope="module")
def own_redis() -> Iterator[tuple[subprocess.Popen, str]]:
    """A redis-server of our own on a free port (never the shared one), stopped at the end."""
    executable = shutil.which("redis-server")
    require_service(executable is not None, "redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="showcase-redis-")
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    os.kill(process.pid, signal.SIGCONT)
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def frozen(own_redis) -> Iterator[str]:
    """Our Redis, frozen (SIGSTOP): connections open, nothing answers."""
    process, url = own_redis
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield url
    finally:
        os.kill(process.pid, signal.SIGCONT)


def test_a_real_redis_serves_cached_pages_and_sees_invalidations(
    business, own_redis, django_capture_on_commit_callbacks
):
    pending = review(business, comment="Through real Redis", status=Review.Status.PENDING)
    with override_settings(CACHES=redis_caches(own_redis[1])):
        from django.core.cache import cache

        cache.clear()
        page(business)
        showcase_cache.forget_local()
        with CaptureQueriesContext(connection) as queries:
            page(business)
        assert len(queries) == 1  # which business the URL names; the page comes from Redis

        with django_capture_on_commit_callbacks(execute=True):
            review_publish(review=pending, actor=OWNER)
        assert "Through real Redis" in page(business)


def test_with_the_cache_server_frozen_the_page_answers_and_later_requests_skip_the_cache(business, frozen):
    review(business, comment="Answered while Redis is frozen")

    with override_settings(CACHES=redis_caches(frozen, timeout=0.5)):
        started = time.monotonic()
        first = Client().get(f"/b/{business.slug}/")
        first_took = time.monotonic() - started

        started = time.monotonic()
        second = Client().get(f"/b/{business.slug}/")
        second_took = time.monotonic() - started

    assert first.status_code == second.status_code == 200
    assert b"Answered while Redis is frozen" in second.content
    assert 0.4 < first_took < 5  # one time-out...
    assert second_took < 0.4  # ...then the cache is left alone for a while


def test_after_the_pause_the_cache_is_tried_again(business, own_redis):
    review(business)
    with override_settings(CACHES=redis_caches(own_redis[1])):
        redis_rest_end()  # a failure's pause has just ended
        page(business)
        showcase_cache.forget_local()
        with CaptureQueriesContext(connection) as queries:
            page(business)

    assert len(queries) == 1  # the page came from Redis again


def test_with_the_cache_server_frozen_a_moderator_is_not_stuck(business, frozen, django_capture_on_commit_callbacks):
    pending = review(business, status=Review.Status.PENDING)

    with override_settings(CACHES=redis_caches(frozen, timeout=0.5)):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            review_publish(review=pending, actor=OWNER)
        took = time.monotonic() - started

    pending.refresh_from_db()
    assert pending.status == Review.Status.PUBLISHED
    assert took < 3
