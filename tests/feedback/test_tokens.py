"""Link tokens: 128 random bits at least, only hashes stored, bound to their purpose."""

from __future__ import annotations

import base64
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.db import connection

from feedback import tasks
from feedback.links import feedback_url, unsubscribe_url
from feedback.models import FeedbackRequest
from feedback.selectors import feedback_request_by_token
from feedback.services.requests import RequestInput, feedback_request_create
from feedback.tokens import Purpose, hash_token, make_token, new_salt
from tests.feedback.factories import FeedbackRequestFactory, feedback_token, unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(business) -> FeedbackRequest:
    with mock.patch.object(tasks.send_feedback_requests, "delay"):
        return feedback_request_create(business=business, item=RequestInput(email="ana@example.com", name="Ana"))


def test_the_salt_is_16_random_bytes():
    salts = {new_salt() for _ in range(200)}
    assert len(salts) == 200
    for salt in salts:
        assert len(bytes.fromhex(salt)) == 16


def test_a_token_carries_at_least_128_bits():
    token = make_token(new_salt(), Purpose.FEEDBACK)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    assert token.replace("-", "").replace("_", "").isalnum()  # safe in a URL path as it is


def test_each_purpose_has_its_own_token():
    salt = new_salt()
    assert make_token(salt, Purpose.FEEDBACK) != make_token(salt, Purpose.UNSUBSCRIBE)
    assert make_token(salt, Purpose.FEEDBACK) == make_token(salt, Purpose.FEEDBACK)  # rebuilt for a reminder


def test_tokens_depend_on_the_secret_key(settings):
    salt = new_salt()
    token = make_token(salt, Purpose.FEEDBACK)
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    assert make_token(salt, Purpose.FEEDBACK) != token


def test_no_plain_token_is_stored_anywhere_in_the_request_row(request_):
    tokens = [feedback_token(request_), unsubscribe_token(request_)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {FeedbackRequest._meta.db_table} WHERE id = %s", [request_.pk])  # noqa: S608
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    for token in tokens:
        assert token not in stored
    assert request_.feedback_token_hash == hash_token(tokens[0])
    assert request_.unsubscribe_token_hash == hash_token(tokens[1])


def test_no_plain_token_is_stored_in_the_history(request_):
    tokens = [feedback_token(request_), unsubscribe_token(request_)]
    stored = " ".join(str(values) for values in request_.events.values())
    assert not any(token in stored for token in tokens)


def test_a_token_finds_its_request_for_its_own_purpose_only(request_):
    assert feedback_request_by_token(token=feedback_token(request_), purpose=Purpose.FEEDBACK) == request_
    assert feedback_request_by_token(token=unsubscribe_token(request_), purpose=Purpose.UNSUBSCRIBE) == request_
    assert feedback_request_by_token(token=feedback_token(request_), purpose=Purpose.UNSUBSCRIBE) is None
    assert feedback_request_by_token(token=unsubscribe_token(request_), purpose=Purpose.FEEDBACK) is None


def test_the_unsubscribe_token_does_not_open_the_form(client, request_):
    assert client.get(f"/f/{unsubscribe_token(request_)}/").status_code == 404
    assert client.post(f"/f/{unsubscribe_token(request_)}/", {"rating": "5"}).status_code == 404
    assert not hasattr(FeedbackRequest.objects.get(pk=request_.pk), "feedback")


def test_the_feedback_token_does_not_unsubscribe(client, request_):
    assert client.get(f"/u/{feedback_token(request_)}/").status_code == 404
    assert client.post(f"/u/{feedback_token(request_)}/").status_code == 404
    request_.customer.refresh_from_db()
    assert request_.customer.opted_out_at is None


@pytest.mark.parametrize(
    "token",
    ["unknown", "A" * 43, "x" * 5000, "%00", "..%2F..%2Fetc"],
)
def test_an_unknown_token_is_a_404(client, token, business):
    FeedbackRequestFactory(business=business)
    for path in (f"/f/{token}/", f"/f/{token}/thanks/", f"/u/{token}/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/u/{token}/").status_code == 404


def test_a_token_that_differs_by_one_character_is_a_404(client, request_):
    token = feedback_token(request_)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/f/{changed}/").status_code == 404


# --- SECRET_KEY rotation --------------------------------------------------------------------
NEW_KEY = "the-new-secret-key-" + "n" * 40


def reminder_links(request_) -> tuple[str, str]:
    from feedback.emails import invitation_email
    from feedback.services.sending import feedback_requests_rekey

    request_.refresh_from_db()
    feedback_requests_rekey([request_])  # what a reminder batch does before building its emails
    message = invitation_email(request_, reminder=True)
    return feedback_url(request_), message.extra_headers["List-Unsubscribe"].strip("<>")


def test_after_a_rotation_reminders_repeat_the_first_emails_links_while_the_old_key_is_a_fallback(
    client, settings, request_
):
    first = (feedback_url(request_), unsubscribe_url(request_))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = NEW_KEY

    assert reminder_links(request_) == first
    assert client.get(urlsplit(first[0]).path).status_code == 200


def test_after_the_old_key_is_retired_a_reminder_gets_new_links_that_work(client, settings, request_):
    first = feedback_url(request_)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []

    link, unsubscribe = reminder_links(request_)

    assert link != first
    assert client.get(urlsplit(link).path).status_code == 200
    assert client.get(urlsplit(unsubscribe).path).status_code == 200
    assert client.get(urlsplit(first).path).status_code == 404  # made with the retired key


def test_requests_under_the_current_key_keep_their_links(request_):
    from feedback.services.sending import feedback_requests_rekey

    hashes = (request_.feedback_token_hash, request_.unsubscribe_token_hash)
    assert feedback_requests_rekey([request_]) == 0
    request_.refresh_from_db()
    assert (request_.feedback_token_hash, request_.unsubscribe_token_hash) == hashes
