"""An opt-out (or a bounce) is the customer's: owners and managers see it, never clear it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from businesses.models import Customer, Membership
from tests.businesses.factories import CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MANAGER])
def test_the_customer_form_shows_the_opt_out_and_bounce_read_only_and_a_post_cannot_clear_them(business, role):
    client = Client()
    client.force_login(MembershipFactory(business=business, role=role).user)
    when = timezone.now()
    customer = CustomerFactory(
        business=business, email="ana@example.com", name="Ana", opted_out_at=when, bounced_at=when
    )
    url = reverse("admin:businesses_customer_change", args=[customer.pk])

    page = client.get(url).content.decode()
    assert 'name="opted_out_at' not in page and 'name="bounced_at' not in page
    assert "Opted out at" in page and "Bounced at" in page

    form = {"business": business.pk, "name": "Ana Silva", "email": "ana@example.com", "external_id": ""}
    cleared = {"opted_out_at_0": "", "opted_out_at_1": "", "bounced_at_0": "", "bounced_at_1": ""}
    response = client.post(url, form | cleared)

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.opted_out_at, customer.bounced_at) == ("Ana Silva", when, when)
