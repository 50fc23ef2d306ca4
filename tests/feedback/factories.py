"""Factories for feedback requests and answers."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from feedback.models import Feedback, FeedbackRequest
from feedback.tokens import Purpose, make_token, new_salt, token_hashes
from tests.businesses.factories import BusinessFactory, CustomerFactory


class FeedbackRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackRequest

    business = factory.SubFactory(BusinessFactory)
    customer = factory.SubFactory(CustomerFactory, business=factory.SelfAttribute("..business"))
    interaction_at = factory.LazyFunction(timezone.now)
    status = FeedbackRequest.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    token_salt = factory.LazyFunction(new_salt)
    feedback_token_hash = factory.LazyAttribute(lambda r: token_hashes(r.token_salt)["feedback_token_hash"])
    unsubscribe_token_hash = factory.LazyAttribute(lambda r: token_hashes(r.token_salt)["unsubscribe_token_hash"])


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    request = factory.SubFactory(FeedbackRequestFactory, status=FeedbackRequest.Status.RESPONDED)
    business = factory.SelfAttribute("request.business")
    customer = factory.SelfAttribute("request.customer")
    internal = factory.SelfAttribute("request.internal")
    rating = 5
    display_name = "Customer N."
    editable_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


def feedback_token(request: FeedbackRequest) -> str:
    return make_token(request.token_salt, Purpose.FEEDBACK)


def unsubscribe_token(request: FeedbackRequest) -> str:
    return make_token(request.token_salt, Purpose.UNSUBSCRIBE)
