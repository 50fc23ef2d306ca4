"""Concurrent submissions through one link, against a real PostgreSQL (row locks are the point)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback.models import Feedback, FeedbackRequest
from tests.conftest import require_service
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
THREADS = 20


def test_twenty_simultaneous_answers_through_one_link_leave_one_feedback(business):
    require_service(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")
    request = FeedbackRequestFactory(business=business)
    url = f"/f/{feedback_token(request)}/"
    start = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def submit(rating: int) -> None:
        try:
            start.wait(timeout=30)
            response = Client().post(url, {"rating": str(rating), "display_name_choice": "first_initial"})
            statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection; leave none open for teardown

    threads = [threading.Thread(target=submit, args=(1 + n % 5,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert statuses == [302] * THREADS  # the first records, the others edit within the window
    assert Feedback.objects.filter(request=request).count() == 1
    request.refresh_from_db()
    assert request.status == FeedbackRequest.Status.RESPONDED
    assert request.events.filter(status=FeedbackRequest.Status.RESPONDED).count() == 1


def test_an_answer_locks_its_request_row_only_not_the_business(business):
    require_service(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")
    request = FeedbackRequestFactory(business=business)
    with CaptureQueriesContext(connection) as queries:
        Client().post(f"/f/{feedback_token(request)}/", {"rating": "5", "display_name_choice": "first_initial"})
    [locking] = [
        sql
        for query in queries
        if (sql := query["sql"]).startswith('SELECT "feedback_feedbackrequest"') and "FOR UPDATE" in sql
    ]
    assert locking.endswith('FOR UPDATE OF "feedback_feedbackrequest"'), locking
