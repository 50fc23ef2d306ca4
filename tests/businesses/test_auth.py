import pytest

from businesses.services import business_create

pytestmark = pytest.mark.django_db


def test_an_owner_logs_in_with_their_email_in_any_letter_case(client):
    business_create(slug="jo", name="Jo's", owner_email="Jo@Example.com", owner_password="a-long-password-1")
    assert client.login(username="jo@example.com", password="a-long-password-1")


def test_a_wrong_password_is_refused_whatever_the_case(client):
    business_create(slug="jo", name="Jo's", owner_email="jo@example.com", owner_password="a-long-password-1")
    assert not client.login(username="JO@example.com", password="wrong-password")
    assert not client.login(username="nobody@example.com", password="a-long-password-1")
