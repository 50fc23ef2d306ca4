"""A confirmed CSV import is created by the worker, chunk by chunk, and survives being stopped anywhere.

The web request only claims the import and enqueues it; the task creates a chunk per transaction,
counting it in the same transaction; the sweep resumes an import that stalled. The owner
(`owner`) runs `business`; `other_business` belongs to someone else.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from feedback import tasks
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services import csv_import
from feedback.services.csv_import import CREATE_CHUNK, customer_import_run, customer_imports_stalled

pytestmark = pytest.mark.django_db
ROWS = 1_200  # two full chunks and a part of a third (CREATE_CHUNK is 500)


def preview_url(customer_import: CustomerImport) -> str:
    return reverse("admin:feedback_feedbackrequest_import_preview", args=[customer_import.pk])


def previewed_import(business, rows: int = ROWS) -> CustomerImport:
    """An import as the upload leaves it: checked rows waiting for the owner's confirmation."""
    return CustomerImport.objects.create(
        business=business,
        filename="customers.csv",
        rows=[
            {
                "row": n + 2,
                "name": f"Customer {n}",
                "email": f"customer{n}@example.com",
                "external_id": "",
                "staff_id": None,
                "interaction_at": None,
                "reference": "",  # no reference: only the import's own progress keeps rows from doubling
            }
            for n in range(rows)
        ],
        row_count=rows,
    )


@pytest.fixture
def client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def enqueued():
    """The import task's `.delay`, replaced: what the web request and the sweep hand to the worker."""
    with mock.patch.object(tasks.create_customer_import, "delay") as delay:
        yield delay


def confirmed_import(client, business, django_capture_on_commit_callbacks) -> CustomerImport:
    customer_import = previewed_import(business)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview_url(customer_import), {"confirm": "1"})
    customer_import.refresh_from_db()
    return customer_import


def emails_created(business) -> Counter[str]:
    return Counter(FeedbackRequest.objects.filter(business=business).values_list("customer__email", flat=True))


def test_confirming_returns_at_once_and_hands_the_import_to_the_worker(
    client, business, enqueued, django_capture_on_commit_callbacks
):
    customer_import = previewed_import(business)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(preview_url(customer_import), {"confirm": "1"})

    assert response.status_code == 302
    assert response["Location"] == preview_url(customer_import)  # the progress page
    assert not FeedbackRequest.objects.exists()  # nothing created inside the web request
    enqueued.assert_called_once_with(customer_import.pk)
    customer_import.refresh_from_db()
    assert customer_import.confirmed_at is not None and customer_import.finished_at is None


def test_the_task_creates_a_chunk_per_step_and_records_its_progress(
    client, business, enqueued, django_capture_on_commit_callbacks
):
    customer_import = confirmed_import(client, business, django_capture_on_commit_callbacks)
    done = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            customer_import_run(import_id=customer_import.pk, budget_seconds=0)  # one chunk, then hand on
        customer_import.refresh_from_db()
        done.append((customer_import.rows_done, FeedbackRequest.objects.count()))

    assert done == [(CREATE_CHUNK, CREATE_CHUNK), (2 * CREATE_CHUNK, 2 * CREATE_CHUNK), (ROWS, ROWS)]
    assert customer_import.finished_at is not None and customer_import.rows == []
    assert customer_import.created_count == ROWS
    # Confirmed once, then handed on after each of the two unfinished steps; not after the last.
    assert enqueued.call_count == 3


def test_the_admin_page_shows_the_progress_then_the_result(
    client, business, enqueued, django_capture_on_commit_callbacks
):
    customer_import = confirmed_import(client, business, django_capture_on_commit_callbacks)
    customer_import_run(import_id=customer_import.pk, budget_seconds=0)

    page = client.get(preview_url(customer_import)).content.decode()
    assert "<strong>500 of 1,200</strong> created." in page
    assert '<meta http-equiv="refresh" content="2">' in page  # a meta refresh: no script for the CSP

    tasks.create_customer_import(customer_import.pk)
    page = client.get(preview_url(customer_import)).content.decode()
    assert "1200 feedback requests created." in page
    assert 'http-equiv="refresh"' not in page


