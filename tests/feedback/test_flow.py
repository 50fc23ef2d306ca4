"""The whole invitation flow through the services, in one process: create, send, answer."""

import pytest
from django.core import mail

from feedback.models import Feedback, FeedbackRequest
from feedback.services.requests import RequestInput, feedback_request_create
from feedback.services.sending import feedback_requests_send
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import feedback_token

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status


def test_a_request_is_sent_once_and_answered_through_its_link(business, client, django_capture_on_commit_callbacks):
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = feedback_request_create(
            business=business, item=RequestInput(email="Ana.Silva@example.com", name="Ana Silva", staff=staff)
        )
    assert request.status == Status.QUEUED
    assert len(callbacks) == 1

    assert feedback_requests_send(request_ids=[request.pk]) == 1
    assert feedback_requests_send(request_ids=[request.pk]) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Hi Ana" in part
        assert business.name in part
        assert "Maya Lindqvist" in part
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    request.refresh_from_db()
    assert request.status == Status.SENT

    token = feedback_token(request)
    page = client.get(f"/f/{token}/?rating=4")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert not Feedback.objects.exists()

    answer = client.post(f"/f/{token}/", {"rating": "4", "comment": "Lovely", "display_name_choice": "first_initial"})
    assert answer.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.consent_to_publish) == (4, "Lovely", False)
    request.refresh_from_db()
    assert request.status == Status.RESPONDED