@pytest.mark.parametrize("failing_step", ["creating", "counting"])
def test_an_import_stopped_in_the_middle_resumes_and_creates_every_row_exactly_once(
    client, business, enqueued, django_capture_on_commit_callbacks, time_machine, failing_step
):
    """Stopped after one chunk, as a killed worker or a lost database connection would stop it:
    before the second chunk's requests are written, or after they are written but not yet counted."""
    customer_import = confirmed_import(client, business, django_capture_on_commit_callbacks)
    target = "feedback_requests_create" if failing_step == "creating" else "_tally"
    real = getattr(csv_import, target)
    calls = []

    def fails_the_second_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    failing = mock.patch.object(csv_import, target, side_effect=fails_the_second_time)
    with failing, pytest.raises(ConnectionError):
        tasks.create_customer_import(customer_import.pk)

    customer_import.refresh_from_db()
    assert (customer_import.rows_done, FeedbackRequest.objects.count()) == (CREATE_CHUNK, CREATE_CHUNK)
    assert "ConnectionError" in customer_import.last_error
    page = client.get(preview_url(customer_import)).content.decode()
    assert "500 of 1,200" in page and 'id="import-stalled"' in page

    # The sweep leaves it alone for a while, then resumes it where it stopped.
    enqueued.reset_mock()
    assert tasks.sweep_customer_imports() == 0
    time_machine.move_to(customer_import.progressed_at + timedelta(seconds=settings.CSV_IMPORT_STALLED_SECONDS + 1))
    assert tasks.sweep_customer_imports() == 1
    enqueued.assert_called_once_with(customer_import.pk)
    tasks.create_customer_import(*enqueued.call_args.args)

    customer_import.refresh_from_db()
    created = emails_created(business)
    assert len(created) == ROWS and set(created.values()) == {1}  # every row, once
    assert customer_import.finished_at is not None and customer_import.last_error == ""
    assert customer_import.created_count == ROWS


def test_a_task_run_again_after_the_import_finished_creates_nothing(
    client, business, enqueued, django_capture_on_commit_callbacks
):
    customer_import = confirmed_import(client, business, django_capture_on_commit_callbacks)
    tasks.create_customer_import(customer_import.pk)
    tasks.create_customer_import(customer_import.pk)  # redelivered (at least once)
    assert FeedbackRequest.objects.count() == ROWS
    assert customer_imports_stalled() == []


def test_an_unconfirmed_import_is_never_created_by_the_task_or_the_sweep(business, enqueued, time_machine):
    customer_import = previewed_import(business)
    time_machine.move_to(customer_import.created_at + timedelta(hours=1))
    assert tasks.sweep_customer_imports() == 0
    assert tasks.create_customer_import(customer_import.pk) == 0
    assert not FeedbackRequest.objects.exists()


def test_another_business_cannot_see_follow_or_confirm_the_import(
    client, other_business, enqueued, django_capture_on_commit_callbacks
):
    theirs = previewed_import(other_business, rows=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(preview_url(theirs), {"confirm": "1"}).status_code == 404
    enqueued.assert_not_called()
    theirs.refresh_from_db()
    assert theirs.confirmed_at is None

    csv_import.customer_import_confirm(customer_import=theirs)  # confirmed by its own owner
    page = client.get(preview_url(theirs))
    assert page.status_code == 404  # nor its progress


def test_cancelling_from_a_tab_left_open_does_not_stop_a_confirmed_import(
    client, business, enqueued, django_capture_on_commit_callbacks
):
    customer_import = previewed_import(business, rows=3)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview_url(customer_import), {"confirm": "1"})
    response = client.post(preview_url(customer_import), {"cancel": "1"})  # the other tab's button

    assert response["Location"] == preview_url(customer_import)
    tasks.create_customer_import(customer_import.pk)
    assert FeedbackRequest.objects.count() == 3
